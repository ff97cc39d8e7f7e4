// The real crawl-ingest binary on real files: the seed's exact record, the
// output layout, and every exit code produced by a real situation.
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "stages/read/archive_reader.h"
#include "stages/verify/sha256.h"
#include "tests/testing/process.h"
#include "tests/testing/testing.h"

namespace ingest::test {
namespace {

namespace fs = std::filesystem;

const std::string kSeedName = "000_a625429a3cc50d01";

std::string SeedArticle() {
  return SharedDir() + "/seeds/" + kSeedName + ".txt";
}

std::vector<std::string> FilesIn(const std::string& directory) {
  std::vector<std::string> names;
  if (!fs::exists(directory)) return names;
  for (const auto& entry : fs::directory_iterator(directory)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string ConcatenatedFiles(const std::string& directory) {
  std::string all;
  for (const std::string& name : FilesIn(directory)) {
    all += ReadFile(directory + "/" + name);
  }
  return all;
}

TEST(CliTest, SeedArticleGivesItsExpectedRecordByteForByte) {
  TempDir dir;
  fs::create_directories(dir.Join("seeds"));
  fs::copy_file(SeedArticle(), dir.Join("seeds/" + kSeedName + ".txt"));
  ProcessResult result =
      RunProcess(Binary({"run", "--state", "state", "--out", "-", "seeds"}),
                 ProcessOptions{dir.path(), {}});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out,
            ReadFile(SharedDir() + "/seeds/" + kSeedName + ".expected.json"));
}

TEST(CliTest, RunWritesChunksSummaryAndASecondRunEmitsNothing) {
  TempDir dir;
  std::string input = dir.Join("dump");
  fs::create_directories(input);
  fs::copy_file(SeedArticle(), input + "/a.txt");
  fs::copy_file(SeedArticle(), input + "/b.txt");  // same key, same hash
  WriteFile(input + "/notes.md", "not an article");
  ProcessResult first = RunProcess(
      Binary({"run", "--state", dir.Join("state"), "--out", dir.Join("out"), input}));
  ASSERT_EQ(first.exit_code, 0) << first.err;
  std::vector<std::string> articles = FilesIn(dir.Join("out/articles"));
  ASSERT_EQ(articles.size(), 1u);
  std::string records = ConcatenatedFiles(dir.Join("out/articles"));
  EXPECT_EQ(std::count(records.begin(), records.end(), '\n'), 1);
  EXPECT_NE(records.find("\"source\":\"" + input + "/a.txt\""), std::string::npos);
  std::string duplicates = ConcatenatedFiles(dir.Join("out/duplicates"));
  EXPECT_NE(duplicates.find("\"kind\":\"duplicate\",\"first_source\":\"" + input +
                            "/a.txt\""),
            std::string::npos)
      << duplicates;
  std::vector<std::string> runs = FilesIn(dir.Join("out/runs"));
  ASSERT_EQ(runs.size(), 1u);
  std::string summary = ReadFile(dir.Join("out/runs/" + runs[0]));
  EXPECT_NE(summary.find("\"files\":2,\"emitted\":1,\"duplicates\":1,\"revisions\":0"),
            std::string::npos)
      << summary;
  EXPECT_NE(summary.find("\"skipped\":1"), std::string::npos) << summary;
  EXPECT_NE(first.err.find("run finished"), std::string::npos) << first.err;
  EXPECT_NE(first.err.find("emitted=1"), std::string::npos) << first.err;

  ProcessResult second = RunProcess(
      Binary({"run", "--state", dir.Join("state"), "--out", dir.Join("out"), input}));
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(FilesIn(dir.Join("out/articles")).size(), 1u);  // nothing new
  EXPECT_EQ(FilesIn(dir.Join("out/runs")).size(), 2u);
  EXPECT_LT(runs[0], FilesIn(dir.Join("out/runs"))[1]);  // names sort by run
  EXPECT_NE(second.err.find("files=0 emitted=0 duplicates=0"), std::string::npos) << second.err;
  EXPECT_NE(second.err.find("unchanged=2 "), std::string::npos) << second.err;
}

TEST(CliTest, BadUsageExitsTwoWithAShortMessage) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{"run"},
        {"run", "--threads", "0", "x"},
        {"run", "--revisions", "sometimes", "x"},
        {"run", "--tz", "KST", "x"},
        {"run", "--no-such-flag", "x"},
        {"frobnicate"},
        {}}) {
    ProcessResult result = RunProcess(Binary(args));
    EXPECT_EQ(result.exit_code, 2) << ::testing::PrintToString(args) << result.err;
    EXPECT_FALSE(result.err.empty());
    EXPECT_LT(result.err.size(), 4000u) << result.err;
  }
}

