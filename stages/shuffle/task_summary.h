// Summaries of a sharded run: each map and reduce task writes the usual
// RunSummary JSON for its share (stages/emit/run_summary.h); the run's
// summary is their merge. Pure functions; thread-safe.
#ifndef INGEST_STAGES_SHUFFLE_TASK_SUMMARY_H_
#define INGEST_STAGES_SHUFFLE_TASK_SUMMARY_H_

#include <string_view>
#include <vector>

#include "pipeline/status.h"
#include "stages/emit/run_summary.h"

namespace ingest {

// Reads back the counters of a RunSummary::ToJson() document (identity,
// times and inputs included). Corruption when it is not one.
Result<RunSummary> ParseRunSummary(std::string_view json);

// The run's figures from its tasks': quarantine and bytes read come from
// the maps, emitted, duplicates and revisions from the reduces; `files` is
// their sum, as on one machine.
RunSummary MergeTaskSummaries(const std::vector<RunSummary>& maps,
                              const std::vector<RunSummary>& reduces);

}  // namespace ingest

#endif  // INGEST_STAGES_SHUFFLE_TASK_SUMMARY_H_
