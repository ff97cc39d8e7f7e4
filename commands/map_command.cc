#include "commands/map_command.h"

#include <CLI/CLI.hpp>


#include "commands/exit_codes.h"
#include "commands/shard_common.h"
#include "pipeline/cpu_count.h"
#include "pipeline/run_state.h"
#include "pipeline/runner.h"
#include "pipeline/test_hooks.h"
#include "stages/dedup/state_db.h"
#include "stages/emit/chunk_file.h"
#include "stages/emit/output_recovery.h"
#include "stages/emit/render_stage.h"
#include "stages/parse/parse_stage.h"
#include "stages/read/read_stage.h"
#include "stages/shuffle/spill_stage.h"
#include "stages/verify/verify_stage.h"

namespace ingest {

namespace {

// The task's share of the manifest, in manifest order, streamed.
class ManifestSource : public ArticleSource {
 public:
  ManifestSource(ManifestReader* reader, uint64_t begin, uint64_t end)
      : reader_(reader), next_(begin), end_(end) {}
  Result<bool> Next(Article* article) override {
    if (next_ == end_) return false;
    INGEST_ASSIGN_OR_RETURN(bool more, reader_->Next(&entry_));
    if (!more) return Status::Corruption("map: manifest shorter than its plan");
    article->source = std::move(entry_.source);
    article->path = std::move(entry_.path);
    article->file_index = next_;
    if (entry_.reason != QuarantineReason::kNone) {
      article->Quarantine(entry_.reason, std::move(entry_.detail));
    }
    ++next_;
    return true;
  }

 private:
  ManifestReader* const reader_;
  ManifestEntry entry_;
  uint64_t next_, end_;
};

// A map task is all or nothing (its marker is its commit), so the runner's
// commit points have nothing durable to do.
class NoDurableState : public DurableState {
 public:
  class Nothing : public StateTransaction {
   public:
    void Put(std::string_view, std::string_view) override {}
    void Delete(std::string_view) override {}
  };
  std::unique_ptr<StateTransaction> NewTransaction() override {
    return std::make_unique<Nothing>();
  }
  Status Commit(StateTransaction&) override { return Status::OK(); }
};

}  // namespace

CLI::App* AddMapCommand(CLI::App& app, MapConfig* config) {
  CLI::App* map = app.add_subcommand(
      "map", "Sharded runs: parse, verify and partition one map task's share of a run");
  map->add_option("--work", config->work_dir, "work directory (as given to plan)")
      ->capture_default_str();
  map->add_option("--run", config->run_id, "run id (default: the current run)");
  map->add_option("--task", config->task,
                  "task index (default: SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX "
                  "or AWS_BATCH_JOB_ARRAY_INDEX)")
      ->check(CLI::Range(int64_t{0}, int64_t{0xFFFFFFFF}));
  map->add_option("--threads", config->threads, "worker threads (default: the CPUs this process may use)")
      ->check(CLI::Range(1, 1024));
  return map;
}

int MapCommand(const MapConfig& config, spdlog::logger& log) {
  auto started = std::chrono::steady_clock::now();
  Result<uint32_t> task = ResolveTaskIndex(config.task);
  if (!task.ok()) return ReportFailure(log, task.status());
  WorkLayout layout(config.work_dir);
  Result<RunPlan> loaded = LoadRunPlan(layout, config.run_id);
  if (!loaded.ok()) return ReportFailure(log, loaded.status());
  const RunPlan& plan = *loaded;
  if (*task >= plan.maps) {
    return ReportFailure(log, Status::InvalidArgument(fmt::format(
                         "map: task {} out of range: run {} has {} map tasks", *task,
                         plan.run_id, plan.maps)));
  }
  if (PathExists(layout.map_marker(plan.run_id, *task))) {
    log.info("map: task {} of run {} is already done", *task, plan.run_id);
    return kExitOk;
  }
  // Two attempts of one task (a requeue racing a straggler) would write
  // the same temp files: the second one waits its turn by failing busy.
  Result<std::unique_ptr<DirectoryLock>> lock =
      DirectoryLock::Acquire(layout.spill_file(plan.run_id, *task) + ".lock");
  if (!lock.ok()) return ReportFailure(log, lock.status());
  if (PathExists(layout.map_marker(plan.run_id, *task))) return kExitOk;
  Status created = CreateOutputDirectories(plan.out_dir);
  if (!created.ok()) return ReportFailure(log, created);

  uint64_t begin = 0, end = 0;
  plan.MapShare(*task, &begin, &end);
  int workers = ThreadsOrUsableCpus(config.threads);
  log.info("map started run_id={} task={} of={} files={}..{} partitions={} threads={}",
           plan.run_id, *task, plan.maps, begin, end, plan.partitions, workers);

  RunSummary summary;
  summary.run_id = MapOutputName(plan.run_id, *task);
  SpillWriter spill(layout.spill_file(plan.run_id, *task), plan.partitions);
  ChunkFile quarantine(plan.out_dir + "/quarantine/" + MapOutputName(plan.run_id, *task) +
                       ".ndjson");
  ReadStage read(ReadOptions{plan.max_file_size});
  ParseStage parse(ParseOptions{plan.default_offset_minutes});
  VerifyStage verify;
  RenderStage render(RenderOptions{plan.schema});
  SpillStage spill_stage(begin, &spill, &quarantine, &summary, &log);
  NoDurableState nothing;
  RunState run_state;
  RunnerOptions options;
  options.workers = workers;
  Runner runner({&read, &parse, &verify, &render, &spill_stage}, &nothing, options,
                &run_state, &log);
  Result<std::unique_ptr<ManifestReader>> reader = ManifestReader::Open(
      layout.manifest_file(plan.run_id), layout.manifest_index(plan.run_id), begin);
  if (!reader.ok()) return ReportFailure(log, reader.status());
  ManifestSource source(reader->get(), begin, end);
  Status status = runner.Run(source);
  if (status.ok()) status = spill.Finish();
  if (status.ok()) status = quarantine.Seal();
  if (status.ok() && !quarantine.empty()) status = quarantine.Publish();
  summary.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  summary.finished_at = FormatUtcTime(std::chrono::system_clock::now(), false);
  if (status.ok()) {
    status = WriteFileAtomically(layout.map_summary(plan.run_id, *task), summary.ToJson());
  }
  if (!status.ok()) return ReportFailure(log, status);
  TestHook("map.before_marker");
  status = WriteFileAtomically(layout.map_marker(plan.run_id, *task), "done\n");
  if (!status.ok()) return ReportFailure(log, status);
  log.info("map finished run_id={} task={} files={} quarantined={} bytes_read={} seconds={:.3f}",
           plan.run_id, *task, summary.files, summary.quarantined_total(), summary.bytes_read,
           summary.seconds);
  return kExitOk;
}

}  // namespace ingest
