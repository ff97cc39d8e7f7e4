// The state tools' pieces (doc/audit.md §state): the JSON form of a dedup
// entry (`state get`, `state export`), the figures of `state stats`, and
// the dedup entries `state rebuild` derives from emitted articles.
//
// Pure functions over values, plus read-only scans of a StateDb; nothing
// here writes the state. Thread-safe on distinct objects.
#ifndef INGEST_STAGES_AUDIT_STATE_TOOLS_H_
#define INGEST_STAGES_AUDIT_STATE_TOOLS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pipeline/status.h"
#include "stages/audit/ndjson_audit.h"
#include "stages/dedup/dedup_entry.h"
#include "stages/dedup/state_db.h"

namespace ingest {

// {"id":…,"versions":[{"revision":1,"content_hash":…,"source":…,
// "run_id":…,"emitted":true},…]} and '\n'.
void AppendDedupEntryJson(std::string_view id, const DedupEntry& entry,
                          std::string* out);

struct StateStats {
  uint64_t keys = 0;               // a/ entries
  uint64_t versions = 0;           // content hashes remembered, all keys
  uint64_t emitted = 0;            // versions emitted
  uint64_t revisions = 0;          // versions after a key's first
  uint64_t revisions_emitted = 0;  // of those, emitted (--revisions emit)
  uint64_t runs = 0;               // distinct run ids among the versions
  uint64_t files_indexed = 0;      // f/ entries (the file index)
  uint64_t manifest_entries = 0;   // c/ entries: chunks committed, maybe not yet renamed
  uint64_t bad_entries = 0;        // a/ values that do not decode
  std::string last_run_id;         // from m/last_run_millis; "" when none
  uint64_t size_bytes = 0;         // every file below the state directory

  // One JSON object and '\n'.
  std::string ToJson() const;
};

// Scans the whole state once. Non-OK only when it cannot be read.
Result<StateStats> ComputeStateStats(StateDb* state);

// The sum of the sizes of the regular files below `directory`.
uint64_t DirectorySize(const std::string& directory);

// "20251230T000900.123Z" (the run id format) as milliseconds since the
// epoch; nullopt when `run_id` is not in that format.
std::optional<int64_t> RunIdMillis(std::string_view run_id);
// The run id of a chunk or summary file name: "<run_id>-<n>.ndjson" (also
// .zst or .gz) or "<run_id>.json", directories ignored; "" when it has
// neither shape.
std::string RunIdOfFileName(std::string_view path);
// Milliseconds as the run id format.
std::string RunIdFromMillis(int64_t millis);

struct RebuiltEntries {
  // By id, byte-wise: the state's key order.
  std::vector<std::pair<std::string, DedupEntry>> entries;
  uint64_t versions = 0;      // emitted versions, one per record
  uint64_t placeholders = 0;  // versions never emitted, so never seen (below)
};

// The dedup entries the emitted articles imply: one emitted version per
// record, at the position its revision gives (revision n is version n), with
// the record's hash and source and the run id of its chunk's name.
// Positions no record fills were revisions skipped under --revisions skip:
// their hash was never written anywhere, so a placeholder (all-zero hash,
// not emitted) keeps the next revision's number right.
// Corruption when a revision is beyond kMaxRebuildRevision (a hand-edited
// record, not a real history).
// REQUIRES: `records` from AuditNdjsonFiles over `files` with keep_sources,
// without problems (no duplicate keys).
Result<RebuiltEntries> RebuildDedupEntries(const std::vector<KeyedRecord>& records,
                                           const std::vector<NdjsonInput>& files);
inline constexpr uint32_t kMaxRebuildRevision = 100000;

}  // namespace ingest

#endif  // INGEST_STAGES_AUDIT_STATE_TOOLS_H_
