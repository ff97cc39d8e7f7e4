// Helpers for the end-to-end tests of `audit` and `state` (namespace
// ingest::test, header-only): problem records parsed back from the
// binary's output, a fingerprint of a directory tree that notices any
// change (names, sizes, times, modes, bytes), and small file edits. Not
// thread-safe.
#ifndef INGEST_TESTS_COMMANDS_AUDIT_E2E_HELPERS_H_
#define INGEST_TESTS_COMMANDS_AUDIT_E2E_HELPERS_H_

#include <simdjson.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "tests/testing/article_builder.h"
#include "tests/testing/testing.h"

namespace ingest::test {

struct ProblemRecord {
  std::string source;
  uint64_t line = 0;
  std::string id;
  std::string problem;
  std::string detail;
};

// Every line of `ndjson` as a problem record; a malformed one fails the test.
inline std::vector<ProblemRecord> ParseProblemRecords(std::string_view ndjson) {
  std::vector<ProblemRecord> records;
  simdjson::dom::parser parser;
  size_t start = 0;
  while (start < ndjson.size()) {
    size_t end = ndjson.find('\n', start);
    if (end == std::string_view::npos) {
      ADD_FAILURE() << "problem output does not end in a newline: " << ndjson;
      break;
    }
    std::string_view line = ndjson.substr(start, end - start);
    start = end + 1;
    simdjson::dom::element element;
    if (parser.parse(line.data(), line.size()).get(element)) {
      ADD_FAILURE() << "not JSON: " << line;
      continue;
    }
    ProblemRecord record;
    std::string_view text;
    int64_t number = 0;
    if (!element["source"].get(text)) record.source = std::string(text);
    if (!element["line"].get(number)) record.line = static_cast<uint64_t>(number);
    if (!element["id"].get(text)) record.id = std::string(text);
    if (!element["problem"].get(text)) record.problem = std::string(text);
    if (!element["detail"].get(text)) record.detail = std::string(text);
    EXPECT_FALSE(record.source.empty() || record.problem.empty()) << line;
    records.push_back(std::move(record));
  }
  return records;
}

inline std::vector<std::string> ProblemCodes(const std::vector<ProblemRecord>& records) {
  std::vector<std::string> codes;
  for (const ProblemRecord& record : records) codes.push_back(record.problem);
  return codes;
}

// Path, type, size, mtime (ns), mode and SHA-256 of every entry below
// `root`, one line each, sorted: equal fingerprints mean nothing changed.
inline std::string TreeFingerprint(const std::string& root) {
  std::vector<std::string> lines;
  std::error_code error;
  for (std::filesystem::recursive_directory_iterator it(root, error), end;
       !error && it != end; it.increment(error)) {
    struct stat info;
    if (lstat(it->path().c_str(), &info) != 0) continue;
    std::string digest;
    if (S_ISREG(info.st_mode)) digest = Sha256Hex(ReadFile(it->path().string()));
    lines.push_back(fmt::format("{} {:o} {} {}.{:09d} {}", it->path().string(),
                                info.st_mode, info.st_size, info.st_mtim.tv_sec,
                                info.st_mtim.tv_nsec, digest));
  }
  std::sort(lines.begin(), lines.end());
  std::string all;
  for (const std::string& line : lines) all += line + "\n";
  return all;
}

// The NDJSON files directly in `directory`, sorted by name.
inline std::vector<std::string> NdjsonFilesIn(const std::string& directory) {
  std::vector<std::string> paths;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    std::string name = entry.path().filename().string();
    if (name.size() > 7 && name.substr(name.size() - 7) == ".ndjson" && name[0] != '.') {
      paths.push_back(entry.path().string());
    }
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

// The lines of a file, each without its '\n'.
inline std::vector<std::string> LinesOf(const std::string& path) {
  std::vector<std::string> lines;
  std::string contents = ReadFile(path);
  size_t start = 0;
  while (start < contents.size()) {
    size_t end = contents.find('\n', start);
    if (end == std::string::npos) end = contents.size();
    lines.push_back(contents.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

inline void WriteLines(const std::string& path, const std::vector<std::string>& lines) {
  std::string contents;
  for (const std::string& line : lines) contents += line + "\n";
  WriteFile(path, contents);
}

// The string value of `key` in the JSON object `line`.
inline std::string JsonField(std::string_view line, const char* key) {
  simdjson::dom::parser parser;
  simdjson::dom::element element;
  std::string_view value;
  if (parser.parse(line.data(), line.size()).get(element) || element[key].get(value)) {
    ADD_FAILURE() << "no string " << key << " in " << line;
    return "";
  }
  return std::string(value);
}

}  // namespace ingest::test

#endif  // INGEST_TESTS_COMMANDS_AUDIT_E2E_HELPERS_H_
