// HandoffThread: each posted job runs on the one helper thread while the
// owner goes on; Wait() hands its status over once; a posted job is run and
// destroyed on the helper, also when the object goes away without a Wait().
#include "pipeline/handoff_thread.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace ingest {
namespace {

TEST(HandoffThreadTest, RunsEveryJobOnOneThreadOfItsOwnWhileTheOwnerGoesOn) {
  std::vector<int> ran;
  std::vector<std::thread::id> threads;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  HandoffThread<int> handoff(
      [&](int& job) {
        if (job == 0) released.wait();  // the first job waits for the owner
        ran.push_back(job);
        threads.push_back(std::this_thread::get_id());
        return Status::OK();
      },
      "test-handoff");
  // Post returns while the job cannot finish: only the owner can release it.
  handoff.Post(0);
  release.set_value();
  ASSERT_TRUE(handoff.Wait().ok());
  for (int job = 1; job < 4; ++job) {
    handoff.Post(job);
    ASSERT_TRUE(handoff.Wait().ok());
  }
  EXPECT_EQ(ran, (std::vector<int>{0, 1, 2, 3}));
  ASSERT_EQ(threads.size(), 4u);
  EXPECT_NE(threads[0], std::this_thread::get_id());
  for (const std::thread::id& thread : threads) EXPECT_EQ(thread, threads[0]);
}

TEST(HandoffThreadTest, WaitReturnsAJobsStatusOnceThenOk) {
  HandoffThread<int> handoff(
      [](int& job) {
        return job < 0 ? Status::IOError("write failed: /some/file") : Status::OK();
      },
      "test-handoff");
  EXPECT_TRUE(handoff.Wait().ok()) << "nothing posted yet";
  handoff.Post(-1);
  Status failed = handoff.Wait();
  EXPECT_FALSE(failed.ok());
  EXPECT_NE(failed.ToString().find("write failed"), std::string::npos) << failed.ToString();
  EXPECT_TRUE(handoff.Wait().ok()) << "a status is handed over once";
  handoff.Post(1);
  EXPECT_TRUE(handoff.Wait().ok());
}

TEST(HandoffThreadTest, TheDestructorRunsAPostedJobBeforeItReturns) {
  bool ran = false;
  {
    HandoffThread<int> handoff(
        [&](int&) {
          // Long enough that a destructor which does not wait would return first.
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
          ran = true;
          return Status::OK();
        },
        "test-handoff");
    handoff.Post(7);
  }
  EXPECT_TRUE(ran);
}

// Records the thread a job is destroyed on.
struct Destruction {
  std::mutex mu;
  std::vector<std::thread::id> threads;
};
struct TrackedJob {
  struct Tracker {
    Destruction* destruction;
    ~Tracker() {
      std::lock_guard<std::mutex> lock(destruction->mu);
      destruction->threads.push_back(std::this_thread::get_id());
    }
  };
  std::unique_ptr<Tracker> tracker;  // moved-from jobs hold none
};

TEST(HandoffThreadTest, AJobIsDestroyedOnTheHelperBeforeWaitReturns) {
  Destruction destruction;
  std::thread::id helper;
  HandoffThread<TrackedJob> handoff(
      [&](TrackedJob&) {
        helper = std::this_thread::get_id();
        return Status::OK();
      },
      "test-handoff");
  handoff.Post(TrackedJob{std::unique_ptr<TrackedJob::Tracker>(new TrackedJob::Tracker{&destruction})});
  ASSERT_TRUE(handoff.Wait().ok());
  std::lock_guard<std::mutex> lock(destruction.mu);
  ASSERT_EQ(destruction.threads.size(), 1u) << "destroyed once, and before Wait() returned";
  EXPECT_EQ(destruction.threads[0], helper);
  EXPECT_NE(destruction.threads[0], std::this_thread::get_id());
}

TEST(HandoffThreadTest, AnObjectNeverPostedToStartsNoThreadAndStopsAtOnce) {
  bool ran = false;
  {
    HandoffThread<int> handoff(
        [&](int&) {
          ran = true;
          return Status::OK();
        },
        "test-handoff");
    EXPECT_TRUE(handoff.Wait().ok());
  }
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace ingest
