// Problem: one finding of `crawl-ingest audit`, its bounded code (the set is
// documented in doc/audit.md) and its NDJSON problem record:
//   {"source", "line"?, "id"?, "problem", "detail"}
// plus ProblemCounts, the per-code tally behind the audit's summary line.
//
// Value types and pure functions; thread-safe to use from any thread on
// distinct objects.
#ifndef INGEST_STAGES_AUDIT_PROBLEM_H_
#define INGEST_STAGES_AUDIT_PROBLEM_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "pipeline/article.h"

namespace ingest {

// Every code the audit can report. Article files get exactly the FORMAT.md
// §2 reason codes; NDJSON records and the cross-check with the state have
// their own. Names shared by both kinds mean the same thing for both.
enum class ProblemCode : uint8_t {
  // Article files (FORMAT.md §2) and, where marked, NDJSON records too.
  kUnreadable = 0,  // also NDJSON: the file cannot be opened or read
  kTooLarge,
  kEmptyFile,
  kInvalidUtf8,  // also NDJSON: a line that is not valid UTF-8
  kNoFrontMatter,
  kBadFrontMatter,
  kBadKey,       // also NDJSON: oid or aid empty or not ASCII digits
  kIdMismatch,   // also NDJSON: id is not oid_aid
  kMissingHash,
  kBadHash,      // also NDJSON: content_hash not 64 lowercase hex digits
  kNoBody,
  kEmptyBody,    // also NDJSON: text is empty
  kHashMismatch, // also NDJSON: SHA-256 of text is not content_hash
  // NDJSON records only.
  kInvalidJson,
  kPartialLine,
  kBadCompression,
  kWrongType,
  kMissingKey,
  kUnknownKey,
  kRepeatedKey,
  kBadValue,
  kDuplicateKey,
  // Cross-check of OUT/articles with the state only.
  kMissingRecord,
  kUnknownRecord,
  kHashDiffersFromState,
  kBadStateEntry,
  // The cross-check's attribution of a record's hash_mismatch, reported
  // instead of it: which of text and content_hash still has the hash the
  // state recorded for the record's version.
  kTextEdited,
  kContentHashEdited,
};
inline constexpr int kProblemCodeCount = 28;

// The code as it appears in a problem record, e.g. "hash_mismatch".
std::string_view ProblemCodeName(ProblemCode code);
// The problem code of a quarantine reason. REQUIRES: reason != kNone.
ProblemCode ProblemCodeFor(QuarantineReason reason);

struct Problem {
  ProblemCode code = ProblemCode::kInvalidJson;
  std::string source;  // the file (or directory) the problem is in
  uint64_t line = 0;   // 1-based line of an NDJSON file; 0: not applicable
  std::string id;      // the article key when known; empty otherwise
  std::string detail;  // the evidence, for a human
};

// Appends `problem` as one NDJSON line ('\n'-terminated), keys in the
// order source, line, id, problem, detail; line and id only when set.
void AppendProblemRecord(const Problem& problem, std::string* out);

// How many problems of each code were found.
class ProblemCounts {
 public:
  void Add(ProblemCode code) { ++counts_[static_cast<size_t>(code)]; }
  void Merge(const ProblemCounts& other);
  uint64_t total() const;
  uint64_t count(ProblemCode code) const {
    return counts_[static_cast<size_t>(code)];
  }
  // " code=n" for every code found, in enum order; "" when none.
  std::string ToLogFields() const;

 private:
  std::array<uint64_t, kProblemCodeCount> counts_{};
};

}  // namespace ingest

#endif  // INGEST_STAGES_AUDIT_PROBLEM_H_
