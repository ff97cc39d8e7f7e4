// The real binary against inputs that try to crash or hang it: a file that
// vanishes between listing and reading, broken and looping symlinks, a
// FIFO, a directory it may not read (as an unprivileged user), an
// oversized file. Each is quarantined or skipped with a reason, the run
// finishes, and a fixed entry is read on the next run.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "tests/testing/article_builder.h"
#include "tests/testing/process.h"
#include "tests/testing/testing.h"

namespace ingest::test {
namespace {

namespace fs = std::filesystem;

std::string QuarantineOf(const TempDir& work) {
  std::string all;
  for (const auto& entry : fs::directory_iterator(work.Join("out/quarantine"))) {
    all += ReadFile(entry.path().string());
  }
  return all;
}

TEST(HostileInputTest, EveryHostileEntryIsQuarantinedWithItsReasonAndNothingHangs) {
  TempDir work;
  std::string dump = work.Join("dump");
  WriteFile(dump + "/good.txt", ArticleFileBuilder().Key("1", "1").Build());
  WriteFile(dump + "/huge.txt", std::string(300000, 'x'));
  fs::create_symlink(dump + "/missing.txt", dump + "/broken.txt");
  fs::create_symlink(dump + "/loop.txt", dump + "/loop.txt");
  ASSERT_EQ(mkfifo((dump + "/pipe.txt").c_str(), 0644), 0);
  ProcessResult result = RunProcess(
      {"timeout", "60", BinaryPath(), "run", "--max-file-size", "100000", "--state",
       work.Join("state"), "--out", work.Join("out"), dump});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::string quarantine = QuarantineOf(work);
  for (const char* expected :
       {"broken.txt\",\"reason\":\"unreadable\",\"detail\":\"stat: No such file or directory\"",
        "huge.txt\",\"reason\":\"too_large\"",
        "loop.txt\",\"reason\":\"unreadable\",\"detail\":\"stat: Too many levels of symbolic links\"",
        "pipe.txt\",\"reason\":\"unreadable\",\"detail\":\"not a regular file"}) {
    EXPECT_NE(quarantine.find(expected), std::string::npos) << expected << "\n" << quarantine;
  }
  EXPECT_NE(result.err.find("files=5 emitted=1 "), std::string::npos) << result.err;

  // The broken link is fixed: the next run reads it (and only it).
  fs::remove(dump + "/broken.txt");
  WriteFile(dump + "/missing.txt.target", ArticleFileBuilder().Key("2", "2").Build());
  fs::create_symlink(dump + "/missing.txt.target", dump + "/broken.txt");
  ProcessResult again = RunProcess(Binary(
      {"run", "--max-file-size", "100000", "--state", work.Join("state"), "--out",
       work.Join("out"), dump}));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("files=1 emitted=1 "), std::string::npos) << again.err;
}

TEST(HostileInputTest, FileVanishingBetweenListingAndReadingIsUnreadable) {
  TempDir work;
  std::string dump = work.Join("dump");
  WriteFile(dump + "/a.txt", ArticleFileBuilder().Key("1", "1").Build());
  WriteFile(dump + "/b.txt", ArticleFileBuilder().Key("1", "2").Build());
  // The walker pauses right after listing the directory; b.txt goes then.
  ChildProcess child(
      Binary({"run", "--state", work.Join("state"), "--out", work.Join("out"), dump}),
      ProcessOptions{"", {{"CRAWL_INGEST_TEST_HOOK", "walk.listed#1:sleep=1500"}}});
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  fs::remove(dump + "/b.txt");
  ProcessResult result = child.Wait();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(QuarantineOf(work).find(
                "b.txt\",\"reason\":\"unreadable\",\"detail\":\"open: No such file or directory\""),
            std::string::npos)
      << QuarantineOf(work);
}

TEST(HostileInputTest, UnreadableDirectoryIsQuarantinedForAnUnprivilegedUser) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to switch to an unprivileged user";
  TempDir work;
  std::string dump = work.Join("dump");
  WriteFile(dump + "/open/a.txt", ArticleFileBuilder().Key("1", "1").Build());
  WriteFile(dump + "/secret/b.txt", ArticleFileBuilder().Key("1", "2").Build());
  fs::permissions(work.path(), fs::perms::all);  // nobody writes state and out here
  fs::permissions(dump + "/secret", fs::perms::none);
  ProcessResult result = RunProcess(
      {"setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", BinaryPath(),
       "run", "--state", work.Join("state"), "--out", work.Join("out"), dump});
  fs::permissions(dump + "/secret", fs::perms::owner_all);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(QuarantineOf(work).find(
                "secret\",\"reason\":\"unreadable\",\"detail\":\"opendir: Permission denied\""),
            std::string::npos)
      << QuarantineOf(work);
  EXPECT_NE(result.err.find("files=2 emitted=1 "), std::string::npos) << result.err;
}

}  // namespace
}  // namespace ingest::test
