// The tolerant front-matter reader of FORMAT.md §1.1, and the body locator
// of §1: the per-article path, which must not use a YAML library (real
// dumps are not valid YAML, and yaml-cpp is far too slow here).
//
// Pure functions over a document that is already LF-normalised and has no
// BOM; thread-safe. Values come back decoded (YAML quotes) and folded
// (whitespace runs → one space, trimmed) but not yet HTML-unescaped.
#ifndef INGEST_STAGES_PARSE_FRONT_MATTER_H_
#define INGEST_STAGES_PARSE_FRONT_MATTER_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/article.h"

namespace ingest {

struct FrontMatterField {
  std::string_view key;  // points into the document
  std::string value;     // empty means null
};

// Reuse one FrontMatter per worker: ReadFrontMatter keeps the buffers of
// the previous values and scratch for the next document.
struct FrontMatter {
  std::vector<FrontMatterField> fields;  // in file order, keys unique
  size_t end = 0;  // offset just past the closing "---" line

  // Scratch, kept between documents for its capacity.
  std::vector<std::pair<size_t, size_t>> raw_values;  // document slices
  std::vector<std::string> spare_values;
  std::string decoded;
};

// Fills `out` and returns kNone, or returns kNoFrontMatter /
// kBadFrontMatter with the evidence in `detail`.
QuarantineReason ReadFrontMatter(std::string_view document, FrontMatter* out,
                                 std::string* detail);

// The raw body: between the first separator line at or after `from` and
// the last separator line of the document. False when there are not two
// distinct separator lines.
bool FindBody(std::string_view document, size_t from, std::string_view* body);

// Decodes a YAML double- or single-quoted scalar (the whole value, quotes
// included, possibly spanning lines joined by '\n'). False when it is not
// a well-formed quoted scalar (unterminated, bad escape, text after it).
bool DecodeYamlQuoted(std::string_view quoted, std::string* out);

// Replaces every run of whitespace (Python's str.isspace() set) with one
// space and trims both ends.
std::string FoldWhitespace(std::string_view value);
// The same into *folded, reusing its capacity.
void FoldWhitespaceInto(std::string_view value, std::string* folded);

}  // namespace ingest

#endif  // INGEST_STAGES_PARSE_FRONT_MATTER_H_
