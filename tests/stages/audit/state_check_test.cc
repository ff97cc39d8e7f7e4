// CrossCheckState on a real RocksDB state in a temporary directory, against
// chunk files audited by AuditNdjsonFiles: each way the output can part
// from the state gives its own problem code, once.
#include "stages/audit/state_check.h"

#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "stages/dedup/dedup_entry.h"
#include "tests/stages/audit/record_line_builder.h"
#include "tests/testing/article_builder.h"
#include "tests/testing/testing.h"

namespace ingest {
namespace {

using ::ingest::test::JsonString;
using ::ingest::test::RecordLineBuilder;
using ::ingest::test::Sha256Hex;
using ::ingest::test::TempDir;
using ::ingest::test::WriteFile;

std::string Line(std::string_view aid, std::string_view text, int revision = 1) {
  RecordLineBuilder builder;
  builder.Key("119", aid).Text(text);
  if (revision > 1) builder.Set("revision", std::to_string(revision));
  return builder.Build() + "\n";
}

class StateCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = StateDb::Open(dir_.Join("state"), {});
    ASSERT_OK(opened.status());
    state_ = std::move(opened).value();
    // 119_1: one version. 119_2: its revision 2 was skipped (never
    // emitted), revision 3 was emitted (--revisions emit).
    Put("119_1", {{"a", true}});
    Put("119_2", {{"b", true}, {"b2", false}, {"b3", true}});
  }

  void Put(const std::string& id, std::vector<std::pair<std::string, bool>> versions) {
    DedupEntry entry;
    for (const auto& [text, emitted] : versions) {
      DedupVersion version;
      ASSERT_TRUE(FromHex(Sha256Hex(text), &version.hash));
      version.source = "dump/" + id + "/" + text + ".txt";
      version.run_id = "20251230T000900.123Z";
      version.emitted = emitted;
      entry.versions.push_back(version);
    }
    PutRaw(DedupStateKey(id), entry.Encode());
  }

  void PutRaw(const std::string& key, const std::string& value) {
    auto transaction = state_->NewTransaction();
    transaction->Put(key, value);
    ASSERT_OK(state_->Commit(*transaction));
  }

  // The output as it should be for the state SetUp wrote.
  static std::string GoodChunk() { return Line("1", "a") + Line("2", "b") + Line("2", "b3", 3); }

  // Audits `chunks` (written as files 1.ndjson, 2.ndjson, …) and cross-
  // checks them; the audit's own problems, as the cross-check left them,
  // go to *audit_problems.
  std::vector<Problem> CrossCheck(const std::vector<std::string>& chunks,
                                  std::vector<Problem>* audit_problems = nullptr) {
    std::vector<NdjsonInput> files;
    for (size_t i = 0; i < chunks.size(); ++i) {
      NdjsonInput input;
      input.source = input.path = dir_.Join("articles/" + std::to_string(i + 1) + ".ndjson");
      WriteFile(input.path, chunks[i]);
      files.push_back(input);
    }
    NdjsonAuditOptions options;
    options.threads = 2;
    Result<NdjsonAudit> audit = AuditNdjsonFiles(files, options);
    EXPECT_OK(audit.status());
    std::vector<Problem> problems;
    tally_ = StateCheckTally();
    EXPECT_OK(CrossCheckState(state_.get(), &*audit, files, dir_.Join("articles"),
                              &problems, &tally_));
    // After the cross-check, which attributes hash_mismatch lines in place.
    if (audit_problems != nullptr) *audit_problems = audit->problems;
    return problems;
  }

  static std::string Describe(const std::vector<Problem>& problems) {
    std::string all;
    for (const Problem& problem : problems) AppendProblemRecord(problem, &all);
    return all;
  }

  TempDir dir_;
  std::unique_ptr<StateDb> state_;
  StateCheckTally tally_;
};

TEST_F(StateCheckTest, OutputThatMatchesTheStateIsClean) {
  std::vector<Problem> problems = CrossCheck({GoodChunk()});
  EXPECT_TRUE(problems.empty()) << Describe(problems);
  EXPECT_EQ(tally_.keys, 2u);
  EXPECT_EQ(tally_.emitted, 3u);
  EXPECT_EQ(tally_.matched, 3u);
}

