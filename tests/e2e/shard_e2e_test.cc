// Sharded runs (plan → map → reduce, doc/cluster.md) as plain processes, no
// cluster: the records they emit equal `crawl-ingest run`'s for any number
// of map tasks T and partitions P, over consecutive runs; killed map and
// reduce tasks are simply run again and every record still appears once;
// runs are fenced. tests/slurm/ runs the same commands on a real Slurm.
#include <algorithm>
#include <filesystem>
#include <set>

#include "tests/testing/process.h"
#include "tests/testing/testing.h"

namespace ingest::test {
namespace {

namespace fs = std::filesystem;

class ShardTest : public ::testing::Test {
 protected:
  // One mixed corpus (every outcome and reason) for the suite, plus a copy
  // of it under again/ for a second run whose every key is known.
  static void SetUpTestSuite() {
    corpus_ = new TempDir();
    ProcessResult generated = RunProcess(
        {"python3", SourceDir() + "/tools/gen_corpus.py", "--out", corpus_->Join("dump"),
         "--mix", "--valid", "150", "--size", "2000", "--seed", "11", "--manifest",
         corpus_->Join("dump.manifest.json")});
    ASSERT_EQ(generated.exit_code, 0) << generated.err;
    ProcessResult copied =
        RunProcess({"cp", "-a", corpus_->Join("dump"), corpus_->Join("again")});
    ASSERT_EQ(copied.exit_code, 0) << copied.err;
  }
  static void TearDownTestSuite() {
    delete corpus_;
    corpus_ = nullptr;
  }

  ProcessResult Ingest(std::vector<std::string> args,
                       std::map<std::string, std::string> environment = {}) {
    return RunProcess(Binary(std::move(args)),
                      ProcessOptions{corpus_->path(), std::move(environment)});
  }

  ProcessResult Plan(uint32_t maps, uint32_t partitions, std::vector<std::string> inputs,
                     std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"plan", "-q", "--max-file-size", "100000",
                                     "--work", work_.Join("work"), "--out", work_.Join("sharded"),
                                     "--maps", std::to_string(maps), "--partitions",
                                     std::to_string(partitions)};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), inputs.begin(), inputs.end());
    return Ingest(args);
  }
  ProcessResult Task(const std::string& command, uint32_t index,
                     std::map<std::string, std::string> environment = {}) {
    return Ingest({command, "-q", "--work", work_.Join("work"), "--task", std::to_string(index)},
                  std::move(environment));
  }
  // A whole sharded run, tasks one after the other.
  void ShardedRun(uint32_t maps, uint32_t partitions, std::vector<std::string> inputs,
                  std::vector<std::string> extra = {}) {
    ProcessResult plan = Plan(maps, partitions, std::move(inputs), std::move(extra));
    ASSERT_EQ(plan.exit_code, 0) << plan.err;
    ASSERT_FALSE(plan.out.empty()) << "plan found nothing new";
    for (uint32_t i = 0; i < maps; ++i) {
      ProcessResult map = Task("map", i);
      ASSERT_EQ(map.exit_code, 0) << map.err;
    }
    for (uint32_t p = 0; p < partitions; ++p) {
      ProcessResult reduce = Task("reduce", p);
      ASSERT_EQ(reduce.exit_code, 0) << reduce.err;
    }
  }
  void SingleRun(std::vector<std::string> inputs, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"run", "-q", "--max-file-size", "100000", "--state",
                                     work_.Join("state"), "--out", work_.Join("single")};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), inputs.begin(), inputs.end());
    ProcessResult run = Ingest(args);
    ASSERT_EQ(run.exit_code, 0) << run.err;
  }

  // Every record line of OUT/<folder>/*.ndjson (*.ndjson.zst decompressed
  // by the standard tool), sorted.
  std::vector<std::string> Records(const std::string& out, const std::string& folder) {
    std::vector<std::string> lines;
    for (const auto& entry : fs::directory_iterator(work_.Join(out + "/" + folder))) {
      std::string name = entry.path().filename().string();
      if (name.front() == '.') continue;
      std::string data;
      if (name.size() > 4 && name.substr(name.size() - 4) == ".zst") {
        ProcessResult unpacked = RunProcess({"zstd", "-dc", entry.path().string()});
        EXPECT_EQ(unpacked.exit_code, 0) << unpacked.err;
        data = unpacked.out;
      } else {
        data = ReadFile(entry.path().string());
      }
      size_t start = 0;
      for (size_t end = data.find('\n'); end != std::string::npos;
           start = end + 1, end = data.find('\n', start)) {
        lines.push_back(data.substr(start, end - start));
      }
      EXPECT_EQ(start, data.size()) << "partial line in " << name;
    }
    std::sort(lines.begin(), lines.end());
    return lines;
  }
  void ExpectSameRecords() {
    for (const char* folder : {"articles", "quarantine", "duplicates"}) {
      std::vector<std::string> single = Records("single", folder);
      std::vector<std::string> sharded = Records("sharded", folder);
      EXPECT_EQ(single.size(), sharded.size()) << folder;
      EXPECT_TRUE(single == sharded) << folder << " differ";
    }
  }
  ProcessResult Check() {
    return RunProcess({"python3", SourceDir() + "/tests/e2e/check_run.py", "--any-order",
                       "--manifest", corpus_->Join("dump.manifest.json"), "--prefix", "dump/",
                       "--out", work_.Join("sharded")});
  }

  static TempDir* corpus_;
  TempDir work_;
};

