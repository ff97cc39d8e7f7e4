// The map side of the shuffle (doc/cluster.md). SpillWriter writes one map
// task's spill file: verified articles, each in its key's partition, as
// blocks of records with a per-partition index in the footer; published by
// temp file, fsync, rename. SpillStage ("spill") is the serial end of a
// map task's pipeline: verified articles go to the writer, quarantined
// files to the task's quarantine chunk, and every outcome to its summary.
//
// Neither is thread-safe: the runner's serial end (one thread at a time) is
// their only user.
// The stage keeps pointers to the writer, chunk and summary, which must
// outlive it.
#ifndef INGEST_STAGES_SHUFFLE_SPILL_STAGE_H_
#define INGEST_STAGES_SHUFFLE_SPILL_STAGE_H_

#include <spdlog/logger.h>

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/logging.h"
#include "pipeline/stage.h"
#include "stages/emit/chunk_file.h"
#include "stages/emit/run_summary.h"
#include "stages/shuffle/shuffle_format.h"

namespace ingest {

class SpillWriter {
 public:
  // Memory is bounded by `block_bytes`: past it, every partition's
  // buffered records are written out as one block each.
  SpillWriter(std::string final_path, uint32_t partitions,
              uint64_t block_bytes = 32ull << 20);
  ~SpillWriter();
  SpillWriter(const SpillWriter&) = delete;
  SpillWriter& operator=(const SpillWriter&) = delete;

  // REQUIRES: articles arrive in ascending (file_index, record_index).
  Status Add(const Article& article, uint64_t file_index, uint64_t record_index);
  // Writes the rest and the index, fsyncs, renames into place, syncs the
  // directory. An empty task still gets a (small) spill file.
  Status Finish();

 private:
  Status WriteBlocks();
  std::string final_path_, temp_path_;
  int fd_ = -1;
  uint64_t block_bytes_;
  uint64_t buffered_ = 0;
  uint64_t offset_ = 0;
  std::vector<std::string> buffers_;
  SpillIndex index_;
};

class SpillStage : public Stage {
 public:
  // `first_index`: the manifest index of the task's first entry (seq 0).
  SpillStage(uint64_t first_index, SpillWriter* writer, ChunkFile* quarantine,
             RunSummary* summary, spdlog::logger* log)
      : first_index_(first_index), writer_(writer), quarantine_(quarantine),
        summary_(summary), log_(log) {}

  std::string_view name() const override { return "spill"; }
  Concurrency concurrency() const override { return Concurrency::kSerialInOrder; }
  std::unique_ptr<WorkerState> NewWorkerState() const override;
  Result<Disposition> Process(Article& article, WorkerState* state) const override;
  // Sees every article, quarantined ones included.
  Status ProcessBatch(Batch& batch, std::vector<Disposition>& dispositions,
                      WorkerState* state) const override;

 private:
  const uint64_t first_index_;
  SpillWriter* const writer_;
  ChunkFile* const quarantine_;
  RunSummary* const summary_;
  spdlog::logger* const log_;
};

}  // namespace ingest

#endif  // INGEST_STAGES_SHUFFLE_SPILL_STAGE_H_
