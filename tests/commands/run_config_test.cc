// Run options from the YAML config file and the command line: every key,
// precedence, round trip through `config`, and errors that name file, line
// and key.
#include "commands/run_config.h"

#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "tests/testing/testing.h"

namespace ingest {
namespace {

constexpr const char* kEveryKey =
    "inputs: [a, b]\n"
    "state: st\n"
    "out: ou\n"
    "threads: 3\n"
    "revisions: emit\n"
    "tz: \"-05:30\"\n"
    "max-file-size: 1000\n"
    "chunk-records: 7\n"
    "chunk-bytes: 9000\n"
    "compress: gzip\n"
    "compress-level: 9\n"
    "schema: dolma\n"
    "dolma-source: news\n"
    "include: ['*.txt']\n"
    "exclude: [tmp, 'draft*']\n"
    "null-separated: true\n"
    "rescan: true\n"
    "trust-names: false\n"
    "progress: false\n"
    "metrics-file: /var/lib/node_exporter/crawl.prom\n"
    "log-level: warn\n"
    "log-file: run.log\n"
    "quiet: true\n";

TEST(RunConfigTest, TheFileSetsEveryKey) {
  RunConfig config;
  std::vector<std::string> given;
  ASSERT_OK(ApplyRunConfigYaml(kEveryKey, "c.yaml", &config, &given));
  EXPECT_EQ(given, RunConfigKeys()) << "the test covers every key";
  EXPECT_EQ(config.inputs, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(config.state_dir, "st");
  EXPECT_EQ(config.out_dir, "ou");
  EXPECT_EQ(config.threads, 3);
  EXPECT_TRUE(config.emit_revisions);
  EXPECT_EQ(config.default_offset_minutes, -330);
  EXPECT_EQ(config.max_file_size, 1000u);
  EXPECT_EQ(config.chunk_records, 7u);
  EXPECT_EQ(config.chunk_bytes, 9000u);
  EXPECT_EQ(config.compression, Compression::kGzip);
  EXPECT_EQ(config.compression_level, 9);
  EXPECT_EQ(config.schema, RecordSchema::kDolma);
  EXPECT_EQ(config.dolma_source, "news");
  EXPECT_EQ(config.include, std::vector<std::string>{"*.txt"});
  EXPECT_EQ(config.exclude, (std::vector<std::string>{"tmp", "draft*"}));
  EXPECT_TRUE(config.null_separated);
  EXPECT_TRUE(config.rescan);
  EXPECT_FALSE(config.trust_names);
  EXPECT_EQ(config.progress, ProgressMode::kOff);
  EXPECT_EQ(config.metrics_file, "/var/lib/node_exporter/crawl.prom");
  EXPECT_EQ(config.log_level, "warn");
  EXPECT_EQ(config.log_file, "run.log");
  EXPECT_TRUE(config.quiet);
}

TEST(RunConfigTest, PrintedConfigurationReadsBackToTheSameConfiguration) {
  RunConfig config;
  ASSERT_OK(ApplyRunConfigYaml(kEveryKey, "c.yaml", &config));
  std::string printed = RunConfigToYaml(config);
  RunConfig again;
  ASSERT_OK(ApplyRunConfigYaml(printed, "printed.yaml", &again));
  EXPECT_EQ(RunConfigToYaml(again), printed);
  // Defaults too, with empty lists and strings.
  std::string defaults = RunConfigToYaml(RunConfig());
  RunConfig from_defaults;
  from_defaults.state_dir = "changed";
  ASSERT_OK(ApplyRunConfigYaml(defaults, "defaults.yaml", &from_defaults));
  EXPECT_EQ(RunConfigToYaml(from_defaults), defaults);
}

TEST(RunConfigTest, AnEmptyFileChangesNothing) {
  RunConfig config;
  ASSERT_OK(ApplyRunConfigYaml("# nothing yet\n", "empty.yaml", &config));
  EXPECT_EQ(RunConfigToYaml(config), RunConfigToYaml(RunConfig()));
}

struct BadFile {
  const char* yaml;
  const char* message;  // expected in the error
};

class RunConfigErrorTest : public ::testing::TestWithParam<BadFile> {};

TEST_P(RunConfigErrorTest, NamesFileLineAndKey) {
  RunConfig config;
  Status status = ApplyRunConfigYaml(GetParam().yaml, "bad.yaml", &config);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find(GetParam().message), std::string::npos) << status.message();
}

INSTANTIATE_TEST_SUITE_P(
    Files, RunConfigErrorTest,
    ::testing::Values(
        BadFile{"state: s\nthread: 4\n", "config: bad.yaml:2: unknown key 'thread'"},
        BadFile{"state: s\nout: o\nthreads: four\n",
                "bad.yaml:3: threads: expected an integer from 0 to 1024, got 'four'"},
        BadFile{"threads: 2000\n", "bad.yaml:1: threads: expected an integer from 0 to 1024"},
        BadFile{"chunk-records: -1\n", "bad.yaml:1: chunk-records: expected an integer"},
        BadFile{"chunk-records: 0\n", "bad.yaml:1: chunk-records: expected an integer from 1"},
        BadFile{"rescan: maybe\n", "bad.yaml:1: rescan: expected true or false, got 'maybe'"},
        BadFile{"compress: lz4\n", "bad.yaml:1: compress: expected none, zstd or gzip"},
        BadFile{"schema: parquet\n", "bad.yaml:1: schema: expected native or dolma"},
        BadFile{"tz: Asia/Seoul\n", "bad.yaml:1: tz: expected an offset like +09:00"},
        BadFile{"progress: sometimes\n", "bad.yaml:1: progress: expected auto, true or false"},
        BadFile{"state:\n  - a\n", "bad.yaml:2: state: expected a string, got a list"},
        BadFile{"state:\n", "bad.yaml:1: state: expected a string, got nothing"},
        BadFile{"include:\n  a: b\n", "bad.yaml:2: include: expected a list of strings"},
        BadFile{"out: a\nout: b\n", "bad.yaml:2: key 'out' is given twice"},
        BadFile{"- a\n- b\n", "bad.yaml:1: expected a mapping"},
        BadFile{"state: s\ninclude: [a, b\n", "bad.yaml:3: not valid YAML"}));

// Parses `args` (after the program name) with run, config and the global
// logging options registered as in tools/ingest_main.cc.
Result<RunConfig> Resolve(std::vector<std::string> args) {
  CLI::App app;
  app.fallthrough();
  std::string log_level, log_file;
  bool quiet = false;
  app.add_option("--log-level", log_level);
  app.add_option("--log-file", log_file);
  app.add_flag("-q,--quiet", quiet);
  RunCommandLine run_line, config_line;
  CLI::App* run = AddRunCommand(app, &run_line);
  AddConfigCommand(app, &config_line);
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  app.parse(reversed);
  bool is_run = run->parsed();
  return ResolveRunConfig(is_run ? run_line : config_line, app, is_run);
}

TEST(RunConfigTest, CommandLineOverridesTheFileWhichOverridesDefaults) {
  test::TempDir dir;
  test::WriteFile(dir.Join("c.yaml"),
                  "state: from-file\nout: from-file\nthreads: 2\ncompress: zstd\n"
                  "include: ['a*']\nlog-level: warn\nquiet: false\n");
  Result<RunConfig> config =
      Resolve({"run", "--config", dir.Join("c.yaml"), "--out", "from-cli", "--include", "b*",
               "--log-level", "debug", "input"});
  ASSERT_OK(config.status());
  EXPECT_EQ(config->state_dir, "from-file");
  EXPECT_EQ(config->out_dir, "from-cli");
  EXPECT_EQ(config->threads, 2);
  EXPECT_EQ(config->compression, Compression::kZstd);
  EXPECT_EQ(config->include, std::vector<std::string>{"b*"});  // replaced, not appended
  EXPECT_EQ(config->log_level, "debug");
  EXPECT_EQ(config->chunk_records, 100000u);  // the default
  EXPECT_EQ(config->inputs, std::vector<std::string>{"input"});
}

TEST(RunConfigTest, InputsMayComeFromTheFileButMustComeFromSomewhere) {
  test::TempDir dir;
  test::WriteFile(dir.Join("c.yaml"), "inputs: [dump]\n");
  Result<RunConfig> from_file = Resolve({"run", "--config", dir.Join("c.yaml")});
  ASSERT_OK(from_file.status());
  EXPECT_EQ(from_file->inputs, std::vector<std::string>{"dump"});
  Result<RunConfig> without_inputs = Resolve({"run"});
  EXPECT_EQ(without_inputs.status().code(), StatusCode::kInvalidArgument);
  Result<RunConfig> shown = Resolve({"config"});
  EXPECT_OK(shown.status());  // config shows what it has
}

TEST(RunConfigTest, NulSeparatedNeedsTheStdinInput) {
  Result<RunConfig> without_stdin = Resolve({"run", "-0", "dump"});
  EXPECT_EQ(without_stdin.status().code(), StatusCode::kInvalidArgument);
  Result<RunConfig> with_stdin = Resolve({"run", "-0", "-"});
  EXPECT_OK(with_stdin.status());
  Result<RunConfig> twice = Resolve({"run", "-", "-"});
  EXPECT_EQ(twice.status().code(), StatusCode::kInvalidArgument);
}

TEST(RunConfigTest, CompressionLevelMustSuitTheFormat) {
  Result<RunConfig> gzip9 = Resolve({"run", "--compress", "gzip", "--compress-level", "9", "x"});
  ASSERT_OK(gzip9.status());
  EXPECT_EQ(gzip9->compression_level, 9);
  Result<RunConfig> gzip12 = Resolve({"run", "--compress", "gzip", "--compress-level", "12", "x"});
  EXPECT_EQ(gzip12.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(gzip12.status().message().find("1 to 9"), std::string::npos);
  Result<RunConfig> zstd12 = Resolve({"run", "--compress", "zstd", "--compress-level", "12", "x"});
  EXPECT_OK(zstd12.status());
  Result<RunConfig> none = Resolve({"run", "--compress-level", "3", "x"});
  EXPECT_EQ(none.status().code(), StatusCode::kInvalidArgument);
}

TEST(RunConfigTest, ProgressFlagsForceTheLineOnOrOff) {
  EXPECT_EQ(Resolve({"run", "x"})->progress, ProgressMode::kAuto);
  EXPECT_EQ(Resolve({"run", "--progress", "x"})->progress, ProgressMode::kOn);
  EXPECT_EQ(Resolve({"run", "--no-progress", "x"})->progress, ProgressMode::kOff);
}

std::vector<std::string> ListFrom(const std::string& bytes, bool null_separated) {
  int pipe_fds[2];
  EXPECT_EQ(pipe(pipe_fds), 0);
  EXPECT_EQ(write(pipe_fds[1], bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  close(pipe_fds[1]);
  Result<std::vector<std::string>> paths = ReadPathList(pipe_fds[0], null_separated);
  close(pipe_fds[0]);
  EXPECT_OK(paths.status());
  return paths.ok() ? *paths : std::vector<std::string>{};
}

TEST(ReadPathListTest, SplitsLinesOrNulBytesAndDropsEmptyEntries) {
  EXPECT_EQ(ListFrom("a/b.txt\n\nc d.txt\nlast", false),
            (std::vector<std::string>{"a/b.txt", "c d.txt", "last"}));
  EXPECT_EQ(ListFrom(std::string("new\nline.txt\0x.txt\0\0", 20), true),
            (std::vector<std::string>{"new\nline.txt", "x.txt"}));
  EXPECT_TRUE(ListFrom("", false).empty());
}

}  // namespace
}  // namespace ingest
