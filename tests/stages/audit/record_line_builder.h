// RecordLineBuilder: builds the JSON line of an article record (FORMAT.md
// §3) key by key, with the content_hash of its text computed, so audit
// tests can break exactly one thing at a time and never paste digests.
// Header-only, namespace ingest::test; a plain value, not thread-safe.
//
//   std::string line = RecordLineBuilder().Key("119", "42").Text("body")
//                          .Set("title", "7").Build();
#ifndef INGEST_TESTS_STAGES_AUDIT_RECORD_LINE_BUILDER_H_
#define INGEST_TESTS_STAGES_AUDIT_RECORD_LINE_BUILDER_H_

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "stages/emit/ndjson_writer.h"
#include "tests/testing/article_builder.h"

namespace ingest::test {

// `text` as a JSON string literal.
inline std::string JsonString(std::string_view text) {
  std::string out;
  AppendJsonString(text, &out);
  return out;
}

class RecordLineBuilder {
 public:
  // A valid record with every key in the contract's order.
  RecordLineBuilder() {
    fields_ = {{"id", ""},
               {"oid", ""},
               {"aid", ""},
               {"url", JsonString("https://n.news.naver.com/mnews/article/119/0003042504")},
               {"title", JsonString("'소버린 AI' 프로젝트 \"베일\" 벗는다")},
               {"publisher", JsonString("데일리안")},
               {"author", JsonString("조인영 기자 (ciy8100@dailian.co.kr)")},
               {"category", "null"},
               {"published_at", JsonString("2025-12-30T00:00:00+09:00")},
               {"crawled_at", JsonString("2025-12-30T00:09:00+09:00")},
               {"content_hash", ""},
               {"text", ""},
               {"source", JsonString("dump/119/0003042504.txt")}};
    Key("119", "0003042504");
    Text("정부가 '소버린 AI' 프로젝트의 alpha 단계를 공개했다.\n\n둘째 문단 & <b>끝</b>.");
  }

  // oid, aid and id = oid_aid.
  RecordLineBuilder& Key(std::string_view oid, std::string_view aid) {
    Set("oid", JsonString(oid));
    Set("aid", JsonString(aid));
    return Set("id", JsonString(std::string(oid) + "_" + std::string(aid)));
  }
  // The text, and its SHA-256 as content_hash unless Set() overrode it.
  RecordLineBuilder& Text(std::string_view text) {
    text_ = std::string(text);
    Set("text", JsonString(text));
    if (!hash_overridden_) Set("content_hash", JsonString(Sha256Hex(text)), false);
    return *this;
  }
  // `key` with the raw JSON `value`, in place when present, else appended.
  RecordLineBuilder& Set(std::string_view key, std::string value,
                         bool overrides_hash = true) {
    if (key == "content_hash" && overrides_hash) hash_overridden_ = true;
    for (auto& [name, raw] : fields_) {
      if (name == key) {
        raw = std::move(value);
        return *this;
      }
    }
    fields_.emplace_back(std::string(key), std::move(value));
    return *this;
  }
  // `key` once more at the end, even when present (a repeated key).
  RecordLineBuilder& Repeat(std::string_view key, std::string value) {
    fields_.emplace_back(std::string(key), std::move(value));
    return *this;
  }
  RecordLineBuilder& Remove(std::string_view key) {
    fields_.erase(std::remove_if(fields_.begin(), fields_.end(),
                                 [&](const auto& field) { return field.first == key; }),
                  fields_.end());
    return *this;
  }

  // The line, without its '\n'.
  std::string Build() const {
    std::string line = "{";
    for (const auto& [name, raw] : fields_) {
      if (line.size() > 1) line += ',';
      line += JsonString(name) + ":" + raw;
    }
    return line + "}";
  }
  const std::string& text() const { return text_; }
  std::string ContentHash() const { return Sha256Hex(text_); }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
  std::string text_;
  bool hash_overridden_ = false;
};

}  // namespace ingest::test

#endif  // INGEST_TESTS_STAGES_AUDIT_RECORD_LINE_BUILDER_H_
