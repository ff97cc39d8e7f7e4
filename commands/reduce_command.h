// `crawl-ingest reduce`: one partition of a sharded run (doc/cluster.md).
// Merges the partition's records from every map spill in (file index,
// record index) order, dedups them against the partition's own persistent
// state (WORK/partitions/<p>) exactly as a single-machine run would, and
// emits articles and duplicate records through the usual chunk commit
// protocol as OUT/{articles,duplicates}/<run>-p<p>-<n>.ndjson.
//
// A killed task is simply run again: dedup entries name their claimant
// (run, file index, record index), so a replay of committed work makes the
// same decisions and rewrites identical chunks under the same names; the
// completion marker is written after the state is durable. The partition
// state is fenced: a task of run R refuses to run once the partition has
// seen a later run. One task per process; the partition state's lock
// keeps a second attempt of the same task out (exit 75).
#ifndef INGEST_COMMANDS_REDUCE_COMMAND_H_
#define INGEST_COMMANDS_REDUCE_COMMAND_H_

#include <spdlog/logger.h>

#include <cstdint>
#include <string>

namespace CLI {
class App;
}  // namespace CLI

namespace ingest {

struct ReduceConfig {
  std::string work_dir = "./work";
  std::string run_id;  // empty: the work directory's current run
  int64_t task = -1;   // the partition; -1: from the environment
};

CLI::App* AddReduceCommand(CLI::App& app, ReduceConfig* config);
int ReduceCommand(const ReduceConfig& config, spdlog::logger& log);

}  // namespace ingest

#endif  // INGEST_COMMANDS_REDUCE_COMMAND_H_
