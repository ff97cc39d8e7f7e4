#include "stages/audit/state_tools.h"

#include <sys/stat.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "stages/emit/emit_stage.h"
#include "stages/emit/ndjson_writer.h"
#include "stages/read/file_index.h"

namespace ingest {

namespace {

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool Digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(),
                                      [](char c) { return c >= '0' && c <= '9'; });
}

int ToInt(std::string_view digits) {
  int value = 0;
  for (char c : digits) value = value * 10 + (c - '0');
  return value;
}

}  // namespace

void AppendDedupEntryJson(std::string_view id, const DedupEntry& entry,
                          std::string* out) {
  out->append("{\"id\":");
  AppendJsonString(id, out);
  out->append(",\"versions\":[");
  for (size_t i = 0; i < entry.versions.size(); ++i) {
    const DedupVersion& version = entry.versions[i];
    if (i > 0) out->push_back(',');
    out->append(fmt::format("{{\"revision\":{},\"content_hash\":", i + 1));
    AppendJsonString(ToHex(version.hash), out);
    out->append(",\"source\":");
    AppendJsonString(version.source, out);
    out->append(",\"run_id\":");
    AppendJsonString(version.run_id, out);
    out->append(version.emitted ? ",\"emitted\":true}" : ",\"emitted\":false}");
  }
  out->append("]}\n");
}

std::string StateStats::ToJson() const {
  std::string out = fmt::format(
      "{{\"keys\":{},\"versions\":{},\"emitted\":{},\"revisions\":{},"
      "\"revisions_emitted\":{},\"runs\":{},\"last_run_id\":",
      keys, versions, emitted, revisions, revisions_emitted, runs);
  if (last_run_id.empty()) {
    out += "null";
  } else {
    AppendJsonString(last_run_id, &out);
  }
  out += fmt::format(
      ",\"files_indexed\":{},\"manifest_entries\":{},\"bad_entries\":{},"
      "\"size_bytes\":{}}}\n",
      files_indexed, manifest_entries, bad_entries, size_bytes);
  return out;
}

Result<StateStats> ComputeStateStats(StateDb* state) {
  StateStats stats;
  std::set<std::string> run_ids;
  INGEST_RETURN_IF_ERROR(state->Scan("", [&](std::string_view key, std::string_view value) {
    if (StartsWith(key, kDedupKeyPrefix)) {
      ++stats.keys;
      Result<DedupEntry> entry = DedupEntry::Decode(value);
      if (!entry.ok()) {
        ++stats.bad_entries;
        return true;
      }
      for (size_t i = 0; i < entry->versions.size(); ++i) {
        const DedupVersion& version = entry->versions[i];
        ++stats.versions;
        stats.emitted += version.emitted ? 1 : 0;
        if (i > 0) {
          ++stats.revisions;
          stats.revisions_emitted += version.emitted ? 1 : 0;
        }
        if (!version.run_id.empty()) run_ids.insert(version.run_id);
      }
    } else if (StartsWith(key, kFileIndexPrefix)) {
      ++stats.files_indexed;
    } else if (StartsWith(key, kChunkManifestPrefix)) {
      ++stats.manifest_entries;
    } else if (key == kLastRunMillisKey && Digits(value)) {
      stats.last_run_id = RunIdFromMillis(std::stoll(std::string(value)));
    }
    return true;
  }));
  stats.runs = run_ids.size();
  stats.size_bytes = DirectorySize(state->directory());
  return stats;
}

uint64_t DirectorySize(const std::string& directory) {
  uint64_t total = 0;
  std::error_code error;
  for (std::filesystem::recursive_directory_iterator it(directory, error), end;
       !error && it != end; it.increment(error)) {
    struct stat info;
    if (lstat(it->path().c_str(), &info) == 0 && S_ISREG(info.st_mode)) {
      total += static_cast<uint64_t>(info.st_size);
    }
  }
  return total;
}

