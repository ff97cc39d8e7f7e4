// A full disk, for real: the output lives on a 1 MiB tmpfs (page cache
// writes) or a 3 MiB ext4 (direct I/O) that fills up.
// The run must stop with exit 1 naming the path and ENOSPC, having
// committed no state beyond its durable output; once space is freed the
// next run completes with nothing lost or duplicated (the generator's
// oracle checks every record).
#include <sys/mount.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "tests/testing/process.h"
#include "tests/testing/testing.h"

namespace ingest::test {
namespace {

namespace fs = std::filesystem;

// The output directory is small/out; each fixture mounts its small disk on
// small/ and knows how to make room.
class SmallDiskTest : public ::testing::Test {
 protected:
  // Generates `articles` articles (plus the mix of bad ones) into dump/;
  // the run command over them.
  std::vector<std::string> CorpusAndRun(int articles, std::vector<std::string> options) {
    ProcessResult generated = RunProcess(
        {"python3", SourceDir() + "/tools/gen_corpus.py", "--out", work_.Join("dump"),
         "--mix", "--valid", std::to_string(articles), "--size", "3000", "--manifest",
         work_.Join("dump.manifest.json")});
    EXPECT_EQ(generated.exit_code, 0) << generated.err;
    std::vector<std::string> arguments = {"run", "--max-file-size", "100000"};
    arguments.insert(arguments.end(), options.begin(), options.end());
    arguments.insert(arguments.end(), {"--state", work_.Join("state"), "--out",
                                       work_.Join("small/out"), "dump"});
    return Binary(arguments);
  }

  void ExpectStopsOnTheFullDisk(const std::vector<std::string>& run) {
    ProcessResult full = RunProcess(run, ProcessOptions{work_.path(), {}});
    EXPECT_EQ(full.exit_code, 1) << full.err;
    EXPECT_NE(full.err.find("No space left on device"), std::string::npos) << full.err;
    EXPECT_NE(full.err.find(work_.Join("small/out/")), std::string::npos) << full.err;
  }

  void ExpectCompletesExactlyOnce(const std::vector<std::string>& run) {
    ProcessResult resumed = RunProcess(run, ProcessOptions{work_.path(), {}});
    ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
    ProcessResult check = RunProcess(
        {"python3", SourceDir() + "/tests/e2e/check_run.py", "--manifest",
         work_.Join("dump.manifest.json"), "--prefix", "dump/", "--out",
         work_.Join("small/out"), "--no-summary"});
    EXPECT_EQ(check.exit_code, 0) << check.err;
  }

  TempDir work_;
  bool mounted_ = false;
};

class FullDiskTest : public SmallDiskTest {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to mount a small tmpfs";
    fs::create_directories(work_.Join("small"));
    if (mount("tmpfs", work_.Join("small").c_str(), "tmpfs", 0, "size=1m") != 0) {
      GTEST_SKIP() << "cannot mount a tmpfs here: " << std::strerror(errno);
    }
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_) umount2(work_.Join("small").c_str(), MNT_DETACH);
  }
};

TEST_F(FullDiskTest, StopsWithEnospcThenCompletesExactlyOnceAfterSpaceIsFreed) {
  std::vector<std::string> run = CorpusAndRun(600, {"--chunk-records", "40"});
  ExpectStopsOnTheFullDisk(run);
  ASSERT_EQ(mount("tmpfs", work_.Join("small").c_str(), "tmpfs", MS_REMOUNT, "size=64m"), 0)
      << std::strerror(errno);
  ExpectCompletesExactlyOnce(run);
}

// The same on a small ext4 (a loop-mounted image without a journal), where
// chunk files are written with direct I/O from 2 MiB blocks, the full ones
// by the writer's helper thread: its ENOSPC must stop the run the same way.
// Space is "freed" by moving the output to a bigger ext4 at the same path.
class FullExt4DiskTest : public SmallDiskTest {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to mount a loop device";
    fs::create_directories(work_.Join("small"));
    if (!Mount(3)) GTEST_SKIP() << "cannot make and loop-mount an ext4 image here";
  }
  void TearDown() override {
    if (mounted_) RunProcess({"umount", "-l", work_.Join("small")});
  }

  // A fresh ext4 of `mebibytes` mounted on small/.
  bool Mount(int mebibytes) {
    const std::string image = work_.Join("disk" + std::to_string(mebibytes) + ".img");
    if (RunProcess({"truncate", "-s", std::to_string(mebibytes) + "M", image}).exit_code != 0 ||
        RunProcess({"mkfs.ext4", "-q", "-F", "-O", "^has_journal", image}).exit_code != 0 ||
        RunProcess({"mount", "-o", "loop", image, work_.Join("small")}).exit_code != 0) {
      return false;
    }
    mounted_ = true;
    return true;
  }
};

TEST_F(FullExt4DiskTest, DirectIoStopsWithEnospcThenCompletesExactlyOnceOnABiggerDisk) {
  std::vector<std::string> run = CorpusAndRun(1500, {});
  ExpectStopsOnTheFullDisk(run);
  // To a bigger disk: the output as it was left, at the same path.
  ASSERT_EQ(RunProcess({"cp", "-a", work_.Join("small/out"), work_.Join("saved")}).exit_code, 0);
  ASSERT_EQ(RunProcess({"umount", work_.Join("small")}).exit_code, 0);
  mounted_ = false;
  ASSERT_TRUE(Mount(64));
  ASSERT_EQ(RunProcess({"cp", "-a", work_.Join("saved"), work_.Join("small/out")}).exit_code, 0);
  ExpectCompletesExactlyOnce(run);
}

}  // namespace
}  // namespace ingest::test
