#include "stages/emit/run_summary.h"

#include <fmt/format.h>

#include "stages/emit/ndjson_writer.h"

namespace ingest {

uint64_t RunSummary::quarantined_total() const {
  uint64_t total = 0;
  for (uint64_t count : quarantined) total += count;
  return total;
}

void RunSummary::Add(const RunSummary& other) {
  files += other.files;
  emitted += other.emitted;
  duplicates += other.duplicates;
  revisions += other.revisions;
  for (size_t i = 0; i < quarantined.size(); ++i) quarantined[i] += other.quarantined[i];
  skipped += other.skipped;
  excluded += other.excluded;
  unchanged += other.unchanged;
  bytes_read += other.bytes_read;
}

std::string RunSummary::ToJson() const {
  std::string out = "{\"run_id\":";
  AppendJsonString(run_id, &out);
  out += ",\"status\":";
  AppendJsonString(status, &out);
  out += ",\"started_at\":";
  AppendJsonString(started_at, &out);
  out += ",\"finished_at\":";
  AppendJsonString(finished_at, &out);
  out += ",\"inputs\":[";
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (i > 0) out += ',';
    AppendJsonString(inputs[i], &out);
  }
  out += "],\"schema\":";
  AppendJsonString(schema, &out);
  out += ",\"compression\":";
  AppendJsonString(compression, &out);
  out += fmt::format(",\"files\":{},\"emitted\":{},\"duplicates\":{},\"revisions\":{}",
                     files, emitted, duplicates, revisions);
  out += ",\"quarantined\":{";
  for (int i = 1; i < kQuarantineReasonCount; ++i) {
    if (i > 1) out += ',';
    AppendJsonString(QuarantineReasonName(static_cast<QuarantineReason>(i)), &out);
    out += fmt::format(":{}", quarantined[i]);
  }
  out += fmt::format(
      "}},\"quarantined_total\":{},\"skipped\":{},\"excluded\":{},\"unchanged\":{},"
      "\"bytes_read\":{},\"seconds\":{:.3f}}}\n",
      quarantined_total(), skipped, excluded, unchanged, bytes_read, seconds);
  return out;
}

std::string RunSummary::ToLogLine() const {
  std::string line = fmt::format(
      "run {} run_id={} files={} emitted={} duplicates={} revisions={} "
      "quarantined={} skipped={} excluded={} unchanged={} bytes_read={} seconds={:.3f}",
      status == "ok" ? "finished" : status, run_id, files, emitted, duplicates,
      revisions, quarantined_total(), skipped, excluded, unchanged, bytes_read, seconds);
  for (int i = 1; i < kQuarantineReasonCount; ++i) {
    if (quarantined[i] == 0) continue;
    line += fmt::format(" {}={}", QuarantineReasonName(static_cast<QuarantineReason>(i)),
                        quarantined[i]);
  }
  return line;
}

}  // namespace ingest
