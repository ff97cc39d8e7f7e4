// Runner: order, determinism, bounded batches, errors and the commit
// protocol, with small stages that record what they see.
#include "pipeline/runner.h"

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include "tests/testing/testing.h"

namespace ingest {
namespace {

std::shared_ptr<spdlog::logger> NullLogger() {
  return std::make_shared<spdlog::logger>(
      "test", std::make_shared<spdlog::sinks::null_sink_mt>());
}

class CountingSource : public ArticleSource {
 public:
  explicit CountingSource(uint64_t count, int fail_at = -1)
      : count_(count), fail_at_(fail_at) {}
  Result<bool> Next(Article* article) override {
    if (static_cast<int64_t>(next_) == fail_at_) {
      return Status::IOError("source: listing failed");
    }
    if (next_ == count_) return false;
    article->source = std::to_string(next_++);
    if (on_article) on_article();
    return true;
  }
  // Called inside Next() for every article handed out.
  std::function<void()> on_article;

 private:
  uint64_t count_;
  int64_t fail_at_;
  uint64_t next_ = 0;
};

// Parallel: sleeps a little on some articles so workers finish out of order;
// rejects every seventh.
class JitterStage : public Stage {
 public:
  std::string_view name() const override { return "jitter"; }
  Concurrency concurrency() const override { return Concurrency::kParallel; }
  Result<Disposition> Process(Article& article, WorkerState*) const override {
    if (article.seq % 97 == 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(300));
    }
    if (article.seq % 7 == 3) return Disposition::kRejected;
    article.text = "seen:" + article.source;
    return Disposition::kContinue;
  }
};

class ThrowingStage : public Stage {
 public:
  std::string_view name() const override { return "throw"; }
  Concurrency concurrency() const override { return Concurrency::kParallel; }
  Result<Disposition> Process(Article& article, WorkerState*) const override {
    if (article.seq == 1000) throw std::runtime_error("boom");
    return Disposition::kContinue;
  }
};

// Serial: records the order of every article it is given, dropped or not.
class RecordingStage : public Stage {
 public:
  std::string_view name() const override { return "record"; }
  Concurrency concurrency() const override {
    return Concurrency::kSerialInOrder;
  }
  Result<Disposition> Process(Article&, WorkerState*) const override {
    return Disposition::kContinue;
  }
  Status ProcessBatch(Batch& batch, std::vector<Disposition>& dispositions,
                      WorkerState*) const override {
    for (size_t i = 0; i < batch.articles.size(); ++i) {
      seen.push_back(batch.articles[i].seq);
      passed.push_back(dispositions[i] == Disposition::kContinue);
      if (fail_at >= 0 && batch.articles[i].seq == static_cast<uint64_t>(fail_at)) {
        return Status::IOError("record: disk full");
      }
    }
    ++batches_since_commit;
    return Status::OK();
  }
  bool CommitDue(WorkerState*) const override {
    return batches_since_commit >= 3;
  }
  // The commit writes how many articles were seen when it was detached.
  class SeenCommit : public PendingCommit {
   public:
    SeenCommit(size_t seen, int* finished_commits)
        : seen_(seen), finished_commits_(finished_commits) {}
    Status Prepare(StateTransaction* transaction) override {
      transaction->Put("seen", std::to_string(seen_));
      return Status::OK();
    }
    Status Finish() override {
      ++*finished_commits_;
      return Status::OK();
    }

   private:
    const size_t seen_;
    int* const finished_commits_;
  };
  Result<std::unique_ptr<PendingCommit>> DetachCommit(WorkerState*) const override {
    batches_since_commit = 0;
    return std::unique_ptr<PendingCommit>(
        std::make_unique<SeenCommit>(seen.size(), &finished_commits));
  }

