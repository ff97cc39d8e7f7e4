#include "stages/audit/report_stage.h"

namespace ingest {

namespace {

class DiscardingTransaction : public StateTransaction {
 public:
  void Put(std::string_view, std::string_view) override {}
  void Delete(std::string_view) override {}
};

}  // namespace

Result<Disposition> ReportStage::Process(Article& article,
                                         WorkerState* /*state*/) const {
  ++tally_->files;
  tally_->bytes += article.bytes_read;
  if (article.outcome == Outcome::kQuarantined) {
    ++tally_->quarantined;
    Problem problem;
    problem.code = ProblemCodeFor(article.reason);
    problem.source = article.source;
    problem.id = article.id;  // set once the front matter got that far
    problem.detail = article.detail;
    INGEST_RETURN_IF_ERROR(writer_->Add(problem));
  }
  return Disposition::kContinue;
}

Status ReportStage::ProcessBatch(Batch& batch, std::vector<Disposition>&,
                                 WorkerState* state) const {
  for (Article& article : batch.articles) {
    Result<Disposition> ignored = Process(article, state);
    if (!ignored.ok()) return ignored.status();
  }
  return Status::OK();
}

std::unique_ptr<StateTransaction> NoDurableState::NewTransaction() {
  return std::make_unique<DiscardingTransaction>();
}

Status NoDurableState::Commit(StateTransaction& /*transaction*/) {
  return Status::OK();
}

}  // namespace ingest
