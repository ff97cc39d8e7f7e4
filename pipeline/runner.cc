#include "pipeline/runner.h"

#include <pthread.h>

#include <chrono>
#include <condition_variable>
#include <exception>
#include <utility>
#include <map>
#include <mutex>
#include <thread>

#include "pipeline/handoff_thread.h"
#include "pipeline/test_hooks.h"

namespace ingest {

// Counts the batches that may exist at once: the source takes a token per
// batch, the serial end gives it back. Close() releases every waiter.
class TokenPool {
 public:
  explicit TokenPool(size_t tokens) : available_(tokens) {}
  bool Acquire() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return closed_ || available_ > 0; });
    if (closed_) return false;
    --available_;
    return true;
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    ++available_;
    cv_.notify_one();
  }
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  size_t available_;     // GUARDED_BY(mu_)
  bool closed_ = false;  // GUARDED_BY(mu_)
};

namespace {

// Runs `body`, turning an escaped exception into an Internal status: no
// exception crosses a worker boundary (DuckDB ExecutorTask::Execute).
template <typename Body>
Status Guarded(std::string_view where, Body&& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    return Status::Internal(std::string(where) + ": uncaught exception: " +
                            e.what());
  } catch (...) {
    return Status::Internal(std::string(where) + ": uncaught exception");
  }
}

}  // namespace

Runner::Runner(std::vector<const Stage*> stages, DurableState* state,
               RunnerOptions options, RunState* run_state,
               spdlog::logger* log)
    : state_(state), options_(options), run_state_(run_state), log_(log) {
  for (const Stage* stage : stages) {
    if (stage->concurrency() == Concurrency::kParallel &&
        serial_stages_.empty()) {
      parallel_stages_.push_back(stage);
    } else {
      serial_stages_.push_back(stage);
    }
  }
  if (options_.workers < 1) options_.workers = 1;
  if (options_.batch_size < 1) options_.batch_size = 1;
  if (options_.batches_in_flight == 0) {
    options_.batches_in_flight = 4 * static_cast<size_t>(options_.workers);
  }
}

void Runner::Recycle(Work&& work) {
  std::lock_guard<std::mutex> lock(free_mu_);
  free_.push_back(std::move(work));
}

// A batch whose articles keep their buffers' capacity from an earlier use,
// so reading, unescaping and rendering allocate almost nothing.
Runner::Work Runner::Reuse() {
  std::lock_guard<std::mutex> lock(free_mu_);
  if (free_.empty()) return Work();
  Work work = std::move(free_.back());
  free_.pop_back();
  return work;
}

void Runner::Fail(Status status) {
  run_state_->Fail(std::move(status));
  // Wakes a source blocked on a token: batches dropped after a failure never
  // return theirs.
  tokens_->Close();
}

struct Runner::Shared {
  explicit Shared(ArticleSource& input) : source(input) {}

  std::mutex source_mu;
  ArticleSource& source;      // GUARDED_BY(source_mu)
  uint64_t seq = 0;           // GUARDED_BY(source_mu)
  uint64_t batch_index = 0;   // GUARDED_BY(source_mu)
  bool more = true;           // GUARDED_BY(source_mu)
  bool stopped = false;       // GUARDED_BY(source_mu)

  std::mutex reorder_mu;
  std::map<uint64_t, Work> reorder;  // GUARDED_BY(reorder_mu); at most batches_in_flight
  uint64_t next_index = 0;           // GUARDED_BY(reorder_mu)
  // Whether a worker is running the serial end. Only that worker touches
  // serial_states and serial_counts; taking the role under reorder_mu hands
  // them over between workers.
  bool serial_busy = false;          // GUARDED_BY(reorder_mu)
  std::vector<std::unique_ptr<WorkerState>> serial_states;
  std::vector<DispositionCounts> serial_counts;
};

bool Runner::NextBatch(Shared& shared, Work& work) {
  std::lock_guard<std::mutex> lock(shared.source_mu);
  if (!shared.more || run_state_->failed()) return false;
  if (run_state_->stop_requested()) {
    shared.stopped = true;
    shared.more = false;
    return false;
  }
  std::vector<Article>& articles = work.batch.articles;
  size_t filled = 0;
  while (filled < options_.batch_size) {
    if (filled == articles.size()) articles.emplace_back();
    Article& article = articles[filled];
    article.Reset();
    Status status = Guarded("source", [&]() -> Status {
      Result<bool> next = shared.source.Next(&article);
      if (!next.ok()) return next.status();
      shared.more = *next;
      return Status::OK();
    });
    if (!status.ok()) {
      Fail(std::move(status));
      shared.more = false;
      return false;
    }
    if (!shared.more) break;
    article.seq = shared.seq++;
    ++filled;
  }
  articles.resize(filled);
  if (articles.empty()) return false;
  work.batch.index = shared.batch_index++;
  work.dispositions.assign(articles.size(), Disposition::kContinue);
  return true;
}

