// Tests of the NDJSON writer (FORMAT.md §3): AppendJsonString against
// Python's json.dumps(s, ensure_ascii=False) (the reference's encoder), run
// once over thousands of generated strings, and against a byte-by-byte
// escaper on arbitrary bytes; and the exact bytes of the article,
// quarantine and duplicate records.

#include "stages/emit/ndjson_writer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/article.h"
#include "stages/parse/parse_stage.h"
#include "stages/verify/verify_stage.h"
#include "tests/testing/article_builder.h"
#include "tests/testing/process.h"
#include "tests/testing/testing.h"

namespace ingest {
namespace {

using ::ingest::test::ArticleFileBuilder;
using ::ingest::test::ProcessResult;
using ::ingest::test::ReadFile;
using ::ingest::test::RunProcess;
using ::ingest::test::SharedDir;
using ::ingest::test::TempDir;
using ::ingest::test::WriteFile;

std::string Json(std::string_view text) {
  std::string out;
  AppendJsonString(text, &out);
  return out;
}

// --- AppendJsonString: unit cases -------------------------------------------

TEST(NdjsonWriterTest, EscapesQuoteBackslashAndControls) {
  EXPECT_EQ(Json(""), R"("")");
  EXPECT_EQ(Json("plain"), R"("plain")");
  EXPECT_EQ(Json("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(Json("\n\r\t\b\f"), R"("\n\r\t\b\f")");
  EXPECT_EQ(Json(std::string("\0\x01\x1f\x0b", 4)),
            R"("\u0000\u0001\u001f\u000b")");
  EXPECT_EQ(Json("/"), R"("/")");
}

TEST(NdjsonWriterTest, KeepsNonAsciiDelAndLineSeparatorsRaw) {
  EXPECT_EQ(Json("소버린 AI…"), "\"소버린 AI…\"");
  EXPECT_EQ(Json("\x7f"), "\"\x7f\"");
  EXPECT_EQ(Json("\u2028\u2029\u0085\u00a0\U0001F600"),
            "\"\u2028\u2029\u0085\u00a0\U0001F600\"");
}

TEST(NdjsonWriterTest, AppendsAfterExistingOutput) {
  std::string out = "{\"k\":";
  AppendJsonString("v\n", &out);
  EXPECT_EQ(out, "{\"k\":\"v\\n\"");
}

// --- AppendJsonString: differential test against Python ---------------------

void AppendUtf8(char32_t code_point, std::string* out) {
  if (code_point < 0x80) {
    *out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    *out += static_cast<char>(0xC0 | (code_point >> 6));
    *out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    *out += static_cast<char>(0xE0 | (code_point >> 12));
    *out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | (code_point >> 18));
    *out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
    *out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (code_point & 0x3F));
  }
}

// The differential inputs, all valid UTF-8: every ASCII byte alone, in
// context and all together, then seeded random mixes of ASCII, Hangul and
// the characters JSON encoders disagree on. Raw engine output only (no
// std::*_distribution), so the set is the same with every standard library.
std::vector<std::string> DifferentialInputs() {
  std::vector<std::string> inputs;
  std::string all_ascii;
  for (int c = 0; c < 0x80; ++c) {
    inputs.emplace_back(1, static_cast<char>(c));
    inputs.push_back("가" + std::string(1, static_cast<char>(c)) + "a");
    all_ascii += static_cast<char>(c);
  }
  inputs.push_back(all_ascii);
  inputs.emplace_back();
  inputs.push_back("\"\\\"\\\\\"");
  inputs.push_back("\\u0000 \\n literal backslashes");
  inputs.push_back("'소버린 AI' 프로젝트 베일 벗는다…정예 5팀 성과 경쟁 돌입");
  inputs.push_back("\u2028\u2029</script>\x7f");

  const std::vector<char32_t> specials = {
      U'"',   U'\\',  U'/',   0x7F,   0x85,   0xA0,    0xAD,
      0x2028, 0x2029, 0xFEFF, 0xFFFD, 0x3000, 0x1F600, 0x10FFFF,
      0xE000, 0x200B, 0x0300, 0x00E9, 0x20AC};
  std::mt19937 rng(20251230);
  for (int i = 0; i < 4000; ++i) {
    std::string text;
    const uint32_t length = rng() % 40;
    for (uint32_t j = 0; j < length; ++j) {
      switch (rng() % 4) {
        case 0:
          AppendUtf8(rng() % 0x80, &text);
          break;  // ASCII
        case 1:
          AppendUtf8(0xAC00 + rng() % 11172, &text);
          break;  // Hangul
        case 2:
          AppendUtf8(specials[rng() % specials.size()], &text);
          break;
        default:
          AppendUtf8(0x20 + rng() % 0x5F, &text);
          break;  // printable
      }
    }
    inputs.push_back(std::move(text));
  }
  return inputs;
}

// Length-prefixed framing: "<decimal length>\n<bytes>" per record.
std::string Frame(const std::vector<std::string>& records) {
  std::string framed;
  for (const std::string& record : records) {
    framed += std::to_string(record.size());
    framed += '\n';
    framed += record;
  }
  return framed;
}

bool Unframe(std::string_view data, std::vector<std::string>* records) {
  while (!data.empty()) {
    const size_t newline = data.find('\n');
    if (newline == std::string_view::npos || newline == 0) return false;
    size_t length = 0;
    for (char digit : data.substr(0, newline)) {
      if (digit < '0' || digit > '9') return false;
      length = length * 10 + static_cast<size_t>(digit - '0');
    }
    data.remove_prefix(newline + 1);
    if (length > data.size()) return false;
    records->emplace_back(data.substr(0, length));
    data.remove_prefix(length);
  }
  return true;
}

constexpr std::string_view kOracle = R"(import json, sys
data = open(sys.argv[1], "rb").read()
out, i = [], 0
while i < len(data):
    newline = data.index(b"\n", i)
    length = int(data[i:newline])
    text = data[newline + 1:newline + 1 + length].decode("utf-8")
    i = newline + 1 + length
    encoded = json.dumps(text, ensure_ascii=False).encode("utf-8")
    out.append(b"%d\n" % len(encoded) + encoded)
open(sys.argv[2], "wb").write(b"".join(out))
)";

TEST(NdjsonWriterTest, MatchesPythonJsonDumpsByteForByte) {
  const std::vector<std::string> inputs = DifferentialInputs();
  TempDir dir;
  WriteFile(dir.Join("oracle.py"), kOracle);
  WriteFile(dir.Join("in"), Frame(inputs));
  // Python is the definition here: when python3 is not on PATH the child
  // exits 127 and the test fails rather than skips.
  const ProcessResult python = RunProcess(
      {"python3", dir.Join("oracle.py"), dir.Join("in"), dir.Join("out")});
  ASSERT_EQ(python.exit_code, 0) << "python3 failed: " << python.err;

  std::vector<std::string> expected;
  ASSERT_TRUE(Unframe(ReadFile(dir.Join("out")), &expected));
  ASSERT_EQ(expected.size(), inputs.size());
  int mismatches = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string actual = Json(inputs[i]);
    if (actual != expected[i] && ++mismatches <= 10) {
      ADD_FAILURE() << "input #" << i << "\n  python: " << expected[i]
                    << "\n  ours:   " << actual;
    }
  }
  EXPECT_EQ(mismatches, 0) << "of " << inputs.size() << " inputs";
}

