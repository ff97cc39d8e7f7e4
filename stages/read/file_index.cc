#include "stages/read/file_index.h"

#include <cstring>
#include <utility>
#include <vector>

namespace ingest {

namespace {

// How far a cursor walks forward before it seeks instead: a seek costs
// about as much as a few dozen steps.
constexpr int kMaxSteps = 32;

class IndexState : public WorkerState {
 public:
  std::vector<std::pair<std::string, FileStamp>> pending;
  uint64_t processed = 0;  // articles seen: the next seq expected
};

class IndexCommit : public PendingCommit {
 public:
  explicit IndexCommit(std::vector<std::pair<std::string, FileStamp>> stamps)
      : stamps_(std::move(stamps)) {}
  Status Prepare(StateTransaction* transaction) override {
    for (const auto& [source, stamp] : stamps_) {
      transaction->Put(FileIndexKey(source), EncodeFileStamp(stamp));
    }
    return Status::OK();
  }
  Status Finish() override { return Status::OK(); }

 private:
  const std::vector<std::pair<std::string, FileStamp>> stamps_;
};

}  // namespace

std::string FileIndexKey(std::string_view source) {
  std::string key(kFileIndexPrefix);
  key.append(source);
  return key;
}

std::string EncodeFileStamp(const FileStamp& stamp) {
  std::string out(16, '\0');
  std::memcpy(out.data(), &stamp.size, 8);
  std::memcpy(out.data() + 8, &stamp.mtime_ns, 8);
  return out;
}

bool DecodeFileStamp(std::string_view encoded, FileStamp* stamp) {
  if (encoded.size() != 16) return false;
  std::memcpy(&stamp->size, encoded.data(), 8);
  std::memcpy(&stamp->mtime_ns, encoded.data() + 8, 8);
  return true;
}

FileIndexCursor::FileIndexCursor(StateDb* state)
    : cursor_(state->NewCursor()), random_cursor_(state->NewCursor()) {}

Result<std::optional<FileStamp>> FileIndexCursor::Lookup(std::string_view source) {
  std::string key = FileIndexKey(source);
  random_cursor_->Seek(key);
  INGEST_RETURN_IF_ERROR(random_cursor_->status());
  if (!random_cursor_->Valid() || random_cursor_->key() != key) {
    return std::optional<FileStamp>();
  }
  FileStamp stamp;
  if (!DecodeFileStamp(random_cursor_->value(), &stamp)) {
    return Status::Corruption("state: bad file index entry for " + std::string(source));
  }
  return std::optional<FileStamp>(stamp);
}

Result<uint64_t> FileIndexCursor::CountWithPrefix(std::string_view source_prefix) {
  std::string prefix = FileIndexKey(source_prefix);
  uint64_t count = 0;
  for (random_cursor_->Seek(prefix);
       random_cursor_->Valid() && random_cursor_->key().substr(0, prefix.size()) == prefix;
       random_cursor_->Next()) {
    ++count;
  }
  INGEST_RETURN_IF_ERROR(random_cursor_->status());
  return count;
}

void CompletedArchives::Add(std::string source, FileStamp stamp,
                            uint64_t articles_before) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.push_back(Entry{std::move(source), stamp, articles_before});
}

void CompletedArchives::TakeReady(
    uint64_t processed, std::vector<std::pair<std::string, FileStamp>>* ready) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t taken = 0;
  while (taken < entries_.size() && entries_[taken].articles_before <= processed) {
    ready->emplace_back(std::move(entries_[taken].source), entries_[taken].stamp);
    ++taken;
  }
  entries_.erase(entries_.begin(), entries_.begin() + static_cast<ptrdiff_t>(taken));
}

Result<std::optional<FileStamp>> FileIndexCursor::Find(std::string_view source) {
  target_.assign(kFileIndexPrefix);
  target_.append(source);
  if (!positioned_) {
    cursor_->Seek(target_);
    positioned_ = true;
  } else {
    int steps = 0;
    while (cursor_->Valid() && cursor_->key() < target_) {
      if (++steps > kMaxSteps) {
        cursor_->Seek(target_);
        break;
      }
      cursor_->Next();
    }
  }
  INGEST_RETURN_IF_ERROR(cursor_->status());
  if (!cursor_->Valid() || cursor_->key() != target_) {
    return std::optional<FileStamp>();
  }
  FileStamp stamp;
  if (!DecodeFileStamp(cursor_->value(), &stamp)) {
    return Status::Corruption("state: bad file index entry for " + std::string(source));
  }
  return std::optional<FileStamp>(stamp);
}

std::unique_ptr<WorkerState> FileIndexStage::NewWorkerState() const {
  return std::make_unique<IndexState>();
}

Result<Disposition> FileIndexStage::Process(Article& article,
                                            WorkerState* state) const {
  if (article.outcome == Outcome::kUnchanged) return Disposition::kContinue;
  static_cast<IndexState*>(state)->pending.emplace_back(
      article.source, article.stamp.value_or(FileStamp::Unreadable()));
  return Disposition::kContinue;
}

Status FileIndexStage::ProcessBatch(Batch& batch, std::vector<Disposition>&,
                                    WorkerState* state) const {
  for (Article& article : batch.articles) {
    Result<Disposition> ignored = Process(article, state);
    if (!ignored.ok()) return ignored.status();
  }
  if (!batch.articles.empty()) {
    static_cast<IndexState*>(state)->processed = batch.articles.back().seq + 1;
  }
  return Status::OK();
}

Result<std::unique_ptr<PendingCommit>> FileIndexStage::DetachCommit(
    WorkerState* worker_state) const {
  auto* state = static_cast<IndexState*>(worker_state);
  // An archive is recorded whole only in a commit that holds (or follows)
  // the outcome of its every member.
  if (archives_ != nullptr) archives_->TakeReady(state->processed, &state->pending);
  if (state->pending.empty()) return std::unique_ptr<PendingCommit>();
  return std::unique_ptr<PendingCommit>(
      std::make_unique<IndexCommit>(std::exchange(state->pending, {})));
}

}  // namespace ingest
