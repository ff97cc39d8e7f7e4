// ChunkFile with compression and ChunkReader: what is written through the
// commit protocol reads back byte for byte, plain, zstd and gzip; the
// external zstd / gzip tools agree; damage is reported, never read as data.
#include "stages/emit/chunk_reader.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <filesystem>

#include "stages/emit/chunk_file.h"
#include "stages/emit/compression.h"
#include "tests/testing/process.h"
#include "tests/testing/testing.h"

namespace ingest {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> SampleLines() {
  std::vector<std::string> lines;
  for (int i = 0; i < 5000; ++i) {
    lines.push_back("{\"id\":\"" + std::to_string(i) + "\",\"text\":\"기사 본문 " +
                    std::string(static_cast<size_t>(i % 700), 'x') + "\"}");
  }
  return lines;
}

// Writes `lines` through a ChunkFile the way the emit stage does (buffer
// appends and references), seals and publishes it.
std::string WriteChunk(const test::TempDir& dir, Compression compression,
                       const std::vector<std::string>& lines) {
  std::string path = dir.Join("c.ndjson" + std::string(CompressionSuffix(compression)));
  ChunkFile file(path, compression);
  std::vector<std::string> records;
  for (size_t i = 0; i < lines.size(); ++i) records.push_back(lines[i] + "\n");
  for (size_t i = 0; i < records.size(); ++i) {
    if (i % 2 == 0) {
      file.AppendRef(records[i]);
    } else {
      file.buffer()->append(records[i]);
    }
    if (i % 100 == 99) EXPECT_OK(file.Flush());
  }
  EXPECT_OK(file.Seal());
  EXPECT_TRUE(fs::exists(file.temp_path()));
  EXPECT_FALSE(fs::exists(path)) << "visible before Publish";
  EXPECT_OK(file.Publish());
  return path;
}

std::vector<std::string> ReadLines(const std::string& path) {
  Result<std::unique_ptr<ChunkReader>> reader = ChunkReader::Open(path);
  EXPECT_OK(reader.status());
  std::vector<std::string> lines;
  if (!reader.ok()) return lines;
  std::string_view line;
  while (true) {
    Result<bool> next = (*reader)->NextLine(&line);
    EXPECT_OK(next.status());
    if (!next.ok() || !*next) break;
    lines.emplace_back(line);
  }
  return lines;
}

std::string Joined(const std::vector<std::string>& lines) {
  std::string all;
  for (const std::string& line : lines) all += line + "\n";
  return all;
}

class ChunkRoundTripTest : public ::testing::TestWithParam<Compression> {};

TEST_P(ChunkRoundTripTest, WrittenLinesReadBackExactly) {
  test::TempDir dir;
  std::vector<std::string> lines = SampleLines();
  std::string path = WriteChunk(dir, GetParam(), lines);
  EXPECT_EQ(ReadLines(path), lines);
  Result<std::string> whole = ReadChunkFile(path);
  ASSERT_OK(whole.status());
  EXPECT_EQ(*whole, Joined(lines));
  if (GetParam() != Compression::kNone) {
    EXPECT_LT(fs::file_size(path), Joined(lines).size() / 3) << "not compressed";
  }
}

// ~11 MB in records of uneven sizes: several direct I/O blocks, the last
// one partial, so the padding and the final truncation are both exercised
// (on a filesystem that takes direct I/O; elsewhere the page-cache path).
TEST_P(ChunkRoundTripTest, AChunkOfManyBlocksReadsBackExactlyAndNoLonger) {
  test::TempDir dir;
  std::vector<std::string> lines;
  for (int i = 0; i < 5000; ++i) {
    lines.push_back("{\"id\":\"" + std::to_string(i) + "\",\"text\":\"" +
                    std::string(static_cast<size_t>(1000 + (i * 7919) % 2900), 'a' + i % 26) +
                    "\"}");
  }
  std::string path = dir.Join("big.ndjson" + std::string(CompressionSuffix(GetParam())));
  ChunkFile file(path, GetParam());
  bool direct = false;
  for (const std::string& line : lines) {
    file.buffer()->append(line + "\n");
    EXPECT_OK(file.MaybeFlush());
    direct = direct || file.direct_io();
  }
  EXPECT_OK(file.Seal());
  EXPECT_OK(file.Publish());
  EXPECT_EQ(ReadLines(path), lines);
  if (GetParam() == Compression::kNone) {
    EXPECT_EQ(fs::file_size(path), Joined(lines).size());
  }
  struct statfs info;
  ASSERT_EQ(statfs(dir.path().c_str(), &info), 0);
  if (info.f_type == EXT4_SUPER_MAGIC || info.f_type == XFS_SUPER_MAGIC ||
      info.f_type == BTRFS_SUPER_MAGIC) {
    EXPECT_TRUE(direct) << "a local disk filesystem is written with direct I/O";
  }
}

TEST_P(ChunkRoundTripTest, TheStandardToolDecompressesItToTheSameBytes) {
  if (GetParam() == Compression::kNone) GTEST_SKIP() << "nothing to decompress";
  test::TempDir dir;
  std::vector<std::string> lines = SampleLines();
  std::string path = WriteChunk(dir, GetParam(), lines);
  std::string tool = GetParam() == Compression::kZstd ? "zstd" : "gzip";
  test::ProcessResult result = test::RunProcess({tool, "-dc", path});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, Joined(lines));
}