// --- AppendJsonString: differential test against a byte-by-byte escaper -----

// The escape rules spelled out one byte at a time, with no scanning and no
// buffer management: what the vectorised writer must reproduce.
std::string ReferenceJson(std::string_view text) {
  std::string out = "\"";
  for (const char byte : text) {
    const auto c = static_cast<unsigned char>(byte);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += byte;
        }
    }
  }
  out += '"';
  return out;
}

// Any bytes, not only UTF-8: every byte alone and at positions around the
// 16-, 32- and 64-byte vector widths (where a scan's tail and its
// overlapping last load meet), a dozen telling bytes at every position of
// strings of those lengths, dense and sparse random mixes of controls, '"',
// '\\', DEL, UTF-8 and raw high bytes, and a few texts of several KB with
// escapes far apart (which grow the output once) and of escapes only
// (which grow it the most).
std::vector<std::string> ByteInputs() {
  std::vector<std::string> inputs;
  for (int c = 0; c < 256; ++c) {
    inputs.emplace_back(1, static_cast<char>(c));
    for (const size_t position : {0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 69}) {
      std::string text(70, 'x');
      text[position] = static_cast<char>(c);
      inputs.push_back(std::move(text));
    }
  }
  const std::vector<size_t> lengths = {15, 16, 17, 31, 32, 33,
                                      47, 48, 63, 64, 65, 100};
  const std::string_view bytes("\x00\x01\x08\n\x1f \"\\\x7f\x80\xea\xff", 12);
  for (const size_t length : lengths) {
    for (size_t position = 0; position < length; ++position) {
      for (const char c : bytes) {
        std::string text(length, 'x');
        text[position] = c;
        inputs.push_back(text);
        std::string hangul;
        while (hangul.size() < length) hangul += "가";
        hangul.resize(length);
        hangul[position] = c;
        inputs.push_back(std::move(hangul));
      }
    }
  }
  const std::string alphabet =
      std::string("\0\x01\x07\b\t\n\x0b\f\r\x1b\x1f \"\\/'aZ~\x7f\x80\xbf\xff", 23) +
      "가나소버린…\u2028";
  std::mt19937 rng(20260128);
  for (int i = 0; i < 20000; ++i) {
    const size_t length = rng() % 201;
    // From escapes at most bytes to one in about 64.
    const uint32_t clean_odds = rng() % 64;
    std::string text;
    while (text.size() < length) {
      if (rng() % 64 < clean_odds) {
        text += "한";
      } else if (rng() % 2 == 0) {
        text += alphabet[rng() % alphabet.size()];
      } else {
        text += static_cast<char>(rng() % 256);
      }
    }
    inputs.push_back(std::move(text));
  }
  for (const size_t length : {size_t{4096}, size_t{6000}, size_t{8191},
                              size_t{20000}}) {
    std::string body;
    while (body.size() < length) {
      body += "문단의 \"인용\" 문장이다. ";
      if (rng() % 8 == 0) body += '\n';
    }
    inputs.push_back(body);
    std::string controls;
    for (size_t j = 0; j < length; ++j) controls += static_cast<char>(rng() % 0x20);
    inputs.push_back(std::move(controls));
  }
  return inputs;
}

