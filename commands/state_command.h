// `crawl-ingest state …`: tools over a state directory (doc/audit.md):
//   stats    figures of the state (keys, versions, runs, files indexed, size)
//   get      one dedup entry as JSON
//   export   the whole dedup index as NDJSON
//   rebuild  recreates a lost state's dedup index from OUT/articles
// stats, get and export open the state read-only, take no lock and work
// while a run holds it; rebuild takes the state's lock like a run. Data go
// to stdout, messages to stderr. Returns the exit code (commands/
// exit_codes.h): 0 done, 1 failed (or get found nothing, or rebuild found
// problems in the output), 2 bad usage, 75 the state is held (rebuild).
#ifndef INGEST_COMMANDS_STATE_COMMAND_H_
#define INGEST_COMMANDS_STATE_COMMAND_H_

#include <spdlog/logger.h>

#include <string>
#include <vector>

namespace CLI {
class App;
}  // namespace CLI

namespace ingest {

struct StateToolConfig {
  std::string tool;                // stats | get | export | rebuild
  std::string state_dir = "./state";
  std::string key;                 // get: OID_AID
  std::vector<std::string> from;   // rebuild: OUT/articles (directories or files)
  int threads = 0;                 // rebuild: 0 = every CPU this process may use
};

int StateCommand(const StateToolConfig& config, spdlog::logger& log);

// Registers `state` and its four tools on `app`, filling *config when
// parsed (config->tool names the tool). `*config` must outlive `app`.
CLI::App* AddStateCommand(CLI::App& app, StateToolConfig* config);

}  // namespace ingest

#endif  // INGEST_COMMANDS_STATE_COMMAND_H_
