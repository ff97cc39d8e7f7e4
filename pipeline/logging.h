// The run's one logger, "ingest", writing to stderr (stdout carries data
// only), plus a per-stage rate limit for warnings about rejected articles.
//
// MakeLogger is called once by the CLI; library code only receives the
// logger. WarnLimiter is used by one thread at a time.
#ifndef INGEST_PIPELINE_LOGGING_H_
#define INGEST_PIPELINE_LOGGING_H_

#include <spdlog/logger.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "pipeline/status.h"

namespace ingest {

// level: trace|debug|info|warn|error|off. `log_file` empty: stderr only.
Result<std::shared_ptr<spdlog::logger>> MakeLogger(const std::string& level,
                                                   const std::string& log_file);

// Allows `limit` warnings per `window`; past that, counts what it
// suppresses and reports the count once the window has passed (Vector).
class WarnLimiter {
 public:
  explicit WarnLimiter(uint32_t limit = 20,
                       std::chrono::seconds window = std::chrono::seconds(10))
      : limit_(limit), window_(window) {}
  // True when the caller may log now.
  bool Allow(spdlog::logger& log, std::string_view stage);

 private:
  uint32_t limit_;
  std::chrono::seconds window_;
  std::chrono::steady_clock::time_point window_start_{};
  uint32_t used_ = 0;
  uint64_t suppressed_ = 0;
};

}  // namespace ingest

#endif  // INGEST_PIPELINE_LOGGING_H_
