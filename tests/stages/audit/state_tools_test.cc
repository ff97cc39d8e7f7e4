// The state tools' pieces: the JSON of a dedup entry, the figures of
// `state stats` on a real RocksDB state, run ids read from file names, and
// the dedup entries a rebuild derives from records.
#include "stages/audit/state_tools.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "stages/emit/emit_stage.h"
#include "stages/read/file_index.h"
#include "tests/testing/article_builder.h"
#include "tests/testing/testing.h"

namespace ingest {
namespace {

using ::ingest::test::Sha256Hex;
using ::ingest::test::TempDir;

DedupVersion Version(std::string_view text, std::string run_id, bool emitted) {
  DedupVersion version;
  EXPECT_TRUE(FromHex(Sha256Hex(text), &version.hash));
  version.source = "dump/" + std::string(text) + ".txt";
  version.run_id = std::move(run_id);
  version.emitted = emitted;
  return version;
}

TEST(StateToolsTest, DedupEntryJsonNamesEveryVersionInOrder) {
  DedupEntry entry;
  entry.versions = {Version("a", "r1", true), Version("b", "r2", false)};
  std::string json;
  AppendDedupEntryJson("119_1", entry, &json);
  EXPECT_EQ(json, "{\"id\":\"119_1\",\"versions\":[{\"revision\":1,\"content_hash\":\"" +
                      Sha256Hex("a") +
                      "\",\"source\":\"dump/a.txt\",\"run_id\":\"r1\",\"emitted\":true},"
                      "{\"revision\":2,\"content_hash\":\"" +
                      Sha256Hex("b") +
                      "\",\"source\":\"dump/b.txt\",\"run_id\":\"r2\",\"emitted\":false}]}\n");
}

TEST(StateToolsTest, StatsCountEveryKindOfKey) {
  TempDir dir;
  auto opened = StateDb::Open(dir.Join("state"), {});
  ASSERT_OK(opened.status());
  StateDb& state = **opened;
  auto transaction = state.NewTransaction();
  DedupEntry one, three;
  one.versions = {Version("a", "20251230T000900.123Z", true)};
  three.versions = {Version("b", "20251230T000900.123Z", true),
                    Version("c", "20251231T000900.123Z", false),
                    Version("d", "20260101T000900.123Z", true)};
  transaction->Put(DedupStateKey("1_1"), one.Encode());
  transaction->Put(DedupStateKey("1_2"), three.Encode());
  transaction->Put(DedupStateKey("1_3"), "junk");
  transaction->Put(FileIndexKey("dump/a.txt"), EncodeFileStamp(FileStamp{1, 2}));
  transaction->Put(FileIndexKey("dump/b.txt"), EncodeFileStamp(FileStamp{1, 2}));
  transaction->Put(ChunkManifestKey("/out/articles/x.ndjson"), "/out/articles/.x.ndjson.tmp");
  transaction->Put("m/last_run_millis", std::to_string(*RunIdMillis("20260101T000900.123Z")));
  ASSERT_OK(state.Commit(*transaction));

  Result<StateStats> stats = ComputeStateStats(&state);
  ASSERT_OK(stats.status());
  EXPECT_EQ(stats->keys, 3u);
  EXPECT_EQ(stats->bad_entries, 1u);
  EXPECT_EQ(stats->versions, 4u);
  EXPECT_EQ(stats->emitted, 3u);
  EXPECT_EQ(stats->revisions, 2u);
  EXPECT_EQ(stats->revisions_emitted, 1u);
  EXPECT_EQ(stats->runs, 3u);
  EXPECT_EQ(stats->files_indexed, 2u);
  EXPECT_EQ(stats->manifest_entries, 1u);
  EXPECT_EQ(stats->last_run_id, "20260101T000900.123Z");
  EXPECT_GT(stats->size_bytes, 0u);
  EXPECT_EQ(stats->size_bytes, DirectorySize(dir.Join("state")));
  EXPECT_NE(stats->ToJson().find("\"keys\":3,\"versions\":4,"), std::string::npos)
      << stats->ToJson();
}

TEST(StateToolsTest, RunIdsConvertToMillisAndBack) {
  std::optional<int64_t> millis = RunIdMillis("20251230T000900.123Z");
  ASSERT_TRUE(millis.has_value());
  EXPECT_EQ(*millis, 1767053340123);  // date -u -d 2025-12-30T00:09:00Z +%s
  EXPECT_EQ(RunIdFromMillis(*millis), "20251230T000900.123Z");
  for (std::string_view bad : {"20251230T000900.123", "20251230 000900.123Z",
                               "2025123XT000900.123Z", ""}) {
    EXPECT_FALSE(RunIdMillis(bad).has_value()) << bad;
  }
}

TEST(StateToolsTest, RunIdComesFromChunkAndSummaryNames) {
  EXPECT_EQ(RunIdOfFileName("out/articles/20251230T000900.123Z-000012.ndjson"),
            "20251230T000900.123Z");
  EXPECT_EQ(RunIdOfFileName("out/runs/20251230T000900.123Z.json"), "20251230T000900.123Z");
  EXPECT_EQ(RunIdOfFileName("20251230T000900.123Z-000001.ndjson.zst"), "20251230T000900.123Z");
  EXPECT_EQ(RunIdOfFileName("20251230T000900.123Z-000001.ndjson.gz"), "20251230T000900.123Z");
  EXPECT_EQ(RunIdOfFileName("out/articles/.20251230T000900.123Z-000012.ndjson.tmp"), "");
  EXPECT_EQ(RunIdOfFileName("mine.ndjson"), "");
  EXPECT_EQ(RunIdOfFileName("20251230T000900.123Z-x.ndjson"), "");
}

KeyedRecord Record(std::string id, uint32_t revision, std::string_view text, uint32_t file) {
  KeyedRecord record;
  record.id = std::move(id);
  record.revision = revision;
  record.file = file;
  record.hash_verified = true;
  EXPECT_TRUE(FromHex(Sha256Hex(text), &record.content_hash));
  record.source = "dump/" + std::string(text) + ".txt";
  return record;
}

std::vector<NdjsonInput> ChunkFiles() {
  std::vector<NdjsonInput> files(2);
  files[0].path = "out/articles/20251230T000900.123Z-000001.ndjson";
  files[1].path = "out/articles/20251231T000900.123Z-000001.ndjson";
  return files;
}

TEST(StateToolsTest, RebuildPutsEachRecordAtItsRevisionAndFillsGaps) {
  // Sorted as AuditNdjsonFiles sorts: id, revision.
  std::vector<KeyedRecord> records = {Record("1_1", 1, "a", 0), Record("1_1", 3, "c", 1),
                                      Record("1_2", 1, "d", 1)};
  Result<RebuiltEntries> rebuilt = RebuildDedupEntries(records, ChunkFiles());
  ASSERT_OK(rebuilt.status());
  ASSERT_EQ(rebuilt->entries.size(), 2u);
  EXPECT_EQ(rebuilt->versions, 3u);
  EXPECT_EQ(rebuilt->placeholders, 1u);
  const auto& [id, entry] = rebuilt->entries[0];
  EXPECT_EQ(id, "1_1");
  ASSERT_EQ(entry.versions.size(), 3u);
  EXPECT_EQ(ToHex(entry.versions[0].hash), Sha256Hex("a"));
  EXPECT_EQ(entry.versions[0].source, "dump/a.txt");
  EXPECT_EQ(entry.versions[0].run_id, "20251230T000900.123Z");
  EXPECT_TRUE(entry.versions[0].emitted);
  // Revision 2 was skipped when it was seen: never emitted, never written.
  EXPECT_EQ(entry.versions[1].hash, Sha256::Digest{});
  EXPECT_FALSE(entry.versions[1].emitted);
  EXPECT_EQ(ToHex(entry.versions[2].hash), Sha256Hex("c"));
  EXPECT_EQ(entry.versions[2].run_id, "20251231T000900.123Z");
  EXPECT_EQ(entry.revision_count(), 3u);  // so the next revision is 4
  EXPECT_EQ(rebuilt->entries[1].first, "1_2");
}

TEST(StateToolsTest, RebuildRefusesAnAbsurdRevision) {
  std::vector<KeyedRecord> records = {Record("1_1", kMaxRebuildRevision + 1, "a", 0)};
  Result<RebuiltEntries> rebuilt = RebuildDedupEntries(records, ChunkFiles());
  EXPECT_EQ(rebuilt.status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace ingest
