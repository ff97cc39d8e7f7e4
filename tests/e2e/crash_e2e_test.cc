// Exactly-once under SIGKILL (doc/commit_protocol.md): a real run is killed
// at every window of the commit protocol (through CRAWL_INGEST_TEST_HOOK)
// and at random instants, then re-run to completion; across all runs every
// article is emitted exactly once and every quarantine and duplicate record
// written exactly once, as the generator's oracle says. Also SIGINT/SIGTERM.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include "tests/testing/process.h"
#include "tests/testing/testing.h"

namespace ingest::test {
namespace {

namespace fs = std::filesystem;

struct Scenario {
  std::string name;
  std::vector<std::string> hooks;  // one per killed run, in order
  int kill_after_ms = -1;          // or: SIGKILL from outside after a delay
};

std::ostream& operator<<(std::ostream& os, const Scenario& scenario) {
  return os << scenario.name;
}

class CrashTest : public ::testing::TestWithParam<Scenario> {
 protected:
  static void SetUpTestSuite() {
    corpus_ = new TempDir();
    ProcessResult generated = RunProcess(
        {"python3", SourceDir() + "/tools/gen_corpus.py", "--out", corpus_->Join("dump"),
         "--mix", "--valid", "1500", "--size", "1500", "--seed", "11", "--manifest",
         corpus_->Join("dump.manifest.json")});
    ASSERT_EQ(generated.exit_code, 0) << generated.err;
  }
  static void TearDownTestSuite() {
    delete corpus_;
    corpus_ = nullptr;
  }

  std::vector<std::string> RunArgs() {
    return Binary({"run", "--max-file-size", "100000", "--chunk-records", "16",
                   "--threads", "2", "--state", work_.Join("state"), "--out",
                   work_.Join("out"), "dump"});
  }

  ProcessResult Run(const std::string& hook) {
    ProcessOptions options{corpus_->path(), {}};
    if (!hook.empty()) options.environment["CRAWL_INGEST_TEST_HOOK"] = hook;
    return RunProcess(RunArgs(), options);
  }

  void ResumeAndCheck() {
    ProcessResult resumed = Run("");
    ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
    ProcessResult check = RunProcess(
        {"python3", SourceDir() + "/tests/e2e/check_run.py", "--manifest",
         corpus_->Join("dump.manifest.json"), "--prefix", "dump/", "--out",
         work_.Join("out"), "--no-summary"});
    EXPECT_EQ(check.exit_code, 0) << check.err;
  }

  static TempDir* corpus_;
  TempDir work_;
};

TempDir* CrashTest::corpus_ = nullptr;

TEST_P(CrashTest, KilledRunsResumeToExactlyOnceOutput) {
  const Scenario& scenario = GetParam();
  for (const std::string& hook : scenario.hooks) {
    ProcessResult killed = Run(hook);
    ASSERT_EQ(killed.signal, SIGKILL)
        << "the run never reached " << hook << "; exit " << killed.exit_code << "\n"
        << killed.err;
  }
  if (scenario.kill_after_ms >= 0) {
    ProcessOptions options{corpus_->path(), {}};
    ChildProcess child(RunArgs(), options);
    std::this_thread::sleep_for(std::chrono::milliseconds(scenario.kill_after_ms));
    kill(child.pid(), SIGKILL);
    child.Wait();  // killed, or finished first: both must resume cleanly
  }
  ResumeAndCheck();
}

std::vector<Scenario> Scenarios() {
  std::vector<Scenario> scenarios;
  // Every window of a commit point, early and late in the run.
  for (const char* point : {"commit.prepared", "commit.durable", "commit.finished"}) {
    for (int arrival : {1, 2, 7, 40}) {
      std::string name = point;
      name[name.find('.')] = '_';
      scenarios.push_back({name + "_" + std::to_string(arrival),
                           {std::string(point) + "#" + std::to_string(arrival) + ":kill"}});
    }
  }
  scenarios.push_back({"run_locked", {"run.locked:kill"}});
  // Killed again while recovering the chunks the first kill left committed.
  scenarios.push_back({"recovery_after_durable",
                       {"commit.durable#5:kill", "recover.renamed#1:kill"}});
  // Killed three times in a row at different points.
  scenarios.push_back({"three_kills",
                       {"commit.prepared#3:kill", "commit.durable#2:kill",
                        "commit.finished#4:kill"}});
  // Random instants, from outside the process.
  std::mt19937 random(20261128);
  for (int i = 0; i < 8; ++i) {
    int delay = static_cast<int>(random() % 250) + 5;
    scenarios.push_back({"random_" + std::to_string(delay) + "ms", {}, delay});
  }
  return scenarios;
}

INSTANTIATE_TEST_SUITE_P(CommitWindows, CrashTest, ::testing::ValuesIn(Scenarios()),
                         [](const ::testing::TestParamInfo<Scenario>& param) {
                           return param.param.name;
                         });

// SIGINT and SIGTERM stop at a chunk boundary with 130 and 143, having
// committed what they did; the next run finishes the work.
class StopSignalTest : public CrashTest {};

TEST_F(StopSignalTest, SigtermAndSigintStopGracefullyAndTheNextRunResumes) {
  for (auto [signal_number, code] : {std::pair{SIGTERM, 143}, std::pair{SIGINT, 130}}) {
    ProcessOptions options{corpus_->path(),
                           {{"CRAWL_INGEST_TEST_HOOK", "commit.finished:sleep=15"}}};
    ChildProcess child(RunArgs(), options);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    kill(child.pid(), signal_number);
    ProcessResult stopped = child.Wait();
    EXPECT_EQ(stopped.exit_code, code) << stopped.err;
    EXPECT_NE(stopped.err.find("run stopped"), std::string::npos) << stopped.err;
    EXPECT_NE(stopped.err.find("stopped on request"), std::string::npos) << stopped.err;
  }
  ResumeAndCheck();
  // The stopped runs wrote their summaries.
  size_t summaries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(work_.Join("out/runs"))) {
    ++summaries;
  }
  EXPECT_EQ(summaries, 3u);
}

}  // namespace
}  // namespace ingest::test
