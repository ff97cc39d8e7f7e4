// HandoffThread<Job>: runs one job at a time on a helper thread of its own
// while the owner goes on. Post() hands a job over, Wait() waits for it and
// returns its status once. The thread starts with the first job and lives as
// long as the object; a posted job is run (and destroyed, on that thread)
// before Wait() returns, and before the destructor does. One owner thread.
#ifndef INGEST_PIPELINE_HANDOFF_THREAD_H_
#define INGEST_PIPELINE_HANDOFF_THREAD_H_

#include <pthread.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "pipeline/status.h"

namespace ingest {

template <typename Job>
class HandoffThread {
 public:
  using Run = std::function<Status(Job&)>;

  // `thread_name` (at most 15 characters) names the helper in top and perf.
  HandoffThread(Run run, const char* thread_name)
      : run_(std::move(run)), thread_name_(thread_name) {}
  // Runs the job posted last, if it has not run yet, then stops the thread.
  ~HandoffThread() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    posted_.notify_one();
    if (thread_.joinable()) thread_.join();
  }
  HandoffThread(const HandoffThread&) = delete;
  HandoffThread& operator=(const HandoffThread&) = delete;

  // Hands `job` to the thread. The thread is started before the job counts
  // as posted: if starting it throws, Wait() still returns rather than wait
  // for a job nothing runs.
  // REQUIRES: no job in flight (Wait() returned since the last Post).
  void Post(Job job) {
    if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
    {
      std::lock_guard<std::mutex> lock(mu_);
      job_.emplace(std::move(job));
    }
    posted_.notify_one();
  }

  // Waits for the job in flight; its status (OK when there is none, and
  // for every later call until the next Post).
  Status Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [this] { return !job_.has_value(); });
    return std::exchange(status_, Status::OK());
  }

 private:
  void Loop() {
    pthread_setname_np(pthread_self(), thread_name_);
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      posted_.wait(lock, [this] { return job_.has_value() || stopping_; });
      if (!job_.has_value()) return;
      lock.unlock();
      // The owner does not touch job_ while it is posted, so it runs in
      // place; it is destroyed here, on this thread, as what it allocated
      // is (the reason a run keeps one commit thread: see runner.cc).
      Status status = run_(*job_);
      lock.lock();
      job_.reset();
      status_ = std::move(status);
      done_.notify_all();
    }
  }

  const Run run_;
  const char* const thread_name_;
  std::mutex mu_;
  std::condition_variable posted_;
  std::condition_variable done_;
  std::optional<Job> job_;  // GUARDED_BY(mu_): posted and not finished
  Status status_;           // GUARDED_BY(mu_): of the job finished last
  bool stopping_ = false;   // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace ingest

#endif  // INGEST_PIPELINE_HANDOFF_THREAD_H_
