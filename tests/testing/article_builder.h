// ArticleFileBuilder: builds the text of an article file in the layout of
// FORMAT.md §1 (front matter, header block, body between separators,
// footer), with settable front-matter lines, body, line endings and BOM, and
// a content_hash it computes itself (FORMAT.md §1.2), so tests never paste
// digests. Namespace ingest::test. A builder is a plain value: not
// thread-safe, cheap to copy.
//
//   std::string file = ArticleFileBuilder().Key("001", "42").Body("a &amp; b")
//                          .Crlf().Build();
#ifndef INGEST_TESTS_TESTING_ARTICLE_BUILDER_H_
#define INGEST_TESTS_TESTING_ARTICLE_BUILDER_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pipeline/article.h"

namespace ingest::test {

// Lowercase hex SHA-256 of `data` (stages/verify/sha256.h).
std::string Sha256Hex(std::string_view data);

class ArticleFileBuilder {
 public:
  // A valid article shaped like seeds/000_a625429a3cc50d01.txt: keys id,
  // title (double-quoted, HTML-escaped), category (empty), publisher,
  // author, published_at, crawled_at, url, oid, aid, content_hash, in that
  // order, and a two-paragraph body with HTML escapes.
  ArticleFileBuilder();

  // Writes the front-matter line `key: <raw_value>`. `raw_value` is written
  // as is (quotes, escapes and all); a '\n' in it starts a continuation
  // line, so the caller writes its indentation. Replaces the line of an
  // existing key in place, or appends a new key before content_hash.
  // Setting "content_hash" turns off the computed hash.
  ArticleFileBuilder& Set(std::string_view key, std::string_view raw_value);
  // Drops the line(s) of `key`; no-op when absent.
  ArticleFileBuilder& Remove(std::string_view key);
  // Sets oid, aid and id (= oid_aid) together.
  ArticleFileBuilder& Key(std::string_view oid, std::string_view aid);
  // The body as it stands in the file (HTML-escaped, LF line breaks), without
  // the blank lines the layout puts around it.
  ArticleFileBuilder& Body(std::string_view raw_body);
  // Writes every line break as CRLF (the hash is unchanged: FORMAT.md §1).
  ArticleFileBuilder& Crlf(bool crlf = true);
  // Starts the file with a UTF-8 BOM.
  ArticleFileBuilder& Bom(bool bom = true);

  // The file's bytes.
  std::string Build() const;
  // What the pipeline must produce as `text`: strip(html_unescape(body
  // between the separators)).
  std::string Text() const;
  // Lowercase hex SHA-256 of Text(): the content_hash written unless Set()
  // overrode it.
  std::string ContentHash() const;
  // An Article whose raw bytes are Build(), ready for the parse stage.
  Article ToArticle(std::string source = "test/article.txt") const;

 private:
  // The raw text between the body's two separator lines (LF form).
  std::string RawBody() const;

  std::vector<std::pair<std::string, std::string>> fields_;  // in file order
  std::string body_;
  bool hash_overridden_ = false;
  bool crlf_ = false;
  bool bom_ = false;
};

}  // namespace ingest::test

#endif  // INGEST_TESTS_TESTING_ARTICLE_BUILDER_H_
