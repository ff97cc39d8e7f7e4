// NDJSON rendering of the three record kinds of FORMAT.md §3: an article,
// a quarantine record and a duplicate record, each one line ending in '\n',
// keys in the contract's order. Strings are escaped the way Python's
// json.dumps(ensure_ascii=False) does (so the Python reference and this
// tool agree byte for byte). Pure functions; thread-safe.
#ifndef INGEST_STAGES_EMIT_NDJSON_WRITER_H_
#define INGEST_STAGES_EMIT_NDJSON_WRITER_H_

#include <string>
#include <string_view>

#include "pipeline/article.h"

namespace ingest {

// Appends `text` as a JSON string literal, quotes included.
void AppendJsonString(std::string_view text, std::string* out);

// The article record without `revision`; returns the offset in *out where
// `,"revision":n` belongs (FORMAT.md §3 puts it after `source`).
size_t AppendArticleRecord(const Article& article, std::string* out);
// The record of an emitted revision, from the line AppendArticleRecord made.
void AppendWithRevision(std::string_view record, size_t revision_at,
                        uint32_t revision, std::string* out);
void AppendQuarantineRecord(const Article& article, std::string* out);
void AppendDuplicateRecord(const Article& article, std::string* out);

}  // namespace ingest

#endif  // INGEST_STAGES_EMIT_NDJSON_WRITER_H_
