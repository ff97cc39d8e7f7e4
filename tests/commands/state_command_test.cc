// `crawl-ingest state stats|get|export|rebuild`, the real binary end to
// end: figures that match the corpus' oracle, an entry as JSON, the index
// as NDJSON, read-only tools that work while a run holds the state, and a
// rebuild after which a new run emits nothing already emitted.
#include <simdjson.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "tests/commands/audit_e2e_helpers.h"
#include "tests/testing/process.h"
#include "tests/testing/testing.h"

namespace ingest::test {
namespace {

namespace fs = std::filesystem;

class StateCommandTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    corpus_ = new TempDir();
    ProcessResult generated = RunProcess(
        {"python3", SourceDir() + "/tools/gen_corpus.py", "--out", corpus_->Join("dump"),
         "--mix", "--valid", "50", "--size", "2000", "--seed", "13", "--manifest",
         corpus_->Join("dump.manifest.json")});
    ASSERT_EQ(generated.exit_code, 0) << generated.err;
    ProcessResult other = RunProcess(
        {"python3", SourceDir() + "/tools/gen_corpus.py", "--out", corpus_->Join("other"),
         "--valid", "10", "--size", "2000", "--seed", "14", "--oid-base", "300",
         "--no-manifest"});
    ASSERT_EQ(other.exit_code, 0) << other.err;
  }
  static void TearDownTestSuite() {
    delete corpus_;
    corpus_ = nullptr;
  }

  ProcessResult Ingest(const std::string& state, const std::string& out,
                       std::vector<std::string> extra = {},
                       const std::string& input = "dump") {
    std::vector<std::string> args = {"run",   "--max-file-size", "100000",
                                     "--chunk-records", "25", "--state",
                                     work_.Join(state), "--out", work_.Join(out)};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(input);
    return RunProcess(Binary(args), ProcessOptions{corpus_->path(), {}});
  }

  ProcessResult State(std::vector<std::string> args) {
    args.insert(args.begin(), "state");
    return RunProcess(Binary(args), ProcessOptions{corpus_->path(), {}});
  }

  ProcessResult Rebuild(const std::string& state, const std::string& out = "out") {
    return State({"rebuild", "--from", work_.Join(out + "/articles"), "--state",
                  work_.Join(state)});
  }

  // A number or string field of the stats object.
  static int64_t Figure(const std::string& json, const char* key) {
    simdjson::dom::parser parser;
    int64_t value = -1;
    EXPECT_FALSE(parser.parse(json)[key].get(value)) << key << " in " << json;
    return value;
  }

  // The manifest's counts object.
  static simdjson::dom::element Counts(simdjson::dom::parser& parser) {
    std::string manifest = ReadFile(corpus_->Join("dump.manifest.json"));
    return parser.parse(manifest)["counts"].value();
  }

  static TempDir* corpus_;
  TempDir work_;
};

TempDir* StateCommandTest::corpus_ = nullptr;

TEST_F(StateCommandTest, StatsMatchTheCorpusAndCountRuns) {
  ASSERT_EQ(Ingest("state", "out").exit_code, 0);
  simdjson::dom::parser parser;
  simdjson::dom::element counts = Counts(parser);
  int64_t files = 0, emitted = 0, revisions = 0, unreadable = 0;
  ASSERT_FALSE(counts["files"].get(files));
  ASSERT_FALSE(counts["emitted"].get(emitted));
  ASSERT_FALSE(counts["revisions"].get(revisions));
  ASSERT_FALSE(counts["quarantined"]["unreadable"].get(unreadable));

  ProcessResult stats = State({"stats", "--state", work_.Join("state")});
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  EXPECT_EQ(Figure(stats.out, "keys"), emitted);
  EXPECT_EQ(Figure(stats.out, "emitted"), emitted);
  EXPECT_EQ(Figure(stats.out, "versions"), emitted + revisions);
  EXPECT_EQ(Figure(stats.out, "revisions"), revisions);
  EXPECT_EQ(Figure(stats.out, "revisions_emitted"), 0);
  EXPECT_EQ(Figure(stats.out, "runs"), 1);
  // Every decided file is indexed, unreadable ones included.
  EXPECT_EQ(Figure(stats.out, "files_indexed"), files);
  EXPECT_GT(unreadable, 0);
  EXPECT_GT(Figure(stats.out, "size_bytes"), 1000);

  ASSERT_EQ(Ingest("state", "out", {}, "other").exit_code, 0);
  ProcessResult again = State({"stats", "--state", work_.Join("state")});
  EXPECT_EQ(Figure(again.out, "runs"), 2);
  EXPECT_EQ(Figure(again.out, "keys"), emitted + 10);
}

