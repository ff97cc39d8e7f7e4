// `crawl-ingest audit`, the real binary end to end: a clean corpus and a
// clean output audit clean, in both article layouts (FORMAT.md §3 and
// Dolma); the article audit gives exactly the run's quarantine decisions;
// each way of tampering with the output is found with its own problem
// code; the audit changes nothing on disk, works while a run holds the
// state, and exits 2 on bad usage.
#include <simdjson.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "stages/emit/ndjson_writer.h"
#include "tests/commands/audit_e2e_helpers.h"
#include "tests/stages/audit/record_line_builder.h"
#include "tests/testing/article_builder.h"
#include "tests/testing/process.h"
#include "tests/testing/testing.h"

namespace ingest::test {
namespace {

namespace fs = std::filesystem;

class AuditCommandTest : public ::testing::Test {
 protected:
  // Corpora shared by the suite: "dump" (every kind of file, with an oracle
  // manifest) and "clean" (valid articles only). The tests never change them.
  static void SetUpTestSuite() {
    corpus_ = new TempDir();
    ProcessResult mixed = RunProcess(
        {"python3", SourceDir() + "/tools/gen_corpus.py", "--out", corpus_->Join("dump"),
         "--mix", "--valid", "60", "--size", "2000", "--seed", "11", "--manifest",
         corpus_->Join("dump.manifest.json")});
    ASSERT_EQ(mixed.exit_code, 0) << mixed.err;
    ProcessResult clean = RunProcess(
        {"python3", SourceDir() + "/tools/gen_corpus.py", "--out", corpus_->Join("clean"),
         "--valid", "40", "--size", "2000", "--seed", "5", "--no-manifest"});
    ASSERT_EQ(clean.exit_code, 0) << clean.err;
  }
  static void TearDownTestSuite() {
    delete corpus_;
    corpus_ = nullptr;
  }

  // `run` over `input` from the corpus' directory into this test's
  // state/ and out/, in chunks of 20 records.
  void Ingest(std::vector<std::string> extra = {}, const std::string& input = "dump") {
    std::vector<std::string> args = {"run",     "--max-file-size", "100000",
                                     "--chunk-records", "20", "--state",
                                     work_.Join("state"), "--out", work_.Join("out")};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(input);
    ProcessResult run = RunProcess(Binary(args), ProcessOptions{corpus_->path(), {}});
    ASSERT_EQ(run.exit_code, 0) << run.err;
  }

  ProcessResult Audit(std::vector<std::string> args) {
    args.insert(args.begin(), "audit");
    return RunProcess(Binary(args), ProcessOptions{corpus_->path(), {}});
  }
  // The NDJSON audit of out/articles alone, and with the state.
  ProcessResult AuditArticles() { return Audit({work_.Join("out/articles")}); }
  ProcessResult AuditWithState() {
    return Audit({"--state", work_.Join("state"), "--out", work_.Join("out")});
  }

  std::vector<std::string> Chunks() { return NdjsonFilesIn(work_.Join("out/articles")); }

  void ExpectEveryTamperCaseUnderItsOwnCode(const std::vector<std::string>& run_options);