TEST(NdjsonWriterTest, MatchesByteByByteEscaperOnAnyBytes) {
  int mismatches = 0;
  const std::vector<std::string> inputs = ByteInputs();
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string expected = ReferenceJson(inputs[i]);
    if (Json(inputs[i]) != expected && ++mismatches <= 10) {
      ADD_FAILURE() << "input #" << i << " of " << inputs[i].size()
                    << " bytes\n  expected: " << expected
                    << "\n  ours:     " << Json(inputs[i]);
    }
  }
  EXPECT_EQ(mismatches, 0) << "of " << inputs.size() << " inputs";
}

TEST(NdjsonWriterTest, AppendsEscapedBytesAfterAnyExistingPrefix) {
  const std::vector<std::string> inputs = ByteInputs();
  std::string prefix;
  for (size_t i = 0; i < inputs.size(); i += 7) {
    // Prefixes of growing length, so appends start at every alignment and
    // with and without spare capacity.
    prefix += static_cast<char>('a' + i % 26);
    std::string out = prefix;
    AppendJsonString(inputs[i], &out);
    ASSERT_EQ(out, prefix + ReferenceJson(inputs[i])) << "input #" << i;
  }
}

// --- records ----------------------------------------------------------------

Article FullArticle() {
  Article article;
  article.source = "dump/119/a.txt";
  article.outcome = Outcome::kEmitted;
  article.id = "119_0003042504";
  article.oid = "119";
  article.aid = "0003042504";
  article.url = "https://n.news.naver.com/mnews/article/119/0003042504";
  article.title = "'소버린 AI' \"프로젝트\"";
  article.publisher = "데일리안";
  article.author = "조인영 기자 (ciy8100@dailian.co.kr)";
  article.category = std::nullopt;
  article.published_at = "2025-12-30T00:00:00+09:00";
  article.crawled_at = std::nullopt;
  article.content_hash = std::string(64, 'a');
  article.text = "첫 문단\n\n둘째\t문단";
  return article;
}

