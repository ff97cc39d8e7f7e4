#include "commands/shard_common.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "stages/emit/chunk_file.h"
#include "stages/shuffle/task_summary.h"

namespace ingest {

Result<uint32_t> ResolveTaskIndex(int64_t option) {
  if (option >= 0) return static_cast<uint32_t>(option);
  for (const char* name :
       {"SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX"}) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') continue;
    char* end = nullptr;
    errno = 0;
    unsigned long long parsed = std::strtoull(value, &end, 10);
    if (errno != 0 || *end != '\0' || parsed > 0xFFFFFFFFull) {
      return Status::InvalidArgument(
          fmt::format("task index: {}='{}' is not a task index", name, value));
    }
    return static_cast<uint32_t>(parsed);
  }
  return Status::InvalidArgument(
      "task index: give --task, or run as an array task (SLURM_ARRAY_TASK_ID, "
      "JOB_COMPLETION_INDEX or AWS_BATCH_JOB_ARRAY_INDEX)");
}

bool PathExists(const std::string& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0;
}

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::FromErrno("read", path, errno);
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) return Status::IOError("read: " + path);
  return contents.str();
}

std::string CurrentRunFile(const WorkLayout& layout) {
  return layout.dir() + "/CURRENT";
}

Result<RunPlan> LoadRunPlan(const WorkLayout& layout, std::string run_id) {
  if (run_id.empty()) {
    Result<std::string> current = ReadWholeFile(CurrentRunFile(layout));
    if (!current.ok()) {
      return Status::NotFound("no current run in " + layout.dir() + " (run plan first)");
    }
    run_id = *current;
    while (!run_id.empty() && run_id.back() == '\n') run_id.pop_back();
  }
  std::string path = layout.plan_file(run_id);
  Result<std::string> encoded = ReadWholeFile(path);
  if (!encoded.ok()) return Status::NotFound("no plan for run " + run_id + ": " + path);
  Result<RunPlan> plan = RunPlan::Decode(*encoded);
  if (!plan.ok()) return Status::Corruption(plan.status().message() + ": " + path);
  return plan;
}

std::string FormatUtcTime(std::chrono::system_clock::time_point time, bool compact) {
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(
                    time.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return compact ? fmt::format("{:%Y%m%dT%H%M%S}.{:03d}Z", utc, millis % 1000)
                 : fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z", utc, millis % 1000);
}

Status FinishRunIfComplete(const WorkLayout& layout, const RunPlan& plan,
                           spdlog::logger& log, bool* finished) {
  *finished = PathExists(layout.finished_marker(plan.run_id));
  if (*finished) return Status::OK();
  std::vector<RunSummary> maps, reduces;
  for (uint32_t task = 0; task < plan.maps; ++task) {
    if (!PathExists(layout.map_marker(plan.run_id, task))) return Status::OK();
  }
  for (uint32_t partition = 0; partition < plan.partitions; ++partition) {
    if (!PathExists(layout.reduce_marker(plan.run_id, partition))) return Status::OK();
  }
  for (uint32_t task = 0; task < plan.maps; ++task) {
    INGEST_ASSIGN_OR_RETURN(std::string json, ReadWholeFile(layout.map_summary(plan.run_id, task)));
    INGEST_ASSIGN_OR_RETURN(RunSummary summary, ParseRunSummary(json));
    maps.push_back(std::move(summary));
  }
  for (uint32_t partition = 0; partition < plan.partitions; ++partition) {
    INGEST_ASSIGN_OR_RETURN(std::string json,
                            ReadWholeFile(layout.reduce_summary(plan.run_id, partition)));
    INGEST_ASSIGN_OR_RETURN(RunSummary summary, ParseRunSummary(json));
    reduces.push_back(std::move(summary));
  }
  RunSummary merged = MergeTaskSummaries(maps, reduces);
  merged.run_id = plan.run_id;
  merged.status = "ok";
  merged.started_at = plan.started_at;
  auto now = std::chrono::system_clock::now();
  merged.finished_at = FormatUtcTime(now, /*compact=*/false);
  merged.inputs = plan.inputs;
  merged.skipped = plan.skipped;
  merged.unchanged = plan.unchanged;
  // The longest task: the run's critical path when every task got a slot.
  double seconds = 0;
  for (const RunSummary& task : maps) seconds = std::max(seconds, task.seconds);
  for (const RunSummary& task : reduces) seconds = std::max(seconds, task.seconds);
  merged.seconds = seconds;
  INGEST_RETURN_IF_ERROR(WriteFileAtomically(
      plan.out_dir + "/runs/" + plan.run_id + ".json", merged.ToJson()));
  INGEST_RETURN_IF_ERROR(WriteFileAtomically(layout.finished_marker(plan.run_id), "done\n"));
  // Every reduce has its marker, so no task will read the spills again;
  // at scale they are as large as the input.
  for (uint32_t task = 0; task < plan.maps; ++task) {
    std::string spill = layout.spill_file(plan.run_id, task);
    if (unlink(spill.c_str()) != 0 && errno != ENOENT) {
      log.warn("cannot remove spill path={} error={}", spill, std::strerror(errno));
    }
  }
  log.info("{}", merged.ToLogLine());
  *finished = true;
  return Status::OK();
}

}  // namespace ingest