TEST_F(StateCheckTest, EmittedVersionWithoutItsRecordIsMissingRecord) {
  std::vector<Problem> problems = CrossCheck({Line("1", "a") + Line("2", "b")});
  ASSERT_EQ(problems.size(), 1u) << Describe(problems);
  EXPECT_EQ(problems[0].code, ProblemCode::kMissingRecord);
  EXPECT_EQ(problems[0].id, "119_2");
  EXPECT_EQ(problems[0].source, dir_.Join("articles"));
  EXPECT_EQ(problems[0].line, 0u);
  EXPECT_EQ(problems[0].detail,
            "the state marks revision 3 emitted (content_hash " + Sha256Hex("b3") +
                ", first seen in dump/119_2/b3.txt, run 20251230T000900.123Z) but no "
                "record of it is there");
}

TEST_F(StateCheckTest, DeletedChunkIsMissingRecordForEachOfItsKeys) {
  std::vector<Problem> problems = CrossCheck({Line("2", "b3", 3)});
  ASSERT_EQ(problems.size(), 2u) << Describe(problems);
  EXPECT_EQ(problems[0].code, ProblemCode::kMissingRecord);
  EXPECT_EQ(problems[0].id, "119_1");
  EXPECT_EQ(problems[1].code, ProblemCode::kMissingRecord);
  EXPECT_EQ(problems[1].id, "119_2");
}

TEST_F(StateCheckTest, RecordOfAKeyTheStateLacksIsUnknownRecord) {
  std::vector<Problem> problems = CrossCheck({GoodChunk(), Line("0", "x") + Line("9", "y")});
  ASSERT_EQ(problems.size(), 2u) << Describe(problems);
  for (const Problem& problem : problems) {
    EXPECT_EQ(problem.code, ProblemCode::kUnknownRecord);
    EXPECT_EQ(problem.source, dir_.Join("articles/2.ndjson"));
    EXPECT_EQ(problem.detail, "the state does not know this key");
  }
  EXPECT_EQ(problems[0].id, "119_0");  // before every key of the state
  EXPECT_EQ(problems[0].line, 1u);
  EXPECT_EQ(problems[1].id, "119_9");  // after every key
  EXPECT_EQ(problems[1].line, 2u);
}

TEST_F(StateCheckTest, RecordOfARevisionTheStateNeverEmittedIsUnknownRecord) {
  std::vector<Problem> problems =
      CrossCheck({GoodChunk() + Line("2", "b2", 2) + Line("1", "a4", 4)});
  ASSERT_EQ(problems.size(), 2u) << Describe(problems);
  EXPECT_EQ(problems[0].code, ProblemCode::kUnknownRecord);
  EXPECT_EQ(problems[0].id, "119_1");
  EXPECT_EQ(problems[0].detail,
            "the state knows 1 version(s) of this key, so no revision 4");
  EXPECT_EQ(problems[1].code, ProblemCode::kUnknownRecord);
  EXPECT_EQ(problems[1].id, "119_2");
  EXPECT_NE(problems[1].detail.find("recorded revision 2"), std::string::npos)
      << problems[1].detail;
}

TEST_F(StateCheckTest, ConsistentlyEditedRecordIsHashDiffersFromState) {
  std::vector<Problem> audit_problems;
  std::vector<Problem> problems = CrossCheck(
      {Line("1", "a, edited by hand") + Line("2", "b") + Line("2", "b3", 3)},
      &audit_problems);
  EXPECT_TRUE(audit_problems.empty()) << Describe(audit_problems);
  ASSERT_EQ(problems.size(), 1u) << Describe(problems);
  EXPECT_EQ(problems[0].code, ProblemCode::kHashDiffersFromState);
  EXPECT_EQ(problems[0].id, "119_1");
  EXPECT_EQ(problems[0].line, 1u);
  EXPECT_NE(problems[0].detail.find(Sha256Hex("a, edited by hand")), std::string::npos);
  EXPECT_NE(problems[0].detail.find("the state has content_hash " + Sha256Hex("a")),
            std::string::npos);
}

// A record whose content_hash is not the SHA-256 of its text: the state's
// hash tells which of the two changed, and that code replaces the audit's
// hash_mismatch on the same line.
std::string MismatchedLine(std::string_view aid, std::string_view text,
                           std::string_view hashed_text, int revision = 1) {
  RecordLineBuilder builder;
  builder.Key("119", aid).Text(text).Set("content_hash", JsonString(Sha256Hex(hashed_text)));
  if (revision > 1) builder.Set("revision", std::to_string(revision));
  return builder.Build() + "\n";
}