  static TempDir* corpus_;
  TempDir work_;
};

TempDir* AuditCommandTest::corpus_ = nullptr;

TEST_F(AuditCommandTest, CleanCorpusAndItsOutputAuditCleanWithNoRecords) {
  ProcessResult articles = Audit({"clean"});
  EXPECT_EQ(articles.exit_code, 0) << articles.err;
  EXPECT_EQ(articles.out, "");
  EXPECT_NE(articles.err.find("audit clean problems=0 article_files=40 "), std::string::npos)
      << articles.err;

  Ingest({}, "clean");
  ProcessResult output = Audit({"--state", work_.Join("state"), "--out", work_.Join("out"),
                                work_.Join("out")});
  EXPECT_EQ(output.exit_code, 0) << output.err;
  EXPECT_EQ(output.out, "");
  EXPECT_NE(output.err.find("state_keys=40 state_emitted=40 state_matched=40"),
            std::string::npos)
      << output.err;
}

TEST_F(AuditCommandTest, ArticleAuditReportsEveryQuarantinedFileWithTheRunsReason) {
  ProcessResult audit = Audit({"--max-file-size", "100000", "dump"});
  EXPECT_EQ(audit.exit_code, 1) << audit.err;
  std::set<std::pair<std::string, std::string>> found;
  for (const ProblemRecord& record : ParseProblemRecords(audit.out)) {
    found.emplace(record.source, record.problem);
  }
  // The oracle: every quarantined file of the manifest with its reason.
  std::string manifest = ReadFile(corpus_->Join("dump.manifest.json"));
  simdjson::dom::parser parser;
  simdjson::dom::object files;
  ASSERT_FALSE(parser.parse(manifest)["files"].get(files));
  std::set<std::pair<std::string, std::string>> expected;
  for (auto [path, entry] : files) {
    std::string_view outcome, reason;
    ASSERT_FALSE(entry["outcome"].get(outcome));
    if (outcome != "quarantined") continue;
    ASSERT_FALSE(entry["reason"].get(reason));
    expected.emplace("dump/" + std::string(path), std::string(reason));
  }
  EXPECT_GT(expected.size(), 30u);
  EXPECT_EQ(found, expected);
}

TEST_F(AuditCommandTest, ArticleAuditGivesTheRunsQuarantineRecordsFieldForField) {
  Ingest();
  std::string quarantine;
  for (const std::string& chunk : NdjsonFilesIn(work_.Join("out/quarantine"))) {
    quarantine += ReadFile(chunk);
  }
  ProcessResult audit = Audit({"--max-file-size", "100000", "dump"});
  std::vector<std::string> from_run, from_audit;
  simdjson::dom::parser parser;
  size_t start = 0;
  while (start < quarantine.size()) {
    size_t end = quarantine.find('\n', start);
    simdjson::dom::element record;
    ASSERT_FALSE(parser.parse(quarantine.substr(start, end - start)).get(record));
    std::string_view source, reason, detail, id = "";
    ASSERT_FALSE(record["source"].get(source));
    ASSERT_FALSE(record["reason"].get(reason));
    ASSERT_FALSE(record["detail"].get(detail));
    if (record["id"].get(id)) id = "";  // absent before the front matter gave one
    from_run.push_back(fmt::format("{}|{}|{}|{}", source, id, reason, detail));
    start = end + 1;
  }
  for (const ProblemRecord& problem : ParseProblemRecords(audit.out)) {
    from_audit.push_back(fmt::format("{}|{}|{}|{}", problem.source, problem.id,
                                     problem.problem, problem.detail));
  }
  EXPECT_FALSE(from_run.empty());
  EXPECT_EQ(from_audit, from_run);  // same files, same order, same evidence
}

TEST_F(AuditCommandTest, ArchiveMembersAreAuditedLikeFilesAndFiltersApply) {
  std::string good = ArticleFileBuilder().Key("501", "1").Build();
  std::string bad = ArticleFileBuilder().Key("501", "2").Set("content_hash", std::string(64, 'a')).Build();
  WriteFile(work_.Join("tree/a/good.txt"), good);
  WriteFile(work_.Join("tree/a/bad.txt"), bad);
  WriteFile(work_.Join("tree/skip/bad.txt"), bad);
  ProcessResult tar = RunProcess({"tar", "-czf", work_.Join("dump.tar.gz"), "-C",
                                  work_.Join("tree"), "a"});
  ASSERT_EQ(tar.exit_code, 0) << tar.err;
  ProcessResult audit = Audit({work_.Join("dump.tar.gz")});
  EXPECT_EQ(audit.exit_code, 1) << audit.err;
  std::vector<ProblemRecord> problems = ParseProblemRecords(audit.out);
  ASSERT_EQ(ProblemCodes(problems), std::vector<std::string>{"hash_mismatch"}) << audit.out;
  EXPECT_EQ(problems[0].source, work_.Join("dump.tar.gz") + "!a/bad.txt");
  EXPECT_EQ(problems[0].id, "501_2");

  ProcessResult filtered = Audit({"--exclude", "skip", "--exclude", "bad.txt",
                                  work_.Join("tree")});
  EXPECT_EQ(filtered.exit_code, 0) << filtered.out;
  ProcessResult included = Audit({"--include", "*/skip/*", work_.Join("tree")});
  EXPECT_EQ(ProblemCodes(ParseProblemRecords(included.out)),
            std::vector<std::string>{"hash_mismatch"})
      << included.out;
}

TEST_F(AuditCommandTest, OutputOfAMixedRunWithRevisionsAuditsClean) {
  Ingest({"--revisions", "emit"});
  ASSERT_GT(Chunks().size(), 3u);
  ProcessResult audit = Audit({"--state", work_.Join("state"), "--out", work_.Join("out"),
                               work_.Join("out")});
  EXPECT_EQ(audit.exit_code, 0) << audit.err << audit.out;
  EXPECT_EQ(audit.out, "");
}

// Changes one ASCII letter or digit of the text of `line` (not one of an
// escape sequence), so the line stays valid JSON.
std::string FlipTextByte(std::string line) {
  size_t at = line.find("\"text\":\"") + 8;
  for (; at < line.size(); ++at) {
    bool plain = std::isalnum(static_cast<unsigned char>(line[at])) &&
                 line.substr(at - 6, 6).find('\\') == std::string::npos;
    if (plain) break;
  }
  char& c = line[at];
  c = std::isdigit(static_cast<unsigned char>(c)) ? (c == '9' ? '0' : c + 1)
                                                  : (c == 'z' || c == 'Z' ? 'a' : 'z');
  return line;
}

TEST_F(AuditCommandTest, ByteFlippedInTextIsHashMismatchAloneAndTextEditedWithTheState) {
  Ingest();
  std::string chunk = Chunks()[1];
  std::vector<std::string> lines = LinesOf(chunk);
  lines[4] = FlipTextByte(lines[4]);
  WriteLines(chunk, lines);
  std::string hash = JsonField(lines[4], "content_hash");
  // Alone the record cannot tell which half changed; the state can.
  for (auto [audit, code] : {std::pair{AuditArticles(), "hash_mismatch"},
                             std::pair{AuditWithState(), "text_edited"}}) {
    EXPECT_EQ(audit.exit_code, 1) << audit.err;
    std::vector<ProblemRecord> problems = ParseProblemRecords(audit.out);
    ASSERT_EQ(ProblemCodes(problems), std::vector<std::string>{code}) << audit.out;
    EXPECT_EQ(problems[0].source, chunk);
    EXPECT_EQ(problems[0].line, 5u);
    EXPECT_EQ(problems[0].id, JsonField(lines[4], "id"));
    EXPECT_NE(problems[0].detail.find(hash), std::string::npos) << problems[0].detail;
  }
  EXPECT_NE(AuditArticles().out.find("audit --state DIR --out DIR tells"), std::string::npos);
}

TEST_F(AuditCommandTest, EditedContentHashIsHashMismatchAloneAndContentHashEditedWithTheState) {
  Ingest();
  std::string chunk = Chunks()[0];
  std::vector<std::string> lines = LinesOf(chunk);
  std::string hash = JsonField(lines[0], "content_hash");
  lines[0].replace(lines[0].find(hash), hash.size(), Sha256Hex("edited"));
  WriteLines(chunk, lines);
  for (auto [audit, code] : {std::pair{AuditArticles(), "hash_mismatch"},
                             std::pair{AuditWithState(), "content_hash_edited"}}) {
    EXPECT_EQ(audit.exit_code, 1) << audit.err;
    std::vector<ProblemRecord> problems = ParseProblemRecords(audit.out);
    ASSERT_EQ(ProblemCodes(problems), std::vector<std::string>{code}) << audit.out;
    EXPECT_EQ(problems[0].line, 1u);
    EXPECT_NE(problems[0].detail.find(Sha256Hex("edited")), std::string::npos);
  }
  // The output given as INPUT too: OUT/articles is audited once, by the
  // cross-check, so the fault is still reported once.
  ProcessResult both = Audit({"--state", work_.Join("state"), "--out", work_.Join("out"),
                              work_.Join("out")});
  EXPECT_EQ(ProblemCodes(ParseProblemRecords(both.out)),
            std::vector<std::string>{"content_hash_edited"})
      << both.out;
}

TEST_F(AuditCommandTest, ConsistentlyEditedRecordIsFoundOnlyAgainstTheState) {
  Ingest();
  std::string chunk = Chunks()[0];
  std::vector<std::string> lines = LinesOf(chunk);
  // Text and content_hash edited together: the record alone looks fine.
  std::string text = JsonField(lines[2], "text");
  std::string old_text_json, new_text_json;
  AppendJsonString(text, &old_text_json);
  AppendJsonString(text + " (정정)", &new_text_json);
  std::string old_hash = JsonField(lines[2], "content_hash");
  lines[2].replace(lines[2].find(old_text_json), old_text_json.size(), new_text_json);
  lines[2].replace(lines[2].find(old_hash), old_hash.size(), Sha256Hex(text + " (정정)"));
  WriteLines(chunk, lines);
  ProcessResult alone = AuditArticles();
  EXPECT_EQ(alone.exit_code, 0) << alone.out;
  ProcessResult audit = AuditWithState();
  EXPECT_EQ(audit.exit_code, 1) << audit.err;
  std::vector<ProblemRecord> problems = ParseProblemRecords(audit.out);
  ASSERT_EQ(ProblemCodes(problems), std::vector<std::string>{"hash_differs_from_state"})
      << audit.out;
  EXPECT_EQ(problems[0].line, 3u);
  EXPECT_NE(problems[0].detail.find("the state has content_hash " + old_hash),
            std::string::npos)
      << problems[0].detail;
}

TEST_F(AuditCommandTest, DuplicatedLineIsDuplicateKeyNamingTheFirstCopy) {
  Ingest();
  std::vector<std::string> chunks = Chunks();
  std::vector<std::string> first = LinesOf(chunks[0]);
  std::vector<std::string> last = LinesOf(chunks.back());
  last.push_back(first[0]);
  WriteLines(chunks.back(), last);
  for (ProcessResult audit : {AuditArticles(), AuditWithState()}) {
    EXPECT_EQ(audit.exit_code, 1) << audit.err;
    std::vector<ProblemRecord> problems = ParseProblemRecords(audit.out);
    ASSERT_EQ(ProblemCodes(problems), std::vector<std::string>{"duplicate_key"}) << audit.out;
    EXPECT_EQ(problems[0].source, chunks.back());
    EXPECT_EQ(problems[0].line, last.size());
    EXPECT_EQ(problems[0].detail,
              "id " + JsonField(first[0], "id") + " already has a record at " + chunks[0] +
                  ":1");
  }
}

TEST_F(AuditCommandTest, TruncatedLastLineIsPartialLineAndItsKeyIsMissing) {
  Ingest();
  std::string chunk = Chunks().back();
  std::vector<std::string> lines = LinesOf(chunk);
  std::string id = JsonField(lines.back(), "id");
  std::string contents = ReadFile(chunk);
  contents.resize(contents.size() - lines.back().size() / 2);
  WriteFile(chunk, contents);

  ProcessResult alone = AuditArticles();
  EXPECT_EQ(alone.exit_code, 1);
  std::vector<ProblemRecord> problems = ParseProblemRecords(alone.out);
  ASSERT_EQ(ProblemCodes(problems), std::vector<std::string>{"partial_line"}) << alone.out;
  EXPECT_EQ(problems[0].line, lines.size());
  EXPECT_EQ(problems[0].id, id);

  ProcessResult audit = AuditWithState();
  problems = ParseProblemRecords(audit.out);
  EXPECT_EQ(ProblemCodes(problems),
            (std::vector<std::string>{"partial_line", "missing_record"}))
      << audit.out;
  EXPECT_EQ(problems.back().id, id);
}

TEST_F(AuditCommandTest, DeletedChunkIsMissingRecordForEachOfItsKeys) {
  Ingest();
  std::string chunk = Chunks()[1];
  std::set<std::string> ids;
  for (const std::string& line : LinesOf(chunk)) ids.insert(JsonField(line, "id"));
  fs::remove(chunk);
  // The records left are fine on their own; only the state knows what is gone.
  EXPECT_EQ(AuditArticles().exit_code, 0);
  ProcessResult audit = AuditWithState();
  EXPECT_EQ(audit.exit_code, 1) << audit.err;
  std::set<std::string> missing;
  for (const ProblemRecord& problem : ParseProblemRecords(audit.out)) {
    EXPECT_EQ(problem.problem, "missing_record");
    EXPECT_EQ(problem.source, work_.Join("out") + "/articles");
    missing.insert(problem.id);
  }
  EXPECT_EQ(missing, ids);
}

TEST_F(AuditCommandTest, DuplicatedChunkIsDuplicateKeyForEveryRecord) {
  Ingest();
  std::string chunk = Chunks()[0];
  fs::copy_file(chunk, work_.Join("out/articles/zz-copy.ndjson"));
  size_t records = LinesOf(chunk).size();
  for (ProcessResult audit : {AuditArticles(), AuditWithState()}) {
    EXPECT_EQ(audit.exit_code, 1);
    std::vector<ProblemRecord> problems = ParseProblemRecords(audit.out);
    EXPECT_EQ(ProblemCodes(problems), std::vector<std::string>(records, "duplicate_key"));
    for (const ProblemRecord& problem : problems) {
      EXPECT_EQ(problem.source, work_.Join("out/articles/zz-copy.ndjson"));
    }
  }
}

TEST_F(AuditCommandTest, RecordAddedByHandIsUnknownRecord) {
  Ingest();
  std::string chunk = Chunks()[0];
  std::vector<std::string> lines = LinesOf(chunk);
  lines.push_back(RecordLineBuilder().Key("999", "0000000001").Text("손으로 넣은 기사").Build());
  WriteLines(chunk, lines);
  EXPECT_EQ(AuditArticles().exit_code, 0);  // a well-formed record
  ProcessResult audit = AuditWithState();
  EXPECT_EQ(audit.exit_code, 1) << audit.err;
  std::vector<ProblemRecord> problems = ParseProblemRecords(audit.out);
  ASSERT_EQ(ProblemCodes(problems), std::vector<std::string>{"unknown_record"}) << audit.out;
  EXPECT_EQ(problems[0].id, "999_0000000001");
  EXPECT_EQ(problems[0].line, lines.size());
  EXPECT_EQ(problems[0].detail, "the state does not know this key");
}

TEST_F(AuditCommandTest, CompressedOutputAuditsCleanAndACutChunkIsBadCompression) {
  Ingest({"--compress", "zstd"});
  std::vector<std::string> chunks;
  for (const auto& entry : fs::directory_iterator(work_.Join("out/articles"))) {
    chunks.push_back(entry.path().string());
  }
  std::sort(chunks.begin(), chunks.end());
  ASSERT_GT(chunks.size(), 2u);
  ASSERT_EQ(chunks[0].substr(chunks[0].size() - 11), ".ndjson.zst");
  ProcessResult clean = Audit({"--state", work_.Join("state"), "--out", work_.Join("out"),
                               work_.Join("out")});
  EXPECT_EQ(clean.exit_code, 0) << clean.err << clean.out;
  EXPECT_TRUE(Chunks().empty());  // no plain chunk: every record came through zstd

  std::string bytes = ReadFile(chunks[1]);
  WriteFile(chunks[1], bytes.substr(0, bytes.size() / 2));
  ProcessResult cut = AuditWithState();
  EXPECT_EQ(cut.exit_code, 1);
  std::vector<ProblemRecord> problems = ParseProblemRecords(cut.out);
  ASSERT_FALSE(problems.empty());
  EXPECT_EQ(problems[0].problem, "bad_compression") << cut.out;
  EXPECT_EQ(problems[0].source, chunks[1]);
  std::vector<std::string> codes = ProblemCodes(problems);
  EXPECT_GT(std::count(codes.begin(), codes.end(), "missing_record"), 0) << cut.out;
  EXPECT_EQ(std::count(codes.begin(), codes.end(), "missing_record") + 1,
            static_cast<long>(codes.size()))
      << cut.out;
}

// The content_hash of an article line in either layout (Dolma keeps it in
// metadata).
std::string ContentHashOf(std::string_view line) {
  simdjson::dom::parser parser;
  simdjson::dom::element element;
  std::string_view hash;
  if (parser.parse(line.data(), line.size()).get(element) ||
      (element["content_hash"].get(hash) &&
       element.at_pointer("/metadata/content_hash").get(hash))) {
    ADD_FAILURE() << "no content_hash in " << line;
    return "";
  }
  return std::string(hash);
}

// `line` as a record of the key oid_aid nobody emitted, with its text and
// hash unchanged: a well-formed record added by hand, in either layout.
std::string UnderNewKey(std::string line, const std::string& oid, const std::string& aid) {
  std::string id = JsonField(line, "id");
  std::string old_oid = id.substr(0, id.find('_'));
  std::string old_aid = id.substr(id.find('_') + 1);
  for (auto [from, to] : {std::pair{"\"id\":\"" + id + "\"", "\"id\":\"" + oid + "_" + aid + "\""},
                          std::pair{"\"oid\":\"" + old_oid + "\"", "\"oid\":\"" + oid + "\""},
                          std::pair{"\"aid\":\"" + old_aid + "\"", "\"aid\":\"" + aid + "\""}}) {
    size_t at = line.find(from);
    EXPECT_NE(at, std::string::npos) << from << " in " << line;
    if (at != std::string::npos) line.replace(at, from.size(), to);
  }
  return line;
}

// Issue 5's tamper cases all at once, each in its own place, on the
// output of `run` with `run_options`: with the state, each is found under
// its own code, and nothing else is reported.
void AuditCommandTest::ExpectEveryTamperCaseUnderItsOwnCode(
    const std::vector<std::string>& run_options) {
  Ingest(run_options);
  std::vector<std::string> chunks = Chunks();
  ASSERT_GE(chunks.size(), 4u);
  // The first chunk: a byte flipped in the text of line 1, the content_hash
  // of line 2 edited.
  std::vector<std::string> first = LinesOf(chunks[0]);
  const std::string copied_line = first[2];
  first[0] = FlipTextByte(first[0]);
  std::string hash = ContentHashOf(first[1]);
  first[1].replace(first[1].find(hash), hash.size(), Sha256Hex("edited"));
  WriteLines(chunks[0], first);
  // The second chunk deleted.
  std::set<std::string> lost;
  for (const std::string& line : LinesOf(chunks[1])) lost.insert(JsonField(line, "id"));
  fs::remove(chunks[1]);
  // The third: a record added by hand, then a copy of a line of the first.
  std::vector<std::string> third = LinesOf(chunks[2]);
  third.push_back(UnderNewKey(third[0], "999", "0000000001"));
  third.push_back(copied_line);
  WriteLines(chunks[2], third);
  // The last: its last line cut in half, so its key is lost too.
  std::vector<std::string> last = LinesOf(chunks.back());
  lost.insert(JsonField(last.back(), "id"));
  std::string contents = ReadFile(chunks.back());
  contents.resize(contents.size() - last.back().size() / 2);
  WriteFile(chunks.back(), contents);

  struct Where {
    std::string source;
    uint64_t line;
    std::string id;
  };
  std::map<std::string, std::vector<Where>> expected = {
      {"text_edited", {{chunks[0], 1, JsonField(first[0], "id")}}},
      {"content_hash_edited", {{chunks[0], 2, JsonField(first[1], "id")}}},
      {"unknown_record", {{chunks[2], third.size() - 1, "999_0000000001"}}},
      {"duplicate_key", {{chunks[2], third.size(), JsonField(copied_line, "id")}}},
      {"partial_line", {{chunks.back(), last.size(), JsonField(last.back(), "id")}}},
  };
  for (const std::string& id : lost) {
    expected["missing_record"].push_back({work_.Join("out") + "/articles", 0, id});
  }
  ProcessResult audit = AuditWithState();
  EXPECT_EQ(audit.exit_code, 1) << audit.err;
  std::map<std::string, std::vector<Where>> found;
  for (const ProblemRecord& problem : ParseProblemRecords(audit.out)) {
    found[problem.problem].push_back({problem.source, problem.line, problem.id});
  }
  EXPECT_EQ(found.size(), 6u) << audit.out;  // six codes, one per kind of tampering
  for (const auto& [code, places] : expected) {
    ASSERT_EQ(found[code].size(), places.size()) << code << "\n" << audit.out;
    for (size_t i = 0; i < places.size(); ++i) {
      EXPECT_EQ(found[code][i].source, places[i].source) << code;
      EXPECT_EQ(found[code][i].line, places[i].line) << code;
      EXPECT_EQ(found[code][i].id, places[i].id) << code;
    }
  }

  // Alone, the records tell only what is wrong with them.
  ProcessResult alone = AuditArticles();
  EXPECT_EQ(ProblemCodes(ParseProblemRecords(alone.out)),
            (std::vector<std::string>{"hash_mismatch", "hash_mismatch", "duplicate_key",
                                      "partial_line"}))
      << alone.out;
}

TEST_F(AuditCommandTest, EveryTamperCaseHasItsOwnCode) {
  ExpectEveryTamperCaseUnderItsOwnCode({});
}

TEST_F(AuditCommandTest, EveryTamperCaseHasItsOwnCodeInDolmaOutput) {
  ExpectEveryTamperCaseUnderItsOwnCode({"--schema", "dolma"});
}

TEST_F(AuditCommandTest, DolmaOutputWithRevisionsAuditsCleanAndMatchesTheState) {
  Ingest({"--schema", "dolma", "--revisions", "emit"});
  std::string all;
  for (const std::string& chunk : Chunks()) all += ReadFile(chunk);
  ASSERT_NE(all.find("\"metadata\":{"), std::string::npos);
  ASSERT_NE(all.find("-r2\",\"text\":"), std::string::npos);  // a revision is there
  ProcessResult audit = Audit({"--state", work_.Join("state"), "--out", work_.Join("out"),
                               work_.Join("out")});
  EXPECT_EQ(audit.exit_code, 0) << audit.err << audit.out;
  EXPECT_EQ(audit.out, "");
  ProcessResult stats = RunProcess(Binary({"state", "stats", "--state", work_.Join("state")}));
  simdjson::dom::parser parser;
  int64_t emitted = 0;
  ASSERT_FALSE(parser.parse(stats.out)["emitted"].get(emitted)) << stats.out;
  EXPECT_NE(audit.err.find(fmt::format("state_emitted={} state_matched={}", emitted, emitted)),
            std::string::npos)
      << audit.err;
}

TEST_F(AuditCommandTest, CompressedDolmaOutputAuditsClean) {
  Ingest({"--schema", "dolma", "--compress", "gzip"});
  EXPECT_TRUE(Chunks().empty());  // every record comes through gzip
  ProcessResult audit = Audit({"--state", work_.Join("state"), "--out", work_.Join("out"),
                               work_.Join("out")});
  EXPECT_EQ(audit.exit_code, 0) << audit.err << audit.out;
}

TEST_F(AuditCommandTest, ReportOptionWritesTheRecordsToTheFileInstead) {
  Ingest();
  std::string chunk = Chunks()[0];
  std::vector<std::string> lines = LinesOf(chunk);
  lines[0] = FlipTextByte(lines[0]);
  WriteLines(chunk, lines);
  ProcessResult audit = Audit({"--report", work_.Join("report.ndjson"), chunk});
  EXPECT_EQ(audit.exit_code, 1);
  EXPECT_EQ(audit.out, "");
  EXPECT_EQ(ProblemCodes(ParseProblemRecords(ReadFile(work_.Join("report.ndjson")))),
            std::vector<std::string>{"hash_mismatch"});
  ProcessResult clean = Audit({"--report", work_.Join("clean.ndjson"), Chunks()[1]});
  EXPECT_EQ(clean.exit_code, 0);
  ASSERT_TRUE(fs::exists(work_.Join("clean.ndjson")));
  EXPECT_EQ(ReadFile(work_.Join("clean.ndjson")), "");
}

TEST_F(AuditCommandTest, AuditChangesNothingOnDisk) {
  Ingest();
  std::string before = TreeFingerprint(work_.path()) + TreeFingerprint(corpus_->path());
  EXPECT_EQ(AuditWithState().exit_code, 0);
  EXPECT_EQ(Audit({"--max-file-size", "100000", "dump", work_.Join("out")}).exit_code, 1);
  EXPECT_EQ(TreeFingerprint(work_.path()) + TreeFingerprint(corpus_->path()), before);
}

TEST_F(AuditCommandTest, AuditWorksWhileARunHoldsTheState) {
  Ingest();
  ChildProcess holder(
      Binary({"run", "--max-file-size", "100000", "--state", work_.Join("state"), "--out",
              work_.Join("out"), "dump"}),
      ProcessOptions{corpus_->path(), {{"CRAWL_INGEST_TEST_HOOK", "run.locked:sleep=3000"}}});
  std::string lock_file = work_.Join("state/LOCK.crawl-ingest");
  std::string holder_pid = std::to_string(holder.pid()) + "\n";
  for (int i = 0; i < 300 && ReadFile(lock_file) != holder_pid; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ProcessResult audit = AuditWithState();
  ProcessResult first = holder.Wait();
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(audit.exit_code, 0) << audit.err << audit.out;
  EXPECT_NE(audit.err.find("held by process " + std::to_string(holder.pid())),
            std::string::npos)
      << audit.err;
}

TEST_F(AuditCommandTest, ChunkCommittedButNotYetRenamedIsAuditedFromItsTempFile) {
  // Killed after the first chunk's commit, before its rename: the state
  // marks its keys emitted and only its temp file holds them.
  ProcessResult killed = RunProcess(
      Binary({"run", "--max-file-size", "100000", "--chunk-records", "20", "--state",
              work_.Join("state"), "--out", work_.Join("out"), "dump"}),
      ProcessOptions{corpus_->path(), {{"CRAWL_INGEST_TEST_HOOK", "commit.durable:kill"}}});
  ASSERT_EQ(killed.signal, SIGKILL);
  ASSERT_TRUE(Chunks().empty());
  ProcessResult audit = AuditWithState();
  EXPECT_EQ(audit.exit_code, 0) << audit.err << audit.out;
  EXPECT_NE(audit.err.find("committed chunk not yet published"), std::string::npos)
      << audit.err;
  EXPECT_NE(audit.err.find("state_emitted=20 state_matched=20"), std::string::npos)
      << audit.err;
}

TEST_F(AuditCommandTest, BadUsageOrNothingToAuditExitsTwo) {
  Ingest();
  for (std::vector<std::string> args :
       {std::vector<std::string>{}, {"--state", work_.Join("state")},
        {"--out", work_.Join("out")}, {"--threads", "0", "dump"},
        {"--no-such-flag", "dump"}, {"no/such/dump"},
        {"--state", work_.Join("no-state"), "--out", work_.Join("out")},
        {"--state", work_.Join("state"), "--out", work_.Join("no-out")}}) {
    ProcessResult audit = Audit(args);
    EXPECT_EQ(audit.exit_code, 2) << ::testing::PrintToString(args) << audit.err;
    EXPECT_FALSE(audit.err.empty());
    EXPECT_EQ(audit.out, "");
  }
}

TEST_F(AuditCommandTest, HelpExitsZeroAndNamesEveryOption) {
  ProcessResult help = RunProcess(Binary({"audit", "--help"}));
  EXPECT_EQ(help.exit_code, 0);
  for (const char* option : {"INPUT TEXT", "--state TEXT", "--out TEXT", "--report TEXT",
                             "--threads INT", "--max-file-size UINT", "--include TEXT",
                             "--exclude TEXT"}) {
    EXPECT_NE(help.out.find(option), std::string::npos) << option << "\n" << help.out;
  }
}

}  // namespace
}  // namespace ingest::test
