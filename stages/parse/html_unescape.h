// Python-compatible text decoding for article fields (FORMAT.md §1.2):
// HtmlUnescape() is Python 3.11's html.unescape() and StripPythonWhitespace()
// is str.strip(), both byte-for-byte on UTF-8, because content_hash is defined
// by the Python expression sha256(html.unescape(body).strip()).
//
// Thread-safety: stateless free functions over immutable tables; safe to call
// from any number of threads at once.
//
// Input is expected to be valid UTF-8 (the read stage checks it). On any other
// bytes the functions still never read out of bounds or crash; the output is
// then unspecified but deterministic.
#ifndef INGEST_STAGES_PARSE_HTML_UNESCAPE_H_
#define INGEST_STAGES_PARSE_HTML_UNESCAPE_H_

#include <cstring>
#include <string>
#include <string_view>

namespace ingest {

// Appends html.unescape(input) to *out, exactly as Python 3.11 computes it:
// every HTML5 named reference (with ';', and the legacy ones without it,
// matched by longest prefix), decimal and hexadecimal references with HTML5's
// replacements (&#0; and surrogates -> U+FFFD, &#x80; -> U+20AC, ...; code
// points HTML5 forbids, such as &#1;, are removed). Text without '&' is
// appended unchanged with one copy.
//
// One divergence: Python raises ValueError on a decimal reference of more
// than 4300 digits (sys.int_max_str_digits); here its value is taken as it
// is, so it decodes as Python does with that limit lifted.
//
// REQUIRES: out != nullptr, and `input` does not point into *out.
void HtmlUnescapeAppend(std::string_view input, std::string* out);

// html.unescape(input) as a new string.
std::string HtmlUnescape(std::string_view input);

// True when the input contains no '&', so HtmlUnescape() would return it
// unchanged: callers can then keep a view instead of building a copy.
inline bool HtmlUnescapeIsIdentity(std::string_view input) {
  return input.empty() ||
         std::memchr(input.data(), '&', input.size()) == nullptr;
}

// Python's str.strip() on UTF-8: removes from both ends every code point for
// which str.isspace() is true, namely U+0009..U+000D, U+001C..U+0020, U+0085,
// U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F and U+3000.
// The result is a view into `utf8`.
std::string_view StripPythonWhitespace(std::string_view utf8);

}  // namespace ingest

#endif  // INGEST_STAGES_PARSE_HTML_UNESCAPE_H_
