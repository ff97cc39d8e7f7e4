#include "pipeline/runner.h"

#include <pthread.h>

#include <chrono>
#include <condition_variable>
#include <exception>
#include <utility>
#include <map>
#include <mutex>
#include <thread>

#include "pipeline/bounded_queue.h"
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

void Runner::RunWorker(BoundedQueue<Work>& in, BoundedQueue<Work>& out) {
  pthread_setname_np(pthread_self(), "ingest-worker");
  std::vector<std::unique_ptr<WorkerState>> states;
  for (const Stage* stage : parallel_stages_) {
    states.push_back(stage->NewWorkerState());
  }
  std::vector<DispositionCounts> counts(parallel_stages_.size(),
                                        DispositionCounts{});
  std::vector<Disposition> before;  // a whole-batch stage's input, for counts
  Work work;
  while (in.Pop(&work)) {
    if (run_state_->failed()) continue;  // drain without working
    Status status = Guarded("worker", [&]() -> Status {
      // Article by article through the parallel stages, so each article's
      // bytes stay hot in this core's cache; a stage that takes whole
      // batches gets the batch between such passes.
      std::vector<Disposition>& dispositions = work.dispositions;
      size_t first = 0;
      while (first < parallel_stages_.size()) {
        const Stage* stage = parallel_stages_[first];
        if (stage->WholeBatches()) {
          before.assign(dispositions.begin(), dispositions.end());
          INGEST_RETURN_IF_ERROR(stage->ProcessBatch(work.batch, dispositions,
                                                     states[first].get()));
          for (size_t i = 0; i < dispositions.size(); ++i) {
            if (before[i] == Disposition::kContinue) {
              ++counts[first][static_cast<size_t>(dispositions[i])];
            }
          }
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
            Result<Disposition> result =
                parallel_stages_[s]->Process(article, states[s].get());
            if (!result.ok()) return result.status();
            disposition = *result;
            ++counts[s][static_cast<size_t>(disposition)];
          }
        }
        first = last;
      }
      return Status::OK();
    });
    if (!status.ok()) {
      Fail(std::move(status));
      continue;
    }
    if (!out.Push(work)) break;
  }
  for (size_t s = 0; s < parallel_stages_.size(); ++s) {
    run_state_->AddCounts(std::string(parallel_stages_[s]->name()), counts[s]);
  }
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

void Runner::RunSerial(BoundedQueue<Work>& in) {
  pthread_setname_np(pthread_self(), "ingest-serial");
  TokenPool& tokens = *tokens_;
  std::vector<std::unique_ptr<WorkerState>> states;
  for (const Stage* stage : serial_stages_) {
    states.push_back(stage->NewWorkerState());
  }
  std::vector<DispositionCounts> counts(serial_stages_.size(),
                                        DispositionCounts{});
  std::map<uint64_t, Work> reorder;  // at most batches_in_flight entries
  uint64_t next_index = 0;
  Work work;
  while (in.Pop(&work)) {
    if (run_state_->failed()) {
      tokens.Release();
      continue;
    }
    uint64_t index = work.batch.index;
    reorder.emplace(index, std::move(work));
    for (auto it = reorder.find(next_index); it != reorder.end();
         it = reorder.find(next_index)) {
      Work& ready = it->second;
      Status status = Guarded("serial", [&]() -> Status {
        bool commit_due = false;
        for (size_t s = 0; s < serial_stages_.size(); ++s) {
          std::vector<Disposition> before = ready.dispositions;
          INGEST_RETURN_IF_ERROR(serial_stages_[s]->ProcessBatch(
              ready.batch, ready.dispositions, states[s].get()));
          for (size_t i = 0; i < before.size(); ++i) {
            if (before[i] == Disposition::kContinue) {
              ++counts[s][static_cast<size_t>(ready.dispositions[i])];
            }
          }
          commit_due = commit_due || serial_stages_[s]->CommitDue(states[s].get());
        }
        if (commit_due) return CommitPoint(states, /*last=*/false);
        return Status::OK();
      });
      Recycle(std::move(ready));
      reorder.erase(it);
      ++next_index;
      tokens.Release();
      if (!status.ok()) {
        Fail(std::move(status));
        break;
      }
    }
  }
  if (!run_state_->failed()) {
    Status status = Guarded("commit", [&] { return CommitPoint(states, /*last=*/true); });
    if (!status.ok()) Fail(std::move(status));
  }
  // A failed run still waits for the commit in flight: it may succeed, and
  // what it made durable is then published.
  Status in_flight = WaitForCommit();
  if (!in_flight.ok()) Fail(std::move(in_flight));
  for (size_t s = 0; s < serial_stages_.size(); ++s) {
    run_state_->AddCounts(std::string(serial_stages_[s]->name()), counts[s]);
  }
}

Status Runner::Run(ArticleSource& source) {
  BoundedQueue<Work> to_workers(options_.batches_in_flight);
  BoundedQueue<Work> to_serial(options_.batches_in_flight);
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

  std::vector<std::thread> workers;
  for (int i = 0; i < options_.workers; ++i) {
    workers.emplace_back([&] { RunWorker(to_workers, to_serial); });
  }
  std::thread serial([&] { RunSerial(to_serial); });

  uint64_t seq = 0;
  uint64_t batch_index = 0;
  bool stopped = false;
  bool more = true;
  while (more && !run_state_->failed()) {
    if (run_state_->stop_requested()) {
      stopped = true;
      break;
    }
    if (!tokens.Acquire()) break;
    Work work = Reuse();
    work.batch.index = batch_index;
    std::vector<Article>& articles = work.batch.articles;
    size_t filled = 0;
    while (filled < options_.batch_size) {
      if (filled == articles.size()) articles.emplace_back();
      Article& article = articles[filled];
      article.Reset();
      Status status = Guarded("source", [&]() -> Status {
        Result<bool> next = source.Next(&article);
        if (!next.ok()) return next.status();
        more = *next;
        return Status::OK();
      });
      if (!status.ok()) {
        Fail(std::move(status));
        more = false;
        break;
      }
      if (!more) break;
      article.seq = seq++;
      ++filled;
    }
    articles.resize(filled);
    if (articles.empty() || run_state_->failed()) {
      tokens.Release();
      break;
    }
    work.dispositions.assign(work.batch.articles.size(),
                             Disposition::kContinue);
    ++batch_index;
    if (!to_workers.Push(work)) break;
  }
  to_workers.Close();
  for (std::thread& worker : workers) worker.join();
  to_serial.Close();
  serial.join();
  tokens.Close();
  tokens_ = nullptr;
  commit_thread_ = nullptr;

  if (run_state_->failed()) return run_state_->status();
  if (stopped) {
    log_->info("run stopped on request after {} files", seq);
    return Status::Cancelled("run: stopped on request");
  }
  return Status::OK();
}

}  // namespace ingest