TEST(CliTest, HelpExitsZeroOnEveryCommand) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{"--help"}, {"run", "--help"}}) {
    ProcessResult result = RunProcess(Binary(args));
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.out.find("Usage"), std::string::npos) << result.out;
  }
}

// --version names the SHA-256 and gzip code in use, as Sha256Batch and
// ArchiveReader report them in this process (same build, same CPU).
TEST(CliTest, VersionNamesTheHashAndGzipCode) {
  ProcessResult result = RunProcess(Binary({"--version"}));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string expected =
      std::string("crawl-ingest 0.1.0\nsha-256: ") +
      std::string(Sha256Batch().implementation()) + "\ngzip: " +
      std::string(ArchiveReader::GzipImplementation()) + "\n";
  EXPECT_EQ(result.out, expected);
}

TEST(CliTest, DefaultThreadsAreTheCpusTheProcessMayUse) {
  // taskset narrows the affinity mask as Slurm's and containers' cpusets
  // do; the default must follow it, not the machine's CPU count.
  if (!fs::exists("/usr/bin/taskset")) GTEST_SKIP() << "taskset (util-linux) is missing";
  TempDir dir;
  fs::create_directories(dir.Join("dump"));
  fs::copy_file(SeedArticle(), dir.Join("dump/a.txt"));
  // The first two CPUs this test may use (they need not be 0 and 1).
  cpu_set_t mask;
  ASSERT_EQ(sched_getaffinity(0, sizeof(mask), &mask), 0);
  std::vector<std::string> cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE && cpus.size() < 2; ++cpu) {
    if (CPU_ISSET(cpu, &mask)) cpus.push_back(std::to_string(cpu));
  }
  std::vector<std::string> lists = {cpus[0]};
  if (cpus.size() == 2) lists.push_back(cpus[0] + "," + cpus[1]);
  for (const std::string& allowed : lists) {
    fs::remove_all(dir.Join("state"));
    std::vector<std::string> argv = {"taskset", "-c", allowed};
    for (const std::string& arg :
         Binary({"run", "--state", dir.Join("state"), "--out", "-", dir.Join("dump")})) {
      argv.push_back(arg);
    }
    ProcessResult result = RunProcess(argv);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const std::string expected = allowed == cpus[0] ? " threads=1 " : " threads=2 ";
    EXPECT_NE(result.err.find(expected), std::string::npos) << allowed << "\n" << result.err;
  }
}

TEST(CliTest, MissingInputExitsOneNamingThePath) {
  TempDir dir;
  ProcessResult result = RunProcess(Binary(
      {"run", "--state", dir.Join("state"), "--out", dir.Join("out"),
       dir.Join("no/such/dump")}));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find(dir.Join("no/such/dump")), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("No such file or directory"), std::string::npos) << result.err;
}

TEST(CliTest, UnusableOutputDirectoryExitsOneNamingThePath) {
  TempDir dir;
  WriteFile(dir.Join("out"), "a file where the output directory should be");
  fs::create_directories(dir.Join("dump"));
  fs::copy_file(SeedArticle(), dir.Join("dump/a.txt"));
  ProcessResult result = RunProcess(Binary(
      {"run", "--state", dir.Join("state"), "--out", dir.Join("out"), dir.Join("dump")}));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find(dir.Join("out")), std::string::npos) << result.err;
}

TEST(CliTest, SecondProcessOnTheSameStateExitsSeventyFiveNamingTheHolder) {
  TempDir dir;
  fs::create_directories(dir.Join("dump"));
  fs::copy_file(SeedArticle(), dir.Join("dump/a.txt"));
  // The first run holds the state for a while right after locking it.
  ChildProcess holder(
      Binary({"run", "--state", dir.Join("state"), "--out", dir.Join("out1"),
              dir.Join("dump")}),
      ProcessOptions{"", {{"CRAWL_INGEST_TEST_HOOK", "run.locked:sleep=3000"}}});
  // Wait until the lock file names the holder.
  std::string lock_file = dir.Join("state/LOCK.crawl-ingest");
  for (int i = 0; i < 200; ++i) {
    if (fs::exists(lock_file) && !ReadFile(lock_file).empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto started = std::chrono::steady_clock::now();
  ProcessResult second = RunProcess(Binary(
      {"run", "--state", dir.Join("state"), "--out", dir.Join("out2"), dir.Join("dump")}));
  auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(second.exit_code, 75) << second.err;
  EXPECT_NE(second.err.find("held by process " + std::to_string(holder.pid())),
            std::string::npos)
      << second.err;
  EXPECT_LT(waited, std::chrono::milliseconds(2000));  // at once, no waiting
  ProcessResult first = holder.Wait();
  EXPECT_EQ(first.exit_code, 0) << first.err;
}

}  // namespace
}  // namespace ingest::test
