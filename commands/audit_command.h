// `crawl-ingest audit`: the composition root of an integrity audit
// (doc/audit.md). Checks article files with the run's own read, parse and
// verify stages on the same Runner, checks NDJSON files the pipeline wrote
// with simdjson, and with --state and --out cross-checks OUT/articles
// against the state's dedup index. Writes one NDJSON problem record per
// problem (stdout, or --report FILE) and a summary line on stderr; changes
// nothing else on disk: the state is opened read-only and never locked.
//
// Returns the exit code: 0 clean, 1 problems found, 2 bad usage or the
// audit could not be carried out (the message says why). One audit per
// process.
#ifndef INGEST_COMMANDS_AUDIT_COMMAND_H_
#define INGEST_COMMANDS_AUDIT_COMMAND_H_

#include <spdlog/logger.h>

#include <cstdint>
#include <string>
#include <vector>

namespace CLI {
class App;
}  // namespace CLI

namespace ingest {

struct AuditConfig {
  std::vector<std::string> inputs;  // article files, NDJSON files, directories
  std::string state_dir;            // with out_dir: the cross-check
  std::string out_dir;
  std::string report_path;          // empty: problem records to stdout
  int threads = 0;                  // 0: every CPU this process may use (pipeline/cpu_count.h)
  uint64_t max_file_size = 64ull << 20;  // as run's --max-file-size
  std::vector<std::string> include;      // as run's --include / --exclude
  std::vector<std::string> exclude;
};

// Exit codes of the audit (the rest of crawl-ingest: commands/exit_codes.h).
inline constexpr int kAuditClean = 0;
inline constexpr int kAuditProblemsFound = 1;
inline constexpr int kAuditCannotRun = 2;  // bad usage, or could not audit

int AuditCommand(const AuditConfig& config, spdlog::logger& log);

// Registers the `audit` subcommand and its options on `app`, filling
// *config when parsed. `*config` must outlive `app`.
CLI::App* AddAuditCommand(CLI::App& app, AuditConfig* config);

}  // namespace ingest

#endif  // INGEST_COMMANDS_AUDIT_COMMAND_H_
