// VerifyStage ("verify"): recomputes the SHA-256 of the article's text
// (FORMAT.md §1.2) and compares it with the stored content_hash, case-
// insensitively. Sets content_hash (lowercase); quarantines hash_mismatch
// with both digests as evidence.
//
// Parallel: immutable; each worker owns its hashers in its WorkerState. It
// takes whole batches (WholeBatches()), so their texts are hashed side by
// side where the CPU allows (Sha256Batch).
#ifndef INGEST_STAGES_VERIFY_VERIFY_STAGE_H_
#define INGEST_STAGES_VERIFY_VERIFY_STAGE_H_

#include "pipeline/stage.h"

namespace ingest {

class VerifyStage : public Stage {
 public:
  std::string_view name() const override { return "verify"; }
  Concurrency concurrency() const override { return Concurrency::kParallel; }
  std::unique_ptr<WorkerState> NewWorkerState() const override;
  // REQUIRES: article.text and article.stored_hash (64 hex digits) are set.
  Result<Disposition> Process(Article& article,
                              WorkerState* state) const override;
  bool WholeBatches() const override { return true; }
  Status ProcessBatch(Batch& batch, std::vector<Disposition>& dispositions,
                      WorkerState* state) const override;
};

}  // namespace ingest

#endif  // INGEST_STAGES_VERIFY_VERIFY_STAGE_H_
