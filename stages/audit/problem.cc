#include "stages/audit/problem.h"

#include <fmt/format.h>

#include "stages/emit/ndjson_writer.h"

namespace ingest {

std::string_view ProblemCodeName(ProblemCode code) {
  switch (code) {
    case ProblemCode::kUnreadable: return "unreadable";
    case ProblemCode::kTooLarge: return "too_large";
    case ProblemCode::kEmptyFile: return "empty_file";
    case ProblemCode::kInvalidUtf8: return "invalid_utf8";
    case ProblemCode::kNoFrontMatter: return "no_front_matter";
    case ProblemCode::kBadFrontMatter: return "bad_front_matter";
    case ProblemCode::kBadKey: return "bad_key";
    case ProblemCode::kIdMismatch: return "id_mismatch";
    case ProblemCode::kMissingHash: return "missing_hash";
    case ProblemCode::kBadHash: return "bad_hash";
    case ProblemCode::kNoBody: return "no_body";
    case ProblemCode::kEmptyBody: return "empty_body";
    case ProblemCode::kHashMismatch: return "hash_mismatch";
    case ProblemCode::kInvalidJson: return "invalid_json";
    case ProblemCode::kPartialLine: return "partial_line";
    case ProblemCode::kBadCompression: return "bad_compression";
    case ProblemCode::kWrongType: return "wrong_type";
    case ProblemCode::kMissingKey: return "missing_key";
    case ProblemCode::kUnknownKey: return "unknown_key";
    case ProblemCode::kRepeatedKey: return "repeated_key";
    case ProblemCode::kBadValue: return "bad_value";
    case ProblemCode::kDuplicateKey: return "duplicate_key";
    case ProblemCode::kMissingRecord: return "missing_record";
    case ProblemCode::kUnknownRecord: return "unknown_record";
    case ProblemCode::kHashDiffersFromState: return "hash_differs_from_state";
    case ProblemCode::kBadStateEntry: return "bad_state_entry";
    case ProblemCode::kTextEdited: return "text_edited";
    case ProblemCode::kContentHashEdited: return "content_hash_edited";
  }
  return "";
}

ProblemCode ProblemCodeFor(QuarantineReason reason) {
  // The first thirteen codes follow QuarantineReason's order, kNone aside.
  static_assert(static_cast<int>(QuarantineReason::kHashMismatch) ==
                static_cast<int>(ProblemCode::kHashMismatch) + 1);
  return static_cast<ProblemCode>(static_cast<int>(reason) - 1);
}

void AppendProblemRecord(const Problem& problem, std::string* out) {
  out->append("{\"source\":");
  AppendJsonString(problem.source, out);
  if (problem.line != 0) {
    out->append(",\"line\":");
    out->append(std::to_string(problem.line));
  }
  if (!problem.id.empty()) {
    out->append(",\"id\":");
    AppendJsonString(problem.id, out);
  }
  out->append(",\"problem\":");
  AppendJsonString(ProblemCodeName(problem.code), out);
  out->append(",\"detail\":");
  AppendJsonString(problem.detail, out);
  out->append("}\n");
}

void ProblemCounts::Merge(const ProblemCounts& other) {
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
}

uint64_t ProblemCounts::total() const {
  uint64_t total = 0;
  for (uint64_t count : counts_) total += count;
  return total;
}

std::string ProblemCounts::ToLogFields() const {
  std::string fields;
  for (size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] == 0) continue;
    fields += fmt::format(" {}={}", ProblemCodeName(static_cast<ProblemCode>(i)),
                          counts_[i]);
  }
  return fields;
}

}  // namespace ingest
