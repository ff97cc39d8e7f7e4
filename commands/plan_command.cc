#include "commands/plan_command.h"

#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>

#include "commands/exit_codes.h"
#include "commands/shard_common.h"
#include "stages/dedup/state_db.h"
#include "stages/emit/chunk_file.h"
#include "stages/emit/ndjson_writer.h"
#include "pipeline/test_hooks.h"
#include "stages/parse/dates.h"
#include "stages/read/file_index.h"
#include "stages/read/file_walker.h"

namespace ingest {

namespace {

FileStamp StampOf(const struct stat& info) {
  return FileStamp{static_cast<uint64_t>(info.st_size),
                   static_cast<int64_t>(info.st_mtim.tv_sec) * 1000000000 +
                       info.st_mtim.tv_nsec};
}

// A run id later than every earlier one of this work directory (names of
// output files sort by run), even when the clock stepped back.
Result<std::pair<std::string, int64_t>> NextRunId(StateDb* state) {
  int64_t millis = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  INGEST_ASSIGN_OR_RETURN(std::optional<std::string> last, state->Get(kLastRunMillisKey));
  if (last) millis = std::max<int64_t>(millis, std::strtoll(last->c_str(), nullptr, 10) + 1);
  return std::make_pair(
      FormatUtcTime(std::chrono::system_clock::time_point(std::chrono::milliseconds(millis)),
                    /*compact=*/true),
      millis);
}

std::string PlanJson(const RunPlan& plan) {
  std::string out = "{\"run_id\":";
  AppendJsonString(plan.run_id, &out);
  out += fmt::format(",\"maps\":{},\"partitions\":{},\"files\":{},\"compress\":\"{}\","
                     "\"schema\":\"{}\",\"out\":",
                     plan.maps, plan.partitions, plan.files, CompressionName(plan.compression),
                     RecordSchemaName(plan.schema));
  AppendJsonString(plan.out_dir, &out);
  out += "}\n";
  return out;
}

// Finishes the planning of `run`: every file of its manifest goes into the
// file index (so no later run plans it again), in batches that bound
// memory; the last batch makes the run current. Idempotent.
Status RollForwardPlan(StateDb* state, const WorkLayout& layout, const std::string& run) {
  INGEST_ASSIGN_OR_RETURN(std::unique_ptr<ManifestReader> reader,
                          ManifestReader::Open(layout.manifest_file(run),
                                               layout.manifest_index(run), 0));
  constexpr size_t kBatchEntries = 100000;
  auto transaction = state->NewTransaction();
  size_t in_batch = 0;
  ManifestEntry entry;
  for (;;) {
    INGEST_ASSIGN_OR_RETURN(bool more, reader->Next(&entry));
    if (!more) break;
    transaction->Put(FileIndexKey(entry.source), EncodeFileStamp(entry.stamp));
    if (++in_batch == kBatchEntries) {
      INGEST_RETURN_IF_ERROR(state->Commit(*transaction));
      transaction = state->NewTransaction();
      in_batch = 0;
    }
  }
  transaction->Put(kCurrentRunKey, run);
  transaction->Delete(kPlanningKey);
  INGEST_RETURN_IF_ERROR(state->Commit(*transaction));
  return WriteFileAtomically(CurrentRunFile(layout), run + "\n");
}

}  // namespace

CLI::App* AddPlanCommand(CLI::App& app, PlanConfig* config) {
  CLI::App* plan = app.add_subcommand(
      "plan", "Sharded runs: freeze the next run's manifest of new input files "
              "(prints the run id; nothing when nothing is new)");
  plan->add_option("INPUT", config->inputs,
                   "article files, or directories walked for *.txt files")
      ->required();
  plan->add_option("--work", config->work_dir,
                   "work directory shared by every task (plans, spills, partition states)")
      ->capture_default_str();
  plan->add_option("--out", config->out_dir, "output directory shared by every task")
      ->capture_default_str();
  plan->add_option("--maps", config->maps, "map tasks T")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  plan->add_option("--partitions", config->partitions,
                   "partitions P (fixed when the work directory is created)")
      ->check(CLI::Range(1, 1000000));
  plan->add_option("--revisions", config->revisions, "as for run")
      ->check(CLI::IsMember({"skip", "emit"}))
      ->capture_default_str();
  plan->add_option("--tz", config->tz, "as for run")->capture_default_str();
  plan->add_option("--max-file-size", config->max_file_size, "as for run")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  plan->add_option("--chunk-records", config->chunk_records, "as for run")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  plan->add_option("--compress", config->compress, "as for run: none, zstd or gzip")
      ->check(CLI::IsMember({"none", "zstd", "gzip"}))
      ->capture_default_str();
  plan->add_option("--compress-level", config->compression_level, "as for run")
      ->capture_default_str();
  plan->add_option("--schema", config->schema, "as for run: native or dolma")
      ->check(CLI::IsMember({"native", "dolma"}))
      ->capture_default_str();
  plan->add_flag("--rescan", config->rescan, "as for run: plan every file");
  return plan;
}

int PlanCommand(const PlanConfig& config, spdlog::logger& log) {
  auto started = std::chrono::system_clock::now();
  std::optional<int> offset = ParseUtcOffset(config.tz);
  if (!offset || config.tz == "Z" || config.tz == "z") {
    log.error("plan: --tz: '{}' is not an offset like +09:00", config.tz);
    return kExitUsage;
  }
  Result<Compression> compression = ParseCompression(config.compress);
  Result<RecordSchema> schema = ParseRecordSchema(config.schema);
  if (!compression.ok() || !schema.ok()) {
    log.error("plan: {}", (!compression.ok() ? compression.status() : schema.status()).message());
    return kExitUsage;
  }
  if (auto [low, high] = CompressionLevelRange(*compression);
      config.compression_level != 0 &&
      (config.compression_level < low || config.compression_level > high)) {
    log.error("plan: --compress-level {} is not a level of --compress {}",
              config.compression_level, config.compress);
    return kExitUsage;
  }
  for (const std::string& input : config.inputs) {
    struct stat info;
    if (stat(input.c_str(), &info) != 0) {
      log.error("plan: cannot read input: {}: {}", input, std::strerror(errno));
      return kExitFailure;
    }
  }
  std::error_code error;
  std::filesystem::create_directories(config.work_dir + "/runs", error);
  if (error) {
    log.error("plan: cannot create {}/runs: {}", config.work_dir, error.message());
    return kExitFailure;
  }
  WorkLayout layout(std::filesystem::absolute(config.work_dir).lexically_normal().string());
  Result<std::unique_ptr<StateDb>> opened = StateDb::Open(layout.planner_state(), {});
  if (!opened.ok()) return ReportFailure(log, opened.status());
  std::unique_ptr<StateDb> state = std::move(opened).value();

  Result<std::optional<std::string>> stored = state->Get(kPartitionsKey);
  if (!stored.ok()) return ReportFailure(log, stored.status());
  uint32_t partitions = config.partitions == 0 ? 1 : config.partitions;
  if (*stored) {
    auto existing = static_cast<uint32_t>(std::strtoul((*stored)->c_str(), nullptr, 10));
    if (config.partitions != 0 && config.partitions != existing) {
      log.error("plan: {} has {} partitions, not {} (to grow P see doc/cluster.md)",
                layout.dir(), existing, config.partitions);
      return kExitUsage;
    }
    partitions = existing;
  }

  // A plan cut short after it became durable is finished first.
  Result<std::optional<std::string>> planning = state->Get(kPlanningKey);
  if (!planning.ok()) return ReportFailure(log, planning.status());
  if (*planning) {
    log.info("plan: finishing the planning of run {}", **planning);
    Status rolled = RollForwardPlan(state.get(), layout, **planning);
    if (!rolled.ok()) return ReportFailure(log, rolled);
  }

  // The fence: run R+1 never starts while run R is unfinished.
  Result<std::optional<std::string>> current = state->Get(kCurrentRunKey);
  if (!current.ok()) return ReportFailure(log, current.status());
  if (*current) {
    Result<RunPlan> previous = LoadRunPlan(layout, **current);
    if (!previous.ok()) return ReportFailure(log, previous.status());
    bool finished = false;
    Status status = FinishRunIfComplete(layout, *previous, log, &finished);
    if (!status.ok()) return ReportFailure(log, status);
    if (!finished) {
      log.error("plan: run {} is unfinished; finish it first (re-run the driver, which "
                "resubmits its missing tasks)", **current);
      return kExitStateBusy;
    }
  }

  RunPlan plan;
  plan.maps = config.maps;
  plan.partitions = partitions;
  plan.emit_revisions = config.revisions == "emit";
  plan.default_offset_minutes = *offset;
  plan.max_file_size = config.max_file_size;
  plan.chunk_records = config.chunk_records;
  plan.compression = *compression;
  plan.compression_level = config.compression_level;
  plan.schema = *schema;
  plan.inputs = config.inputs;
  plan.started_at = FormatUtcTime(started, /*compact=*/false);
  std::string out_dir = std::filesystem::absolute(config.out_dir).lexically_normal().string();
  if (out_dir.size() > 1 && out_dir.back() == '/') out_dir.pop_back();
  plan.out_dir = out_dir;
  Result<std::pair<std::string, int64_t>> run_id = NextRunId(state.get());
  if (!run_id.ok()) return ReportFailure(log, run_id.status());
  plan.run_id = run_id->first;
  std::filesystem::create_directories(layout.run_dir(plan.run_id), error);
  if (error) {
    log.error("plan: cannot create {}: {}", layout.run_dir(plan.run_id), error.message());
    return kExitFailure;
  }

  // The manifest is streamed to disk as the walk goes: memory stays flat
  // whatever the number of files.
  ManifestWriter manifest(layout.manifest_file(plan.run_id),
                          layout.manifest_index(plan.run_id));
  std::unique_ptr<FileIndexCursor> index;
  if (!config.rescan) index = std::make_unique<FileIndexCursor>(state.get());
  FileWalker walker(config.inputs, index.get(), /*trust_names=*/false);
  Article article;
  for (;;) {
    article.Reset();
    Result<bool> next = walker.Next(&article);
    if (!next.ok()) return ReportFailure(log, next.status());
    if (!*next) break;
    ManifestEntry entry;
    entry.source = std::move(article.source);
    entry.path = std::move(article.path);
    if (article.outcome == Outcome::kQuarantined) {
      // The walk could not even use it (a broken symlink, a FIFO):
      // recorded now, reported by the map task that gets it.
      entry.reason = article.reason;
      entry.detail = std::move(article.detail);
      entry.stamp = FileStamp::Unreadable();
    } else {
      struct stat info;
      entry.stamp = stat(entry.path.c_str(), &info) == 0 && S_ISREG(info.st_mode)
                        ? StampOf(info)
                        : FileStamp::Unreadable();
      if (article.known_stamp && *article.known_stamp == entry.stamp &&
          !(entry.stamp == FileStamp::Unreadable())) {
        ++plan.unchanged;
        continue;
      }
    }
    Status added = manifest.Add(entry);
    if (!added.ok()) return ReportFailure(log, added);
  }
  plan.skipped = walker.skipped();
  plan.unchanged += walker.unchanged();
  plan.files = manifest.count();
  if (plan.files == 0) {
    std::filesystem::remove_all(layout.run_dir(plan.run_id), error);
    log.info("plan: nothing new in {} (unchanged={} skipped={})",
             fmt::join(config.inputs, ","), plan.unchanged, plan.skipped);
    return kExitOk;
  }

  // Durable plan first, then the state names it "planning", then the file
  // index learns the run's files in bounded batches, then the run becomes
  // current. A crash anywhere is rolled forward by the next plan.
  Status written = manifest.Finish();
  if (written.ok()) written = WriteFileAtomically(layout.plan_file(plan.run_id), plan.Encode());
  if (written.ok()) written = WriteFileAtomically(layout.plan_json(plan.run_id), PlanJson(plan));
  if (!written.ok()) return ReportFailure(log, written);
  auto transaction = state->NewTransaction();
  transaction->Put(kLastRunMillisKey, std::to_string(run_id->second));
  transaction->Put(kPartitionsKey, std::to_string(plan.partitions));
  transaction->Put(kPlanningKey, plan.run_id);
  Status committed = state->Commit(*transaction);
  TestHook("plan.planning");
  if (committed.ok()) committed = RollForwardPlan(state.get(), layout, plan.run_id);
  if (!committed.ok()) return ReportFailure(log, committed);
  log.info("plan: run {} files={} maps={} partitions={} unchanged={} skipped={} work={} out={}",
           plan.run_id, plan.files, plan.maps, plan.partitions, plan.unchanged,
           plan.skipped, layout.dir(), plan.out_dir);
  std::printf("%s\n", plan.run_id.c_str());
  std::fflush(stdout);
  return kExitOk;
}

}  // namespace ingest
