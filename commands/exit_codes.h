// The process exit codes of every crawl-ingest command, in one place so the
// README, the CLI and the tests agree.
#ifndef INGEST_COMMANDS_EXIT_CODES_H_
#define INGEST_COMMANDS_EXIT_CODES_H_

#include <spdlog/logger.h>

#include "pipeline/status.h"

namespace ingest {

inline constexpr int kExitOk = 0;           // the run finished
inline constexpr int kExitFailure = 1;      // a fatal error (message names path and cause)
inline constexpr int kExitUsage = 2;        // bad usage or option
inline constexpr int kExitStateBusy = 75;   // EX_TEMPFAIL: state held by another process
inline constexpr int kExitInterrupted = 130;  // SIGINT, stopped at a chunk boundary
inline constexpr int kExitTerminated = 143;   // SIGTERM, stopped at a chunk boundary

// The exit code of a command that stops on `status`: kExitStateBusy when
// another process holds the state, kExitUsage for an invalid argument,
// kExitFailure otherwise.
inline int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kBusy:
      return kExitStateBusy;
    case StatusCode::kInvalidArgument:
      return kExitUsage;
    default:
      return kExitFailure;
  }
}

// Logs `status` as the command's error and returns ExitCodeFor(status).
inline int ReportFailure(spdlog::logger& log, const Status& status) {
  log.error("{}", status.message());
  return ExitCodeFor(status);
}

}  // namespace ingest

#endif  // INGEST_COMMANDS_EXIT_CODES_H_
