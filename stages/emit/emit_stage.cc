#include "stages/emit/emit_stage.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <fmt/format.h>

#include <optional>

#include "pipeline/logging.h"
#include "stages/emit/chunk_file.h"
#include "stages/emit/ndjson_writer.h"

namespace ingest {

namespace {

// The stage that assigns each reason, for the `stage=` log field.
std::string_view StageOf(QuarantineReason reason) {
  switch (reason) {
    case QuarantineReason::kUnreadable:
    case QuarantineReason::kTooLarge:
    case QuarantineReason::kEmptyFile: return "read";
    case QuarantineReason::kHashMismatch: return "verify";
    default: return "parse";
  }
}

class EmitState : public WorkerState {
 public:
  uint64_t chunk_index = 0;
  std::optional<ChunkFile> articles;
  std::optional<ChunkFile> quarantine;  // absent when writing to stdout
  std::optional<ChunkFile> duplicates;
  uint64_t records_in_chunk = 0;
  // Manifest entries of published chunks, deleted at the next commit.
  std::vector<std::string> published_keys;
  WarnLimiter limiter;
  // Outcomes since the last commit point; they reach the run summary only
  // once committed, so a failed run reports what it kept.
  RunSummary uncommitted;
};

void StartChunk(const EmitOptions& options, EmitState* state) {
  ++state->chunk_index;
  state->records_in_chunk = 0;
  if (options.to_stdout) {
    if (!state->articles) {
      state->articles =
          ChunkFile::ForDescriptor(STDOUT_FILENO, "stdout", options.compression,
                                   options.compression_level);
    }
    return;
  }
  std::string name = fmt::format("{}-{:06d}.ndjson", options.run_id, state->chunk_index);
  state->articles.emplace(options.out_dir + "/articles/" + name +
                              std::string(CompressionSuffix(options.compression)),
                          options.compression, options.compression_level);
  state->quarantine.emplace(options.out_dir + "/quarantine/" + name);
  state->duplicates.emplace(options.out_dir + "/duplicates/" + name);
}

}  // namespace

std::string ChunkManifestKey(std::string_view final_path) {
  std::string key(kChunkManifestPrefix);
  key.append(final_path);
  return key;
}

std::unique_ptr<WorkerState> EmitStage::NewWorkerState() const {
  auto state = std::make_unique<EmitState>();
  StartChunk(options_, state.get());
  return state;
}

Result<Disposition> EmitStage::Process(Article& article,
                                       WorkerState* state) const {
  INGEST_RETURN_IF_ERROR(EmitOne(article, /*passed_on=*/true, state));
  INGEST_RETURN_IF_ERROR(static_cast<EmitState*>(state)->articles->Flush());
  return Disposition::kContinue;
}

Status EmitStage::ProcessBatch(Batch& batch,
                               std::vector<Disposition>& dispositions,
                               WorkerState* state) const {
  for (size_t i = 0; i < batch.articles.size(); ++i) {
    INGEST_RETURN_IF_ERROR(EmitOne(batch.articles[i],
                                   dispositions[i] == Disposition::kContinue, state));
  }
  if (options_.live != nullptr) {
    uint64_t bytes = 0;
    for (const Article& article : batch.articles) bytes += article.bytes_read;
    options_.live->files.fetch_add(batch.articles.size(), std::memory_order_relaxed);
    options_.live->bytes_read.fetch_add(bytes, std::memory_order_relaxed);
  }
  // Records were queued by reference into the batch's articles: write them
  // (one writev) before the batch is recycled.
  return static_cast<EmitState*>(state)->articles->Flush();
}

Status EmitStage::EmitOne(Article& article, bool passed_on,
                          WorkerState* worker_state) const {
  auto* state = static_cast<EmitState*>(worker_state);
  RunSummary& summary = state->uncommitted;
  if (article.outcome == Outcome::kUnchanged) {
    ++summary.unchanged;
    return Status::OK();
  }
  ++summary.files;
  summary.bytes_read += article.bytes_read;
  switch (article.outcome) {
    case Outcome::kQuarantined:
      ++summary.quarantined[static_cast<size_t>(article.reason)];
      if (log_->should_log(spdlog::level::warn) &&
          state->limiter.Allow(*log_, name())) {
        log_->warn("article quarantined stage={} code={} path={} detail={}",
                   StageOf(article.reason), QuarantineReasonName(article.reason),
                   article.source, article.detail);
      }
      if (!state->quarantine) return Status::OK();
      AppendQuarantineRecord(article, state->quarantine->buffer());
      return state->quarantine->MaybeFlush();
    case Outcome::kDuplicate:
    case Outcome::kRevision:
      if (article.outcome == Outcome::kDuplicate) {
        ++summary.duplicates;
      } else {
        ++summary.revisions;
      }
      SPDLOG_LOGGER_DEBUG(log_, "article {} id={} path={} first_source={}",
                          article.outcome == Outcome::kDuplicate ? "duplicate"
                                                                 : "revision",
                          article.id, article.source, article.first_source);
      if (!passed_on) {
        // Not emitted: a duplicate, or a revision under --revisions skip.
        if (!state->duplicates) return Status::OK();
        AppendDuplicateRecord(article, state->duplicates->buffer());
        return state->duplicates->MaybeFlush();
      }
      break;  // a revision emitted under --revisions emit
    case Outcome::kEmitted:
      ++summary.emitted;
      break;
    case Outcome::kUnchanged:
    case Outcome::kPending:
      return Status::Internal("emit: article reached emit undecided: " +
                              article.source);
  }
  if (article.outcome == Outcome::kRevision && options_.schema == RecordSchema::kDolma) {
    AppendDolmaWithRevision(article.record, article.record_revision_at, article.id,
                            article.revision, state->articles->buffer());
  } else if (article.outcome == Outcome::kRevision) {
    AppendWithRevision(article.record, article.record_revision_at,
                       article.revision, state->articles->buffer());
  } else {
    state->articles->AppendRef(article.record);
  }
  ++state->records_in_chunk;
  return Status::OK();
}

bool EmitStage::CommitDue(WorkerState* worker_state) const {
  auto* state = static_cast<EmitState*>(worker_state);
  return state->records_in_chunk >= options_.chunk_records ||
         state->articles->size() >= options_.chunk_bytes;
}

namespace {

// A chunk on its way to being committed: sealed (fsync) and entered in the
// manifest by Prepare, renamed into place by Finish.
class ChunkCommit : public PendingCommit {
 public:
  // `files` is empty when writing to stdout (nothing to seal or publish).
  ChunkCommit(std::vector<ChunkFile> files, std::vector<std::string> keys_to_delete,
              RunSummary outcomes, RunSummary* summary,
              std::vector<std::string>* published_keys)
      : files_(std::move(files)),
        keys_to_delete_(std::move(keys_to_delete)),
        outcomes_(std::move(outcomes)),
        summary_(summary),
        published_keys_(published_keys) {}

