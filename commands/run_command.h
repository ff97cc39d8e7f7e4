// `crawl-ingest run`: the composition root of a run. Opens and locks the
// state and the output, finishes what a killed run left (recovery), wires
// read → parse → verify → dedup → emit into the Runner, and writes the run
// summary. Returns the process exit code (commands/exit_codes.h); every
// fatal error is logged with what and where. One run per process.
#ifndef INGEST_COMMANDS_RUN_COMMAND_H_
#define INGEST_COMMANDS_RUN_COMMAND_H_

#include <spdlog/logger.h>

#include <cstdint>
#include <string>
#include <vector>

#include "stages/emit/compression.h"
#include "stages/emit/dolma_writer.h"

namespace ingest {

// Whether the live progress line is drawn on stderr (commands/progress.h).
enum class ProgressMode : uint8_t { kAuto, kOn, kOff };

struct RunConfig {
  std::vector<std::string> inputs;
  std::string state_dir = "./state";
  std::string out_dir = "./out";  // "-": articles to stdout, no files
  int threads = 0;                // 0: every CPU this process may use (pipeline/cpu_count.h)
  bool emit_revisions = false;
  int default_offset_minutes = 9 * 60;
  uint64_t max_file_size = 64ull << 20;
  uint64_t chunk_records = 100000;
  // A chunk is one commit: its state entries are one RocksDB write, so its
  // size also bounds the memtables (and the run's peak RSS).
  uint64_t chunk_bytes = 64ull << 20;
  bool rescan = false;       // read every file, whatever the index says
  bool trust_names = false;  // skip indexed paths without a stat
  // An INPUT of "-" stands for the paths listed on stdin, one per line or,
  // with null_separated, NUL-separated.
  bool null_separated = false;
  std::vector<std::string> include;  // globs (stages/read/path_filter.h)
  std::vector<std::string> exclude;
  Compression compression = Compression::kNone;  // of article chunks
  int compression_level = 0;                      // 0: the format's default
  RecordSchema schema = RecordSchema::kNative;
  std::string dolma_source = "naver-news";  // Dolma's `source` field
  ProgressMode progress = ProgressMode::kAuto;
  std::string metrics_file;  // Prometheus textfile; empty: none
  // Logging, applied by the CLI before the run starts.
  std::string log_level = "info";
  std::string log_file;
  bool quiet = false;
};

int RunCommand(const RunConfig& config, spdlog::logger& log);

}  // namespace ingest

#endif  // INGEST_COMMANDS_RUN_COMMAND_H_
