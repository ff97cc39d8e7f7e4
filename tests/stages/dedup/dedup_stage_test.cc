// DedupStage and StateDb on a real RocksDB in a temporary directory.
#include "stages/dedup/dedup_stage.h"

#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "stages/dedup/dedup_entry.h"
#include "stages/dedup/state_db.h"
#include "stages/verify/sha256.h"
#include "tests/testing/testing.h"

namespace ingest {
namespace {

std::string HashOf(std::string_view text) {
  Sha256 sha256;
  return ToHex(sha256.Hash(text).value());
}

Article Verified(std::string oid, std::string aid, std::string_view text,
                 std::string source) {
  Article article;
  article.oid = std::move(oid);
  article.aid = std::move(aid);
  article.id = article.Key();
  article.content_hash = HashOf(text);
  article.source = std::move(source);
  return article;
}

class DedupStageTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    state_.reset();
    auto opened = StateDb::Open(dir_.Join("state"), {});
    ASSERT_OK(opened.status());
    state_ = std::move(opened).value();
  }

  // Runs one batch through a fresh stage instance and commits it.
  std::vector<Disposition> RunBatch(std::vector<Article>& articles,
                                    bool emit_revisions = false,
                                    std::string run_id = "run1") {
    DedupStage stage(state_.get(), DedupOptions{emit_revisions, run_id});
    auto worker = stage.NewWorkerState();
    Batch batch;
    batch.articles = std::move(articles);
    std::vector<Disposition> dispositions(batch.articles.size(),
                                          Disposition::kContinue);
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

TEST_F(DedupStageTest, FirstOccurrenceInABatchWinsAndLaterCopiesAreDuplicates) {
  std::vector<Article> articles = {
      Verified("1", "01", "body", "a.txt"),
      Verified("1", "01", "body", "b.txt"),
      Verified("1", "1", "body", "c.txt"),  // leading zeros are part of the key
  };
  std::vector<Disposition> result = RunBatch(articles);
  EXPECT_EQ(result[0], Disposition::kContinue);
  EXPECT_EQ(articles[0].outcome, Outcome::kEmitted);
  EXPECT_EQ(result[1], Disposition::kDuplicate);
  EXPECT_EQ(articles[1].outcome, Outcome::kDuplicate);
  EXPECT_EQ(articles[1].first_source, "a.txt");
  EXPECT_EQ(result[2], Disposition::kContinue);
}

// The runner commits a detached chunk on another thread while the next
// chunk is decided: until that commit is finished, its keys are known only
// to the stage, and must still be seen.
TEST_F(DedupStageTest, KeysOfACommitInFlightAreSeenByTheNextChunk) {
  DedupStage stage(state_.get(), DedupOptions{false, "run1"});
  auto worker = stage.NewWorkerState();
  auto process = [&](Article article) {
    Batch batch;
    batch.articles.push_back(std::move(article));
    std::vector<Disposition> dispositions(1, Disposition::kContinue);
    EXPECT_OK(stage.ProcessBatch(batch, dispositions, worker.get()));
    return std::pair{dispositions[0], batch.articles[0].first_source};
  };
  EXPECT_EQ(process(Verified("1", "01", "body", "a.txt")).first, Disposition::kContinue);

  Result<std::unique_ptr<PendingCommit>> in_flight = stage.DetachCommit(worker.get());
  ASSERT_OK(in_flight.status());
  ASSERT_NE(*in_flight, nullptr);
  auto stored = [&] {
    Result<std::optional<std::string>> value = state_->Get(DedupStateKey("1_01"));
    EXPECT_OK(value.status());
    return value.ok() && value->has_value();
  };
  EXPECT_FALSE(stored());  // detached, not yet in the state
  EXPECT_EQ(process(Verified("1", "01", "body", "b.txt")),
            std::pair(Disposition::kDuplicate, std::string("a.txt")));

  auto transaction = state_->NewTransaction();
  ASSERT_OK((*in_flight)->Prepare(transaction.get()));
  ASSERT_OK(state_->Commit(*transaction));
  ASSERT_OK((*in_flight)->Finish());
  // Committed: now found in the state.
  EXPECT_EQ(process(Verified("1", "01", "body", "c.txt")),
            std::pair(Disposition::kDuplicate, std::string("a.txt")));
  EXPECT_TRUE(stored());
  // Duplicates change nothing in the state: the next commit is empty.
  Result<std::unique_ptr<PendingCommit>> next = stage.DetachCommit(worker.get());
  ASSERT_OK(next.status());
  EXPECT_EQ(*next, nullptr);
}

TEST_F(DedupStageTest, KeysPersistAcrossRunsAndReopen) {
  std::vector<Article> first = {Verified("7", "42", "body", "a.txt")};
  RunBatch(first);
  Reopen();
  std::vector<Article> second = {Verified("7", "42", "body", "again.txt")};
  std::vector<Disposition> result = RunBatch(second, false, "run2");
  EXPECT_EQ(result[0], Disposition::kDuplicate);
  EXPECT_EQ(second[0].first_source, "a.txt");
}

TEST_F(DedupStageTest, NewHashIsARevisionSkippedByDefaultButRemembered) {
  std::vector<Article> articles = {Verified("7", "42", "v1", "a.txt"),
                                   Verified("7", "42", "v2", "b.txt"),
                                   Verified("7", "42", "v2", "c.txt")};
  std::vector<Disposition> result = RunBatch(articles);
  EXPECT_EQ(result[1], Disposition::kDuplicate);
  EXPECT_EQ(articles[1].outcome, Outcome::kRevision);
  EXPECT_EQ(articles[1].revision, 2u);
  // A copy of the skipped revision is a duplicate of it.
  EXPECT_EQ(articles[2].outcome, Outcome::kDuplicate);
  EXPECT_EQ(articles[2].first_source, "b.txt");
  auto stored = state_->Get(DedupStateKey("7_42"));
  ASSERT_OK(stored.status());
  ASSERT_TRUE(stored->has_value());
  auto entry = DedupEntry::Decode(**stored);
  ASSERT_OK(entry.status());
  ASSERT_EQ(entry->versions.size(), 2u);
  EXPECT_TRUE(entry->versions[0].emitted);
  EXPECT_FALSE(entry->versions[1].emitted);
}

TEST_F(DedupStageTest, EmittedRevisionsAreNumberedAndRememberedAcrossRuns) {
  std::vector<Article> articles = {Verified("7", "42", "v1", "a.txt"),
                                   Verified("7", "42", "v2", "b.txt"),
                                   Verified("7", "42", "v3", "c.txt")};
  std::vector<Disposition> result = RunBatch(articles, /*emit_revisions=*/true);
  EXPECT_EQ(result[1], Disposition::kContinue);
  EXPECT_EQ(articles[1].revision, 2u);
  EXPECT_EQ(articles[2].revision, 3u);
  // A later run over the same copies finds every hash known: all duplicates.
  std::vector<Article> again = {Verified("7", "42", "v1", "a.txt"),
                                Verified("7", "42", "v2", "b.txt")};
  result = RunBatch(again, true, "run2");
  EXPECT_EQ(result[0], Disposition::kDuplicate);
  EXPECT_EQ(result[1], Disposition::kDuplicate);
  EXPECT_EQ(again[1].first_source, "b.txt");
}

TEST_F(DedupStageTest, UncommittedDecisionsAreNotInTheState) {
  DedupStage stage(state_.get(), DedupOptions{false, "run1"});
  auto worker = stage.NewWorkerState();
  Batch batch;
  batch.articles.push_back(Verified("9", "9", "x", "a.txt"));
  std::vector<Disposition> dispositions(1, Disposition::kContinue);
  ASSERT_OK(stage.ProcessBatch(batch, dispositions, worker.get()));
  auto stored = state_->Get(DedupStateKey("9_9"));
  ASSERT_OK(stored.status());
  EXPECT_FALSE(stored->has_value());
  // ...but the same run already knows the key.
  Batch next;
  next.articles.push_back(Verified("9", "9", "x", "b.txt"));
  ASSERT_OK(stage.ProcessBatch(next, dispositions, worker.get()));
  EXPECT_EQ(dispositions[0], Disposition::kDuplicate);
}

// Enough keys to grow the stage's tables several times, with revisions
// replacing entries decided in the same chunk and lookups through a commit
// in flight: every key is decided once and stored with all its versions.
TEST_F(DedupStageTest, ManyKeysOverSeveralChunksAreEachDecidedOnceAndStoredWhole) {
  constexpr int kKeys = 1000;
  DedupStage stage(state_.get(), DedupOptions{false, "run1"});
  auto worker = stage.NewWorkerState();
  auto process = [&](std::vector<Article> articles) {
    Batch batch;
    batch.articles = std::move(articles);
    std::vector<Disposition> dispositions(batch.articles.size(), Disposition::kContinue);
    EXPECT_OK(stage.ProcessBatch(batch, dispositions, worker.get()));
    return batch.articles;
  };
  auto commit = [&](PendingCommit& pending) {
    auto transaction = state_->NewTransaction();
    ASSERT_OK(pending.Prepare(transaction.get()));
    ASSERT_OK(state_->Commit(*transaction));
    ASSERT_OK(pending.Finish());
  };
  auto key = [](int i) { return std::to_string(i); };
  auto source = [](char copy, int i) { return fmt::format("{}{}", copy, i); };
  std::vector<Article> first;
  for (int i = 0; i < kKeys; ++i) first.push_back(Verified("1", key(i), "v1", source('a', i)));
  for (const Article& article : process(std::move(first))) {
    EXPECT_EQ(article.outcome, Outcome::kEmitted);
  }
  std::vector<Article> second;  // same chunk: revisions of even keys, copies of odd ones
  for (int i = 0; i < kKeys; ++i) {
    second.push_back(Verified("1", key(i), i % 2 == 0 ? "v2" : "v1", source('b', i)));
  }
  for (const Article& article : process(std::move(second))) {
    EXPECT_EQ(article.outcome, article.revision == 2 ? Outcome::kRevision : Outcome::kDuplicate);
  }
  Result<std::unique_ptr<PendingCommit>> in_flight = stage.DetachCommit(worker.get());
  ASSERT_OK(in_flight.status());
  ASSERT_NE(*in_flight, nullptr);
  std::vector<Article> third;  // next chunk: copies of the revisions, and new keys
  for (int i = 0; i < kKeys; ++i) {
    third.push_back(Verified("1", key(i), i % 2 == 0 ? "v2" : "v1", source('c', i)));
    third.push_back(Verified("2", key(i), "v1", source('d', i)));
  }
  third = process(std::move(third));
  for (int i = 0; i < kKeys; ++i) {
    EXPECT_EQ(third[2 * i].outcome, Outcome::kDuplicate);
    EXPECT_EQ(third[2 * i].first_source, source(i % 2 == 0 ? 'b' : 'a', i));
    EXPECT_EQ(third[2 * i + 1].outcome, Outcome::kEmitted);
  }
  commit(**in_flight);
  Result<std::unique_ptr<PendingCommit>> last = stage.DetachCommit(worker.get());
  ASSERT_OK(last.status());
  ASSERT_NE(*last, nullptr);
  commit(**last);
  for (int i = 0; i < kKeys; ++i) {
    auto stored = state_->Get(DedupStateKey("1_" + key(i)));
    ASSERT_OK(stored.status());
    ASSERT_TRUE(stored->has_value());
    auto entry = DedupEntry::Decode(**stored);
    ASSERT_OK(entry.status());
    ASSERT_EQ(entry->versions.size(), i % 2 == 0 ? 2u : 1u);
    EXPECT_EQ(entry->versions[0].source, source('a', i));
    EXPECT_EQ(entry->versions[0].run_id, "run1");
    if (i % 2 == 0) {
      EXPECT_EQ(entry->versions[1].source, source('b', i));
      EXPECT_FALSE(entry->versions[1].emitted);
    }
    stored = state_->Get(DedupStateKey("2_" + key(i)));
    ASSERT_OK(stored.status());
    EXPECT_TRUE(stored->has_value());
  }
}

TEST(DedupEntryTest, EncodeDecodeRoundTripsAndRejectsGarbage) {
  DedupEntry entry;
  Sha256::Digest hash{};
  hash[0] = 0xAB;
  entry.versions.push_back(DedupVersion{hash, "dir/a.txt", "20260101T000000.000Z"});
  entry.versions.push_back(DedupVersion{Sha256::Digest{}, "b", "r", false});
  auto decoded = DedupEntry::Decode(entry.Encode());
  ASSERT_OK(decoded.status());
  ASSERT_EQ(decoded->versions.size(), 2u);
  EXPECT_EQ(decoded->versions[0].source, "dir/a.txt");
  EXPECT_EQ(decoded->versions[0].hash, hash);
  EXPECT_TRUE(decoded->versions[0].emitted);
  EXPECT_FALSE(decoded->versions[1].emitted);
  std::string encoded = entry.Encode();
  EXPECT_EQ(DedupEntry::Decode(encoded.substr(0, encoded.size() - 1)).status().code(),
            StatusCode::kCorruption);
  EXPECT_EQ(DedupEntry::Decode("").status().code(), StatusCode::kCorruption);
  EXPECT_EQ(DedupEntry::Decode(encoded + "x").status().code(), StatusCode::kCorruption);
}

TEST(StateDbTest, SecondProcessGetsBusyNamingTheHolder) {
  test::TempDir dir;
  auto opened = StateDb::Open(dir.Join("state"), {});
  ASSERT_OK(opened.status());
  // fcntl locks are per process, so the contender must be another process.
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto second = StateDb::Open(dir.Join("state"), {});
    bool busy = second.status().code() == StatusCode::kBusy &&
                second.status().message().find(std::to_string(getppid())) !=
                    std::string::npos;
    _exit(busy ? 0 : 1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace ingest
