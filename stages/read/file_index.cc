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

FileIndexCursor::FileIndexCursor(StateDb* state) : cursor_(state->NewCursor()) {}

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
  return Status::OK();
}

Status FileIndexStage::PrepareCommit(WorkerState* state,
                                     StateTransaction* transaction) const {
  for (const auto& [source, stamp] : static_cast<IndexState*>(state)->pending) {
    transaction->Put(FileIndexKey(source), EncodeFileStamp(stamp));
  }
  return Status::OK();
}

Status FileIndexStage::FinishCommit(WorkerState* state) const {
  static_cast<IndexState*>(state)->pending.clear();
  return Status::OK();
}

}  // namespace ingest
