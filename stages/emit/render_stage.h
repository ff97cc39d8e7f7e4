// RenderStage ("render"): renders each verified article's NDJSON line
// ahead of dedup, in parallel, so the serial emit stage only copies bytes.
// Articles that dedup later drops were rendered for nothing; that work is
// spread over the workers while the serial end is the bottleneck.
//
// Parallel: immutable and reentrant.
#ifndef INGEST_STAGES_EMIT_RENDER_STAGE_H_
#define INGEST_STAGES_EMIT_RENDER_STAGE_H_

#include <string>

#include "pipeline/stage.h"
#include "stages/emit/dolma_writer.h"

namespace ingest {

struct RenderOptions {
  RecordSchema schema = RecordSchema::kNative;
  std::string dolma_source = "naver-news";  // Dolma's `source` (the dataset)
};

class RenderStage : public Stage {
 public:
  explicit RenderStage(RenderOptions options = {}) : options_(std::move(options)) {}
  std::string_view name() const override { return "render"; }
  Concurrency concurrency() const override { return Concurrency::kParallel; }
  // Sets article.record and article.record_revision_at.
  Result<Disposition> Process(Article& article,
                              WorkerState* state) const override;

 private:
  const RenderOptions options_;
};

}  // namespace ingest

#endif  // INGEST_STAGES_EMIT_RENDER_STAGE_H_
