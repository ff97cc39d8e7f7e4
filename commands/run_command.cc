#include "commands/run_command.h"

#include <sys/stat.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <thread>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>

#include "commands/exit_codes.h"
#include "commands/metrics.h"
#include "commands/progress.h"
#include "commands/run_config.h"
#include "pipeline/cpu_count.h"
#include "pipeline/run_state.h"
#include "pipeline/runner.h"
#include "pipeline/test_hooks.h"
#include "stages/dedup/dedup_stage.h"
#include "stages/dedup/state_db.h"
#include "stages/emit/chunk_file.h"
#include "stages/emit/emit_stage.h"
#include "stages/emit/output_recovery.h"
#include "stages/emit/render_stage.h"
#include "stages/parse/parse_stage.h"
#include "stages/read/file_index.h"
#include "stages/read/file_walker.h"
#include "stages/read/read_stage.h"
#include "stages/verify/verify_stage.h"

namespace ingest {

namespace {

// Set by the signal handler; the run polls it through RunState.
std::atomic<RunState*> g_run_state{nullptr};
std::atomic<int> g_signal{0};

extern "C" void OnStopSignal(int signal_number) {
  g_signal.store(signal_number);
  if (RunState* state = g_run_state.load()) state->RequestStop();
}

std::string FormatUtc(std::chrono::system_clock::time_point time,
                      bool compact) {
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(
                    time.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return compact ? fmt::format("{:%Y%m%dT%H%M%S}.{:03d}Z", utc, millis % 1000)
                 : fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z", utc, millis % 1000);
}

// A run id that sorts after every earlier run of this state, even when the
// clock stepped back: the output's file names sort in emit order.
Result<std::string> NewRunId(StateDb* state) {
  auto now = std::chrono::system_clock::now();
  int64_t millis = std::chrono::duration_cast<std::chrono::milliseconds>(
                       now.time_since_epoch()).count();
  INGEST_ASSIGN_OR_RETURN(std::optional<std::string> last, state->Get(kLastRunMillisKey));
  if (last) {
    int64_t last_millis = std::strtoll(last->c_str(), nullptr, 10);
    if (millis <= last_millis) millis = last_millis + 1;
  }
  auto transaction = state->NewTransaction();
  transaction->Put(kLastRunMillisKey, std::to_string(millis));
  INGEST_RETURN_IF_ERROR(state->Commit(*transaction));
  return FormatUtc(std::chrono::system_clock::time_point(
                       std::chrono::milliseconds(millis)),
                   /*compact=*/true);
}

// The walker as the runner's source, noting when the input is exhausted so
// the progress line knows the total.
class ObservedSource : public ArticleSource {
 public:
  explicit ObservedSource(FileWalker* walker) : walker_(walker) {}
  Result<bool> Next(Article* article) override {
    Result<bool> next = walker_->Next(article);
    if (next.ok() && !*next) done_.store(true, std::memory_order_relaxed);
    return next;
  }
  bool done() const { return done_.load(std::memory_order_relaxed); }

 private:
  FileWalker* walker_;
  std::atomic<bool> done_{false};
};

// Counts the article files of the input in the background, for the
// progress line's total and ETA. Archives are not opened (their members
// are known only by decompressing them): with an archive in the input the
// total is known only once the run's own walk is over.
class Census {
 public:
  Census(const std::vector<std::string>& inputs, const WalkOptions& options) {
    thread_ = std::thread([this, inputs, options] {
      pthread_setname_np(pthread_self(), "ingest-census");
      WalkOptions counting = options;
      counting.completed_archives = nullptr;
      counting.open_archives = false;
      FileWalker walker(inputs, nullptr, false, counting);
      uint64_t files = 0;
      Article article;
      while (!stop_.load(std::memory_order_relaxed)) {
        Result<bool> next = walker.Next(&article);
        if (!next.ok()) return;
        if (!*next) {
          if (walker.archives_passed() == 0) total_.store(static_cast<int64_t>(files));
          return;
        }
        ++files;
        article = Article();
      }
    });
  }
  ~Census() {
    stop_.store(true);
    thread_.join();
  }
  std::optional<uint64_t> total() const {
    int64_t total = total_.load();
    if (total < 0) return std::nullopt;
    return static_cast<uint64_t>(total);
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> total_{-1};
  std::thread thread_;
};

// INPUT as given, with "-" replaced by the paths read from stdin; sorted and
// without repeats (the walker processes them in byte order anyway).
Result<std::vector<std::string>> ExpandInputs(const RunConfig& config) {
  std::vector<std::string> inputs;
  for (const std::string& input : config.inputs) {
    if (input != "-") {
      inputs.push_back(input);
      continue;
    }
    INGEST_ASSIGN_OR_RETURN(std::vector<std::string> listed,
                            ReadPathList(STDIN_FILENO, config.null_separated));
    inputs.insert(inputs.end(), listed.begin(), listed.end());
  }
  std::sort(inputs.begin(), inputs.end());
  inputs.erase(std::unique(inputs.begin(), inputs.end()), inputs.end());
  return inputs;
}

int RunOnce(const RunConfig& config, spdlog::logger& log, RunSummary& summary) {
  auto started = std::chrono::system_clock::now();
  auto started_steady = std::chrono::steady_clock::now();
  Result<std::vector<std::string>> expanded = ExpandInputs(config);
  if (!expanded.ok()) {
    log.error("{}", expanded.status().message());
    return kExitFailure;
  }
  const std::vector<std::string>& inputs = *expanded;
  // Inputs named on the command line must exist (a typo is fatal); paths
  // read from stdin are not checked here: one that vanished since it was
  // listed is quarantined as unreadable, like a broken symlink in a walk.
  for (const std::string& input : config.inputs) {
    if (input == "-") continue;
    struct stat info;
    if (stat(input.c_str(), &info) != 0) {
      log.error("run: cannot read input: {}: {}", input, std::strerror(errno));
      return kExitFailure;
    }
  }

  Result<std::unique_ptr<StateDb>> opened = StateDb::Open(config.state_dir, {});
  if (!opened.ok()) return ReportFailure(log, opened.status());
  std::unique_ptr<StateDb> state = std::move(opened).value();

  bool to_stdout = config.out_dir == "-";
  std::string out_dir;
  std::unique_ptr<DirectoryLock> out_lock;
  if (!to_stdout) {
    out_dir = std::filesystem::absolute(config.out_dir).lexically_normal().string();
    if (out_dir.size() > 1 && out_dir.back() == '/') out_dir.pop_back();
    Status created = CreateOutputDirectories(out_dir);
    if (!created.ok()) {
      log.error("{}", created.message());
      return kExitFailure;
    }
    Result<std::unique_ptr<DirectoryLock>> locked =
        DirectoryLock::Acquire(out_dir + "/.lock");
    if (!locked.ok()) return ReportFailure(log, locked.status());
    out_lock = std::move(locked).value();
    Result<RecoveryReport> recovered = RecoverOutput(out_dir, state.get(), &log);
    if (!recovered.ok()) {
      log.error("{}", recovered.status().message());
      return kExitFailure;
    }
  }

  TestHook("run.locked");
  Result<std::string> run_id = NewRunId(state.get());
  if (!run_id.ok()) {
    log.error("{}", run_id.status().message());
    return kExitFailure;
  }
  int workers = ThreadsOrUsableCpus(config.threads);

  summary.run_id = *run_id;
  summary.started_at = FormatUtc(started, /*compact=*/false);
  summary.inputs = config.inputs;
  summary.schema = std::string(RecordSchemaName(config.schema));
  summary.compression = std::string(CompressionName(config.compression));
  log.info("run started run_id={} inputs={} state={} out={} threads={} "
           "revisions={} max_file_size={} index={} compress={} schema={}",
           summary.run_id, fmt::join(config.inputs, ","), config.state_dir,
           to_stdout ? "-" : out_dir, workers,
           config.emit_revisions ? "emit" : "skip", config.max_file_size,
           config.rescan ? "rescan" : config.trust_names ? "trust-names" : "stat",
           CompressionName(config.compression), RecordSchemaName(config.schema));

  ReadStage read(ReadOptions{config.max_file_size});
  ParseStage parse(ParseOptions{config.default_offset_minutes});
  VerifyStage verify;
  RenderStage render(RenderOptions{config.schema, config.dolma_source});
  DedupStage dedup(state.get(), DedupOptions{config.emit_revisions, summary.run_id});
  EmitOptions emit_options;
  emit_options.out_dir = out_dir;
  emit_options.to_stdout = to_stdout;
  emit_options.run_id = summary.run_id;
  emit_options.chunk_records = config.chunk_records;
  emit_options.chunk_bytes = config.chunk_bytes;
  emit_options.compression = config.compression;
  emit_options.compression_level = config.compression_level;
  emit_options.schema = config.schema;
  LiveCounters live;
  emit_options.live = &live;
  EmitStage emit(emit_options, &summary, &log);
  CompletedArchives completed_archives;
  FileIndexStage index(&completed_archives);

  RunState run_state;
  RunnerOptions runner_options;
  runner_options.workers = workers;
  // Chunks can only close between batches (dedup decides a whole batch
  // before emit sees it), so a small chunk size needs small batches.
  runner_options.batch_size = static_cast<size_t>(
      std::min<uint64_t>(runner_options.batch_size, config.chunk_records));
  Runner runner({&read, &parse, &verify, &render, &dedup, &emit, &index},
                state.get(), runner_options, &run_state, &log);
  std::unique_ptr<FileIndexCursor> index_cursor;
  if (!config.rescan) index_cursor = std::make_unique<FileIndexCursor>(state.get());
  WalkOptions walk_options;
  walk_options.filter = PathFilter(config.include, config.exclude);
  walk_options.max_file_size = config.max_file_size;
  walk_options.completed_archives = &completed_archives;
  FileWalker walker(inputs, index_cursor.get(), config.trust_names, walk_options);
  ObservedSource source(&walker);

  // The live progress line, on a terminal (or when asked for).
  std::unique_ptr<Census> census;
  std::unique_ptr<ProgressLine> progress;
  std::vector<spdlog::sink_ptr> original_sinks = log.sinks();
  if (ShouldShowProgress(config.progress, STDERR_FILENO)) {
    census = std::make_unique<Census>(inputs, walk_options);
    progress = std::make_unique<ProgressLine>(STDERR_FILENO, [&]() {
      ProgressSample sample;
      sample.files = live.files.load(std::memory_order_relaxed) + walker.unchanged();
      sample.bytes = live.bytes_read.load(std::memory_order_relaxed);
      sample.total_files = census->total();
      if (!sample.total_files && source.done()) {
        sample.total_files = walker.produced() + walker.unchanged();
      }
      sample.elapsed_seconds = std::chrono::duration<double>(
                                   std::chrono::steady_clock::now() - started_steady)
                                   .count();
      return sample;
    });
    for (spdlog::sink_ptr& sink : log.sinks()) {
      if (std::dynamic_pointer_cast<spdlog::sinks::stderr_sink_mt>(sink)) {
        sink = std::make_shared<ProgressAwareSink>(sink, progress.get());
      }
    }
    progress->Start();
  }

  g_run_state.store(&run_state);
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  struct sigaction old_int {}, old_term {};
  sigaction(SIGINT, &action, &old_int);
  sigaction(SIGTERM, &action, &old_term);
  Status status = runner.Run(source);
  if (progress) {
    progress->Stop();
    log.sinks() = original_sinks;
    census.reset();
  }
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  g_run_state.store(nullptr);

  if (status.ok() || status.code() == StatusCode::kCancelled) {
    Status flushed = state->FlushMemtables();
    if (!flushed.ok()) log.warn("state flush failed: {}", flushed.message());
  }
  summary.skipped = walker.skipped();
  summary.excluded = walker.excluded();
  summary.unchanged += walker.unchanged();
  summary.finished_at = FormatUtc(std::chrono::system_clock::now(), false);
  summary.seconds = std::chrono::duration<double>(
                        std::chrono::steady_clock::now() - started_steady).count();
  summary.status = status.ok() ? "ok"
                   : status.code() == StatusCode::kCancelled ? "stopped"
                                                             : "failed";
  if (!to_stdout && status.code() != StatusCode::kInternal) {
    Status written = WriteFileAtomically(
        out_dir + "/runs/" + summary.run_id + ".json", summary.ToJson());
    if (!written.ok()) {
      log.error("{}", written.message());
      if (status.ok()) status = written;
    }
  }
  log.info("{}", summary.ToLogLine());
  if (status.ok()) return kExitOk;
  if (status.code() == StatusCode::kCancelled) {
    return g_signal.load() == SIGTERM ? kExitTerminated : kExitInterrupted;
  }
  log.error("{}", status.message());
  return kExitFailure;
}

}  // namespace

int RunCommand(const RunConfig& config, spdlog::logger& log) {
  auto started = std::chrono::steady_clock::now();
  RunSummary summary;
  int exit_code = RunOnce(config, log, summary);
  // A run that found the state busy did nothing: the holder writes the
  // metrics when it ends.
  if (config.metrics_file.empty() || exit_code == kExitStateBusy) return exit_code;
  summary.status = exit_code == kExitOk ? "ok"
                   : exit_code == kExitInterrupted || exit_code == kExitTerminated
                       ? "stopped"
                       : "failed";
  if (summary.seconds == 0) {
    summary.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  }
  double now = std::chrono::duration<double>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  Status written = WriteRunMetrics(config.metrics_file, summary, now);
  if (!written.ok()) {
    log.error("{}", written.message());
    if (exit_code == kExitOk) exit_code = kExitFailure;
  }
  return exit_code;
}

}  // namespace ingest
