// Prefetcher<Request, Value>: computes values ahead of their use on one
// helper thread, in the order they were requested. Take() hands over a
// result (waiting for it if need be), or says the request was never made,
// so the owner computes it itself. The owner bounds the lookahead by how
// many requests it leaves untaken (pending() counts them). Untaken results
// are dropped with the prefetcher; an exception thrown computing one is
// rethrown by its Take(). Thread-safe; meant for one owner thread (Add and
// the destructor).
#ifndef INGEST_PIPELINE_PREFETCHER_H_
#define INGEST_PIPELINE_PREFETCHER_H_

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

namespace ingest {

template <typename Request, typename Value>
class Prefetcher {
 public:
  using Compute = std::function<Value(const Request&)>;

  // `thread_name` (at most 15 characters) names the helper in top and perf.
  Prefetcher(Compute compute, const char* thread_name)
      : compute_(std::move(compute)), thread_name_(thread_name) {}
  ~Prefetcher() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    queued_.notify_one();
    if (helper_.joinable()) helper_.join();
  }
  Prefetcher(const Prefetcher&) = delete;
  Prefetcher& operator=(const Prefetcher&) = delete;

  // Queues `request` under `key`, which must not be pending already.
  void Add(std::string key, Request request) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto slot = std::make_shared<Slot>();
      slot->key = std::move(key);
      slot->request = std::move(request);
      slots_.push_back(std::move(slot));
    }
    // Started with the first request: a walk with nothing to prefetch
    // never starts a thread.
    if (!helper_.joinable()) helper_ = std::thread([this] { Run(); });
    queued_.notify_one();
  }

  // Requests added and not yet taken.
  size_t pending() const {
    std::lock_guard<std::mutex> lock(mu_);
    return slots_.size();
  }

  // The value computed for `key`, once it is ready; nullopt when `key` is
  // not pending. Other pending requests stay, whatever their place.
  std::optional<Value> Take(const std::string& key) {
    std::unique_lock<std::mutex> lock(mu_);
    auto at = slots_.begin();
    while (at != slots_.end() && (*at)->key != key) ++at;
    if (at == slots_.end()) return std::nullopt;
    std::shared_ptr<Slot> slot = std::move(*at);
    slots_.erase(at);
    if (!slot->started) {
      // Not begun yet: computing it here is no slower than waiting.
      slot->started = true;
      lock.unlock();
      return compute_(slot->request);
    }
    done_.wait(lock, [&] { return slot->value.has_value() || slot->error; });
    // What the computation threw is thrown here, on the owner's thread,
    // where its errors are handled.
    if (slot->error) std::rethrow_exception(slot->error);
    return std::move(slot->value);
  }

 private:
  struct Slot {
    std::string key;
    Request request;
    bool started = false;
    std::optional<Value> value;
    std::exception_ptr error;  // what computing it threw, if it did
  };

  void Run() {
    pthread_setname_np(pthread_self(), thread_name_);
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      std::shared_ptr<Slot> next;
      queued_.wait(lock, [&] {
        if (stopping_) return true;
        for (const std::shared_ptr<Slot>& slot : slots_) {
          if (!slot->started) {
            next = slot;
            return true;
          }
        }
        return false;
      });
      if (stopping_) return;
      next->started = true;
      lock.unlock();
      std::optional<Value> value;
      std::exception_ptr error;
      try {
        value.emplace(compute_(next->request));
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      next->value = std::move(value);
      next->error = error;
      done_.notify_all();
    }
  }

  const Compute compute_;
  const char* const thread_name_;
  mutable std::mutex mu_;
  std::condition_variable queued_;
  std::condition_variable done_;
  std::deque<std::shared_ptr<Slot>> slots_;  // GUARDED_BY(mu_); in request order
  bool stopping_ = false;                    // GUARDED_BY(mu_)
  std::thread helper_;                       // started by the first Add()
};

}  // namespace ingest

#endif  // INGEST_PIPELINE_PREFETCHER_H_