TEST_F(StateCheckTest, EditedContentHashIsContentHashEditedInsteadOfHashMismatch) {
  std::vector<Problem> audit_problems;
  std::vector<Problem> problems = CrossCheck(
      {MismatchedLine("1", "a", "zzz") + Line("2", "b") + Line("2", "b3", 3)},
      &audit_problems);
  ASSERT_EQ(audit_problems.size(), 1u) << Describe(audit_problems);
  EXPECT_EQ(audit_problems[0].code, ProblemCode::kContentHashEdited);
  EXPECT_EQ(audit_problems[0].line, 1u);
  EXPECT_EQ(audit_problems[0].id, "119_1");
  EXPECT_EQ(audit_problems[0].detail,
            "content_hash " + Sha256Hex("zzz") + " was edited: the SHA-256 of text is " +
                Sha256Hex("a") + ", the state has content_hash " + Sha256Hex("a") +
                ", first seen in dump/119_1/a.txt, run 20251230T000900.123Z");
  EXPECT_TRUE(problems.empty()) << Describe(problems);  // not missing either
  EXPECT_EQ(tally_.matched, 2u);
}

TEST_F(StateCheckTest, EditedTextIsTextEditedInsteadOfHashMismatch) {
  std::vector<Problem> audit_problems;
  std::vector<Problem> problems = CrossCheck(
      {Line("1", "a") + MismatchedLine("2", "b, edited", "b") + Line("2", "b3", 3)},
      &audit_problems);
  ASSERT_EQ(audit_problems.size(), 1u) << Describe(audit_problems);
  EXPECT_EQ(audit_problems[0].code, ProblemCode::kTextEdited);
  EXPECT_EQ(audit_problems[0].line, 2u);
  EXPECT_EQ(audit_problems[0].id, "119_2");
  EXPECT_NE(audit_problems[0].detail.find("its SHA-256 is " + Sha256Hex("b, edited")),
            std::string::npos)
      << audit_problems[0].detail;
  EXPECT_TRUE(problems.empty()) << Describe(problems);
}

TEST_F(StateCheckTest, BothHalvesEditedIsHashDiffersFromStateInsteadOfHashMismatch) {
  std::vector<Problem> audit_problems;
  std::vector<Problem> problems = CrossCheck(
      {Line("1", "a") + Line("2", "b") + MismatchedLine("2", "x", "y", 3)}, &audit_problems);
  ASSERT_EQ(audit_problems.size(), 1u) << Describe(audit_problems);
  EXPECT_EQ(audit_problems[0].code, ProblemCode::kHashDiffersFromState);
  EXPECT_EQ(audit_problems[0].line, 3u);
  EXPECT_NE(audit_problems[0].detail.find("neither content_hash " + Sha256Hex("y") +
                                          " nor the SHA-256 of text " + Sha256Hex("x")),
            std::string::npos)
      << audit_problems[0].detail;
  EXPECT_TRUE(problems.empty()) << Describe(problems);
}

TEST_F(StateCheckTest, HashMismatchOfAKeyTheStateLacksStaysHashMismatch) {
  std::vector<Problem> audit_problems;
  std::vector<Problem> problems =
      CrossCheck({GoodChunk() + MismatchedLine("7", "g", "h")}, &audit_problems);
  ASSERT_EQ(audit_problems.size(), 1u) << Describe(audit_problems);
  EXPECT_EQ(audit_problems[0].code, ProblemCode::kHashMismatch);
  ASSERT_EQ(problems.size(), 1u) << Describe(problems);
  EXPECT_EQ(problems[0].code, ProblemCode::kUnknownRecord);
}

TEST_F(StateCheckTest, DuplicatedRecordIsReportedOnceByTheAudit) {
  std::vector<Problem> audit_problems;
  std::vector<Problem> problems = CrossCheck({GoodChunk(), GoodChunk()}, &audit_problems);
  EXPECT_EQ(audit_problems.size(), 3u);
  for (const Problem& problem : audit_problems) {
    EXPECT_EQ(problem.code, ProblemCode::kDuplicateKey);
  }
  EXPECT_TRUE(problems.empty()) << Describe(problems);
  EXPECT_EQ(tally_.matched, 3u);
}

TEST_F(StateCheckTest, UndecodableEntryIsBadStateEntryAndItsRecordsAreNotJudged) {
  PutRaw(DedupStateKey("119_5"), "not an entry");
  std::vector<Problem> problems = CrossCheck({GoodChunk() + Line("5", "e")});
  ASSERT_EQ(problems.size(), 1u) << Describe(problems);
  EXPECT_EQ(problems[0].code, ProblemCode::kBadStateEntry);
  EXPECT_EQ(problems[0].id, "119_5");
  EXPECT_EQ(problems[0].source, dir_.Join("state"));
}

}  // namespace
}  // namespace ingest
