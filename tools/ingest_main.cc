// crawl-ingest: the command-line entry point. Parses flags (CLI11), builds
// the one logger, and hands over to the command; exit codes are listed in
// commands/exit_codes.h and the README.
#include <CLI/CLI.hpp>
#include <spdlog/cfg/env.h>
#include <spdlog/spdlog.h>

#include <malloc.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "commands/audit_command.h"
#include "commands/exit_codes.h"
#include "commands/map_command.h"
#include "commands/plan_command.h"
#include "commands/reduce_command.h"
#include "commands/repartition_command.h"
#include "commands/run_command.h"
#include "commands/run_config.h"
#include "commands/state_command.h"
#include "pipeline/cpu_count.h"
#include "pipeline/logging.h"
#include "stages/parse/dates.h"
#include "stages/read/archive_reader.h"
#include "stages/verify/sha256.h"

namespace {

constexpr const char* kVersion = "0.1.0";

// The version, then the code this build and this CPU take on the hot
// paths that differ between machines, so a slow run can be told apart from
// a slow machine.
std::string VersionText() {
  std::string text = std::string("crawl-ingest ") + kVersion;
  text += "\nsha-256: ";
  text += ingest::Sha256Batch().implementation();
  text += "\ngzip: ";
  text += ingest::ArchiveReader::GzipImplementation();
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  // Grow and trim malloc's heaps in large steps: a run's working set grows
  // steadily (dedup overlay, memtable), and page-by-page growth cost
  // thousands of mprotect calls per 20,000 files.
  mallopt(M_TOP_PAD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 128 << 20);
  // No more heaps than cores (glibc allows 8 per core). Memory a RocksDB
  // flush or compaction thread frees stays in that thread's heap, unused by
  // the others: with the default, 3 of 8 fresh runs over 400,000 files
  // peaked at ~155 MiB instead of ~125 MiB; with 2 heaps, none of 20 did.
  mallopt(M_ARENA_MAX, std::max(2, ingest::UsableCpuCount()));
  CLI::App app{
      "crawl-ingest: turns crawl-dump article files into clean, deduplicated, "
      "verified NDJSON.",
      "crawl-ingest"};
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the subcommand
  app.set_version_flag("--version", VersionText);
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

  // `run` and `config` share every run option (commands/run_config.h).
  ingest::RunCommandLine run_line;
  CLI::App* run_command = ingest::AddRunCommand(app, &run_line);
  ingest::RunCommandLine config_line;
  CLI::App* config_command = ingest::AddConfigCommand(app, &config_line);

  ingest::AuditConfig audit;
  CLI::App* audit_command = ingest::AddAuditCommand(app, &audit);
  ingest::StateToolConfig state_tool;
  CLI::App* state_command = ingest::AddStateCommand(app, &state_tool);

  ingest::PlanConfig plan;
  CLI::App* plan_command = ingest::AddPlanCommand(app, &plan);
  ingest::MapConfig map;
  CLI::App* map_command = ingest::AddMapCommand(app, &map);
  ingest::ReduceConfig reduce;
  CLI::App* reduce_command = ingest::AddReduceCommand(app, &reduce);
  ingest::RepartitionConfig repartition;
  CLI::App* repartition_command = ingest::AddRepartitionCommand(app, &repartition);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    int code = app.exit(error);
    return code == 0 ? ingest::kExitOk : ingest::kExitUsage;
  }

  // defaults < --config file < command line; this also sets a run's logging.
  std::optional<ingest::RunConfig> run;
  if (run_command->parsed() || config_command->parsed()) {
    bool is_run = run_command->parsed();
    auto resolved = ingest::ResolveRunConfig(is_run ? run_line : config_line, app, is_run);
    if (!resolved.ok()) {
      std::fprintf(stderr, "crawl-ingest %s: %s\nRun with --help for more information.\n",
                   is_run ? "run" : "config", resolved.status().message().c_str());
      return ingest::kExitUsage;
    }
    if (!is_run) {
      std::fputs(ingest::RunConfigToYaml(*resolved).c_str(), stdout);
      return ingest::kExitOk;
    }
    run = std::move(resolved).value();
    log_level = run->log_level;
    log_file = run->log_file;
    quiet = run->quiet;
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

  if (run_command->parsed()) return ingest::RunCommand(*run, **logger);
  if (audit_command->parsed()) return ingest::AuditCommand(audit, **logger);
  if (state_command->parsed()) return ingest::StateCommand(state_tool, **logger);
  if (plan_command->parsed()) return ingest::PlanCommand(plan, **logger);
  if (map_command->parsed()) return ingest::MapCommand(map, **logger);
  if (reduce_command->parsed()) return ingest::ReduceCommand(reduce, **logger);
  if (repartition_command->parsed()) {
    return ingest::RepartitionCommand(repartition, **logger);
  }
  return ingest::kExitUsage;
}
