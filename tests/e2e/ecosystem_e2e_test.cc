// The real binary with the data-ecosystem features of issue 6: archives
// (tar, tar.gz, tar.zst) against the extracted directory, incremental runs
// and a crash inside an archive, stdin path lists, --include/--exclude,
// compressed output against uncompressed, the Dolma schema against the
// documented format, the config file, the progress line on a real
// pseudo-terminal and the metrics file checked by promtool.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <regex>

#include "stages/emit/chunk_reader.h"
#include "tests/testing/process.h"
#include "tests/testing/testing.h"

namespace ingest::test {
namespace {

namespace fs = std::filesystem;

// Every occurrence of `from` in `text` replaced by `to`.
std::string ReplaceAll(std::string text, const std::string& from, const std::string& to) {
  if (from.empty()) return text;
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t count = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++count;
  }
  return count;
}

std::vector<std::string> SortedFiles(const std::string& directory) {
  std::vector<std::string> names;
  if (!fs::exists(directory)) return names;
  for (const auto& entry : fs::directory_iterator(directory)) {
    names.push_back(entry.path().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// The records of one output folder, chunks decompressed and concatenated in
// name order (through the one chunk reader).
std::string Records(const std::string& folder) {
  std::string all;
  for (const std::string& path : SortedFiles(folder)) {
    Result<std::string> chunk = ReadChunkFile(path);
    EXPECT_OK(chunk.status());
    if (chunk.ok()) all += *chunk;
  }
  return all;
}

// "files=… excluded=…" of the run's final log line: every count but bytes.
std::string Counts(const std::string& log) {
  std::smatch match;
  if (!std::regex_search(log, match, std::regex(" files=[0-9]+ .* excluded=[0-9]+"))) {
    return "<no summary line>";
  }
  return match.str();
}

class EcosystemTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    corpus_ = new TempDir();
    ProcessResult generated = RunProcess(
        {"python3", SourceDir() + "/tools/gen_corpus.py", "--out", corpus_->Join("dump"),
         "--mix", "--valid", "120", "--size", "2000", "--seed", "11", "--manifest",
         corpus_->Join("dump.manifest.json")});
    ASSERT_EQ(generated.exit_code, 0) << generated.err;
  }
  static void TearDownTestSuite() {
    delete corpus_;
    corpus_ = nullptr;
  }

  void SetUp() override {
    // Each test gets its own copy of the corpus' directory to work in.
    ProcessResult copied = Shell("cp -a " + corpus_->Join("dump") + " dump");
    ASSERT_EQ(copied.exit_code, 0) << copied.err;
  }

  ProcessResult Shell(const std::string& command) {
    return RunProcess({"sh", "-c", command}, ProcessOptions{work_.path(), {}});
  }

  // crawl-ingest run with the generator's size limit, from the work dir.
  ProcessResult Run(std::vector<std::string> args) {
    std::vector<std::string> argv = {"run", "--max-file-size", "100000"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(Binary(argv), ProcessOptions{work_.path(), {}});
  }

  ProcessResult Check(const std::string& out, const std::string& prefix,
                      std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {"python3", SourceDir() + "/tests/e2e/check_run.py",
                                     "--manifest", corpus_->Join("dump.manifest.json"),
                                     "--prefix", prefix, "--out", work_.Join(out)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunProcess(argv);
  }

  // A tar of `directory` (symlinks removed: inside an archive they are not
  // followed) whose members are in byte-wise order of their paths, the
  // order of a directory walk.
  void MakeArchive(const std::string& directory, const std::string& archive,
                   const std::string& flags) {
    ProcessResult made = Shell("find " + directory + " -type l -delete && cd " + directory +
                               " && find . -type f | LC_ALL=C sort | sed 's|^\\./||' | "
                               "tar --no-recursion " + flags + " -cf ../" + archive + " -T -");
    ASSERT_EQ(made.exit_code, 0) << made.err;
  }

  std::string Path(const std::string& relative) { return work_.Join(relative); }

  static TempDir* corpus_;
  TempDir work_;
};

TempDir* EcosystemTest::corpus_ = nullptr;

class ArchiveFormatTest : public EcosystemTest,
                          public ::testing::WithParamInterface<std::pair<const char*, const char*>> {};

TEST_P(ArchiveFormatTest, ArchiveGivesTheSameRecordsAsTheExtractedDirectory) {
  auto [suffix, flags] = GetParam();
  std::string archive = std::string("dump") + suffix;
  MakeArchive("dump", archive, flags);
  ProcessResult extracted = Shell("mkdir extracted && tar -xf " + archive + " -C extracted");
  ASSERT_EQ(extracted.exit_code, 0) << extracted.err;

  ProcessResult from_directory = Run({"--state", "s1", "--out", "o1", "extracted"});
  ProcessResult from_archive = Run({"--state", "s2", "--out", "o2", archive});
  ASSERT_EQ(from_directory.exit_code, 0) << from_directory.err;
  ASSERT_EQ(from_archive.exit_code, 0) << from_archive.err;
  for (const char* folder : {"articles", "quarantine", "duplicates"}) {
    std::string want = ReplaceAll(Records(Path(std::string("o1/") + folder)), "extracted/", "@");
    std::string got = ReplaceAll(Records(Path(std::string("o2/") + folder)), archive + "!", "@");
    EXPECT_FALSE(want.empty()) << folder;
    EXPECT_EQ(got, want) << folder;
  }
  EXPECT_EQ(Counts(from_archive.err), Counts(from_directory.err));
}

INSTANTIATE_TEST_SUITE_P(
    Formats, ArchiveFormatTest,
    ::testing::Values(std::make_pair(".tar", ""), std::make_pair(".tar.gz", "-z"),
                      std::make_pair(".tar.zst", "--zstd")),
    [](const auto& param_info) {
      std::string name = param_info.param.first;
      name.erase(std::remove(name.begin(), name.end(), '.'), name.end());
      return name;
    });

TEST_F(EcosystemTest, AnUnchangedArchiveIsSkippedAndAGrownOneReadsOnlyItsNewMember) {
  MakeArchive("dump", "dump.tar", "");
  ProcessResult first = Run({"--state", "s", "--out", "o1", "dump.tar"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  std::smatch files;
  ASSERT_TRUE(std::regex_search(first.err, files, std::regex(" files=([0-9]+) ")));

  ProcessResult second = Run({"--state", "s", "--out", "o2", "dump.tar"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.err.find(" files=0 "), std::string::npos) << second.err;
  EXPECT_NE(second.err.find(" unchanged=" + files[1].str() + " "), std::string::npos)
      << second.err;
  EXPECT_EQ(Records(Path("o2/articles")), "");

  // Not even opened: garbage of the same size and mtime goes unnoticed.
  ProcessResult swapped = Shell(
      "cp -p dump.tar saved.tar && tr '\\0' x < /dev/zero | head -c $(stat -c %s dump.tar) > dump.tar && "
      "touch -r saved.tar dump.tar");
  ASSERT_EQ(swapped.exit_code, 0) << swapped.err;
  ProcessResult blind = Run({"--state", "s", "--out", "o2b", "dump.tar"});
  ASSERT_EQ(blind.exit_code, 0) << blind.err;
  EXPECT_NE(blind.err.find(" files=0 "), std::string::npos) << blind.err;
  ASSERT_EQ(Shell("mv saved.tar dump.tar").exit_code, 0);

  // The archive grows by one member (a copy of an article: a duplicate).
  ProcessResult appended = Shell(
      "mkdir new && cp dump/mix/dedup/10_original.txt new/zz_copy.txt && "
      "tar -rf dump.tar -C new zz_copy.txt");
  ASSERT_EQ(appended.exit_code, 0) << appended.err;
  ProcessResult third = Run({"--state", "s", "--out", "o3", "dump.tar"});
  ASSERT_EQ(third.exit_code, 0) << third.err;
  EXPECT_NE(third.err.find(" files=1 emitted=0 duplicates=1 "), std::string::npos) << third.err;
  EXPECT_NE(Records(Path("o3/duplicates")).find("dump.tar!zz_copy.txt"), std::string::npos);
}

TEST_F(EcosystemTest, AKilledRunInsideAnArchiveResumesWithEveryRecordOnce) {
  MakeArchive("dump", "dump.tar.zst", "--zstd");
  ProcessResult clean = Run({"--state", "s1", "--out", "o1", "--chunk-records", "5", "dump.tar.zst"});
  ASSERT_EQ(clean.exit_code, 0) << clean.err;
  ProcessResult killed = RunProcess(
      Binary({"run", "--max-file-size", "100000", "--state", "s2", "--out", "o2",
              "--chunk-records", "5", "dump.tar.zst"}),
      ProcessOptions{work_.path(), {{"CRAWL_INGEST_TEST_HOOK", "commit.finished#4:kill"}}});
  ASSERT_EQ(killed.signal, SIGKILL) << killed.err;
  ProcessResult resumed =
      Run({"--state", "s2", "--out", "o2", "--chunk-records", "5", "dump.tar.zst"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  for (const char* folder : {"articles", "quarantine", "duplicates"}) {
    EXPECT_EQ(Records(Path(std::string("o2/") + folder)),
              Records(Path(std::string("o1/") + folder)))
        << folder;
  }
  // And a third run finds the archive complete.
  ProcessResult again = Run({"--state", "s2", "--out", "o3", "dump.tar.zst"});
  EXPECT_NE(again.err.find(" files=0 "), std::string::npos) << again.err;
}

TEST_F(EcosystemTest, PathsFromStdinGiveTheSameRecordsAsTheDirectoryWalk) {
  ProcessResult walked = Run({"--state", "s1", "--out", "o1", "dump"});
  ASSERT_EQ(walked.exit_code, 0) << walked.err;
  // Listed in reverse: order on stdin does not matter, paths are sorted.
  std::string binary = BinaryPath() + " run --max-file-size 100000";
  ProcessResult lines = Shell("find dump -name '*.txt' | LC_ALL=C sort -r | " + binary +
                              " --state s2 --out o2 -");
  ProcessResult nul = Shell("find dump -name '*.txt' -print0 | " + binary +
                            " --state s3 --out o3 -0 -");
  ASSERT_EQ(lines.exit_code, 0) << lines.err;
  ASSERT_EQ(nul.exit_code, 0) << nul.err;
  for (const char* folder : {"articles", "quarantine", "duplicates"}) {
    std::string want = Records(Path(std::string("o1/") + folder));
    EXPECT_FALSE(want.empty());
    EXPECT_EQ(Records(Path(std::string("o2/") + folder)), want) << folder;
    EXPECT_EQ(Records(Path(std::string("o3/") + folder)), want) << folder;
  }
  EXPECT_EQ(Check("o3", "dump/", {"--no-summary"}).exit_code, 0);
}

TEST_F(EcosystemTest, IncludeAndExcludeFilterFilesDirectoriesAndMembers) {
  MakeArchive("dump", "dump.tar.gz", "-z");  // also drops the symlinks from dump/
  ProcessResult excluded = Run({"--state", "s1", "--out", "o1", "--exclude", "mix", "dump"});
  ASSERT_EQ(excluded.exit_code, 0) << excluded.err;
  std::string articles = Records(Path("o1/articles"));
  EXPECT_FALSE(articles.empty());
  EXPECT_EQ(articles.find("dump/mix/"), std::string::npos);
  EXPECT_EQ(Records(Path("o1/quarantine")), "");  // every broken file is under mix/

  ProcessResult included =
      Run({"--state", "s2", "--out", "o2", "--include", "dump/mix/valid/*", "--exclude",
           "*bom*", "dump"});
  ASSERT_EQ(included.exit_code, 0) << included.err;
  std::string kept = Records(Path("o2/articles"));
  EXPECT_EQ(Count(kept, "\n"), Count(kept, "\"source\":\"dump/mix/valid/"));
  EXPECT_GT(Count(kept, "\n"), 3u);
  EXPECT_EQ(kept.find("bom"), std::string::npos);
  EXPECT_EQ(included.err.find(" excluded=0 "), std::string::npos) << included.err;

  ProcessResult members = Run({"--state", "s3", "--out", "o3", "--include",
                               "dump.tar.gz!mix/valid/*", "--exclude", "*bom*", "dump.tar.gz"});
  ASSERT_EQ(members.exit_code, 0) << members.err;
  EXPECT_EQ(ReplaceAll(Records(Path("o3/articles")), "dump.tar.gz!", "dump/"),
            Records(Path("o2/articles")))
      << "the same files, from the archive";
}

class CompressionTest : public EcosystemTest,
                        public ::testing::WithParamInterface<std::pair<const char*, const char*>> {};

TEST_P(CompressionTest, CompressedChunksDecompressToExactlyTheUncompressedOutput) {
  auto [name, tool] = GetParam();
  ProcessResult plain = Run({"--state", "s1", "--out", "o1", "--chunk-records", "9", "dump"});
  ProcessResult packed = Run({"--state", "s2", "--out", "o2", "--chunk-records", "9",
                              "--compress", name, "dump"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  ASSERT_EQ(packed.exit_code, 0) << packed.err;
  std::vector<std::string> plain_chunks = SortedFiles(Path("o1/articles"));
  std::vector<std::string> packed_chunks = SortedFiles(Path("o2/articles"));
  ASSERT_EQ(packed_chunks.size(), plain_chunks.size());
  ASSERT_GT(packed_chunks.size(), 10u);
  std::string suffix = std::string(".ndjson.") + (std::string(name) == "zstd" ? "zst" : "gz");
  std::string unpacked_all, plain_all;
  for (size_t i = 0; i < packed_chunks.size(); ++i) {
    ASSERT_TRUE(packed_chunks[i].size() > suffix.size() &&
                packed_chunks[i].substr(packed_chunks[i].size() - suffix.size()) == suffix)
        << packed_chunks[i];
    // The standard tool, not our reader, decompresses each chunk.
    ProcessResult unpacked = RunProcess({tool, "-dc", packed_chunks[i]});
    ASSERT_EQ(unpacked.exit_code, 0) << unpacked.err;
    EXPECT_EQ(unpacked.out, ReadFile(plain_chunks[i])) << packed_chunks[i];
    unpacked_all += unpacked.out;
    plain_all += ReadFile(plain_chunks[i]);
  }
  EXPECT_EQ(unpacked_all, plain_all);
  // Quarantine and duplicate records stay plain NDJSON.
  EXPECT_EQ(ReadFile(SortedFiles(Path("o2/quarantine")).at(0)),
            ReadFile(SortedFiles(Path("o1/quarantine")).at(0)));
  EXPECT_EQ(Check("o2", "dump/").exit_code, 0);
}

TEST_P(CompressionTest, CompressedStdoutIsOneValidStream) {
  auto [name, tool] = GetParam();
  ProcessResult plain = Run({"--state", "s1", "--out", "-", "--chunk-records", "9", "dump"});
  ProcessResult packed = Shell(BinaryPath() +
                               " run --max-file-size 100000 --state s2 --out - --chunk-records 9 "
                               "--compress " + name + " dump | " + tool + " -dc");
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  ASSERT_EQ(packed.exit_code, 0) << packed.err;
  EXPECT_EQ(packed.out, plain.out);
}

INSTANTIATE_TEST_SUITE_P(Formats, CompressionTest,
                         ::testing::Values(std::make_pair("zstd", "zstd"),
                                           std::make_pair("gzip", "gzip")),
                         [](const auto& param_info) { return std::string(param_info.param.first); });

TEST_F(EcosystemTest, DolmaRecordsFollowTheDocumentedDolmaFormat) {
  ProcessResult run = Run({"--state", "s", "--out", "o", "--schema", "dolma", "--compress",
                           "gzip", "--revisions", "emit", "--dolma-source", "naver-news",
                           "dump"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ProcessResult check = RunProcess(
      {"python3", SourceDir() + "/tests/e2e/check_dolma.py", "--manifest",
       corpus_->Join("dump.manifest.json"), "--prefix", "dump/", "--out", Path("o"),
       "--source", "naver-news", "--revisions", "emit"});
  EXPECT_EQ(check.exit_code, 0) << check.err;
  EXPECT_NE(check.err.find(" 0 problems"), std::string::npos) << check.err;
  // The run summary says how its chunks are written.
  std::string summary = ReadFile(SortedFiles(Path("o/runs")).at(0));
  EXPECT_NE(summary.find("\"schema\":\"dolma\",\"compression\":\"gzip\""), std::string::npos)
      << summary;
}

TEST_F(EcosystemTest, ConfigFileSetsOptionsAndTheCommandLineOverridesIt) {
  WriteFile(Path("run.yaml"),
            "# nightly ingest\n"
            "inputs: [dump]\n"
            "state: cfg-state\n"
            "out: cfg-out\n"
            "chunk-records: 4\n"
            "compress: zstd\n"
            "max-file-size: 100000\n");
  ProcessResult run = RunProcess(Binary({"run", "--config", "run.yaml", "--compress", "gzip"}),
                                 ProcessOptions{work_.path(), {}});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::vector<std::string> chunks = SortedFiles(Path("cfg-out/articles"));
  ASSERT_GT(chunks.size(), 20u);  // 4 records a chunk, from the file
  for (const std::string& chunk : chunks) {
    EXPECT_EQ(chunk.substr(chunk.size() - 10), ".ndjson.gz") << chunk;  // the command line won
  }
  EXPECT_TRUE(fs::exists(Path("cfg-state/db")));
  EXPECT_EQ(Check("cfg-out", "dump/").exit_code, 0);

  ProcessResult shown = RunProcess(
      Binary({"config", "--config", "run.yaml", "--threads", "3", "--exclude", "x*"}),
      ProcessOptions{work_.path(), {}});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("\nthreads: 3\n"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("\ncompress: zstd\n"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("\nchunk-records: 4\n"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("\nexclude:\n  - x*\n"), std::string::npos) << shown.out;
  // What `config` prints is a config file giving the same configuration.
  WriteFile(Path("shown.yaml"), shown.out);
  ProcessResult again = RunProcess(Binary({"config", "--config", "shown.yaml"}),
                                   ProcessOptions{work_.path(), {}});
  EXPECT_EQ(again.out, shown.out);
}

TEST_F(EcosystemTest, ConfigErrorsExitTwoNamingTheKeyAndTheLine) {
  WriteFile(Path("typed.yaml"), "state: s\nout: o\nthreads: four\n");
  ProcessResult typed = RunProcess(Binary({"run", "--config", "typed.yaml", "dump"}),
                                   ProcessOptions{work_.path(), {}});
  EXPECT_EQ(typed.exit_code, 2);
  EXPECT_NE(typed.err.find("typed.yaml:3: threads: expected an integer"), std::string::npos)
      << typed.err;
  EXPECT_FALSE(fs::exists(Path("s"))) << "nothing may run";

  WriteFile(Path("unknown.yaml"), "state: s\nthread: 4\n");
  ProcessResult unknown = RunProcess(Binary({"config", "--config", "unknown.yaml"}),
                                     ProcessOptions{work_.path(), {}});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("unknown.yaml:2: unknown key 'thread'"), std::string::npos)
      << unknown.err;

  WriteFile(Path("broken.yaml"), "state: s\ninclude: [a, b\n");
  ProcessResult broken = RunProcess(Binary({"run", "--config", "broken.yaml", "dump"}),
                                    ProcessOptions{work_.path(), {}});
  EXPECT_EQ(broken.exit_code, 2);
  EXPECT_NE(broken.err.find("broken.yaml:"), std::string::npos) << broken.err;
}

TEST_F(EcosystemTest, ProgressLineOnARealTerminalOnlyAndAtMostFourTimesASecond) {
  // Slow commits stretch the run over a few seconds.
  std::string run = BinaryPath() +
                    " run --max-file-size 100000 --chunk-records 20 --state s --out o dump";
  std::map<std::string, std::string> slow = {{"CRAWL_INGEST_TEST_HOOK", "commit.finished:sleep=250"}};
  auto started = std::chrono::steady_clock::now();
  // script(1) runs the command on a new pseudo-terminal; its stdout carries
  // what the terminal showed.
  ProcessResult on_tty = RunProcess({"script", "-qfec", run, "/dev/null"},
                                    ProcessOptions{work_.path(), slow});
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ASSERT_EQ(on_tty.exit_code, 0) << on_tty.out << on_tty.err;
  size_t draws = Count(on_tty.out, "files/s");
  EXPECT_GE(draws, 3u) << on_tty.out;
  EXPECT_LE(static_cast<double>(draws), 4 * seconds + 1) << seconds << " s";
  EXPECT_NE(on_tty.out.find("\r\033[K"), std::string::npos);
  EXPECT_NE(on_tty.out.find(" ETA "), std::string::npos) << "the total is counted";
  std::smatch line;
  EXPECT_TRUE(std::regex_search(on_tty.out, line,
                                std::regex("files [0-9]+/[0-9]+  [0-9]+ files/s  [0-9.]+ MB/s  "
                                           "elapsed [0-9]+:[0-9]{2}:[0-9]{2}")))
      << on_tty.out;
  // The summary log line is not glued to a progress line.
  EXPECT_NE(on_tty.out.find("\r\033[K["), std::string::npos) << on_tty.out;

  ProcessResult piped = RunProcess(
      Binary({"run", "--max-file-size", "100000", "--chunk-records", "20", "--state", "s2",
              "--out", "o2", "dump"}),
      ProcessOptions{work_.path(), slow});
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_EQ(piped.err.find("files/s"), std::string::npos) << "stderr is not a terminal";

  ProcessResult forced = RunProcess(
      Binary({"run", "--progress", "--max-file-size", "100000", "--chunk-records", "20",
              "--state", "s3", "--out", "o3", "dump"}),
      ProcessOptions{work_.path(), slow});
  EXPECT_NE(forced.err.find("files/s"), std::string::npos) << forced.err;

  std::string quiet_run = BinaryPath() +
                          " run --no-progress --max-file-size 100000 --chunk-records 20 "
                          "--state s4 --out o4 dump";
  ProcessResult silenced = RunProcess({"script", "-qfec", quiet_run, "/dev/null"},
                                      ProcessOptions{work_.path(), slow});
  ASSERT_EQ(silenced.exit_code, 0) << silenced.out;
  EXPECT_EQ(silenced.out.find("files/s"), std::string::npos) << silenced.out;
}

TEST_F(EcosystemTest, MetricsFilePassesPromtoolAndCountsAcrossRuns) {
  ProcessResult which = RunProcess({"sh", "-c", "command -v promtool"});
  ASSERT_EQ(which.exit_code, 0)
      << "promtool is missing: install the Debian package prometheus (tools/setup.sh does)";
  fs::create_directories(Path("textfile"));
  std::string metrics = Path("textfile/crawl_ingest.prom");
  ProcessResult first = Run({"--state", "s", "--out", "o", "--metrics-file", metrics, "dump"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  ProcessResult lint = RunProcess({"sh", "-c", "promtool check metrics < " + metrics});
  EXPECT_EQ(lint.exit_code, 0) << lint.out << lint.err << ReadFile(metrics);
  std::string text = ReadFile(metrics);
  std::smatch emitted;
  ASSERT_TRUE(std::regex_search(first.err, emitted, std::regex(" emitted=([0-9]+) ")));
  EXPECT_NE(text.find("crawl_ingest_files_total{outcome=\"emitted\"} " + emitted[1].str() + "\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("crawl_ingest_quarantined_files_total{reason=\"hash_mismatch\"} "),
            std::string::npos);
  EXPECT_NE(text.find("crawl_ingest_last_run_success 1\n"), std::string::npos);
  std::smatch success;
  ASSERT_TRUE(std::regex_search(text, success,
                                std::regex("crawl_ingest_last_success_timestamp_seconds ([0-9.]+)")));
  EXPECT_GT(std::stod(success[1].str()), 1.6e9);

  // A second run adds nothing new but counts itself; a failed run keeps the
  // last success's time.
  ASSERT_EQ(Run({"--state", "s", "--out", "o", "--metrics-file", metrics, "dump"}).exit_code, 0);
  text = ReadFile(metrics);
  ASSERT_TRUE(std::regex_search(text, success,
                                std::regex("crawl_ingest_last_success_timestamp_seconds ([0-9.]+)")));
  // A copy: the match points into `text`, which is read again below.
  std::string last_success = success[1].str();
  ProcessResult failed =
      Run({"--state", "s", "--out", "o", "--metrics-file", metrics, "no-such-input"});
  EXPECT_EQ(failed.exit_code, 1);
  text = ReadFile(metrics);
  EXPECT_NE(text.find("crawl_ingest_files_total{outcome=\"emitted\"} " + emitted[1].str() + "\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("crawl_ingest_runs_total{status=\"ok\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("crawl_ingest_runs_total{status=\"failed\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("crawl_ingest_last_run_success 0\n"), std::string::npos);
  EXPECT_NE(text.find("crawl_ingest_last_success_timestamp_seconds " + last_success + "\n"),
            std::string::npos)
      << text;
  lint = RunProcess({"sh", "-c", "promtool check metrics < " + metrics});
  EXPECT_EQ(lint.exit_code, 0) << lint.out << lint.err;
  // Written atomically: no temp file is left beside it.
  EXPECT_EQ(SortedFiles(Path("textfile")).size(), 1u);
}

}  // namespace
}  // namespace ingest::test
