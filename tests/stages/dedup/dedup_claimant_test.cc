// DedupStage in claimant mode (sharded reduce, doc/cluster.md): a record
// meeting its own claim replays the original decision; anything else is
// decided as on one machine. Real RocksDB in a temporary directory.
#include <gtest/gtest.h>

#include "stages/dedup/dedup_entry.h"
#include "stages/dedup/dedup_stage.h"
#include "stages/dedup/state_db.h"
#include "stages/verify/sha256.h"
#include "tests/testing/testing.h"

namespace ingest {
namespace {

Article At(uint64_t file_index, std::string_view text, std::string aid = "1") {
  Article article;
  article.oid = "100";
  article.aid = std::move(aid);
  article.id = article.Key();
  Sha256 sha256;
  article.content_hash = ToHex(sha256.Hash(text).value());
  article.source = "dump/" + std::to_string(file_index) + ".txt";
  article.file_index = file_index;
  return article;
}

class DedupClaimantTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = StateDb::Open(dir_.Join("state"), {});
    ASSERT_OK(opened.status());
    state_ = std::move(opened).value();
  }
  // One batch through a fresh stage of run `run`, committed.
  std::vector<Disposition> Run(std::vector<Article>& articles, const std::string& run,
                               bool emit_revisions = false) {
    DedupOptions options{emit_revisions, run};
    options.claimants = true;
    DedupStage stage(state_.get(), options);
    auto worker = stage.NewWorkerState();
    Batch batch;
    batch.articles = std::move(articles);
    std::vector<Disposition> dispositions(batch.articles.size(), Disposition::kContinue);
    EXPECT_OK(stage.ProcessBatch(batch, dispositions, worker.get()));
    auto transaction = state_->NewTransaction();
    EXPECT_OK(stage.PrepareCommit(worker.get(), transaction.get()));
    EXPECT_OK(state_->Commit(*transaction));
    EXPECT_OK(stage.FinishCommit(worker.get()));
    articles = std::move(batch.articles);
    return dispositions;
  }

  test::TempDir dir_;
  std::unique_ptr<StateDb> state_;
};

TEST_F(DedupClaimantTest, ReplayOfTheSameRunReEmitsWhatItEmitted) {
  std::vector<Article> first = {At(0, "a"), At(1, "a"), At(2, "b")};
  std::vector<Disposition> original = Run(first, "R1");
  EXPECT_EQ(original[0], Disposition::kContinue);
  EXPECT_EQ(original[1], Disposition::kDuplicate);
  EXPECT_EQ(original[2], Disposition::kDuplicate);  // a revision, not emitted
  EXPECT_EQ(first[2].revision, 2u);

  // The task is killed after the commit and runs again over the same input.
  std::vector<Article> replay = {At(0, "a"), At(1, "a"), At(2, "b")};
  std::vector<Disposition> again = Run(replay, "R1");
  EXPECT_EQ(again, original);
  EXPECT_EQ(replay[0].outcome, Outcome::kEmitted);
  EXPECT_EQ(replay[1].outcome, Outcome::kDuplicate);
  EXPECT_EQ(replay[1].first_source, "dump/0.txt");
  EXPECT_EQ(replay[2].outcome, Outcome::kRevision);
  EXPECT_EQ(replay[2].revision, 2u);
}

TEST_F(DedupClaimantTest, EmittedRevisionReplaysAsTheSameRevision) {
  std::vector<Article> first = {At(0, "a"), At(5, "b")};
  Run(first, "R1", /*emit_revisions=*/true);
  std::vector<Article> replay = {At(5, "b")};
  std::vector<Disposition> again = Run(replay, "R1", true);
  EXPECT_EQ(again[0], Disposition::kContinue);
  EXPECT_EQ(replay[0].outcome, Outcome::kRevision);
  EXPECT_EQ(replay[0].revision, 2u);
}

TEST_F(DedupClaimantTest, ALaterRunOrAnotherPositionIsADuplicate) {
  std::vector<Article> first = {At(0, "a")};
  Run(first, "R1");
  std::vector<Article> next_run = {At(0, "a")};  // same position, next run
  EXPECT_EQ(Run(next_run, "R2")[0], Disposition::kDuplicate);
  std::vector<Article> elsewhere = {At(9, "a")};  // same run, other record
  EXPECT_EQ(Run(elsewhere, "R1")[0], Disposition::kDuplicate);
}

TEST(DedupEntryClaimantTest, ClaimantRoundTripsAndOldEntriesStillDecode) {
  DedupEntry entry;
  DedupVersion version;
  version.source = "dump/a.txt";
  version.run_id = "R1";
  version.has_claimant = true;
  version.file_index = 1ull << 40;
  version.record_index = 3;
  entry.versions.push_back(version);
  DedupVersion plain;
  plain.source = "dump/b.txt";
  plain.run_id = "R0";
  entry.versions.push_back(plain);
  Result<DedupEntry> decoded = DedupEntry::Decode(entry.Encode());
  ASSERT_OK(decoded.status());
  ASSERT_EQ(decoded->versions.size(), 2u);
  EXPECT_TRUE(decoded->versions[0].has_claimant);
  EXPECT_EQ(decoded->versions[0].file_index, 1ull << 40);
  EXPECT_EQ(decoded->versions[0].record_index, 3u);
  EXPECT_FALSE(decoded->versions[1].has_claimant);
  std::string truncated = entry.Encode();
  truncated.resize(truncated.size() - 40);
  EXPECT_EQ(DedupEntry::Decode(truncated).status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace ingest
