#include "stages/emit/ndjson_writer.h"

#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ingest {

namespace {

// Bytes that need escaping in a JSON string: controls, '"' and '\'.
struct EscapeTable {
  bool needs[256] = {};
  constexpr EscapeTable() {
    for (int c = 0; c < 0x20; ++c) needs[c] = true;
    needs[static_cast<unsigned char>('"')] = true;
    needs[static_cast<unsigned char>('\\')] = true;
  }
};
constexpr EscapeTable kEscape;

void AppendOptional(const std::optional<std::string>& value, std::string* out) {
  if (value) {
    AppendJsonString(*value, out);
  } else {
    out->append("null");
  }
}

void AppendKey(std::string_view key, std::string* out) {
  out->push_back(',');
  out->push_back('"');
  out->append(key);
  out->append("\":");
}

}  // namespace

// The index of the first byte at or after `i` that needs escaping (a
// control, '"' or '\\'), or `size`. Clean text is skipped 16 bytes at a
// time with SSE2 (8 with SWAR elsewhere); bytes >= 0x80, all of Hangul's
// UTF-8, never match.
inline size_t NextEscape(const char* data, size_t i, size_t size) {
#if defined(__SSE2__)
  const __m128i control_limit = _mm_set1_epi8(0x1F);
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  while (i + 16 <= size) {
    __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i));
    __m128i control =
        _mm_cmpeq_epi8(_mm_max_epu8(bytes, control_limit), control_limit);
    __m128i special = _mm_or_si128(_mm_cmpeq_epi8(bytes, quote),
                                   _mm_cmpeq_epi8(bytes, backslash));
    int mask = _mm_movemask_epi8(_mm_or_si128(control, special));
    if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(mask));
    i += 16;
  }
#endif
  while (i < size && !kEscape.needs[static_cast<unsigned char>(data[i])]) ++i;
  return i;
}

void AppendJsonString(std::string_view text, std::string* out) {
  out->push_back('"');
  const char* data = text.data();
  size_t size = text.size();
  size_t run_start = 0;
  for (size_t i = NextEscape(data, 0, size); i < size;
       i = NextEscape(data, i + 1, size)) {
    auto c = static_cast<unsigned char>(data[i]);
    out->append(data + run_start, i - run_start);
    run_start = i + 1;
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        char escaped[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out->append(escaped, sizeof(escaped));
      }
    }
  }
  out->append(data + run_start, size - run_start);
  out->push_back('"');
}

size_t AppendArticleRecord(const Article& article, std::string* out) {
  out->append("{\"id\":");
  AppendJsonString(article.id, out);
  AppendKey("oid", out);
  AppendJsonString(article.oid, out);
  AppendKey("aid", out);
  AppendJsonString(article.aid, out);
  AppendKey("url", out);
  AppendOptional(article.url, out);
  AppendKey("title", out);
  AppendOptional(article.title, out);
  AppendKey("publisher", out);
  AppendOptional(article.publisher, out);
  AppendKey("author", out);
  AppendOptional(article.author, out);
  AppendKey("category", out);
  AppendOptional(article.category, out);
  AppendKey("published_at", out);
  AppendOptional(article.published_at, out);
  AppendKey("crawled_at", out);
  AppendOptional(article.crawled_at, out);
  AppendKey("content_hash", out);
  AppendJsonString(article.content_hash, out);
  AppendKey("text", out);
  AppendJsonString(article.text, out);
  AppendKey("source", out);
  AppendJsonString(article.source, out);
  size_t revision_at = out->size();
  if (!article.extra.empty()) {
    AppendKey("extra", out);
    char separator = '{';
    for (const auto& [key, value] : article.extra) {
      out->push_back(separator);
      separator = ',';
      AppendJsonString(key, out);
      out->push_back(':');
      AppendOptional(value, out);
    }
    out->push_back('}');
  }
  out->append("}\n");
  return revision_at;
}

void AppendWithRevision(std::string_view record, size_t revision_at,
                        uint32_t revision, std::string* out) {
  out->append(record.substr(0, revision_at));
  AppendKey("revision", out);
  out->append(std::to_string(revision));
  out->append(record.substr(revision_at));
}

void AppendQuarantineRecord(const Article& article, std::string* out) {
  out->append("{\"source\":");
  AppendJsonString(article.source, out);
  AppendKey("reason", out);
  AppendJsonString(QuarantineReasonName(article.reason), out);
  AppendKey("detail", out);
  AppendJsonString(article.detail, out);
  if (!article.id.empty()) {
    AppendKey("id", out);
    AppendJsonString(article.id, out);
  }
  out->append("}\n");
}

void AppendDuplicateRecord(const Article& article, std::string* out) {
  out->append("{\"source\":");
  AppendJsonString(article.source, out);
  AppendKey("id", out);
  AppendJsonString(article.id, out);
  AppendKey("kind", out);
  AppendJsonString(article.outcome == Outcome::kRevision ? "revision" : "duplicate",
                   out);
  AppendKey("first_source", out);
  AppendJsonString(article.first_source, out);
  AppendKey("content_hash", out);
  AppendJsonString(article.content_hash, out);
  out->append("}\n");
}

}  // namespace ingest
