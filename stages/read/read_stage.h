// ReadStage ("read"): reads each listed file into the article's own buffer
// with one open/fstat/read/close (the fstat stamps the file for the file
// index and sizes the read), stopping once the file exceeds the size limit.
// Quarantines unreadable, too_large and empty_file.
//
// Parallel: immutable and reentrant; a file is opened O_NONBLOCK so a path
// swapped for a FIFO after listing cannot hang a worker.
#ifndef INGEST_STAGES_READ_READ_STAGE_H_
#define INGEST_STAGES_READ_READ_STAGE_H_

#include <cstdint>

#include "pipeline/stage.h"

namespace ingest {

struct ReadOptions {
  uint64_t max_file_size = 64ull << 20;
};

class ReadStage : public Stage {
 public:
  explicit ReadStage(ReadOptions options) : options_(options) {}

  std::string_view name() const override { return "read"; }
  Concurrency concurrency() const override { return Concurrency::kParallel; }
  std::unique_ptr<WorkerState> NewWorkerState() const override;
  // Articles arriving already quarantined (by the walker) are rejected as
  // they are; archive members (empty `path`, `raw` preloaded by the walker)
  // pass on, or are empty_file; others get `raw` and `bytes_read`.
  Result<Disposition> Process(Article& article,
                              WorkerState* state) const override;

 private:
  const ReadOptions options_;
};

}  // namespace ingest

#endif  // INGEST_STAGES_READ_READ_STAGE_H_
