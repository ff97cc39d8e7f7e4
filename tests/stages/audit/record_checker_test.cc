// RecordChecker on single lines: the records the pipeline's own writer
// emits pass; each way a record can be damaged or edited gives its own
// problem code (doc/audit.md), with the evidence in the detail.
#include "stages/audit/record_checker.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pipeline/article.h"
#include "stages/emit/dolma_writer.h"
#include "stages/emit/ndjson_writer.h"
#include "tests/stages/audit/record_line_builder.h"
#include "tests/testing/article_builder.h"
#include "tests/testing/testing.h"

namespace ingest {
namespace {

using ::ingest::test::JsonString;
using ::ingest::test::RecordLineBuilder;
using ::ingest::test::Sha256Hex;

std::vector<ProblemCode> Codes(const CheckedLine& checked) {
  std::vector<ProblemCode> codes;
  for (const LineProblem& problem : checked.problems) codes.push_back(problem.code);
  return codes;
}

std::string Details(const CheckedLine& checked) {
  std::string details;
  for (const LineProblem& problem : checked.problems) details += problem.detail + "\n";
  return details;
}

class RecordCheckerTest : public ::testing::Test {
 protected:
  CheckedLine Check(std::string_view line, RecordKind kind = RecordKind::kArticle) {
    CheckedLine checked;
    EXPECT_OK(checker_.Check(line, kind, &checked));
    return checked;
  }

  // What the pipeline writes for an article (stages/emit/ndjson_writer).
  static Article WrittenArticle() {
    Article article;
    article.oid = "119";
    article.aid = "0003042504";
    article.id = article.Key();
    article.url = "https://n.news.naver.com/mnews/article/119/0003042504";
    article.title = "'소버린 AI' 프로젝트";
    article.publisher = "데일리안";
    article.published_at = "2025-12-30T00:00:00+09:00";
    article.text = "본문 \"인용\" \\ 역슬래시\n\t탭 \x01 제어 문자";
    article.content_hash = Sha256Hex(article.text);
    article.source = "dump/a.txt";
    return article;
  }