TempDir* ShardTest::corpus_ = nullptr;

TEST_F(ShardTest, OneMapOnePartitionReproducesRunInOrder) {
  SingleRun({"dump"});
  ShardedRun(1, 1, {"dump"});
  ExpectSameRecords();
  // One partition is one merge of one spill: the very order of `run`.
  auto concatenated = [&](const std::string& out) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(work_.Join(out + "/articles"))) {
      names.push_back(entry.path().string());
    }
    std::sort(names.begin(), names.end());
    std::string all;
    for (const std::string& name : names) all += ReadFile(name);
    return all;
  };
  EXPECT_EQ(concatenated("single"), concatenated("sharded"));
  ProcessResult check = Check();
  EXPECT_EQ(check.exit_code, 0) << check.err;
}

TEST_F(ShardTest, AnyShapeEmitsTheSameRecordsAsRun) {
  SingleRun({"dump"});
  for (auto [maps, partitions] : {std::pair{2u, 3u}, std::pair{5u, 8u}}) {
    SCOPED_TRACE(::testing::Message() << "T=" << maps << " P=" << partitions);
    fs::remove_all(work_.Join("work"));
    fs::remove_all(work_.Join("sharded"));
    ShardedRun(maps, partitions, {"dump"});
    ExpectSameRecords();
    ProcessResult check = Check();
    EXPECT_EQ(check.exit_code, 0) << check.err;
  }
}

// The plan carries run's output options to every reduce task.
TEST_F(ShardTest, CompressedDolmaRecordsAreRunsToo) {
  const std::vector<std::string> options = {"--compress", "zstd", "--schema", "dolma",
                                            "--revisions", "emit"};
  SingleRun({"dump"}, options);
  ShardedRun(2, 3, {"dump"}, options);
  size_t compressed = 0;
  for (const auto& entry : fs::directory_iterator(work_.Join("sharded/articles"))) {
    std::string name = entry.path().filename().string();
    EXPECT_TRUE(name.size() > 11 && name.substr(name.size() - 11) == ".ndjson.zst") << name;
    ++compressed;
  }
  EXPECT_GT(compressed, 0u);
  std::vector<std::string> articles = Records("sharded", "articles");
  ASSERT_FALSE(articles.empty());
  EXPECT_NE(articles.front().find("\"metadata\":{"), std::string::npos) << articles.front();
  ExpectSameRecords();
}

TEST_F(ShardTest, ConsecutiveRunsEmitEveryKeyOnceLikeRun) {
  SingleRun({"dump"});
  SingleRun({"dump", "again"});
  ShardedRun(3, 4, {"dump"});
  ShardedRun(2, 4, {"dump", "again"});  // T may change between runs, P may not
  ExpectSameRecords();
  std::set<std::string> ids;
  for (const std::string& line : Records("sharded", "articles")) {
    std::string id = line.substr(0, line.find(','));
    EXPECT_TRUE(ids.insert(id).second) << "emitted twice: " << id;
  }
  // Nothing new: plan creates no run.
  ProcessResult plan = Plan(2, 4, {"dump", "again"});
  EXPECT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_EQ(plan.out, "");
}

TEST_F(ShardTest, KilledTasksAreRunAgainAndEveryRecordAppearsOnce) {
  SingleRun({"dump"});
  ProcessResult plan = Plan(2, 2, {"dump"}, {"--chunk-records", "10"});
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  // A map killed after sealing its spill and before its marker.
  for (const char* hook : {"map.spill_sealed:kill", "map.before_marker:kill"}) {
    ProcessResult killed = Task("map", 0, {{"CRAWL_INGEST_TEST_HOOK", hook}});
    EXPECT_EQ(killed.signal, 9) << hook << killed.err;
  }
  for (uint32_t i = 0; i < 2; ++i) ASSERT_EQ(Task("map", i).exit_code, 0);
  // A reduce killed in each window of a commit, then before its marker.
  for (const char* hook : {"commit.prepared#2:kill", "commit.durable#3:kill",
                           "commit.finished#2:kill", "commit.durable#5:kill",
                           "reduce.before_marker:kill"}) {
    ProcessResult killed = Task("reduce", 0, {{"CRAWL_INGEST_TEST_HOOK", hook}});
    EXPECT_EQ(killed.signal, 9) << hook << killed.err;
  }
  for (uint32_t p = 0; p < 2; ++p) {
    ProcessResult reduce = Task("reduce", p);
    ASSERT_EQ(reduce.exit_code, 0) << reduce.err;
  }
  // A finished task is a no-op.
  EXPECT_EQ(Task("reduce", 0).exit_code, 0);
  ExpectSameRecords();
  ProcessResult check = Check();
  EXPECT_EQ(check.exit_code, 0) << check.err;
}

