// `crawl-ingest repartition`: grows the partition count P of a sharded
// work directory between runs (doc/cluster.md, "Growing P"). Partition p of
// P holds the keys whose 64-bit hash falls in [p/P, (p+1)/P); with P' = kP
// it splits exactly into partitions kp … kp+k-1, so each new partition
// state is bulk-loaded (sorted SST files) from one old one, never from two.
//
// Holds the planner lock and every old partition's lock; refuses while the
// current run is unfinished (exit 75). The new states are built beside the
// old ones and swapped in by rename; the planner learns P' last. One
// repartition per process.
#ifndef INGEST_COMMANDS_REPARTITION_COMMAND_H_
#define INGEST_COMMANDS_REPARTITION_COMMAND_H_

#include <spdlog/logger.h>

#include <cstdint>
#include <string>

namespace CLI {
class App;
}  // namespace CLI

namespace ingest {

struct RepartitionConfig {
  std::string work_dir = "./work";
  uint32_t partitions = 0;  // the new P: a multiple of the current one
};

CLI::App* AddRepartitionCommand(CLI::App& app, RepartitionConfig* config);
int RepartitionCommand(const RepartitionConfig& config, spdlog::logger& log);

}  // namespace ingest

#endif  // INGEST_COMMANDS_REPARTITION_COMMAND_H_