TEST(NdjsonWriterTest, WritesArticleRecordWithKeysInContractOrder) {
  std::string out;
  AppendArticleRecord(FullArticle(), &out);
  EXPECT_EQ(
      out,
      "{\"id\":\"119_0003042504\",\"oid\":\"119\",\"aid\":\"0003042504\","
      "\"url\":\"https://n.news.naver.com/mnews/article/119/0003042504\","
      "\"title\":\"'소버린 AI' \\\"프로젝트\\\"\",\"publisher\":\"데일리안\","
      "\"author\":\"조인영 기자 (ciy8100@dailian.co.kr)\","
      "\"category\":null,\"published_at\":\"2025-12-30T00:00:00+09:00\","
      "\"crawled_at\":null,\"content_hash\":\"" +
          std::string(64, 'a') +
          "\",\"text\":\"첫 문단\\n\\n둘째\\t문단\","
          "\"source\":\"dump/119/a.txt\"}\n");
}

TEST(NdjsonWriterTest, WritesRevisionOnlyIntoRevisionRecords) {
  Article article = FullArticle();
  article.url = std::nullopt;
  article.outcome = Outcome::kRevision;
  article.revision = 3;
  std::string record;
  const size_t revision_at = AppendArticleRecord(article, &record);
  EXPECT_EQ(record.find("revision"), std::string::npos) << record;
  const std::string tail = ",\"source\":\"dump/119/a.txt\"}\n";
  ASSERT_GE(record.size(), tail.size());
  EXPECT_EQ(record.substr(record.size() - tail.size()), tail);
  EXPECT_EQ(revision_at, record.size() - 2);
  EXPECT_NE(record.find("\"url\":null,"), std::string::npos) << record;

  std::string revision = "previous\n";
  AppendWithRevision(record, revision_at, 3, &revision);
  EXPECT_EQ(revision, "previous\n" + record.substr(0, revision_at) +
                          ",\"revision\":3}\n");
}

TEST(NdjsonWriterTest, WritesExtraOnlyWhenNonEmptyWithNulls) {
  Article article = FullArticle();
  std::string without;
  AppendArticleRecord(article, &without);
  EXPECT_EQ(without.find("extra"), std::string::npos) << without;

  article.extra = {{"published_at", "어제 오후 3시"},
                   {"empty", std::nullopt},
                   {"a\"key", "v\n"}};
  std::string with;
  const size_t revision_at = AppendArticleRecord(article, &with);
  const std::string extra =
      ",\"extra\":{\"published_at\":\"어제 오후 3시\",\"empty\":null,"
      "\"a\\\"key\":\"v\\n\"}}\n";
  const std::string tail = ",\"source\":\"dump/119/a.txt\"" + extra;
  ASSERT_GE(with.size(), tail.size());
  EXPECT_EQ(with.substr(with.size() - tail.size()), tail);

  // `revision` goes after `source` and before `extra` (FORMAT.md §3).
  std::string revision;
  AppendWithRevision(with, revision_at, 2, &revision);
  const std::string revision_tail =
      ",\"source\":\"dump/119/a.txt\",\"revision\":2" + extra;
  ASSERT_GE(revision.size(), revision_tail.size());
  EXPECT_EQ(revision.substr(revision.size() - revision_tail.size()),
            revision_tail);
}

TEST(NdjsonWriterTest, WritesEachRecordOnOneLineAndAppends) {
  Article article = FullArticle();
  article.text = "line\nline\r\n\u2028end";
  std::string out = "previous\n";
  AppendArticleRecord(article, &out);
  AppendQuarantineRecord(article, &out);
  AppendDuplicateRecord(article, &out);
  EXPECT_EQ(out.substr(0, 9), "previous\n");
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 4);
  EXPECT_EQ(out.back(), '\n');
}

TEST(NdjsonWriterTest, WritesQuarantineRecordWithId) {
  Article article;
  article.source = "dump.tar.gz!a/b.txt";
  article.id = "119_0003042504";
  article.Quarantine(QuarantineReason::kHashMismatch,
                     "content_hash mismatch: stored = x, computed = \"y\"");
  std::string out;
  AppendQuarantineRecord(article, &out);
  EXPECT_EQ(out,
            "{\"source\":\"dump.tar.gz!a/b.txt\",\"reason\":\"hash_mismatch\","
            "\"detail\":\"content_hash mismatch: stored = x, computed = "
            "\\\"y\\\"\",\"id\":\"119_0003042504\"}\n");
}

