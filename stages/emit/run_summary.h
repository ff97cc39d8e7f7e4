// RunSummary: the figures that close a run: what came in and what became
// of every input file (FORMAT.md §2), written as runs/<run_id>.json and as
// one line on stderr. A value type, filled by the serial emit stage and
// the run command; not thread-safe.
#ifndef INGEST_STAGES_EMIT_RUN_SUMMARY_H_
#define INGEST_STAGES_EMIT_RUN_SUMMARY_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/article.h"

namespace ingest {

struct RunSummary {
  std::string run_id;
  std::string started_at;   // RFC 3339, UTC
  std::string finished_at;  // RFC 3339, UTC
  std::string status = "ok";  // ok | stopped | failed
  std::vector<std::string> inputs;
  // How this run's article chunks are written, for whoever reads them.
  std::string schema = "native";     // native | dolma
  std::string compression = "none";  // none | zstd | gzip
  uint64_t files = 0;  // article files seen; equals the four outcomes' sum
  uint64_t emitted = 0;
  uint64_t duplicates = 0;
  uint64_t revisions = 0;
  std::array<uint64_t, kQuarantineReasonCount> quarantined{};
  uint64_t skipped = 0;
  uint64_t excluded = 0;   // article files left out by --include/--exclude
  uint64_t unchanged = 0;  // processed by an earlier run, not read again
  uint64_t bytes_read = 0;
  double seconds = 0;

  uint64_t quarantined_total() const;
  // Adds the counters of `other` (not its identity or times) to these.
  void Add(const RunSummary& other);
  // One JSON object; `quarantined` maps every reason code to its count.
  std::string ToJson() const;
  // "run finished run_id=… files=… emitted=…" for the log.
  std::string ToLogLine() const;
};

}  // namespace ingest

#endif  // INGEST_STAGES_EMIT_RUN_SUMMARY_H_
