// Dolma records: field order and mapping, nulls left out, revisions with
// unique ids, JSON escaping shared with the native writer.
#include "stages/emit/dolma_writer.h"

#include "tests/testing/article_builder.h"
#include "tests/testing/testing.h"

namespace ingest {
namespace {

Article Sample() {
  Article article;
  article.id = "119_0003042504";
  article.oid = "119";
  article.aid = "0003042504";
  article.url = "https://n.news.naver.com/mnews/article/119/0003042504";
  article.title = "'소버린 AI' \"정예\"";
  article.publisher = "데일리안";
  article.category = std::nullopt;
  article.published_at = "2025-12-30T00:00:00+09:00";
  article.crawled_at = "2025-12-30T09:01:02+09:00";
  article.content_hash = "ab12";
  article.text = "본문\n둘째 줄";
  article.source = "dump.tar.gz!0000/a.txt";
  return article;
}

TEST(DolmaWriterTest, WritesDolmaFieldsThenMetadataWithTheRemainingFields) {
  std::string out;
  AppendDolmaRecord(Sample(), "naver-news", &out);
  EXPECT_EQ(out,
            "{\"id\":\"119_0003042504\",\"text\":\"본문\\n둘째 줄\",\"source\":\"naver-news\","
            "\"added\":\"2025-12-30T09:01:02+09:00\",\"created\":\"2025-12-30T00:00:00+09:00\","
            "\"metadata\":{\"oid\":\"119\",\"aid\":\"0003042504\","
            "\"url\":\"https://n.news.naver.com/mnews/article/119/0003042504\","
            "\"title\":\"'소버린 AI' \\\"정예\\\"\",\"publisher\":\"데일리안\",\"author\":null,"
            "\"category\":null,\"content_hash\":\"ab12\","
            "\"path\":\"dump.tar.gz!0000/a.txt\"}}\n");
}

TEST(DolmaWriterTest, LeavesOutUnknownTimestampsAndKeepsExtraKeys) {
  Article article = Sample();
  article.published_at.reset();
  article.crawled_at.reset();
  article.extra = {{"reporter_id", "77"}, {"published_at_raw", std::nullopt}};
  std::string out;
  AppendDolmaRecord(article, "d", &out);
  EXPECT_EQ(out.find("\"added\""), std::string::npos);
  EXPECT_EQ(out.find("\"created\""), std::string::npos);
  EXPECT_NE(out.find(",\"path\":\"dump.tar.gz!0000/a.txt\",\"extra\":{\"reporter_id\":\"77\","
                     "\"published_at_raw\":null}}}\n"),
            std::string::npos)
      << out;
}

TEST(DolmaWriterTest, ARevisionGetsAnIdOfItsOwnAndItsNumberInMetadata) {
  Article article = Sample();
  article.extra = {{"k", "v"}};
  std::string record;
  size_t revision_at = AppendDolmaRecord(article, "naver-news", &record);
  std::string out;
  AppendDolmaWithRevision(record, revision_at, article.id, 3, &out);
  EXPECT_EQ(out.substr(0, 26), "{\"id\":\"119_0003042504-r3\",");
  EXPECT_NE(out.find("\"path\":\"dump.tar.gz!0000/a.txt\",\"revision\":3,\"extra\":{\"k\":\"v\"}}}\n"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.size(), record.size() + 3 + 13);
}

TEST(DolmaWriterTest, SchemaNamesParseBack) {
  EXPECT_EQ(ParseRecordSchema("dolma").value(), RecordSchema::kDolma);
  EXPECT_EQ(ParseRecordSchema("native").value(), RecordSchema::kNative);
  EXPECT_EQ(ParseRecordSchema("jsonl").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RecordSchemaName(RecordSchema::kDolma), "dolma");
}

}  // namespace
}  // namespace ingest