  RecordChecker checker_;
};

TEST_F(RecordCheckerTest, AcceptsTheRecordThePipelineWrites) {
  std::string line;
  Article article = WrittenArticle();
  AppendArticleRecord(article, &line);
  line.pop_back();  // the '\n'
  CheckedLine checked = Check(line);
  EXPECT_TRUE(checked.problems.empty()) << Details(checked);
  EXPECT_TRUE(checked.keyed);
  EXPECT_TRUE(checked.hash_verified);
  EXPECT_EQ(checked.id, "119_0003042504");
  EXPECT_EQ(checked.revision, 1u);
  EXPECT_EQ(ToHex(checked.content_hash), article.content_hash);
}

TEST_F(RecordCheckerTest, AcceptsAnEmittedRevisionWithExtra) {
  Article article = WrittenArticle();
  article.extra = {{"section", "경제"}, {"published_at", "어제 오후"}, {"empty", std::nullopt}};
  std::string record;
  size_t revision_at = AppendArticleRecord(article, &record);
  std::string line;
  AppendWithRevision(record, revision_at, 3, &line);
  line.pop_back();
  CheckedLine checked = Check(line);
  EXPECT_TRUE(checked.problems.empty()) << Details(checked);
  EXPECT_TRUE(checked.keyed);
  EXPECT_EQ(checked.revision, 3u);
}

TEST_F(RecordCheckerTest, HashMismatchKeepsTheTextsHashForTheCrossCheck) {
  std::string line =
      RecordLineBuilder().Text("본문").Set("content_hash", JsonString(Sha256Hex("x"))).Build();
  CheckedLine checked = Check(line);
  ASSERT_EQ(Codes(checked), std::vector<ProblemCode>{ProblemCode::kHashMismatch});
  EXPECT_TRUE(checked.hash_mismatched);
  EXPECT_EQ(ToHex(checked.text_hash), Sha256Hex("본문"));
  EXPECT_EQ(ToHex(checked.content_hash), Sha256Hex("x"));
  EXPECT_NE(checked.problems[0].detail.find("--state DIR --out DIR"), std::string::npos);
  EXPECT_FALSE(Check(RecordLineBuilder().Build()).hash_mismatched);
}

TEST_F(RecordCheckerTest, ByteFlippedInTextIsHashMismatchNamingBothHashes) {
  RecordLineBuilder builder;
  std::string line = builder.Build();
  size_t at = line.find("alpha");
  ASSERT_NE(at, std::string::npos);
  line[at + 4] = 'b';  // "alphb"
  CheckedLine checked = Check(line);
  ASSERT_EQ(Codes(checked), std::vector<ProblemCode>{ProblemCode::kHashMismatch})
      << Details(checked);
  EXPECT_NE(checked.problems[0].detail.find(builder.ContentHash()), std::string::npos);
  EXPECT_FALSE(checked.hash_verified);
  EXPECT_TRUE(checked.keyed);  // still stands for its key
}

TEST_F(RecordCheckerTest, EditedContentHashIsHashMismatch) {
  std::string line =
      RecordLineBuilder().Set("content_hash", JsonString(Sha256Hex("other"))).Build();
  CheckedLine checked = Check(line);
  EXPECT_EQ(Codes(checked), std::vector<ProblemCode>{ProblemCode::kHashMismatch})
      << Details(checked);
}

TEST_F(RecordCheckerTest, HashThatIsNotLowercaseHexIsBadHashNotMismatch) {
  RecordLineBuilder builder;
  std::string upper = builder.ContentHash();
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (std::string hash : {upper, builder.ContentHash().substr(1), std::string("sha256:x")}) {
    CheckedLine checked = Check(RecordLineBuilder().Set("content_hash", JsonString(hash)).Build());
    EXPECT_EQ(Codes(checked), std::vector<ProblemCode>{ProblemCode::kBadHash})
        << hash << "\n" << Details(checked);
  }
}

TEST_F(RecordCheckerTest, MissingKeysAreOneProblemNamingEach) {
  CheckedLine checked = Check(RecordLineBuilder().Remove("title").Remove("source").Build());
  ASSERT_EQ(Codes(checked), std::vector<ProblemCode>{ProblemCode::kMissingKey});
  EXPECT_EQ(checked.problems[0].detail, "missing: title, source");
  EXPECT_TRUE(checked.keyed);
}

TEST_F(RecordCheckerTest, WrongTypesAreOneProblemNamingEach) {
  CheckedLine checked =
      Check(RecordLineBuilder().Set("url", "42").Set("category", "[]").Build());
  ASSERT_EQ(Codes(checked), std::vector<ProblemCode>{ProblemCode::kWrongType});
  EXPECT_EQ(checked.problems[0].detail,
            "url is a number, not a string or null; category is an array, not a string "
            "or null");
}

TEST_F(RecordCheckerTest, NonStringIdMakesTheRecordUnkeyed) {
  CheckedLine checked = Check(RecordLineBuilder().Set("id", "119").Build());
  EXPECT_EQ(Codes(checked), std::vector<ProblemCode>{ProblemCode::kWrongType});
  EXPECT_FALSE(checked.keyed);
}

TEST_F(RecordCheckerTest, UnknownAndRepeatedKeysHaveTheirOwnCodes) {
  CheckedLine checked = Check(RecordLineBuilder()
                                  .Set("note", JsonString("by hand"))
                                  .Repeat("title", JsonString("again"))
                                  .Build());
  ASSERT_EQ(Codes(checked),
            (std::vector<ProblemCode>{ProblemCode::kUnknownKey, ProblemCode::kRepeatedKey}))
      << Details(checked);
  EXPECT_EQ(checked.problems[0].detail, "unknown: note");
  EXPECT_EQ(checked.problems[1].detail, "repeated: title");
}

TEST_F(RecordCheckerTest, ValuesOfUnknownOrWronglyTypedKeysAreStillValidated) {
  EXPECT_EQ(Codes(Check(RecordLineBuilder().Set("note", R"({"a":[1,{"b":null}]})").Build())),
            std::vector<ProblemCode>{ProblemCode::kUnknownKey});
  for (std::string raw : {"tru", "[1,nul]", "{\"a\":-}", "\"\\q\""}) {
    EXPECT_EQ(Codes(Check(RecordLineBuilder().Set("note", raw).Build())),
              std::vector<ProblemCode>{ProblemCode::kInvalidJson})
        << raw;
    EXPECT_EQ(Codes(Check(RecordLineBuilder().Set("url", raw).Build())),
              std::vector<ProblemCode>{ProblemCode::kInvalidJson})
        << raw;
  }
}

TEST_F(RecordCheckerTest, IdThatIsNotOidAidIsIdMismatch) {
  CheckedLine checked =
      Check(RecordLineBuilder().Set("id", JsonString("119_3042504")).Build());
  ASSERT_EQ(Codes(checked), std::vector<ProblemCode>{ProblemCode::kIdMismatch});
  EXPECT_EQ(checked.problems[0].detail, "id '119_3042504' is not oid_aid '119_0003042504'");
  EXPECT_EQ(checked.id, "119_3042504");
}

TEST_F(RecordCheckerTest, NonDigitOidOrAidIsBadKey) {
  for (auto [oid, aid] : {std::pair{"11a", "1"}, std::pair{"", "1"},
                          std::pair{"1", "０１"}}) {
    CheckedLine checked = Check(RecordLineBuilder().Key(oid, aid).Build());
    EXPECT_EQ(Codes(checked), std::vector<ProblemCode>{ProblemCode::kBadKey})
        << oid << " " << aid << "\n" << Details(checked);
  }
}

TEST_F(RecordCheckerTest, CutLineIsInvalidJsonAndKeepsTheIdReadBeforeTheDamage) {
  std::string line = RecordLineBuilder().Build();
  CheckedLine checked = Check(line.substr(0, line.find("alpha")));
  ASSERT_EQ(Codes(checked), std::vector<ProblemCode>{ProblemCode::kInvalidJson});
  EXPECT_EQ(checked.id, "119_0003042504");
  EXPECT_FALSE(checked.keyed);
}

TEST_F(RecordCheckerTest, TrailingContentAfterTheObjectIsInvalidJson) {
  CheckedLine checked = Check(RecordLineBuilder().Build() + " {}");
  EXPECT_EQ(Codes(checked), std::vector<ProblemCode>{ProblemCode::kInvalidJson})
      << Details(checked);
  EXPECT_FALSE(checked.keyed);
}

TEST_F(RecordCheckerTest, InvalidUtf8HasItsOwnCode) {
  std::string line = RecordLineBuilder().Build();
  line[line.find("alpha")] = '\xff';
  EXPECT_EQ(Codes(Check(line)), std::vector<ProblemCode>{ProblemCode::kInvalidUtf8});
}

TEST_F(RecordCheckerTest, BlankLineAndNonObjectsAreReported) {
  EXPECT_EQ(Codes(Check("")), std::vector<ProblemCode>{ProblemCode::kInvalidJson});
  EXPECT_EQ(Codes(Check("  \r")), std::vector<ProblemCode>{ProblemCode::kInvalidJson});
  EXPECT_EQ(Codes(Check("[1,2]")), std::vector<ProblemCode>{ProblemCode::kWrongType});
  EXPECT_EQ(Codes(Check("\"text\"")), std::vector<ProblemCode>{ProblemCode::kWrongType});
  EXPECT_EQ(Codes(Check("{\"id\": nul}")),
            std::vector<ProblemCode>{ProblemCode::kInvalidJson});
  EXPECT_EQ(Codes(Check("not json")), std::vector<ProblemCode>{ProblemCode::kInvalidJson});
  EXPECT_EQ(Codes(Check("[1,]")), std::vector<ProblemCode>{ProblemCode::kInvalidJson});
  EXPECT_EQ(Codes(Check("12 13")), std::vector<ProblemCode>{ProblemCode::kInvalidJson});
  EXPECT_EQ(Codes(Check("null")), std::vector<ProblemCode>{ProblemCode::kWrongType});
}

TEST_F(RecordCheckerTest, EmptyTextIsEmptyBodyAndUnstrippedTextIsBadValue) {
  EXPECT_EQ(Codes(Check(RecordLineBuilder().Text("").Build())),
            std::vector<ProblemCode>{ProblemCode::kEmptyBody});
  // U+3000 is Python whitespace: strip() removes it, so no record has it at an end.
  EXPECT_EQ(Codes(Check(RecordLineBuilder().Text("본문\u3000").Build())),
            std::vector<ProblemCode>{ProblemCode::kBadValue});
}

TEST_F(RecordCheckerTest, RevisionMustBeAnIntegerOfAtLeastTwo) {
  CheckedLine one = Check(RecordLineBuilder().Set("revision", "1").Build());
  EXPECT_EQ(Codes(one), std::vector<ProblemCode>{ProblemCode::kBadValue});
  EXPECT_FALSE(one.keyed);
  for (std::string raw : {"\"2\"", "2.5"}) {
    CheckedLine checked = Check(RecordLineBuilder().Set("revision", raw).Build());
    EXPECT_EQ(Codes(checked), std::vector<ProblemCode>{ProblemCode::kWrongType})
        << raw << "\n" << Details(checked);
    EXPECT_FALSE(checked.keyed) << raw;
  }
}

TEST_F(RecordCheckerTest, ExtraValuesMustBeStringsOrNull) {
  CheckedLine checked =
      Check(RecordLineBuilder().Set("extra", R"({"a":"x","b":null,"c":3})").Build());
  ASSERT_EQ(Codes(checked), std::vector<ProblemCode>{ProblemCode::kWrongType});
  EXPECT_EQ(checked.problems[0].detail, "extra.c is a number, not a string or null");
}

TEST_F(RecordCheckerTest, ChecksQuarantineRecordsByTheirOwnSchema) {
  Article article;
  article.source = "dump/x.txt";
  article.Quarantine(QuarantineReason::kBadKey, "oid is missing");
  article.id = "1_2";
  std::string line;
  AppendQuarantineRecord(article, &line);
  line.pop_back();
  CheckedLine good = Check(line, RecordKind::kQuarantine);
  EXPECT_TRUE(good.problems.empty()) << Details(good);
  EXPECT_FALSE(good.keyed);  // a report, not a key of the corpus
  EXPECT_EQ(Codes(Check(R"({"source":"a","reason":"bad_mood","detail":""})",
                        RecordKind::kQuarantine)),
            std::vector<ProblemCode>{ProblemCode::kBadValue});
  EXPECT_EQ(Codes(Check(R"({"source":"a","reason":"no_body"})", RecordKind::kQuarantine)),
            std::vector<ProblemCode>{ProblemCode::kMissingKey});
  // An article record is not a quarantine record.
  EXPECT_EQ(Codes(Check(RecordLineBuilder().Build(), RecordKind::kQuarantine)),
            (std::vector<ProblemCode>{ProblemCode::kMissingKey, ProblemCode::kUnknownKey}));
}

TEST_F(RecordCheckerTest, ChecksDuplicateRecordsByTheirOwnSchema) {
  Article article;
  article.source = "dump/b.txt";
  article.oid = "1";
  article.aid = "2";
  article.id = article.Key();
  article.outcome = Outcome::kRevision;
  article.first_source = "dump/a.txt";
  article.content_hash = Sha256Hex("b");
  std::string line;
  AppendDuplicateRecord(article, &line);
  line.pop_back();
  CheckedLine good = Check(line, RecordKind::kDuplicate);
  EXPECT_TRUE(good.problems.empty()) << Details(good);
  EXPECT_EQ(good.id, "1_2");
  std::string copy = line;
  copy.replace(copy.find("revision"), 8, "copy");
  EXPECT_EQ(Codes(Check(copy, RecordKind::kDuplicate)),
            std::vector<ProblemCode>{ProblemCode::kBadValue});
  std::string short_hash = line;
  short_hash.erase(short_hash.rfind('"') - 1, 1);
  EXPECT_EQ(Codes(Check(short_hash, RecordKind::kDuplicate)),
            std::vector<ProblemCode>{ProblemCode::kBadHash});
}

// Dolma documents (run --schema dolma): what the pipeline's Dolma writer
// emits passes with the same key as its FORMAT.md record; each damage gets
// the same code as in FORMAT.md's layout, naming metadata's keys as such.
class DolmaRecordCheckerTest : public RecordCheckerTest {
 protected:
  // The Dolma line of WrittenArticle(), as a revision when revision > 1.
  static std::string DolmaLine(uint32_t revision = 1, const Article& article = WrittenArticle()) {
    std::string record;
    size_t revision_at = AppendDolmaRecord(article, "naver-news", &record);
    std::string line = record;
    if (revision > 1) {
      line.clear();
      AppendDolmaWithRevision(record, revision_at, article.id, revision, &line);
    }
    line.pop_back();  // the '\n'
    return line;
  }
  static std::string Replace(std::string line, std::string_view from, std::string_view to) {
    size_t at = line.find(from);
    EXPECT_NE(at, std::string::npos) << from << " in " << line;
    if (at != std::string::npos) line.replace(at, from.size(), to);
    return line;
  }
};

TEST_F(DolmaRecordCheckerTest, AcceptsTheDocumentThePipelineWritesWithTheSameKey) {
  RecordChecker checker(/*keep_source=*/true);
  CheckedLine checked;
  ASSERT_OK(checker.Check(DolmaLine(), RecordKind::kArticle, &checked));
  EXPECT_TRUE(checked.problems.empty()) << Details(checked);
  EXPECT_TRUE(checked.dolma);
  EXPECT_TRUE(checked.keyed);
  EXPECT_TRUE(checked.hash_verified);
  EXPECT_EQ(checked.id, "119_0003042504");
  EXPECT_EQ(checked.revision, 1u);
  EXPECT_EQ(ToHex(checked.content_hash), WrittenArticle().content_hash);
  EXPECT_EQ(checked.source, "dump/a.txt");  // metadata.path, not Dolma's source
  EXPECT_FALSE(Check(RecordLineBuilder().Build()).dolma);
}

TEST_F(DolmaRecordCheckerTest, AcceptsARevisionWithExtraAndWithoutTimestamps) {
  Article article = WrittenArticle();
  article.extra = {{"section", "경제"}, {"empty", std::nullopt}};
  article.published_at.reset();
  article.crawled_at.reset();
  CheckedLine checked = Check(DolmaLine(3, article));
  EXPECT_TRUE(checked.problems.empty()) << Details(checked);
  EXPECT_TRUE(checked.dolma);
  EXPECT_TRUE(checked.keyed);
  EXPECT_EQ(checked.id, "119_0003042504");  // without "-r3"
  EXPECT_EQ(checked.revision, 3u);
}

TEST_F(DolmaRecordCheckerTest, ByteFlippedInTextOrEditedHashIsHashMismatch) {
  std::string line = DolmaLine();
  std::string flipped = Replace(line, "인용", "인양");
  CheckedLine checked = Check(flipped);
  ASSERT_EQ(Codes(checked), std::vector<ProblemCode>{ProblemCode::kHashMismatch})
      << Details(checked);
  EXPECT_TRUE(checked.hash_mismatched);
  EXPECT_TRUE(checked.keyed);
  EXPECT_NE(checked.problems[0].detail.find("metadata.content_hash = "), std::string::npos);

  std::string edited = Replace(line, WrittenArticle().content_hash, Sha256Hex("edited"));
  checked = Check(edited);
  ASSERT_EQ(Codes(checked), std::vector<ProblemCode>{ProblemCode::kHashMismatch});
  EXPECT_EQ(ToHex(checked.text_hash), WrittenArticle().content_hash);
}

TEST_F(DolmaRecordCheckerTest, IdMustBeOidAidWithTheRevisionSuffixOfMetadataRevision) {
  std::string revision = DolmaLine(3);
  for (auto [from, to] : {std::pair{"-r3\"", "-r2\""}, std::pair{"-r3\"", "\""},
                          std::pair{"\"119_0003042504-r3\"", "\"119_3042504-r3\""}}) {
    CheckedLine checked = Check(Replace(revision, from, to));
    EXPECT_EQ(Codes(checked), std::vector<ProblemCode>{ProblemCode::kIdMismatch})
        << from << " -> " << to << "\n" << Details(checked);
  }
  EXPECT_EQ(Check(Replace(revision, "-r3\"", "-r2\"")).problems[0].detail,
            "id '119_0003042504-r2' is not oid_aid-r<metadata.revision> '119_0003042504-r3'");
  CheckedLine suffix_without_revision = Check(Replace(DolmaLine(), "\"119_0003042504\"",
                                                      "\"119_0003042504-r2\""));
  EXPECT_EQ(Codes(suffix_without_revision), std::vector<ProblemCode>{ProblemCode::kIdMismatch});
  EXPECT_EQ(Codes(Check(Replace(DolmaLine(), "\"oid\":\"119\"", "\"oid\":\"11x\""))),
            std::vector<ProblemCode>{ProblemCode::kBadKey});
  EXPECT_EQ(Codes(Check(Replace(DolmaLine(3), "\"revision\":3", "\"revision\":1"))),
            (std::vector<ProblemCode>{ProblemCode::kIdMismatch, ProblemCode::kBadValue}));
}

TEST_F(DolmaRecordCheckerTest, SchemaIsStrictAtBothLevels) {
  std::string line = DolmaLine();
  CheckedLine missing = Check(Replace(Replace(line, ",\"source\":\"naver-news\"", ""),
                                      ",\"path\":\"dump/a.txt\"", ""));
  ASSERT_EQ(Codes(missing), std::vector<ProblemCode>{ProblemCode::kMissingKey});
  EXPECT_EQ(missing.problems[0].detail, "missing: source, metadata.path");
  EXPECT_TRUE(missing.keyed);

  CheckedLine unknown =
      Check(Replace(Replace(line, "{\"id\"", "{\"url\":null,\"id\""), "\"metadata\":{",
                    "\"metadata\":{\"note\":1,"));
  ASSERT_EQ(Codes(unknown), std::vector<ProblemCode>{ProblemCode::kUnknownKey})
      << Details(unknown);
  EXPECT_EQ(unknown.problems[0].detail, "unknown: url, metadata.note");

  CheckedLine wrong = Check(Replace(Replace(line, "\"source\":\"naver-news\"", "\"source\":7"),
                                    "\"path\":\"dump/a.txt\"", "\"path\":null"));
  ASSERT_EQ(Codes(wrong), std::vector<ProblemCode>{ProblemCode::kWrongType});
  EXPECT_EQ(wrong.problems[0].detail,
            "source is a number, not a string; metadata.path is null, not a string");

  CheckedLine null_time = Check(Replace(line, "\"created\":\"", "\"created\":null,\"x\":\""));
  EXPECT_EQ(Codes(null_time),
            (std::vector<ProblemCode>{ProblemCode::kWrongType, ProblemCode::kUnknownKey}))
      << Details(null_time);

  CheckedLine repeated = Check(Replace(line, "\"metadata\":{", "\"metadata\":{\"oid\":\"119\","));
  ASSERT_EQ(Codes(repeated), std::vector<ProblemCode>{ProblemCode::kRepeatedKey});
  EXPECT_EQ(repeated.problems[0].detail, "repeated: metadata.oid");

  CheckedLine flat = Check(line.substr(0, line.find(",\"metadata\":")) + ",\"metadata\":[]}");
  EXPECT_EQ(Codes(flat), std::vector<ProblemCode>{ProblemCode::kWrongType});
  EXPECT_TRUE(flat.keyed);
}

TEST_F(DolmaRecordCheckerTest, FormatMdRecordWithADolmaKeyStaysFormatMd) {
  CheckedLine checked =
      Check(RecordLineBuilder().Set("added", JsonString("2025-12-30T00:09:00+09:00")).Build());
  EXPECT_FALSE(checked.dolma);
  ASSERT_EQ(Codes(checked), std::vector<ProblemCode>{ProblemCode::kUnknownKey});
  EXPECT_EQ(checked.problems[0].detail, "unknown: added");
}

TEST(RecordKindTest, FollowsTheFolderTheFileIsIn) {
  EXPECT_EQ(RecordKindOfPath("out/articles/r-000001.ndjson"), RecordKind::kArticle);
  EXPECT_EQ(RecordKindOfPath("out/quarantine/r-000001.ndjson"), RecordKind::kQuarantine);
  EXPECT_EQ(RecordKindOfPath("/x/duplicates/r-000001.ndjson"), RecordKind::kDuplicate);
  EXPECT_EQ(RecordKindOfPath("duplicates/r.ndjson"), RecordKind::kDuplicate);
  EXPECT_EQ(RecordKindOfPath("quarantine.ndjson"), RecordKind::kArticle);
  EXPECT_EQ(RecordKindOfPath("my_duplicates/r.ndjson"), RecordKind::kArticle);
}

TEST(LeadingRecordIdTest, ReadsOnlyThePipelinesOwnPrefix) {
  EXPECT_EQ(LeadingRecordId(R"({"id":"119_0003042504","oid":"1)"), "119_0003042504");
  EXPECT_EQ(LeadingRecordId(R"({"id":"119_00030)"), "");
  EXPECT_EQ(LeadingRecordId(R"({"oid":"119","id":"1_2"})"), "");
  EXPECT_EQ(LeadingRecordId(R"({"id":"a\"b"})"), "");
  // A Dolma revision's id, as the key it stands for.
  EXPECT_EQ(LeadingRecordId(R"({"id":"119_0003042504-r2","text":"…)"), "119_0003042504");
  EXPECT_EQ(LeadingRecordId(R"({"id":"119_0003042504-rx","text":"…)"), "");
}

}  // namespace
}  // namespace ingest
