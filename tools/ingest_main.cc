// crawl-ingest: the command-line entry point. Parses flags (CLI11), builds
// the one logger, and hands over to the command; exit codes are listed in
// commands/exit_codes.h and the README.
#include <CLI/CLI.hpp>
#include <spdlog/cfg/env.h>
#include <spdlog/spdlog.h>

#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "commands/exit_codes.h"
#include "commands/map_command.h"
#include "commands/plan_command.h"
#include "commands/reduce_command.h"
#include "commands/run_command.h"
#include "pipeline/logging.h"
#include "stages/parse/dates.h"

namespace {

constexpr const char* kVersion = "0.1.0";

}  // namespace

int main(int argc, char** argv) {
  // Grow and trim malloc's heaps in large steps: a run's working set grows
  // steadily (dedup overlay, memtable), and page-by-page growth cost
  // thousands of mprotect calls per 20,000 files.
  mallopt(M_TOP_PAD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 128 << 20);
  CLI::App app{
      "crawl-ingest: turns crawl-dump article files into clean, deduplicated, "
      "verified NDJSON.",
      "crawl-ingest"};
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the subcommand
  app.set_version_flag("--version", kVersion);
  std::string log_level = "info";
  app.add_option("--log-level", log_level,
                 "trace, debug, info, warn, error or off (also SPDLOG_LEVEL)")
      ->capture_default_str();
  std::string log_file;
  app.add_option("--log-file", log_file,
                 "also append log lines to this file (stderr keeps them too)");
  bool quiet = false;
  app.add_flag("-q,--quiet", quiet,
               "log errors only: silent on success, for cron (overrides --log-level)");

  ingest::RunConfig run;
  std::string revisions = "skip";
  std::string tz = "+09:00";
  CLI::App* run_command = app.add_subcommand(
      "run", "Ingest INPUT files and directories: emit new articles, record "
             "duplicates and quarantined files, remember keys in the state");
  run_command->add_option("INPUT", run.inputs,
                          "article files, or directories walked for *.txt files")
      ->required();
  run_command->add_option("--state", run.state_dir, "dedup state directory (RocksDB)")
      ->capture_default_str();
  run_command->add_option("--out", run.out_dir,
                          "output directory, or - for articles on stdout and no files")
      ->capture_default_str();
  run_command->add_option("--threads", run.threads, "worker threads (default: all cores)")
      ->check(CLI::Range(1, 1024));
  run_command->add_option("--revisions", revisions,
                          "skip: count a known key with a new hash; emit: also emit it")
      ->check(CLI::IsMember({"skip", "emit"}))
      ->capture_default_str();
  run_command->add_option("--tz", tz, "zone of naive dates, as ±HH:MM")
      ->capture_default_str();
  run_command->add_option("--max-file-size", run.max_file_size,
                          "larger files are quarantined as too_large (bytes)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  run_command->add_option("--chunk-records", run.chunk_records,
                          "records per output chunk (a commit point)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();

  CLI::Option* rescan = run_command->add_flag(
      "--rescan", run.rescan,
      "read every file, even those an earlier run processed and that are unchanged");
  run_command
      ->add_flag("--trust-names", run.trust_names,
                 "skip every path an earlier run processed, without even a stat "
                 "(for dumps whose files are written once)")
      ->excludes(rescan);

  ingest::PlanConfig plan;
  CLI::App* plan_command = ingest::AddPlanCommand(app, &plan);
  ingest::MapConfig map;
  CLI::App* map_command = ingest::AddMapCommand(app, &map);
  ingest::ReduceConfig reduce;
  CLI::App* reduce_command = ingest::AddReduceCommand(app, &reduce);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    int code = app.exit(error);
    return code == 0 ? ingest::kExitOk : ingest::kExitUsage;
  }

  if (const char* env_level = std::getenv("SPDLOG_LEVEL");
      env_level && app.get_option("--log-level")->count() == 0) {
    log_level = env_level;
  }
  if (quiet) log_level = "error";
  auto logger = ingest::MakeLogger(log_level, log_file);
  if (!logger.ok()) {
    std::fprintf(stderr, "crawl-ingest: %s\n", logger.status().message().c_str());
    return logger.status().code() == ingest::StatusCode::kInvalidArgument
               ? ingest::kExitUsage
               : ingest::kExitFailure;
  }
  spdlog::set_default_logger(*logger);

  if (run_command->parsed()) {
    std::optional<int> offset = ingest::ParseUtcOffset(tz);
    if (!offset || tz == "Z" || tz == "z") {
      std::fprintf(stderr,
                   "crawl-ingest run: --tz: '%s' is not an offset like +09:00\n"
                   "Run with --help for more information.\n",
                   tz.c_str());
      return ingest::kExitUsage;
    }
    run.default_offset_minutes = *offset;
    run.emit_revisions = revisions == "emit";
    return ingest::RunCommand(run, **logger);
  }
  if (plan_command->parsed()) return ingest::PlanCommand(plan, **logger);
  if (map_command->parsed()) return ingest::MapCommand(map, **logger);
  if (reduce_command->parsed()) return ingest::ReduceCommand(reduce, **logger);
  return ingest::kExitUsage;
}
