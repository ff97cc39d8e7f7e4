#include "commands/state_command.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "commands/exit_codes.h"
#include "pipeline/cpu_count.h"
#include "stages/audit/ndjson_audit.h"
#include "stages/audit/problem_writer.h"
#include "stages/audit/state_tools.h"
#include "stages/dedup/dedup_entry.h"
#include "stages/dedup/state_db.h"
#include "stages/emit/chunk_file.h"

namespace ingest {

namespace {

namespace fs = std::filesystem;

Result<std::unique_ptr<StateDb>> OpenReadOnly(const std::string& directory) {
  struct stat info;
  if (stat((directory + "/db").c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    return Status::NotFound("state: " + directory + " holds no state (no " + directory +
                            "/db)");
  }
  StateDb::Options options;
  options.read_only = true;
  return StateDb::Open(directory, options);
}

bool IsArticleKey(std::string_view key) {
  size_t underscore = key.find('_');
  auto digits = [](std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(),
                                        [](char c) { return c >= '0' && c <= '9'; });
  };
  return underscore != std::string_view::npos && digits(key.substr(0, underscore)) &&
         digits(key.substr(underscore + 1));
}

Status WriteStdout(std::string_view data) {
  ChunkFile out = ChunkFile::ForDescriptor(STDOUT_FILENO, "stdout");
  out.buffer()->append(data);
  return out.Seal();
}

int Stats(const StateToolConfig& config, spdlog::logger& log) {
  Result<std::unique_ptr<StateDb>> state = OpenReadOnly(config.state_dir);
  if (!state.ok()) return ReportFailure(log, state.status());
  Result<StateStats> stats = ComputeStateStats(state->get());
  if (!stats.ok()) return ReportFailure(log, stats.status());
  Status written = WriteStdout(stats->ToJson());
  return written.ok() ? kExitOk : ReportFailure(log, written);
}

int Get(const StateToolConfig& config, spdlog::logger& log) {
  if (!IsArticleKey(config.key)) {
    log.error("state get: '{}' is not a key like 119_0003042504 (OID_AID, ASCII digits)",
              config.key);
    return kExitUsage;
  }
  Result<std::unique_ptr<StateDb>> state = OpenReadOnly(config.state_dir);
  if (!state.ok()) return ReportFailure(log, state.status());
  Result<std::optional<std::string>> value = (*state)->Get(DedupStateKey(config.key));
  if (!value.ok()) return ReportFailure(log, value.status());
  if (!value->has_value()) {
    log.error("state get: {} is not in the state {}", config.key, config.state_dir);
    return kExitFailure;
  }
  Result<DedupEntry> entry = DedupEntry::Decode(**value);
  if (!entry.ok()) {
    return ReportFailure(log, Status::Corruption("state get: " + config.key + ": " +
                                        entry.status().message()));
  }
  std::string json;
  AppendDedupEntryJson(config.key, *entry, &json);
  Status written = WriteStdout(json);
  return written.ok() ? kExitOk : ReportFailure(log, written);
}

int Export(const StateToolConfig& config, spdlog::logger& log) {
  Result<std::unique_ptr<StateDb>> state = OpenReadOnly(config.state_dir);
  if (!state.ok()) return ReportFailure(log, state.status());
  ChunkFile out = ChunkFile::ForDescriptor(STDOUT_FILENO, "stdout");
  Status write_status;
  uint64_t exported = 0;
  uint64_t bad = 0;
  Status scanned = (*state)->Scan(
      kDedupKeyPrefix, [&](std::string_view key, std::string_view value) {
        std::string_view id = key.substr(kDedupKeyPrefix.size());
        Result<DedupEntry> entry = DedupEntry::Decode(value);
        if (!entry.ok()) {
          // The rest of the index is still worth having.
          ++bad;
          log.error("state export: {}: {}", id, entry.status().message());
          return true;
        }
        AppendDedupEntryJson(id, *entry, out.buffer());
        ++exported;
        write_status = out.MaybeFlush();
        return write_status.ok();
      });
  if (!scanned.ok()) return ReportFailure(log, scanned);
  if (write_status.ok()) write_status = out.Seal();
  if (!write_status.ok()) return ReportFailure(log, write_status);
  log.info("state exported keys={} bad_entries={}", exported, bad);
  return bad == 0 ? kExitOk : kExitFailure;
}

// The latest run id among the files read and the run summaries beside
// them (OUT/runs next to OUT/articles), as milliseconds.
std::optional<int64_t> LatestRunMillis(const std::vector<NdjsonInput>& files,
                                       const std::vector<std::string>& from) {
  std::optional<int64_t> latest;
  auto consider = [&](const std::string& path) {
    std::optional<int64_t> millis = RunIdMillis(RunIdOfFileName(path));
    if (millis && (!latest || *millis > *latest)) latest = millis;
  };
  for (const NdjsonInput& file : files) consider(file.path);
  for (const std::string& input : from) {
    fs::path directory(input);
    if (!directory.has_filename()) directory = directory.parent_path();
    std::error_code error;
    fs::path runs = directory.parent_path() / "runs";
    if (!fs::is_directory(runs, error)) continue;
    for (fs::directory_iterator it(runs, error), end; !error && it != end;
         it.increment(error)) {
      consider(it->path().string());
    }
  }
  return latest;
}

int Rebuild(const StateToolConfig& config, spdlog::logger& log) {
  std::vector<std::string> from = config.from;
  std::sort(from.begin(), from.end());
  std::vector<NdjsonInput> files;
  for (const std::string& input : from) {
    struct stat info;
    if (stat(input.c_str(), &info) != 0) {
      log.error("state rebuild: cannot read {}: {}", input, std::strerror(errno));
      return kExitFailure;
    }
    if (S_ISDIR(info.st_mode)) {
      ListNdjsonFiles(input, /*report_unlistable=*/true, &files);
    } else {
      NdjsonInput file;
      file.source = file.path = input;
      files.push_back(std::move(file));
    }
  }
  // Whatever the folder, what a state is rebuilt from are article records.
  for (NdjsonInput& file : files) file.kind = RecordKind::kArticle;

  // The whole output is audited first: a state rebuilt from damaged records
  // would mark the wrong hashes emitted.
  NdjsonAuditOptions options;
  options.threads = ThreadsOrUsableCpus(config.threads);
  options.keep_sources = true;
  Result<NdjsonAudit> audited = AuditNdjsonFiles(files, options);
  if (!audited.ok()) return ReportFailure(log, audited.status());
  if (!audited->problems.empty()) {
    ProblemWriter writer = ProblemWriter::ToStdout();
    for (const Problem& problem : audited->problems) {
      Status added = writer.Add(problem);
      if (!added.ok()) return ReportFailure(log, added);
    }
    Status finished = writer.Finish();
    if (!finished.ok()) return ReportFailure(log, finished);
    log.error("state rebuild: the output has {} problem(s) (records on stdout); a state "
              "rebuilt from it would be wrong: fix or remove those records (crawl-ingest "
              "audit shows them too), then rebuild again; nothing was written",
              audited->problems.size());
    return kExitFailure;
  }
  Result<RebuiltEntries> rebuilt = RebuildDedupEntries(audited->records, files);
  if (!rebuilt.ok()) return ReportFailure(log, rebuilt.status());
  std::optional<int64_t> latest_run = LatestRunMillis(files, from);

  Result<std::unique_ptr<StateDb>> opened = StateDb::Open(config.state_dir, {});
  if (!opened.ok()) return ReportFailure(log, opened.status());
  StateDb& state = **opened;
  bool has_entries = false;
  Status scanned = state.Scan(kDedupKeyPrefix, [&](std::string_view, std::string_view) {
    has_entries = true;
    return false;
  });
  if (!scanned.ok()) return ReportFailure(log, scanned);
  if (has_entries) {
    log.error("state rebuild: {} already holds a dedup index; rebuild into a new (or "
              "empty) state directory so nothing is mixed",
              config.state_dir);
    return kExitFailure;
  }
  Result<std::optional<std::string>> last = state.Get(kLastRunMillisKey);
  if (!last.ok()) return ReportFailure(log, last.status());
  int64_t last_millis = last->has_value() ? std::strtoll((*last)->c_str(), nullptr, 10) : 0;
  // A run id later than every chunk keeps chunk names sorting in emit
  // order (commit protocol I6). "m/" sorts after "a/", so it comes last.
  bool put_last_run = latest_run && *latest_run > last_millis;

  // One ingestion of sorted table files: the whole index appears at once
  // or not at all, and millions of keys cost no write path.
  const auto& entries = rebuilt->entries;
  size_t next = 0;
  bool last_run_written = false;
  Status loaded = state.BulkLoad([&](std::string* key, std::string* value) -> Result<bool> {
    if (next < entries.size()) {
      *key = DedupStateKey(entries[next].first);
      *value = entries[next].second.Encode();
      ++next;
      return true;
    }
    if (put_last_run && !last_run_written) {
      *key = std::string(kLastRunMillisKey);
      *value = std::to_string(*latest_run);
      last_run_written = true;
      return true;
    }
    return false;
  });
  if (!loaded.ok()) return ReportFailure(log, loaded);
  std::string described = fmt::format("{}", fmt::join(from, ","));
  log.info("state rebuilt state={} from={} files={} records={} keys={} versions={} "
           "placeholders={} last_run_id={}",
           config.state_dir, described, audited->files, audited->records.size(),
           entries.size(), rebuilt->versions, rebuilt->placeholders,
           latest_run ? RunIdFromMillis(*latest_run) : "none");
  log.warn("state rebuild: the file index cannot be rebuilt from articles (they do not "
           "say which input files were read, nor their sizes and times): the next run "
           "reads every input file again; what was emitted before comes out as "
           "duplicates, not as articles");
  return kExitOk;
}

}  // namespace

int StateCommand(const StateToolConfig& config, spdlog::logger& log) {
  if (config.tool == "stats") return Stats(config, log);
  if (config.tool == "get") return Get(config, log);
  if (config.tool == "export") return Export(config, log);
  if (config.tool == "rebuild") return Rebuild(config, log);
  log.error("state: name a tool: stats, get, export or rebuild");
  return kExitUsage;
}

CLI::App* AddStateCommand(CLI::App& app, StateToolConfig* config) {
  CLI::App* state = app.add_subcommand(
      "state", "Inspect, export or rebuild a state directory (stats, get, export, rebuild)");
  state->require_subcommand(1);
  auto add_tool = [&](const char* name, const char* description) {
    CLI::App* tool = state->add_subcommand(name, description);
    tool->add_option("--state", config->state_dir, "state directory")
        ->capture_default_str();
    tool->callback([config, name] { config->tool = name; });
    return tool;
  };
  add_tool("stats",
           "Print the state's figures as JSON: keys, versions, revisions, runs, files "
           "indexed, size on disk (read-only)");
  CLI::App* get = add_tool("get", "Print the dedup entry of one key as JSON (read-only)");
  get->add_option("OID_AID", config->key, "the article key, e.g. 119_0003042504")
      ->required();
  add_tool("export", "Print the whole dedup index as NDJSON, one key a line (read-only)");
  CLI::App* rebuild = add_tool(
      "rebuild",
      "Recreate a lost state's dedup index from emitted articles, so that a following "
      "run emits nothing already emitted (the file index cannot be rebuilt)");
  rebuild->add_option("--from", config->from,
                      "OUT/articles: the directory (or *.ndjson files) of emitted articles")
      ->required();
  rebuild->add_option("--threads", config->threads, "worker threads (default: the CPUs this process may use)")
      ->check(CLI::Range(1, 1024));
  return state;
}

}  // namespace ingest
