// Tests of HtmlUnescape() and StripPythonWhitespace(): unit tests of the
// tricky cases, and a differential test that runs Python (the definition of
// content_hash, FORMAT.md §1.2) on about 190,000 generated strings, which
// also checks FoldWhitespace() against Python's " ".join(text.split()).

#include "stages/parse/html_unescape.h"
#include "stages/parse/front_matter.h"
#include "stages/parse/python_space.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/testing/testing.h"

namespace ingest {
namespace {

using ::ingest::test::ReadFile;
using ::ingest::test::SharedDir;
using ::ingest::test::SourceDir;
using ::ingest::test::TempDir;
using ::ingest::test::WriteFile;

TEST(HtmlUnescapeTest, DecodesTheSeedTemplateEscapes) {
  EXPECT_EQ(HtmlUnescape("&#x27;소버린 AI&#x27;"), "'소버린 AI'");
  EXPECT_EQ(HtmlUnescape("[데일리안 &#x3D; 조인영 기자]"),
            "[데일리안 = 조인영 기자]");
  EXPECT_EQ(HtmlUnescape("a &amp; b &lt;c&gt; &quot;d&quot; &#x60;"),
            "a & b <c> \"d\" `");
}

TEST(HtmlUnescapeTest, ReturnsTextWithoutAmpersandUnchanged) {
  EXPECT_EQ(HtmlUnescape(""), "");
  EXPECT_EQ(HtmlUnescape("소버린 AI; #x27 lt;"), "소버린 AI; #x27 lt;");
  EXPECT_TRUE(HtmlUnescapeIsIdentity(""));
  EXPECT_TRUE(HtmlUnescapeIsIdentity("no references #x27;"));
  EXPECT_FALSE(HtmlUnescapeIsIdentity("a & b"));
}

TEST(HtmlUnescapeTest, AppendsAfterExistingOutput) {
  std::string out = "kept:";
  HtmlUnescapeAppend("&lt;", &out);
  HtmlUnescapeAppend("plain", &out);
  EXPECT_EQ(out, "kept:<plain");
}

// The output is written through a cursor into space sized ahead: it must
// grow when references make it longer than the input, and a reference must
// be found at every offset of the block-wise scan.
TEST(HtmlUnescapeTest, GrowsWhenTheOutputOutrunsTheInputAndFindsEveryOffset) {
  std::string expanding, expected = "kept:";
  for (int i = 0; i < 1000; ++i) {
    expanding += "&nGt;";
    expected += "\u226B\u20D2";
  }
  std::string out = "kept:";
  HtmlUnescapeAppend(expanding, &out);
  EXPECT_EQ(out, expected);

  for (size_t offset = 0; offset < 70; ++offset) {
    for (std::string reference : {"&amp;", "&lt;", "&gt", "&quot;", "&#x27;", "&"}) {
      const std::string before(offset, 'a'), after(offset % 37, 'b');
      const std::string decoded = reference == "&amp;"    ? "&"
                                  : reference == "&lt;"   ? "<"
                                  : reference == "&gt"    ? ">"
                                  : reference == "&quot;" ? "\""
                                  : reference == "&#x27;" ? "'"
                                                          : "&";
      EXPECT_EQ(HtmlUnescape(before + reference + after), before + decoded + after)
          << "offset " << offset << " " << reference;
    }
  }
}

TEST(HtmlUnescapeTest, DecodesNamedReferenceWithoutSemicolonByLongestPrefix) {
  EXPECT_EQ(HtmlUnescape("&amp"), "&");
  EXPECT_EQ(HtmlUnescape("&ampx"), "&x");
  EXPECT_EQ(HtmlUnescape("&notit;"), "\u00ACit;");
  EXPECT_EQ(HtmlUnescape("&frac123"), "½3");
  EXPECT_EQ(HtmlUnescape("&ltlt;"), "<lt;");
  EXPECT_EQ(HtmlUnescape("&copy2024"), "©2024");
  EXPECT_EQ(HtmlUnescape("&ampé"), "&é");
  EXPECT_EQ(HtmlUnescape("&amp\r;"), "&\r;");
}

TEST(HtmlUnescapeTest, PrefersTheWholeNameOverAPrefix) {
  EXPECT_EQ(HtmlUnescape("&notin;"), "\u2209");
  EXPECT_EQ(HtmlUnescape("&not;"), "\u00AC");
  EXPECT_EQ(HtmlUnescape("&supe;"), "\u2287");
  EXPECT_EQ(HtmlUnescape("&frac12"), "\u00BD");
}

TEST(HtmlUnescapeTest, KeepsNamesThatAreOnlyValidWithSemicolon) {
  EXPECT_EQ(HtmlUnescape("&supx"), "&supx");
  EXPECT_EQ(HtmlUnescape("&frac1"), "&frac1");
  EXPECT_EQ(HtmlUnescape("&Amp;"), "&Amp;");
  EXPECT_EQ(HtmlUnescape("&CounterClockwiseContourIntegral"),
            "&CounterClockwiseContourIntegral");
}

TEST(HtmlUnescapeTest, DecodesTheLongestNameAndMultiCodePointReplacements) {
  EXPECT_EQ(HtmlUnescape("&CounterClockwiseContourIntegral;"), "\u2233");
  EXPECT_EQ(HtmlUnescape("&CounterClockwiseContourIntegralx;"),
            "&CounterClockwiseContourIntegralx;");
  EXPECT_EQ(HtmlUnescape("&nGt;"), "\u226B\u20D2");
  EXPECT_EQ(HtmlUnescape("&fjlig;"), "fj");
}

TEST(HtmlUnescapeTest, MatchesNamesOfAtMostThirtyTwoCharacters) {
  const std::string letters(33, 'a');
  EXPECT_EQ(HtmlUnescape("&" + letters), "&" + letters);
  const std::string tail = std::string(40, 'a') + ";";
  EXPECT_EQ(HtmlUnescape("&amp" + tail), "&" + tail);
  std::string korean;
  for (int i = 0; i < 40; ++i) korean += "한";
  EXPECT_EQ(HtmlUnescape("&amp" + korean), "&" + korean);
}

TEST(HtmlUnescapeTest, StopsNamesAtTheCharactersPythonExcludes) {
  EXPECT_EQ(HtmlUnescape("&amp#"), "&#");
  EXPECT_EQ(HtmlUnescape("&gt<"), "><");
  EXPECT_EQ(HtmlUnescape("&lt;;"), "<;");
  EXPECT_EQ(HtmlUnescape("&&amp;"), "&&");
  EXPECT_EQ(HtmlUnescape("&lt\t&gt\n&amp\f&quot "), "<\t>\n&\f\" ");
}

TEST(HtmlUnescapeTest, KeepsAmpersandThatStartsNoReference) {
  EXPECT_EQ(HtmlUnescape("&"), "&");
  EXPECT_EQ(HtmlUnescape("a&"), "a&");
  EXPECT_EQ(HtmlUnescape("&;"), "&;");
  EXPECT_EQ(HtmlUnescape("& b"), "& b");
  EXPECT_EQ(HtmlUnescape("&#"), "&#");
  EXPECT_EQ(HtmlUnescape("&#x"), "&#x");
  EXPECT_EQ(HtmlUnescape("&#x;"), "&#x;");
  EXPECT_EQ(HtmlUnescape("&#;"), "&#;");
  EXPECT_EQ(HtmlUnescape("&#xg;"), "&#xg;");
}

TEST(HtmlUnescapeTest, DecodesNumericReferencesWithAndWithoutSemicolon) {
  EXPECT_EQ(HtmlUnescape("&#X41"), "A");
  EXPECT_EQ(HtmlUnescape("&#65a"), "Aa");
  EXPECT_EQ(HtmlUnescape("&#0065;"), "A");
  EXPECT_EQ(HtmlUnescape("&#x27"), "'");
  EXPECT_EQ(HtmlUnescape("&#x27ab"), "\u27AB");  // hex digits run on
  EXPECT_EQ(HtmlUnescape("&#9;&#13;"), "\t\r");
  EXPECT_EQ(HtmlUnescape("&#x10FFFD;"), "\U0010FFFD");
}

TEST(HtmlUnescapeTest, ReplacesNullAndSurrogatesWithReplacementCharacter) {
  EXPECT_EQ(HtmlUnescape("&#0;"), "\uFFFD");
  EXPECT_EQ(HtmlUnescape("&#x0;"), "\uFFFD");
  EXPECT_EQ(HtmlUnescape("&#xD800;"), "\uFFFD");
  EXPECT_EQ(HtmlUnescape("&#xdfff;"), "\uFFFD");
}

TEST(HtmlUnescapeTest, MapsC1ControlsThroughWindows1252) {
  EXPECT_EQ(HtmlUnescape("&#x80;"), "\u20AC");
  EXPECT_EQ(HtmlUnescape("&#128;"), "\u20AC");
  EXPECT_EQ(HtmlUnescape("&#x9F;"), "\u0178");
  EXPECT_EQ(HtmlUnescape("&#x81;"), "\xC2\x81");  // unassigned: kept as is
}

TEST(HtmlUnescapeTest, RemovesCodePointsHtmlForbids) {
  EXPECT_EQ(HtmlUnescape("a&#1;b"), "ab");
  EXPECT_EQ(HtmlUnescape("a&#x0B;b"), "ab");
  EXPECT_EQ(HtmlUnescape("a&#x7F;b"), "ab");
  EXPECT_EQ(HtmlUnescape("a&#xFDD0;b"), "ab");
  EXPECT_EQ(HtmlUnescape("a&#xFFFE;b"), "ab");
  EXPECT_EQ(HtmlUnescape("a&#x10FFFF;b"), "ab");
}

TEST(HtmlUnescapeTest, ReplacesOutOfRangeNumbersWithoutOverflowing) {
  EXPECT_EQ(HtmlUnescape("&#x110000;"), "\uFFFD");
  EXPECT_EQ(HtmlUnescape("&#99999999999999999999;"), "\uFFFD");
  // 2^32 + 65 and 2^32 + 0x41: a wrapping 32-bit accumulator would give 'A'.
  EXPECT_EQ(HtmlUnescape("&#4294967361;"), "\uFFFD");
  EXPECT_EQ(HtmlUnescape("&#x100000041;"), "\uFFFD");
  EXPECT_EQ(HtmlUnescape("&#x" + std::string(5000, 'F') + ";"), "\uFFFD");
  // Python raises ValueError past 4300 decimal digits; we decode the value.
  EXPECT_EQ(HtmlUnescape("&#" + std::string(5000, '9') + ";"), "\uFFFD");
  EXPECT_EQ(HtmlUnescape("&#" + std::string(5000, '0') + "65;"), "A");
}

// A copy of `text` in a heap block of exactly its size, so AddressSanitizer
// reports any read past the end.
std::unique_ptr<char[]> ExactCopy(std::string_view text) {
  std::unique_ptr<char[]> copy(new char[text.size()]);
  if (!text.empty()) std::memcpy(copy.get(), text.data(), text.size());
  return copy;
}

TEST(HtmlUnescapeTest, NeverReadsPastTheInputOnArbitraryBytes) {
  // Inputs that end inside every kind of reference.
  const std::string text = "&amp;&#x41;&notin;&#65;&lt&#x&#";
  for (size_t end = 0; end <= text.size(); ++end) {
    const std::unique_ptr<char[]> copy = ExactCopy(text.substr(0, end));
    const std::string_view view(copy.get(), end);
    EXPECT_EQ(HtmlUnescape(view), HtmlUnescape(std::string(view)));
    EXPECT_EQ(StripPythonWhitespace(view), view);
  }
  // Invalid UTF-8, stray continuation bytes and truncated sequences: the
  // result is unspecified, but it must come without a crash or overread.
  std::mt19937_64 random(7);
  for (int i = 0; i < 20000; ++i) {
    std::string bytes(random() % 24, '\0');
    for (char& byte : bytes) {
      static const unsigned char kInteresting[] = {
          '&',  '#',  'x',  ';',  'a',  'm',  'p',  '1',  ' ',  0xC2, 0xA0,
          0x85, 0xE2, 0x80, 0x81, 0x9F, 0xE3, 0xE1, 0x9A, 0xFF, 0x00};
      byte = static_cast<char>(
          random() % 2 == 0 ? kInteresting[random() % std::size(kInteresting)]
                            : random() % 256);
    }
    const std::unique_ptr<char[]> copy = ExactCopy(bytes);
    const std::string_view view(copy.get(), bytes.size());
    const std::string unescaped = HtmlUnescape(view);
    if (bytes.find('&') == std::string::npos) {
      EXPECT_EQ(unescaped, bytes);
    }
    const std::string_view stripped = StripPythonWhitespace(view);
    EXPECT_LE(stripped.size(), view.size());
  }
  EXPECT_EQ(StripPythonWhitespace("\xC2"), "\xC2");
  EXPECT_EQ(StripPythonWhitespace("\xE3\x80"), "\xE3\x80");
  EXPECT_EQ(StripPythonWhitespace("\x80\xE2\x80"), "\x80\xE2\x80");
}

TEST(HtmlUnescapeTest, StripRemovesEveryPythonWhitespaceFromBothEnds) {
  EXPECT_EQ(StripPythonWhitespace(""), "");
  EXPECT_EQ(StripPythonWhitespace(" \t\n\v\f\r"), "");
  EXPECT_EQ(StripPythonWhitespace("\x1C a \u3000"), "a");
  EXPECT_EQ(StripPythonWhitespace("\u00A0\u0085x\u2029\u205F"), "x");
  EXPECT_EQ(StripPythonWhitespace("\u1680\u2000\u200A x y \u2028\u202F"),
            "x y");
}

// Scans skip bytes the lead table rules out without calling PythonSpaceAt:
// no whitespace character may start with such a byte.
TEST(HtmlUnescapeTest, EveryWhitespaceStartsWithAByteTheLeadTableAllows) {
  for (int lead = 0; lead < 256; ++lead) {
    for (int second = 0; second < 256; ++second) {
      for (int third : {0x80, 0x8A, 0x9F, 0xA8, 0xAF}) {
        const unsigned char bytes[3] = {static_cast<unsigned char>(lead),
                                        static_cast<unsigned char>(second),
                                        static_cast<unsigned char>(third)};
        if (PythonSpaceAt(bytes, bytes + 3) > 0) {
          ASSERT_TRUE(kPythonSpaceLead.may_start[lead]) << "lead byte " << lead;
        }
      }
    }
  }
}

// The vector scan stops at every byte the lead table allows, wherever it is
// (inside a 16-byte block or in the bytewise tail), and skips only bytes
// that start no whitespace.
TEST(HtmlUnescapeTest, NextPossibleSpaceStopsAtEveryLeadByteAtEveryOffset) {
  for (int byte = 0; byte < 256; ++byte) {
    for (size_t offset = 0; offset < 40; ++offset) {
      std::vector<unsigned char> text(40, 'a');
      text[offset] = static_cast<unsigned char>(byte);
      const unsigned char* end = text.data() + text.size();
      const unsigned char* stop = NextPossibleSpace(text.data(), end);
      if (kPythonSpaceLead.may_start[byte]) {
        ASSERT_EQ(stop - text.data(), static_cast<ptrdiff_t>(offset)) << "byte " << byte;
      } else {
        ASSERT_TRUE(stop == end || stop - text.data() == static_cast<ptrdiff_t>(offset))
            << "byte " << byte << " offset " << offset;
      }
    }
  }
  const unsigned char empty[1] = {' '};
  EXPECT_EQ(NextPossibleSpace(empty, empty), empty);
}

TEST(HtmlUnescapeTest, StripKeepsCharactersPythonDoesNotCountAsSpace) {
  EXPECT_EQ(StripPythonWhitespace("\u200B x \u200B"), "\u200B x \u200B");
  EXPECT_EQ(StripPythonWhitespace("\uFEFFx"), "\uFEFFx");
  EXPECT_EQ(StripPythonWhitespace("\u180E x"), "\u180E x");
  EXPECT_EQ(StripPythonWhitespace("\x1Bx\x7F"), "\x1Bx\x7F");
}

// ---------------------------------------------------------------------------
// Differential test against Python.

std::string Frame(const std::vector<std::string>& records) {
  std::string framed;
  for (const std::string& record : records) {
    framed += std::to_string(record.size());
    framed += '\n';
    framed += record;
  }
  return framed;
}

// Parses the oracle's output; returns false on malformed framing.
bool Unframe(std::string_view data, std::vector<std::string>* records) {
  while (!data.empty()) {
    const size_t newline = data.find('\n');
    if (newline == std::string_view::npos || newline == 0) return false;
    size_t length = 0;
    for (char digit : data.substr(0, newline)) {
      if (digit < '0' || digit > '9') return false;
      length = length * 10 + static_cast<size_t>(digit - '0');
    }
    data.remove_prefix(newline + 1);
    if (length > data.size()) return false;
    records->emplace_back(data.substr(0, length));
    data.remove_prefix(length);
  }
  return true;
}

// Runs the oracle script; fails the test (not skips it) when Python is not
// there, so a missing oracle cannot pass as success.
void RunOracle(const std::string& arguments) {
  const std::string script =
      SourceDir() + "/tests/stages/parse/html_unescape_oracle.py";
  const std::string command = "python3 '" + script + "' " + arguments;
  const int status = std::system(command.c_str());
  ASSERT_EQ(status, 0) << "oracle failed: " << command;
}

void AppendUtf8(char32_t code_point, std::string* out) {
  if (code_point < 0x80) {
    *out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    *out += static_cast<char>(0xC0 | (code_point >> 6));
    *out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    *out += static_cast<char>(0xE0 | (code_point >> 12));
    *out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | (code_point >> 18));
    *out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
    *out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (code_point & 0x3F));
  }
}

