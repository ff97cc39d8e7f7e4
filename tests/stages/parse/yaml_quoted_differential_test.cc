// Differential test of DecodeYamlQuoted against yaml-cpp 0.7 (the YAML
// library the project links): several thousand seeded, generated double- and
// single-quoted scalars must decode to the same string as
// YAML::Load("v: " + quoted)["v"].as<std::string>(), and malformed ones must
// be rejected by both (yaml-cpp throws <=> DecodeYamlQuoted returns false).
//
// Single-line scalars must agree byte for byte. Multi-line scalars are
// compared after FoldWhitespace(), because values are whitespace-folded
// after decoding (FORMAT.md §1.1) and DecodeYamlQuoted takes two documented
// whitespace-only shortcuts in line folding, see kMultiLineShortcuts below.
//
// yaml-cpp 0.7 deviates from YAML 1.2 in a few places. Those cases are not
// generated, each for a stated reason (kYamlCppDeviations), and a test below
// proves every one is a real deviation, so the exclusions cannot hide a bug.

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "stages/parse/front_matter.h"

namespace ingest {
namespace {

// yaml-cpp 0.7 deviations from YAML 1.2, excluded from generation:
//
// 1. "\N" and "\_" decode to the single bytes 0x85 and 0xA0 (yaml-cpp's
//    exp.cpp returns "\x85" / "\xA0"), not to U+0085 / U+00A0 in UTF-8
//    (C2 85 / C2 A0) as YAML 1.2 §5.7 requires; the result is not even
//    valid UTF-8. DecodeYamlQuoted follows the spec.
// 2. "\'" is accepted inside double quotes and yields "'"; YAML 1.2 §5.7
//    (c-ns-esc-char) has no such escape, so it is an error.
//    DecodeYamlQuoted rejects it.
// 3. A '#' right after the closing quote ("a"#b) starts a comment for
//    yaml-cpp; YAML 1.2 §6.6 requires white space before a comment, so the
//    '#' is text after the scalar, an error. DecodeYamlQuoted rejects it.
//    (A comment after white space, "a" #b, is valid and is generated.)
// 4. An unterminated scalar is accepted when the input ends right after the
//    opening quote (v: ") or after a line break and blanks (v: "abc\n  ):
//    yaml-cpp's ScanScalar only throws "illegal EOF in scalar" when the end
//    comes in the middle of a line. YAML 1.2 (§7.3.1, §7.3.2) requires the
//    closing quote. DecodeYamlQuoted rejects both; the generator ends its
//    unterminated scalars in the middle of a line.
//
// kMultiLineShortcuts: DecodeYamlQuoted differs from YAML 1.2 (and
// yaml-cpp) in whitespace only, in multi-line double-quoted scalars:
//  - blanks produced by escapes ("\t", "\ ", "\x20") just before a raw
//    line break are trimmed like literal trailing blanks;
//  - empty lines right after an escaped line break fold to one space
//    instead of one newline each.
// FoldWhitespace() makes both invisible in the decoded front-matter value.

// A YAML quoted scalar decoded both ways.
struct Decoding {
  bool ok = false;
  std::string value;
  std::string error;
};

Decoding DecodeWithYamlCpp(std::string_view quoted) {
  Decoding result;
  try {
    YAML::Node document = YAML::Load("v: " + std::string(quoted));
    result.value = document["v"].as<std::string>();
    result.ok = true;
  } catch (const YAML::Exception& e) {
    result.error = e.what();
  }
  return result;
}

Decoding DecodeWithUs(std::string_view quoted) {
  Decoding result;
  result.ok = DecodeYamlQuoted(quoted, &result.value);
  if (!result.ok) result.value.clear();
  return result;
}

// Printable rendering for failure messages.
std::string Visible(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

void AppendUtf8(uint32_t code_point, std::string* out) {
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

bool IsSurrogate(uint32_t code_point) {
  return code_point >= 0xD800 && code_point <= 0xDFFF;
}

enum class Expect { kValid, kInvalid };

struct GeneratedCase {
  std::string quoted;
  bool multi_line = false;
  Expect expect = Expect::kValid;
};

// Generates quoted scalars from a fixed seed using raw engine output only
// (no std::*_distribution, whose results differ between standard
// libraries), so every machine tests the same set.
class QuotedScalarGenerator {
 public:
  explicit QuotedScalarGenerator(uint32_t seed) : rng_(seed) {}

  // A well-formed scalar; `multi_line` adds raw (and, in double quotes,
  // escaped) line breaks with indented continuation lines.
  std::string Valid(char quote, bool multi_line) {
    std::string out(1, quote);
    const uint32_t pieces = Below(25);
    for (uint32_t i = 0; i < pieces; ++i) {
      if (multi_line && Below(5) == 0) {
        AppendLineBreak(quote, &out);
      } else if (Below(3) == 0) {
        AppendEscape(quote, &out);
      } else {
        AppendText(quote, &out);
      }
    }
    if (multi_line && out.find('\n') == std::string::npos) {
      AppendLineBreak(quote, &out);
      AppendText(quote, &out);
    }
    out += quote;
    return out;
  }

  // Valid(), sometimes followed by blanks and a comment after white space.
  std::string ValidWithTrailer(char quote, bool multi_line) {
    std::string out = Valid(quote, multi_line);
    switch (Below(6)) {
      case 0:
        out += " ";
        break;
      case 1:
        out += " \t ";
        break;
      case 2:
        out += " # comment: \"x\" 'y' 가";
        break;
      case 3:
        out += "\t#";
        break;
      default:
        break;
    }
    return out;
  }

  // A malformed scalar that YAML 1.2 and yaml-cpp both reject.
  std::string Invalid(bool* multi_line) {
    const char quote = Below(3) == 0 ? '\'' : '"';
    *multi_line = Below(4) == 0;
    switch (quote == '\'' ? Below(2) : Below(5)) {
      case 0: {  // unterminated: the closing quote is missing
        std::string out = Valid(quote, *multi_line);
        out.pop_back();
        // Deviation 4: do not end right after the quote or a line break.
        const size_t line = out.find_last_of("\n");
        if (out.size() == 1 ||
            (line != std::string::npos &&
             out.find_first_not_of(" \t", line + 1) == std::string::npos)) {
          AppendUtf8(0xAC00 + Below(11172), &out);
        }
        return out;
      }
      case 1: {  // text after the closing quote
        static const char* const kTrailers[] = {
            " x",   "x",    "가",    " \"y\"", "\"", "'",
            " 'z'", " - a", "  b c", "\t1",    " ]", "}"};
        return Valid(quote, *multi_line) +
               kTrailers[Below(sizeof(kTrailers) / sizeof(kTrailers[0]))];
      }
      case 2: {  // an escape YAML 1.2 does not define
        static constexpr std::string_view kNotEscapes =
            "cdgijkmoqswyzABCDEFGHIJKMOQRSTVWXYZ123456789!#$%&()*+,-.:;<=>?@[]"
            "^`{|}~";
        return WithInsert(
            "\\" + std::string(1, kNotEscapes[Below(kNotEscapes.size())]),
            *multi_line);
      }
      case 3: {  // a hex escape with too few hex digits
        static constexpr std::string_view kNotHex = "gGzZ -_.\"";
        static const char* const kHexEscapes[] = {"\\x", "\\u", "\\U"};
        const uint32_t which = Below(3);
        const uint32_t digits = which == 0 ? 2 : which == 1 ? 4 : 8;
        std::string escape = kHexEscapes[which];
        const uint32_t good = Below(digits);
        for (uint32_t i = 0; i < good; ++i) escape += kHexDigits[Below(22)];
        escape += kNotHex[Below(kNotHex.size())];
        return WithInsert(escape, *multi_line);
      }
      default: {  // a surrogate or a code point beyond U+10FFFF
        std::string escape;
        const uint32_t surrogate = 0xD800 + Below(0x800);
        switch (Below(3)) {
          case 0:
            AppendHexEscape('u', surrogate, 4, &escape);
            break;
          case 1:
            AppendHexEscape('U', surrogate, 8, &escape);
            break;
          default:
            AppendHexEscape('U', 0x110000 + rng_() % (0xFFFFFFFFu - 0x110000),
                            8, &escape);
        }
        return WithInsert(escape, *multi_line);
      }
    }
  }

 private:
  static constexpr std::string_view kHexDigits = "0123456789abcdefABCDEF";

  uint32_t Below(size_t n) { return rng_() % static_cast<uint32_t>(n); }

  // A double-quoted scalar with `inserted` between two valid halves.
  std::string WithInsert(const std::string& inserted, bool multi_line) {
    std::string head = Valid('"', multi_line);
    head.pop_back();
    std::string tail = Valid('"', false);
    return head + inserted + tail.substr(1);
  }

  void AppendText(char quote, std::string* out) {
    switch (Below(10)) {
      case 0:
      case 1:
      case 2:
      case 3: {  // printable ASCII but the quote
        char c;
        do {
          c = static_cast<char>(0x20 + Below(0x5F));
        } while (c == quote || (quote == '"' && c == '\\'));
        *out += c;
        break;
      }
      case 4:
      case 5:
        AppendUtf8(0xAC00 + Below(11172), out);  // a Hangul syllable
        break;
      case 6:
        *out += Below(2) == 0 ? "\t" : " ";
        break;
      case 7: {
        static const uint32_t kOthers[] = {0x2026, 0x00B7, 0x00E9, 0x1F600,
                                           0x3000, 0x00A0, 0x2028, 0xFEFF};
        AppendUtf8(kOthers[Below(sizeof(kOthers) / sizeof(kOthers[0]))], out);
        break;
      }
      case 8:
        *out += quote == '"' ? ": #" : "\\";
        break;
      default:
        *out += quote == '\'' ? "''" : " &#x27;";
    }
  }

  void AppendHexEscape(char kind, uint32_t value, int digits,
                       std::string* out) {
    *out += '\\';
    *out += kind;
    for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) {
      const uint32_t nibble = (value >> shift) & 0xF;
      // Either case: hex digits are case-insensitive.
      *out += nibble >= 10 && Below(2) == 0
                  ? static_cast<char>('A' + nibble - 10)
                  : kHexDigits[nibble];
    }
  }

  void AppendEscape(char quote, std::string* out) {
    if (quote == '\'') {
      *out += "''";
      return;
    }
    // YAML 1.2 §5.7 escapes but \N, \_ (deviation 1); \' is not one.
    static const char* const kSimple[] = {
        "\\0", "\\a", "\\b", "\\t",  "\\\t", "\\n",  "\\v", "\\f",
        "\\r", "\\e", "\\ ", "\\\"", "\\/",  "\\\\", "\\L", "\\P"};
    switch (Below(4)) {
      case 0:
        AppendHexEscape('x', Below(0x100), 2, out);
        break;
      case 1: {
        uint32_t value;
        do {
          value = Below(0x10000);
        } while (IsSurrogate(value));
        AppendHexEscape('u', value, 4, out);
        break;
      }
      case 2: {
        static const uint32_t kLimits[] = {0x80, 0x800, 0x10000, 0x110000};
        uint32_t value;
        do {
          value = Below(kLimits[Below(4)]);
        } while (IsSurrogate(value));
        AppendHexEscape('U', value, 8, out);
        break;
      }
      default:
        *out += kSimple[Below(sizeof(kSimple) / sizeof(kSimple[0]))];
    }
  }

  // A raw line break (maybe with trailing blanks and empty lines), or in
  // double quotes sometimes an escaped one; the next line is indented, so
  // no line starts with a document marker.
  void AppendLineBreak(char quote, std::string* out) {
    static const char* const kBlanks[] = {"", " ", "\t", "  ", " \t"};
    if (quote == '"' && Below(3) == 0) {
      *out += "\\\n";
    } else {
      *out += kBlanks[Below(5)];
      *out += '\n';
    }
    for (uint32_t empty = Below(4); empty > 2; --empty) {
      *out += kBlanks[Below(5)];
      *out += '\n';
    }
    *out += Below(2) == 0 ? " " : "\t";
    *out += kBlanks[Below(5)];
  }

  std::mt19937 rng_;
};

std::vector<GeneratedCase> GenerateCases() {
  QuotedScalarGenerator generator(0x5EED2025);
  std::vector<GeneratedCase> cases;
  for (int i = 0; i < 2500; ++i) {
    cases.push_back({generator.ValidWithTrailer('"', false), false});
  }
  for (int i = 0; i < 1200; ++i) {
    cases.push_back({generator.ValidWithTrailer('\'', false), false});
  }
  for (int i = 0; i < 1000; ++i) {
    cases.push_back(
        {generator.ValidWithTrailer(i % 3 == 0 ? '\'' : '"', true), true});
  }
  for (int i = 0; i < 1500; ++i) {
    GeneratedCase invalid;
    invalid.quoted = generator.Invalid(&invalid.multi_line);
    invalid.expect = Expect::kInvalid;
    cases.push_back(std::move(invalid));
  }
  return cases;
}

TEST(DecodeYamlQuotedDifferentialTest, AgreesWithYamlCppOnGeneratedScalars) {
  const std::vector<GeneratedCase> cases = GenerateCases();
  ASSERT_GT(cases.size(), 6000u);
  int mismatches = 0;
  int generator_surprises = 0;
  int compared_valid = 0;
  for (const GeneratedCase& c : cases) {
    const Decoding yaml = DecodeWithYamlCpp(c.quoted);
    const Decoding ours = DecodeWithUs(c.quoted);
    // The generator's own claim, checked against yaml-cpp: a wrong claim is
    // a bug in this test, not in the code under test.
    if (yaml.ok != (c.expect == Expect::kValid) && ++generator_surprises <= 5) {
      ADD_FAILURE() << "the generator expected "
                    << (c.expect == Expect::kValid ? "valid" : "invalid")
                    << " but yaml-cpp says " << (yaml.ok ? "ok" : yaml.error)
                    << "\n  scalar: " << Visible(c.quoted);
    }
    bool same = yaml.ok == ours.ok;
    if (same && yaml.ok) {
      ++compared_valid;
      same = c.multi_line
                 ? FoldWhitespace(yaml.value) == FoldWhitespace(ours.value)
                 : yaml.value == ours.value;
    }
    if (!same && ++mismatches <= 10) {
      ADD_FAILURE() << (c.multi_line ? "multi-line" : "single-line")
                    << " scalar: " << Visible(c.quoted) << "\n  yaml-cpp: "
                    << (yaml.ok ? "\"" + Visible(yaml.value) + "\""
                                : "throws " + yaml.error)
                    << "\n  ours:     "
                    << (ours.ok ? "\"" + Visible(ours.value) + "\""
                                : "rejects");
    }
  }
  EXPECT_EQ(mismatches, 0) << "of " << cases.size() << " scalars";
  EXPECT_EQ(generator_surprises, 0);
  EXPECT_GT(compared_valid, 4000);
}

TEST(DecodeYamlQuotedDifferentialTest, ExcludedCasesAreRealYamlCppDeviations) {
  struct Deviation {
    const char* quoted;
    bool spec_ok;
    std::string spec_value;  // per YAML 1.2
  };
  const Deviation deviations[] = {
      {R"("a\Nb")", true, "a\u0085b"},  // 1: yaml-cpp gives "a\x85b"
      {R"("a\_b")", true, "a\u00a0b"},  // 1: yaml-cpp gives "a\xa0b"
      {R"("a\'b")", false, ""},         // 2: yaml-cpp gives "a'b"
      {R"("a"#b)", false, ""},          // 3: yaml-cpp gives "a"
      {R"('a'#b)", false, ""},          // 3: yaml-cpp gives "a"
      {"\"", false, ""},                // 4: yaml-cpp gives ""
      {"'", false, ""},                 // 4: yaml-cpp gives ""
      {"\"abc\n  ", false, ""},         // 4: yaml-cpp gives "abc "
      {"'abc\n\t", false, ""},          // 4: yaml-cpp gives "abc "
      {"\"a\\\n", false, ""},           // 4: yaml-cpp gives "a"
  };
  for (const Deviation& d : deviations) {
    const Decoding yaml = DecodeWithYamlCpp(d.quoted);
    const Decoding ours = DecodeWithUs(d.quoted);
    EXPECT_EQ(ours.ok, d.spec_ok) << d.quoted;
    EXPECT_EQ(ours.value, d.spec_value) << d.quoted;
    // Still a deviation in the linked yaml-cpp? If this fails, yaml-cpp was
    // fixed: put the case back into the generator.
    EXPECT_TRUE(yaml.ok != d.spec_ok || yaml.value != d.spec_value)
        << d.quoted << " now decodes per the spec in yaml-cpp";
  }
}

TEST(DecodeYamlQuotedDifferentialTest, MultiLineShortcutsAreWhitespaceOnly) {
  // kMultiLineShortcuts: exact results differ, folded results agree.
  for (const char* quoted :
       {"\"a\\t\n  b\"", "\"a\\ \n  b\"", "\"a\\\n\n  b\""}) {
    const Decoding yaml = DecodeWithYamlCpp(quoted);
    const Decoding ours = DecodeWithUs(quoted);
    ASSERT_TRUE(yaml.ok) << yaml.error;
    ASSERT_TRUE(ours.ok) << Visible(quoted);
    EXPECT_EQ(FoldWhitespace(ours.value), "a b") << Visible(quoted);
    EXPECT_EQ(FoldWhitespace(yaml.value), "a b") << Visible(quoted);
  }
}

}  // namespace
}  // namespace ingest
