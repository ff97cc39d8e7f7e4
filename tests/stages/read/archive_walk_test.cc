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

// Every member as "name\n" + data through ArchiveReader, or the first error.
Result<std::string> ReadMembers(const std::string& archive) {
  INGEST_ASSIGN_OR_RETURN(std::unique_ptr<ArchiveReader> reader, ArchiveReader::Open(archive));
  std::string members;
  ArchiveMember member;
  while (true) {
    INGEST_ASSIGN_OR_RETURN(bool more, reader->NextMember(&member));
    if (!more) break;
    std::string data;
    INGEST_ASSIGN_OR_RETURN(uint64_t size, reader->ReadData(UINT64_MAX - 1, &data));
    EXPECT_EQ(size, data.size());
    members += member.name + "\n" + data;
  }
  return members;
}

// gzip variants written by Python's gzip module (an independent encoder):
// python3 -c CODE plain.tar out.tar.gz.
void WriteGzipVariant(const std::string& code, const std::string& plain,
                      const std::string& out) {
  test::ProcessResult result = test::RunProcess(
      {"python3", "-c", "import gzip, sys\nplain = open(sys.argv[1], 'rb').read()\n" + code,
       plain, out});
  ASSERT_EQ(result.exit_code, 0) << result.err;
}

class GzipArchiveTest : public ArchiveWalkTest {
 protected:
  void SetUp() override {
    ArchiveWalkTest::SetUp();
    // Several MiB of poorly compressible members: many input and output
    // blocks of the inflater, members straddling their boundaries.
    std::string text;
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 40; ++i) {
      text.clear();
      for (int j = 0; j < 12000 + i * 997; ++j) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        text += std::to_string(x % 1000003) + (j % 13 == 0 ? "\n" : " ");
      }
      test::WriteFile(dir_.Join("big/" + std::to_string(100 + i) + ".txt"), text);
    }
    plain_ = dir_.Join("t.tar");
    Tar(plain_, dir_.Join("big"), {"."});
    Result<std::string> members = ReadMembers(plain_);
    ASSERT_OK(members.status());
    expected_ = *members;
    ASSERT_GT(expected_.size(), 4u << 20);
  }
  // The gzip file `code` writes (from `plain`, to sys.argv[2]) reads back
  // as the plain tar's members, without an error.
  void ExpectTheMembersOfThePlainTar(const std::string& code) {
    std::string archive = dir_.Join("variant.tar.gz");
    WriteGzipVariant(code, plain_, archive);
    Result<std::string> members = ReadMembers(archive);
    ASSERT_OK(members.status());
    EXPECT_TRUE(*members == expected_);
  }

  std::string plain_;
  std::string expected_;
};

TEST_F(GzipArchiveTest, OneMemberGivesThePlainTarsMembers) {
  ExpectTheMembersOfThePlainTar("open(sys.argv[2], 'wb').write(gzip.compress(plain, 6))");
}

TEST_F(GzipArchiveTest, ConcatenatedMembersAreReadOneAfterAnother) {
  // Split inside a tar header and inside member data, as `cat a.gz b.gz` or
  // a parallel compressor would.
  ExpectTheMembersOfThePlainTar(
      "cuts = [0, 700, 300001, 2500000, len(plain)]\n"
      "open(sys.argv[2], 'wb').write(b''.join(gzip.compress(plain[a:b], 1) "
      "for a, b in zip(cuts, cuts[1:])))");
}

TEST_F(GzipArchiveTest, AMemberHeaderAcrossTheInflatersReadBoundaryIsRead) {
  // The inflater reads 1 MiB at a time: the first member is made exactly
  // 1 MiB - 5 bytes long (stored blocks, a FEXTRA field to pad, FNAME), so
  // the second member's 10-byte header is split across two reads.
  ExpectTheMembersOfThePlainTar(
      "import struct, zlib\n"
      "def member(data, level, extra=b'', name=b''):\n"
      "    flags = (4 if extra else 0) | (8 if name else 0)\n"
      "    h = b'\\x1f\\x8b\\x08' + bytes([flags]) + bytes(4) + b'\\x00\\x03'\n"
      "    if extra: h += struct.pack('<H', len(extra)) + extra\n"
      "    if name: h += name + b'\\x00'\n"
      "    c = zlib.compressobj(level, zlib.DEFLATED, -15)\n"
      "    body = c.compress(data) + c.flush()\n"
      "    return h + body + struct.pack('<II', zlib.crc32(data), len(data) & 0xffffffff)\n"
      "cut = 1000000\n"
      "bare = member(plain[:cut], 0, name=b't.tar')\n"
      "n = (1 << 20) - 5 - len(bare) - 6\n"
      "first = member(plain[:cut], 0, extra=b'AB' + struct.pack('<H', n) + b'x' * n, name=b't.tar')\n"
      "assert len(first) == (1 << 20) - 5, len(first)\n"
      "open(sys.argv[2], 'wb').write(first + member(plain[cut:], 6))");
}

