// Stage: one step of the pipeline (read, parse, verify, dedup, emit), and the
// contract between stages and the runner that schedules them.
//
// A Stage object is immutable after construction and shared by all workers,
// so its methods are const; whatever a worker mutates lives in the
// WorkerState the runner created for it with NewWorkerState() (DuckDB's
// operator / operator-state split). Stages know nothing about threads.
#ifndef INGEST_PIPELINE_STAGE_H_
#define INGEST_PIPELINE_STAGE_H_

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "pipeline/article.h"
#include "pipeline/commit.h"
#include "pipeline/status.h"

namespace ingest {

// How the runner may schedule a stage (oneTBB filter_mode).
enum class Concurrency : uint8_t {
  kParallel,       // any worker, any order; Process() must be reentrant
  kSerialInOrder,  // one batch at a time, in input (batch index) order
};

// What happens to an article after a stage has seen it.
enum class Disposition : uint8_t {
  kContinue,   // hand it to the next stage
  kDuplicate,  // intentional drop: its key was seen before
  kRejected,   // unintentional drop: article.reason says why (quarantine)
};

// Per-worker mutable state of a stage: parsers, hash contexts, buffers,
// pending writes. Owned by the runner; never shared between threads.
class WorkerState {
 public:
  virtual ~WorkerState() = default;

 private:
  friend class Stage;
  // What PrepareCommit() detached, until FinishCommit().
  std::unique_ptr<PendingCommit> detached_commit_;
};

// Errors come in two sizes:
//  * a problem with one article: set its outcome/reason, return kRejected;
//    the run goes on.
//  * a problem with the run (RocksDB write failed, disk full): return a
//    non-OK Status; the runner cancels the run.
// Exceptions never leave a stage.
class Stage {
 public:
  virtual ~Stage() = default;

  // Lowercase verb, stable across releases: "parse", "verify", ...
  virtual std::string_view name() const = 0;
  virtual Concurrency concurrency() const = 0;

  // Called once per worker thread, before its first Process() call.
  virtual std::unique_ptr<WorkerState> NewWorkerState() const {
    return nullptr;
  }

  // Handles one article that every earlier stage passed on (kContinue).
  // REQUIRES: `state` is the object NewWorkerState() returned to this worker.
  virtual Result<Disposition> Process(Article& article,
                                      WorkerState* state) const = 0;

  // A parallel stage that gains from seeing a batch at once (hashing its
  // texts side by side) returns true: a worker then hands it the whole
  // batch through ProcessBatch(), between the article-by-article passes of
  // the parallel stages before and after it.
  virtual bool WholeBatches() const { return false; }

  // Handles a whole batch. The default calls Process() on every article
  // still marked kContinue in `dispositions` and records what it returns.
  // Serial stages override it to amortise work (one MultiGet, one write).
  virtual Status ProcessBatch(Batch& batch,
                              std::vector<Disposition>& dispositions,
                              WorkerState* state) const;

  // Commit protocol (pipeline/commit.h), for serial stages only. After a
  // batch, CommitDue() lets a stage ask for a commit point. At a commit
  // point the runner calls DetachCommit() on every serial stage (from the
  // thread running the serial end): the stage hands over what the commit
  // makes durable and starts afresh, so the next batch may follow at once;
  // nullptr when it has nothing to commit. Decisions the stage made before the detach must
  // stay visible to its later batches until the commit is finished.
  virtual bool CommitDue(WorkerState* /*state*/) const { return false; }
  virtual Result<std::unique_ptr<PendingCommit>> DetachCommit(
      WorkerState* /*state*/) const {
    return std::unique_ptr<PendingCommit>();
  }

  // The same commit run synchronously, for callers without a commit
  // thread (tests, tools): PrepareCommit() detaches and prepares,
  // FinishCommit() finishes what the last PrepareCommit() detached.
  Status PrepareCommit(WorkerState* state, StateTransaction* transaction) const;
  Status FinishCommit(WorkerState* state) const;
};

}  // namespace ingest

#endif  // INGEST_PIPELINE_STAGE_H_
