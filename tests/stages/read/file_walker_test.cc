// FileWalker and ReadStage on real directories, files, symlinks and FIFOs.
#include "stages/read/file_walker.h"

#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "stages/read/read_stage.h"
#include "tests/testing/testing.h"

namespace ingest {
namespace {

namespace fs = std::filesystem;

std::vector<Article> Walk(std::vector<std::string> inputs, uint64_t* skipped = nullptr) {
  FileWalker walker(std::move(inputs));
  std::vector<Article> articles;
  while (true) {
    Article article;
    Result<bool> next = walker.Next(&article);
    EXPECT_OK(next.status());
    if (!next.ok() || !*next) break;
    articles.push_back(std::move(article));
  }
  if (skipped) *skipped = walker.skipped();
  return articles;
}

std::vector<std::string> Sources(const std::vector<Article>& articles) {
  std::vector<std::string> sources;
  for (const Article& article : articles) sources.push_back(article.source);
  return sources;
}

TEST(FileWalkerTest, WalksInByteOrderOfFullPathsNotPerDirectoryNameOrder) {
  test::TempDir dir;
  for (const char* name : {"d/a/b.txt", "d/a.txt", "d/a-b.txt", "d/B.txt", "d/가.txt",
                           "d/a/a/z.txt", "d/ab.txt"}) {
    test::WriteFile(dir.Join(name), "x");
  }
  std::string root = dir.Join("d");
  // '-' (0x2D) < '.' (0x2E) < '/' (0x2F) < 'B' < 'a' … < Hangul bytes.
  EXPECT_EQ(Sources(Walk({root})),
            (std::vector<std::string>{root + "/B.txt", root + "/a-b.txt", root + "/a.txt",
                                      root + "/a/a/z.txt", root + "/a/b.txt",
                                      root + "/ab.txt", root + "/가.txt"}));
}

// Directories are listed ahead on a helper thread, per level: a tree four
// levels deep and several wide still comes out whole and in byte order.
TEST(FileWalkerTest, ListingAheadKeepsTheOrderOfADeepWideTree) {
  test::TempDir dir;
  std::vector<std::string> expected;
  const std::string root = dir.Join("d");
  for (int a = 0; a < 7; ++a) {
    for (int b = 0; b < 6; ++b) {
      for (int c = 0; c < 5; ++c) {
        std::string leaf = root + "/" + std::to_string(a) + "/x" + std::to_string(b) + "/" +
                           std::to_string(c * 7);
        for (const char* name : {"a.txt", "b.txt"}) {
          test::WriteFile(leaf + "/" + name, "x");
          expected.push_back(leaf + "/" + name);
        }
      }
      // Files beside the subdirectories, sorting between them.
      std::string middle = root + "/" + std::to_string(a) + "/x" + std::to_string(b) + ".txt";
      test::WriteFile(middle, "x");
      expected.push_back(middle);
    }
  }
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(Sources(Walk({root})), expected);
}

// The inotify watch descriptors with an IN_OPEN event since the last call.
std::vector<int> OpenedWatches(int watch_fd) {
  std::vector<int> opened;
  alignas(inotify_event) char events[4096];
  for (ssize_t n; (n = read(watch_fd, events, sizeof(events))) > 0;) {
    for (char* at = events; at < events + n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(at);
      opened.push_back(event->wd);
      at += sizeof(inotify_event) + event->len;
    }
  }
  return opened;
}

// An excluded directory is not opened, not even by the listing ahead:
// inotify sees every open of it.
TEST(FileWalkerTest, AnExcludedDirectoryIsNeverOpened) {
  test::TempDir dir;
  const std::string root = dir.Join("d");
  for (const char* name : {"a/1.txt", "b/2.txt", "secret/3.txt", "z/4.txt"}) {
    test::WriteFile(root + "/" + name, "x");
  }
  const int watch_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  ASSERT_GE(watch_fd, 0);
  ASSERT_GE(inotify_add_watch(watch_fd, (root + "/secret").c_str(), IN_OPEN), 0);
  ASSERT_GE(inotify_add_watch(watch_fd, (root + "/z").c_str(), IN_OPEN), 0);
  WalkOptions options;
  options.filter = PathFilter({}, {"secret"});
  FileWalker walker({root}, nullptr, false, options);
  std::vector<std::string> sources;
  Article article;
  while (true) {
    Result<bool> next = walker.Next(&article);
    ASSERT_OK(next.status());
    if (!*next) break;
    sources.push_back(article.source);
  }
  EXPECT_EQ(sources, (std::vector<std::string>{root + "/a/1.txt", root + "/b/2.txt",
                                               root + "/z/4.txt"}));
  // Only z was opened (watch 2), and the watch works (it saw that).
  EXPECT_EQ(OpenedWatches(watch_fd), std::vector<int>{2});
  close(watch_fd);
}

// Listing ahead is bounded by what the walk has seen: after a directory of
// more than 16,384 names, only the next one is listed ahead, so a dump of
// huge directories holds about one extra listing per level.
TEST(FileWalkerTest, ListsOnlyOneDirectoryAheadAfterABigOne) {
  test::TempDir dir;
  const std::string root = dir.Join("d");
  fs::create_directories(root + "/a");
  for (int i = 0; i < 16385; ++i) {
    std::ofstream(root + "/a/" + std::to_string(i) + ".txt").put('x');
  }
  for (const char* name : {"b/1.txt", "c/1.txt", "d/1.txt", "e/1.txt"}) {
    test::WriteFile(root + "/" + name, "x");
  }
  const int watch_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  ASSERT_GE(watch_fd, 0);
  for (const char* name : {"b", "c", "d", "e"}) {
    ASSERT_GE(inotify_add_watch(watch_fd, (root + "/" + name).c_str(), IN_OPEN), 0);
  }
  FileWalker walker({root});
  Article article;
  Result<bool> next = walker.Next(&article);
  ASSERT_OK(next.status());
  ASSERT_TRUE(*next);
  ASSERT_EQ(article.source.substr(0, root.size() + 3), root + "/a/");
  // Inside the big directory: time enough for the helper to list anything
  // it was asked for. Nothing after it was (b is asked for when a is done).
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(OpenedWatches(watch_fd), std::vector<int>{});
  size_t files = 1;
  while (true) {
    next = walker.Next(&article);
    ASSERT_OK(next.status());
    if (!*next) break;
    ++files;
  }
  EXPECT_EQ(files, 16385u + 4);
  // Each of b..e was opened once (by the helper or inline).
  EXPECT_EQ(OpenedWatches(watch_fd), (std::vector<int>{1, 2, 3, 4}));
  close(watch_fd);
}

TEST(FileWalkerTest, SortsInputsAndKeepsTheirSpellingInSource) {
  test::TempDir dir;
  test::WriteFile(dir.Join("b/x.txt"), "x");
  test::WriteFile(dir.Join("a/y.txt"), "y");
  std::string with_slash = dir.Join("b/");
  EXPECT_EQ(Sources(Walk({with_slash, dir.Join("a")})),
            (std::vector<std::string>{dir.Join("a/y.txt"), dir.Join("b/x.txt")}));
}

TEST(FileWalkerTest, CountsNonArticleFilesAsSkippedButReadsAFileNamedOnTheCommandLine) {
  test::TempDir dir;
  test::WriteFile(dir.Join("d/notes.md"), "x");
  test::WriteFile(dir.Join("d/a.txt.bak"), "x");
  test::WriteFile(dir.Join("d/a.txt"), "x");
  test::WriteFile(dir.Join("single.article"), "x");
  uint64_t skipped = 0;
  std::vector<Article> articles = Walk({dir.Join("d"), dir.Join("single.article")}, &skipped);
  EXPECT_EQ(Sources(articles),
            (std::vector<std::string>{dir.Join("d/a.txt"), dir.Join("single.article")}));
  EXPECT_EQ(skipped, 2u);
}

TEST(FileWalkerTest, FollowsFileSymlinksReportsBrokenOnesAndDoesNotWalkDirectorySymlinks) {
  test::TempDir dir;
  test::WriteFile(dir.Join("target/real.txt"), "x");
  test::WriteFile(dir.Join("d/plain.txt"), "x");
  fs::create_symlink(dir.Join("target/real.txt"), dir.Join("d/link.txt"));
  fs::create_symlink(dir.Join("nowhere.txt"), dir.Join("d/broken.txt"));
  fs::create_symlink(dir.Join("d/loop.txt"), dir.Join("d/loop.txt"));
  fs::create_directory_symlink(dir.Join("target"), dir.Join("d/dirlink"));
  uint64_t skipped = 0;
  std::vector<Article> articles = Walk({dir.Join("d")}, &skipped);
  ASSERT_EQ(articles.size(), 4u);
  EXPECT_EQ(articles[0].source, dir.Join("d/broken.txt"));
  EXPECT_EQ(articles[0].reason, QuarantineReason::kUnreadable);
  EXPECT_NE(articles[0].detail.find("No such file"), std::string::npos) << articles[0].detail;
  EXPECT_EQ(articles[1].source, dir.Join("d/link.txt"));
  EXPECT_EQ(articles[1].outcome, Outcome::kPending);
  EXPECT_EQ(articles[2].source, dir.Join("d/loop.txt"));
  EXPECT_EQ(articles[2].reason, QuarantineReason::kUnreadable);
  EXPECT_NE(articles[2].detail.find("symbolic links"), std::string::npos) << articles[2].detail;
  EXPECT_EQ(articles[3].source, dir.Join("d/plain.txt"));
  EXPECT_EQ(skipped, 1u);  // the directory symlink
}

TEST(FileWalkerTest, QuarantinesAFifoWithoutOpeningIt) {
  test::TempDir dir;
  fs::create_directories(dir.Join("d"));
  ASSERT_EQ(mkfifo(dir.Join("d/pipe.txt").c_str(), 0644), 0);
  std::vector<Article> articles = Walk({dir.Join("d")});
  ASSERT_EQ(articles.size(), 1u);
  EXPECT_EQ(articles[0].reason, QuarantineReason::kUnreadable);
  EXPECT_TRUE(articles[0].path.empty());
}

Article ReadOne(const std::string& path, uint64_t max_file_size = 100) {
  ReadStage stage(ReadOptions{max_file_size});
  auto state = stage.NewWorkerState();
  Article article;
  article.source = path;
  article.path = path;
  Result<Disposition> result = stage.Process(article, state.get());
  EXPECT_OK(result.status());
  return article;
}

// The walker hands each file over with its directory held open, and the
// read stage opens the file relative to it: renaming the directory after
// the listing does not lose the file (a full-path open would).
TEST(ReadStageTest, OpensAWalkedFileRelativeToItsListedDirectory) {
  test::TempDir dir;
  test::WriteFile(dir.Join("d/a.txt"), "content");
  std::vector<Article> walked = Walk({dir.Join("d")});
  ASSERT_EQ(walked.size(), 1u);
  ASSERT_NE(walked[0].directory, nullptr);
  fs::rename(dir.Join("d"), dir.Join("moved"));

  ReadStage stage(ReadOptions{100});
  auto state = stage.NewWorkerState();
  Result<Disposition> result = stage.Process(walked[0], state.get());
  ASSERT_OK(result.status());
  EXPECT_EQ(*result, Disposition::kContinue);
  EXPECT_EQ(walked[0].raw, "content");
  EXPECT_EQ(walked[0].source, dir.Join("d/a.txt"));
}

TEST(ReadStageTest, ReadsUpToTheLimitAndQuarantinesOneByteMore) {
  test::TempDir dir;
  test::WriteFile(dir.Join("fits.txt"), std::string(100, 'x'));
  test::WriteFile(dir.Join("over.txt"), std::string(101, 'x'));
  test::WriteFile(dir.Join("big.txt"), std::string(3 << 20, 'x'));
  Article fits = ReadOne(dir.Join("fits.txt"));
  EXPECT_EQ(fits.outcome, Outcome::kPending);
  EXPECT_EQ(fits.raw, std::string(100, 'x'));
  ASSERT_TRUE(fits.stamp.has_value());
  EXPECT_EQ(fits.stamp->size, 100u);
  EXPECT_EQ(ReadOne(dir.Join("over.txt")).reason, QuarantineReason::kTooLarge);
  Article big = ReadOne(dir.Join("big.txt"), 1 << 20);
  EXPECT_EQ(big.reason, QuarantineReason::kTooLarge);
  EXPECT_LT(big.bytes_read, 2u << 20);  // stopped early, did not read it all
  EXPECT_TRUE(big.raw.empty());
}

// A regular file whose fstat size is not its length (procfs reports 0): the
// single sized read must not be taken for the whole file.
TEST(ReadStageTest, ReadsAFileLongerThanItsStatSizeToItsEnd) {
  std::ifstream expected_stream("/proc/self/maps");
  std::string expected((std::istreambuf_iterator<char>(expected_stream)),
                       std::istreambuf_iterator<char>());
  ASSERT_GT(expected.size(), 1u);
  Article maps = ReadOne("/proc/self/maps", 64 << 20);
  EXPECT_EQ(maps.outcome, Outcome::kPending);
  ASSERT_TRUE(maps.stamp.has_value());
  EXPECT_EQ(maps.stamp->size, 0u);
  // The map lists this process's mappings, which may change between the two
  // reads; its first line (the executable) does not.
  EXPECT_GT(maps.raw.size(), 1u);
  EXPECT_EQ(maps.raw.substr(0, maps.raw.find('\n')), expected.substr(0, expected.find('\n')));
}

TEST(ReadStageTest, QuarantinesEmptyAndVanishedFiles) {
  test::TempDir dir;
  test::WriteFile(dir.Join("empty.txt"), "");
  EXPECT_EQ(ReadOne(dir.Join("empty.txt")).reason, QuarantineReason::kEmptyFile);
  Article gone = ReadOne(dir.Join("vanished.txt"));
  EXPECT_EQ(gone.reason, QuarantineReason::kUnreadable);
  EXPECT_EQ(gone.detail, "open: No such file or directory");
}

TEST(ReadStageTest, KnownUnchangedFileIsNotReadAndAChangedOneIs) {
  test::TempDir dir;
  test::WriteFile(dir.Join("a.txt"), "content");
  Article first = ReadOne(dir.Join("a.txt"));
  ASSERT_TRUE(first.stamp.has_value());

  ReadStage stage(ReadOptions{100});
  auto state = stage.NewWorkerState();
  Article again;
  again.path = dir.Join("a.txt");
  again.known_stamp = first.stamp;
  Result<Disposition> result = stage.Process(again, state.get());
  ASSERT_OK(result.status());
  EXPECT_EQ(*result, Disposition::kDuplicate);
  EXPECT_EQ(again.outcome, Outcome::kUnchanged);
  EXPECT_TRUE(again.raw.empty());

  test::WriteFile(dir.Join("a.txt"), "content, longer");
  Article changed;
  changed.path = dir.Join("a.txt");
  changed.known_stamp = first.stamp;
  result = stage.Process(changed, state.get());
  ASSERT_OK(result.status());
  EXPECT_EQ(*result, Disposition::kContinue);
  EXPECT_EQ(changed.raw, "content, longer");
}

}  // namespace
}  // namespace ingest
