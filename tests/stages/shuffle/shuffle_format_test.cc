// The shuffle's formats and its two ends: partitioning, the run plan, spill
// files written by SpillWriter and merged back by MergeSource.
#include "stages/shuffle/shuffle_format.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "stages/shuffle/merge_source.h"
#include "stages/shuffle/spill_stage.h"
#include "tests/testing/testing.h"

namespace ingest {
namespace {

std::string KeyNumber(int i) { return std::to_string(100 + i % 20) + "_" + std::to_string(i); }

TEST(PartitionOfTest, DoublingPSplitsEveryPartitionInTwo) {
  for (uint32_t partitions = 1; partitions <= 1024; partitions *= 2) {
    for (int i = 0; i < 2000; ++i) {
      std::string key = KeyNumber(i);
      EXPECT_EQ(PartitionOf(key, 2 * partitions) / 2, PartitionOf(key, partitions)) << key;
    }
  }
}

TEST(PartitionOfTest, SpreadsKeysEvenly) {
  constexpr uint32_t kPartitions = 16;
  constexpr int kKeys = 160000;
  std::vector<int> counts(kPartitions);
  for (int i = 0; i < kKeys; ++i) ++counts[PartitionOf(KeyNumber(i), kPartitions)];
  for (int count : counts) {
    EXPECT_NEAR(count, kKeys / kPartitions, kKeys / kPartitions / 20);
  }
}

TEST(PartitionOfTest, OnePartitionTakesEverything) {
  EXPECT_EQ(PartitionOf("119_0003042504", 1), 0u);
  EXPECT_EQ(PartitionOf("", 1), 0u);
}

RunPlan SamplePlan() {
  RunPlan plan;
  plan.run_id = "20260101T000000.000Z";
  plan.started_at = "2026-01-01T00:00:00.000Z";
  plan.out_dir = "/out";
  plan.maps = 3;
  plan.partitions = 8;
  plan.emit_revisions = true;
  plan.default_offset_minutes = -330;
  plan.max_file_size = 1234;
  plan.chunk_records = 10;
  plan.skipped = 2;
  plan.unchanged = 5;
  plan.inputs = {"dump", "new\tdump"};
  plan.files = 10;
  plan.compression = Compression::kZstd;
  plan.compression_level = 7;
  plan.schema = RecordSchema::kDolma;
  return plan;
}

TEST(RunPlanTest, RoundTripsThroughItsEncoding) {
  RunPlan plan = SamplePlan();
  Result<RunPlan> decoded = RunPlan::Decode(plan.Encode());
  ASSERT_OK(decoded.status());
  EXPECT_EQ(decoded->run_id, plan.run_id);
  EXPECT_EQ(decoded->out_dir, plan.out_dir);
  EXPECT_EQ(decoded->maps, 3u);
  EXPECT_EQ(decoded->partitions, 8u);
  EXPECT_TRUE(decoded->emit_revisions);
  EXPECT_EQ(decoded->default_offset_minutes, -330);
  EXPECT_EQ(decoded->inputs, plan.inputs);
  EXPECT_EQ(decoded->files, 10u);
  EXPECT_EQ(decoded->compression, Compression::kZstd);
  EXPECT_EQ(decoded->compression_level, 7);
  EXPECT_EQ(decoded->schema, RecordSchema::kDolma);
}

// Plans written before the output options existed end after `files`.
TEST(RunPlanTest, APlanWithoutOutputOptionsDecodesWithRunsDefaults) {
  std::string encoded = SamplePlan().Encode();
  encoded.resize(encoded.size() - 3);  // three one-byte varints
  Result<RunPlan> decoded = RunPlan::Decode(encoded);
  ASSERT_OK(decoded.status());
  EXPECT_EQ(decoded->files, 10u);
  EXPECT_EQ(decoded->compression, Compression::kNone);
  EXPECT_EQ(decoded->compression_level, 0);
  EXPECT_EQ(decoded->schema, RecordSchema::kNative);
}

TEST(RunPlanTest, RejectsATruncatedPlan) {
  std::string encoded = SamplePlan().Encode();
  for (size_t size : {size_t{0}, size_t{5}, encoded.size() / 2, encoded.size() - 1}) {
    Result<RunPlan> decoded = RunPlan::Decode(encoded.substr(0, size));
    EXPECT_EQ(decoded.status().code(), StatusCode::kCorruption) << size;
  }
}

TEST(RunPlanTest, MapSharesCoverTheManifestOnceInOrder) {
  RunPlan plan = SamplePlan();
  for (uint32_t maps : {1u, 3u, 7u, 10u, 13u}) {
    plan.maps = maps;
    uint64_t expected_begin = 0;
    for (uint32_t task = 0; task < maps; ++task) {
      uint64_t begin = 0, end = 0;
      plan.MapShare(task, &begin, &end);
      EXPECT_EQ(begin, expected_begin);
      EXPECT_LE(begin, end);
      expected_begin = end;
    }
    EXPECT_EQ(expected_begin, plan.files);
  }
}

TEST(ManifestTest, ReaderStartsAtAnyEntryAndReadsToTheEnd) {
  test::TempDir dir;
  ManifestWriter writer(dir.Join("manifest.bin"), dir.Join("manifest.idx"));
  for (int i = 0; i < 1000; ++i) {
    ManifestEntry entry;
    entry.source = "dump/" + std::to_string(i) + (i % 7 ? ".txt" : "\n\t.txt");
    entry.path = entry.source;
    entry.stamp = FileStamp{static_cast<uint64_t>(i), -i};
    if (i == 3) {
      entry.reason = QuarantineReason::kUnreadable;
      entry.detail = "broken symlink";
    }
    ASSERT_OK(writer.Add(entry));
  }
  ASSERT_OK(writer.Finish());
  for (uint64_t begin : {0ull, 3ull, 999ull, 1000ull}) {
    auto reader = ManifestReader::Open(dir.Join("manifest.bin"), dir.Join("manifest.idx"), begin);
    ASSERT_OK(reader.status());
    ManifestEntry entry;
    uint64_t index = begin;
    for (;;) {
      Result<bool> next = (*reader)->Next(&entry);
      ASSERT_OK(next.status());
      if (!*next) break;
      EXPECT_EQ(entry.stamp.size, index);
      EXPECT_EQ(entry.reason, index == 3 ? QuarantineReason::kUnreadable : QuarantineReason::kNone);
      ++index;
    }
    EXPECT_EQ(index, 1000u);
  }
}

TEST(ManifestTest, AnUnfinishedWriterLeavesNothing) {
  test::TempDir dir;
  {
    ManifestWriter writer(dir.Join("manifest.bin"), dir.Join("manifest.idx"));
    ASSERT_OK(writer.Add(ManifestEntry{"a.txt", "a.txt", FileStamp{}, QuarantineReason::kNone, ""}));
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

Article Spilled(int i) {
  Article article;
  article.oid = std::to_string(100 + i % 3);
  article.aid = std::to_string(i % 50);
  article.id = article.Key();
  article.source = "dump/" + std::to_string(i) + ".txt";
  article.content_hash = std::string(64, 'a');
  article.record = "{\"id\":\"" + article.id + "\"}\n";
  article.record_revision_at = 7;
  article.bytes_read = 100 + i;
  return article;
}

TEST(SpillTest, MergeRestoresPositionOrderAcrossSpillsAndBlocks) {
  test::TempDir dir;
  constexpr uint32_t kPartitions = 4;
  // Two map tasks with interleaved positions and tiny blocks, so each
  // partition has many extents per spill.
  std::map<uint32_t, std::vector<uint64_t>> expected;
  for (int task = 0; task < 2; ++task) {
    SpillWriter writer(dir.Join("map-" + std::to_string(task) + ".spill"), kPartitions,
                       /*block_bytes=*/200);
    for (int i = task; i < 400; i += 2) {
      Article article = Spilled(i);
      ASSERT_OK(writer.Add(article, static_cast<uint64_t>(i), 0));
      expected[PartitionOf(article.Key(), kPartitions)].push_back(static_cast<uint64_t>(i));
    }
    ASSERT_OK(writer.Finish());
  }
  for (uint32_t partition = 0; partition < kPartitions; ++partition) {
    Result<std::unique_ptr<MergeSource>> source =
        MergeSource::Open({dir.Join("map-0.spill"), dir.Join("map-1.spill")}, partition);
    ASSERT_OK(source.status());
    std::vector<uint64_t> seen;
    Article article;
    for (;;) {
      Result<bool> next = (*source)->Next(&article);
      ASSERT_OK(next.status());
      if (!*next) break;
      seen.push_back(article.file_index);
      EXPECT_EQ(article.source, "dump/" + std::to_string(article.file_index) + ".txt");
      EXPECT_EQ(article.record_revision_at, 7u);
      EXPECT_EQ(article.bytes_read, 100 + article.file_index);
      EXPECT_EQ(PartitionOf(article.Key(), kPartitions), partition);
    }
    std::sort(expected[partition].begin(), expected[partition].end());
    EXPECT_EQ(seen, expected[partition]) << "partition " << partition;
    EXPECT_EQ((*source)->total_records(), expected[partition].size());
  }
}

TEST(SpillTest, RejectsAnUnfinishedSpill) {
  test::TempDir dir;
  test::WriteFile(dir.Join("half.spill"), "CISPILL1 but not a footer");
  Result<SpillIndex> index = SpillIndex::Load(dir.Join("half.spill"));
  EXPECT_EQ(index.status().code(), StatusCode::kCorruption);
  Result<SpillIndex> missing = SpillIndex::Load(dir.Join("none.spill"));
  EXPECT_EQ(missing.status().code(), StatusCode::kIOError);
}

}  // namespace
}  // namespace ingest
