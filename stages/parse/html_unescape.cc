#include "stages/parse/html_unescape.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "pipeline/string_growth.h"
#include "stages/parse/python_space.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ingest {
namespace {

// One entry of the generated named-reference table.
struct NamedReference {
  uint16_t name_offset;  // into kNamedReferenceNames
  uint8_t name_length;   // ';' included when the name has one
  uint8_t replacement_length;
  char replacement[8];  // UTF-8, at most two code points
};

// What a numeric reference to a C1 control code point turns into.
struct NumericReplacement {
  uint8_t length;
  char utf8[4];
};

#include "stages/parse/html_entities.inc"

// Name lengths, ';' included. The generator checks that names are ASCII
// letters and digits with an optional final ';'.
constexpr size_t kLongestName = kLongestNamedReference;
constexpr size_t kLongestLegacyName = kLongestLegacyNamedReference;
static_assert(kLongestName <= 32,
              "Python's pattern takes at most 32 name characters; a longer "
              "name would need code-point counting to match it");
static_assert(kLongestLegacyName < 32, "see DecodeNamedReference()");
static_assert(kNamedReferenceCount < (1 << kNamedReferenceSlotBits),
              "the hash table needs an empty slot to end every probe");
static_assert(kNamedReferenceCount < 0xFFFF, "slots store index + 1 as uint16");

constexpr uint32_t kMaxCodePoint = 0x10FFFF;
// Any value above kMaxCodePoint decodes the same way, so digits accumulate
// into a value saturated here instead of overflowing.
constexpr uint32_t kOutOfRange = kMaxCodePoint + 1;

constexpr char kReplacementCharacter[] = "\xEF\xBF\xBD";  // U+FFFD

// The most a reference can write: a named replacement (two code points) is
// at most 8 bytes, a numeric one at most 4.
constexpr size_t kMaxReferenceBytes = sizeof(NamedReference::replacement);

// Writes into *out through a cursor: the string is sized ahead (without a
// zero fill) and cut to what was written by Finish(). Callers Reserve() room
// before they Put() into it.
class Output {
 public:
  explicit Output(std::string* out) : out_(out), cursor_(out->data() + out->size()),
                                      limit_(cursor_) {}
  // Room for `bytes` more.
  void Reserve(size_t bytes) {
    if (static_cast<size_t>(limit_ - cursor_) < bytes) Grow(bytes);
  }
  void Put(char c) { *cursor_++ = c; }
  void Put(const char* data, size_t size) {
    std::memcpy(cursor_, data, size);
    cursor_ += size;
  }
  char* cursor() { return cursor_; }
  void Advance(size_t bytes) { cursor_ += bytes; }
  void Finish() { out_->resize(static_cast<size_t>(cursor_ - out_->data())); }

