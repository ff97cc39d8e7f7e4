#include "tests/testing/article_builder.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "stages/parse/html_unescape.h"
#include "stages/verify/sha256.h"

namespace ingest::test {

namespace {

// The value of `key` as written, or "" when absent.
std::string_view FieldOr(
    const std::vector<std::pair<std::string, std::string>>& fields,
    std::string_view key) {
  for (const auto& [name, value] : fields) {
    if (name == key) return value;
  }
  return {};
}

// The title for the informational header: its raw value without the YAML
// quotes (the header is not parsed, so this need not be exact).
std::string_view Unquoted(std::string_view raw) {
  if (raw.size() >= 2 && (raw.front() == '"' || raw.front() == '\'') &&
      raw.back() == raw.front()) {
    return raw.substr(1, raw.size() - 2);
  }
  return raw;
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  Sha256 sha256;
  Result<Sha256::Digest> digest = sha256.Hash(data);
  if (!digest.ok()) {
    ADD_FAILURE() << digest.status().ToString();
    return std::string();
  }
  return ToHex(*digest);
}

ArticleFileBuilder::ArticleFileBuilder()
    : fields_{
          {"id", "119_0003042504"},
          {"title", "\"&#x27;소버린 AI&#x27; 프로젝트 베일 벗는다\""},
          {"category", ""},
          {"publisher", "데일리안"},
          {"author", "조인영 기자 (ciy8100@dailian.co.kr)"},
          {"published_at", "2025-12-30 00:00"},
          {"crawled_at", "2025-12-30 00:09:00"},
          {"url", "https://n.news.naver.com/mnews/article/119/0003042504"},
          {"oid", "119"},
          {"aid", "0003042504"},
          {"content_hash", ""},  // computed by Build() unless overridden
      },
      body_("[데일리안 &#x3D; 조인영 기자] &#x27;독자 AI 파운데이션 모델 "
            "프로젝트&#x27;가 30일 베일을 벗는다.\n\nSKT &amp; LG &lt;AI&gt; "
            "정예팀은 &quot;성과&quot;를 점검한다.") {}

ArticleFileBuilder& ArticleFileBuilder::Set(std::string_view key,
                                            std::string_view raw_value) {
  if (key == "content_hash") hash_overridden_ = true;
  for (auto& [name, value] : fields_) {
    if (name == key) {
      value = std::string(raw_value);
      return *this;
    }
  }
  auto hash = std::find_if(fields_.begin(), fields_.end(), [](const auto& f) {
    return f.first == "content_hash";
  });
  fields_.emplace(hash, std::string(key), std::string(raw_value));
  return *this;
}

ArticleFileBuilder& ArticleFileBuilder::Remove(std::string_view key) {
  fields_.erase(std::remove_if(fields_.begin(), fields_.end(),
                               [key](const auto& f) { return f.first == key; }),
                fields_.end());
  return *this;
}

ArticleFileBuilder& ArticleFileBuilder::Key(std::string_view oid,
                                            std::string_view aid) {
  Set("oid", oid);
  Set("aid", aid);
  return Set("id", std::string(oid) + "_" + std::string(aid));
}

ArticleFileBuilder& ArticleFileBuilder::Body(std::string_view raw_body) {
  body_ = std::string(raw_body);
  return *this;
}

ArticleFileBuilder& ArticleFileBuilder::Crlf(bool crlf) {
  crlf_ = crlf;
  return *this;
}

ArticleFileBuilder& ArticleFileBuilder::Bom(bool bom) {
  bom_ = bom;
  return *this;
}

std::string ArticleFileBuilder::RawBody() const {
  return "\n" + body_ + "\n\n";
}

std::string ArticleFileBuilder::Text() const {
  std::string unescaped = HtmlUnescape(RawBody());
  return std::string(StripPythonWhitespace(unescaped));
}

std::string ArticleFileBuilder::ContentHash() const {
  return Sha256Hex(Text());
}

std::string ArticleFileBuilder::Build() const {
  std::string file = "---\n";
  for (const auto& [key, value] : fields_) {
    file += key;
    file += ": ";
    file += key == "content_hash" && !hash_overridden_ ? ContentHash() : value;
    file += '\n';
  }
  file += "---\n\n# ";
  file += Unquoted(FieldOr(fields_, "title"));
  file += "\n\n**";
  file += FieldOr(fields_, "publisher");
  file += "** | ";
  file += FieldOr(fields_, "published_at");
  file += " | \n\n---\n";
  file += RawBody();
  file += "---\n\n*Crawled at: ";
  file += FieldOr(fields_, "crawled_at");
  file += "*\n*Source: [원문 보기](";
  file += FieldOr(fields_, "url");
  file += ")*\n";

  std::string out = bom_ ? "\xEF\xBB\xBF" : "";
  for (char c : file) {
    if (c == '\n' && crlf_) out += '\r';
    out += c;
  }
  return out;
}

Article ArticleFileBuilder::ToArticle(std::string source) const {
  Article article;
  article.source = std::move(source);
  article.raw = Build();
  article.bytes_read = article.raw.size();
  return article;
}

}  // namespace ingest::test
