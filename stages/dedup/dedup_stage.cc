#include "stages/dedup/dedup_stage.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "stages/dedup/dedup_entry.h"

namespace ingest {

namespace {

// Entries by state key, kept as the encoded values a commit writes: keys
// and values in one byte arena, found through an open-addressing index.
// Recording a decision allocates nothing of its own (the arena and the
// index grow geometrically), and a committed chunk is freed in a few calls
// instead of one per key. A replaced entry's old bytes stay in the arena
// until the whole object goes.
class EncodedEntries {
 public:
  // Room for `records` keys and `bytes` of keys and values.
  void Reserve(size_t records, size_t bytes) {
    records_.reserve(records);
    arena_.reserve(bytes);
    size_t slots = kMinSlots;
    while (slots < 2 * records) slots *= 2;
    if (slots > slots_.size()) Rehash(slots);
  }

  // The entry stored for `key`, or nullopt.
  std::optional<std::string_view> Find(std::string_view key) const {
    if (slots_.empty()) return std::nullopt;
    const size_t mask = slots_.size() - 1;
    for (size_t i = std::hash<std::string_view>{}(key) & mask;; i = (i + 1) & mask) {
      if (slots_[i] == kEmpty) return std::nullopt;
      const Record& record = records_[slots_[i]];
      if (KeyOf(record) == key) return ValueOf(record);
    }
  }

  // Stores `encoded` as the entry for `key`, replacing any.
  // REQUIRES: neither view points into this object.
  void Set(std::string_view key, std::string_view encoded) {
    if (2 * (records_.size() + 1) > slots_.size()) {
      Rehash(std::max(kMinSlots, 2 * slots_.size()));
    }
    const size_t mask = slots_.size() - 1;
    size_t i = std::hash<std::string_view>{}(key) & mask;
    for (; slots_[i] != kEmpty; i = (i + 1) & mask) {
      Record& record = records_[slots_[i]];
      if (KeyOf(record) == key) {
        record.value_offset = arena_.size();
        record.value_size = encoded.size();
        arena_.append(encoded);
        return;
      }
    }
    slots_[i] = records_.size();
    records_.push_back(Record{arena_.size(), key.size(), arena_.size() + key.size(),
                              encoded.size()});
    arena_.append(key);
    arena_.append(encoded);
  }

  bool empty() const { return records_.empty(); }
  size_t size() const { return records_.size(); }
  size_t bytes() const { return arena_.size(); }

  // Calls visit(key, encoded) for every key, in ascending byte order.
  template <typename Visit>
  void ForEachInKeyOrder(Visit visit) const {
    std::vector<const Record*> in_order;
    in_order.reserve(records_.size());
    for (const Record& record : records_) in_order.push_back(&record);
    std::sort(in_order.begin(), in_order.end(), [this](const Record* a, const Record* b) {
      return KeyOf(*a) < KeyOf(*b);
    });
    for (const Record* record : in_order) visit(KeyOf(*record), ValueOf(*record));
  }

 private:
  struct Record {
    size_t key_offset;
    size_t key_size;
    size_t value_offset;
    size_t value_size;
  };
  static constexpr size_t kEmpty = ~size_t{0};
  static constexpr size_t kMinSlots = 64;

  std::string_view KeyOf(const Record& record) const {
    return std::string_view(arena_).substr(record.key_offset, record.key_size);
  }
  std::string_view ValueOf(const Record& record) const {
    return std::string_view(arena_).substr(record.value_offset, record.value_size);
  }
  // REQUIRES: `slots` is a power of two above twice the records.
  void Rehash(size_t slots) {
    slots_.assign(slots, kEmpty);
    const size_t mask = slots - 1;
    for (size_t r = 0; r < records_.size(); ++r) {
      size_t i = std::hash<std::string_view>{}(KeyOf(records_[r])) & mask;
      while (slots_[i] != kEmpty) i = (i + 1) & mask;
      slots_[i] = r;
    }
  }

  std::string arena_;
  std::vector<Record> records_;
  std::vector<size_t> slots_;  // indexes into records_, or kEmpty
};

// Decisions detached for a commit that may still be in flight, shared by
// the commit (which writes them) and the stage (which still looks them up).
struct CommittingEntries {
  EncodedEntries entries;
  std::atomic<bool> finished{false};  // in the state: lookups find them there
};

// Decisions since the last commit point, by state key. Lookups see these
// (and those of a commit in flight) before the database, so a key emitted
// earlier in this run is known.
class DedupState : public WorkerState {
 public:
  static constexpr size_t kNotFetched = ~size_t{0};

