// Article records in the Dolma document format (allenai/dolma
// docs/data-format.md; doc/dolma.md here): one JSON object per line with
// `id`, `text`, `source`, `added`, `created` and `metadata`, which holds the
// remaining fields of FORMAT.md §3:
//
//   {"id":"119_0003042504","text":"…","source":"naver-news",
//    "added":"<crawled_at>","created":"<published_at>",
//    "metadata":{"oid","aid","url","title","publisher","author","category",
//                "content_hash","path"[,"revision"][,"extra"]}}
//
// `added` (when the crawler acquired the article) and `created` (when it
// was published) are RFC 3339 strings and are left out when unknown, as the
// format allows; `path` is FORMAT.md's `source` (the input path), since
// Dolma's `source` names the dataset. An emitted revision gets the id
// "<oid>_<aid>-r<n>" (ids are unique within a source) and
// metadata.revision. Pure functions; thread-safe.
#ifndef INGEST_STAGES_EMIT_DOLMA_WRITER_H_
#define INGEST_STAGES_EMIT_DOLMA_WRITER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "pipeline/article.h"
#include "pipeline/status.h"

namespace ingest {

// Which layout article records take; quarantine and duplicate records are
// the same in both.
enum class RecordSchema : uint8_t {
  kNative,  // FORMAT.md §3
  kDolma,
};

// "native", "dolma", and back.
std::string_view RecordSchemaName(RecordSchema schema);
Result<RecordSchema> ParseRecordSchema(std::string_view name);

// The Dolma record without revision; returns the offset in *out where
// `,"revision":n` belongs in metadata.
size_t AppendDolmaRecord(const Article& article, std::string_view dataset,
                         std::string* out);
// The record of an emitted revision, from the line AppendDolmaRecord made
// for an article whose id is `id`.
void AppendDolmaWithRevision(std::string_view record, size_t revision_at,
                             std::string_view id, uint32_t revision,
                             std::string* out);

}  // namespace ingest

#endif  // INGEST_STAGES_EMIT_DOLMA_WRITER_H_
