#include "commands/reduce_command.h"

#include <dirent.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "commands/exit_codes.h"
#include "commands/shard_common.h"
#include "pipeline/run_state.h"
#include "pipeline/runner.h"
#include "pipeline/test_hooks.h"
#include "stages/dedup/dedup_stage.h"
#include "stages/dedup/state_db.h"
#include "stages/emit/chunk_file.h"
#include "stages/emit/emit_stage.h"
#include "stages/emit/output_recovery.h"
#include "stages/shuffle/merge_source.h"

namespace ingest {

namespace {

// The start-up half of the commit protocol, scoped to one partition:
// chunks whose manifest entry this partition's state committed are rolled
// forward; this task's own leftover temp files are deleted. Other
// partitions write into the same folders at the same time, so it touches
// nothing else (unlike RecoverOutput, which owns the whole output).
Status RecoverPartitionOutput(const std::string& out_dir, const std::string& name_prefix,
                              StateDb* state, spdlog::logger& log) {
  std::vector<std::pair<std::string, std::string>> committed;
  INGEST_RETURN_IF_ERROR(state->Scan(
      kChunkManifestPrefix, [&](std::string_view key, std::string_view value) {
        committed.emplace_back(std::string(key), std::string(value));
        return true;
      }));
  auto transaction = state->NewTransaction();
  for (const auto& [key, temp_path] : committed) {
    std::string final_path = key.substr(kChunkManifestPrefix.size());
    if (PathExists(temp_path)) {
      if (std::rename(temp_path.c_str(), final_path.c_str()) != 0) {
        return Status::FromErrno("reduce: recover: rename", temp_path, errno);
      }
      INGEST_RETURN_IF_ERROR(
          SyncDirectory(std::filesystem::path(final_path).parent_path().string()));
      log.info("recovered committed chunk path={}", final_path);
    }
    transaction->Delete(key);
  }
  INGEST_RETURN_IF_ERROR(state->Commit(*transaction));
  std::string temp_prefix = "." + name_prefix + "-";
  for (const char* folder : {"articles", "duplicates"}) {
    std::string directory = out_dir + "/" + folder;
    DIR* dir = opendir(directory.c_str());
    if (dir == nullptr) return Status::FromErrno("reduce: recover: opendir", directory, errno);
    std::vector<std::string> leftovers;
    while (struct dirent* entry = readdir(dir)) {
      std::string_view name(entry->d_name);
      if (name.substr(0, temp_prefix.size()) == temp_prefix && name.size() > 4 &&
          name.substr(name.size() - 4) == ".tmp") {
        leftovers.push_back(directory + "/" + std::string(name));
      }
    }
    closedir(dir);
    for (const std::string& path : leftovers) {
      if (unlink(path.c_str()) != 0 && errno != ENOENT) {
        return Status::FromErrno("reduce: recover: unlink", path, errno);
      }
      log.info("discarded uncommitted temp file path={}", path);
    }
  }
  return Status::OK();
}

}  // namespace

CLI::App* AddReduceCommand(CLI::App& app, ReduceConfig* config) {
  CLI::App* reduce = app.add_subcommand(
      "reduce", "Sharded runs: dedup and emit one partition of a run");
  reduce->add_option("--work", config->work_dir, "work directory (as given to plan)")
      ->capture_default_str();
  reduce->add_option("--run", config->run_id, "run id (default: the current run)");
  reduce->add_option("--task", config->task,
                     "partition index (default: SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX "
                     "or AWS_BATCH_JOB_ARRAY_INDEX)")
      ->check(CLI::Range(int64_t{0}, int64_t{0xFFFFFFFF}));
  return reduce;
}

int ReduceCommand(const ReduceConfig& config, spdlog::logger& log) {
  auto started = std::chrono::steady_clock::now();
  Result<uint32_t> task = ResolveTaskIndex(config.task);
  if (!task.ok()) return ReportFailure(log, task.status());
  uint32_t partition = *task;
  WorkLayout layout(config.work_dir);
  Result<RunPlan> loaded = LoadRunPlan(layout, config.run_id);
  if (!loaded.ok()) return ReportFailure(log, loaded.status());
  const RunPlan& plan = *loaded;
  const std::string& run = plan.run_id;
  if (partition >= plan.partitions) {
    return ReportFailure(log, Status::InvalidArgument(fmt::format(
                         "reduce: partition {} out of range: run {} has {} partitions",
                         partition, run, plan.partitions)));
  }
  bool finished = false;
  if (PathExists(layout.reduce_marker(run, partition))) {
    log.info("reduce: partition {} of run {} is already done", partition, run);
    Status status = FinishRunIfComplete(layout, plan, log, &finished);
    return status.ok() ? kExitOk : ReportFailure(log, status);
  }
  std::vector<std::string> spills;
  for (uint32_t map = 0; map < plan.maps; ++map) {
    if (!PathExists(layout.map_marker(run, map))) {
      return ReportFailure(log, Status::NotFound(fmt::format(
                           "reduce: map task {} of run {} is not done ({} is missing)", map,
                           run, layout.map_marker(run, map))));
    }
    spills.push_back(layout.spill_file(run, map));
  }

  std::error_code error;
  std::filesystem::create_directories(layout.partition_state(partition), error);
  Result<std::unique_ptr<StateDb>> opened = StateDb::Open(layout.partition_state(partition), {});
  if (!opened.ok()) return ReportFailure(log, opened.status());
  std::unique_ptr<StateDb> state = std::move(opened).value();
  TestHook("reduce.locked");

  // The fence: a partition moves forward through runs, never back.
  Result<std::optional<std::string>> last = state->Get(kPartitionLastRunKey);
  if (!last.ok()) return ReportFailure(log, last.status());
  if (*last && **last > run) {
    return ReportFailure(log, Status::InvalidArgument(fmt::format(
                         "reduce: partition {} already ran run {}; run {} is stale", partition,
                         **last, run)));
  }
  if (!*last || **last != run) {
    auto transaction = state->NewTransaction();
    transaction->Put(kPartitionLastRunKey, run);
    Status committed = state->Commit(*transaction);
    if (!committed.ok()) return ReportFailure(log, committed);
  }
  std::string name = ReduceRunName(run, partition);
  Status status = CreateOutputDirectories(plan.out_dir);
  if (status.ok()) status = RecoverPartitionOutput(plan.out_dir, name, state.get(), log);
  if (!status.ok()) return ReportFailure(log, status);

  Result<std::unique_ptr<MergeSource>> merged = MergeSource::Open(spills, partition);
  if (!merged.ok()) return ReportFailure(log, merged.status());
  log.info("reduce started run_id={} partition={} of={} maps={} records={}", run, partition,
           plan.partitions, plan.maps, (*merged)->total_records());

  RunSummary summary;
  summary.run_id = name;
  DedupOptions dedup_options{plan.emit_revisions, run};
  dedup_options.claimants = true;
  DedupStage dedup(state.get(), dedup_options);
  EmitOptions emit_options;
  emit_options.out_dir = plan.out_dir;
  emit_options.run_id = name;
  emit_options.chunk_records = plan.chunk_records;
  emit_options.compression = plan.compression;
  emit_options.compression_level = plan.compression_level;
  emit_options.schema = plan.schema;
  EmitStage emit(emit_options, &summary, &log);
  RunState run_state;
  RunnerOptions options;
  options.workers = 1;  // no parallel stage: the merge and the serial end
  // Chunks close at batch boundaries; batches are cut the same way on every
  // attempt, so a retry closes the same chunks.
  options.batch_size = static_cast<size_t>(std::min<uint64_t>(256, plan.chunk_records));
  Runner runner({&dedup, &emit}, state.get(), options, &run_state, &log);
  status = runner.Run(**merged);
  if (status.ok()) status = state->FlushMemtables();
  summary.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  summary.finished_at = FormatUtcTime(std::chrono::system_clock::now(), false);
  if (status.ok()) {
    status = WriteFileAtomically(layout.reduce_summary(run, partition), summary.ToJson());
  }
  if (!status.ok()) return ReportFailure(log, status);
  TestHook("reduce.before_marker");
  status = WriteFileAtomically(layout.reduce_marker(run, partition), "done\n");
  if (status.ok()) status = FinishRunIfComplete(layout, plan, log, &finished);
  if (!status.ok()) return ReportFailure(log, status);
  log.info("reduce finished run_id={} partition={} emitted={} duplicates={} revisions={} "
           "seconds={:.3f}",
           run, partition, summary.emitted, summary.duplicates, summary.revisions,
           summary.seconds);
  return kExitOk;
}

}  // namespace ingest
