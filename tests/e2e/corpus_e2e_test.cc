// The real binary on corpora written by tools/gen_corpus.py, checked against
// the generator's oracle manifest by tests/e2e/check_run.py: every record
// byte for byte, every reason code produced and counted, re-runs, thread
// counts, chunking and both revision modes.
#include <filesystem>

#include "tests/testing/process.h"
#include "tests/testing/testing.h"

namespace ingest::test {
namespace {

namespace fs = std::filesystem;

class CorpusTest : public ::testing::Test {
 protected:
  // One mixed corpus for the whole suite: every kind of file, 300 plain ones.
  static void SetUpTestSuite() {
    corpus_dir_ = new TempDir();
    ProcessResult generated = RunProcess(
        {"python3", SourceDir() + "/tools/gen_corpus.py", "--out",
         corpus_dir_->Join("dump"), "--mix", "--valid", "300", "--size", "3000",
         "--seed", "7", "--manifest", corpus_dir_->Join("dump.manifest.json")});
    ASSERT_EQ(generated.exit_code, 0) << generated.err;
  }
  static void TearDownTestSuite() {
    delete corpus_dir_;
    corpus_dir_ = nullptr;
  }

  // Runs crawl-ingest from the corpus' parent, so sources are "dump/…".
  ProcessResult Run(const std::string& state, const std::string& out,
                    std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"run", "--max-file-size", "100000", "--tz",
                                     "+09:00", "--state", work_.Join(state),
                                     "--out", work_.Join(out)};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back("dump");
    return RunProcess(Binary(args), ProcessOptions{corpus_dir_->path(), {}});
  }

  ProcessResult Check(const std::string& out, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {
        "python3", SourceDir() + "/tests/e2e/check_run.py", "--manifest",
        corpus_dir_->Join("dump.manifest.json"), "--prefix", "dump/", "--out",
        work_.Join(out)};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunProcess(args);
  }

  // All records of one output folder, chunks concatenated in name order.
  std::string Concatenated(const std::string& folder) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(work_.Join(folder))) {
      names.push_back(entry.path().string());
    }
    std::sort(names.begin(), names.end());
    std::string all;
    for (const std::string& name : names) all += ReadFile(name);
    return all;
  }

  static TempDir* corpus_dir_;
  TempDir work_;
};

TempDir* CorpusTest::corpus_dir_ = nullptr;

// Article files in the suite's corpus: 300 plain, the mixed ones, not the
// skipped non-.txt files (from the manifest's counts).
constexpr int kArticleFiles = 300 + 78;

TEST_F(CorpusTest, EveryFileMatchesTheOracleAndEveryReasonIsCounted) {
  ProcessResult run = Run("state", "out");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ProcessResult check = Check("out", {"--expect-all-reasons"});
  EXPECT_EQ(check.exit_code, 0) << check.err;
}

TEST_F(CorpusTest, EmittedRevisionsMatchTheOracle) {
  ProcessResult run = Run("state", "out", {"--revisions", "emit"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ProcessResult check = Check("out", {"--revisions", "emit"});
  EXPECT_EQ(check.exit_code, 0) << check.err;
}

TEST_F(CorpusTest, SecondRunOverTheSameInputReadsAndEmitsNothing) {
  ASSERT_EQ(Run("state", "out1").exit_code, 0);
  ProcessResult second = Run("state", "out2");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(Concatenated("out2/articles"), "");
  EXPECT_EQ(Concatenated("out2/duplicates"), "");
  EXPECT_EQ(Concatenated("out2/quarantine"), "");  // each reported once
  EXPECT_NE(second.err.find(" files=0 emitted=0 "), std::string::npos) << second.err;
  EXPECT_NE(second.err.find(" bytes_read=0 "), std::string::npos) << second.err;
  EXPECT_NE(second.err.find(" unchanged=" + std::to_string(kArticleFiles) + " "),
            std::string::npos)
      << second.err;
}

TEST_F(CorpusTest, RescanFindsEveryVerifiedFileKnown) {
  ASSERT_EQ(Run("state", "out1").exit_code, 0);
  ProcessResult again = Run("state", "out2", {"--rescan"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(Concatenated("out2/articles"), "");
  // Every verified file is now a duplicate of a version seen before.
  std::string duplicates = Concatenated("out2/duplicates");
  EXPECT_NE(duplicates.find("\"kind\":\"duplicate\""), std::string::npos);
  EXPECT_EQ(duplicates.find("\"kind\":\"revision\""), std::string::npos);
  EXPECT_EQ(Concatenated("out1/quarantine"), Concatenated("out2/quarantine"));
  EXPECT_NE(again.err.find(" unchanged=0 "), std::string::npos) << again.err;
}

TEST_F(CorpusTest, TrustNamesSkipsKnownPathsAndReadsNewOnes) {
  ASSERT_EQ(Run("state", "out1").exit_code, 0);
  // A new file appears in the dump; an old one changes (but trust-names
  // does not look at old ones).
  fs::copy_file(corpus_dir_->Join("dump/mix/dedup/10_original.txt"),
                corpus_dir_->Join("dump/zz_new_copy.txt"));
  ProcessResult again = Run("state", "out2", {"--trust-names"});
  fs::remove(corpus_dir_->Join("dump/zz_new_copy.txt"));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find(" files=1 emitted=0 duplicates=1 "), std::string::npos)
      << again.err;
  EXPECT_NE(Concatenated("out2/duplicates").find("zz_new_copy.txt"), std::string::npos);
}

TEST_F(CorpusTest, ChangedFileIsReadAgain) {
  ASSERT_EQ(Run("state", "out1").exit_code, 0);
  std::string path = corpus_dir_->Join("dump/mix/dedup/10_original.txt");
  std::string original = ReadFile(path);
  WriteFile(path, original + "\n");  // same article, one more byte
  ProcessResult again = Run("state", "out2");
  WriteFile(path, original);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find(" files=1 emitted=0 duplicates=1 "), std::string::npos)
      << again.err;
}

TEST_F(CorpusTest, OutputIsByteIdenticalAtEveryThreadCountAndChunkSize) {
  ProcessResult one = Run("state1", "out1", {"--threads", "1"});
  ProcessResult four = Run("state4", "out4", {"--threads", "4", "--chunk-records", "7"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  ASSERT_EQ(four.exit_code, 0) << four.err;
  for (const char* folder : {"articles", "quarantine", "duplicates"}) {
    std::string single = Concatenated(std::string("out1/") + folder);
    EXPECT_FALSE(single.empty()) << folder;
    EXPECT_EQ(single, Concatenated(std::string("out4/") + folder)) << folder;
  }
  size_t chunks = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(work_.Join("out4/articles"))) {
    ++chunks;
  }
  EXPECT_GT(chunks, 20u);  // 7 to 13 records a chunk
  EXPECT_EQ(Check("out4").exit_code, 0);
}

TEST(SeedsTest, RepositorySeedsMatchTheirManifest) {
  TempDir work;
  ProcessResult run = RunProcess(
      Binary({"run", "--max-file-size", "100000", "--state", work.Join("state"),
              "--out", work.Join("out"), "mixed"}),
      ProcessOptions{SourceDir() + "/seeds", {}});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ProcessResult check = RunProcess(
      {"python3", SourceDir() + "/tests/e2e/check_run.py", "--manifest",
       SourceDir() + "/seeds/mixed.manifest.json", "--prefix", "mixed/", "--out",
       work.Join("out"), "--expect-all-reasons"});
  EXPECT_EQ(check.exit_code, 0) << check.err;
}

}  // namespace
}  // namespace ingest::test
