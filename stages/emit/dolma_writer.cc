#include "stages/emit/dolma_writer.h"

#include "stages/emit/ndjson_writer.h"

namespace ingest {

namespace {

// `{"id":"` comes before the id; ids are oid_aid, ASCII digits and '_',
// which JSON never escapes, so the id ends at a known offset.
constexpr size_t kIdStart = 7;

void AppendField(std::string_view key, const std::optional<std::string>& value,
                 std::string* out) {
  out->append(",\"");
  out->append(key);
  out->append("\":");
  if (value) {
    AppendJsonString(*value, out);
  } else {
    out->append("null");
  }
}

}  // namespace

std::string_view RecordSchemaName(RecordSchema schema) {
  return schema == RecordSchema::kDolma ? "dolma" : "native";
}

Result<RecordSchema> ParseRecordSchema(std::string_view name) {
  if (name == "native") return RecordSchema::kNative;
  if (name == "dolma") return RecordSchema::kDolma;
  return Status::InvalidArgument("schema must be native or dolma, not '" +
                                 std::string(name) + "'");
}

size_t AppendDolmaRecord(const Article& article, std::string_view dataset,
                         std::string* out) {
  out->append("{\"id\":");
  AppendJsonString(article.id, out);
  out->append(",\"text\":");
  AppendJsonString(article.text, out);
  out->append(",\"source\":");
  AppendJsonString(dataset, out);
  if (article.crawled_at) {
    out->append(",\"added\":");
    AppendJsonString(*article.crawled_at, out);
  }
  if (article.published_at) {
    out->append(",\"created\":");
    AppendJsonString(*article.published_at, out);
  }
  out->append(",\"metadata\":{\"oid\":");
  AppendJsonString(article.oid, out);
  out->append(",\"aid\":");
  AppendJsonString(article.aid, out);
  AppendField("url", article.url, out);
  AppendField("title", article.title, out);
  AppendField("publisher", article.publisher, out);
  AppendField("author", article.author, out);
  AppendField("category", article.category, out);
  out->append(",\"content_hash\":");
  AppendJsonString(article.content_hash, out);
  out->append(",\"path\":");
  AppendJsonString(article.source, out);
  size_t revision_at = out->size();
  if (!article.extra.empty()) {
    out->append(",\"extra\":");
    char separator = '{';
    for (const auto& [key, value] : article.extra) {
      out->push_back(separator);
      separator = ',';
      AppendJsonString(key, out);
      out->push_back(':');
      if (value) {
        AppendJsonString(*value, out);
      } else {
        out->append("null");
      }
    }
    out->push_back('}');
  }
  out->append("}}\n");
  return revision_at;
}

void AppendDolmaWithRevision(std::string_view record, size_t revision_at,
                             std::string_view id, uint32_t revision,
                             std::string* out) {
  size_t id_end = kIdStart + id.size();
  std::string number = std::to_string(revision);
  out->append(record.substr(0, id_end));
  out->append("-r");
  out->append(number);
  out->append(record.substr(id_end, revision_at - id_end));
  out->append(",\"revision\":");
  out->append(number);
  out->append(record.substr(revision_at));
}

}  // namespace ingest
