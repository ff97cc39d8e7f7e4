// RenderStage ("render"): renders each verified article's NDJSON line
// ahead of dedup, in parallel, so the serial emit stage only copies bytes.
// Articles that dedup later drops were rendered for nothing; that work is
// spread over the workers while the serial end is the bottleneck.
//
// Parallel: immutable and reentrant.
#ifndef INGEST_STAGES_EMIT_RENDER_STAGE_H_
#define INGEST_STAGES_EMIT_RENDER_STAGE_H_

#include "pipeline/stage.h"

namespace ingest {

class RenderStage : public Stage {
 public:
  std::string_view name() const override { return "render"; }
  Concurrency concurrency() const override { return Concurrency::kParallel; }
  // Sets article.record and article.record_revision_at.
  Result<Disposition> Process(Article& article,
                              WorkerState* state) const override;
};

}  // namespace ingest

#endif  // INGEST_STAGES_EMIT_RENDER_STAGE_H_