TEST_P(ChunkRoundTripTest, AStreamSealedAtEveryCommitReadsAsOne) {
  // stdout under --compress: each commit ends a frame; frames concatenate.
  test::TempDir dir;
  std::string path = dir.Join("stream.ndjson" + std::string(CompressionSuffix(GetParam())));
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  ChunkFile stream = ChunkFile::ForDescriptor(fd, "stream", GetParam());
  std::vector<std::string> lines = SampleLines();
  for (size_t i = 0; i < lines.size(); ++i) {
    stream.buffer()->append(lines[i] + "\n");
    if (i % 1000 == 999) ASSERT_OK(stream.Seal());
  }
  ASSERT_OK(stream.Seal());
  close(fd);
  EXPECT_EQ(ReadLines(path), lines);
}

TEST_P(ChunkRoundTripTest, ATruncatedChunkIsCorruptionNotFewerLines) {
  if (GetParam() == Compression::kNone) GTEST_SKIP() << "plain files show a partial line";
  test::TempDir dir;
  std::string path = WriteChunk(dir, GetParam(), SampleLines());
  fs::resize_file(path, fs::file_size(path) - 20);
  Result<std::string> whole = ReadChunkFile(path);
  EXPECT_EQ(whole.status().code(), StatusCode::kCorruption) << whole.status().ToString();
  EXPECT_NE(whole.status().message().find(path), std::string::npos);
}

TEST_P(ChunkRoundTripTest, ReadBlockDeliversEveryLineBeforeTheDamageThenTheError) {
  if (GetParam() == Compression::kNone) GTEST_SKIP() << "plain files show a partial line";
  test::TempDir dir;
  std::vector<std::string> lines = SampleLines();
  std::string path = WriteChunk(dir, GetParam(), lines);
  fs::resize_file(path, fs::file_size(path) / 2);
  auto reader = ChunkReader::Open(path);
  ASSERT_OK(reader.status());
  std::string block;
  Result<bool> first = (*reader)->ReadBlock(64 << 20, &block);
  ASSERT_OK(first.status());
  EXPECT_TRUE(first.value());
  EXPECT_GT(block.size(), 1000u);
  EXPECT_EQ(Joined(lines).substr(0, block.size()), block) << "only good lines, whole";
  std::string rest;
  Result<bool> second = (*reader)->ReadBlock(64 << 20, &rest);
  EXPECT_EQ(second.status().code(), StatusCode::kCorruption);
}

INSTANTIATE_TEST_SUITE_P(Compressions, ChunkRoundTripTest,
                         ::testing::Values(Compression::kNone, Compression::kZstd,
                                           Compression::kGzip),
                         [](const auto& param_info) {
                           return std::string(CompressionName(param_info.param));
                         });

TEST(ChunkReaderTest, MarksALastLineWithoutNewlineAsPartial) {
  test::TempDir dir;
  test::WriteFile(dir.Join("p.ndjson"), "{\"a\":1}\n{\"b\":");
  auto reader = ChunkReader::Open(dir.Join("p.ndjson"));
  ASSERT_OK(reader.status());
  std::string_view line;
  bool terminated = false;
  ASSERT_TRUE((*reader)->NextLine(&line, &terminated).value());
  EXPECT_EQ(line, "{\"a\":1}");
  EXPECT_TRUE(terminated);
  ASSERT_TRUE((*reader)->NextLine(&line, &terminated).value());
  EXPECT_EQ(line, "{\"b\":");
  EXPECT_FALSE(terminated);
  EXPECT_EQ((*reader)->line_number(), 2u);
  EXPECT_FALSE((*reader)->NextLine(&line, &terminated).value());
}

TEST(ChunkReaderTest, AFileNamedZstThatIsNotZstdIsCorruption) {
  test::TempDir dir;
  test::WriteFile(dir.Join("x.ndjson.zst"), "{\"plain\":true}\n");
  auto reader = ChunkReader::Open(dir.Join("x.ndjson.zst"));
  EXPECT_EQ(reader.status().code(), StatusCode::kCorruption);
}

TEST(ChunkReaderTest, RecognisesCompressionByMagicNumberUnderAnyName) {
  test::TempDir dir;
  std::string path = WriteChunk(dir, Compression::kZstd, {"{\"a\":1}"});
  fs::rename(path, dir.Join("renamed.jsonl"));
  EXPECT_EQ(ReadLines(dir.Join("renamed.jsonl")), std::vector<std::string>{"{\"a\":1}"});
}

TEST(ChunkReaderTest, ReadBlockCutsAtLineEnds) {
  test::TempDir dir;
  std::vector<std::string> lines = SampleLines();
  std::string path = WriteChunk(dir, Compression::kGzip, lines);
  auto reader = ChunkReader::Open(path);
  ASSERT_OK(reader.status());
  std::string all;
  int blocks = 0;
  while (true) {
    std::string block;
    Result<bool> more = (*reader)->ReadBlock(64 << 10, &block);
    ASSERT_OK(more.status());
    if (!*more) break;
    ASSERT_EQ(block.back(), '\n');
    all += block;
    ++blocks;
  }
  EXPECT_GT(blocks, 10);
  EXPECT_EQ(all, Joined(lines));
}

TEST(ChunkReaderTest, MissingFileIsNotFound) {
  EXPECT_EQ(ChunkReader::Open("/nonexistent/x.ndjson").status().code(), StatusCode::kNotFound);
}

TEST(ChunkReaderTest, ChunkNamesAreNdjsonPlainOrCompressedAndNotHidden) {
  EXPECT_TRUE(IsChunkFileName("r-000001.ndjson"));
  EXPECT_TRUE(IsChunkFileName("r-000001.ndjson.zst"));
  EXPECT_TRUE(IsChunkFileName("r-000001.ndjson.gz"));
  EXPECT_FALSE(IsChunkFileName(".r-000001.ndjson.zst.tmp"));
  EXPECT_FALSE(IsChunkFileName("r-000001.json"));
}

}  // namespace
}  // namespace ingest
