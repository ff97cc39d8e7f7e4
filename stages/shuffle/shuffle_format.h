// The on-disk formats that connect the sharded commands (plan → map →
// reduce, doc/cluster.md): where a run's files live in the work directory,
// the frozen run plan (options plus the manifest of input files), the map
// spill file with its per-partition index, and the partition function.
//
// Every format is versioned by a magic string and read back with bounds
// checks (a corrupt or truncated file is Corruption, never a crash).
// Everything here is a pure function or a value type; thread-safe.
#ifndef INGEST_STAGES_SHUFFLE_SHUFFLE_FORMAT_H_
#define INGEST_STAGES_SHUFFLE_SHUFFLE_FORMAT_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/article.h"
#include "pipeline/status.h"
#include "stages/emit/compression.h"
#include "stages/emit/dolma_writer.h"

namespace ingest {

// The partition of an article key: the top bits of a 64-bit hash, computed
// as floor(hash × partitions / 2^64). For a power of two that is exactly
// the top log2(P) bits, so partition p of P splits into 2p and 2p + 1 of
// 2P (doc/cluster.md, growing P). The hash (FNV-1a then a MurmurHash3
// finaliser) is part of the format: changing it moves keys between
// partitions. REQUIRES: partitions >= 1.
uint32_t PartitionOf(std::string_view article_key, uint32_t partitions);

// One input entry of a run, at its stable position `index` (processing
// order): a file to read, or an entry the walk already quarantined
// (`reason` set, `path` empty).
struct ManifestEntry {
  std::string source;
  std::string path;
  FileStamp stamp;
  QuarantineReason reason = QuarantineReason::kNone;
  std::string detail;
};

// What `plan` froze for a run: every task of the run does exactly this work
// however often it is retried.
struct RunPlan {
  std::string run_id;
  std::string started_at;  // RFC 3339, UTC
  std::string out_dir;     // absolute; where every task of the run writes
  uint32_t maps = 1;
  uint32_t partitions = 1;
  bool emit_revisions = false;
  int default_offset_minutes = 9 * 60;
  uint64_t max_file_size = 64ull << 20;
  uint64_t chunk_records = 100000;
  uint64_t skipped = 0;    // non-article files the walk passed over
  uint64_t unchanged = 0;  // files an earlier run already processed
  std::vector<std::string> inputs;
  uint64_t files = 0;  // manifest entries (they live in their own file)
  // How article records are written (as run's --compress, --compress-level,
  // --schema). Encoded after `files`: a plan written before they existed
  // decodes with these defaults.
  Compression compression = Compression::kNone;
  int compression_level = 0;
  RecordSchema schema = RecordSchema::kNative;

  std::string Encode() const;
  static Result<RunPlan> Decode(std::string_view encoded);
  // The entries map task `task` of `maps` handles: a contiguous range
  // [begin, end) of the manifest, so each spill is sorted by file index.
  void MapShare(uint32_t task, uint64_t* begin, uint64_t* end) const;
};

// The manifest of a run, streamed: entries in position order in one file,
// and beside it an index of 8-byte offsets (one per entry), so a map task
// reads only its own range and neither side holds the whole manifest in
// memory (10^9 files make about 110 GB of manifest). Both files are
// written to temp names and published by Finish() (fsync, rename); a
// writer destroyed unfinished removes its temp files. Used by one thread.
class ManifestWriter {
 public:
  ManifestWriter(std::string manifest_path, std::string index_path);
  ~ManifestWriter();
  ManifestWriter(const ManifestWriter&) = delete;
  ManifestWriter& operator=(const ManifestWriter&) = delete;
  Status Add(const ManifestEntry& entry);
  Status Finish();
  uint64_t count() const { return count_; }

 private:
  Status Flush();
  std::string paths_[2], temps_[2];
  int fds_[2] = {-1, -1};
  std::string buffers_[2];
  uint64_t offset_ = 0, count_ = 0;
  bool finished_ = false;
};

// Reads entries [begin, ...) of a published manifest, in order. Used by
// one thread.
class ManifestReader {
 public:
  static Result<std::unique_ptr<ManifestReader>> Open(const std::string& manifest_path,
                                                      const std::string& index_path,
                                                      uint64_t begin);
  ~ManifestReader();
  // The next entry; false at the end of the manifest.
  Result<bool> Next(ManifestEntry* entry);

 private:
  ManifestReader() = default;
  std::string path_;
  std::FILE* file_ = nullptr;
  std::string record_;
};

// Paths of a work directory (doc/cluster.md, "layout").
class WorkLayout {
 public:
  explicit WorkLayout(std::string work_dir) : work_(std::move(work_dir)) {}
  const std::string& dir() const { return work_; }
  std::string planner_state() const { return work_ + "/plan-state"; }
  std::string run_dir(std::string_view run) const;
  std::string plan_file(std::string_view run) const;
  std::string plan_json(std::string_view run) const;
  std::string manifest_file(std::string_view run) const;
  std::string manifest_index(std::string_view run) const;
  std::string spill_file(std::string_view run, uint32_t task) const;
  std::string map_summary(std::string_view run, uint32_t task) const;
  std::string map_marker(std::string_view run, uint32_t task) const;
  std::string reduce_summary(std::string_view run, uint32_t partition) const;
  std::string reduce_marker(std::string_view run, uint32_t partition) const;
  std::string finished_marker(std::string_view run) const;
  std::string partition_state(uint32_t partition) const;

 private:
  std::string work_;
};

// The name prefix of a task's output files: "<run>-m00003" for map task 3
// (quarantine records), "<run>-p0005" for partition 5 (articles and
// duplicate records). Names still sort by run first.
std::string MapOutputName(std::string_view run, uint32_t task);
std::string ReduceRunName(std::string_view run, uint32_t partition);

// A verified article on its way from map to reduce: what dedup and emit
// need, with the rendered NDJSON line.
struct SpillRecord {
  uint64_t file_index = 0;
  uint64_t record_index = 0;
  uint64_t bytes_read = 0;
  std::string source, id, oid, aid, content_hash, record;
  uint64_t record_revision_at = 0;
};

// Appends the encoding of `article` (a verified, rendered article at
// `file_index`) to `out`.
void AppendSpillRecord(const Article& article, uint64_t file_index,
                       uint64_t record_index, std::string* out);
// Reads one record from the front of `*in` and advances it.
Status ReadSpillRecord(std::string_view* in, SpillRecord* record);
// Fills the fields dedup and emit read from a spill record.
void SpillRecordToArticle(SpillRecord&& record, Article* article);

// The index of a spill file: for each partition, its blocks (extents in
// the file) in record order. The footer is: the encoded index, its size
// (8 bytes little endian), then the magic.
struct SpillIndex {
  struct Extent {
    uint64_t offset = 0, size = 0;
  };
  std::vector<std::vector<Extent>> partitions;
  std::vector<uint64_t> records;  // per partition

  std::string EncodeFooter() const;
  // Reads the footer of the file at `path`.
  static Result<SpillIndex> Load(const std::string& path);
};

}  // namespace ingest

#endif  // INGEST_STAGES_SHUFFLE_SHUFFLE_FORMAT_H_