TEST_F(ShardTest, NextRunWaitsUntilTheLastOneFinishes) {
  ProcessResult plan = Plan(1, 2, {"dump"});
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  ProcessResult early = Plan(1, 2, {"dump", "again"});
  EXPECT_EQ(early.exit_code, 75) << early.err;
  EXPECT_NE(early.err.find("unfinished"), std::string::npos) << early.err;
  ProcessResult too_soon = Task("reduce", 0);
  EXPECT_EQ(too_soon.exit_code, 1) << too_soon.err;
  EXPECT_NE(too_soon.err.find("map task 0"), std::string::npos) << too_soon.err;
  ASSERT_EQ(Task("map", 0).exit_code, 0);
  ASSERT_EQ(Task("reduce", 0).exit_code, 0);
  ASSERT_EQ(Task("reduce", 1).exit_code, 0);
  ProcessResult next = Plan(1, 2, {"dump", "again"});
  EXPECT_EQ(next.exit_code, 0) << next.err;
  EXPECT_FALSE(next.out.empty());
  ProcessResult grown = Plan(1, 4, {"dump"});
  EXPECT_EQ(grown.exit_code, 2) << grown.err;
}

TEST_F(ShardTest, PlanKilledBeforeItBecameCurrentIsFinishedByTheNextPlan) {
  std::vector<std::string> args = {"plan", "-q", "--max-file-size", "100000", "--work",
                                   work_.Join("work"), "--out", work_.Join("sharded"),
                                   "--maps", "2", "--partitions", "2", "dump"};
  ProcessResult killed = Ingest(args, {{"CRAWL_INGEST_TEST_HOOK", "plan.planning:kill"}});
  EXPECT_EQ(killed.signal, 9) << killed.err;
  // The durable plan is rolled forward and is now the unfinished run.
  ProcessResult next = Plan(2, 2, {"dump"});
  EXPECT_EQ(next.exit_code, 75) << next.err;
  for (uint32_t i = 0; i < 2; ++i) ASSERT_EQ(Task("map", i).exit_code, 0);
  for (uint32_t p = 0; p < 2; ++p) ASSERT_EQ(Task("reduce", p).exit_code, 0);
  SingleRun({"dump"});
  ExpectSameRecords();
  EXPECT_EQ(Plan(2, 2, {"dump"}).out, "");  // every file is known
}

TEST_F(ShardTest, GrowingPBetweenRunsKeepsEveryKeyOnce) {
  SingleRun({"dump"});
  SingleRun({"dump", "again"});
  ShardedRun(2, 2, {"dump"});
  ProcessResult uneven = Ingest({"repartition", "-q", "--work", work_.Join("work"),
                                 "--partitions", "3"});
  EXPECT_EQ(uneven.exit_code, 2) << uneven.err;
  ProcessResult grown = Ingest({"repartition", "-q", "--work", work_.Join("work"),
                                "--partitions", "8"});
  ASSERT_EQ(grown.exit_code, 0) << grown.err;
  // The second run dedups against the split states: every copy under
  // again/ is a duplicate, exactly as on one machine.
  ShardedRun(3, 8, {"dump", "again"});
  ExpectSameRecords();
}

TEST_F(ShardTest, TaskIndexComesFromTheArrayEnvironment) {
  ASSERT_EQ(Plan(2, 1, {"dump"}).exit_code, 0);
  ProcessResult slurm = Ingest({"map", "-q", "--work", work_.Join("work")},
                               {{"SLURM_ARRAY_TASK_ID", "1"}});
  EXPECT_EQ(slurm.exit_code, 0) << slurm.err;
  ProcessResult kubernetes = Ingest({"map", "-q", "--work", work_.Join("work")},
                                    {{"JOB_COMPLETION_INDEX", "0"}});
  EXPECT_EQ(kubernetes.exit_code, 0) << kubernetes.err;
  ProcessResult batch = Ingest({"reduce", "-q", "--work", work_.Join("work")},
                               {{"AWS_BATCH_JOB_ARRAY_INDEX", "0"}});
  EXPECT_EQ(batch.exit_code, 0) << batch.err;
  EXPECT_TRUE(fs::exists(work_.Join("sharded/runs")));
  ProcessResult out_of_range = Task("map", 2);
  EXPECT_EQ(out_of_range.exit_code, 2) << out_of_range.err;
}

}  // namespace
}  // namespace ingest::test
