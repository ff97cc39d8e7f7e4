#include "pipeline/run_state.h"

namespace ingest {

void RunState::Fail(Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!failed_.load(std::memory_order_relaxed)) {
    first_error_ = std::move(status);
    failed_.store(true, std::memory_order_release);
  }
}

Status RunState::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return first_error_;
}

void RunState::AddCounts(const std::string& stage,
                         const DispositionCounts& counts) {
  std::lock_guard<std::mutex> lock(mu_);
  DispositionCounts& total = counts_[stage];
  for (size_t i = 0; i < total.size(); ++i) total[i] += counts[i];
}

std::map<std::string, DispositionCounts> RunState::counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

std::string_view DispositionName(Disposition disposition) {
  switch (disposition) {
    case Disposition::kContinue: return "passed";
    case Disposition::kDuplicate: return "duplicate";
    case Disposition::kRejected: return "rejected";
  }
  return "unknown";
}

}  // namespace ingest
