#include "pipeline/logging.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <vector>

namespace ingest {

Result<std::shared_ptr<spdlog::logger>> MakeLogger(
    const std::string& level, const std::string& log_file) {
  spdlog::level::level_enum parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") {
    return Status::InvalidArgument("unknown log level '" + level +
                                   "' (trace, debug, info, warn, error, off)");
  }
  std::vector<spdlog::sink_ptr> sinks;
  sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (!log_file.empty()) {
    try {
      sinks.push_back(
          std::make_shared<spdlog::sinks::basic_file_sink_mt>(log_file));
    } catch (const spdlog::spdlog_ex& e) {
      return Status::IOError("cannot open log file: " + log_file + ": " +
                             e.what());
    }
  }
  auto logger =
      std::make_shared<spdlog::logger>("ingest", sinks.begin(), sinks.end());
  logger->set_pattern("[%Y-%m-%dT%H:%M:%S.%e] [%l] %v");
  logger->set_level(parsed);
  logger->flush_on(spdlog::level::warn);
  return logger;
}

bool WarnLimiter::Allow(spdlog::logger& log, std::string_view stage) {
  auto now = std::chrono::steady_clock::now();
  if (now - window_start_ >= window_) {
    if (suppressed_ > 0) {
      log.warn("warnings suppressed stage={} suppressed={}", stage,
               suppressed_);
    }
    window_start_ = now;
    used_ = 0;
    suppressed_ = 0;
  }
  if (used_ < limit_) {
    ++used_;
    return true;
  }
  ++suppressed_;
  return false;
}

}  // namespace ingest
