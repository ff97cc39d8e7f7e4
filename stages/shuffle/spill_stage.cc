#include "stages/shuffle/spill_stage.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "pipeline/test_hooks.h"
#include "stages/emit/ndjson_writer.h"

namespace ingest {

namespace {

class SpillState : public WorkerState {
 public:
  WarnLimiter limiter;
};

Status WriteAll(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    ssize_t n = write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno("map: write spill", path, errno);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::OK();
}

}  // namespace

SpillWriter::SpillWriter(std::string final_path, uint32_t partitions,
                         uint64_t block_bytes)
    : final_path_(std::move(final_path)),
      temp_path_(TempPathFor(final_path_)),
      block_bytes_(block_bytes),
      buffers_(partitions) {
  index_.partitions.resize(partitions);
  index_.records.resize(partitions);
}

SpillWriter::~SpillWriter() {
  if (fd_ >= 0) close(fd_);
}

Status SpillWriter::Add(const Article& article, uint64_t file_index,
                        uint64_t record_index) {
  uint32_t partition = PartitionOf(article.Key(), static_cast<uint32_t>(buffers_.size()));
  std::string& buffer = buffers_[partition];
  size_t before = buffer.size();
  AppendSpillRecord(article, file_index, record_index, &buffer);
  buffered_ += buffer.size() - before;
  ++index_.records[partition];
  if (buffered_ >= block_bytes_) return WriteBlocks();
  return Status::OK();
}

Status SpillWriter::WriteBlocks() {
  if (fd_ < 0) {
    // O_TRUNC: a retried task rewrites what a killed attempt left.
    fd_ = open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) return Status::FromErrno("map: create spill", temp_path_, errno);
  }
  for (size_t p = 0; p < buffers_.size(); ++p) {
    std::string& buffer = buffers_[p];
    if (buffer.empty()) continue;
    INGEST_RETURN_IF_ERROR(WriteAll(fd_, buffer, temp_path_));
    index_.partitions[p].push_back(SpillIndex::Extent{offset_, buffer.size()});
    offset_ += buffer.size();
    buffer.clear();
  }
  buffered_ = 0;
  return Status::OK();
}

Status SpillWriter::Finish() {
  INGEST_RETURN_IF_ERROR(WriteBlocks());
  INGEST_RETURN_IF_ERROR(WriteAll(fd_, index_.EncodeFooter(), temp_path_));
  if (fsync(fd_) != 0) return Status::FromErrno("map: fsync spill", temp_path_, errno);
  close(fd_);
  fd_ = -1;
  TestHook("map.spill_sealed");
  if (std::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
    return Status::FromErrno("map: rename spill", temp_path_, errno);
  }
  return SyncDirectory(std::filesystem::path(final_path_).parent_path().string());
}

std::unique_ptr<WorkerState> SpillStage::NewWorkerState() const {
  return std::make_unique<SpillState>();
}

Result<Disposition> SpillStage::Process(Article& article, WorkerState* state) const {
  std::vector<Disposition> dispositions(1, Disposition::kContinue);
  Batch batch;
  batch.articles.push_back(std::move(article));
  Status status = ProcessBatch(batch, dispositions, state);
  article = std::move(batch.articles.front());
  if (!status.ok()) return status;
  return Disposition::kContinue;
}

Status SpillStage::ProcessBatch(Batch& batch, std::vector<Disposition>& dispositions,
                                WorkerState* worker_state) const {
  auto* state = static_cast<SpillState*>(worker_state);
  for (size_t i = 0; i < batch.articles.size(); ++i) {
    Article& article = batch.articles[i];
    uint64_t file_index = first_index_ + article.seq;
    ++summary_->files;
    summary_->bytes_read += article.bytes_read;
    if (dispositions[i] == Disposition::kContinue) {
      // One article per file today; an archive member would count up.
      INGEST_RETURN_IF_ERROR(writer_->Add(article, file_index, /*record_index=*/0));
      continue;
    }
    if (article.outcome != Outcome::kQuarantined) {
      return Status::Internal("map: article dropped without a reason: " + article.source);
    }
    ++summary_->quarantined[static_cast<size_t>(article.reason)];
    if (log_->should_log(spdlog::level::warn) && state->limiter.Allow(*log_, name())) {
      log_->warn("article quarantined stage=map code={} path={} detail={}",
                 QuarantineReasonName(article.reason), article.source, article.detail);
    }
    AppendQuarantineRecord(article, quarantine_->buffer());
    INGEST_RETURN_IF_ERROR(quarantine_->MaybeFlush());
  }
  return Status::OK();
}

}  // namespace ingest
