#include "stages/read/file_index.h"

#include <cstring>
#include <utility>
#include <vector>

namespace ingest {

namespace {

// How far a cursor walks forward before it seeks instead: a seek costs
// about as much as a few dozen steps.
constexpr int kMaxSteps = 32;

// The index entries of the files decided since the last commit point. The
// keys ("f/<source>") lie back to back in one buffer, so recording a file
// allocates nothing of its own and a commit writes them as they are.
class IndexEntries {
 public:
  void Add(std::string_view source, const FileStamp& stamp) {
    AppendFileIndexKey(source, &keys_);
    entries_.push_back(Entry{keys_.size(), stamp});
  }
  // Room for as many entries and key bytes as `other` holds.
  void ReserveLike(const IndexEntries& other) {
    keys_.reserve(other.keys_.size());
    entries_.reserve(other.entries_.size());
  }
  bool empty() const { return entries_.empty(); }
  // Calls visit(key, stamp) for every entry, in the order added.
  template <typename Visit>
  void ForEach(Visit visit) const {
    size_t begin = 0;
    for (const Entry& entry : entries_) {
      visit(std::string_view(keys_).substr(begin, entry.key_end - begin), entry.stamp);
      begin = entry.key_end;
    }
  }

 private:
  struct Entry {
    size_t key_end;  // the key runs from the previous entry's end to here
    FileStamp stamp;
  };
  std::string keys_;
  std::vector<Entry> entries_;
};

class IndexState : public WorkerState {
 public:
  IndexEntries pending;
  uint64_t processed = 0;  // articles seen: the next seq expected
  std::vector<std::pair<std::string, FileStamp>> ready_archives;  // scratch
};

constexpr size_t kFileStampSize = 16;

void EncodeFileStampTo(const FileStamp& stamp, char* out) {
  std::memcpy(out, &stamp.size, 8);
  std::memcpy(out + 8, &stamp.mtime_ns, 8);
}

class IndexCommit : public PendingCommit {
 public:
  explicit IndexCommit(IndexEntries entries) : entries_(std::move(entries)) {}
  Status Prepare(StateTransaction* transaction) override {
    entries_.ForEach([transaction](std::string_view key, const FileStamp& stamp) {
      char encoded[kFileStampSize];
      EncodeFileStampTo(stamp, encoded);
      transaction->Put(key, std::string_view(encoded, kFileStampSize));
    });
    return Status::OK();
  }
  Status Finish() override { return Status::OK(); }

 private:
  const IndexEntries entries_;
};

}  // namespace

std::string FileIndexKey(std::string_view source) {
  std::string key;
  AppendFileIndexKey(source, &key);
  return key;
}

void AppendFileIndexKey(std::string_view source, std::string* out) {
  out->append(kFileIndexPrefix);
  out->append(source);
}

std::string EncodeFileStamp(const FileStamp& stamp) {
  std::string out(kFileStampSize, '\0');
  EncodeFileStampTo(stamp, out.data());
  return out;
}

bool DecodeFileStamp(std::string_view encoded, FileStamp* stamp) {
  if (encoded.size() != kFileStampSize) return false;
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
  static_cast<IndexState*>(state)->pending.Add(
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
  if (archives_ != nullptr) {
    archives_->TakeReady(state->processed, &state->ready_archives);
    for (const auto& [source, stamp] : state->ready_archives) state->pending.Add(source, stamp);
    state->ready_archives.clear();
  }
  if (state->pending.empty()) return std::unique_ptr<PendingCommit>();
  IndexEntries detached = std::exchange(state->pending, IndexEntries());
  // The next chunk is likely as large: room for it at once, not by doubling.
  state->pending.ReserveLike(detached);
  return std::unique_ptr<PendingCommit>(std::make_unique<IndexCommit>(std::move(detached)));
}

}  // namespace ingest
