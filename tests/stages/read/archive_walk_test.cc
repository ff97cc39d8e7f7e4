// FileWalker over tar archives built with the real tar(1): members in
// archive order, sources "archive!member", bytes preloaded for the read
// stage, size limit, links, damage, filters and completion reports.
#include <filesystem>

#include "stages/read/archive_reader.h"
#include "stages/read/file_walker.h"
#include "stages/read/path_filter.h"
#include "stages/read/read_stage.h"
#include "tests/testing/process.h"
#include "tests/testing/testing.h"

namespace ingest {
namespace {

namespace fs = std::filesystem;

struct Walked {
  std::vector<Article> articles;
  uint64_t skipped = 0;
  uint64_t excluded = 0;
};

Walked Walk(std::vector<std::string> inputs, WalkOptions options = {}) {
  FileWalker walker(std::move(inputs), nullptr, false, std::move(options));
  Walked walked;
  while (true) {
    Article article;
    Result<bool> next = walker.Next(&article);
    EXPECT_OK(next.status());
    if (!next.ok() || !*next) break;
    walked.articles.push_back(std::move(article));
  }
  walked.skipped = walker.skipped();
  walked.excluded = walker.excluded();
  return walked;
}

std::vector<std::string> Sources(const Walked& walked) {
  std::vector<std::string> sources;
  for (const Article& article : walked.articles) sources.push_back(article.source);
  return sources;
}

// tar `flags` -cf ARCHIVE -C `root` MEMBERS... (members in that order).
void Tar(const std::string& archive, const std::string& root,
         std::vector<std::string> members, std::vector<std::string> flags = {}) {
  std::vector<std::string> argv = {"tar"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.insert(argv.end(), {"-cf", archive, "-C", root});
  argv.insert(argv.end(), members.begin(), members.end());
  test::ProcessResult result = test::RunProcess(argv);
  ASSERT_EQ(result.exit_code, 0) << result.err;
}

class ArchiveWalkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::WriteFile(dir_.Join("src/b.txt"), "bee");
    test::WriteFile(dir_.Join("src/a/x.txt"), "ex");
    test::WriteFile(dir_.Join("src/notes.md"), "not an article");
    test::WriteFile(dir_.Join("src/empty.txt"), "");
  }
  test::TempDir dir_;
};

TEST_F(ArchiveWalkTest, MembersComeInArchiveOrderWithPreloadedBytes) {
  std::string archive = dir_.Join("t.tar");
  Tar(archive, dir_.Join("src"), {"./b.txt", "a", "notes.md"});
  Walked walked = Walk({archive});
  EXPECT_EQ(Sources(walked),
            (std::vector<std::string>{archive + "!b.txt", archive + "!a/x.txt"}));
  ASSERT_EQ(walked.articles.size(), 2u);
  EXPECT_EQ(walked.articles[0].raw, "bee");
  EXPECT_EQ(walked.articles[0].bytes_read, 3u);
  EXPECT_TRUE(walked.articles[0].path.empty());
  EXPECT_EQ(walked.articles[0].outcome, Outcome::kPending);
  ASSERT_TRUE(walked.articles[0].stamp.has_value());
  EXPECT_EQ(walked.articles[0].stamp->size, 3u);
  EXPECT_EQ(walked.skipped, 1u);  // notes.md
}

class CompressedArchiveTest : public ArchiveWalkTest,
                              public ::testing::WithParamInterface<const char*> {};

TEST_P(CompressedArchiveTest, ReadsTheSameMembersAsThePlainTar) {
  std::string plain = dir_.Join("t.tar");
  Tar(plain, dir_.Join("src"), {"b.txt", "a/x.txt"});
  std::string suffix = GetParam();
  std::string compressed = dir_.Join("t" + suffix);
  std::string flag = suffix == ".tar.gz" || suffix == ".tgz" ? "-z" : "--zstd";
  Tar(compressed, dir_.Join("src"), {"b.txt", "a/x.txt"}, {flag});
  Walked a = Walk({plain});
  Walked b = Walk({compressed});
  ASSERT_EQ(a.articles.size(), 2u);
  ASSERT_EQ(b.articles.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(b.articles[i].raw, a.articles[i].raw);
    EXPECT_EQ(b.articles[i].source.substr(compressed.size()),
              a.articles[i].source.substr(plain.size()));
  }
}

INSTANTIATE_TEST_SUITE_P(Suffixes, CompressedArchiveTest,
                         ::testing::Values(".tar.gz", ".tgz", ".tar.zst"),
                         [](const auto& param_info) {
                           std::string name = param_info.param;
                           name.erase(std::remove(name.begin(), name.end(), '.'), name.end());
                           return name;
                         });

TEST_F(ArchiveWalkTest, ReadStagePassesMembersOnAndQuarantinesAnEmptyOne) {
  std::string archive = dir_.Join("t.tar");
  Tar(archive, dir_.Join("src"), {"b.txt", "empty.txt"});
  Walked walked = Walk({archive});
  ASSERT_EQ(walked.articles.size(), 2u);
  ReadStage read(ReadOptions{});
  auto state = read.NewWorkerState();
  EXPECT_EQ(read.Process(walked.articles[0], state.get()).value(), Disposition::kContinue);
  EXPECT_EQ(walked.articles[0].raw, "bee");
  EXPECT_EQ(read.Process(walked.articles[1], state.get()).value(), Disposition::kRejected);
  EXPECT_EQ(walked.articles[1].reason, QuarantineReason::kEmptyFile);
}

TEST_F(ArchiveWalkTest, ATooLargeMemberIsQuarantinedWithoutBeingRead) {
  test::WriteFile(dir_.Join("src/big.txt"), std::string(1000, 'x'));
  std::string archive = dir_.Join("t.tar");
  Tar(archive, dir_.Join("src"), {"big.txt", "b.txt"});
  WalkOptions options;
  options.max_file_size = 100;
  Walked walked = Walk({archive}, options);
  ASSERT_EQ(walked.articles.size(), 2u);
  EXPECT_EQ(walked.articles[0].reason, QuarantineReason::kTooLarge);
  EXPECT_EQ(walked.articles[0].bytes_read, 0u);
  EXPECT_TRUE(walked.articles[0].raw.empty());
  EXPECT_EQ(walked.articles[1].raw, "bee");  // the next member is intact
}

TEST_F(ArchiveWalkTest, LinksInsideAnArchiveAreReportedNotFollowed) {
  fs::create_symlink("b.txt", dir_.Join("src/link.txt"));
  std::string archive = dir_.Join("t.tar");
  Tar(archive, dir_.Join("src"), {"b.txt", "link.txt"});
  Walked walked = Walk({archive});
  ASSERT_EQ(walked.articles.size(), 2u);
  EXPECT_EQ(walked.articles[1].reason, QuarantineReason::kUnreadable);
  EXPECT_NE(walked.articles[1].detail.find("symbolic link to 'b.txt'"), std::string::npos);
}

TEST_F(ArchiveWalkTest, ADamagedArchiveKeepsEarlierMembersAndReportsItself) {
  for (int i = 0; i < 20; ++i) {
    std::string text;
    for (int j = 0; j < 2000; ++j) text += std::to_string(i * 7919 + j * 31) + " ";
    test::WriteFile(dir_.Join("src/many/" + std::to_string(100 + i) + ".txt"), text);
  }
  std::string archive = dir_.Join("t.tar.gz");
  Tar(archive, dir_.Join("src"), {"many"}, {"-z"});
  fs::resize_file(archive, fs::file_size(archive) / 2);
  Walked walked = Walk({archive});
  ASSERT_GE(walked.articles.size(), 2u);
  EXPECT_EQ(walked.articles.front().outcome, Outcome::kPending);
  const Article& last = walked.articles.back();
  EXPECT_EQ(last.source, archive);
  EXPECT_EQ(last.reason, QuarantineReason::kUnreadable);
  EXPECT_NE(last.detail.find("members)"), std::string::npos) << last.detail;
  ASSERT_TRUE(last.stamp.has_value());
  EXPECT_EQ(last.stamp->size, fs::file_size(archive));
}

TEST_F(ArchiveWalkTest, AnUnreadableArchiveIsQuarantinedWithItsName) {
  test::WriteFile(dir_.Join("bad.tar.zst"), "this is not zstd at all");
  Walked walked = Walk({dir_.Join("bad.tar.zst")});
  ASSERT_EQ(walked.articles.size(), 1u);
  EXPECT_EQ(walked.articles[0].source, dir_.Join("bad.tar.zst"));
  EXPECT_EQ(walked.articles[0].reason, QuarantineReason::kUnreadable);
}

TEST_F(ArchiveWalkTest, AnArchiveInAWalkedDirectoryIsReadAtItsPlace) {
  test::WriteFile(dir_.Join("dump/a.txt"), "a");
  test::WriteFile(dir_.Join("dump/e.txt"), "e");
  Tar(dir_.Join("dump/d.tar"), dir_.Join("src"), {"b.txt"});
  std::string root = dir_.Join("dump");
  EXPECT_EQ(Sources(Walk({root})),
            (std::vector<std::string>{root + "/a.txt", root + "/d.tar!b.txt", root + "/e.txt"}));
}

TEST_F(ArchiveWalkTest, FiltersApplyToMembersAndCompletionWaitsForAnUnfilteredRead) {
  std::string archive = dir_.Join("t.tar");
  Tar(archive, dir_.Join("src"), {"b.txt", "a/x.txt"});
  CompletedArchives completed;
  WalkOptions options;
  options.completed_archives = &completed;
  options.filter = PathFilter({}, {"*!a/*"});
  Walked filtered = Walk({archive}, options);
  EXPECT_EQ(Sources(filtered), std::vector<std::string>{archive + "!b.txt"});
  EXPECT_EQ(filtered.excluded, 1u);
  std::vector<std::pair<std::string, FileStamp>> ready;
  completed.TakeReady(100, &ready);
  EXPECT_TRUE(ready.empty()) << "a filtered read must not mark the archive done";

  options.filter = PathFilter();
  Walked whole = Walk({archive}, options);
  ASSERT_EQ(whole.articles.size(), 2u);
  completed.TakeReady(1, &ready);
  EXPECT_TRUE(ready.empty()) << "only after both members are processed";
  completed.TakeReady(2, &ready);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].first, archive);
  EXPECT_EQ(ready[0].second.size, fs::file_size(archive));
}

