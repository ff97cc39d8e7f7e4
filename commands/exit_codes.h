// The process exit codes of every crawl-ingest command, in one place so the
// README, the CLI and the tests agree.
#ifndef INGEST_COMMANDS_EXIT_CODES_H_
#define INGEST_COMMANDS_EXIT_CODES_H_

namespace ingest {

inline constexpr int kExitOk = 0;           // the run finished
inline constexpr int kExitFailure = 1;      // a fatal error (message names path and cause)
inline constexpr int kExitUsage = 2;        // bad usage or option
inline constexpr int kExitStateBusy = 75;   // EX_TEMPFAIL: state held by another process
inline constexpr int kExitInterrupted = 130;  // SIGINT, stopped at a chunk boundary
inline constexpr int kExitTerminated = 143;   // SIGTERM, stopped at a chunk boundary

}  // namespace ingest

#endif  // INGEST_COMMANDS_EXIT_CODES_H_
