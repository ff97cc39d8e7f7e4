// The live progress line of a run on stderr: files done (of the total, once
// known), files/s, MB/s, elapsed time and, once the total is known, an ETA.
// A ticker thread samples counters the pipeline already keeps (atomics)
// and redraws the line at most 4 times a second, so nothing is printed per
// article. Log lines written while the line is shown first erase it
// (ProgressAwareSink), and the ticker redraws it at its next tick.
//
// Thread-safety: FormatProgressLine is pure; a ProgressLine is started and
// stopped by one thread, its sampler runs on the ticker thread, and Clear()
// may be called from any thread.
#ifndef INGEST_COMMANDS_PROGRESS_H_
#define INGEST_COMMANDS_PROGRESS_H_

#include <spdlog/sinks/base_sink.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "commands/run_command.h"

namespace ingest {

struct ProgressSample {
  uint64_t files = 0;                  // article files done (read or unchanged)
  std::optional<uint64_t> total_files;  // once the whole input is counted
  uint64_t bytes = 0;                  // bytes read so far
  double elapsed_seconds = 0;
};

// "files 1200/5000  400 files/s  3.1 MB/s  elapsed 0:00:03  ETA 0:00:09";
// without a total, no "/N" and no ETA.
std::string FormatProgressLine(const ProgressSample& sample);

// kOn, or kAuto and `fd` is a terminal.
bool ShouldShowProgress(ProgressMode mode, int fd);

class ProgressLine {
 public:
  using Sampler = std::function<ProgressSample()>;
  // Draws on `fd` every `period` (at least 250 ms) from Start() to Stop().
  ProgressLine(int fd, Sampler sampler,
               std::chrono::milliseconds period = std::chrono::milliseconds(250));
  ~ProgressLine();
  void Start();
  // Stops the ticker and erases the line.
  void Stop();
  // Erases the line if it is shown (before something else is written).
  void Clear();

 private:
  void Run();
  void WriteLocked(const std::string& text);

  const int fd_;
  const Sampler sampler_;
  const std::chrono::milliseconds period_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // GUARDED_BY(mu_)
  bool shown_ = false;     // GUARDED_BY(mu_)
  std::thread ticker_;
};

// Wraps the logger's stderr sink: erases the progress line before each
// message so log lines and the progress line never share a line.
class ProgressAwareSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  ProgressAwareSink(spdlog::sink_ptr inner, ProgressLine* line)
      : inner_(std::move(inner)), line_(line) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& message) override;
  void flush_() override { inner_->flush(); }

 private:
  spdlog::sink_ptr inner_;
  ProgressLine* line_;
};

}  // namespace ingest

#endif  // INGEST_COMMANDS_PROGRESS_H_