std::string Hex(uint64_t value) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string digits;
  do {
    digits.insert(digits.begin(), kDigits[value % 16]);
    value /= 16;
  } while (value != 0);
  return digits;
}

// Builds the differential test's inputs, all valid UTF-8. The generator is
// seeded and uses raw engine output only (no std::*_distribution, whose
// results differ between standard libraries), so the set is the same on
// every machine.
class CaseGenerator {
 public:
  explicit CaseGenerator(std::vector<std::string> names)
      : names_(std::move(names)), random_(20251230) {}

  std::vector<std::string> Generate() {
    AddNamedReferences();
    AddNumericReferences();
    AddEveryCodePoint();
    AddRandomMixes(40000);
    AddWhitespaceMixes(20000);
    return std::move(cases_);
  }

 private:
  // Every name alone, with and without ';', cut short, and followed by text
  // that does and does not end a name.
  void AddNamedReferences() {
    static const char* const kSuffixes[] = {
        "",  ";",  ";;", "x",  "X",  "1",  "9", " ", "&",  "&amp;",     "#",
        "<", "\t", "\r", "\v", "\f", "\n", "!", "é", "한", "\U0001F600"};
    for (const std::string& name : names_) {
      const bool has_semicolon = !name.empty() && name.back() == ';';
      const std::string bare =
          has_semicolon ? name.substr(0, name.size() - 1) : name;
      for (const char* suffix : kSuffixes) {
        cases_.push_back("&" + name + suffix);
        cases_.push_back("&" + bare + suffix);
      }
      cases_.push_back("기사 &" + name + " 본문&" + bare + "끝");
      for (size_t length = 1; length < bare.size(); ++length) {
        std::string reference = "&";
        reference.append(bare, 0, length);
        cases_.push_back(reference + ";");
        cases_.push_back(reference + "z");
      }
      std::string flipped = bare;
      flipped[0] = static_cast<char>(flipped[0] ^ 0x20);
      cases_.push_back("&" + flipped + ";&" + flipped);
      cases_.push_back("&" + bare + std::string(32, 'q') + ";");
    }
  }