std::optional<int64_t> RunIdMillis(std::string_view run_id) {
  // YYYYMMDDTHHMMSS.mmmZ
  if (run_id.size() != 20 || run_id[8] != 'T' || run_id[15] != '.' ||
      run_id[19] != 'Z' || !Digits(run_id.substr(0, 8)) ||
      !Digits(run_id.substr(9, 6)) || !Digits(run_id.substr(16, 3))) {
    return std::nullopt;
  }
  std::tm utc{};
  utc.tm_year = ToInt(run_id.substr(0, 4)) - 1900;
  utc.tm_mon = ToInt(run_id.substr(4, 2)) - 1;
  utc.tm_mday = ToInt(run_id.substr(6, 2));
  utc.tm_hour = ToInt(run_id.substr(9, 2));
  utc.tm_min = ToInt(run_id.substr(11, 2));
  utc.tm_sec = ToInt(run_id.substr(13, 2));
  int64_t seconds = static_cast<int64_t>(timegm(&utc));
  return seconds * 1000 + ToInt(run_id.substr(16, 3));
}

std::string RunIdFromMillis(int64_t millis) {
  std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04d}{:02d}{:02d}T{:02d}{:02d}{:02d}.{:03d}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                     static_cast<int>(millis % 1000));
}

std::string RunIdOfFileName(std::string_view path) {
  std::string_view name = path.substr(path.rfind('/') == std::string_view::npos
                                          ? 0
                                          : path.rfind('/') + 1);
  for (std::string_view compressed : {".zst", ".gz"}) {
    if (name.size() > compressed.size() &&
        name.substr(name.size() - compressed.size()) == compressed) {
      name.remove_suffix(compressed.size());
      break;
    }
  }
  std::string_view run_id;
  if (name.size() > 7 && name.substr(name.size() - 7) == ".ndjson") {
    name.remove_suffix(7);
    size_t dash = name.rfind('-');
    if (dash == std::string_view::npos || !Digits(name.substr(dash + 1))) return "";
    run_id = name.substr(0, dash);
  } else if (name.size() > 5 && name.substr(name.size() - 5) == ".json") {
    run_id = name.substr(0, name.size() - 5);
  }
  return RunIdMillis(run_id) ? std::string(run_id) : "";
}

Result<RebuiltEntries> RebuildDedupEntries(const std::vector<KeyedRecord>& records,
                                           const std::vector<NdjsonInput>& files) {
  RebuiltEntries rebuilt;
  std::vector<std::string> run_ids(files.size());
  for (size_t i = 0; i < files.size(); ++i) run_ids[i] = RunIdOfFileName(files[i].path);
  for (size_t begin = 0; begin < records.size();) {
    size_t end = begin;
    while (end < records.size() && records[end].id == records[begin].id) ++end;
    // Sorted by revision: the last one says how many versions there were.
    const KeyedRecord& latest = records[end - 1];
    if (latest.revision > kMaxRebuildRevision) {
      return Status::Corruption(fmt::format(
          "rebuild: {}:{}: revision {} of {} is beyond {}: not a real history",
          files[latest.file].source, latest.line, latest.revision, latest.id,
          kMaxRebuildRevision));
    }
    DedupEntry entry;
    entry.versions.resize(records[end - 1].revision);
    std::vector<bool> filled(entry.versions.size(), false);
    for (size_t i = begin; i < end; ++i) {
      const KeyedRecord& record = records[i];
      size_t index = record.revision - 1;
      if (record.duplicate || filled[index]) continue;
      filled[index] = true;
      entry.versions[index] =
          DedupVersion{record.content_hash, record.source, run_ids[record.file], true};
      ++rebuilt.versions;
    }
    for (size_t index = 0; index < entry.versions.size(); ++index) {
      if (filled[index]) continue;
      entry.versions[index] = DedupVersion{Sha256::Digest{}, "", "", false};
      ++rebuilt.placeholders;
    }
    rebuilt.entries.emplace_back(records[begin].id, std::move(entry));
    begin = end;
  }
  return rebuilt;
}

}  // namespace ingest
