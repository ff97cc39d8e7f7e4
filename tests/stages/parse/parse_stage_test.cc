// Tests of ParseStage: the real seed against its expected record, every
// quarantine reason the parse stage assigns (FORMAT.md §2) and their
// precedence, CRLF / BOM handling, `extra`, dates and the id.

#include "stages/parse/parse_stage.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pipeline/article.h"
#include "tests/testing/article_builder.h"
#include "tests/testing/testing.h"

namespace ingest {
namespace {

using ::ingest::test::ArticleFileBuilder;
using ::ingest::test::ReadFile;
using ::ingest::test::Sha256Hex;
using ::ingest::test::SharedDir;

using Extra = std::vector<std::pair<std::string, std::optional<std::string>>>;

// Runs the parse stage on `raw`. A problem with one article is never a
// run-level error, and kRejected goes with a quarantine and a detail.
Article Parse(std::string raw, ParseOptions options = ParseOptions()) {
  Article article;
  article.source = "dump/article.txt";
  article.raw = std::move(raw);
  ParseStage stage(options);
  std::unique_ptr<WorkerState> state = stage.NewWorkerState();
  Result<Disposition> disposition = stage.Process(article, state.get());
  EXPECT_TRUE(disposition.ok()) << disposition.status().ToString();
  if (!disposition.ok()) return article;
  if (disposition.value() == Disposition::kRejected) {
    EXPECT_EQ(article.outcome, Outcome::kQuarantined);
    EXPECT_NE(article.reason, QuarantineReason::kNone);
    EXPECT_FALSE(article.detail.empty());
  } else {
    EXPECT_EQ(disposition.value(), Disposition::kContinue);
    EXPECT_EQ(article.outcome, Outcome::kPending);
    EXPECT_EQ(article.reason, QuarantineReason::kNone);
  }
  return article;
}

QuarantineReason ReasonFor(std::string raw) {
  return Parse(std::move(raw)).reason;
}

QuarantineReason ReasonFor(const ArticleFileBuilder& builder) {
  return ReasonFor(builder.Build());
}

// `file` without its end from the first byte of `marker` on: a truncated
// file.
std::string TruncatedAt(const std::string& file, std::string_view marker) {
  size_t at = file.find(marker);
  EXPECT_NE(at, std::string::npos) << marker;
  return file.substr(0, at);
}

// The builder's file cut in the middle of the body (no closing separator).
std::string TruncatedInBody(const ArticleFileBuilder& builder) {
  return TruncatedAt(builder.Build(), "정예팀은");
}

void ExpectSameParse(const Article& actual, const Article& expected) {
  EXPECT_EQ(actual.reason, expected.reason);
  EXPECT_EQ(actual.id, expected.id);
  EXPECT_EQ(actual.oid, expected.oid);
  EXPECT_EQ(actual.aid, expected.aid);
  EXPECT_EQ(actual.url, expected.url);
  EXPECT_EQ(actual.title, expected.title);
  EXPECT_EQ(actual.publisher, expected.publisher);
  EXPECT_EQ(actual.author, expected.author);
  EXPECT_EQ(actual.category, expected.category);
  EXPECT_EQ(actual.published_at, expected.published_at);
  EXPECT_EQ(actual.crawled_at, expected.crawled_at);
  EXPECT_EQ(actual.stored_hash, expected.stored_hash);
  EXPECT_EQ(actual.extra, expected.extra);
  EXPECT_EQ(actual.text, expected.text);
}

// A string field of the expected record; nullopt for JSON null.
std::optional<std::string> JsonField(simdjson::dom::element record,
                                     const char* key) {
  simdjson::dom::element value;
  if (record[key].get(value) != simdjson::SUCCESS) {
    ADD_FAILURE() << "the expected record has no " << key;
    return std::nullopt;
  }
  if (value.is_null()) return std::nullopt;
  std::string_view text;
  if (value.get(text) != simdjson::SUCCESS) {
    ADD_FAILURE() << key << " is neither a string nor null";
    return std::nullopt;
  }
  return std::string(text);
}

// --- the real seed ----------------------------------------------------------

TEST(ParseStageTest, ParsesTheSeedToTheFieldsOfItsExpectedRecord) {
  const std::string seeds = SharedDir() + "/seeds/";
  simdjson::dom::parser parser;
  simdjson::dom::element record;
  ASSERT_EQ(
      parser.load(seeds + "000_a625429a3cc50d01.expected.json").get(record),
      simdjson::SUCCESS);

  Article article = Parse(ReadFile(seeds + "000_a625429a3cc50d01.txt"));
  ASSERT_EQ(article.reason, QuarantineReason::kNone) << article.detail;
  EXPECT_EQ(article.id, JsonField(record, "id"));
  EXPECT_EQ(article.oid, JsonField(record, "oid"));
  EXPECT_EQ(article.aid, JsonField(record, "aid"));
  EXPECT_EQ(article.url, JsonField(record, "url"));
  EXPECT_EQ(article.title, JsonField(record, "title"));
  EXPECT_EQ(article.publisher, JsonField(record, "publisher"));
  EXPECT_EQ(article.author, JsonField(record, "author"));
  EXPECT_EQ(article.category, JsonField(record, "category"));
  EXPECT_EQ(article.category, std::nullopt);
  EXPECT_EQ(article.published_at, JsonField(record, "published_at"));
  EXPECT_EQ(article.crawled_at, JsonField(record, "crawled_at"));
  EXPECT_EQ(article.stored_hash, JsonField(record, "content_hash"));
  EXPECT_EQ(article.text, JsonField(record, "text"));
  EXPECT_EQ(Sha256Hex(article.text), JsonField(record, "content_hash"));
  EXPECT_TRUE(article.extra.empty());
  simdjson::dom::element unused;
  EXPECT_NE(record["extra"].get(unused), simdjson::SUCCESS);
}

TEST(ParseStageTest, IsAParallelStageNamedParse) {
  ParseStage stage{ParseOptions()};
  EXPECT_EQ(stage.name(), "parse");
  EXPECT_EQ(stage.concurrency(), Concurrency::kParallel);
}

// --- fields -----------------------------------------------------------------

TEST(ParseStageTest, ParsesBuiltArticleAndUnescapesFields) {
  ArticleFileBuilder builder;
  builder.Set("publisher", "A&amp;B &lt;뉴스&gt;")
      .Set("author", "\n\t\t\n\t\t\t조인영  기자\n\t\n");
  Article article = Parse(builder.Build());
  ASSERT_EQ(article.reason, QuarantineReason::kNone) << article.detail;
  EXPECT_EQ(article.id, "119_0003042504");
  EXPECT_EQ(article.oid, "119");
  EXPECT_EQ(article.aid, "0003042504");
  EXPECT_EQ(article.title, "'소버린 AI' 프로젝트 베일 벗는다");
  EXPECT_EQ(article.publisher, "A&B <뉴스>");
  EXPECT_EQ(article.author, "조인영 기자");
  EXPECT_EQ(article.category, std::nullopt);
  EXPECT_EQ(article.url,
            "https://n.news.naver.com/mnews/article/119/0003042504");
  EXPECT_EQ(article.published_at, "2025-12-30T00:00:00+09:00");
  EXPECT_EQ(article.crawled_at, "2025-12-30T00:09:00+09:00");
  EXPECT_EQ(article.stored_hash, builder.ContentHash());
  EXPECT_EQ(article.text, builder.Text());
  EXPECT_EQ(article.text.substr(0, 25), "[데일리안 = 조인영");
  EXPECT_TRUE(article.extra.empty());
}

TEST(ParseStageTest, ReleasesRawBytes) {
  Article parsed = Parse(ArticleFileBuilder().Build());
  EXPECT_EQ(parsed.reason, QuarantineReason::kNone);
  EXPECT_TRUE(parsed.raw.empty());
  Article rejected = Parse(ArticleFileBuilder().Remove("oid").Build());
  EXPECT_EQ(rejected.reason, QuarantineReason::kBadKey);
  EXPECT_TRUE(rejected.raw.empty());
}

TEST(ParseStageTest, EmptyOrEmptyQuotedValuesAreNull) {
  Article article = Parse(ArticleFileBuilder()
                              .Set("title", "\"\"")
                              .Set("publisher", "''")
                              .Set("author", "\n\t\t\n\t")
                              .Set("url", "")
                              .Set("published_at", "")
                              .Build());
  ASSERT_EQ(article.reason, QuarantineReason::kNone) << article.detail;
  EXPECT_EQ(article.title, std::nullopt);
  EXPECT_EQ(article.publisher, std::nullopt);
  EXPECT_EQ(article.author, std::nullopt);
  EXPECT_EQ(article.url, std::nullopt);
  EXPECT_EQ(article.published_at, std::nullopt);
  EXPECT_TRUE(article.extra.empty());  // an empty date is not "unparseable"
}

TEST(ParseStageTest, AbsentIdBecomesOidUnderscoreAid) {
  Article article = Parse(ArticleFileBuilder().Remove("id").Build());
  ASSERT_EQ(article.reason, QuarantineReason::kNone) << article.detail;
  EXPECT_EQ(article.id, "119_0003042504");
}

TEST(ParseStageTest, EmptyIdCountsAsAbsent) {
  Article article = Parse(ArticleFileBuilder().Set("id", "").Build());
  ASSERT_EQ(article.reason, QuarantineReason::kNone) << article.detail;
  EXPECT_EQ(article.id, "119_0003042504");
}

TEST(ParseStageTest, KeepsLeadingZerosAndQuotedDigitsInKey) {
  Article article = Parse(ArticleFileBuilder()
                              .Set("oid", "\"001\"")
                              .Set("aid", "'0000'")
                              .Set("id", "001_0000")
                              .Build());
  ASSERT_EQ(article.reason, QuarantineReason::kNone) << article.detail;
  EXPECT_EQ(article.oid, "001");
  EXPECT_EQ(article.aid, "0000");
  EXPECT_EQ(article.id, "001_0000");
}

TEST(ParseStageTest, PutsUnknownKeysAndUnparseableDatesInExtraInFileOrder) {
  ArticleFileBuilder builder;
  builder.Remove("published_at")
      .Set("crawled_at", "2025-02-30 10:00")
      .Set("zeta", "1")
      .Set("published_at", "어제 오후 3시")
      .Set("alpha", "")
      .Set("note", "\"a &amp; b\"");
  Article article = Parse(builder.Build());
  ASSERT_EQ(article.reason, QuarantineReason::kNone) << article.detail;
  EXPECT_EQ(article.published_at, std::nullopt);
  EXPECT_EQ(article.crawled_at, std::nullopt);
  EXPECT_EQ(article.extra, (Extra{{"crawled_at", "2025-02-30 10:00"},
                                  {"zeta", "1"},
                                  {"published_at", "어제 오후 3시"},
                                  {"alpha", std::nullopt},
                                  {"note", "a & b"}}));
}

TEST(ParseStageTest, NormalisesDatesWithTheConfiguredOffset) {
  ArticleFileBuilder builder;
  builder.Set("published_at", "2025-12-30T08:15:30Z");
  ParseOptions options;
  options.default_offset_minutes = -(5 * 60);
  Article article = Parse(builder.Build(), options);
  ASSERT_EQ(article.reason, QuarantineReason::kNone) << article.detail;
  EXPECT_EQ(article.published_at, "2025-12-30T08:15:30+00:00");
  EXPECT_EQ(article.crawled_at, "2025-12-30T00:09:00-05:00");
}

// --- line endings and BOM ---------------------------------------------------

TEST(ParseStageTest, CrlfFileParsesAndHashesLikeItsLfTwin) {
  ArticleFileBuilder builder;
  builder.Set("author", "\n\t\t조인영 기자\n\t");
  const std::string lf = builder.Build();
  const std::string crlf = builder.Crlf().Build();
  ASSERT_NE(crlf.find("\r\n"), std::string::npos);
  ASSERT_EQ(crlf.size(), lf.size() + static_cast<size_t>(std::count(
                                         lf.begin(), lf.end(), '\n')));
  Article expected = Parse(lf);
  Article actual = Parse(crlf);
  ASSERT_EQ(actual.reason, QuarantineReason::kNone) << actual.detail;
  ExpectSameParse(actual, expected);
  EXPECT_EQ(Sha256Hex(actual.text), builder.ContentHash());
  EXPECT_EQ(actual.text.find('\r'), std::string::npos);
}

TEST(ParseStageTest, BomFileParsesAndHashesLikeItsTwinWithoutBom) {
  ArticleFileBuilder builder;
  Article expected = Parse(builder.Build());
  Article with_bom = Parse(builder.Bom().Build());
  ASSERT_EQ(with_bom.reason, QuarantineReason::kNone) << with_bom.detail;
  ExpectSameParse(with_bom, expected);
  Article with_bom_and_crlf = Parse(builder.Crlf().Build());
  ASSERT_EQ(with_bom_and_crlf.reason, QuarantineReason::kNone)
      << with_bom_and_crlf.detail;
  ExpectSameParse(with_bom_and_crlf, expected);
  EXPECT_EQ(Sha256Hex(with_bom_and_crlf.text), builder.ContentHash());
}

TEST(ParseStageTest, KeepsALoneCarriageReturn) {
  ArticleFileBuilder builder;
  builder.Body("a\rb");
  Article article = Parse(builder.Build());
  ASSERT_EQ(article.reason, QuarantineReason::kNone) << article.detail;
  EXPECT_EQ(article.text, "a\rb");
  EXPECT_EQ(article.stored_hash, Sha256Hex("a\rb"));
}

TEST(ParseStageTest, BomOnlyCountsAtTheStart) {
  std::string file = ArticleFileBuilder().Build();
  EXPECT_EQ(ReasonFor("\n\xEF\xBB\xBF" + file),
            QuarantineReason::kNoFrontMatter);
  EXPECT_EQ(ReasonFor("\xEF\xBB\xBF\xEF\xBB\xBF" + file),
            QuarantineReason::kNoFrontMatter);
}

// --- quarantine reasons -----------------------------------------------------

TEST(ParseStageTest, QuarantinesInvalidUtf8) {
  const std::string file = ArticleFileBuilder().Build();
  EXPECT_EQ(ReasonFor(file + "\xFF"), QuarantineReason::kInvalidUtf8);
  EXPECT_EQ(ReasonFor(file + "\xC0\xAF"), QuarantineReason::kInvalidUtf8);
  EXPECT_EQ(ReasonFor(file + "\xED\xA0\x80"), QuarantineReason::kInvalidUtf8);
  EXPECT_EQ(ReasonFor(file + "\xEA\xB0"), QuarantineReason::kInvalidUtf8);
  EXPECT_EQ(ReasonFor(ArticleFileBuilder().Body("caf\xE9").Build()),
            QuarantineReason::kInvalidUtf8);
}

TEST(ParseStageTest, QuarantinesMissingFrontMatter) {
  const std::string file = ArticleFileBuilder().Build();
  EXPECT_EQ(ReasonFor("\n" + file), QuarantineReason::kNoFrontMatter);
  EXPECT_EQ(ReasonFor(" " + file), QuarantineReason::kNoFrontMatter);
  EXPECT_EQ(ReasonFor("# title\n\nbody\n"), QuarantineReason::kNoFrontMatter);
  EXPECT_EQ(ReasonFor("--- " + file.substr(3)),
            QuarantineReason::kNoFrontMatter);
}

TEST(ParseStageTest, QuarantinesBadFrontMatter) {
  EXPECT_EQ(ReasonFor(ArticleFileBuilder().Set("title", "\"unterminated")),
            QuarantineReason::kBadFrontMatter);
  EXPECT_EQ(ReasonFor(ArticleFileBuilder().Set("title", "\"a\" b")),
            QuarantineReason::kBadFrontMatter);
  // A second, unindented line for `publisher` is a duplicate key line.
  EXPECT_EQ(ReasonFor(ArticleFileBuilder().Set("publisher",
                                               "데일리안\npublisher: 다른")),
            QuarantineReason::kBadFrontMatter);
  EXPECT_EQ(ReasonFor(ArticleFileBuilder().Set("publisher", "x\nfoo")),
            QuarantineReason::kBadFrontMatter);
  EXPECT_EQ(ReasonFor(ArticleFileBuilder().Set("publisher", "x\na:b")),
            QuarantineReason::kBadFrontMatter);
  EXPECT_EQ(ReasonFor("---\nid: 1_2\noid: 1\naid: 2\n"),
            QuarantineReason::kBadFrontMatter);
}

TEST(ParseStageTest, QuarantinesMissingOrEmptyOrNonDigitKey) {
  EXPECT_EQ(ReasonFor(ArticleFileBuilder().Remove("oid")),
            QuarantineReason::kBadKey);
  EXPECT_EQ(ReasonFor(ArticleFileBuilder().Remove("aid")),
            QuarantineReason::kBadKey);
  EXPECT_EQ(ReasonFor(ArticleFileBuilder().Remove("oid").Remove("aid")),
            QuarantineReason::kBadKey);
  EXPECT_EQ(ReasonFor(ArticleFileBuilder().Set("oid", "")),
            QuarantineReason::kBadKey);
  EXPECT_EQ(ReasonFor(ArticleFileBuilder().Set("aid", "\"\"")),
            QuarantineReason::kBadKey);
  for (const char* bad : {"11a", "-119", "1.5", "0x1F", "１１９", "١١٩",
                          "119 120", "&#x31;&#x31;x"}) {
    EXPECT_EQ(ReasonFor(ArticleFileBuilder().Set("oid", bad)),
              QuarantineReason::kBadKey)
        << "oid " << bad;
    EXPECT_EQ(ReasonFor(ArticleFileBuilder().Set("aid", bad)),
              QuarantineReason::kBadKey)
        << "aid " << bad;
  }
}

TEST(ParseStageTest, KeepsTheIdAsWrittenForTheQuarantineRecord) {
  Article article = Parse(ArticleFileBuilder().Set("oid", "x").Build());
  EXPECT_EQ(article.reason, QuarantineReason::kBadKey);
  EXPECT_EQ(article.id, "119_0003042504");
  Article without_hash =
      Parse(ArticleFileBuilder().Remove("id").Remove("content_hash").Build());
  EXPECT_EQ(without_hash.reason, QuarantineReason::kMissingHash);
  EXPECT_EQ(without_hash.id, "119_0003042504");
}

TEST(ParseStageTest, QuarantinesIdThatIsNotOidUnderscoreAid) {
  EXPECT_EQ(ReasonFor(ArticleFileBuilder().Set("id", "119_3042504")),
            QuarantineReason::kIdMismatch);
  EXPECT_EQ(ReasonFor(ArticleFileBuilder().Set("id", "1190003042504")),
            QuarantineReason::kIdMismatch);
  EXPECT_EQ(ReasonFor(ArticleFileBuilder().Key("119", "1").Set("id", "119-1")),
            QuarantineReason::kIdMismatch);
  EXPECT_EQ(ReasonFor(ArticleFileBuilder().Key("119", "1").Set("id", "119_1")),
            QuarantineReason::kNone);
}

TEST(ParseStageTest, QuarantinesMissingOrEmptyHash) {
  EXPECT_EQ(ReasonFor(ArticleFileBuilder().Remove("content_hash")),
            QuarantineReason::kMissingHash);
  EXPECT_EQ(ReasonFor(ArticleFileBuilder().Set("content_hash", "")),
            QuarantineReason::kMissingHash);
  EXPECT_EQ(ReasonFor(ArticleFileBuilder().Set("content_hash", "''")),
            QuarantineReason::kMissingHash);
}

TEST(ParseStageTest, QuarantinesHashThatIsNot64HexDigits) {
  const std::string hash = ArticleFileBuilder().ContentHash();
  for (const std::string& bad :
       {hash.substr(1), hash + "0", "g" + hash.substr(1), "sha256:" + hash,
        hash.substr(0, 32) + " " + hash.substr(32), std::string("xyz")}) {
    EXPECT_EQ(ReasonFor(ArticleFileBuilder().Set("content_hash", bad)),
              QuarantineReason::kBadHash)
        << bad;
  }
}

TEST(ParseStageTest, AcceptsAWrongButWellFormedHash) {
  // Comparing hashes is the verify stage's job (hash_mismatch).
  Article article = Parse(
      ArticleFileBuilder().Set("content_hash", Sha256Hex("other")).Build());
  EXPECT_EQ(article.reason, QuarantineReason::kNone) << article.detail;
  EXPECT_EQ(article.stored_hash, Sha256Hex("other"));
}

TEST(ParseStageTest, QuarantinesMissingBodySeparators) {
  ArticleFileBuilder builder;
  EXPECT_EQ(ReasonFor(TruncatedInBody(builder)), QuarantineReason::kNoBody);
  // Only the front matter is left.
  EXPECT_EQ(ReasonFor(TruncatedAt(builder.Build(), "\n# ") + "\n"),
            QuarantineReason::kNoBody);
  // The body's closing separator is gone (and the footer with it).
  EXPECT_EQ(ReasonFor(TruncatedAt(builder.Build(), "---\n\n*Crawled at")),
            QuarantineReason::kNoBody);
}

TEST(ParseStageTest, QuarantinesEmptyBody) {
  for (const char* body : {"", "   ", "\n\n\t\n", "&nbsp;\u3000&#x20;&#9;"}) {
    ArticleFileBuilder builder;
    builder.Body(body);
    EXPECT_EQ(ReasonFor(builder), QuarantineReason::kEmptyBody) << body;
  }
}

// --- precedence (FORMAT.md §2: the earlier reason in the table wins) --------

TEST(ParseStageTest, InvalidUtf8BeatsNoFrontMatter) {
  EXPECT_EQ(ReasonFor("no front matter \xFF\n"),
            QuarantineReason::kInvalidUtf8);
}

TEST(ParseStageTest, NoFrontMatterBeatsBadKey) {
  EXPECT_EQ(ReasonFor("\n" + ArticleFileBuilder().Remove("oid").Build()),
            QuarantineReason::kNoFrontMatter);
}

TEST(ParseStageTest, BadFrontMatterBeatsBadKey) {
  EXPECT_EQ(ReasonFor(ArticleFileBuilder().Remove("oid").Set("title", "\"x")),
            QuarantineReason::kBadFrontMatter);
}

TEST(ParseStageTest, BadKeyBeatsIdMismatch) {
  EXPECT_EQ(ReasonFor(ArticleFileBuilder().Set("aid", "x1").Set("id", "9_9")),
            QuarantineReason::kBadKey);
}

TEST(ParseStageTest, IdMismatchBeatsMissingHash) {
  EXPECT_EQ(
      ReasonFor(ArticleFileBuilder().Set("id", "9_9").Remove("content_hash")),
      QuarantineReason::kIdMismatch);
}

TEST(ParseStageTest, MissingHashBeatsNoBody) {
  EXPECT_EQ(
      ReasonFor(TruncatedInBody(ArticleFileBuilder().Remove("content_hash"))),
      QuarantineReason::kMissingHash);
}

TEST(ParseStageTest, BadHashBeatsNoBody) {
  EXPECT_EQ(ReasonFor(TruncatedInBody(
                ArticleFileBuilder().Set("content_hash", "not-a-hash"))),
            QuarantineReason::kBadHash);
}

TEST(ParseStageTest, EmptyBodyBeatsHashMismatch) {
  EXPECT_EQ(ReasonFor(ArticleFileBuilder().Body(" ").Set(
                "content_hash", Sha256Hex("not the body"))),
            QuarantineReason::kEmptyBody);
}

}  // namespace
}  // namespace ingest
