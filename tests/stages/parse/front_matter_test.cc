// Tests of the tolerant front-matter reader (FORMAT.md §1.1) and the body
// locator (§1): ReadFrontMatter, FindBody, DecodeYamlQuoted, FoldWhitespace.

#include "stages/parse/front_matter.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>

#include "tests/testing/testing.h"

namespace ingest {
namespace {

using ::ingest::test::ReadFile;
using ::ingest::test::SharedDir;

// The value of `key`, or nullopt when the front matter does not have it.
std::optional<std::string> ValueOf(const FrontMatter& front_matter,
                                   std::string_view key) {
  for (const FrontMatterField& field : front_matter.fields) {
    if (field.key == key) return field.value;
  }
  return std::nullopt;
}

// Reads `document` and expects it to be accepted.
FrontMatter ReadOk(std::string_view document) {
  FrontMatter front_matter;
  std::string detail;
  QuarantineReason reason = ReadFrontMatter(document, &front_matter, &detail);
  EXPECT_EQ(reason, QuarantineReason::kNone) << detail << "\nin:\n" << document;
  return front_matter;
}

// Reads `document` and returns the reason (detail must say something when
// the front matter is rejected).
QuarantineReason ReadReason(std::string_view document) {
  FrontMatter front_matter;
  std::string detail;
  QuarantineReason reason = ReadFrontMatter(document, &front_matter, &detail);
  if (reason != QuarantineReason::kNone) {
    EXPECT_FALSE(detail.empty());
  }
  return reason;
}

std::string Decoded(std::string_view quoted) {
  std::string out;
  EXPECT_TRUE(DecodeYamlQuoted(quoted, &out)) << quoted;
  return out;
}

bool Decodes(std::string_view quoted) {
  std::string out;
  return DecodeYamlQuoted(quoted, &out);
}

// --- ReadFrontMatter --------------------------------------------------------

TEST(ReadFrontMatterTest, FoldsTheSeedsTabIndentedAuthor) {
  const std::string seed =
      ReadFile(SharedDir() + "/seeds/000_a625429a3cc50d01.txt");
  ASSERT_FALSE(seed.empty());
  FrontMatter front_matter = ReadOk(seed);
  EXPECT_EQ(ValueOf(front_matter, "author"),
            "조인영 기자 (ciy8100@dailian.co.kr)");
  EXPECT_EQ(ValueOf(front_matter, "category"), "");
  EXPECT_EQ(ValueOf(front_matter, "aid"), "0003042504");
  EXPECT_EQ(ValueOf(front_matter, "published_at"), "2025-12-30 00:00");
}

TEST(ReadFrontMatterTest, FoldsContinuationLinesAndWhitespaceOnlyLines) {
  // The seed's shape: a value on tab-indented lines between whitespace-only
  // lines, an empty line among them, then the next key.
  FrontMatter front_matter = ReadOk(
      "---\n"
      "author: \n"
      "\t\t\n"
      "\t\t\t조인영 기자 (ciy8100@dailian.co.kr)\n"
      "\n"
      "\t\t\n"
      "\t\n"
      "publisher: 데일리안\n"
      "---\n");
  ASSERT_EQ(front_matter.fields.size(), 2u);
  EXPECT_EQ(front_matter.fields[0].key, "author");
  EXPECT_EQ(front_matter.fields[0].value,
            "조인영 기자 (ciy8100@dailian.co.kr)");
  EXPECT_EQ(front_matter.fields[1].key, "publisher");
  EXPECT_EQ(front_matter.fields[1].value, "데일리안");
}

TEST(ReadFrontMatterTest, JoinsAPlainValueWithItsContinuationBySpace) {
  FrontMatter front_matter =
      ReadOk("---\ntitle: first  part\n   second\tpart\n\tthird\n---\n");
  EXPECT_EQ(ValueOf(front_matter, "title"), "first part second part third");
}

TEST(ReadFrontMatterTest, KeepsFieldsInFileOrderAndEndsAfterClosingLine) {
  const std::string document = "---\nb: 2\na: 1\nc: 3\n---\nrest\n";
  FrontMatter front_matter = ReadOk(document);
  ASSERT_EQ(front_matter.fields.size(), 3u);
  EXPECT_EQ(front_matter.fields[0].key, "b");
  EXPECT_EQ(front_matter.fields[1].key, "a");
  EXPECT_EQ(front_matter.fields[2].key, "c");
  EXPECT_EQ(document.substr(front_matter.end), "rest\n");
}

TEST(ReadFrontMatterTest, EmptyValueIsEmpty) {
  FrontMatter front_matter =
      ReadOk("---\ncategory: \nurl:\nblank: \t \nnext: x\n---\n");
  EXPECT_EQ(ValueOf(front_matter, "category"), "");
  EXPECT_EQ(ValueOf(front_matter, "url"), "");
  EXPECT_EQ(ValueOf(front_matter, "blank"), "");
  EXPECT_EQ(ValueOf(front_matter, "next"), "x");
}

TEST(ReadFrontMatterTest, DecodesQuotedTitleButDoesNotHtmlUnescapeIt) {
  FrontMatter front_matter = ReadOk(
      "---\ntitle: \"&#x27;소버린 AI&#x27; 프로젝트 베일 벗는다…정예 "
      "5팀\"\n---\n");
  EXPECT_EQ(ValueOf(front_matter, "title"),
            "&#x27;소버린 AI&#x27; 프로젝트 베일 벗는다…정예 5팀");
}

TEST(ReadFrontMatterTest, DecodesSingleQuotedValueWithDoubledQuote) {
  FrontMatter front_matter =
      ReadOk("---\ntitle: 'it''s a \"test\" \\n'\n---\n");
  EXPECT_EQ(ValueOf(front_matter, "title"), "it's a \"test\" \\n");
}

TEST(ReadFrontMatterTest, FoldsDecodedDoubleQuotedEscapes) {
  // \t and \n decode to whitespace, which folding then turns into spaces.
  FrontMatter front_matter = ReadOk(
      "---\ntitle: \"say \\\"hi\\\"\\t\\\\ \\x41\\u00e9\\U0001F600\\nend\"\n"
      "---\n");
  EXPECT_EQ(ValueOf(front_matter, "title"),
            "say \"hi\" \\ A\u00e9\U0001F600 end");
}

TEST(ReadFrontMatterTest, DecodesMultiLineQuotedValues) {
  FrontMatter front_matter = ReadOk(
      "---\n"
      "title: \"first\n"
      "  second\n"
      "\n"
      "\tthird\"\n"
      "quote: 'one\n"
      "   two'''\n"
      "joined: \"abc\\\n"
      "    def\"\n"
      "after: plain\n"
      "---\n");
  EXPECT_EQ(ValueOf(front_matter, "title"), "first second third");
  EXPECT_EQ(ValueOf(front_matter, "quote"), "one two'");
  EXPECT_EQ(ValueOf(front_matter, "joined"), "abcdef");
  EXPECT_EQ(ValueOf(front_matter, "after"), "plain");
}

TEST(ReadFrontMatterTest, QuotedValueMayStartOnAContinuationLine) {
  // YAML allows the scalar of `key:` to start on the next, indented line;
  // the Python reference (tools/reference_ingest.py) reads it too.
  FrontMatter front_matter = ReadOk("---\ntitle:\n  \"a: b\"\n---\n");
  EXPECT_EQ(ValueOf(front_matter, "title"), "a: b");
}

TEST(ReadFrontMatterTest, KeepsWhitespaceOnlyLinesAfterAQuotedValue) {
  FrontMatter front_matter = ReadOk("---\ntitle: \"x\"\n\t\t\n \n---\n");
  EXPECT_EQ(ValueOf(front_matter, "title"), "x");
}

TEST(ReadFrontMatterTest, RejectsTextAfterClosingQuote) {
  EXPECT_EQ(ReadReason("---\ntitle: \"abc\" def\n---\n"),
            QuarantineReason::kBadFrontMatter);
  EXPECT_EQ(ReadReason("---\ntitle: \"abc\"def\n---\n"),
            QuarantineReason::kBadFrontMatter);
  EXPECT_EQ(ReadReason("---\ntitle: 'abc' def\n---\n"),
            QuarantineReason::kBadFrontMatter);
  EXPECT_EQ(ReadReason("---\ntitle: \"abc\"\n  more text\n---\n"),
            QuarantineReason::kBadFrontMatter);
}

TEST(ReadFrontMatterTest, RejectsUnterminatedQuote) {
  EXPECT_EQ(ReadReason("---\ntitle: \"abc\n---\n"),
            QuarantineReason::kBadFrontMatter);
  EXPECT_EQ(ReadReason("---\ntitle: 'abc\n  def\n---\n"),
            QuarantineReason::kBadFrontMatter);
  EXPECT_EQ(ReadReason("---\ntitle: \"abc\\\"\n---\n"),
            QuarantineReason::kBadFrontMatter);
}

TEST(ReadFrontMatterTest, RejectsBadEscapeInDoubleQuotes) {
  EXPECT_EQ(ReadReason("---\ntitle: \"a\\qb\"\n---\n"),
            QuarantineReason::kBadFrontMatter);
}

TEST(ReadFrontMatterTest, RejectsDuplicateKey) {
  FrontMatter front_matter;
  std::string detail;
  EXPECT_EQ(ReadFrontMatter("---\naid: 1\noid: 2\naid: 1\n---\n", &front_matter,
                            &detail),
            QuarantineReason::kBadFrontMatter);
  EXPECT_NE(detail.find("aid"), std::string::npos) << detail;
}

TEST(ReadFrontMatterTest, RejectsLineThatIsNeitherKeyNorContinuation) {
  EXPECT_EQ(ReadReason("---\nid: 1\nfoo\n---\n"),
            QuarantineReason::kBadFrontMatter);
  EXPECT_EQ(ReadReason("---\n: value\n---\n"),
            QuarantineReason::kBadFrontMatter);
}

TEST(ReadFrontMatterTest, ColonWithoutSpaceDoesNotMakeAKey) {
  EXPECT_EQ(ReadReason("---\na:b\n---\n"), QuarantineReason::kBadFrontMatter);
  EXPECT_EQ(ReadReason("---\nurl:https://x/y\n---\n"),
            QuarantineReason::kBadFrontMatter);
}

TEST(ReadFrontMatterTest, RejectsIndentedLineBeforeTheFirstKey) {
  EXPECT_EQ(ReadReason("---\n  orphan\nid: 1\n---\n"),
            QuarantineReason::kBadFrontMatter);
}

TEST(ReadFrontMatterTest, SkipsWhitespaceOnlyLinesBeforeTheFirstKey) {
  FrontMatter front_matter = ReadOk("---\n\n\t \nid: 1\n---\n");
  ASSERT_EQ(front_matter.fields.size(), 1u);
  EXPECT_EQ(front_matter.fields[0].value, "1");
}

TEST(ReadFrontMatterTest, RejectsUnterminatedFrontMatter) {
  EXPECT_EQ(ReadReason("---\nid: 1\naid: 2\n"),
            QuarantineReason::kBadFrontMatter);
  EXPECT_EQ(ReadReason("---\nid: 1"), QuarantineReason::kBadFrontMatter);
  EXPECT_EQ(ReadReason("---\n"), QuarantineReason::kBadFrontMatter);
  EXPECT_EQ(ReadReason("---"), QuarantineReason::kBadFrontMatter);
}

TEST(ReadFrontMatterTest, ReportsNoFrontMatterWhenFirstLineIsNotSeparator) {
  EXPECT_EQ(ReadReason("id: 1\n---\n"), QuarantineReason::kNoFrontMatter);
  EXPECT_EQ(ReadReason("\n---\nid: 1\n---\n"),
            QuarantineReason::kNoFrontMatter);
  EXPECT_EQ(ReadReason("----\nid: 1\n---\n"), QuarantineReason::kNoFrontMatter);
  EXPECT_EQ(ReadReason(""), QuarantineReason::kNoFrontMatter);
}

TEST(ReadFrontMatterTest, SeparatorWithTrailingSpaceIsNotASeparator) {
  EXPECT_EQ(ReadReason("--- \nid: 1\n---\n"), QuarantineReason::kNoFrontMatter);
  // As the closing line it is just a line without `key: `.
  EXPECT_EQ(ReadReason("---\nid: 1\n--- \nbody\n---\n"),
            QuarantineReason::kBadFrontMatter);
  EXPECT_EQ(ReadReason("---\nid: 1\n--- \n"),
            QuarantineReason::kBadFrontMatter);
}

TEST(ReadFrontMatterTest, AcceptsClosingSeparatorAtEndOfFile) {
  const std::string document = "---\nid: 1\n---";
  FrontMatter front_matter = ReadOk(document);
  EXPECT_EQ(ValueOf(front_matter, "id"), "1");
  EXPECT_EQ(front_matter.end, document.size());
}

TEST(ReadFrontMatterTest, ValuesThatLookLikeNumbersOrYamlStayStrings) {
  FrontMatter front_matter = ReadOk(
      "---\n"
      "aid: 0003042504\n"
      "id: 119_0003042504\n"
      "oid: 0x1F\n"
      "exp: 1e3\n"
      "flag: yes\n"
      "nothing: null\n"
      "tilde: ~\n"
      "date: 2025-12-30\n"
      "list: [1, 2]\n"
      "---\n");
  EXPECT_EQ(ValueOf(front_matter, "aid"), "0003042504");
  EXPECT_EQ(ValueOf(front_matter, "id"), "119_0003042504");
  EXPECT_EQ(ValueOf(front_matter, "oid"), "0x1F");
  EXPECT_EQ(ValueOf(front_matter, "exp"), "1e3");
  EXPECT_EQ(ValueOf(front_matter, "flag"), "yes");
  EXPECT_EQ(ValueOf(front_matter, "nothing"), "null");
  EXPECT_EQ(ValueOf(front_matter, "tilde"), "~");
  EXPECT_EQ(ValueOf(front_matter, "date"), "2025-12-30");
  EXPECT_EQ(ValueOf(front_matter, "list"), "[1, 2]");
}

TEST(ReadFrontMatterTest, SplitsKeyAtFirstColonFollowedBySpace) {
  FrontMatter front_matter = ReadOk(
      "---\n"
      "url: https://n.news.naver.com/mnews/article/119/0003042504\n"
      "title: a: b: c\n"
      "tabbed:\tvalue\n"
      "---\n");
  EXPECT_EQ(ValueOf(front_matter, "url"),
            "https://n.news.naver.com/mnews/article/119/0003042504");
  EXPECT_EQ(ValueOf(front_matter, "title"), "a: b: c");
  EXPECT_EQ(ValueOf(front_matter, "tabbed"), "value");
}

// --- DecodeYamlQuoted -------------------------------------------------------

TEST(DecodeYamlQuotedTest, DecodesEveryDoubleQuotedEscape) {
  EXPECT_EQ(Decoded(R"("\"\\\/")"), "\"\\/");
  EXPECT_EQ(Decoded(R"("\t|\n|\r|\v|\f|\a|\b|\e|\ |\0")"),
            std::string("\t|\n|\r|\v|\f|\a|\b|\x1b| |\0", 19));
  EXPECT_EQ(Decoded("\"a\\\tb\""), "a\tb");  // backslash + literal tab
  EXPECT_EQ(Decoded(R"("\x41\u00e9\U0001F600")"), "A\u00e9\U0001F600");
  EXPECT_EQ(Decoded(R"("\xe9\u3000\U0010FFFF")"), "\u00e9\u3000\U0010FFFF");
  // \N, \_, \L, \P are U+0085, U+00A0, U+2028, U+2029, as UTF-8.
  EXPECT_EQ(Decoded(R"("\N\_\L\P")"), "\u0085\u00a0\u2028\u2029");
}

TEST(DecodeYamlQuotedTest, EscapedLineBreakJoinsLinesWithoutSpace) {
  EXPECT_EQ(Decoded("\"abc\\\n   def\""), "abcdef");
  EXPECT_EQ(Decoded("\"abc \\\n\tdef\""), "abc def");  // blank before kept
}

TEST(DecodeYamlQuotedTest, FoldsRawLineBreaks) {
  EXPECT_EQ(Decoded("\"a  \n  b\""), "a b");
  EXPECT_EQ(Decoded("\"a\n\n  b\""), "a\nb");
  EXPECT_EQ(Decoded("'a \n\t b'"), "a b");
  EXPECT_EQ(Decoded("'a\n \n\n b'"), "a\n\nb");
}

TEST(DecodeYamlQuotedTest, DecodesSingleQuotesLiterally) {
  EXPECT_EQ(Decoded("'it''s'"), "it's");
  EXPECT_EQ(Decoded("''''"), "'");
  EXPECT_EQ(Decoded("''"), "");
  EXPECT_EQ(Decoded(R"('\n\x41"')"), R"(\n\x41")");
}

TEST(DecodeYamlQuotedTest, AcceptsSurroundingBlanksAndComment) {
  EXPECT_EQ(Decoded(" \t\"a\" \t"), "a");
  EXPECT_EQ(Decoded("\"a\" # a YAML comment"), "a");
  EXPECT_EQ(Decoded("\"a\"\n\t\n"), "a");
  EXPECT_EQ(Decoded("\" keeps inner blanks \""), " keeps inner blanks ");
}

TEST(DecodeYamlQuotedTest, RejectsMalformedScalars) {
  EXPECT_FALSE(Decodes(""));
  EXPECT_FALSE(Decodes("   "));
  EXPECT_FALSE(Decodes("plain"));
  EXPECT_FALSE(Decodes("\"abc"));
  EXPECT_FALSE(Decodes("'abc"));
  EXPECT_FALSE(Decodes("\"abc\\\""));
  EXPECT_FALSE(Decodes("\"abc\\"));
  EXPECT_FALSE(Decodes("\"abc\" x"));
  EXPECT_FALSE(Decodes("\"abc\"x"));
  EXPECT_FALSE(Decodes("\"abc\"#no blank before"));
  EXPECT_FALSE(Decodes("'a'b'"));
  EXPECT_FALSE(Decodes(R"("\q")"));
  EXPECT_FALSE(Decodes(R"("\'")"));  // not a YAML 1.2 escape
  EXPECT_FALSE(Decodes(R"("\x4")"));
  EXPECT_FALSE(Decodes(R"("\xG1")"));
  EXPECT_FALSE(Decodes(R"("\u12")"));
  EXPECT_FALSE(Decodes(R"("\uD800")"));
  EXPECT_FALSE(Decodes(R"("\uDFFF")"));
  EXPECT_FALSE(Decodes(R"("\U00110000")"));
  EXPECT_FALSE(Decodes(R"("\U0000004")"));
}

// --- FoldWhitespace ---------------------------------------------------------

TEST(FoldWhitespaceTest, FoldsRunsOfPythonWhitespaceAndTrims) {
  EXPECT_EQ(FoldWhitespace(" \t a \n\n\t b \r\n"), "a b");
  EXPECT_EQ(FoldWhitespace("\u3000소버린\u3000\u3000AI\u3000"), "소버린 AI");
  EXPECT_EQ(FoldWhitespace("a\u00a0b\u00a0 \u00a0c"), "a b c");
  EXPECT_EQ(FoldWhitespace("a\v\fb\x1c\x1f"
                           "c\u0085d\u2028e\u2029f\u202fg"),
            "a b c d e f g");
  EXPECT_EQ(FoldWhitespace("a\u2000\u200ab\u205f\u1680c"), "a b c");
}

TEST(FoldWhitespaceTest, KeepsNonSpaceCharactersIntact) {
  // U+200B (zero width space) and U+180E are not str.isspace() in Python 3.
  EXPECT_EQ(FoldWhitespace("a\u200bb\u180ec"), "a\u200bb\u180ec");
  EXPECT_EQ(FoldWhitespace("조인영 기자"), "조인영 기자");
  EXPECT_EQ(FoldWhitespace(""), "");
  EXPECT_EQ(FoldWhitespace(" \t\u3000\n"), "");
}

// --- FindBody ---------------------------------------------------------------

TEST(FindBodyTest, BodyEndsAtTheLastSeparator) {
  const std::string document =
      "---\nid: 1\n---\n\n# header\n\n---\n\npara 1\n---\npara 2\n\n---\n\n"
      "*footer*\n";
  FrontMatter front_matter = ReadOk(document);
  std::string_view body;
  ASSERT_TRUE(FindBody(document, front_matter.end, &body));
  EXPECT_EQ(body, "\npara 1\n---\npara 2\n\n");
}

TEST(FindBodyTest, FindsBodyInTheSeed) {
  const std::string seed =
      ReadFile(SharedDir() + "/seeds/000_a625429a3cc50d01.txt");
  FrontMatter front_matter = ReadOk(seed);
  std::string_view body;
  ASSERT_TRUE(FindBody(seed, front_matter.end, &body));
  EXPECT_EQ(body.substr(0, 9), "\nSKT 500B");
  EXPECT_EQ(body.substr(body.size() - 2), "\n\n");
  EXPECT_EQ(body.find("Crawled at"), std::string_view::npos);
}

TEST(FindBodyTest, FailsWithOnlyOneSeparator) {
  const std::string document = "---\nid: 1\n---\n\n# header\n\n---\n\nbody\n";
  FrontMatter front_matter = ReadOk(document);
  std::string_view body;
  EXPECT_FALSE(FindBody(document, front_matter.end, &body));
}

TEST(FindBodyTest, FailsWithNoSeparator) {
  const std::string document = "---\nid: 1\n---\nbody\n";
  FrontMatter front_matter = ReadOk(document);
  std::string_view body;
  EXPECT_FALSE(FindBody(document, front_matter.end, &body));
  EXPECT_FALSE(FindBody("", 0, &body));
}

TEST(FindBodyTest, AcceptsSeparatorAtEndOfFileWithoutNewline) {
  const std::string document = "---\nid: 1\n---\nhead\n---\nbody\n---";
  FrontMatter front_matter = ReadOk(document);
  std::string_view body;
  ASSERT_TRUE(FindBody(document, front_matter.end, &body));
  EXPECT_EQ(body, "body\n");
}

TEST(FindBodyTest, AcceptsEmptyBodyBetweenAdjacentSeparators) {
  const std::string document = "---\nid: 1\n---\n---\n---\nfooter\n";
  FrontMatter front_matter = ReadOk(document);
  std::string_view body;
  ASSERT_TRUE(FindBody(document, front_matter.end, &body));
  EXPECT_EQ(body, "");
}

TEST(FindBodyTest, IgnoresSeparatorLookalikes) {
  const std::string document =
      "---\nid: 1\n---\n--- \nx\n ---\n----\n---\nbody\n---\nfooter ---\n";
  FrontMatter front_matter = ReadOk(document);
  std::string_view body;
  ASSERT_TRUE(FindBody(document, front_matter.end, &body));
  EXPECT_EQ(body, "body\n");
}

}  // namespace
}  // namespace ingest

namespace ingest {
namespace {

// A worker reuses one FrontMatter for every document: nothing of an
// earlier document may leak into a later one.
TEST(ReadFrontMatterReuseTest, ReusedFrontMatterGivesTheSameFieldsAsAFreshOne) {
  const std::string long_document =
      "---\ntitle: \"a long title with   spaces\"\nauthor:\n\t\tsomeone\n"
      "extra_one: 1\nextra_two: 2\n---\nbody\n";
  const std::string short_document = "---\nid: 1_2\noid: 1\n---\n";
  FrontMatter reused;
  std::string detail;
  ASSERT_EQ(ReadFrontMatter(long_document, &reused, &detail), QuarantineReason::kNone);
  ASSERT_EQ(ReadFrontMatter(short_document, &reused, &detail), QuarantineReason::kNone);
  FrontMatter fresh;
  ASSERT_EQ(ReadFrontMatter(short_document, &fresh, &detail), QuarantineReason::kNone);
  ASSERT_EQ(reused.fields.size(), fresh.fields.size());
  for (size_t i = 0; i < fresh.fields.size(); ++i) {
    EXPECT_EQ(reused.fields[i].key, fresh.fields[i].key);
    EXPECT_EQ(reused.fields[i].value, fresh.fields[i].value);
  }
  EXPECT_EQ(reused.end, fresh.end);
  ASSERT_EQ(ReadFrontMatter(long_document, &reused, &detail), QuarantineReason::kNone);
  EXPECT_EQ(reused.fields[0].value, "a long title with spaces");
  EXPECT_EQ(reused.fields[1].value, "someone");
}

}  // namespace
}  // namespace ingest
