// `crawl-ingest plan`: freezes the next run of a sharded ingest
// (doc/cluster.md): walks the inputs, keeps the files no earlier run
// processed (or that changed since), and writes the run's plan: options,
// task counts and the manifest that gives every file its stable position.
// Prints the new run id on stdout (nothing when there is nothing new).
//
// Runs are fenced: while the previous run is unfinished, plan refuses
// (exit 75) so run R+1 never overlaps run R. Holds the planner lock
// (WORK/plan-state) while it works. One plan per process.
#ifndef INGEST_COMMANDS_PLAN_COMMAND_H_
#define INGEST_COMMANDS_PLAN_COMMAND_H_

#include <spdlog/logger.h>

#include <cstdint>
#include <string>
#include <vector>

namespace CLI {
class App;
}  // namespace CLI

namespace ingest {

struct PlanConfig {
  std::vector<std::string> inputs;
  std::string work_dir = "./work";
  std::string out_dir = "./out";
  uint32_t maps = 1;
  uint32_t partitions = 0;  // 0: what the work directory was created with, else 1
  std::string revisions = "skip";
  std::string tz = "+09:00";
  uint64_t max_file_size = 64ull << 20;
  uint64_t chunk_records = 100000;
  std::string compress = "none";
  int compression_level = 0;
  std::string schema = "native";
  bool rescan = false;
};

CLI::App* AddPlanCommand(CLI::App& app, PlanConfig* config);
int PlanCommand(const PlanConfig& config, spdlog::logger& log);

}  // namespace ingest

#endif  // INGEST_COMMANDS_PLAN_COMMAND_H_