  void AddNumericReferences() {
    // clang-format off
    static const uint64_t kValues[] = {
        // C0 and ASCII
        0, 1, 8, 9, 0xA, 0xB, 0xC, 0xD, 0xE, 0x1F, 0x20, 0x26, 0x7E,
        // C1, surrogates, noncharacters
        0x7F, 0x80, 0x81, 0x9F, 0xA0, 0xFF,
        0xD7FF, 0xD800, 0xDBFF, 0xDC00, 0xDFFF, 0xE000,
        0xFDCF, 0xFDD0, 0xFDEF, 0xFDF0, 0xFFFD, 0xFFFE, 0xFFFF,
        0x10000, 0x1FFFE, 0x1FFFF, 0x10FFFD, 0x10FFFE, 0x10FFFF,
        // out of range, and past 32 bits
        0x110000, 0x110001, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
        0x100000000, 0x100000041, 0xFFFFFFFFFFFFFFFF};
    // clang-format on
    static const char* const kSuffixes[] = {";",  "",  "a",    "g",
                                            ";x", " ", "&#65;"};
    for (uint64_t value : kValues) {
      const std::string decimal = std::to_string(value);
      const std::string hex = Hex(value);
      std::string lower_hex = hex;
      for (char& c : lower_hex) c = static_cast<char>(std::tolower(c));
      for (const char* suffix : kSuffixes) {
        for (const std::string& zeros : {std::string(), std::string("000")}) {
          cases_.push_back("&#" + zeros + decimal + suffix);
          cases_.push_back("&#x" + zeros + hex + suffix);
          cases_.push_back("&#X" + zeros + lower_hex + suffix);
        }
      }
    }
    for (const char* text :
         {"&#", "&#;", "&#x", "&#X", "&#x;", "&#xg", "&#a;", "&#-1;", "&#+1;",
          "&# 65;", "&#x 41;", "&##65;", "&&#65;", "&#65&#66;",
          "&#99999999999999999999;", "&#18446744073709551681;", "&#4294967361;",
          "&#x10000000000000041;"}) {
      cases_.push_back(text);
    }
    cases_.push_back("&#" + std::string(4000, '0') + "65;");
    cases_.push_back("&#" + std::string(4000, '9') + ";");
    cases_.push_back("&#x" + std::string(20000, 'f') + ";");
  }