TEST_F(GzipArchiveTest, BytesAfterTheLastMemberEndTheStream) {
  for (const char* trailer : {"bytes(4096)", "b'not gzip'", "b'\\x1f'"}) {
    SCOPED_TRACE(trailer);
    ExpectTheMembersOfThePlainTar(
        std::string("open(sys.argv[2], 'wb').write(gzip.compress(plain) + ") + trailer + ")");
  }
}

// Reads members until the first error: what was read before it, and it.
std::pair<std::string, Status> ReadUntilError(const std::string& archive) {
  std::unique_ptr<ArchiveReader> reader = ArchiveReader::Open(archive).value();
  ArchiveMember member;
  std::string read;
  while (true) {
    Result<bool> more = reader->NextMember(&member);
    if (!more.ok()) return {read, more.status()};
    if (!*more) return {read, Status::OK()};
    std::string data;
    Result<uint64_t> size = reader->ReadData(UINT64_MAX - 1, &data);
    if (!size.ok()) return {read, size.status()};
    read += member.name + "\n" + data;
  }
}

TEST_F(GzipArchiveTest, ACutArchiveIsAnErrorAfterIntactMembers) {
  std::string archive = dir_.Join("cut.tar.gz");
  WriteGzipVariant("open(sys.argv[2], 'wb').write(gzip.compress(plain)[:-100000])", plain_,
                   archive);
  auto [read, error] = ReadUntilError(archive);
  EXPECT_EQ(error.code(), StatusCode::kCorruption) << error.ToString();
  EXPECT_GT(read.size(), 0u);
  EXPECT_EQ(expected_.compare(0, read.size(), read), 0);
}

TEST_F(GzipArchiveTest, DamageFoundByTheChecksumIsReportedAfterTheMembers) {
  if (!ArchiveReader::ChecksWholeGzipStream()) {
    GTEST_SKIP() << "built without ISA-L: libarchive stops at the tar's end marker";
  }
  // A flipped CRC: every member intact, then the error. A flipped byte in
  // the deflate data: the error, whatever was inflated before it (the read
  // stage's content_hash check sees changed articles).
  for (const char* damage : {"data[-8] ^= 0xff", "data[len(data) // 3] ^= 0x55"}) {
    SCOPED_TRACE(damage);
    std::string archive = dir_.Join("damaged.tar.gz");
    WriteGzipVariant(std::string("data = bytearray(gzip.compress(plain))\n") + damage +
                         "\nopen(sys.argv[2], 'wb').write(data)",
                     plain_, archive);
    auto [read, error] = ReadUntilError(archive);
    EXPECT_EQ(error.code(), StatusCode::kCorruption) << error.ToString();
    if (std::string_view(damage).find("-8") != std::string_view::npos) {
      EXPECT_TRUE(read == expected_);
      EXPECT_NE(error.message().find("gzip: CRC or length mismatch"), std::string::npos)
          << error.ToString();
    }
  }
}

TEST_F(ArchiveWalkTest, ASparseMemberReadsWithItsHolesAsZeros) {
  // GNU tar -S stores only the data blocks; the reader must give the holes.
  std::string sparse = dir_.Join("src/sparse.txt");
  {
    std::FILE* file = std::fopen(sparse.c_str(), "wb");
    ASSERT_NE(file, nullptr);
    std::fseek(file, 300000, SEEK_SET);
    std::fputs("middle", file);
    std::fseek(file, 700000, SEEK_SET);
    std::fputs("end", file);
    std::fclose(file);
  }
  std::string expected(700003, '\0');
  expected.replace(300000, 6, "middle");
  expected.replace(700000, 3, "end");
  std::string archive = dir_.Join("t.tar");
  Tar(archive, dir_.Join("src"), {"sparse.txt", "b.txt"}, {"-S"});
  Walked walked = Walk({archive});
  ASSERT_EQ(walked.articles.size(), 2u);
  EXPECT_TRUE(walked.articles[0].raw == expected);
  EXPECT_EQ(walked.articles[0].bytes_read, expected.size());
  EXPECT_EQ(walked.articles[1].raw, "bee");
}

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