TEST_F(StateCommandTest, GetPrintsTheEntryWithEveryVersion) {
  ASSERT_EQ(Ingest("state", "out").exit_code, 0);
  // mix/dedup/: one key with an original and two revisions.
  std::string original = ReadFile(corpus_->Join("dump/mix/dedup/10_original.txt"));
  size_t at = original.find("\nid: ") + 5;
  std::string id = original.substr(at, original.find('\n', at) - at);
  ProcessResult get = State({"get", "--state", work_.Join("state"), id});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  simdjson::dom::parser parser;
  simdjson::dom::element entry;
  ASSERT_FALSE(parser.parse(get.out).get(entry)) << get.out;
  std::string_view got_id, source;
  ASSERT_FALSE(entry["id"].get(got_id));
  EXPECT_EQ(got_id, id);
  simdjson::dom::array versions;
  ASSERT_FALSE(entry["versions"].get(versions));
  ASSERT_GE(versions.size(), 3u) << get.out;
  ASSERT_FALSE(versions.at(0)["source"].get(source));
  EXPECT_EQ(source, "dump/mix/dedup/10_original.txt");
  bool first_emitted = false, second_emitted = true;
  ASSERT_FALSE(versions.at(0)["emitted"].get(first_emitted));
  ASSERT_FALSE(versions.at(1)["emitted"].get(second_emitted));
  EXPECT_TRUE(first_emitted);
  EXPECT_FALSE(second_emitted);  // --revisions skip

  ProcessResult absent = State({"get", "--state", work_.Join("state"), "1_2"});
  EXPECT_EQ(absent.exit_code, 1);
  EXPECT_NE(absent.err.find("1_2 is not in the state"), std::string::npos) << absent.err;
  EXPECT_EQ(State({"get", "--state", work_.Join("state"), "a/1_2"}).exit_code, 2);
  EXPECT_EQ(State({"get", "--state", work_.Join("state")}).exit_code, 2);
}

TEST_F(StateCommandTest, ExportWritesOneLinePerKeyAsGetDoes) {
  ASSERT_EQ(Ingest("state", "out").exit_code, 0);
  ProcessResult exported = State({"export", "--state", work_.Join("state")});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  ProcessResult stats = State({"stats", "--state", work_.Join("state")});
  size_t lines = std::count(exported.out.begin(), exported.out.end(), '\n');
  EXPECT_EQ(static_cast<int64_t>(lines), Figure(stats.out, "keys"));
  std::string first = exported.out.substr(0, exported.out.find('\n') + 1);
  ProcessResult get = State({"get", "--state", work_.Join("state"), JsonField(first, "id")});
  EXPECT_EQ(get.out, first);
}

