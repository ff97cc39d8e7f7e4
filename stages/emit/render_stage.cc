#include "stages/emit/render_stage.h"

#include "stages/emit/ndjson_writer.h"

namespace ingest {

Result<Disposition> RenderStage::Process(Article& article,
                                         WorkerState* /*state*/) const {
  article.record.clear();
  article.record.reserve(article.text.size() + 1024);
  article.record_revision_at =
      options_.schema == RecordSchema::kDolma
          ? AppendDolmaRecord(article, options_.dolma_source, &article.record)
          : AppendArticleRecord(article, &article.record);
  // The text now lives in the record; keep only what dedup and emit read
  // (the buffer's capacity stays for the article's next use).
  article.text.clear();
  return Disposition::kContinue;
}

}  // namespace ingest
