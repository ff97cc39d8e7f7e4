// AuditNdjsonFiles over real files: line numbers, a truncated last line,
// keys that appear twice across files, unreadable files, the walk order of
// ListNdjsonFiles, and results that do not depend on the thread count or
// on where blocks are cut.
#include "stages/audit/ndjson_audit.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "stages/emit/compression.h"
#include "tests/stages/audit/record_line_builder.h"
#include "tests/testing/testing.h"

namespace ingest {
namespace {

using ::ingest::test::JsonString;
using ::ingest::test::RecordLineBuilder;
using ::ingest::test::TempDir;
using ::ingest::test::WriteFile;

std::string Line(int aid, int revision = 1) {
  RecordLineBuilder builder;
  builder.Key("119", std::to_string(aid)).Text("본문 " + std::to_string(aid));
  if (revision > 1) builder.Set("revision", std::to_string(revision));
  return builder.Build() + "\n";
}

NdjsonInput Input(const std::string& path) {
  NdjsonInput input;
  input.source = input.path = path;
  input.kind = RecordKindOfPath(path);
  return input;
}

NdjsonAudit Audit(const std::vector<NdjsonInput>& files, int threads = 2,
                  size_t block_bytes = 8 << 20) {
  NdjsonAuditOptions options;
  options.threads = threads;
  options.block_bytes = block_bytes;
  Result<NdjsonAudit> audit = AuditNdjsonFiles(files, options);
  EXPECT_OK(audit.status());
  return audit.ok() ? std::move(audit).value() : NdjsonAudit();
}

std::string Describe(const std::vector<Problem>& problems) {
  std::string all;
  for (const Problem& problem : problems) AppendProblemRecord(problem, &all);
  return all;
}

TEST(NdjsonAuditTest, CleanFilesGiveNoProblemsAndRecordsInKeyOrder) {
  TempDir dir;
  WriteFile(dir.Join("a.ndjson"), Line(3) + Line(1));
  WriteFile(dir.Join("b.ndjson"), Line(2) + Line(1, 2));
  NdjsonAudit audit = Audit({Input(dir.Join("a.ndjson")), Input(dir.Join("b.ndjson"))});
  EXPECT_TRUE(audit.problems.empty()) << Describe(audit.problems);
  EXPECT_EQ(audit.files, 2u);
  EXPECT_EQ(audit.lines, 4u);
  ASSERT_EQ(audit.records.size(), 4u);
  EXPECT_EQ(audit.records[0].id, "119_1");
  EXPECT_EQ(audit.records[0].revision, 1u);
  EXPECT_EQ(audit.records[1].id, "119_1");
  EXPECT_EQ(audit.records[1].revision, 2u);  // another key: (id, revision)
  EXPECT_EQ(audit.records[2].id, "119_2");
  EXPECT_EQ(audit.records[3].id, "119_3");
  EXPECT_EQ(audit.records[3].file, 0u);
  EXPECT_EQ(audit.records[3].line, 1u);
  EXPECT_TRUE(audit.records[3].hash_verified);
}

TEST(NdjsonAuditTest, TruncatedLastLineIsPartialLineWithItsNumberAndId) {
  TempDir dir;
  std::string last = Line(2);
  WriteFile(dir.Join("a.ndjson"), Line(1) + last.substr(0, last.size() / 2));
  NdjsonAudit audit = Audit({Input(dir.Join("a.ndjson"))});
  ASSERT_EQ(audit.problems.size(), 1u) << Describe(audit.problems);
  EXPECT_EQ(audit.problems[0].code, ProblemCode::kPartialLine);
  EXPECT_EQ(audit.problems[0].line, 2u);
  EXPECT_EQ(audit.problems[0].id, "119_2");
  EXPECT_EQ(audit.problems[0].source, dir.Join("a.ndjson"));
  EXPECT_EQ(audit.records.size(), 1u);  // a partial line stands for no key
}

TEST(NdjsonAuditTest, CompleteRecordWithoutItsNewlineIsStillPartialLine) {
  TempDir dir;
  std::string line = Line(1);
  line.pop_back();
  WriteFile(dir.Join("a.ndjson"), line);
  NdjsonAudit audit = Audit({Input(dir.Join("a.ndjson"))});
  ASSERT_EQ(audit.problems.size(), 1u);
  EXPECT_EQ(audit.problems[0].code, ProblemCode::kPartialLine);
}

TEST(NdjsonAuditTest, KeyInTwoFilesIsDuplicateKeyAtTheLaterOneNamingTheFirst) {
  TempDir dir;
  WriteFile(dir.Join("a.ndjson"), Line(1) + Line(2));
  WriteFile(dir.Join("b.ndjson"), Line(3) + Line(2) + Line(2, 2));
  NdjsonAudit audit = Audit({Input(dir.Join("a.ndjson")), Input(dir.Join("b.ndjson"))});
  ASSERT_EQ(audit.problems.size(), 1u) << Describe(audit.problems);
  const Problem& problem = audit.problems[0];
  EXPECT_EQ(problem.code, ProblemCode::kDuplicateKey);
  EXPECT_EQ(problem.source, dir.Join("b.ndjson"));
  EXPECT_EQ(problem.line, 2u);
  EXPECT_EQ(problem.id, "119_2");
  EXPECT_EQ(problem.detail, "id 119_2 already has a record at " + dir.Join("a.ndjson") + ":2");
  int marked = 0;
  for (const KeyedRecord& record : audit.records) marked += record.duplicate ? 1 : 0;
  EXPECT_EQ(marked, 1);
}

TEST(NdjsonAuditTest, ProblemsComeInFileThenLineOrder) {
  TempDir dir;
  WriteFile(dir.Join("a.ndjson"), Line(1) + "{}\n" + Line(1) + "not json\n");
  WriteFile(dir.Join("b.ndjson"), "[]\n");
  NdjsonAudit audit = Audit({Input(dir.Join("a.ndjson")), Input(dir.Join("b.ndjson"))});
  std::vector<std::pair<uint64_t, ProblemCode>> seen;
  for (const Problem& problem : audit.problems) seen.emplace_back(problem.line, problem.code);
  EXPECT_EQ(seen, (std::vector<std::pair<uint64_t, ProblemCode>>{
                      {2, ProblemCode::kMissingKey},
                      {3, ProblemCode::kDuplicateKey},
                      {4, ProblemCode::kInvalidJson},
                      {1, ProblemCode::kWrongType}}))
      << Describe(audit.problems);
  EXPECT_EQ(audit.problems.back().source, dir.Join("b.ndjson"));
}

// Blocks of 300 bytes hold about half a record: every line crosses a block
// end or grows its block, and line numbers must still be exact.
TEST(NdjsonAuditTest, SameResultAtEveryThreadCountAndBlockSize) {
  TempDir dir;
  std::string contents;
  for (int i = 1; i <= 200; ++i) {
    if (i == 37) {
      contents += "{\"broken\n";
    } else if (i == 150) {
      std::string line = Line(i);
      line[line.find("본문")] = 'X';  // breaks the UTF-8 of the text
      contents += line;
    } else {
      contents += Line(i % 120);  // keys 1..79 come twice
    }
  }
  WriteFile(dir.Join("big.ndjson"), contents);
  std::vector<NdjsonInput> files = {Input(dir.Join("big.ndjson"))};
  NdjsonAudit reference = Audit(files, 1);
  std::string expected = Describe(reference.problems);
  EXPECT_NE(expected.find("\"line\":37,\"problem\":\"invalid_json\""), std::string::npos)
      << expected;
  EXPECT_NE(expected.find("\"line\":150,\"id\":\"119_150\",\"problem\":\"invalid_utf8\""),
            std::string::npos)
      << expected;
  EXPECT_NE(expected.find("\"line\":200,\"id\":\"119_80\",\"problem\":\"duplicate_key\""),
            std::string::npos)
      << expected;
  for (int threads : {1, 2, 3}) {
    for (size_t block : {size_t{300}, size_t{4096}, size_t{1} << 20}) {
      NdjsonAudit audit = Audit(files, threads, block);
      EXPECT_EQ(Describe(audit.problems), expected) << threads << " " << block;
      EXPECT_EQ(audit.lines, 200u);
      EXPECT_EQ(audit.bytes, contents.size());
      EXPECT_EQ(audit.records.size(), reference.records.size());
    }
  }
}

TEST(NdjsonAuditTest, UnreadableFileIsAProblemAndTheAuditGoesOn) {
  TempDir dir;
  WriteFile(dir.Join("b.ndjson"), Line(1));
  std::filesystem::create_directories(dir.Join("dir.ndjson"));
  NdjsonAudit audit = Audit({Input(dir.Join("missing.ndjson")), Input(dir.Join("dir.ndjson")),
                             Input(dir.Join("b.ndjson"))});
  ASSERT_EQ(audit.problems.size(), 2u) << Describe(audit.problems);
  EXPECT_EQ(audit.problems[0].code, ProblemCode::kUnreadable);
  EXPECT_EQ(audit.problems[0].detail, "open: No such file or directory");
  EXPECT_EQ(audit.problems[1].code, ProblemCode::kUnreadable);
  EXPECT_EQ(audit.problems[1].line, 0u);
  EXPECT_EQ(audit.records.size(), 1u);
}

TEST(NdjsonAuditTest, EmptyFileIsClean) {
  TempDir dir;
  WriteFile(dir.Join("a.ndjson"), "");
  NdjsonAudit audit = Audit({Input(dir.Join("a.ndjson"))});
  EXPECT_TRUE(audit.problems.empty());
  EXPECT_EQ(audit.lines, 0u);
}

std::string Compressed(Compression compression, std::string_view contents) {
  std::unique_ptr<Compressor> compressor = Compressor::Make(compression);
  std::string out;
  EXPECT_OK(compressor->Compress(contents, &out));
  EXPECT_OK(compressor->Finish(&out));
  return out;
}

TEST(NdjsonAuditTest, CompressedChunksAreAuditedLikePlainOnes) {
  TempDir dir;
  std::string contents = Line(1) + "{}\n" + Line(1) + Line(2);
  contents.resize(contents.size() - 10);  // a partial last line
  WriteFile(dir.Join("plain.ndjson"), contents);
  WriteFile(dir.Join("z.ndjson.zst"), Compressed(Compression::kZstd, contents));
  WriteFile(dir.Join("g.ndjson.gz"), Compressed(Compression::kGzip, contents));
  // Compressed whatever the name says: ChunkReader goes by the magic number.
  WriteFile(dir.Join("sniffed.ndjson"), Compressed(Compression::kZstd, contents));
  std::string expected = Describe(Audit({Input(dir.Join("plain.ndjson"))}, 2, 300).problems);
  EXPECT_NE(expected.find("partial_line"), std::string::npos) << expected;
  for (const char* name : {"z.ndjson.zst", "g.ndjson.gz", "sniffed.ndjson"}) {
    NdjsonAudit audit = Audit({Input(dir.Join(name))}, 2, 300);
    std::string found = Describe(audit.problems);
    size_t at;
    while ((at = found.find(dir.Join(name))) != std::string::npos) {
      found.replace(at, dir.Join(name).size(), dir.Join("plain.ndjson"));
    }
    EXPECT_EQ(found, expected) << name;
    EXPECT_EQ(audit.bytes, contents.size()) << name;  // uncompressed bytes
    EXPECT_EQ(audit.records.size(), 2u) << name;
  }
}

TEST(NdjsonAuditTest, CutShortCompressedChunkIsBadCompressionAfterItsGoodLines) {
  TempDir dir;
  std::string contents;
  for (int i = 1; i <= 300; ++i) contents += Line(i);
  std::string compressed = Compressed(Compression::kZstd, contents);
  WriteFile(dir.Join("cut.ndjson.zst"), compressed.substr(0, compressed.size() - 20));
  WriteFile(dir.Join("fake.ndjson.gz"), contents);  // a plain file wearing .gz
  NdjsonAudit audit = Audit({Input(dir.Join("cut.ndjson.zst")), Input(dir.Join("fake.ndjson.gz"))});
  ASSERT_FALSE(audit.problems.empty());
  std::vector<ProblemCode> codes;
  for (const Problem& problem : audit.problems) codes.push_back(problem.code);
  EXPECT_EQ(codes.back(), ProblemCode::kBadCompression) << Describe(audit.problems);
  EXPECT_EQ(audit.problems.back().source, dir.Join("fake.ndjson.gz"));
  EXPECT_EQ(std::count(codes.begin(), codes.end(), ProblemCode::kBadCompression), 2)
      << Describe(audit.problems);
  EXPECT_NE(Describe(audit.problems).find("truncated"), std::string::npos)
      << Describe(audit.problems);
  // The lines before the damage were checked.
  EXPECT_GT(audit.records.size(), 0u);
  EXPECT_LT(audit.records.size(), 300u);
}

TEST(ListNdjsonFilesTest, WalksInByteOrderOfPathsWithKindsFromFolders) {
  TempDir dir;
  for (const char* name : {"b.ndjson", "a/z.jsonl", "a-c.ndjson", "a.ndjson",
                           "quarantine/q.ndjson", "notes.txt", "x.json",
                           ".r-000001.ndjson.tmp", "c.ndjson.zst", "d.jsonl.gz", "e.zst"}) {
    WriteFile(dir.Join(name), "");
  }
  ASSERT_EQ(symlink(dir.Join("a").c_str(), dir.Join("loop").c_str()), 0);
  ASSERT_EQ(symlink(dir.Join("gone").c_str(), dir.Join("broken.ndjson").c_str()), 0);
  ASSERT_EQ(symlink(dir.Join("b.ndjson").c_str(), dir.Join("link.ndjson").c_str()), 0);
  std::vector<NdjsonInput> files;
  ListNdjsonFiles(dir.path(), /*report_unlistable=*/true, &files);
  std::vector<std::string> names;
  for (const NdjsonInput& file : files) {
    names.push_back(file.source.substr(dir.path().size() + 1) +
                    (file.error.empty() ? "" : " !"));
  }
  EXPECT_EQ(names, (std::vector<std::string>{"a-c.ndjson", "a.ndjson", "a/z.jsonl",
                                             "b.ndjson", "broken.ndjson !", "c.ndjson.zst",
                                             "d.jsonl.gz", "link.ndjson",
                                             "quarantine/q.ndjson"}));
  EXPECT_EQ(files.back().kind, RecordKind::kQuarantine);
  EXPECT_EQ(files.front().kind, RecordKind::kArticle);
}

TEST(ListNdjsonFilesTest, UnlistableDirectoryIsReportedOnlyWhenAsked) {
  TempDir dir;
  std::vector<NdjsonInput> reported, quiet;
  ListNdjsonFiles(dir.Join("gone"), /*report_unlistable=*/true, &reported);
  ListNdjsonFiles(dir.Join("gone"), /*report_unlistable=*/false, &quiet);
  ASSERT_EQ(reported.size(), 1u);
  EXPECT_EQ(reported[0].error, "opendir: No such file or directory");
  EXPECT_TRUE(quiet.empty());
}

}  // namespace
}  // namespace ingest
