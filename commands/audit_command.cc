#include "commands/audit_command.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "pipeline/cpu_count.h"
#include "pipeline/run_state.h"
#include "pipeline/runner.h"
#include "stages/audit/ndjson_audit.h"
#include "stages/audit/problem_writer.h"
#include "stages/audit/report_stage.h"
#include "stages/audit/state_check.h"
#include "stages/dedup/state_db.h"
#include "stages/emit/emit_stage.h"
#include "stages/parse/parse_stage.h"
#include "stages/read/file_walker.h"
#include "stages/read/read_stage.h"
#include "stages/verify/verify_stage.h"

namespace ingest {

namespace {

namespace fs = std::filesystem;

// The inputs split by what checks them, each list in walk order.
struct AuditInputs {
  std::vector<std::string> article_inputs;  // for the FileWalker
  std::vector<NdjsonInput> ndjson;
  uint64_t ndjson_in_directories = 0;  // the walker counts these as skipped
};

AuditInputs SortInputs(std::vector<std::string> inputs) {
  struct Keyed {
    std::string sort_key;  // a directory sorts as "name/", as FileWalker does
    std::string path;
    bool is_directory;
  };
  std::vector<Keyed> keyed;
  for (std::string& input : inputs) {
    struct stat info;
    bool is_directory = stat(input.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
    std::string sort_key = input;
    if (is_directory && (sort_key.empty() || sort_key.back() != '/')) sort_key += '/';
    keyed.push_back(Keyed{std::move(sort_key), std::move(input), is_directory});
  }
  std::sort(keyed.begin(), keyed.end(),
            [](const Keyed& a, const Keyed& b) { return a.sort_key < b.sort_key; });
  AuditInputs sorted;
  for (Keyed& input : keyed) {
    if (input.is_directory) {
      // Both walks: *.txt through the FileWalker, *.ndjson / *.jsonl here.
      size_t before = sorted.ndjson.size();
      ListNdjsonFiles(input.path, /*report_unlistable=*/false, &sorted.ndjson);
      sorted.ndjson_in_directories += sorted.ndjson.size() - before;
      sorted.article_inputs.push_back(std::move(input.path));
    } else if (IsNdjsonFileName(input.path)) {
      NdjsonInput file;
      file.source = file.path = input.path;
      file.kind = RecordKindOfPath(input.path);
      sorted.ndjson.push_back(std::move(file));
    } else {
      sorted.article_inputs.push_back(std::move(input.path));  // read whatever its name
    }
  }
  return sorted;
}

// The process holding the state's lock (a run in progress), if any. Probes
// with F_GETLK on a read-only descriptor: takes no lock, writes nothing.
std::optional<pid_t> StateLockHolder(const std::string& state_dir) {
  int fd = open((state_dir + "/LOCK.crawl-ingest").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct flock probe {};
  probe.l_type = F_WRLCK;
  probe.l_whence = SEEK_SET;
  std::optional<pid_t> holder;
  if (fcntl(fd, F_GETLK, &probe) == 0 && probe.l_type != F_UNLCK) holder = probe.l_pid;
  close(fd);
  return holder;
}

// Runs read → parse → verify → report over the article inputs on the same
// Runner as `run`, with nothing to commit.
Status AuditArticleFiles(const std::vector<std::string>& inputs, const AuditConfig& config,
                         int workers, ProblemWriter* writer, ArticleTally* tally,
                         uint64_t* skipped, spdlog::logger& log) {
  ReadStage read(ReadOptions{config.max_file_size});
  ParseStage parse(ParseOptions{});
  VerifyStage verify;
  ReportStage report(writer, tally);
  NoDurableState no_state;
  RunState run_state;
  RunnerOptions options;
  options.workers = workers;
  Runner runner({&read, &parse, &verify, &report}, &no_state, options, &run_state, &log);
  // Archives are opened and members too large are too_large unread, as in
  // a run; no file index: every file is read.
  WalkOptions walk_options;
  walk_options.filter = PathFilter(config.include, config.exclude);
  walk_options.max_file_size = config.max_file_size;
  FileWalker walker(inputs, nullptr, /*trust_names=*/false, walk_options);
  Status status = runner.Run(walker);
  *skipped = walker.skipped();
  return status;
}

// Chunks of OUT/articles committed to the state but not yet renamed into
// place (a run killed between commit and publish, or one in progress):
// their keys are marked emitted, and the next run's recovery publishes
// them, so their temp files are part of the output.
Status AddCommittedChunks(StateDb* state, const std::string& articles_dir,
                          std::vector<NdjsonInput>* files, spdlog::logger& log) {
  std::vector<std::pair<std::string, std::string>> manifest;
  INGEST_RETURN_IF_ERROR(state->Scan(
      kChunkManifestPrefix, [&](std::string_view key, std::string_view value) {
        manifest.emplace_back(std::string(key.substr(kChunkManifestPrefix.size())),
                              std::string(value));
        return true;
      }));
  std::sort(manifest.begin(), manifest.end());
  for (const auto& [final_path, temp_path] : manifest) {
    std::error_code error;
    if (!fs::equivalent(fs::path(final_path).parent_path(), articles_dir, error) ||
        error || fs::exists(final_path, error) || !fs::exists(temp_path, error)) {
      continue;
    }
    log.info("audit: committed chunk not yet published, audited from its temp file "
             "path={} temp={}",
             final_path, temp_path);
    NdjsonInput input;
    input.source = input.path = temp_path;
    input.kind = RecordKind::kArticle;
    files->push_back(std::move(input));
  }
  return Status::OK();
}

// OUT/articles, as the cross-check reads it.
std::string ArticlesDir(const std::string& out_dir) {
  std::string articles_dir = out_dir;
  if (articles_dir.empty() || articles_dir.back() != '/') articles_dir += '/';
  return articles_dir + "articles";
}

// Drops the NDJSON INPUT files that are in OUT/articles: the cross-check
// audits those and attributes what it finds there (text_edited instead of
// hash_mismatch), so auditing them as INPUT too would report each fault
// twice, under two codes.
void LeaveArticlesToTheCrossCheck(const std::string& out_dir,
                                  std::vector<NdjsonInput>* ndjson) {
  std::vector<NdjsonInput> articles;
  ListNdjsonFiles(ArticlesDir(out_dir), /*report_unlistable=*/false, &articles);
  auto canonical = [](const std::string& path) {
    std::error_code error;
    fs::path resolved = fs::weakly_canonical(path, error);
    return error ? path : resolved.string();
  };
  std::set<std::string> cross_checked;
  for (const NdjsonInput& file : articles) cross_checked.insert(canonical(file.path));
  std::erase_if(*ndjson, [&](const NdjsonInput& file) {
    return cross_checked.count(canonical(file.path)) > 0;
  });
}

struct CrossCheckResult {
  NdjsonAudit audit;
  std::vector<Problem> problems;
  StateCheckTally tally;
};

// --state and --out: audits OUT/articles and checks it against the state.
// A non-OK status means the audit could not be carried out.
Status CrossCheck(const AuditConfig& config, int workers, CrossCheckResult* result,
                  spdlog::logger& log) {
  std::string articles_dir = ArticlesDir(config.out_dir);
  struct stat info;
  if (stat(articles_dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    return Status::InvalidArgument("audit: --out: " + articles_dir +
                                   " is not a directory");
  }
  struct stat state_info;
  if (stat(config.state_dir.c_str(), &state_info) != 0 || !S_ISDIR(state_info.st_mode)) {
    return Status::InvalidArgument("audit: --state: " + config.state_dir +
                                   " is not a directory");
  }
  if (std::optional<pid_t> holder = StateLockHolder(config.state_dir)) {
    log.warn("audit: the state is held by process {} (a run in progress?): chunks it "
             "commits during the audit may be reported as missing_record or "
             "unknown_record",
             *holder);
  }
  StateDb::Options read_only;
  read_only.read_only = true;
  Result<std::unique_ptr<StateDb>> opened = StateDb::Open(config.state_dir, read_only);
  if (!opened.ok()) return opened.status();
  std::unique_ptr<StateDb> state = std::move(opened).value();

  std::vector<NdjsonInput> files;
  ListNdjsonFiles(articles_dir, /*report_unlistable=*/true, &files);
  INGEST_RETURN_IF_ERROR(AddCommittedChunks(state.get(), articles_dir, &files, log));
  for (NdjsonInput& file : files) file.kind = RecordKind::kArticle;

  NdjsonAuditOptions options;
  options.threads = workers;
  INGEST_ASSIGN_OR_RETURN(result->audit, AuditNdjsonFiles(files, options));
  return CrossCheckState(state.get(), &result->audit, files, articles_dir,
                         &result->problems, &result->tally);
}

}  // namespace

int AuditCommand(const AuditConfig& config, spdlog::logger& log) {
  auto started = std::chrono::steady_clock::now();
  bool cross_check = !config.state_dir.empty() || !config.out_dir.empty();
  if (config.inputs.empty() && !cross_check) {
    log.error("audit: give INPUT files or directories, or --state and --out; "
              "run with --help for more information");
    return kAuditCannotRun;
  }
  for (const std::string& input : config.inputs) {
    struct stat info;
    if (stat(input.c_str(), &info) != 0) {
      log.error("audit: cannot read input: {}: {}", input, std::strerror(errno));
      return kAuditCannotRun;
    }
  }
  int workers = ThreadsOrUsableCpus(config.threads);
  ProblemWriter writer = config.report_path.empty()
                             ? ProblemWriter::ToStdout()
                             : ProblemWriter::ToFile(config.report_path);
  auto fail = [&](const Status& status) {
    log.error("{}", status.message());
    return kAuditCannotRun;
  };

  AuditInputs inputs = SortInputs(config.inputs);
  ArticleTally articles;
  uint64_t walker_skipped = 0;
  if (!inputs.article_inputs.empty()) {
    Status status = AuditArticleFiles(inputs.article_inputs, config, workers, &writer,
                                      &articles, &walker_skipped, log);
    if (!status.ok()) return fail(status);
  }
  if (cross_check) LeaveArticlesToTheCrossCheck(config.out_dir, &inputs.ndjson);
  NdjsonAudit ndjson;
  if (!inputs.ndjson.empty()) {
    NdjsonAuditOptions options;
    options.threads = workers;
    Result<NdjsonAudit> audited = AuditNdjsonFiles(inputs.ndjson, options);
    if (!audited.ok()) return fail(audited.status());
    ndjson = std::move(audited).value();
    for (const Problem& problem : ndjson.problems) {
      Status added = writer.Add(problem);
      if (!added.ok()) return fail(added);
    }
  }
  CrossCheckResult checked;
  if (cross_check) {
    Status status = CrossCheck(config, workers, &checked, log);
    if (!status.ok()) return fail(status);
    for (const std::vector<Problem>* problems :
         {&checked.audit.problems, &checked.problems}) {
      for (const Problem& problem : *problems) {
        Status added = writer.Add(problem);
        if (!added.ok()) return fail(added);
      }
    }
  }
  Status finished = writer.Finish();
  if (!finished.ok()) return fail(finished);

  const ProblemCounts& counts = writer.counts();
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::string line = fmt::format(
      "audit {} problems={} article_files={} ndjson_files={} lines={} "
      "skipped={} bytes_read={} seconds={:.3f}",
      counts.total() == 0 ? "clean" : "found problems", counts.total(), articles.files,
      ndjson.files + checked.audit.files, ndjson.lines + checked.audit.lines,
      walker_skipped - std::min(walker_skipped, inputs.ndjson_in_directories),
      articles.bytes + ndjson.bytes + checked.audit.bytes, seconds);
  if (cross_check) {
    line += fmt::format(" state_keys={} state_emitted={} state_matched={}",
                        checked.tally.keys, checked.tally.emitted, checked.tally.matched);
  }
  log.info("{}{}", line, counts.ToLogFields());
  return counts.total() == 0 ? kAuditClean : kAuditProblemsFound;
}

CLI::App* AddAuditCommand(CLI::App& app, AuditConfig* config) {
  CLI::App* audit = app.add_subcommand(
      "audit",
      "Check article files and NDJSON output (and, with --state and --out, the "
      "output against the state) without changing anything; one problem record "
      "per problem on stdout; exit 0 clean, 1 problems, 2 usage or trouble");
  audit->add_option("INPUT", config->inputs,
                    "article files, NDJSON files (*.ndjson, *.jsonl), or directories "
                    "walked for both");
  CLI::Option* state = audit->add_option(
      "--state", config->state_dir,
      "state directory (opened read-only) to cross-check OUT/articles against");
  CLI::Option* out = audit->add_option(
      "--out", config->out_dir, "output directory whose articles/ --state is checked against");
  state->needs(out);
  out->needs(state);
  audit->add_option("--report", config->report_path,
                    "write the problem records to this file instead of stdout");
  audit->add_option("--threads", config->threads, "worker threads (default: the CPUs this process may use)")
      ->check(CLI::Range(1, 1024));
  audit->add_option("--max-file-size", config->max_file_size,
                    "as for run: larger article files are too_large (bytes)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  // One glob per occurrence, so a following INPUT is not taken for one.
  audit->add_option("--include", config->include,
                    "as for run: only article files matching this glob (repeatable)")
      ->allow_extra_args(false);
  audit->add_option("--exclude", config->exclude,
                    "as for run: not the article files, directories or archives "
                    "matching this glob (repeatable)")
      ->allow_extra_args(false);
  return audit;
}

}  // namespace ingest
