#include "pipeline/stage.h"

namespace ingest {

Status Stage::ProcessBatch(Batch& batch,
                           std::vector<Disposition>& dispositions,
                           WorkerState* state) const {
  for (size_t i = 0; i < batch.articles.size(); ++i) {
    if (dispositions[i] != Disposition::kContinue) continue;
    Result<Disposition> result = Process(batch.articles[i], state);
    if (!result.ok()) return result.status();
    dispositions[i] = *result;
  }
  return Status::OK();
}

Status Stage::PrepareCommit(WorkerState* state,
                            StateTransaction* transaction) const {
  INGEST_ASSIGN_OR_RETURN(state->detached_commit_, DetachCommit(state));
  if (state->detached_commit_ == nullptr) return Status::OK();
  return state->detached_commit_->Prepare(transaction);
}

Status Stage::FinishCommit(WorkerState* state) const {
  std::unique_ptr<PendingCommit> pending = std::move(state->detached_commit_);
  if (pending == nullptr) return Status::OK();
  return pending->Finish();
}

}  // namespace ingest
