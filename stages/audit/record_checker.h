// RecordChecker: checks one line of an NDJSON file the pipeline wrote
// against FORMAT.md §3, with simdjson On-Demand: the line is one valid JSON
// object, every required key is there once with the right type, no unknown
// key, and for an article record that oid/aid are digit strings, id is
// oid_aid, content_hash is 64 lowercase hex digits and is the SHA-256 of
// text. Quarantine and duplicate records get their own, smaller schema.
//
// An article record is either FORMAT.md §3 or a Dolma document (`run
// --schema dolma`, doc/dolma.md), told apart per line by its keys: one with
// a `metadata`, `added` or `created` key and no top-level `oid` is a Dolma
// document. It gets the same checks on its own layout: the key fields and
// content_hash are in `metadata`, and an emitted revision's id is
// oid_aid-r<n> with n = metadata.revision. Both stand for the key
// (oid_aid, revision), so the duplicate check, the cross-check and `state
// rebuild` treat them alike.
//
// Which record kind a file holds follows from the folder it is in
// (RecordKindOfPath): the pipeline writes the three kinds to articles/,
// quarantine/ and duplicates/.
//
// One RecordChecker per thread (it owns a simdjson parser and a SHA-256
// context, reused for every line); not thread-safe.
#ifndef INGEST_STAGES_AUDIT_RECORD_CHECKER_H_
#define INGEST_STAGES_AUDIT_RECORD_CHECKER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/status.h"
#include "stages/audit/problem.h"
#include "stages/verify/sha256.h"

namespace ingest {

enum class RecordKind : uint8_t {
  kArticle,     // OUT/articles: FORMAT.md §3 article records or Dolma documents
  kQuarantine,  // OUT/quarantine: {"source","reason","detail","id"?}
  kDuplicate,   // OUT/duplicates: {"source","id","kind","first_source","content_hash"}
};

// kQuarantine when the file's folder is named "quarantine", kDuplicate for
// "duplicates", kArticle otherwise.
RecordKind RecordKindOfPath(std::string_view path);

// Bytes that must be readable past the end of a line handed to
// RecordChecker::CheckPadded (simdjson's SIMDJSON_PADDING).
inline constexpr size_t kRecordPadding = 64;

struct LineProblem {
  ProblemCode code;
  std::string detail;
};

// What one line turned out to be.
struct CheckedLine {
  std::vector<LineProblem> problems;  // in a fixed order; empty: the line is good
  // The record's "id" when it is a string; for a Dolma document without its
  // "-r<n>" revision suffix, so it is oid_aid in both layouts.
  std::string id;
  uint32_t revision = 1;   // the record's (metadata.)revision; 1 when absent
  // An article record that is a complete JSON object with a string id and
  // a valid revision: it stands for the key (id, revision).
  bool keyed = false;
  bool dolma = false;      // an article record in the Dolma layout
  // content_hash is 64 lowercase hex digits and the SHA-256 of text.
  bool hash_verified = false;
  // content_hash is 64 lowercase hex digits and not the SHA-256 of text
  // (the line has a hash_mismatch problem).
  bool hash_mismatched = false;
  Sha256::Digest content_hash{};  // valid when content_hash is 64 hex digits
  Sha256::Digest text_hash{};     // SHA-256 of text; valid when hash_mismatched
  // The input path: "source", or a Dolma document's metadata.path; only
  // with keep_source.
  std::string source;

  void Clear();
};

class RecordChecker {
 public:
  // `keep_source`: also copy each record's "source" into CheckedLine.
  explicit RecordChecker(bool keep_source = false);
  ~RecordChecker();
  RecordChecker(const RecordChecker&) = delete;
  RecordChecker& operator=(const RecordChecker&) = delete;

  // Checks `line` (without its '\n') as a record of `kind` and fills *out.
  // REQUIRES: `capacity` bytes are readable from line.data() and capacity
  // >= line.size() + kRecordPadding (the bytes past the line are ignored).
  // A non-OK status only when libcrypto fails.
  Status CheckPadded(std::string_view line, size_t capacity, RecordKind kind,
                     CheckedLine* out);
  // The same for a line anywhere: copies it into a padded buffer first.
  Status Check(std::string_view line, RecordKind kind, CheckedLine* out);

 private:
  struct Parser;
  std::unique_ptr<Parser> parser_;
  Sha256 sha256_;
  std::string padded_;
  const bool keep_source_;
};

// The id at the start of a line the pipeline wrote ({"id":"…"), without a
// Dolma revision suffix ("-r<n>"), for reporting a line too damaged to
// parse; "" when it is not there.
std::string_view LeadingRecordId(std::string_view line);

}  // namespace ingest

#endif  // INGEST_STAGES_AUDIT_RECORD_CHECKER_H_