TEST_F(StateCommandTest, ReadOnlyToolsWorkWhileARunHoldsTheState) {
  ASSERT_EQ(Ingest("state", "out").exit_code, 0);
  ChildProcess holder(
      Binary({"run", "--max-file-size", "100000", "--state", work_.Join("state"), "--out",
              work_.Join("out"), "dump"}),
      ProcessOptions{corpus_->path(), {{"CRAWL_INGEST_TEST_HOOK", "run.locked:sleep=3000"}}});
  std::string holder_pid = std::to_string(holder.pid()) + "\n";
  for (int i = 0; i < 300 && ReadFile(work_.Join("state/LOCK.crawl-ingest")) != holder_pid;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ProcessResult stats = State({"stats", "--state", work_.Join("state")});
  ProcessResult exported = State({"export", "--state", work_.Join("state")});
  ProcessResult rebuild = Rebuild("state");
  ProcessResult first = holder.Wait();
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(stats.exit_code, 0) << stats.err;
  EXPECT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_EQ(rebuild.exit_code, 75) << rebuild.err;  // it writes: it needs the lock
}

TEST_F(StateCommandTest, RebuiltStateMakesARescanEmitNothingAlreadyEmitted) {
  ASSERT_EQ(Ingest("state", "out").exit_code, 0);
  ProcessResult rebuild = Rebuild("rebuilt");
  ASSERT_EQ(rebuild.exit_code, 0) << rebuild.err;
  EXPECT_NE(rebuild.err.find("file index cannot be rebuilt"), std::string::npos)
      << rebuild.err;
  // The rebuilt state accounts for the output exactly.
  ProcessResult audit = RunProcess(Binary({"audit", "--state", work_.Join("rebuilt"),
                                           "--out", work_.Join("out")}));
  EXPECT_EQ(audit.exit_code, 0) << audit.err << audit.out;
  ProcessResult original = State({"stats", "--state", work_.Join("state")});
  ProcessResult rebuilt = State({"stats", "--state", work_.Join("rebuilt")});
  EXPECT_EQ(Figure(rebuilt.out, "keys"), Figure(original.out, "keys"));
  EXPECT_EQ(Figure(rebuilt.out, "emitted"), Figure(original.out, "emitted"));
  EXPECT_EQ(Figure(rebuilt.out, "files_indexed"), 0);

  ProcessResult rescan = Ingest("rebuilt", "out2", {"--rescan"});
  ASSERT_EQ(rescan.exit_code, 0) << rescan.err;
  EXPECT_TRUE(NdjsonFilesIn(work_.Join("out2/articles")).empty());
  EXPECT_NE(rescan.err.find(" emitted=0 "), std::string::npos) << rescan.err;
  // New chunks of the rebuilt state still sort after the old ones.
  std::vector<std::string> old_runs = NdjsonFilesIn(work_.Join("out/articles"));
  std::vector<std::string> summaries;
  for (const auto& entry : fs::directory_iterator(work_.Join("out2/runs"))) {
    summaries.push_back(entry.path().filename().string());
  }
  ASSERT_EQ(summaries.size(), 1u);
  EXPECT_LT(fs::path(old_runs.back()).filename().string(), summaries[0]);
}

TEST_F(StateCommandTest, RebuildAfterEmittedRevisionsGivesBackTheSameIndex) {
  ASSERT_EQ(Ingest("state", "out", {"--revisions", "emit"}).exit_code, 0);
  ASSERT_EQ(Rebuild("rebuilt").exit_code, 0);
  // Every version was emitted, so the output tells all of it: same hashes,
  // sources, run ids and revision numbers.
  ProcessResult original = State({"export", "--state", work_.Join("state")});
  ProcessResult rebuilt = State({"export", "--state", work_.Join("rebuilt")});
  EXPECT_FALSE(original.out.empty());
  EXPECT_EQ(rebuilt.out, original.out);
  ProcessResult stats = State({"stats", "--state", work_.Join("rebuilt")});
  ProcessResult before = State({"stats", "--state", work_.Join("state")});
  EXPECT_EQ(JsonField(stats.out, "last_run_id"), JsonField(before.out, "last_run_id"));
}

TEST_F(StateCommandTest, RebuildReadsCompressedChunks) {
  ASSERT_EQ(Ingest("state", "out", {"--compress", "gzip", "--revisions", "emit"}).exit_code,
            0);
  ASSERT_TRUE(NdjsonFilesIn(work_.Join("out/articles")).empty());  // all .ndjson.gz
  ProcessResult rebuild = Rebuild("rebuilt");
  ASSERT_EQ(rebuild.exit_code, 0) << rebuild.err << rebuild.out;
  EXPECT_EQ(State({"export", "--state", work_.Join("rebuilt")}).out,
            State({"export", "--state", work_.Join("state")}).out);
}

TEST_F(StateCommandTest, RebuildFromDolmaOutputGivesBackTheIndexAndARescanEmitsNothing) {
  std::vector<std::string> dolma = {"--schema", "dolma", "--compress", "gzip",
                                    "--revisions", "emit"};
  ASSERT_EQ(Ingest("state", "out", dolma).exit_code, 0);
  ProcessResult rebuild = Rebuild("rebuilt");
  ASSERT_EQ(rebuild.exit_code, 0) << rebuild.err << rebuild.out;
  // Keys, hashes, revision numbers, input paths (metadata.path) and run ids.
  std::string original = State({"export", "--state", work_.Join("state")}).out;
  EXPECT_FALSE(original.empty());
  EXPECT_EQ(State({"export", "--state", work_.Join("rebuilt")}).out, original);
  ProcessResult audit = RunProcess(Binary({"audit", "--state", work_.Join("rebuilt"),
                                           "--out", work_.Join("out")}));
  EXPECT_EQ(audit.exit_code, 0) << audit.err << audit.out;

  ProcessResult rescan = Ingest("rebuilt", "out2", dolma);
  ASSERT_EQ(rescan.exit_code, 0) << rescan.err;
  EXPECT_NE(rescan.err.find(" emitted=0 "), std::string::npos) << rescan.err;
  EXPECT_NE(rescan.err.find(" revisions=0 "), std::string::npos) << rescan.err;
  for (const auto& entry : fs::directory_iterator(work_.Join("out2/articles"))) {
    ADD_FAILURE() << "emitted again: " << entry.path();
  }
}

TEST_F(StateCommandTest, RebuildRefusesAStateThatAlreadyHasAnIndex) {
  ASSERT_EQ(Ingest("state", "out").exit_code, 0);
  std::string before = State({"export", "--state", work_.Join("state")}).out;
  ProcessResult rebuild = Rebuild("state");
  EXPECT_EQ(rebuild.exit_code, 1);
  EXPECT_NE(rebuild.err.find("already holds a dedup index"), std::string::npos) << rebuild.err;
  EXPECT_EQ(State({"export", "--state", work_.Join("state")}).out, before);
}

TEST_F(StateCommandTest, RebuildRefusesDamagedOutputAndWritesNothing) {
  ASSERT_EQ(Ingest("state", "out").exit_code, 0);
  std::string chunk = NdjsonFilesIn(work_.Join("out/articles"))[0];
  std::vector<std::string> lines = LinesOf(chunk);
  std::string hash = JsonField(lines[1], "content_hash");
  lines[1].replace(lines[1].find(hash), hash.size(), Sha256Hex("tampered"));
  WriteLines(chunk, lines);
  ProcessResult rebuild = Rebuild("rebuilt");
  EXPECT_EQ(rebuild.exit_code, 1);
  std::vector<ProblemRecord> problems = ParseProblemRecords(rebuild.out);
  ASSERT_EQ(ProblemCodes(problems), std::vector<std::string>{"hash_mismatch"});
  EXPECT_EQ(problems[0].line, 2u);
  EXPECT_FALSE(fs::exists(work_.Join("rebuilt")));
}

TEST_F(StateCommandTest, ToolsOnAMissingStateFailNamingIt) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{"stats"}, {"get", "1_2"}, {"export"}}) {
    args.push_back("--state");
    args.push_back(work_.Join("nowhere"));
    ProcessResult result = State(args);
    EXPECT_EQ(result.exit_code, 1) << ::testing::PrintToString(args);
    EXPECT_NE(result.err.find(work_.Join("nowhere")), std::string::npos) << result.err;
    EXPECT_FALSE(fs::exists(work_.Join("nowhere")));  // read-only: nothing created
  }
}

TEST_F(StateCommandTest, BadUsageExitsTwo) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{}, {"frobnicate"}, {"rebuild", "--state", "x"},
        {"get", "--state", "x"}, {"stats", "--no-such-flag"}}) {
    ProcessResult result = State(args);
    EXPECT_EQ(result.exit_code, 2) << ::testing::PrintToString(args) << result.err;
    EXPECT_FALSE(result.err.empty());
  }
  for (std::vector<std::string> args :
       {std::vector<std::string>{"--help"}, {"stats", "--help"}, {"rebuild", "--help"}}) {
    ProcessResult result = State(args);
    EXPECT_EQ(result.exit_code, 0) << ::testing::PrintToString(args);
    EXPECT_NE(result.out.find("Usage"), std::string::npos) << result.out;
  }
}

}  // namespace
}  // namespace ingest::test
