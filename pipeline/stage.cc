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

}  // namespace ingest