TEST_F(ArchiveWalkTest, AnExcludedArchiveIsNotOpened) {
  std::string archive = dir_.Join("t.tar");
  Tar(archive, dir_.Join("src"), {"b.txt"});
  WalkOptions options;
  options.filter = PathFilter({}, {"t.tar"});
  Walked walked = Walk({archive}, options);
  EXPECT_TRUE(walked.articles.empty());
  EXPECT_EQ(walked.excluded, 1u);
}

TEST(ArchiveNameTest, KnowsTarAndItsCompressedForms) {
  for (const char* name : {"a.tar", "a.tar.gz", "a.tgz", "a.tar.zst", "a.tzst", "a.tar.xz",
                           "a.tar.bz2"}) {
    EXPECT_TRUE(IsArchiveName(name)) << name;
  }
  for (const char* name : {"a.txt", "a.gz", "a.zst", "tar", "a.tar.txt"}) {
    EXPECT_FALSE(IsArchiveName(name)) << name;
  }
}

TEST(PathFilterTest, PatternsWithoutSlashMatchTheNameAndWithSlashTheWholeSource) {
  EXPECT_TRUE(GlobMatches("*.txt", "dump/a/b.txt", "b.txt"));
  EXPECT_FALSE(GlobMatches("dump/*.md", "dump/a/b.txt", "b.txt"));
  EXPECT_TRUE(GlobMatches("dump/*", "dump/a/b.txt", "b.txt"));  // '*' crosses '/'
  EXPECT_TRUE(GlobMatches("*/a/*", "dump/a/b.txt", "b.txt"));
  EXPECT_FALSE(GlobMatches("a", "dump/a/b.txt", "b.txt"));
  EXPECT_TRUE(GlobMatches("*.tar.gz!politics/*", "d/x.tar.gz!politics/1.txt", "1.txt"));
  EXPECT_TRUE(GlobMatches("[0-9]*.txt", "d/1.txt", "1.txt"));
}

TEST(PathFilterTest, IncludeSelectsExcludeWinsAndOnlyExcludePrunes) {
  PathFilter filter({"*.txt"}, {"draft*"});
  EXPECT_TRUE(filter.Keeps("d/a.txt", "a.txt"));
  EXPECT_FALSE(filter.Keeps("d/a.md", "a.md"));
  EXPECT_FALSE(filter.Keeps("d/draft1.txt", "draft1.txt"));
  EXPECT_FALSE(filter.Prunes("d/sub", "sub"));  // --include never prunes a directory
  EXPECT_TRUE(filter.Prunes("d/drafts", "drafts"));
  EXPECT_TRUE(PathFilter().Keeps("x", "x"));
}

}  // namespace
}  // namespace ingest
