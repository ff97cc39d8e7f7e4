#include "stages/verify/verify_stage.h"

#include "stages/verify/sha256.h"

namespace ingest {

namespace {

class VerifyState : public WorkerState {
 public:
  Sha256 sha256;
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

}  // namespace

std::unique_ptr<WorkerState> VerifyStage::NewWorkerState() const {
  return std::make_unique<VerifyState>();
}

Result<Disposition> VerifyStage::Process(Article& article,
                                         WorkerState* state) const {
  Result<Sha256::Digest> digest =
      static_cast<VerifyState*>(state)->sha256.Hash(article.text);
  if (!digest.ok()) return digest.status();
  AssignHex(*digest, &article.content_hash);
  article.content_digest = *digest;
  article.has_content_digest = true;
  if (!EqualsIgnoringCase(article.content_hash, article.stored_hash)) {
    article.Quarantine(QuarantineReason::kHashMismatch,
                       "content_hash mismatch: stored = " + article.stored_hash +
                           ", computed = " + article.content_hash);
    return Disposition::kRejected;
  }
  return Disposition::kContinue;
}

}  // namespace ingest