  // Every code point as a hex reference with ';' and as a decimal one without,
  // in blocks of 4096 so a failure points at a small region.
  void AddEveryCodePoint() {
    constexpr uint32_t kBlock = 4096;
    for (uint32_t start = 0; start < 0x110000 + kBlock; start += kBlock) {
      std::string hex_block;
      std::string decimal_block;
      for (uint32_t value = start; value < start + kBlock; ++value) {
        hex_block += "&#x" + Hex(value) + ";";
        decimal_block += "&#" + std::to_string(value) + "a";
      }
      cases_.push_back(std::move(hex_block));
      cases_.push_back(std::move(decimal_block));
    }
  }

  // Random sequences of fragments that make, break and nest references.
  void AddRandomMixes(int count) {
    static const char* const kFragments[] = {
        "&",    "&",   "&",    "&#",     "&#x",    "&#X",    ";",
        ";",    "#",   "x",    "X",      "0",      "1",      "2",
        "7",    "9",   "a",    "f",      "F",      "g",      "z",
        "amp",  "lt",  "gt",   "quot",   "not",    "notin",  "nbsp",
        "copy", "AMP", "frac", "12",     "sup",    "e",      "in",
        " ",    "\t",  "\n",   "\r",     "\f",     "\v",     "<",
        ">",    "'",   "\"",   "=",      "소버린", " AI",    "기자",
        "…",    "·",   "é",    "\u00A0", "\u3000", "\u2028", "\U0001F600"};
    for (int i = 0; i < count; ++i) {
      std::string text;
      const int pieces = static_cast<int>(Below(24));
      for (int piece = 0; piece < pieces; ++piece) {
        switch (Below(8)) {
          case 0:
            text += RandomName();
            break;
          case 1:
            AppendUtf8(RandomCodePoint(), &text);
            break;
          case 2:
            AppendUtf8(static_cast<char32_t>(0xAC00 + Below(0xD7A4 - 0xAC00)),
                       &text);
            break;
          default:
            text += kFragments[Below(std::size(kFragments))];
        }
      }
      cases_.push_back(std::move(text));
    }
  }