  mutable std::vector<uint64_t> seen;
  mutable std::vector<bool> passed;
  mutable int batches_since_commit = 0;
  mutable int finished_commits = 0;
  int64_t fail_at = -1;
};

// Serial: hands every batch to `on_batch`, and nothing else.
class BatchProbeStage : public Stage {
 public:
  std::string_view name() const override { return "probe"; }
  Concurrency concurrency() const override { return Concurrency::kSerialInOrder; }
  Result<Disposition> Process(Article&, WorkerState*) const override {
    return Disposition::kContinue;
  }
  Status ProcessBatch(Batch& batch, std::vector<Disposition>&, WorkerState*) const override {
    on_batch(batch);
    return Status::OK();
  }
  std::function<void(const Batch&)> on_batch;
};

class MemoryState : public DurableState {
 public:
  class Transaction : public StateTransaction {
   public:
    void Put(std::string_view key, std::string_view value) override {
      puts.emplace_back(key, value);
    }
    void Delete(std::string_view) override {}
    std::vector<std::pair<std::string, std::string>> puts;
  };
  std::unique_ptr<StateTransaction> NewTransaction() override {
    return std::make_unique<Transaction>();
  }
  Status Commit(StateTransaction& transaction) override {
    commit_threads.insert(syscall(SYS_gettid));
    if (++attempts == fail_at_attempt) return Status::IOError("state: no space left");
    for (auto& [key, value] : static_cast<Transaction&>(transaction).puts) {
      committed[key] = value;
    }
    ++commits;
    return Status::OK();
  }
  std::map<std::string, std::string> committed;
  int commits = 0;
  int attempts = 0;
  int fail_at_attempt = -1;  // this attempt (1 = the first) fails
  std::set<long> commit_threads;  // kernel thread ids: never reused within a test
};

// A runner over an in-memory state: each test sets the options it is about
// and reads the state and counts back after Run().
struct Harness {
  MemoryState state;
  RunState run_state;
  std::shared_ptr<spdlog::logger> log = NullLogger();
  RunnerOptions options;
  Status Run(std::vector<const Stage*> stages, ArticleSource& source) {
    Runner runner(std::move(stages), &state, options, &run_state, log.get());
    return runner.Run(source);
  }
};

struct RunOutcome {
  Status status;
  std::vector<uint64_t> seen;
  std::vector<bool> passed;
  int commits = 0;
  int commit_attempts = 0;
  std::set<long> commit_threads;
  std::string last_committed;
};

RunOutcome RunWith(int workers, uint64_t count, size_t batch_size,
                   int64_t serial_fail_at = -1, int source_fail_at = -1,
                   int commit_fail_at = -1) {
  JitterStage jitter;
  RecordingStage record;
  record.fail_at = serial_fail_at;
  Harness harness;
  harness.state.fail_at_attempt = commit_fail_at;
  harness.options.workers = workers;
  harness.options.batch_size = batch_size;
  CountingSource source(count, source_fail_at);
  RunOutcome outcome;
  outcome.status = harness.Run({&jitter, &record}, source);
  outcome.seen = record.seen;
  outcome.passed = record.passed;
  outcome.commits = harness.state.commits;
  outcome.commit_attempts = harness.state.attempts;
  outcome.commit_threads = harness.state.commit_threads;
  outcome.last_committed = harness.state.committed["seen"];
  return outcome;
}

// Parallel, whole batches: rejects every fifth of the articles still going,
// and marks those it passes so the next stage can check it came first.
class WholeBatchStage : public Stage {
 public:
  std::string_view name() const override { return "whole"; }
  Concurrency concurrency() const override { return Concurrency::kParallel; }
  bool WholeBatches() const override { return true; }
  Result<Disposition> Process(Article&, WorkerState*) const override {
    return Status::Internal("whole: Process() called instead of ProcessBatch()");
  }
  Status ProcessBatch(Batch& batch, std::vector<Disposition>& dispositions,
                      WorkerState*) const override {
    for (size_t i = 0; i < batch.articles.size(); ++i) {
      if (dispositions[i] != Disposition::kContinue) continue;
      Article& article = batch.articles[i];
      if (article.text != "seen:" + article.source) {
        return Status::Internal("whole: an article the stage before did not see");
      }
      if (article.seq % 5 == 1) {
        dispositions[i] = Disposition::kRejected;
      } else {
        article.text += "+whole";
      }
    }
    return Status::OK();
  }
};

// Parallel, article by article, after the whole-batch stage.
class AfterWholeStage : public Stage {
 public:
  std::string_view name() const override { return "after"; }
  Concurrency concurrency() const override { return Concurrency::kParallel; }
  Result<Disposition> Process(Article& article, WorkerState*) const override {
    if (article.text != "seen:" + article.source + "+whole") {
      return Status::Internal("after: an article the whole-batch stage did not pass");
    }
    return Disposition::kContinue;
  }
};

TEST(RunnerTest, AWholeBatchStageSitsBetweenArticleByArticlePasses) {
  JitterStage jitter;
  WholeBatchStage whole;
  AfterWholeStage after;
  RecordingStage record;
  Harness harness;
  harness.options.workers = 3;
  harness.options.batch_size = 16;
  constexpr uint64_t kCount = 1000;
  CountingSource source(kCount);
  ASSERT_OK(harness.Run({&jitter, &whole, &after, &record}, source));

  uint64_t after_jitter = 0, rejected_by_whole = 0;
  for (uint64_t seq = 0; seq < kCount; ++seq) {
    if (seq % 7 == 3) continue;
    ++after_jitter;
    if (seq % 5 == 1) ++rejected_by_whole;
  }
  const auto counts = harness.run_state.counts();
  const auto count = [&](const char* stage, Disposition disposition) {
    return counts.at(stage)[static_cast<size_t>(disposition)];
  };
  EXPECT_EQ(count("whole", Disposition::kContinue), after_jitter - rejected_by_whole);
  EXPECT_EQ(count("whole", Disposition::kRejected), rejected_by_whole);
  EXPECT_EQ(count("after", Disposition::kContinue), after_jitter - rejected_by_whole);
  ASSERT_EQ(record.passed.size(), kCount);
  for (uint64_t seq = 0; seq < kCount; ++seq) {
    EXPECT_EQ(record.passed[seq], seq % 7 != 3 && seq % 5 != 1) << seq;
  }
}

TEST(RunnerTest, SerialStagesSeeEveryArticleInInputOrder) {
  RunOutcome outcome = RunWith(4, 5000, 16);
  ASSERT_OK(outcome.status);
  ASSERT_EQ(outcome.seen.size(), 5000u);
  for (uint64_t i = 0; i < outcome.seen.size(); ++i) {
    ASSERT_EQ(outcome.seen[i], i);
    EXPECT_EQ(outcome.passed[i], i % 7 != 3) << "article " << i;
  }
}

TEST(RunnerTest, OutputIsIdenticalForEveryWorkerCount) {
  RunOutcome one = RunWith(1, 3000, 8);
  RunOutcome four = RunWith(4, 3000, 8);
  RunOutcome seven = RunWith(7, 3000, 3);
  ASSERT_OK(one.status);
  EXPECT_EQ(one.seen, four.seen);
  EXPECT_EQ(one.passed, four.passed);
  EXPECT_EQ(one.seen, seven.seen);
}

TEST(RunnerTest, CommitsWhenAStageAsksAndOnceAtTheEnd) {
  RunOutcome outcome = RunWith(2, 100, 10);  // 10 batches
  ASSERT_OK(outcome.status);
  EXPECT_EQ(outcome.commits, 4);  // after batches 3, 6, 9 and at the end
  EXPECT_EQ(outcome.last_committed, "100");
}

// One thread makes every commit durable, not a new one per commit (the
// state's memtables are allocated by the thread that writes them), and it
// is not the caller's.
TEST(RunnerTest, EveryCommitOfARunIsMadeOnOneThreadBesideTheCaller) {
  RunOutcome outcome = RunWith(2, 100, 10);
  ASSERT_OK(outcome.status);
  EXPECT_EQ(outcome.commits, 4);
  ASSERT_EQ(outcome.commit_threads.size(), 1u);
  EXPECT_NE(*outcome.commit_threads.begin(), syscall(SYS_gettid));
}

TEST(RunnerTest, AFailedCommitFailsTheRunAndNoLaterCommitStarts) {
  // Commit points after batches 3, 6, 9 and at the end; the second fails.
  RunOutcome outcome = RunWith(2, 100, 10, -1, -1, /*commit_fail_at=*/2);
  EXPECT_EQ(outcome.status.code(), StatusCode::kIOError);
  EXPECT_EQ(outcome.status.message(), "state: no space left");
  EXPECT_EQ(outcome.commit_attempts, 2);
  EXPECT_EQ(outcome.commits, 1);
  EXPECT_EQ(outcome.last_committed, "30");
}

TEST(RunnerTest, EmptyInputFinishesWithOneEmptyCommit) {
  RunOutcome outcome = RunWith(2, 0, 10);
  ASSERT_OK(outcome.status);
  EXPECT_TRUE(outcome.seen.empty());
  EXPECT_EQ(outcome.commits, 1);
}

TEST(RunnerTest, SerialStageErrorFailsTheRunWithoutAFinalCommit) {
  RunOutcome outcome = RunWith(3, 1000, 10, /*serial_fail_at=*/55);
  EXPECT_EQ(outcome.status.code(), StatusCode::kIOError);
  EXPECT_EQ(outcome.status.message(), "record: disk full");
  // Batches 0-2 were committed at the commit point; nothing after it.
  EXPECT_EQ(outcome.commits, 1);
  EXPECT_EQ(outcome.last_committed, "30");
}

TEST(RunnerTest, SourceErrorFailsTheRun) {
  RunOutcome outcome = RunWith(2, 1000, 10, -1, /*source_fail_at=*/500);
  EXPECT_EQ(outcome.status.code(), StatusCode::kIOError);
  EXPECT_EQ(outcome.status.message(), "source: listing failed");
  EXPECT_LT(outcome.seen.size(), 500u);
}

TEST(RunnerTest, ExceptionInAStageBecomesInternalError) {
  ThrowingStage thrower;
  RecordingStage record;
  Harness harness;
  harness.options.workers = 2;
  CountingSource source(5000);
  Status status = harness.Run({&thrower, &record}, source);
  EXPECT_EQ(status.code(), StatusCode::kInternal);
  EXPECT_NE(status.message().find("boom"), std::string::npos) << status.message();
}

TEST(RunnerTest, RequestedStopFinishesInFlightWorkAndCommits) {
  JitterStage jitter;
  RecordingStage record;
  Harness harness;
  harness.options.workers = 2;
  harness.options.batch_size = 4;
  harness.run_state.RequestStop();
  CountingSource source(1000000);
  Status status = harness.Run({&jitter, &record}, source);
  EXPECT_EQ(status.code(), StatusCode::kCancelled);
  EXPECT_EQ(record.seen.size(), 0u);
  EXPECT_EQ(harness.state.commits, 1);
}

// The source and the serial end have no thread of their own: the workers
// take turns at them, so each must still be entered by one thread at a time.
// Both widen the window for an overlap by sleeping inside.
TEST(RunnerTest, SourceAndSerialEndAreEachRunByOneWorkerAtATime) {
  struct Exclusive {
    std::atomic<int> inside{0};
    std::atomic<bool> overlapped{false};
    std::mutex mu;
    std::set<std::thread::id> threads;  // GUARDED_BY(mu)
    void Enter() {
      if (inside.fetch_add(1) != 0) overlapped = true;
      {
        std::lock_guard<std::mutex> lock(mu);
        threads.insert(std::this_thread::get_id());
      }
      std::this_thread::sleep_for(std::chrono::microseconds(20));
      inside.fetch_sub(1);
    }
  };
  Exclusive at_source, at_serial;
  CountingSource source(3000);
  source.on_article = [&] { at_source.Enter(); };
  uint64_t seen = 0;
  BatchProbeStage serial;
  serial.on_batch = [&](const Batch& batch) {
    at_serial.Enter();
    seen += batch.articles.size();
  };
  JitterStage jitter;
  Harness harness;
  harness.options.workers = 4;
  harness.options.batch_size = 5;
  ASSERT_OK(harness.Run({&jitter, &serial}, source));
  EXPECT_EQ(seen, 3000u);
  EXPECT_FALSE(at_source.overlapped) << "two threads in the source at once";
  EXPECT_FALSE(at_serial.overlapped) << "two threads in the serial end at once";
  // Run by the workers, not by the caller: more than one thread took each turn.
  EXPECT_GT(at_source.threads.size(), 1u);
  EXPECT_GT(at_serial.threads.size(), 1u);
  EXPECT_EQ(at_source.threads.count(std::this_thread::get_id()), 0u);
  EXPECT_EQ(at_serial.threads.count(std::this_thread::get_id()), 0u);
}

// A source that counts how many batches exist at once (taken but not yet
// through the serial stage) cannot see more than batches_in_flight.
TEST(RunnerTest, BatchesInFlightStayBounded) {
  std::atomic<int64_t> produced{0};
  CountingSource source(20000);
  source.on_article = [&] { ++produced; };
  int64_t consumed = 0;
  int64_t max_gap = 0;
  BatchProbeStage slow;
  slow.on_batch = [&](const Batch& batch) {
    consumed += static_cast<int64_t>(batch.articles.size());
    max_gap = std::max(max_gap, produced.load() - consumed);
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  };
  JitterStage jitter;
  Harness harness;
  harness.options.workers = 2;
  harness.options.batch_size = 10;
  harness.options.batches_in_flight = 4;
  ASSERT_OK(harness.Run({&jitter, &slow}, source));
  // At most 4 batches of 10 taken and not yet consumed, plus the one the
  // source is filling.
  EXPECT_LE(max_gap, 50);
  EXPECT_GT(max_gap, 20);  // the bound was reached, so it was tested
}

}  // namespace
}  // namespace ingest