 private:
  void Grow(size_t bytes) {
    const size_t used = static_cast<size_t>(cursor_ - out_->data());
    GrowUninitialized(out_, std::max(used + bytes, 2 * out_->size()));
    cursor_ = out_->data() + used;
    limit_ = out_->data() + out_->size();
  }
  std::string* out_;
  char* cursor_;
  char* limit_;
};

inline bool IsAsciiDigit(unsigned char c) { return c >= '0' && c <= '9'; }

inline bool IsAsciiAlphanumeric(unsigned char c) {
  const unsigned char lower = c | 0x20;  // folds 'A'..'Z' onto 'a'..'z'
  return IsAsciiDigit(c) || (lower >= 'a' && lower <= 'z');
}

// Value of a hex digit, or 16 when `c` is not one.
inline uint32_t HexDigitValue(unsigned char c) {
  if (IsAsciiDigit(c)) return c - '0';
  const unsigned char lower = c | 0x20;
  if (lower >= 'a' && lower <= 'f') return lower - 'a' + 10u;
  return 16;
}

inline uint32_t HashStep(uint32_t hash, unsigned char c) {
  return (hash ^ c) * kNamedReferenceHashPrime;
}

// The reference named exactly name[0, length) with the given FNV-1a hash,
// or nullptr.
const NamedReference* FindNamedReference(const char* name, size_t length,
                                         uint32_t hash) {
  constexpr uint32_t kSlotMask = (1u << kNamedReferenceSlotBits) - 1;
  uint32_t slot = hash >> (32 - kNamedReferenceSlotBits);
  while (const uint16_t index_plus_one = kNamedReferenceSlots[slot]) {
    const NamedReference& reference = kNamedReferences[index_plus_one - 1];
    if (reference.name_length == length &&
        std::memcmp(kNamedReferenceNames + reference.name_offset, name,
                    length) == 0) {
      return &reference;
    }
    slot = (slot + 1) & kSlotMask;
  }
  return nullptr;
}

void AppendUtf8(uint32_t code_point, Output& out) {
  char buffer[4];
  size_t length;
  if (code_point < 0x80) {
    buffer[0] = static_cast<char>(code_point);
    length = 1;
  } else if (code_point < 0x800) {
    buffer[0] = static_cast<char>(0xC0 | (code_point >> 6));
    buffer[1] = static_cast<char>(0x80 | (code_point & 0x3F));
    length = 2;
  } else if (code_point < 0x10000) {
    buffer[0] = static_cast<char>(0xE0 | (code_point >> 12));
    buffer[1] = static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    buffer[2] = static_cast<char>(0x80 | (code_point & 0x3F));
    length = 3;
  } else {
    buffer[0] = static_cast<char>(0xF0 | (code_point >> 18));
    buffer[1] = static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
    buffer[2] = static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    buffer[3] = static_cast<char>(0x80 | (code_point & 0x3F));
    length = 4;
  }
  out.Put(buffer, length);
}

// Python's html._invalid_codepoints: code points a numeric reference may not
// produce, which html.unescape() drops. tools/gen_html_entities.py fails if
// Python's set ever stops matching this rule.
inline bool IsRemovedCodePoint(uint32_t code_point) {
  return (code_point >= 0x1 && code_point <= 0x8) || code_point == 0xB ||
         (code_point >= 0xE && code_point <= 0x1F) ||
         (code_point >= 0x7F && code_point <= 0x9F) ||
         (code_point >= 0xFDD0 && code_point <= 0xFDEF) ||
         (code_point & 0xFFFE) == 0xFFFE;
}

// Python's _replace_charref for a numeric reference, in the same order of
// checks. `value` is saturated at kOutOfRange.
void AppendNumericReference(uint32_t value, Output& out) {
  if (value == 0) {
    out.Put(kReplacementCharacter, 3);
  } else if (value >= 0x80 && value <= 0x9F) {
    const NumericReplacement& replacement = kC1Replacements[value - 0x80];
    out.Put(replacement.utf8, replacement.length);
  } else if ((value >= 0xD800 && value <= 0xDFFF) || value > kMaxCodePoint) {
    out.Put(kReplacementCharacter, 3);
  } else if (!IsRemovedCodePoint(value)) {
    // 0x0D is in Python's remapping table too, but it maps to itself.
    AppendUtf8(value, out);
  }
}

// The numeric references news sites write for quotes, backticks and '='
// (&#x27; &#x60; &#x3D; &#39; &#34;): two hex digits after "#x", or two
// decimal digits after '#', then ';', naming printable ASCII. Their digits
// end at the ';', so they are whole matches of Python's pattern, and such
// a code point decodes to itself: one byte, without the general path's
// range checks. Returns where scanning resumes, or nullptr for any other
// reference (left to the general path, DecodeNumericReference).
inline const char* DecodePrintableAsciiReference(const char* hash_sign, const char* end,
                                                 Output& out) {
  if (end - hash_sign < 5) return nullptr;
  const auto* p = reinterpret_cast<const unsigned char*>(hash_sign);
  uint32_t value;
  const char* resume;
  if ((p[1] | 0x20) == 'x' && p[4] == ';') {
    const uint32_t high = HexDigitValue(p[2]);
    const uint32_t low = HexDigitValue(p[3]);
    if ((high | low) >= 16) return nullptr;
    value = high * 16 + low;
    resume = hash_sign + 5;
  } else if (IsAsciiDigit(p[1]) && IsAsciiDigit(p[2]) && p[3] == ';') {
    value = (p[1] - '0') * 10u + (p[2] - '0');
    resume = hash_sign + 4;
  } else {
    return nullptr;
  }
  if (value < 0x20 || value >= 0x7F) return nullptr;
  out.Put(static_cast<char>(value));
  return resume;
}

// Decodes the reference whose '#' is at `hash_sign`; returns where scanning
// resumes. Python's alternatives: #[0-9]+;? and #[xX][0-9a-fA-F]+;?. Digits
// run as long as they go, however many there are.
const char* DecodeNumericReference(const char* hash_sign, const char* end,
                                   Output& out) {
  if (const char* resume = DecodePrintableAsciiReference(hash_sign, end, out)) return resume;
  const char* p = hash_sign + 1;
  uint32_t value = 0;
  if (end - p >= 2 && (static_cast<unsigned char>(*p) | 0x20) == 'x' &&
      HexDigitValue(static_cast<unsigned char>(p[1])) < 16) {
    ++p;
    uint32_t digit;
    while (p < end &&
           (digit = HexDigitValue(static_cast<unsigned char>(*p))) < 16) {
      value = std::min(value * 16 + digit, kOutOfRange);
      ++p;
    }
  } else if (p < end && IsAsciiDigit(static_cast<unsigned char>(*p))) {
    while (p < end && IsAsciiDigit(static_cast<unsigned char>(*p))) {
      value =
          std::min(value * 10 + static_cast<uint32_t>(*p - '0'), kOutOfRange);
      ++p;
    }
  } else {
    // "&#" not followed by digits matches none of the alternatives (the named
    // one excludes '#'): the '&' stays as it is.
    out.Put('&');
    return hash_sign;
  }
  if (p < end && *p == ';') ++p;
  AppendNumericReference(value, out);
  return p;
}

// Decodes the named reference starting at `name` (just after '&'); returns
// where scanning resumes.
//
// Python matches s = [^\t\n\f <&#;]{1,32};? and returns the replacement of s
// if s is a name, else of its longest proper prefix (>= 2 characters) that is
// one, else leaves the text alone. Two facts about the table, which the
// generator checks, let us work on bytes without Python's pattern:
//  - every name is ASCII letters and digits, with or without a final ';'. So
//    only the run of letters and digits after '&' can start a match, and s is
//    a name with ';' only when that run is followed by ';'.
//  - every name without ';' is at most kLongestLegacyName long. Those are the
//    only names a prefix can match (a prefix never contains ';'), and the
//    only names s without ';' can be. If s is such a name, it is also the run,
//    and looking it up as the longest "prefix" gives what Python's whole-s
//    lookup gives, so one loop serves both. For the same reason the 32
//    character cap of the pattern never changes the result.
// The text after the matched part contains no '&', so the caller's scan
// copies it unchanged, as Python does.
const char* DecodeNamedReference(const char* name, const char* end,
                                 Output& out) {
  // &amp; &quot; &lt; &gt; are nearly all the named references in news
  // text; they decode here without hashing (the table gives the same).
  if (end - name >= 4) {
    if (std::memcmp(name, "amp;", 4) == 0) {
      out.Put('&');
      return name + 4;
    }
    if (name[1] == 't' && name[2] == ';' && (name[0] == 'l' || name[0] == 'g')) {
      out.Put(name[0] == 'l' ? '<' : '>');
      return name + 3;
    }
    if (end - name >= 5 && std::memcmp(name, "quot;", 5) == 0) {
      out.Put('"');
      return name + 5;
    }
  }
  // A longer run cannot be a name, and its prefixes are all we need.
  const size_t scan_limit =
      std::min(static_cast<size_t>(end - name), kLongestName);
  uint32_t prefix_hashes[kLongestLegacyName + 1];
  uint32_t hash = kNamedReferenceHashSeed;
  size_t length = 0;
  while (length < scan_limit &&
         IsAsciiAlphanumeric(static_cast<unsigned char>(name[length]))) {
    hash = HashStep(hash, static_cast<unsigned char>(name[length]));
    ++length;
    if (length <= kLongestLegacyName) prefix_hashes[length] = hash;
  }
  if (length == 0) {
    out.Put('&');
    return name;
  }
  if (name + length < end && name[length] == ';') {
    if (const NamedReference* reference =
            FindNamedReference(name, length + 1, HashStep(hash, ';'))) {
      out.Put(reference->replacement, reference->replacement_length);
      return name + length + 1;
    }
  }
  for (size_t prefix = std::min(length, kLongestLegacyName); prefix >= 2;
       --prefix) {
    if (const NamedReference* reference =
            FindNamedReference(name, prefix, prefix_hashes[prefix])) {
      out.Put(reference->replacement, reference->replacement_length);
      return name + prefix;
    }
  }
  out.Put('&');
  return name;
}

// `after_ampersand` is just past an '&'; returns where scanning resumes.
// REQUIRES: room for kMaxReferenceBytes in `out`.
inline const char* DecodeReference(const char* after_ampersand, const char* end,
                                   Output& out) {
  if (after_ampersand < end && *after_ampersand == '#') {
    return DecodeNumericReference(after_ampersand, end, out);
  }
  return DecodeNamedReference(after_ampersand, end, out);
}

// Copies input from `p` to out up to the next '&' (or `end`) and returns
// where it stopped. With SSE2 the copy and the search are one pass of
// 16-byte blocks: each block is stored whole before it is searched, and the
// cursor then advances only past the bytes before the '&'.
// REQUIRES: room for (end - p) + 16 bytes in `out`.
inline const char* CopyToAmpersand(const char* p, const char* end, Output& out) {
#if defined(__SSE2__)
  const __m128i ampersand = _mm_set1_epi8('&');
  while (end - p >= 16) {
    const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out.cursor()), block);
    const int mask = _mm_movemask_epi8(_mm_cmpeq_epi8(block, ampersand));
    if (mask != 0) {
      const int before = __builtin_ctz(static_cast<unsigned>(mask));
      out.Advance(static_cast<size_t>(before));
      return p + before;
    }
    out.Advance(16);
    p += 16;
  }