  // Random sequences of whitespace, near-whitespace and text for strip().
  void AddWhitespaceMixes(int count) {
    static const char32_t kCharacters[] = {
        // Python's whitespace.
        0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0,
        0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007,
        0x2008, 0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
        // Neighbours that are not whitespace, some sharing lead bytes.
        0x00, 0x08, 0x0E, 0x1B, 0x21, 0x7F, 0x84, 0x86, 0x9F, 0xA1, 0x167F,
        0x1681, 0x180E, 0x1FFF, 0x200B, 0x200C, 0x2027, 0x202A, 0x202E, 0x2030,
        0x205E, 0x2060, 0x2FFF, 0x3001, 0xFEFF, 0x10085, 0x100A0,
        // Text.
        'a', 'Z', '&', 0xD55C, 0xAE30};
    for (int i = 0; i < count; ++i) {
      std::string text;
      const int length = static_cast<int>(Below(12));
      for (int character = 0; character < length; ++character) {
        AppendUtf8(kCharacters[Below(std::size(kCharacters))], &text);
      }
      cases_.push_back(std::move(text));
    }
  }

  uint64_t Below(uint64_t bound) { return random_() % bound; }

  // A name from the list, whole or cut short, with or without ';'.
  std::string RandomName() {
    std::string name = names_[Below(names_.size())];
    if (!name.empty() && name.back() == ';' && Below(2) == 0) name.pop_back();
    if (Below(4) == 0 && name.size() > 1) name.resize(1 + Below(name.size()));
    return "&" + name;
  }

