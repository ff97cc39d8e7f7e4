// `crawl-ingest map`: one map task of a sharded run (doc/cluster.md).
// Reads, parses and verifies its contiguous share of the run's manifest on
// the usual stages, writes quarantine records for its share to
// OUT/quarantine/<run>-m<task>.ndjson, and partitions every verified
// article by its key into one spill file with a per-partition index.
// Publishes spill, quarantine and summary atomically, then the completion
// marker; a task with a marker is a no-op, and a retried task rewrites
// identical files. The task index comes from --task or the array
// environment (SLURM_ARRAY_TASK_ID, …). One task per process.
#ifndef INGEST_COMMANDS_MAP_COMMAND_H_
#define INGEST_COMMANDS_MAP_COMMAND_H_

#include <spdlog/logger.h>

#include <cstdint>
#include <string>

namespace CLI {
class App;
}  // namespace CLI

namespace ingest {

struct MapConfig {
  std::string work_dir = "./work";
  std::string run_id;   // empty: the work directory's current run
  int64_t task = -1;    // -1: from the environment
  int threads = 0;      // 0: every CPU this process may use (pipeline/cpu_count.h)
};

CLI::App* AddMapCommand(CLI::App& app, MapConfig* config);
int MapCommand(const MapConfig& config, spdlog::logger& log);

}  // namespace ingest

#endif  // INGEST_COMMANDS_MAP_COMMAND_H_
