// Runner: runs a pipeline of stages over an ArticleSource on worker threads.
//
// Shape (oneTBB parallel_pipeline): the source and the serial end have no
// thread of their own. Each of `workers` threads cuts the next batch from
// the source (one thread at a time), runs the leading parallel stages on it
// article by article, and parks it in a reorder buffer; a thread that finds
// the serial end idle runs the trailing serial stages over every parked
// batch that is next in input order, so output is identical for every worker
// count. At most `batches_in_flight` batches exist at once, which bounds
// memory whatever the input size. At commit points (a serial stage asks,
// and at the end) the runner drives the commit protocol of pipeline/commit.h.
#ifndef INGEST_PIPELINE_RUNNER_H_
#define INGEST_PIPELINE_RUNNER_H_

#include <spdlog/logger.h>

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "pipeline/article.h"
#include "pipeline/commit.h"
#include "pipeline/run_state.h"
#include "pipeline/stage.h"
#include "pipeline/status.h"

namespace ingest {

// Produces the run's input in processing order. Called by one thread at a
// time, not always the same one.
class ArticleSource {
 public:
  virtual ~ArticleSource() = default;
  // Fills `article` (seq excluded, the runner sets it) and returns true, or
  // returns false at the end of the input. A non-OK result fails the run.
  virtual Result<bool> Next(Article* article) = 0;
};

class TokenPool;
template <typename Job>
class HandoffThread;
using CommitParts = std::vector<std::unique_ptr<PendingCommit>>;
using CommitThread = HandoffThread<CommitParts>;

struct RunnerOptions {
  int workers = 1;
  // Small enough that the articles in flight (batch_size × batches in
  // flight, each with its raw, text and record buffers) stay in the CPU's
  // caches: with 256 a run cycled ~40 MB through them and spent ~15% more
  // CPU; handing over a batch costs far less than that at 64.
  size_t batch_size = 64;
  size_t batches_in_flight = 0;  // 0: 4 × workers
};

class Runner {
 public:
  // REQUIRES: `stages` is zero or more kParallel stages followed by zero or
  // more kSerialInOrder stages. Every pointer must outlive the Runner.
  Runner(std::vector<const Stage*> stages, DurableState* state,
         RunnerOptions options, RunState* run_state, spdlog::logger* log);

  // Runs to the end of `source`, or until the run fails or a stop is
  // requested. OK when all input was processed and committed; Cancelled
  // when a requested stop was honoured (what was done is committed); the
  // first error otherwise (nothing after the last commit point is).
  Status Run(ArticleSource& source);

 private:
  struct Work {
    Batch batch;
    std::vector<Disposition> dispositions;
    std::vector<Disposition> before;  // scratch of CountedProcessBatch, reused
  };
  struct Shared;  // what the workers of one Run() share (runner.cc)
  void RunWorker(Shared& shared);
  // Cuts the next batch from the source into `work`; false at the end of the
  // input, on a stop request, or after a failure.
  bool NextBatch(Shared& shared, Work& work);
  // The parallel stages over one batch, with this worker's states and counts.
  Status RunParallel(Work& work, std::vector<std::unique_ptr<WorkerState>>& states,
                     std::vector<DispositionCounts>& counts);
  // Parks a processed batch; if the serial end is idle, runs it over every
  // batch that is next in order.
  void ToSerialEnd(Shared& shared, Work&& work);
  Status RunSerial(Shared& shared, Work& work);
  // One whole-batch stage over `work`, counting the verdicts it gave to the
  // articles that reached it.
  static Status CountedProcessBatch(const Stage& stage, Work& work, WorkerState* state,
                                    DispositionCounts& counts);
  void Fail(Status status);
  void Recycle(Work&& work);
  Work Reuse();
  // Detaches a commit from every serial stage and hands it to the commit
  // thread, after waiting for the one before; `last` also waits for it.
  Status CommitPoint(std::vector<std::unique_ptr<WorkerState>>& states, bool last);
  // Makes a detached commit durable and publishes it (commit thread).
  Status Commit(CommitParts& parts);
  // Waits for the commit in flight, if any; its status.
  Status WaitForCommit();

  std::vector<const Stage*> parallel_stages_;
  std::vector<const Stage*> serial_stages_;
  DurableState* const state_;
  RunnerOptions options_;
  RunState* const run_state_;
  spdlog::logger* const log_;
  TokenPool* tokens_ = nullptr;  // valid during Run()
  // At most one commit in flight, so chunks are committed in order while
  // the serial end goes on with the next one. Valid during Run().
  CommitThread* commit_thread_ = nullptr;
  std::mutex free_mu_;
  std::vector<Work> free_;  // GUARDED_BY(free_mu_); at most batches_in_flight
};

}  // namespace ingest

#endif  // INGEST_PIPELINE_RUNNER_H_
