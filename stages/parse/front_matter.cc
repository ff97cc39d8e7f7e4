#include "stages/parse/front_matter.h"

#include <algorithm>
#include <cstring>

#include "stages/parse/python_space.h"

namespace ingest {

namespace {

constexpr std::string_view kSeparator = "---";

// The line starting at `pos` (without its '\n') and where the next starts.
std::string_view LineAt(std::string_view document, size_t pos, size_t* next) {
  size_t newline = document.find('\n', pos);
  if (newline == std::string_view::npos) {
    *next = document.size();
    return document.substr(pos);
  }
  *next = newline + 1;
  return document.substr(pos, newline - pos);
}

// A line holding only whitespace, in the same (Python) sense as folding.
bool IsBlank(std::string_view line) {
  const auto* p = reinterpret_cast<const unsigned char*>(line.data());
  const auto* end = p + line.size();
  while (p < end) {
    size_t space = PythonSpaceAt(p, end);
    if (space == 0) return false;
    p += space;
  }
  return true;
}

// Where the key of a `key: value` line ends: the first ':' followed by a
// space, a tab or the end of the line; npos when there is none.
size_t KeyColon(std::string_view line) {
  for (size_t i = line.find(':'); i != std::string_view::npos;
       i = line.find(':', i + 1)) {
    if (i + 1 == line.size() || line[i + 1] == ' ' || line[i + 1] == '\t') {
      return i;
    }
  }
  return std::string_view::npos;
}

void AppendUtf8(uint32_t code_point, std::string* out) {
  if (code_point < 0x80) {
    out->push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

bool ParseHex(std::string_view digits, uint32_t* value) {
  uint32_t result = 0;
  for (char c : digits) {
    result <<= 4;
    if (c >= '0' && c <= '9') result |= static_cast<uint32_t>(c - '0');
    else if (c >= 'a' && c <= 'f') result |= static_cast<uint32_t>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') result |= static_cast<uint32_t>(c - 'A' + 10);
    else return false;
  }
  *value = result;
  return true;
}

// YAML flow folding at a raw line break inside a quoted scalar: trailing
// blanks before it are dropped, leading blanks after it skipped; one break
// becomes a space, n > 1 breaks become n - 1 newlines. `i` is at the '\n';
// returns the index of the first character after the folded run.
size_t FoldLineBreak(std::string_view content, size_t i, std::string* out) {
  while (!out->empty() && (out->back() == ' ' || out->back() == '\t')) {
    out->pop_back();
  }
  int breaks = 0;
  while (i < content.size() &&
         (content[i] == '\n' || content[i] == ' ' || content[i] == '\t')) {
    if (content[i] == '\n') ++breaks;
    ++i;
  }
  if (breaks == 1) out->push_back(' ');
  else out->append(static_cast<size_t>(breaks - 1), '\n');
  return i;
}

bool DecodeDoubleQuoted(std::string_view content, std::string* out,
                        size_t* consumed) {
  size_t i = 0;
  while (i < content.size()) {
    char c = content[i];
    if (c == '"') {
      *consumed = i + 1;
      return true;
    }
    if (c == '\n') {
      i = FoldLineBreak(content, i, out);
      continue;
    }
    if (c != '\\') {
      out->push_back(c);
      ++i;
      continue;
    }
    if (i + 1 >= content.size()) return false;
    char escape = content[i + 1];
    i += 2;
    size_t hex_digits = 0;
    switch (escape) {
      case '0': out->push_back('\0'); break;
      case 'a': out->push_back('\a'); break;
      case 'b': out->push_back('\b'); break;
      case 't': case '\t': out->push_back('\t'); break;
      case 'n': out->push_back('\n'); break;
      case 'v': out->push_back('\v'); break;
      case 'f': out->push_back('\f'); break;
      case 'r': out->push_back('\r'); break;
      case 'e': out->push_back('\x1b'); break;
      case ' ': out->push_back(' '); break;
      case '"': out->push_back('"'); break;
      case '/': out->push_back('/'); break;
      case '\\': out->push_back('\\'); break;
      case 'N': AppendUtf8(0x85, out); break;
      case '_': AppendUtf8(0xA0, out); break;
      case 'L': AppendUtf8(0x2028, out); break;
      case 'P': AppendUtf8(0x2029, out); break;
      case 'x': hex_digits = 2; break;
      case 'u': hex_digits = 4; break;
      case 'U': hex_digits = 8; break;
      case '\n':  // an escaped line break joins the lines with nothing
        while (i < content.size() && (content[i] == ' ' || content[i] == '\t')) ++i;
        break;
      default:
        return false;
    }
    if (hex_digits > 0) {
      uint32_t code_point = 0;
      if (i + hex_digits > content.size() ||
          !ParseHex(content.substr(i, hex_digits), &code_point) ||
          code_point > 0x10FFFF ||
          (code_point >= 0xD800 && code_point <= 0xDFFF)) {
        return false;
      }
      AppendUtf8(code_point, out);
      i += hex_digits;
    }
  }
  return false;  // no closing quote
}

bool DecodeSingleQuoted(std::string_view content, std::string* out,
                        size_t* consumed) {
  size_t i = 0;
  while (i < content.size()) {
    char c = content[i];
    if (c == '\'') {
      if (i + 1 < content.size() && content[i + 1] == '\'') {
        out->push_back('\'');
        i += 2;
        continue;
      }
      *consumed = i + 1;
      return true;
    }
    if (c == '\n') {
      i = FoldLineBreak(content, i, out);
      continue;
    }
    out->push_back(c);
    ++i;
  }
  return false;
}

}  // namespace

bool DecodeYamlQuoted(std::string_view quoted, std::string* out) {
  size_t start = 0;
  while (start < quoted.size() && (quoted[start] == ' ' || quoted[start] == '\t')) {
    ++start;
  }
  if (start == quoted.size()) return false;
  char quote = quoted[start];
  std::string_view content = quoted.substr(start + 1);
  size_t consumed = 0;
  out->clear();
  bool closed = quote == '"'    ? DecodeDoubleQuoted(content, out, &consumed)
                : quote == '\'' ? DecodeSingleQuoted(content, out, &consumed)
                                : false;
  if (!closed) return false;
  // After the closing quote only blanks may follow, or a " #" comment.
  std::string_view rest = content.substr(consumed);
  for (size_t i = 0; i < rest.size(); ++i) {
    char c = rest[i];
    if (c == ' ' || c == '\t' || c == '\n') continue;
    if (c == '#' && i > 0) return true;
    return false;
  }
  return true;
}

std::string FoldWhitespace(std::string_view value) {
  std::string out;
  FoldWhitespaceInto(value, &out);
  return out;
}

void FoldWhitespaceInto(std::string_view value, std::string* folded) {
  std::string& out = *folded;
  out.clear();
  const auto* p = reinterpret_cast<const unsigned char*>(value.data());
  const auto* end = p + value.size();
  while (p < end) {
    size_t space = PythonSpaceAt(p, end);
    if (space > 0) {
      p += space;
      continue;
    }
    // A run of non-space bytes, copied at once, after one separating space.
    // A lone ' ' between two of them folds to itself, so it stays inside the
    // run: a title is then one copy, not one per word.
    const auto* run = p;
    while ((p = NextPossibleSpace(p, end)) < end) {
      if (*p == ' ' && end - p > 1 && PythonSpaceAt(p + 1, end) == 0) {
        p += 2;  // p[1] starts no space
        continue;
      }
      if (PythonSpaceAt(p, end) > 0) break;
      ++p;
    }
    if (!out.empty()) out.push_back(' ');
    out.append(reinterpret_cast<const char*>(run), static_cast<size_t>(p - run));
  }
}

QuarantineReason ReadFrontMatter(std::string_view document, FrontMatter* out,
                                 std::string* detail) {
  // Keep the values' buffers for reuse (see FrontMatter).
  for (FrontMatterField& field : out->fields) {
    out->spare_values.push_back(std::move(field.value));
  }
  out->fields.clear();
  out->raw_values.clear();
  size_t pos = 0;
  size_t next = 0;
  if (LineAt(document, 0, &next) != kSeparator) {
    *detail = "the first line is not ---";
    return QuarantineReason::kNoFrontMatter;
  }
  pos = next;
  // A raw value is the slice of the document from after its key's colon to
  // the end of its last continuation line: the lines are contiguous, so the
  // slice already holds them joined by '\n'. Decoding happens once the
  // whole front matter is known.
  std::vector<std::pair<size_t, size_t>>& raw_values = out->raw_values;
  int line_number = 1;
  while (true) {
    if (pos >= document.size()) {
      *detail = "unterminated front matter: no closing --- line";
      return QuarantineReason::kBadFrontMatter;
    }
    size_t line_start = pos;
    std::string_view line = LineAt(document, pos, &next);
    ++line_number;
    pos = next;
    if (line == kSeparator) break;
    bool blank = IsBlank(line);
    if (blank || line[0] == ' ' || line[0] == '\t') {
      if (raw_values.empty()) {
        if (blank) continue;
        *detail = "line " + std::to_string(line_number) +
                  " is indented but continues no key";
        return QuarantineReason::kBadFrontMatter;
      }
      raw_values.back().second = line_start + line.size();
      continue;
    }
    size_t colon = KeyColon(line);
    std::string_view key = line.substr(0, colon == std::string_view::npos ? 0 : colon);
    while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) {
      key.remove_suffix(1);
    }
    if (key.empty()) {
      *detail = "line " + std::to_string(line_number) +
                " is neither key: value nor a continuation";
      return QuarantineReason::kBadFrontMatter;
    }
    for (const FrontMatterField& field : out->fields) {
      if (field.key == key) {
        *detail = "duplicate key '" + std::string(key) + "' on line " +
                  std::to_string(line_number);
        return QuarantineReason::kBadFrontMatter;
      }
    }
    std::string value;
    if (!out->spare_values.empty()) {
      value = std::move(out->spare_values.back());
      out->spare_values.pop_back();
    }
    out->fields.push_back(FrontMatterField{key, std::move(value)});
    raw_values.emplace_back(line_start + colon + 1, line_start + line.size());
  }
  out->end = pos;

  for (size_t i = 0; i < raw_values.size(); ++i) {
    std::string_view raw =
        document.substr(raw_values[i].first, raw_values[i].second - raw_values[i].first);
    size_t first = raw.find_first_not_of(" \t\n");
    if (first != std::string_view::npos && (raw[first] == '"' || raw[first] == '\'')) {
      if (!DecodeYamlQuoted(raw.substr(first), &out->decoded)) {
        *detail = "unparseable quoted value for key '" +
                  std::string(out->fields[i].key) + "'";
        return QuarantineReason::kBadFrontMatter;
      }
      FoldWhitespaceInto(out->decoded, &out->fields[i].value);
    } else {
      FoldWhitespaceInto(raw, &out->fields[i].value);
    }
  }
  return QuarantineReason::kNone;
}

bool FindBody(std::string_view document, size_t from, std::string_view* body) {
  size_t pos = from;
  size_t next = 0;
  size_t body_begin = std::string_view::npos;
  size_t first_separator = 0;
  while (pos < document.size()) {
    std::string_view line = LineAt(document, pos, &next);
    if (line == kSeparator) {
      first_separator = pos;
      body_begin = next;
      break;
    }
    pos = next;
  }
  if (body_begin == std::string_view::npos) return false;
  // The last separator line, scanning lines backwards from the end (only
  // the footer lies between it and the end in a well-formed file).
  size_t line_end = document.size();
  if (line_end > 0 && document[line_end - 1] == '\n') --line_end;
  while (true) {
    size_t newline =
        line_end == 0 ? std::string_view::npos : document.rfind('\n', line_end - 1);
    size_t line_start = newline == std::string_view::npos ? 0 : newline + 1;
    if (line_start <= first_separator) return false;
    if (document.substr(line_start, line_end - line_start) == kSeparator) {
      *body = document.substr(body_begin, line_start - body_begin);
      return true;
    }
    line_end = newline;
  }
}

}  // namespace ingest
