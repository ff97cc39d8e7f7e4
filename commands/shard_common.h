// Helpers shared by the sharded commands (plan, map, reduce; see
// doc/cluster.md): the task index from an option or the cluster engine's
// environment, loading a frozen run plan, and finishing a run (merging the
// task summaries into OUT/runs/<run>.json) once every task is done.
// Functions only; each call is independent. Thread-compatible.
#ifndef INGEST_COMMANDS_SHARD_COMMON_H_
#define INGEST_COMMANDS_SHARD_COMMON_H_

#include <spdlog/logger.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "pipeline/status.h"
#include "stages/shuffle/shuffle_format.h"

namespace ingest {

// Metadata keys of the planner state (WORK/planner): the partition count P
// fixed when the work directory was created, the run that is current, and
// a run whose plan is durable but whose files the index may not all know.
inline constexpr std::string_view kPartitionsKey = "m/partitions";
inline constexpr std::string_view kCurrentRunKey = "m/current_run";
inline constexpr std::string_view kPlanningKey = "m/planning_run";
// Of a partition's state: the last run a reduce task of it started.
inline constexpr std::string_view kPartitionLastRunKey = "m/last_run";

// `option` when >= 0; else the first of SLURM_ARRAY_TASK_ID,
// JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs), AWS_BATCH_JOB_ARRAY_INDEX
// that is set. InvalidArgument when none is, or one is not a number.
Result<uint32_t> ResolveTaskIndex(int64_t option);

// The run named by `run_id`, or the work directory's current run when it
// is empty (WORK/CURRENT, written by plan).
Result<RunPlan> LoadRunPlan(const WorkLayout& layout, std::string run_id);
std::string CurrentRunFile(const WorkLayout& layout);

bool PathExists(const std::string& path);
Result<std::string> ReadWholeFile(const std::string& path);
std::string FormatUtcTime(std::chrono::system_clock::time_point time, bool compact);

// When every map and reduce task of `plan` has its completion marker and
// the run is not yet finished: writes the merged summary to
// OUT/runs/<run>.json, then the run's FINISHED marker. Sets *finished to
// whether the run is finished now, and removes the run's spill files.
// Idempotent; safe to race (both writers write the same figures
// atomically).
Status FinishRunIfComplete(const WorkLayout& layout, const RunPlan& plan,
                           spdlog::logger& log, bool* finished);

}  // namespace ingest

#endif  // INGEST_COMMANDS_SHARD_COMMON_H_
