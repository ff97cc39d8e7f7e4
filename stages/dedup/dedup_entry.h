// DedupEntry: what the state remembers of one (oid, aid) key: every
// verified version (content hash, the source that first had it, the run
// that recorded it, whether it was emitted), oldest first. Versions after
// the first are revisions; under --revisions skip they are remembered but
// not emitted, so a later copy of one is a duplicate.
// A value type; Encode/Decode give a compact binary form for RocksDB.
#ifndef INGEST_STAGES_DEDUP_DEDUP_ENTRY_H_
#define INGEST_STAGES_DEDUP_DEDUP_ENTRY_H_

#include <string>
#include <string_view>
#include <vector>

#include "pipeline/status.h"
#include "stages/verify/sha256.h"

namespace ingest {

struct DedupVersion {
  Sha256::Digest hash{};
  std::string source;
  std::string run_id;
  bool emitted = true;
  // Sharded runs (doc/cluster.md): the claimant, the record that wrote this
  // version, at its stable position in run `run_id`. A retried reduce task
  // that meets its own claim replays the original decision.
  bool has_claimant = false;
  uint64_t file_index = 0;
  uint64_t record_index = 0;
};

struct DedupEntry {
  std::vector<DedupVersion> versions;  // never empty once stored

  // The version with `hash`, or nullptr.
  const DedupVersion* Find(const Sha256::Digest& hash) const;
  // 1 for a key emitted once; the revision number of the latest otherwise.
  size_t revision_count() const { return versions.size(); }

  std::string Encode() const;
  // Encode() into `*encoded`, replacing its contents (reuses its capacity).
  void EncodeTo(std::string* encoded) const;
  // Corruption when `encoded` is not an Encode() output.
  static Result<DedupEntry> Decode(std::string_view encoded);
};

// The state key of an article key: "a/" + oid + "_" + aid.
std::string DedupStateKey(std::string_view article_key);
// The same appended to `*out`, for callers that reuse a buffer.
void AppendDedupStateKey(std::string_view oid, std::string_view aid, std::string* out);
inline constexpr std::string_view kDedupKeyPrefix = "a/";

}  // namespace ingest

#endif  // INGEST_STAGES_DEDUP_DEDUP_ENTRY_H_