Status Runner::RunParallel(Work& work, std::vector<std::unique_ptr<WorkerState>>& states,
                           std::vector<DispositionCounts>& counts) {
  // Article by article through the parallel stages, so each article's
  // bytes stay hot in this core's cache; a stage that takes whole batches
  // gets the batch between such passes.
  std::vector<Disposition>& dispositions = work.dispositions;
  size_t first = 0;
  while (first < parallel_stages_.size()) {
    const Stage* stage = parallel_stages_[first];
    if (stage->WholeBatches()) {
      INGEST_RETURN_IF_ERROR(
          CountedProcessBatch(*stage, work, states[first].get(), counts[first]));
      ++first;
      continue;
    }
    size_t last = first;
    while (last < parallel_stages_.size() && !parallel_stages_[last]->WholeBatches()) ++last;
    for (size_t i = 0; i < work.batch.articles.size(); ++i) {
      Article& article = work.batch.articles[i];
      Disposition& disposition = dispositions[i];
      for (size_t s = first; s < last; ++s) {
        if (disposition != Disposition::kContinue) break;
        Result<Disposition> result = parallel_stages_[s]->Process(article, states[s].get());
        if (!result.ok()) return result.status();
        disposition = *result;
        ++counts[s][static_cast<size_t>(disposition)];
      }
    }
    first = last;
  }
  return Status::OK();
}

void Runner::RunWorker(Shared& shared) {
  pthread_setname_np(pthread_self(), "ingest-worker");
  std::vector<std::unique_ptr<WorkerState>> states;
  for (const Stage* stage : parallel_stages_) {
    states.push_back(stage->NewWorkerState());
  }
  std::vector<DispositionCounts> counts(parallel_stages_.size(), DispositionCounts{});
  while (tokens_->Acquire()) {
    Work work = Reuse();
    if (!NextBatch(shared, work)) {
      Recycle(std::move(work));
      tokens_->Release();
      break;
    }
    if (!run_state_->failed()) {
      Status status = Guarded("worker", [&] { return RunParallel(work, states, counts); });
      if (!status.ok()) Fail(std::move(status));
    }
    // Parked even after a failure: the serial end gives its token back.
    ToSerialEnd(shared, std::move(work));
  }
  for (size_t s = 0; s < parallel_stages_.size(); ++s) {
    run_state_->AddCounts(std::string(parallel_stages_[s]->name()), counts[s]);
  }
}

void Runner::ToSerialEnd(Shared& shared, Work&& work) {
  {
    std::lock_guard<std::mutex> lock(shared.reorder_mu);
    const uint64_t index = work.batch.index;
    shared.reorder.emplace(index, std::move(work));
    // The worker running the serial end will find this batch when its turn
    // comes: it gives up the role only under this lock, with the next batch
    // in order not parked.
    if (shared.serial_busy) return;
    shared.serial_busy = true;
  }
  while (true) {
    Work ready;
    {
      std::lock_guard<std::mutex> lock(shared.reorder_mu);
      auto it = shared.reorder.find(shared.next_index);
      if (it == shared.reorder.end()) {
        shared.serial_busy = false;
        return;
      }
      ready = std::move(it->second);
      shared.reorder.erase(it);
      ++shared.next_index;
    }
    if (!run_state_->failed()) {
      Status status = Guarded("serial", [&] { return RunSerial(shared, ready); });
      if (!status.ok()) Fail(std::move(status));
    }
    Recycle(std::move(ready));
    tokens_->Release();
  }
}

Status Runner::RunSerial(Shared& shared, Work& work) {
  bool commit_due = false;
  for (size_t s = 0; s < serial_stages_.size(); ++s) {
    INGEST_RETURN_IF_ERROR(CountedProcessBatch(*serial_stages_[s], work,
                                               shared.serial_states[s].get(),
                                               shared.serial_counts[s]));
    commit_due = commit_due || serial_stages_[s]->CommitDue(shared.serial_states[s].get());
  }
  if (commit_due) return CommitPoint(shared.serial_states, /*last=*/false);
  return Status::OK();
}

Status Runner::CountedProcessBatch(const Stage& stage, Work& work, WorkerState* state,
                                   DispositionCounts& counts) {
  work.before.assign(work.dispositions.begin(), work.dispositions.end());
  INGEST_RETURN_IF_ERROR(stage.ProcessBatch(work.batch, work.dispositions, state));
  for (size_t i = 0; i < work.before.size(); ++i) {
    if (work.before[i] == Disposition::kContinue) {
      ++counts[static_cast<size_t>(work.dispositions[i])];
    }
  }
  return Status::OK();
}