TEST(NdjsonWriterTest, WritesQuarantineRecordWithoutIdWhenUnknown) {
  Article article;
  article.source = "dump/bad.txt";
  article.Quarantine(QuarantineReason::kInvalidUtf8,
                     "the file is not valid UTF-8");
  std::string out;
  AppendQuarantineRecord(article, &out);
  EXPECT_EQ(out,
            "{\"source\":\"dump/bad.txt\",\"reason\":\"invalid_utf8\","
            "\"detail\":\"the file is not valid UTF-8\"}\n");
}

TEST(NdjsonWriterTest, WritesDuplicateAndRevisionRecords) {
  Article article;
  article.source = "dump/b.txt";
  article.id = "119_0003042504";
  article.first_source = "dump/a.txt";
  article.content_hash = std::string(64, 'f');
  article.outcome = Outcome::kDuplicate;
  std::string duplicate;
  AppendDuplicateRecord(article, &duplicate);
  EXPECT_EQ(duplicate,
            "{\"source\":\"dump/b.txt\",\"id\":\"119_0003042504\","
            "\"kind\":\"duplicate\",\"first_source\":\"dump/a.txt\","
            "\"content_hash\":\"" +
                std::string(64, 'f') + "\"}\n");

  article.outcome = Outcome::kRevision;
  article.revision = 2;
  std::string revision;
  AppendDuplicateRecord(article, &revision);
  EXPECT_EQ(revision,
            "{\"source\":\"dump/b.txt\",\"id\":\"119_0003042504\","
            "\"kind\":\"revision\",\"first_source\":\"dump/a.txt\","
            "\"content_hash\":\"" +
                std::string(64, 'f') + "\"}\n");
}

TEST(NdjsonWriterTest, WritesTheSeedsExpectedRecordByteForByte) {
  const std::string seeds = SharedDir() + "/seeds/";
  Article article;
  article.source = "seeds/000_a625429a3cc50d01.txt";
  article.raw = ReadFile(seeds + "000_a625429a3cc50d01.txt");
  ParseStage parse{ParseOptions()};
  VerifyStage verify;
  std::unique_ptr<WorkerState> verify_state = verify.NewWorkerState();
  std::unique_ptr<WorkerState> parse_state = parse.NewWorkerState();
  ASSERT_EQ(parse.Process(article, parse_state.get()).value(), Disposition::kContinue)
      << article.detail;
  ASSERT_EQ(verify.Process(article, verify_state.get()).value(),
            Disposition::kContinue)
      << article.detail;
  article.outcome = Outcome::kEmitted;
  std::string out;
  AppendArticleRecord(article, &out);
  EXPECT_EQ(out, ReadFile(seeds + "000_a625429a3cc50d01.expected.json"));
}

TEST(NdjsonWriterTest, WritesBuiltArticleWithExtraAsParsed) {
  ArticleFileBuilder builder;
  builder.Set("published_at", "어제 오후 3시").Set("section", "");
  Article article = builder.ToArticle("in/x.txt");
  ParseStage parse{ParseOptions()};
  VerifyStage verify;
  std::unique_ptr<WorkerState> verify_state = verify.NewWorkerState();
  std::unique_ptr<WorkerState> parse_state = parse.NewWorkerState();
  ASSERT_EQ(parse.Process(article, parse_state.get()).value(), Disposition::kContinue);
  ASSERT_EQ(verify.Process(article, verify_state.get()).value(),
            Disposition::kContinue);
  std::string out;
  AppendArticleRecord(article, &out);
  EXPECT_NE(out.find("\"published_at\":null,\"crawled_at\":"
                     "\"2025-12-30T00:09:00+09:00\",\"content_hash\":\"" +
                     builder.ContentHash() + "\""),
            std::string::npos)
      << out;
  EXPECT_NE(out.find(",\"source\":\"in/x.txt\",\"extra\":{\"published_at\":"
                     "\"어제 오후 3시\",\"section\":null}}\n"),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace ingest
