#include "stages/parse/parse_stage.h"

#include <simdjson.h>

#include <algorithm>
#include <cstring>

#include "stages/parse/dates.h"
#include "stages/parse/front_matter.h"
#include "stages/parse/html_unescape.h"

namespace ingest {

namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

// CRLF → LF in place; a lone CR stays.
void NormalizeLineBreaks(std::string* raw) {
  size_t first = raw->find("\r\n");
  if (first == std::string::npos) return;
  char* data = raw->data();
  size_t out = first;
  for (size_t in = first; in < raw->size(); ++in) {
    if (data[in] == '\r' && in + 1 < raw->size() && data[in + 1] == '\n') continue;
    data[out++] = data[in];
  }
  raw->resize(out);
}

bool AllAsciiDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return c >= '0' && c <= '9';
  });
}

bool AllHexDigits(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
           (c >= 'A' && c <= 'F');
  });
}

Disposition Reject(Article& article, QuarantineReason reason,
                   std::string detail) {
  article.Quarantine(reason, std::move(detail));
  article.raw.clear();
  return Disposition::kRejected;
}

std::optional<std::string> Unescaped(const std::string& value) {
  if (value.empty()) return std::nullopt;
  return HtmlUnescape(value);
}

class ParseState : public WorkerState {
 public:
  FrontMatter front_matter;  // reused for its buffers
  std::string scratch;       // a date, unescaped before it is normalised
};

}  // namespace

std::unique_ptr<WorkerState> ParseStage::NewWorkerState() const {
  return std::make_unique<ParseState>();
}

Result<Disposition> ParseStage::Process(Article& article,
                                        WorkerState* state) const {
  std::string& raw = article.raw;
  if (!simdjson::validate_utf8(raw.data(), raw.size())) {
    return Reject(article, QuarantineReason::kInvalidUtf8,
                  "the file is not valid UTF-8");
  }
  NormalizeLineBreaks(&raw);
  std::string_view document = raw;
  if (document.substr(0, kBom.size()) == kBom) document.remove_prefix(kBom.size());

  FrontMatter& front_matter = static_cast<ParseState*>(state)->front_matter;
  std::string detail;
  QuarantineReason reason = ReadFrontMatter(document, &front_matter, &detail);
  if (reason != QuarantineReason::kNone) {
    return Reject(article, reason, std::move(detail));
  }

  bool has_oid = false;
  bool has_aid = false;
  article.stored_hash.clear();  // absent and empty are both missing_hash
  std::string& scratch = static_cast<ParseState*>(state)->scratch;
  // Each value is decoded straight into the article's (recycled) buffer for
  // it: the common article allocates nothing here.
  for (FrontMatterField& field : front_matter.fields) {
    std::string_view key = field.key;
    std::string* target = nullptr;
    if (key == "id") target = &article.id;
    else if (key == "oid") { has_oid = true; target = &article.oid; }
    else if (key == "aid") { has_aid = true; target = &article.aid; }
    else if (key == "content_hash") target = &article.stored_hash;
    else if (key == "published_at" || key == "crawled_at") {
      std::optional<std::string>& date =
          key == "published_at" ? article.published_at : article.crawled_at;
      if (field.value.empty()) continue;
      scratch.clear();
      HtmlUnescapeAppend(field.value, &scratch);
      std::string& normalised = article.EngageField(date);
      if (!AppendRfc3339(scratch, options_.default_offset_minutes, &normalised)) {
        date.reset();
        article.extra.emplace_back(std::string(key), scratch);
      }
      continue;
    } else {
      std::optional<std::string>* optional = nullptr;
      if (key == "url") optional = &article.url;
      else if (key == "title") optional = &article.title;
      else if (key == "publisher") optional = &article.publisher;
      else if (key == "author") optional = &article.author;
      else if (key == "category") optional = &article.category;
      if (optional == nullptr) {
        article.extra.emplace_back(std::string(key), Unescaped(field.value));
        continue;
      }
      if (field.value.empty()) {
        optional->reset();
        continue;
      }
      target = &article.EngageField(*optional);
    }
    target->clear();
    HtmlUnescapeAppend(field.value, target);
  }

  for (auto [present, name, value] :
       {std::tuple{has_oid, "oid", &article.oid},
        std::tuple{has_aid, "aid", &article.aid}}) {
    if (!present) {
      return Reject(article, QuarantineReason::kBadKey,
                    std::string(name) + " is missing");
    }
    if (!AllAsciiDigits(*value)) {
      return Reject(article, QuarantineReason::kBadKey,
                    std::string(name) + " '" + *value +
                        "' is not a non-empty string of ASCII digits");
    }
  }
  std::string key = article.Key();
  if (!article.id.empty() && article.id != key) {
    return Reject(article, QuarantineReason::kIdMismatch,
                  "id '" + article.id + "' is not oid_aid '" + key + "'");
  }
  article.id = std::move(key);
  if (article.stored_hash.empty()) {
    return Reject(article, QuarantineReason::kMissingHash,
                  "content_hash is missing or empty");
  }
  if (article.stored_hash.size() != 64 || !AllHexDigits(article.stored_hash)) {
    return Reject(article, QuarantineReason::kBadHash,
                  "content_hash '" + article.stored_hash + "' is not 64 hex digits");
  }

  std::string_view body;
  if (!FindBody(document, front_matter.end, &body)) {
    return Reject(article, QuarantineReason::kNoBody,
                  "the body's two --- separators are not there");
  }
  // Stripping the raw body first is exact (a reference never starts or
  // ends inside whitespace) and keeps the common case from copying the
  // text a second time; only a reference that decodes to whitespace at
  // either end leaves something for the second strip.
  article.text.clear();
  HtmlUnescapeAppend(StripPythonWhitespace(body), &article.text);
  std::string_view stripped = StripPythonWhitespace(article.text);
  if (stripped.size() != article.text.size()) {
    // In place, so the recycled buffer keeps its capacity.
    const size_t leading = static_cast<size_t>(stripped.data() - article.text.data());
    article.text.resize(leading + stripped.size());
    article.text.erase(0, leading);
  }
  if (article.text.empty()) {
    return Reject(article, QuarantineReason::kEmptyBody,
                  "the body is empty after unescape and strip");
  }
  article.raw.clear();
  return Disposition::kContinue;
}

}  // namespace ingest
