#include "commands/progress.h"

#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>

namespace ingest {

namespace {

// Erase the terminal line and return to its start.
constexpr std::string_view kEraseLine = "\r\033[K";

std::string Duration(double seconds) {
  auto total = static_cast<uint64_t>(std::max(0.0, seconds) + 0.5);
  return fmt::format("{}:{:02d}:{:02d}", total / 3600, (total / 60) % 60, total % 60);
}

}  // namespace

std::string FormatProgressLine(const ProgressSample& sample) {
  double elapsed = std::max(sample.elapsed_seconds, 1e-3);
  double rate = static_cast<double>(sample.files) / elapsed;
  std::string line = fmt::format("files {}", sample.files);
  if (sample.total_files) line += fmt::format("/{}", *sample.total_files);
  line += fmt::format("  {:.0f} files/s  {:.1f} MB/s  elapsed {}", rate,
                      static_cast<double>(sample.bytes) / 1e6 / elapsed,
                      Duration(sample.elapsed_seconds));
  if (sample.total_files && sample.files > 0) {
    uint64_t left = *sample.total_files > sample.files ? *sample.total_files - sample.files : 0;
    line += "  ETA " + Duration(static_cast<double>(left) / rate);
  }
  return line;
}

bool ShouldShowProgress(ProgressMode mode, int fd) {
  if (mode == ProgressMode::kOn) return true;
  if (mode == ProgressMode::kOff) return false;
  return isatty(fd) == 1;
}

ProgressLine::ProgressLine(int fd, Sampler sampler, std::chrono::milliseconds period)
    : fd_(fd),
      sampler_(std::move(sampler)),
      period_(std::max(period, std::chrono::milliseconds(250))) {}

ProgressLine::~ProgressLine() { Stop(); }

void ProgressLine::Start() {
  ticker_ = std::thread([this] { Run(); });
}

void ProgressLine::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    wake_.notify_all();
  }
  if (ticker_.joinable()) ticker_.join();
  Clear();
}

void ProgressLine::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!shown_) return;
  WriteLocked(std::string(kEraseLine));
  shown_ = false;
}

void ProgressLine::WriteLocked(const std::string& text) {
  std::string_view left = text;
  while (!left.empty()) {
    ssize_t n = write(fd_, left.data(), left.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // a progress line is not worth failing a run over
    }
    left.remove_prefix(static_cast<size_t>(n));
  }
}

void ProgressLine::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!wake_.wait_for(lock, period_, [this] { return stopping_; })) {
    lock.unlock();
    std::string line = FormatProgressLine(sampler_());
    lock.lock();
    if (stopping_) break;
    WriteLocked(std::string(kEraseLine) + line);
    shown_ = true;
  }
}

void ProgressAwareSink::sink_it_(const spdlog::details::log_msg& message) {
  line_->Clear();
  inner_->log(message);
}

}  // namespace ingest
