// Python's notion of whitespace (str.isspace()) over UTF-8 bytes, shared by
// strip() and folding so both agree on what a space is. Header-only, pure.
#ifndef INGEST_STAGES_PARSE_PYTHON_SPACE_H_
#define INGEST_STAGES_PARSE_PYTHON_SPACE_H_

#include <cstddef>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

// The first byte in [p, end) that may start a whitespace character, or end.
// It may also stop at bytes that start none (other controls, E0): callers
// confirm with PythonSpaceAt(). With SSE2, 16 bytes a step: a URL or a hash
// has no candidate at all.
inline const unsigned char* NextPossibleSpace(const unsigned char* p,
                                              const unsigned char* end) {
#if defined(__SSE2__)
  const __m128i space = _mm_set1_epi8(0x20);
  const __m128i lead_mask = _mm_set1_epi8(static_cast<char>(0xFC));
  const __m128i three_byte_leads = _mm_set1_epi8(static_cast<char>(0xE0));  // E0-E3
  const __m128i two_byte_lead = _mm_set1_epi8(static_cast<char>(0xC2));
  while (end - p >= 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i at_most_space = _mm_cmpeq_epi8(_mm_max_epu8(bytes, space), space);
    const __m128i lead =
        _mm_or_si128(_mm_cmpeq_epi8(bytes, two_byte_lead),
                     _mm_cmpeq_epi8(_mm_and_si128(bytes, lead_mask), three_byte_leads));
    const int mask = _mm_movemask_epi8(_mm_or_si128(at_most_space, lead));
    if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
#endif
  while (p < end && !kPythonSpaceLead.may_start[*p]) ++p;
  return p;
}

}  // namespace ingest

#endif  // INGEST_STAGES_PARSE_PYTHON_SPACE_H_
