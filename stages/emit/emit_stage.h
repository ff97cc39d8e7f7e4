// EmitStage ("emit"): the serial end of the pipeline. Every input file
// reaches it, whatever became of it: emitted articles, quarantine records
// and duplicate records go to their chunk files in processing order, and
// every outcome is counted in the run summary.
//
// Chunks follow the commit protocol (doc/commit_protocol.md): records go
// to temp files; at a commit point the chunk is detached (the next one
// starts at once) and its commit seals it (fsync), adds its manifest
// entries to the transaction and, once that is durable, renames it into
// place. So a chunk is visible only once the state that marks its keys is
// durable. `*summary` and `*log` must outlive the stage; only its commits
// write *summary (one at a time), and only with committed outcomes.
#ifndef INGEST_STAGES_EMIT_EMIT_STAGE_H_
#define INGEST_STAGES_EMIT_EMIT_STAGE_H_

#include <spdlog/logger.h>

#include <atomic>
#include <cstdint>
#include <string>

#include "pipeline/stage.h"
#include "stages/emit/compression.h"
#include "stages/emit/dolma_writer.h"
#include "stages/emit/run_summary.h"

namespace ingest {

// Figures a progress display samples while the run goes, uncommitted work
// included. Written by the emit worker once per batch; read by any thread.
struct LiveCounters {
  std::atomic<uint64_t> files{0};       // article files that reached emit
  std::atomic<uint64_t> bytes_read{0};
};

struct EmitOptions {
  std::string out_dir;      // has articles/, quarantine/, duplicates/
  bool to_stdout = false;   // articles to stdout, no files at all
  std::string run_id;
  uint64_t chunk_records = 100000;
  uint64_t chunk_bytes = 64ull << 20;  // uncompressed record bytes
  // Article chunks only (*.ndjson.zst / *.ndjson.gz); quarantine and
  // duplicate records stay plain NDJSON.
  Compression compression = Compression::kNone;
  int compression_level = 0;  // 0: the format's default
  // The layout the render stage gave article records (where an emitted
  // revision's number goes).
  RecordSchema schema = RecordSchema::kNative;
  LiveCounters* live = nullptr;  // optional; must outlive the stage
};

// State key of the manifest entry for the chunk published at `final_path`.
std::string ChunkManifestKey(std::string_view final_path);
inline constexpr std::string_view kChunkManifestPrefix = "c/";

class EmitStage : public Stage {
 public:
  EmitStage(EmitOptions options, RunSummary* summary, spdlog::logger* log)
      : options_(std::move(options)), summary_(summary), log_(log) {}

  std::string_view name() const override { return "emit"; }
  Concurrency concurrency() const override {
    return Concurrency::kSerialInOrder;
  }
  std::unique_ptr<WorkerState> NewWorkerState() const override;
  Result<Disposition> Process(Article& article,
                              WorkerState* state) const override;
  // Sees every article, dropped ones included.
  Status ProcessBatch(Batch& batch, std::vector<Disposition>& dispositions,
                      WorkerState* state) const override;
  bool CommitDue(WorkerState* state) const override;
  Result<std::unique_ptr<PendingCommit>> DetachCommit(WorkerState* state) const override;

 private:
  // `passed_on`: every earlier stage said kContinue, so the article is to
  // be emitted (an emitted revision included).
  Status EmitOne(Article& article, bool passed_on, WorkerState* state) const;

  const EmitOptions options_;
  RunSummary* const summary_;
  spdlog::logger* const log_;
};

}  // namespace ingest

#endif  // INGEST_STAGES_EMIT_EMIT_STAGE_H_