#endif
  const void* found = std::memchr(p, '&', static_cast<size_t>(end - p));
  const char* stop = found ? static_cast<const char*>(found) : end;
  out.Put(p, static_cast<size_t>(stop - p));
  return stop;
}

}  // namespace

void HtmlUnescapeAppend(std::string_view input, std::string* out) {
  if (HtmlUnescapeIsIdentity(input)) {
    out->append(input);
    return;
  }
  const char* p = input.data();
  const char* const end = p + input.size();
  Output output(out);
  while (true) {
    // Output never runs ahead of the input by more than the references
    // decoded so far could add, so this rarely grows the string.
    output.Reserve(static_cast<size_t>(end - p) + 16 + kMaxReferenceBytes);
    p = CopyToAmpersand(p, end, output);
    if (p == end) break;
    p = DecodeReference(p + 1, end, output);
  }
  output.Finish();
}

std::string HtmlUnescape(std::string_view input) {
  std::string result;
  HtmlUnescapeAppend(input, &result);
  return result;
}

std::string_view StripPythonWhitespace(std::string_view utf8) {
  if (utf8.empty()) return utf8;
  const auto* begin = reinterpret_cast<const unsigned char*>(utf8.data());
  const auto* end = begin + utf8.size();
  while (begin < end) {
    const size_t space = PythonSpaceAt(begin, end);
    if (space == 0) break;
    begin += space;
  }
  // From the back we try each length a whitespace character can have. Its
  // first byte (C2, E1, E2 or E3) is never a continuation byte, so in valid
  // UTF-8 a match is a whole character.
  while (begin < end) {
    const size_t available = static_cast<size_t>(end - begin);
    size_t space = 0;
    for (size_t length = 1; length <= 3 && length <= available; ++length) {
      if (PythonSpaceAt(end - length, end) == length) {
        space = length;
        break;
      }
    }
    if (space == 0) break;
    end -= space;
  }
  return std::string_view(reinterpret_cast<const char*>(begin),
                          static_cast<size_t>(end - begin));
}

}  // namespace ingest
