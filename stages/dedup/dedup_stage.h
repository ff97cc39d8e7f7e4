// DedupStage ("dedup"): decides, in processing order, whether a verified
// article is new (emitted), a duplicate (same key, a hash seen before) or a
// revision (same key, a new hash), against the persistent state plus what
// this run decided since its last commit point.
//
// Serial in order: "first occurrence wins" needs one decision at a time. A
// batch costs one MultiGet. Decisions become durable only through the
// commit protocol (DetachCommit hands them to the run's transaction); until
// that commit is finished they stay visible to later lookups.
// `*state` must outlive the stage.
#ifndef INGEST_STAGES_DEDUP_DEDUP_STAGE_H_
#define INGEST_STAGES_DEDUP_DEDUP_STAGE_H_

#include <string>

#include "pipeline/stage.h"
#include "stages/dedup/state_db.h"

namespace ingest {

struct DedupOptions {
  bool emit_revisions = false;  // --revisions emit
  std::string run_id;
  // Sharded reduce (doc/cluster.md): versions name their claimant (run,
  // file index, record index), and a record meeting its own claim (a
  // retried task replaying committed work) gets its original decision.
  bool claimants = false;
};

class DedupStage : public Stage {
 public:
  DedupStage(StateDb* state, DedupOptions options)
      : state_(state), options_(std::move(options)) {}

  std::string_view name() const override { return "dedup"; }
  Concurrency concurrency() const override {
    return Concurrency::kSerialInOrder;
  }
  std::unique_ptr<WorkerState> NewWorkerState() const override;
  Result<Disposition> Process(Article& article,
                              WorkerState* state) const override;
  Status ProcessBatch(Batch& batch, std::vector<Disposition>& dispositions,
                      WorkerState* state) const override;
  Result<std::unique_ptr<PendingCommit>> DetachCommit(WorkerState* state) const override;

 private:
  StateDb* const state_;
  const DedupOptions options_;
};

}  // namespace ingest

#endif  // INGEST_STAGES_DEDUP_DEDUP_STAGE_H_
