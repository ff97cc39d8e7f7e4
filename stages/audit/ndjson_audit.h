// Audit of NDJSON files the pipeline wrote: every line through a
// RecordChecker, a truncated last line (no '\n'), and keys that appear in
// more than one record across all the files (duplicate_key).
//
// Compressed chunks (*.ndjson.zst, *.ndjson.gz, or any file with such a
// magic number) are read through ChunkReader, the one reader of output
// chunks; a damaged or cut-short stream is bad_compression, and the lines
// read before the damage are still checked.
//
// Shape: the calling thread reads each file in large blocks cut at line
// ends (thin serial source); `threads` workers check the blocks' lines,
// each with its own RecordChecker (simdjson parser and SHA-256 context
// reused for every line). A bounded number of blocks is in flight, so
// memory does not grow with the files. Results are sorted afterwards, so
// they do not depend on the thread count.
//
// AuditNdjsonFiles is thread-safe (it shares nothing between calls); it
// changes nothing on disk.
#ifndef INGEST_STAGES_AUDIT_NDJSON_AUDIT_H_
#define INGEST_STAGES_AUDIT_NDJSON_AUDIT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/status.h"
#include "stages/audit/problem.h"
#include "stages/audit/record_checker.h"
#include "stages/verify/sha256.h"

namespace ingest {

// One NDJSON file to audit.
struct NdjsonInput {
  std::string source;  // as reported: the input path joined with the path below it
  std::string path;    // where to read it
  RecordKind kind = RecordKind::kArticle;
  std::string error;   // why it cannot be read as a file (set by the lister)
};

// True when `name` ends in ".ndjson" or ".jsonl", either optionally
// followed by ".zst" or ".gz".
bool IsNdjsonFileName(std::string_view name);

// Appends the NDJSON files below `directory` in byte-wise order of their
// paths, walked the way FileWalker walks (symlinks to files followed, to
// directories not). Entries with an NDJSON name that are not readable
// files (broken symlink, FIFO) come with `error` set; so does a directory
// that cannot be listed, when `report_unlistable` (else it is passed over:
// a FileWalker over the same tree reports it already).
void ListNdjsonFiles(const std::string& directory, bool report_unlistable,
                     std::vector<NdjsonInput>* out);

// An article record that stands for its key (CheckedLine::keyed).
struct KeyedRecord {
  std::string id;
  uint32_t revision = 1;  // 1 when the record has no "revision"
  uint32_t file = 0;      // index into the audited files
  uint64_t line = 0;
  bool hash_verified = false;
  // content_hash is well formed but not the SHA-256 of text: the line has
  // hash_mismatch, which the cross-check attributes with text_hash.
  bool hash_mismatched = false;
  Sha256::Digest content_hash{};
  Sha256::Digest text_hash{};  // SHA-256 of text; set when hash_mismatched
  bool duplicate = false;  // an earlier record (file, line order) has its key
  std::string source;      // the input path ("source", Dolma's metadata.path),
                           // with keep_sources only
};

struct NdjsonAudit {
  // By file (in input order), then line; a file's read error comes first.
  std::vector<Problem> problems;
  // By id (byte-wise, as in the state), revision, file, line.
  std::vector<KeyedRecord> records;
  uint64_t files = 0;
  uint64_t lines = 0;
  uint64_t bytes = 0;
};

struct NdjsonAuditOptions {
  int threads = 1;
  size_t block_bytes = 8 << 20;  // read size; a longer line grows its block
  bool keep_sources = false;     // fill KeyedRecord::source (state rebuild)
  bool keyed_records = true;     // collect records and check duplicate keys
};

// Audits `files` in the given order (problems and record locations refer to
// that order). Unreadable files are problems, not errors; a non-OK status
// only when libcrypto fails.
Result<NdjsonAudit> AuditNdjsonFiles(const std::vector<NdjsonInput>& files,
                                     const NdjsonAuditOptions& options);

}  // namespace ingest

#endif  // INGEST_STAGES_AUDIT_NDJSON_AUDIT_H_
