#include "stages/dedup/dedup_stage.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <unordered_map>

#include "stages/dedup/dedup_entry.h"

namespace ingest {

namespace {

using EntriesByKey = std::unordered_map<std::string, DedupEntry>;

// Decisions detached for a commit that may still be in flight, shared by
// the commit (which writes them) and the stage (which still looks them up).
struct CommittingEntries {
  EntriesByKey entries;
  std::atomic<bool> finished{false};  // in the state: lookups find them there
};

// Decisions since the last commit point, by state key. Lookups see these
// (and those of a commit in flight) before the database, so a key emitted
// earlier in this run is known.
class DedupState : public WorkerState {
 public:
  EntriesByKey pending;
  std::shared_ptr<CommittingEntries> committing;  // null when none in flight
  // Entries read from the database for the batch at hand.
  std::unordered_map<std::string, std::optional<DedupEntry>> fetched;
  std::vector<std::string> keys_to_fetch;
  std::vector<std::optional<std::string>> values;

  // The decision of this run for `key` not yet known to the database.
  const DedupEntry* FindUncommitted(const std::string& key) const {
    if (auto it = pending.find(key); it != pending.end()) return &it->second;
    if (committing != nullptr) {
      if (auto it = committing->entries.find(key); it != committing->entries.end()) {
        return &it->second;
      }
    }
    return nullptr;
  }
};

class DedupCommit : public PendingCommit {
 public:
  explicit DedupCommit(std::shared_ptr<CommittingEntries> committing)
      : committing_(std::move(committing)) {}

  Status Prepare(StateTransaction* transaction) override {
    // In key order: RocksDB's memtable inserts ascending keys next to the
    // previous one instead of searching its skip list from the top, which
    // makes a commit of a whole chunk several times cheaper.
    std::vector<const EntriesByKey::value_type*> in_order;
    in_order.reserve(committing_->entries.size());
    for (const auto& entry : committing_->entries) in_order.push_back(&entry);
    std::sort(in_order.begin(), in_order.end(),
              [](const auto* a, const auto* b) { return a->first < b->first; });
    std::string encoded;
    for (const auto* entry : in_order) {
      entry->second.EncodeTo(&encoded);
      transaction->Put(entry->first, encoded);
    }
    return Status::OK();
  }
  Status Finish() override {
    committing_->finished.store(true, std::memory_order_release);
    return Status::OK();
  }

 private:
  const std::shared_ptr<CommittingEntries> committing_;
};

}  // namespace

std::unique_ptr<WorkerState> DedupStage::NewWorkerState() const {
  return std::make_unique<DedupState>();
}

Result<Disposition> DedupStage::Process(Article& article,
                                        WorkerState* state) const {
  auto* dedup = static_cast<DedupState*>(state);
  std::string key = DedupStateKey(article.Key());
  Sha256::Digest hash = article.content_digest;
  if (!article.has_content_digest && !FromHex(article.content_hash, &hash)) {
    return Status::Internal("dedup: article without a verified hash: " +
                            article.source);
  }
  const DedupEntry* known = dedup->FindUncommitted(key);
  if (known == nullptr) {
    auto fetched = dedup->fetched.find(key);
    if (fetched != dedup->fetched.end()) {
      if (fetched->second) known = &*fetched->second;
    } else {
      // Not prefetched (Process called alone): ask the database.
      INGEST_ASSIGN_OR_RETURN(std::optional<std::string> value, state_->Get(key));
      if (value) {
        INGEST_ASSIGN_OR_RETURN(DedupEntry entry, DedupEntry::Decode(*value));
        known = &(dedup->fetched[key] = std::move(entry)).value();
      }
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
  if (dedup->committing != nullptr &&
      dedup->committing->finished.load(std::memory_order_acquire)) {
    dedup->committing.reset();  // the database has them now
  }
  dedup->fetched.clear();
  dedup->keys_to_fetch.clear();
  for (size_t i = 0; i < batch.articles.size(); ++i) {
    if (dispositions[i] != Disposition::kContinue) continue;
    std::string key = DedupStateKey(batch.articles[i].Key());
    if (dedup->FindUncommitted(key) != nullptr || dedup->fetched.count(key)) continue;
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

Result<std::unique_ptr<PendingCommit>> DedupStage::DetachCommit(
    WorkerState* state) const {
  auto* dedup = static_cast<DedupState*>(state);
  if (dedup->pending.empty()) return std::unique_ptr<PendingCommit>();
  auto committing = std::make_shared<CommittingEntries>();
  committing->entries = std::move(dedup->pending);
  dedup->pending.clear();
  // The runner finishes a commit before it detaches the next one, so an
  // older generation is no longer needed here.
  dedup->committing = committing;
  return std::unique_ptr<PendingCommit>(std::make_unique<DedupCommit>(std::move(committing)));
}

}  // namespace ingest
