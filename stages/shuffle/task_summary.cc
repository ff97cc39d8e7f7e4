#include "stages/shuffle/task_summary.h"

#include <simdjson.h>

#include <string>

namespace ingest {

Result<RunSummary> ParseRunSummary(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::element root;
  if (parser.parse(padded).get(root) != simdjson::SUCCESS) {
    return Status::Corruption("summary: not JSON");
  }
  RunSummary summary;
  auto count = [&](const char* key, uint64_t* out) {
    uint64_t value = 0;
    if (root[key].get_uint64().get(value) == simdjson::SUCCESS) *out = value;
  };
  auto text = [&](const char* key, std::string* out) {
    std::string_view value;
    if (root[key].get_string().get(value) == simdjson::SUCCESS) out->assign(value);
  };
  text("run_id", &summary.run_id);
  text("status", &summary.status);
  text("started_at", &summary.started_at);
  text("finished_at", &summary.finished_at);
  count("files", &summary.files);
  count("emitted", &summary.emitted);
  count("duplicates", &summary.duplicates);
  count("revisions", &summary.revisions);
  count("skipped", &summary.skipped);
  count("unchanged", &summary.unchanged);
  count("bytes_read", &summary.bytes_read);
  double seconds = 0;
  if (root["seconds"].get_double().get(seconds) == simdjson::SUCCESS) summary.seconds = seconds;
  simdjson::dom::array inputs;
  if (root["inputs"].get_array().get(inputs) == simdjson::SUCCESS) {
    for (simdjson::dom::element input : inputs) {
      std::string_view value;
      if (input.get_string().get(value) == simdjson::SUCCESS) summary.inputs.emplace_back(value);
    }
  }
  simdjson::dom::object quarantined;
  if (root["quarantined"].get_object().get(quarantined) != simdjson::SUCCESS) {
    return Status::Corruption("summary: no quarantined object");
  }
  for (int i = 1; i < kQuarantineReasonCount; ++i) {
    std::string name(QuarantineReasonName(static_cast<QuarantineReason>(i)));
    uint64_t value = 0;
    if (quarantined[name].get_uint64().get(value) == simdjson::SUCCESS) {
      summary.quarantined[static_cast<size_t>(i)] = value;
    }
  }
  return summary;
}

RunSummary MergeTaskSummaries(const std::vector<RunSummary>& maps,
                              const std::vector<RunSummary>& reduces) {
  RunSummary merged;
  for (const RunSummary& map : maps) {
    for (size_t i = 0; i < merged.quarantined.size(); ++i) {
      merged.quarantined[i] += map.quarantined[i];
    }
    merged.bytes_read += map.bytes_read;
  }
  for (const RunSummary& reduce : reduces) {
    merged.emitted += reduce.emitted;
    merged.duplicates += reduce.duplicates;
    merged.revisions += reduce.revisions;
  }
  merged.files = merged.emitted + merged.duplicates + merged.revisions +
                 merged.quarantined_total();
  return merged;
}

}  // namespace ingest