Status Runner::CommitPoint(std::vector<std::unique_ptr<WorkerState>>& states,
                           bool last) {
  INGEST_RETURN_IF_ERROR(WaitForCommit());
  CommitParts parts;
  for (size_t s = 0; s < serial_stages_.size(); ++s) {
    INGEST_ASSIGN_OR_RETURN(std::unique_ptr<PendingCommit> part,
                            serial_stages_[s]->DetachCommit(states[s].get()));
    if (part != nullptr) parts.push_back(std::move(part));
  }
  if (parts.empty()) return Status::OK();
  commit_thread_->Post(std::move(parts));
  if (last) return WaitForCommit();
  return Status::OK();
}

Status Runner::WaitForCommit() { return commit_thread_->Wait(); }

Status Runner::Commit(CommitParts& parts) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  std::unique_ptr<StateTransaction> transaction = state_->NewTransaction();
  for (std::unique_ptr<PendingCommit>& part : parts) {
    INGEST_RETURN_IF_ERROR(part->Prepare(transaction.get()));
  }
  TestHook("commit.prepared");
  const Clock::time_point prepared = Clock::now();
  INGEST_RETURN_IF_ERROR(state_->Commit(*transaction));
  TestHook("commit.durable");
  const Clock::time_point durable = Clock::now();
  for (std::unique_ptr<PendingCommit>& part : parts) {
    INGEST_RETURN_IF_ERROR(part->Finish());
  }
  TestHook("commit.finished");
  auto seconds = [](Clock::duration d) { return std::chrono::duration<double>(d).count(); };
  log_->debug("commit point: prepare (seal, fsync) {:.3f} s, state write {:.3f} s, "
              "publish {:.3f} s",
              seconds(prepared - start), seconds(durable - prepared),
              seconds(Clock::now() - durable));
  return Status::OK();
}

Status Runner::Run(ArticleSource& source) {
  TokenPool tokens(options_.batches_in_flight);
  tokens_ = &tokens;
  // One thread for every commit of the run rather than one per commit:
  // RocksDB's memtables are allocated by the thread that writes into them,
  // and with a new thread per commit they landed in whichever malloc arena
  // that thread got, so a run could hold a flushed memtable's pages in one
  // arena while filling the next in another (peak RSS 130-143 MiB instead
  // of ~115 at 400,000 files, in about one run of seven).
  CommitThread commit_thread(
      [this](CommitParts& parts) {
        Status status = Guarded("commit", [&] { return Commit(parts); });
        // Stops the rest of the pipeline now rather than at the next commit.
        if (!status.ok()) Fail(status);
        return status;
      },
      "ingest-commit");
  commit_thread_ = &commit_thread;

  Shared shared(source);
  for (const Stage* stage : serial_stages_) {
    shared.serial_states.push_back(stage->NewWorkerState());
  }
  shared.serial_counts.assign(serial_stages_.size(), DispositionCounts{});
  // No thread of its own for the source and the serial end: handing every
  // batch from a source thread to a worker and on to a serial thread cost
  // two wake-ups per batch, and on 2 cores the woken thread often waited on
  // the waker's core while the other core idled (6% of a run's CPU time).
  std::vector<std::thread> workers;
  for (int i = 0; i < options_.workers; ++i) {
    workers.emplace_back([&] { RunWorker(shared); });
  }
  for (std::thread& worker : workers) worker.join();

  // Every batch went through the serial end: each worker parks what it
  // took, and the last one to park runs the serial end over what is left.
  if (!run_state_->failed()) {
    Status status = Guarded("commit", [&] {
      return CommitPoint(shared.serial_states, /*last=*/true);
    });
    if (!status.ok()) Fail(std::move(status));
  }
  // A failed run still waits for the commit in flight: it may succeed, and
  // what it made durable is then published.
  Status in_flight = WaitForCommit();
  if (!in_flight.ok()) Fail(std::move(in_flight));
  for (size_t s = 0; s < serial_stages_.size(); ++s) {
    run_state_->AddCounts(std::string(serial_stages_[s]->name()), shared.serial_counts[s]);
  }
  tokens.Close();
  tokens_ = nullptr;
  commit_thread_ = nullptr;

  if (run_state_->failed()) return run_state_->status();
  if (shared.stopped) {
    log_->info("run stopped on request after {} files", shared.seq);
    return Status::Cancelled("run: stopped on request");
  }
  return Status::OK();
}

}  // namespace ingest
