// RunState: what every thread of a run shares: the first fatal error, the
// request to stop (a signal), and the per-stage disposition counters.
//
// Thread-safe. Fail() keeps the first error only and cancels the run;
// RequestStop() asks for a graceful stop: no new input, in-flight work is
// finished and committed.
#ifndef INGEST_PIPELINE_RUN_STATE_H_
#define INGEST_PIPELINE_RUN_STATE_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "pipeline/stage.h"
#include "pipeline/status.h"

namespace ingest {

// Dispositions one stage gave, indexed by Disposition.
using DispositionCounts = std::array<uint64_t, 3>;

class RunState {
 public:
  void Fail(Status status);
  bool failed() const { return failed_.load(std::memory_order_acquire); }
  // The first failure, or OK.
  Status status() const;

  void RequestStop() { stop_requested_.store(true, std::memory_order_release); }
  bool stop_requested() const {
    return stop_requested_.load(std::memory_order_acquire);
  }

  void AddCounts(const std::string& stage, const DispositionCounts& counts);
  // stage → counts; `<stage>_<disposition>_total` in the summary.
  std::map<std::string, DispositionCounts> counts() const;

 private:
  std::atomic<bool> failed_{false};
  std::atomic<bool> stop_requested_{false};
  mutable std::mutex mu_;
  Status first_error_;                                  // GUARDED_BY(mu_)
  std::map<std::string, DispositionCounts> counts_;     // GUARDED_BY(mu_)
};

std::string_view DispositionName(Disposition disposition);

}  // namespace ingest

#endif  // INGEST_PIPELINE_RUN_STATE_H_
