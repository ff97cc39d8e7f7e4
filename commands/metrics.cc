#include "commands/metrics.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "stages/emit/chunk_file.h"

namespace ingest {

namespace {

// Renders one metric family, adding this run's value to the previous total
// for counters.
class Exposition {
 public:
  explicit Exposition(const std::map<std::string, double>& previous) : previous_(previous) {}

  void Family(std::string_view name, std::string_view type, std::string_view help) {
    text_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  }
  void Counter(std::string_view series, double added) {
    auto it = previous_.find(std::string(series));
    double total = (it != previous_.end() ? it->second : 0) + added;
    text_ += fmt::format("{} {}\n", series, Number(total));
  }
  void Gauge(std::string_view series, double value) {
    text_ += fmt::format("{} {}\n", series, Number(value));
  }
  double Previous(std::string_view series, double fallback) const {
    auto it = previous_.find(std::string(series));
    return it != previous_.end() ? it->second : fallback;
  }
  const std::string& text() const { return text_; }

 private:
  static std::string Number(double value) {
    if (value == static_cast<double>(static_cast<int64_t>(value)) && value < 9e15 &&
        value > -9e15) {
      return fmt::format("{}", static_cast<int64_t>(value));
    }
    return fmt::format("{:.3f}", value);
  }
  const std::map<std::string, double>& previous_;
  std::string text_;
};

}  // namespace

std::map<std::string, double> ParseMetricSamples(std::string_view text) {
  std::map<std::string, double> samples;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty() || line.front() == '#') continue;
    size_t space = line.rfind(' ');
    if (space == std::string_view::npos) continue;
    std::string value(line.substr(space + 1));
    char* parsed_end = nullptr;
    double number = std::strtod(value.c_str(), &parsed_end);
    if (parsed_end == value.c_str() || *parsed_end != '\0') continue;
    samples[std::string(line.substr(0, space))] = number;
  }
  return samples;
}

std::string RenderRunMetrics(const std::map<std::string, double>& previous,
                             const RunSummary& summary, double now_seconds) {
  Exposition out(previous);
  out.Family("crawl_ingest_files_total", "counter",
             "Article files whose outcome runs committed, by outcome (unchanged: not read "
             "again because an earlier run processed them).");
  out.Counter(R"(crawl_ingest_files_total{outcome="emitted"})",
              static_cast<double>(summary.emitted));
  out.Counter(R"(crawl_ingest_files_total{outcome="duplicate"})",
              static_cast<double>(summary.duplicates));
  out.Counter(R"(crawl_ingest_files_total{outcome="revision"})",
              static_cast<double>(summary.revisions));
  out.Counter(R"(crawl_ingest_files_total{outcome="quarantined"})",
              static_cast<double>(summary.quarantined_total()));
  out.Counter(R"(crawl_ingest_files_total{outcome="unchanged"})",
              static_cast<double>(summary.unchanged));
  out.Family("crawl_ingest_quarantined_files_total", "counter",
             "Quarantined article files by reason (FORMAT.md section 2).");
  for (int i = 1; i < kQuarantineReasonCount; ++i) {
    out.Counter(fmt::format(R"(crawl_ingest_quarantined_files_total{{reason="{}"}})",
                            QuarantineReasonName(static_cast<QuarantineReason>(i))),
                static_cast<double>(summary.quarantined[static_cast<size_t>(i)]));
  }
  out.Family("crawl_ingest_skipped_files_total", "counter",
             "Files passed over: not named like articles, or left out by --include/--exclude.");
  out.Counter(R"(crawl_ingest_skipped_files_total{why="not_article"})",
              static_cast<double>(summary.skipped));
  out.Counter(R"(crawl_ingest_skipped_files_total{why="excluded"})",
              static_cast<double>(summary.excluded));
  out.Family("crawl_ingest_read_bytes_total", "counter", "Bytes of article files read.");
  out.Counter("crawl_ingest_read_bytes_total", static_cast<double>(summary.bytes_read));
  out.Family("crawl_ingest_runs_total", "counter", "Runs that wrote this file, by status.");
  for (const char* status : {"ok", "stopped", "failed"}) {
    out.Counter(fmt::format(R"(crawl_ingest_runs_total{{status="{}"}})", status),
                summary.status == status ? 1.0 : 0.0);
  }
  out.Family("crawl_ingest_run_duration_seconds_total", "counter",
             "Wall-clock seconds spent in runs.");
  out.Counter("crawl_ingest_run_duration_seconds_total", summary.seconds);
  out.Family("crawl_ingest_last_run_duration_seconds", "gauge",
             "Wall-clock seconds of the last run.");
  out.Gauge("crawl_ingest_last_run_duration_seconds", summary.seconds);
  out.Family("crawl_ingest_last_run_timestamp_seconds", "gauge",
             "Unix time at which the last run ended.");
  out.Gauge("crawl_ingest_last_run_timestamp_seconds", now_seconds);
  out.Family("crawl_ingest_last_run_success", "gauge",
             "1 when the last run finished (exit 0), 0 otherwise.");
  out.Gauge("crawl_ingest_last_run_success", summary.status == "ok" ? 1 : 0);
  out.Family("crawl_ingest_last_success_timestamp_seconds", "gauge",
             "Unix time at which the last successful run ended (0: none yet).");
  out.Gauge("crawl_ingest_last_success_timestamp_seconds",
            summary.status == "ok"
                ? now_seconds
                : out.Previous("crawl_ingest_last_success_timestamp_seconds", 0));
  return out.text();
}

Status WriteRunMetrics(const std::string& path, const RunSummary& summary,
                       double now_seconds) {
  std::string directory = std::filesystem::path(path).parent_path().string();
  if (directory.empty()) directory.push_back('.');  // not = ".": GCC 12 -Wrestrict false positive
  int lock_fd = open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (lock_fd < 0) return Status::FromErrno("metrics: open directory", directory, errno);
  // Serialises read-modify-write with other runs writing the same file.
  while (flock(lock_fd, LOCK_EX) != 0) {
    if (errno != EINTR) {
      int error = errno;
      close(lock_fd);
      return Status::FromErrno("metrics: lock", directory, error);
    }
  }
  std::string previous;
  {
    std::ifstream in(path, std::ios::binary);
    if (in) {
      std::ostringstream text;
      text << in.rdbuf();
      previous = text.str();
    }
  }
  Status written = WriteFileAtomically(
      path, RenderRunMetrics(ParseMetricSamples(previous), summary, now_seconds));
  close(lock_fd);  // releases the lock
  return written;
}

}  // namespace ingest
