// ReportStage ("report"): the serial end of an audit of article files. It
// follows read → parse → verify (the run's own stages, so the checks and
// reason codes are exactly the run's) and turns every quarantined file
// into a problem record, in processing order. It never writes state: an
// audit pipeline has no dedup and no emit.
//
// Serial in order; only the runner's serial end (one thread at a time) touches *writer and
// *tally, which must outlive the stage.
#ifndef INGEST_STAGES_AUDIT_REPORT_STAGE_H_
#define INGEST_STAGES_AUDIT_REPORT_STAGE_H_

#include <cstdint>

#include "pipeline/commit.h"
#include "pipeline/stage.h"
#include "stages/audit/problem_writer.h"

namespace ingest {

// What the audit saw of the article files.
struct ArticleTally {
  uint64_t files = 0;  // article files checked (each has one outcome)
  uint64_t bytes = 0;  // bytes read
  uint64_t quarantined = 0;
};

class ReportStage : public Stage {
 public:
  ReportStage(ProblemWriter* writer, ArticleTally* tally)
      : writer_(writer), tally_(tally) {}

  std::string_view name() const override { return "report"; }
  Concurrency concurrency() const override {
    return Concurrency::kSerialInOrder;
  }
  Result<Disposition> Process(Article& article,
                              WorkerState* state) const override;
  // Sees every article, rejected ones included.
  Status ProcessBatch(Batch& batch, std::vector<Disposition>& dispositions,
                      WorkerState* state) const override;

 private:
  ProblemWriter* const writer_;
  ArticleTally* const tally_;
};

// The Runner's DurableState for a pipeline that commits nothing: every
// transaction is empty and Commit() writes nothing anywhere. Thread-safe.
class NoDurableState : public DurableState {
 public:
  std::unique_ptr<StateTransaction> NewTransaction() override;
  Status Commit(StateTransaction& transaction) override;
};

}  // namespace ingest

#endif  // INGEST_STAGES_AUDIT_REPORT_STAGE_H_
