#include "stages/dedup/dedup_stage.h"

#include <unordered_map>

#include "stages/dedup/dedup_entry.h"

namespace ingest {

namespace {

// Decisions since the last commit point, by state key. Lookups see these
// before the database, so a key emitted earlier in this run is known.
class DedupState : public WorkerState {
 public:
  std::unordered_map<std::string, DedupEntry> pending;
  // Entries read from the database for the batch at hand.
  std::unordered_map<std::string, std::optional<DedupEntry>> fetched;
  std::vector<std::string> keys_to_fetch;
  std::vector<std::optional<std::string>> values;
};

}  // namespace

std::unique_ptr<WorkerState> DedupStage::NewWorkerState() const {
  return std::make_unique<DedupState>();
}

Result<Disposition> DedupStage::Process(Article& article,
                                        WorkerState* state) const {
  auto* dedup = static_cast<DedupState*>(state);
  std::string key = DedupStateKey(article.Key());
  Sha256::Digest hash;
  if (!FromHex(article.content_hash, &hash)) {
    return Status::Internal("dedup: article without a verified hash: " +
                            article.source);
  }
  const DedupEntry* known = nullptr;
  if (auto it = dedup->pending.find(key); it != dedup->pending.end()) {
    known = &it->second;
  } else if (auto fetched = dedup->fetched.find(key);
             fetched != dedup->fetched.end() && fetched->second) {
    known = &*fetched->second;
  } else if (fetched == dedup->fetched.end()) {
    // Not prefetched (Process called alone): ask the database.
    INGEST_ASSIGN_OR_RETURN(std::optional<std::string> value, state_->Get(key));
    if (value) {
      INGEST_ASSIGN_OR_RETURN(DedupEntry entry, DedupEntry::Decode(*value));
      known = &(dedup->fetched[key] = std::move(entry)).value();
    }
  }

  auto claim = [&](bool emitted) {
    DedupVersion version{hash, article.source, options_.run_id, emitted};
    if (options_.claimants) {
      version.has_claimant = true;
      version.file_index = article.file_index;
      version.record_index = article.record_index;
    }
    return version;
  };
  if (known == nullptr) {
    DedupEntry entry;
    entry.versions.push_back(claim(true));
    dedup->pending[key] = std::move(entry);
    article.outcome = Outcome::kEmitted;
    return Disposition::kContinue;
  }
  if (const DedupVersion* same = known->Find(hash);
      same != nullptr && options_.claimants && same->has_claimant &&
      same->run_id == options_.run_id && same->file_index == article.file_index &&
      same->record_index == article.record_index) {
    // A replay: this very record claimed the version before the task was
    // killed. Decide as the first attempt did, so the re-executed chunk is
    // identical to the one that may already be published.
    size_t position = static_cast<size_t>(same - known->versions.data());
    if (position == 0) {
      article.outcome = Outcome::kEmitted;
      return Disposition::kContinue;
    }
    article.outcome = Outcome::kRevision;
    article.first_source = known->versions.front().source;
    article.revision = static_cast<uint32_t>(position + 1);
    return same->emitted ? Disposition::kContinue : Disposition::kDuplicate;
  }
  if (const DedupVersion* same = known->Find(hash)) {
    article.outcome = Outcome::kDuplicate;
    article.first_source = same->source;
    return Disposition::kDuplicate;
  }
  article.outcome = Outcome::kRevision;
  article.first_source = known->versions.front().source;
  article.revision = static_cast<uint32_t>(known->revision_count() + 1);
  // Remembered either way: a later copy with this hash is a duplicate.
  DedupEntry updated = *known;
  updated.versions.push_back(claim(options_.emit_revisions));
  dedup->pending[key] = std::move(updated);
  return options_.emit_revisions ? Disposition::kContinue : Disposition::kDuplicate;
}

Status DedupStage::ProcessBatch(Batch& batch,
                                std::vector<Disposition>& dispositions,
                                WorkerState* state) const {
  auto* dedup = static_cast<DedupState*>(state);
  dedup->fetched.clear();
  dedup->keys_to_fetch.clear();
  for (size_t i = 0; i < batch.articles.size(); ++i) {
    if (dispositions[i] != Disposition::kContinue) continue;
    std::string key = DedupStateKey(batch.articles[i].Key());
    if (dedup->pending.count(key) || dedup->fetched.count(key)) continue;
    dedup->fetched.emplace(key, std::nullopt);
    dedup->keys_to_fetch.push_back(std::move(key));
  }
  INGEST_RETURN_IF_ERROR(state_->MultiGet(dedup->keys_to_fetch, &dedup->values));
  for (size_t i = 0; i < dedup->keys_to_fetch.size(); ++i) {
    if (!dedup->values[i]) continue;
    INGEST_ASSIGN_OR_RETURN(DedupEntry entry, DedupEntry::Decode(*dedup->values[i]));
    dedup->fetched[dedup->keys_to_fetch[i]] = std::move(entry);
  }
  return Stage::ProcessBatch(batch, dispositions, state);
}

Status DedupStage::PrepareCommit(WorkerState* state,
                                 StateTransaction* transaction) const {
  auto* dedup = static_cast<DedupState*>(state);
  for (const auto& [key, entry] : dedup->pending) {
    transaction->Put(key, entry.Encode());
  }
  return Status::OK();
}

Status DedupStage::FinishCommit(WorkerState* state) const {
  static_cast<DedupState*>(state)->pending.clear();
  return Status::OK();
}

}  // namespace ingest