  EncodedEntries pending;
  std::shared_ptr<CommittingEntries> committing;  // null when none in flight
  // For the batch at hand: the keys asked from the database, their values,
  // and for each article the index of its key there (kNotFetched when this
  // run had decided the key before the batch). Kept across batches so their
  // buffers are reused.
  std::vector<std::string> keys_to_fetch;
  std::vector<std::optional<std::string>> values;
  std::vector<size_t> fetch_index;
  // Scratch buffers for the article at hand.
  std::string key;
  DedupEntry entry;
  std::string encoded;

  // The decision of this run for `key` not yet known to the database.
  std::optional<std::string_view> FindUncommitted(std::string_view state_key) const {
    if (auto found = pending.Find(state_key)) return found;
    if (committing != nullptr) return committing->entries.Find(state_key);
    return std::nullopt;
  }
};

// Sets `*key` to DedupStateKey(article.Key()), reusing its buffer.
void AssignStateKey(const Article& article, std::string* key) {
  key->clear();
  AppendDedupStateKey(article.oid, article.aid, key);
}

// Decides `article`, whose state key is `key`, given the entry the run or
// the database holds for it (`known`, encoded; nullopt for a new key), and
// records the decision in `dedup->pending`.
// REQUIRES: `key` does not point into `dedup->pending`, whose arena grows
// when the decision is recorded; `known` may (it is decoded before).
Result<Disposition> Decide(const DedupOptions& options, Article& article,
                           std::string_view key, std::optional<std::string_view> known,
                           DedupState* dedup) {
  Sha256::Digest hash = article.content_digest;
  if (!article.has_content_digest && !FromHex(article.content_hash, &hash)) {
    return Status::Internal("dedup: article without a verified hash: " +
                            article.source);
  }
  // The version this article claims, assigned into `*version` (reusing its
  // buffers).
  auto claim = [&](bool emitted, DedupVersion* version) {
    version->hash = hash;
    version->source.assign(article.source);
    version->run_id.assign(options.run_id);
    version->emitted = emitted;
    version->has_claimant = options.claimants;
    version->file_index = options.claimants ? article.file_index : 0;
    version->record_index = options.claimants ? article.record_index : 0;
  };
  if (!known) {
    dedup->entry.versions.resize(1);
    claim(true, &dedup->entry.versions.front());
    dedup->entry.EncodeTo(&dedup->encoded);
    dedup->pending.Set(key, dedup->encoded);
    article.outcome = Outcome::kEmitted;
    return Disposition::kContinue;
  }
  INGEST_ASSIGN_OR_RETURN(DedupEntry entry, DedupEntry::Decode(*known));
  if (const DedupVersion* same = entry.Find(hash);
      same != nullptr && options.claimants && same->has_claimant &&
      same->run_id == options.run_id && same->file_index == article.file_index &&
      same->record_index == article.record_index) {
    // A replay: this very record claimed the version before the task was
    // killed. Decide as the first attempt did, so the re-executed chunk is
    // identical to the one that may already be published.
    size_t position = static_cast<size_t>(same - entry.versions.data());
    if (position == 0) {
      article.outcome = Outcome::kEmitted;
      return Disposition::kContinue;
    }
    article.outcome = Outcome::kRevision;
    article.first_source = entry.versions.front().source;
    article.revision = static_cast<uint32_t>(position + 1);
    return same->emitted ? Disposition::kContinue : Disposition::kDuplicate;
  }
  if (const DedupVersion* same = entry.Find(hash)) {
    article.outcome = Outcome::kDuplicate;
    article.first_source = same->source;
    return Disposition::kDuplicate;
  }
  article.outcome = Outcome::kRevision;
  article.first_source = entry.versions.front().source;
  article.revision = static_cast<uint32_t>(entry.revision_count() + 1);
  // Remembered either way: a later copy with this hash is a duplicate.
  claim(options.emit_revisions, &entry.versions.emplace_back());
  entry.EncodeTo(&dedup->encoded);
  dedup->pending.Set(key, dedup->encoded);
  return options.emit_revisions ? Disposition::kContinue : Disposition::kDuplicate;
}

class DedupCommit : public PendingCommit {
 public:
  explicit DedupCommit(std::shared_ptr<CommittingEntries> committing)
      : committing_(std::move(committing)) {}

