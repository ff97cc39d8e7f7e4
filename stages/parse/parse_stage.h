// ParseStage ("parse"): turns an article's raw bytes into its fields and its
// text, exactly per FORMAT.md §1: UTF-8 check, CRLF and BOM handling, the
// tolerant front-matter reader, key and hash checks, the body between the
// separators, HTML unescape and Python strip, dates to RFC 3339.
//
// Quarantines invalid_utf8 … empty_body (in the table's order of
// precedence). Parallel: immutable and reentrant.
#ifndef INGEST_STAGES_PARSE_PARSE_STAGE_H_
#define INGEST_STAGES_PARSE_PARSE_STAGE_H_

#include "pipeline/stage.h"

namespace ingest {

struct ParseOptions {
  int default_offset_minutes = 9 * 60;  // naive times are KST
};

class ParseStage : public Stage {
 public:
  explicit ParseStage(ParseOptions options) : options_(options) {}

  std::string_view name() const override { return "parse"; }
  Concurrency concurrency() const override { return Concurrency::kParallel; }
  std::unique_ptr<WorkerState> NewWorkerState() const override;
  // REQUIRES: article.raw holds the file's bytes. Releases them once the
  // fields and text are extracted.
  Result<Disposition> Process(Article& article,
                              WorkerState* state) const override;

 private:
  const ParseOptions options_;
};

}  // namespace ingest

#endif  // INGEST_STAGES_PARSE_PARSE_STAGE_H_