  // Any Unicode scalar value; Python could not decode a surrogate.
  char32_t RandomCodePoint() {
    while (true) {
      const auto code_point = static_cast<char32_t>(Below(0x110000));
      if (code_point < 0xD800 || code_point > 0xDFFF) return code_point;
    }
  }

  std::vector<std::string> names_;
  std::mt19937_64 random_;
  std::vector<std::string> cases_;
};

// Makes a mismatch readable: control bytes and backslashes escaped.
std::string Printable(std::string_view text) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7F || c == '\\') {
      out += "\\x";
      out += kDigits[c >> 4];
      out += kDigits[c & 0xF];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// Describes where `actual` first differs from `expected`, with a window of
// context, so long inputs still give a short message.
std::string DescribeMismatch(const char* function, std::string_view input,
                             std::string_view expected,
                             std::string_view actual) {
  size_t at = 0;
  while (at < expected.size() && at < actual.size() &&
         expected[at] == actual[at]) {
    ++at;
  }
  const size_t from = at > 40 ? at - 40 : 0;
  std::string message =
      std::string(function) + " differs from Python at byte " +
      std::to_string(at) + " of " + std::to_string(expected.size()) +
      "\n  input:    " + Printable(input.substr(0, 200)) +
      (input.size() > 200 ? "..." : "") +
      "\n  python:   " + Printable(expected.substr(from, 120)) +
      "\n  ours:     " + Printable(actual.substr(from, 120));
  return message;
}

TEST(HtmlUnescapeTest, MatchesPythonOnEveryNameNumberAndRandomText) {
  TempDir temp;
  const std::string names_path = temp.Join("names");
  ASSERT_NO_FATAL_FAILURE(RunOracle("names '" + names_path + "'"));
  std::vector<std::string> names;
  ASSERT_TRUE(Unframe(ReadFile(names_path), &names));
  ASSERT_EQ(names.size(), 2231u) << "html.entities.html5 changed size";

  std::vector<std::string> cases = CaseGenerator(names).Generate();
  const std::string seed_article =
      SharedDir() + "/seeds/000_a625429a3cc50d01.txt";
  if (std::filesystem::exists(seed_article)) {
    cases.push_back(ReadFile(seed_article));
  }

  const std::string input_path = temp.Join("input");
  const std::string output_path = temp.Join("output");
  WriteFile(input_path, Frame(cases));
  ASSERT_NO_FATAL_FAILURE(
      RunOracle("apply '" + input_path + "' '" + output_path + "'"));
  std::vector<std::string> expected;
  ASSERT_TRUE(Unframe(ReadFile(output_path), &expected));
  ASSERT_EQ(expected.size(), 3 * cases.size());

  int mismatches = 0;
  std::string unescaped;
  std::string folded;
  for (size_t i = 0; i < cases.size(); ++i) {
    unescaped.clear();
    HtmlUnescapeAppend(cases[i], &unescaped);
    const std::string_view stripped = StripPythonWhitespace(cases[i]);
    FoldWhitespaceInto(cases[i], &folded);
    if (unescaped != expected[3 * i] && ++mismatches <= 20) {
      ADD_FAILURE() << DescribeMismatch("HtmlUnescape", cases[i],
                                        expected[3 * i], unescaped);
    }
    if (stripped != expected[3 * i + 1] && ++mismatches <= 20) {
      ADD_FAILURE() << DescribeMismatch("StripPythonWhitespace", cases[i],
                                        expected[3 * i + 1], stripped);
    }
    if (folded != expected[3 * i + 2] && ++mismatches <= 20) {
      ADD_FAILURE() << DescribeMismatch("FoldWhitespace", cases[i],
                                        expected[3 * i + 2], folded);
    }
  }
  EXPECT_EQ(mismatches, 0) << "of " << cases.size() << " inputs";
  RecordProperty("inputs", static_cast<int>(cases.size()));
}

}  // namespace
}  // namespace ingest
