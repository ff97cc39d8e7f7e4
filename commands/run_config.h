// The options of `crawl-ingest run` from their three sources, merged with a
// fixed precedence: built-in defaults < the YAML config file (--config) <
// the command line (doc/config.md). The `config` subcommand takes the same
// options and prints the merged result as YAML, which --config reads back.
//
// Config file errors (unknown key, wrong type, bad value, duplicate key, YAML
// syntax) are InvalidArgument statuses whose message names the file, line
// and key; the CLI exits 2 on them. Functions here are not thread-safe
// (CLI parsing happens once, on the main thread); ReadPathList may block on
// its descriptor.
#ifndef INGEST_COMMANDS_RUN_CONFIG_H_
#define INGEST_COMMANDS_RUN_CONFIG_H_

#include <string>
#include <string_view>
#include <vector>

#include "commands/run_command.h"
#include "pipeline/status.h"

namespace CLI {
class App;
}  // namespace CLI

namespace ingest {

// What CLI11 fills for `run` or `config`: values bound to the options
// (defaults where an option is absent) plus the strings converted later.
struct RunCommandLine {
  RunConfig values;
  std::string config_file;
  std::string revisions = "skip";
  std::string tz = "+09:00";
  std::string compress = "none";
  std::string schema = "native";
  bool progress = false;
  bool no_progress = false;
  CLI::App* command = nullptr;  // set by AddRunCommand / AddConfigCommand
};

// Registers `run` (INPUT... and every run option) on `app`. `*line` must
// outlive `app`.
CLI::App* AddRunCommand(CLI::App& app, RunCommandLine* line);
// Registers `config`, with the same options, INPUTs optional.
CLI::App* AddConfigCommand(CLI::App& app, RunCommandLine* line);

// Merges defaults, the config file named by --config and the options given
// on the command line of `line.command` (and the global --log-level,
// --log-file and --quiet of `app`). `require_inputs`: INPUT must come from
// one of them (run).
Result<RunConfig> ResolveRunConfig(const RunCommandLine& line, const CLI::App& app,
                                   bool require_inputs);

// Sets in *config every key that `yaml` (the text of the file
// `file_name`) holds; `given` (optional) receives the keys found.
Status ApplyRunConfigYaml(std::string_view yaml, const std::string& file_name,
                          RunConfig* config, std::vector<std::string>* given = nullptr);
// Reads `path` and applies it as above.
Status LoadRunConfigFile(const std::string& path, RunConfig* config,
                         std::vector<std::string>* given = nullptr);

// Every key with its value, in a fixed order, as a YAML document that
// LoadRunConfigFile reads back to the same configuration.
std::string RunConfigToYaml(const RunConfig& config);

// The names of the config file's keys, in the order RunConfigToYaml writes.
std::vector<std::string> RunConfigKeys();

// INPUT paths read from `fd` (the `-` input): one per line, or separated by
// NUL bytes when `null_separated` (find -print0). Empty entries are
// dropped; a trailing '\r' is kept (it could be part of a name).
Result<std::vector<std::string>> ReadPathList(int fd, bool null_separated);

}  // namespace ingest

#endif  // INGEST_COMMANDS_RUN_CONFIG_H_
