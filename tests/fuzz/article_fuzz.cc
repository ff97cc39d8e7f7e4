// libFuzzer target: any bytes as an article file through parse, verify and
// render, plus the decoders on their own. Properties checked beyond "no
// crash, no sanitizer report": a verified article's record is one line of
// valid JSON whose text hashes to its content_hash; every outcome is a
// known reason; unescape and strip never grow past their bounds.
//
// Built with clang (-DINGEST_BUILD_FUZZ=ON); run by tests/fuzz/run_fuzz.sh.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "stages/emit/render_stage.h"
#include "stages/parse/dates.h"
#include "stages/parse/front_matter.h"
#include "stages/parse/html_unescape.h"
#include "stages/parse/parse_stage.h"
#include "stages/verify/sha256.h"
#include "stages/verify/verify_stage.h"

namespace {

void Check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "fuzz property violated: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ingest;
  static ParseStage parse{ParseOptions()};
  static VerifyStage verify;
  static RenderStage render;
  static auto parse_state = parse.NewWorkerState();
  static auto verify_state = verify.NewWorkerState();
  static Sha256 sha256;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);

  // The decoders alone, on the raw bytes.
  std::string unescaped = HtmlUnescape(bytes);
  Check(unescaped.size() <= 4 * size + 16, "unescape output bounded");
  std::string_view stripped = StripPythonWhitespace(bytes);
  Check(stripped.size() <= size, "strip never grows");
  std::string decoded;
  (void)DecodeYamlQuoted(bytes, &decoded);
  (void)ToRfc3339(bytes, 540);

  // The whole per-article path.
  Article article;
  article.source = "fuzz.txt";
  article.raw.assign(bytes);
  article.bytes_read = size;
  Result<Disposition> parsed = parse.Process(article, parse_state.get());
  Check(parsed.ok(), "parse never fails the run");
  if (*parsed != Disposition::kContinue) {
    Check(article.outcome == Outcome::kQuarantined &&
              article.reason != QuarantineReason::kNone,
          "a rejected article has a reason");
    return 0;
  }
  Result<Disposition> verified = verify.Process(article, verify_state.get());
  Check(verified.ok(), "verify never fails the run");
  if (*verified != Disposition::kContinue) {
    Check(article.reason == QuarantineReason::kHashMismatch, "verify rejects for hash only");
    return 0;
  }
  std::string text = article.text;
  Check(ToHex(sha256.Hash(text).value()) == article.content_hash, "text hashes to content_hash");
  Result<Disposition> rendered = render.Process(article, nullptr);
  Check(rendered.ok(), "render never fails");
  const std::string& record = article.record;
  Check(!record.empty() && record.back() == '\n' &&
            record.find('\n') == record.size() - 1,
        "a record is exactly one line");
  simdjson::dom::parser json;
  simdjson::dom::element element;
  Check(json.parse(record.data(), record.size() - 1).get(element) == simdjson::SUCCESS,
        "a record is valid JSON");
  std::string_view json_text;
  Check(element["text"].get(json_text) == simdjson::SUCCESS && json_text == text,
        "the record's text is the hashed text");
  return 0;
}
