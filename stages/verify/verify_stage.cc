#include "stages/verify/verify_stage.h"

#include "stages/verify/sha256.h"

namespace ingest {

namespace {

class VerifyState : public WorkerState {
 public:
  Sha256 sha256;
  Sha256Batch batch;
};

bool EqualsIgnoringCase(std::string_view lower, std::string_view any_case) {
  if (lower.size() != any_case.size()) return false;
  for (size_t i = 0; i < lower.size(); ++i) {
    char c = any_case[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (lower[i] != c) return false;
  }
  return true;
}

// Compares the computed digest in article.content_digest with the stored
// hash.
Disposition Check(Article& article) {
  AssignHex(article.content_digest, &article.content_hash);
  article.has_content_digest = true;
  if (!EqualsIgnoringCase(article.content_hash, article.stored_hash)) {
    article.Quarantine(QuarantineReason::kHashMismatch,
                       "content_hash mismatch: stored = " + article.stored_hash +
                           ", computed = " + article.content_hash);
    return Disposition::kRejected;
  }
  return Disposition::kContinue;
}

}  // namespace

std::unique_ptr<WorkerState> VerifyStage::NewWorkerState() const {
  return std::make_unique<VerifyState>();
}

Result<Disposition> VerifyStage::Process(Article& article,
                                         WorkerState* state) const {
  INGEST_ASSIGN_OR_RETURN(article.content_digest,
                          static_cast<VerifyState*>(state)->sha256.Hash(article.text));
  return Check(article);
}

Status VerifyStage::ProcessBatch(Batch& batch, std::vector<Disposition>& dispositions,
                                 WorkerState* state) const {
  Sha256Batch& hasher = static_cast<VerifyState*>(state)->batch;
  for (size_t i = 0; i < batch.articles.size(); ++i) {
    if (dispositions[i] != Disposition::kContinue) continue;
    hasher.Add(batch.articles[i].text, &batch.articles[i].content_digest);
  }
  INGEST_RETURN_IF_ERROR(hasher.Finish());
  for (size_t i = 0; i < batch.articles.size(); ++i) {
    if (dispositions[i] == Disposition::kContinue) dispositions[i] = Check(batch.articles[i]);
  }
  return Status::OK();
}

}  // namespace ingest