  Status Prepare(StateTransaction* transaction) override {
    // In key order: RocksDB's memtable inserts ascending keys next to the
    // previous one instead of searching its skip list from the top, which
    // makes a commit of a whole chunk several times cheaper.
    committing_->entries.ForEachInKeyOrder(
        [transaction](std::string_view key, std::string_view encoded) {
          transaction->Put(key, encoded);
        });
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
  // Not prefetched (Process called alone): ask the database.
  auto* dedup = static_cast<DedupState*>(state);
  AssignStateKey(article, &dedup->key);
  std::optional<std::string_view> known = dedup->FindUncommitted(dedup->key);
  std::optional<std::string> stored;
  if (!known) {
    INGEST_ASSIGN_OR_RETURN(stored, state_->Get(dedup->key));
    if (stored) known = *stored;
  }
  return Decide(options_, article, dedup->key, known, dedup);
}

Status DedupStage::ProcessBatch(Batch& batch,
                                std::vector<Disposition>& dispositions,
                                WorkerState* state) const {
  auto* dedup = static_cast<DedupState*>(state);
  if (dedup->committing != nullptr &&
      dedup->committing->finished.load(std::memory_order_acquire)) {
    dedup->committing.reset();  // the database has them now
  }
  // One MultiGet for the keys this run has not decided. A key twice in the
  // batch is asked twice: its first copy's decision, if any, is found in
  // `pending` before the second copy looks at the fetched value.
  const size_t count = batch.articles.size();
  dedup->fetch_index.assign(count, DedupState::kNotFetched);
  size_t fetched = 0;
  for (size_t i = 0; i < count; ++i) {
    if (dispositions[i] != Disposition::kContinue) continue;
    AssignStateKey(batch.articles[i], &dedup->key);
    if (dedup->FindUncommitted(dedup->key)) continue;
    if (fetched == dedup->keys_to_fetch.size()) dedup->keys_to_fetch.emplace_back();
    dedup->keys_to_fetch[fetched].swap(dedup->key);
    dedup->fetch_index[i] = fetched++;
  }
  dedup->keys_to_fetch.resize(fetched);
  INGEST_RETURN_IF_ERROR(state_->MultiGet(dedup->keys_to_fetch, &dedup->values));
  for (size_t i = 0; i < count; ++i) {
    if (dispositions[i] != Disposition::kContinue) continue;
    Article& article = batch.articles[i];
    const size_t index = dedup->fetch_index[i];
    const std::string* key = &dedup->key;
    if (index == DedupState::kNotFetched) {
      AssignStateKey(article, &dedup->key);
    } else {
      key = &dedup->keys_to_fetch[index];
    }
    // A fetched key was not in the commit in flight, but a copy earlier in
    // the batch may have decided it since.
    std::optional<std::string_view> known = index == DedupState::kNotFetched
                                                ? dedup->FindUncommitted(*key)
                                                : dedup->pending.Find(*key);
    if (!known && index != DedupState::kNotFetched && dedup->values[index]) {
      known = *dedup->values[index];
    }
    INGEST_ASSIGN_OR_RETURN(dispositions[i], Decide(options_, article, *key, known, dedup));
  }
  return Status::OK();
}

Result<std::unique_ptr<PendingCommit>> DedupStage::DetachCommit(
    WorkerState* state) const {
  auto* dedup = static_cast<DedupState*>(state);
  if (dedup->pending.empty()) return std::unique_ptr<PendingCommit>();
  auto committing = std::make_shared<CommittingEntries>();
  committing->entries = std::exchange(dedup->pending, EncodedEntries());
  // The next chunk is likely as large: room for it at once, not by doubling.
  dedup->pending.Reserve(committing->entries.size(), committing->entries.bytes());
  // The runner finishes a commit before it detaches the next one, so an
  // older generation is no longer needed here.
  dedup->committing = committing;
  return std::unique_ptr<PendingCommit>(std::make_unique<DedupCommit>(std::move(committing)));
}

}  // namespace ingest