  Status Prepare(StateTransaction* transaction) override {
    for (const std::string& key : keys_to_delete_) transaction->Delete(key);
    for (ChunkFile& file : files_) {
      INGEST_RETURN_IF_ERROR(file.Seal());
      if (file.empty()) continue;
      transaction->Put(ChunkManifestKey(file.final_path()), file.temp_path());
    }
    return Status::OK();
  }
  Status Finish() override {
    summary_->Add(outcomes_);
    for (ChunkFile& file : files_) {
      if (file.empty()) continue;
      INGEST_RETURN_IF_ERROR(file.Publish());
      // Deleted by the next commit: the rename needs the entry no longer.
      published_keys_->push_back(ChunkManifestKey(file.final_path()));
    }
    return Status::OK();
  }

 private:
  std::vector<ChunkFile> files_;
  const std::vector<std::string> keys_to_delete_;
  const RunSummary outcomes_;
  RunSummary* const summary_;
  std::vector<std::string>* const published_keys_;
};

}  // namespace

Result<std::unique_ptr<PendingCommit>> EmitStage::DetachCommit(
    WorkerState* worker_state) const {
  auto* state = static_cast<EmitState*>(worker_state);
  std::vector<ChunkFile> files;
  if (options_.to_stdout) {
    // One stream for the whole run, which the next batch goes on writing:
    // sealed (written out, a compressed frame ended) here, never renamed.
    INGEST_RETURN_IF_ERROR(state->articles->Seal());
    state->records_in_chunk = 0;
  } else {
    for (std::optional<ChunkFile>* file :
         {&state->articles, &state->quarantine, &state->duplicates}) {
      files.push_back(std::move(**file));
    }
    StartChunk(options_, state);
  }
  return std::unique_ptr<PendingCommit>(std::make_unique<ChunkCommit>(
      std::move(files), std::exchange(state->published_keys, {}),
      std::exchange(state->uncommitted, RunSummary()), summary_, &state->published_keys));
}

}  // namespace ingest
