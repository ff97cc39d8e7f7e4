// Prefetcher: work runs ahead on the helper thread, in request order, and
// each result is handed over once.
#include "pipeline/prefetcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <iterator>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace ingest {
namespace {

struct Recorder {
  std::mutex mu;
  std::vector<int> computed;      // in the order the helper ran them
  std::vector<bool> on_caller;    // whether each ran on the caller's thread
  std::thread::id caller = std::this_thread::get_id();
};

TEST(PrefetcherTest, ComputesAheadInRequestOrderOnItsOwnThread) {
  Recorder recorder;
  std::atomic<int> started{0};
  Prefetcher<int, std::string> prefetcher(
      [&](const int& request) {
        ++started;
        std::lock_guard<std::mutex> lock(recorder.mu);
        recorder.computed.push_back(request);
        recorder.on_caller.push_back(std::this_thread::get_id() == recorder.caller);
        return "value " + std::to_string(request);
      },
      "test-prefetch");
  for (int i = 0; i < 5; ++i) prefetcher.Add("key" + std::to_string(i), i);
  EXPECT_EQ(prefetcher.pending(), 5u);
  // All five run before anything is taken: the work is done ahead.
  for (int spins = 0; started < 5 && spins < 500; ++spins) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_EQ(started, 5);
  // Taken out of order: each is found by its key, the rest stay pending.
  EXPECT_EQ(prefetcher.Take("key3"), "value 3");
  EXPECT_EQ(prefetcher.Take("key0"), "value 0");
  EXPECT_EQ(prefetcher.pending(), 3u);
  EXPECT_EQ(prefetcher.Take("key3"), std::nullopt) << "a result is handed over once";
  EXPECT_EQ(prefetcher.Take("never requested"), std::nullopt);
  EXPECT_EQ(prefetcher.Take("key1"), "value 1");
  std::lock_guard<std::mutex> lock(recorder.mu);
  EXPECT_EQ(recorder.computed, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(recorder.on_caller, std::vector<bool>(5, false));
}

TEST(PrefetcherTest, TakeWaitsForTheRunningOneAndComputesAnUnstartedOneItself) {
  std::mutex gate;
  gate.lock();  // holds the helper inside the first request
  std::atomic<bool> first_running{false};
  std::atomic<int> on_caller{0};
  const std::thread::id caller = std::this_thread::get_id();
  Prefetcher<int, int> prefetcher(
      [&](const int& request) {
        if (std::this_thread::get_id() == caller) ++on_caller;
        if (request == 1) {
          first_running = true;
          std::lock_guard<std::mutex> wait_for_gate(gate);
        }
        return request * 10;
      },
      "test-prefetch");
  prefetcher.Add("one", 1);
  prefetcher.Add("two", 2);
  while (!first_running) std::this_thread::yield();
  // "two" has not started (the helper is busy with "one"): taking it
  // computes it here rather than waiting behind "one".
  EXPECT_EQ(prefetcher.Take("two"), 20);
  EXPECT_EQ(on_caller, 1);
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    gate.unlock();
  });
  EXPECT_EQ(prefetcher.Take("one"), 10);  // waited for the helper
  release.join();
  EXPECT_EQ(on_caller, 1);
}

TEST(PrefetcherTest, DestroyingItWithUntakenWorkNeitherHangsNorLeaks) {
  std::atomic<int> computed{0};
  {
    Prefetcher<int, std::vector<char>> prefetcher(
        [&](const int&) {
          ++computed;
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
          return std::vector<char>(1 << 16);
        },
        "test-prefetch");
    for (int i = 0; i < 200; ++i) prefetcher.Add(std::to_string(i), i);
    std::this_thread::sleep_for(std::chrono::milliseconds(12));
  }
  // Stopped after the request in progress, not after all 200 (a second).
  EXPECT_LT(computed, 200);
}

TEST(PrefetcherTest, AnExceptionOnTheHelperIsThrownByTake) {
  std::atomic<int> done{0};
  Prefetcher<int, int> prefetcher(
      [&](const int& request) {
        ++done;
        if (request == 1) throw std::runtime_error("listing failed");
        return request;
      },
      "test-prefetch");
  prefetcher.Add("one", 1);
  prefetcher.Add("two", 2);
  while (done < 2) std::this_thread::yield();  // both ran on the helper
  EXPECT_EQ(prefetcher.Take("two"), 2);
  EXPECT_THROW(prefetcher.Take("one"), std::runtime_error);
  EXPECT_EQ(prefetcher.pending(), 0u);
}

size_t ThreadsOfThisProcess() {
  return static_cast<size_t>(std::distance(std::filesystem::directory_iterator("/proc/self/task"),
                                           std::filesystem::directory_iterator()));
}

TEST(PrefetcherTest, NoRequestStartsNoThread) {
  const size_t before = ThreadsOfThisProcess();
  bool called = false;
  Prefetcher<int, int> prefetcher(
      [&](const int&) {
        called = true;
        return 0;
      },
      "test-prefetch");
  EXPECT_EQ(prefetcher.Take("x"), std::nullopt);
  EXPECT_EQ(prefetcher.pending(), 0u);
  EXPECT_FALSE(called);
  EXPECT_EQ(ThreadsOfThisProcess(), before);
  prefetcher.Add("x", 1);
  EXPECT_EQ(ThreadsOfThisProcess(), before + 1);
  EXPECT_EQ(prefetcher.Take("x"), 0);
}

}  // namespace
}  // namespace ingest
