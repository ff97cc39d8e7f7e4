// Python's notion of whitespace (str.isspace()) over UTF-8 bytes, shared by
// strip() and folding so both agree on what a space is. Header-only, pure.
#ifndef INGEST_STAGES_PARSE_PYTHON_SPACE_H_
#define INGEST_STAGES_PARSE_PYTHON_SPACE_H_

#include <cstddef>

namespace ingest {

// The number of bytes of the whitespace character that starts at `p`
// (p < end), or 0 when none starts there. Never reads at or past `end`.
inline size_t PythonSpaceAt(const unsigned char* p, const unsigned char* end) {
  unsigned char c = p[0];
  if (c < 0x80) {
    return (c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f))
               ? 1 : 0;
  }
  size_t left = static_cast<size_t>(end - p);
  if (c == 0xC2 && left >= 2) {  // U+0085, U+00A0
    return (p[1] == 0x85 || p[1] == 0xA0) ? 2 : 0;
  }
  if (left < 3) return 0;
  if (c == 0xE1) return (p[1] == 0x9A && p[2] == 0x80) ? 3 : 0;  // U+1680
  if (c == 0xE2) {
    if (p[1] == 0x80) {  // U+2000–U+200A, U+2028, U+2029, U+202F
      unsigned char t = p[2];
      return ((t >= 0x80 && t <= 0x8A) || t == 0xA8 || t == 0xA9 || t == 0xAF)
                 ? 3 : 0;
    }
    return (p[1] == 0x81 && p[2] == 0x9F) ? 3 : 0;  // U+205F
  }
  if (c == 0xE3) return (p[1] == 0x80 && p[2] == 0x80) ? 3 : 0;  // U+3000
  return 0;
}

// True for the bytes a whitespace character can start with (ASCII spaces
// and controls Python counts, and the lead bytes C2, E1, E2, E3): any other
// byte starts none, so scans can skip it without PythonSpaceAt().
struct PythonSpaceLeadTable {
  bool may_start[256] = {};
  constexpr PythonSpaceLeadTable() {
    for (int c = '\t'; c <= '\r'; ++c) may_start[c] = true;
    for (int c = 0x1c; c <= 0x1f; ++c) may_start[c] = true;
    for (int c : {int{' '}, 0xC2, 0xE1, 0xE2, 0xE3}) may_start[c] = true;
  }
};
inline constexpr PythonSpaceLeadTable kPythonSpaceLead;

}  // namespace ingest

#endif  // INGEST_STAGES_PARSE_PYTHON_SPACE_H_
