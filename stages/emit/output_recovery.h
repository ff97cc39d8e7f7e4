// Start-up half of the commit protocol (doc/commit_protocol.md): makes an
// output directory ready for a run and finishes whatever a killed run left.
// A chunk whose manifest entry is committed is renamed into place (roll
// forward); any other temp file is uncommitted work and is deleted (roll
// back). Call it once, holding the state's and the output's locks.
#ifndef INGEST_STAGES_EMIT_OUTPUT_RECOVERY_H_
#define INGEST_STAGES_EMIT_OUTPUT_RECOVERY_H_

#include <spdlog/logger.h>

#include <cstdint>
#include <string>

#include "pipeline/status.h"
#include "stages/dedup/state_db.h"

namespace ingest {

struct RecoveryReport {
  uint64_t rolled_forward = 0;  // committed chunks renamed into place
  uint64_t rolled_back = 0;     // uncommitted temp files deleted
};

// Creates OUT/{articles,quarantine,duplicates,runs} when missing.
Status CreateOutputDirectories(const std::string& out_dir);

Result<RecoveryReport> RecoverOutput(const std::string& out_dir, StateDb* state,
                                     spdlog::logger* log);

}  // namespace ingest

#endif  // INGEST_STAGES_EMIT_OUTPUT_RECOVERY_H_
