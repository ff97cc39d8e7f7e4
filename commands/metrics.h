// Prometheus metrics of runs for cron monitoring, written to one file in the
// text exposition format that node_exporter's textfile collector reads
// (doc/metrics.md). Counters are totals over all runs that wrote the file:
// each run reads the previous file, adds its own figures and replaces the
// file atomically (temp file, fsync, rename) while holding a lock on its
// directory, so concurrent writers never lose an update and the collector
// never reads half a file. Gauges describe the last run; the timestamp of
// the last successful run survives failed runs.
//
// Functions are thread-safe (no shared state); writers in several
// processes serialise on the directory lock.
#ifndef INGEST_COMMANDS_METRICS_H_
#define INGEST_COMMANDS_METRICS_H_

#include <map>
#include <string>
#include <string_view>

#include "pipeline/status.h"
#include "stages/emit/run_summary.h"

namespace ingest {

// Series ("name{labels}") → value of an exposition text; comments and
// malformed lines are ignored.
std::map<std::string, double> ParseMetricSamples(std::string_view text);

// The exposition text after a run: `previous` (ParseMetricSamples of the
// last file) plus `summary`; `now_seconds` is the Unix time of the run's
// end. summary.status is "ok", "stopped" or "failed".
std::string RenderRunMetrics(const std::map<std::string, double>& previous,
                             const RunSummary& summary, double now_seconds);

// Reads `path` (if it exists), renders and replaces it atomically.
Status WriteRunMetrics(const std::string& path, const RunSummary& summary,
                       double now_seconds);

}  // namespace ingest

#endif  // INGEST_COMMANDS_METRICS_H_
