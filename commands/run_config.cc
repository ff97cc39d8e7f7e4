#include "commands/run_config.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "stages/parse/dates.h"

namespace ingest {

namespace {

// One key of the config file, tied to the command-line option that
// overrides it.
struct ConfigKey {
  const char* name;
  const char* option;  // as CLI11 names it: "--state", "INPUT"
  bool global;         // an option of the top-level app, not the subcommand
  // Sets the key from its YAML value; the message has no location yet.
  std::function<Status(const YAML::Node&, RunConfig*)> parse;
  std::function<void(YAML::Emitter&, const RunConfig&)> emit;
  std::function<void(const RunConfig& from, RunConfig* to)> copy;
};

std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null: return "nothing";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    default: return "'" + node.Scalar() + "'";
  }
}

Status Expected(std::string_view what, const YAML::Node& node) {
  return Status::InvalidArgument("expected " + std::string(what) + ", got " +
                                 Describe(node));
}

Result<std::string> StringOf(const YAML::Node& node) {
  if (!node.IsScalar()) return Expected("a string", node);
  return node.Scalar();
}

Result<uint64_t> NumberOf(const YAML::Node& node, uint64_t low, uint64_t high) {
  std::string what = "an integer from " + std::to_string(low) + " to " + std::to_string(high);
  if (!node.IsScalar()) return Expected(what, node);
  const std::string& text = node.Scalar();
  uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty() ||
      value < low || value > high) {
    return Expected(what, node);
  }
  return value;
}

Result<bool> BoolOf(const YAML::Node& node) {
  bool value = false;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
    return Expected("true or false", node);
  }
  return value;
}

Result<std::vector<std::string>> ListOf(const YAML::Node& node) {
  std::vector<std::string> values;
  if (node.IsScalar()) {
    values.push_back(node.Scalar());
    return values;
  }
  if (!node.IsSequence()) return Expected("a list of strings", node);
  for (const YAML::Node& item : node) {
    if (!item.IsScalar()) return Expected("a list of strings", node);
    values.push_back(item.Scalar());
  }
  return values;
}

template <typename Field>
std::function<void(const RunConfig&, RunConfig*)> Copy(Field RunConfig::*field) {
  return [field](const RunConfig& from, RunConfig* to) { to->*field = from.*field; };
}

ConfigKey StringKey(const char* name, const char* option, std::string RunConfig::*field,
                    bool global = false) {
  return ConfigKey{
      name, option, global,
      [field](const YAML::Node& node, RunConfig* config) -> Status {
        INGEST_ASSIGN_OR_RETURN(config->*field, StringOf(node));
        return Status::OK();
      },
      [field](YAML::Emitter& out, const RunConfig& config) { out << config.*field; },
      Copy(field)};
}

ConfigKey NumberKey(const char* name, const char* option, uint64_t RunConfig::*field,
                    uint64_t low, uint64_t high) {
  return ConfigKey{
      name, option, false,
      [=](const YAML::Node& node, RunConfig* config) -> Status {
        INGEST_ASSIGN_OR_RETURN(config->*field, NumberOf(node, low, high));
        return Status::OK();
      },
      [field](YAML::Emitter& out, const RunConfig& config) { out << config.*field; },
      Copy(field)};
}

ConfigKey BoolKey(const char* name, const char* option, bool RunConfig::*field,
                  bool global = false) {
  return ConfigKey{
      name, option, global,
      [field](const YAML::Node& node, RunConfig* config) -> Status {
        INGEST_ASSIGN_OR_RETURN(config->*field, BoolOf(node));
        return Status::OK();
      },
      [field](YAML::Emitter& out, const RunConfig& config) { out << config.*field; },
      Copy(field)};
}

ConfigKey ListKey(const char* name, const char* option,
                  std::vector<std::string> RunConfig::*field) {
  return ConfigKey{
      name, option, false,
      [field](const YAML::Node& node, RunConfig* config) -> Status {
        INGEST_ASSIGN_OR_RETURN(config->*field, ListOf(node));
        return Status::OK();
      },
      [field](YAML::Emitter& out, const RunConfig& config) {
        if ((config.*field).empty()) out << YAML::Flow;
        out << YAML::BeginSeq;
        for (const std::string& value : config.*field) out << value;
        out << YAML::EndSeq;
      },
      Copy(field)};
}

Result<ProgressMode> ParseProgress(std::string_view text) {
  if (text == "auto") return ProgressMode::kAuto;
  if (text == "true" || text == "yes" || text == "on") return ProgressMode::kOn;
  if (text == "false" || text == "no" || text == "off") return ProgressMode::kOff;
  return Status::InvalidArgument("expected auto, true or false, got '" + std::string(text) +
                                 "'");
}

const std::vector<ConfigKey>& Keys() {
  static const std::vector<ConfigKey> keys = {
      ListKey("inputs", "INPUT", &RunConfig::inputs),
      StringKey("state", "--state", &RunConfig::state_dir),
      StringKey("out", "--out", &RunConfig::out_dir),
      ConfigKey{"threads", "--threads", false,
                [](const YAML::Node& node, RunConfig* config) -> Status {
                  INGEST_ASSIGN_OR_RETURN(uint64_t threads, NumberOf(node, 0, 1024));
                  config->threads = static_cast<int>(threads);
                  return Status::OK();
                },
                [](YAML::Emitter& out, const RunConfig& config) { out << config.threads; },
                Copy(&RunConfig::threads)},
      ConfigKey{"revisions", "--revisions", false,
                [](const YAML::Node& node, RunConfig* config) -> Status {
                  Result<std::string> text = StringOf(node);
                  if (!text.ok() || (*text != "skip" && *text != "emit")) {
                    return Expected("skip or emit", node);
                  }
                  config->emit_revisions = *text == "emit";
                  return Status::OK();
                },
                [](YAML::Emitter& out, const RunConfig& config) {
                  out << (config.emit_revisions ? "emit" : "skip");
                },
                Copy(&RunConfig::emit_revisions)},
      ConfigKey{"tz", "--tz", false,
                [](const YAML::Node& node, RunConfig* config) -> Status {
                  Result<std::string> text = StringOf(node);
                  std::optional<int> offset;
                  if (text.ok() && *text != "Z" && *text != "z") offset = ParseUtcOffset(*text);
                  if (!offset) return Expected("an offset like +09:00", node);
                  config->default_offset_minutes = *offset;
                  return Status::OK();
                },
                [](YAML::Emitter& out, const RunConfig& config) {
                  out << YAML::DoubleQuoted << FormatUtcOffset(config.default_offset_minutes);
                },
                Copy(&RunConfig::default_offset_minutes)},
      NumberKey("max-file-size", "--max-file-size", &RunConfig::max_file_size, 1, UINT64_MAX),
      NumberKey("chunk-records", "--chunk-records", &RunConfig::chunk_records, 1, UINT64_MAX),
      NumberKey("chunk-bytes", "--chunk-bytes", &RunConfig::chunk_bytes, 1, UINT64_MAX),
      ConfigKey{"compress", "--compress", false,
                [](const YAML::Node& node, RunConfig* config) -> Status {
                  Result<std::string> text = StringOf(node);
                  Result<Compression> compression =
                      text.ok() ? ParseCompression(*text) : Result<Compression>(text.status());
                  if (!compression.ok()) return Expected("none, zstd or gzip", node);
                  config->compression = *compression;
                  return Status::OK();
                },
                [](YAML::Emitter& out, const RunConfig& config) {
                  out << std::string(CompressionName(config.compression));
                },
                Copy(&RunConfig::compression)},
      ConfigKey{"compress-level", "--compress-level", false,
                [](const YAML::Node& node, RunConfig* config) -> Status {
                  INGEST_ASSIGN_OR_RETURN(uint64_t level, NumberOf(node, 0, 19));
                  config->compression_level = static_cast<int>(level);
                  return Status::OK();
                },
                [](YAML::Emitter& out, const RunConfig& config) {
                  out << config.compression_level;
                },
                Copy(&RunConfig::compression_level)},
      ConfigKey{"schema", "--schema", false,
                [](const YAML::Node& node, RunConfig* config) -> Status {
                  Result<std::string> text = StringOf(node);
                  Result<RecordSchema> schema =
                      text.ok() ? ParseRecordSchema(*text) : Result<RecordSchema>(text.status());
                  if (!schema.ok()) return Expected("native or dolma", node);
                  config->schema = *schema;
                  return Status::OK();
                },
                [](YAML::Emitter& out, const RunConfig& config) {
                  out << std::string(RecordSchemaName(config.schema));
                },
                Copy(&RunConfig::schema)},
      StringKey("dolma-source", "--dolma-source", &RunConfig::dolma_source),
      ListKey("include", "--include", &RunConfig::include),
      ListKey("exclude", "--exclude", &RunConfig::exclude),
      BoolKey("null-separated", "--null-separated", &RunConfig::null_separated),
      BoolKey("rescan", "--rescan", &RunConfig::rescan),
      BoolKey("trust-names", "--trust-names", &RunConfig::trust_names),
      ConfigKey{"progress", "--progress", false,
                [](const YAML::Node& node, RunConfig* config) -> Status {
                  if (!node.IsScalar()) return Expected("auto, true or false", node);
                  Result<ProgressMode> mode = ParseProgress(node.Scalar());
                  if (!mode.ok()) return Expected("auto, true or false", node);
                  config->progress = *mode;
                  return Status::OK();
                },
                [](YAML::Emitter& out, const RunConfig& config) {
                  out << (config.progress == ProgressMode::kAuto ? "auto"
                          : config.progress == ProgressMode::kOn ? "true"
                                                                 : "false");
                },
                Copy(&RunConfig::progress)},
      StringKey("metrics-file", "--metrics-file", &RunConfig::metrics_file),
      StringKey("log-level", "--log-level", &RunConfig::log_level, /*global=*/true),
      StringKey("log-file", "--log-file", &RunConfig::log_file, /*global=*/true),
      BoolKey("quiet", "--quiet", &RunConfig::quiet, /*global=*/true),
  };
  return keys;
}

std::string Located(const std::string& file_name, const YAML::Mark& mark) {
  if (mark.line < 0) return "config: " + file_name + ": ";
  return "config: " + file_name + ":" + std::to_string(mark.line + 1) + ": ";
}

bool Given(const CLI::App& app, const CLI::App& command, const ConfigKey& key) {
  const CLI::App& owner = key.global ? app : command;
  const CLI::Option* option = owner.get_option_no_throw(key.option);
  if (option != nullptr && option->count() > 0) return true;
  if (std::string_view(key.name) == "progress") {
    const CLI::Option* off = owner.get_option_no_throw("--no-progress");
    return off != nullptr && off->count() > 0;
  }
  return false;
}

void AddRunOptions(CLI::App* command, RunCommandLine* line) {
  RunConfig& values = line->values;
  line->command = command;
  command->add_option(
      "INPUT", values.inputs,
      "article files, directories walked for *.txt files, or tar archives (.tar, "
      ".tar.gz, .tgz, .tar.zst); - reads paths from stdin");
  command->add_option("--config", line->config_file,
                      "YAML file with run options; command-line options override it");
  command->add_option("--state", values.state_dir, "dedup state directory (RocksDB)")
      ->capture_default_str();
  command->add_option("--out", values.out_dir,
                      "output directory, or - for articles on stdout and no files")
      ->capture_default_str();
  command->add_option("--threads", values.threads, "worker threads (default: the CPUs this process may use)")
      ->check(CLI::Range(1, 1024));
  command->add_option("--revisions", line->revisions,
                      "skip: count a known key with a new hash; emit: also emit it")
      ->check(CLI::IsMember({"skip", "emit"}))
      ->capture_default_str();
  command->add_option("--tz", line->tz, "zone of naive dates, as ±HH:MM")
      ->capture_default_str();
  command->add_option("--max-file-size", values.max_file_size,
                      "larger files are quarantined as too_large (bytes)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command->add_option("--chunk-records", values.chunk_records,
                      "records per output chunk (a commit point)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command->add_option("--chunk-bytes", values.chunk_bytes,
                      "uncompressed article bytes per output chunk (a commit point)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command->add_option("--compress", line->compress,
                      "compress article chunks: none, zstd (.ndjson.zst) or gzip (.ndjson.gz)")
      ->check(CLI::IsMember({"none", "zstd", "gzip"}))
      ->capture_default_str();
  command->add_option("--compress-level", values.compression_level,
                      "compression level: zstd 1-19, gzip 1-9; 0: the default (zstd 3, gzip 3)")
      ->check(CLI::Range(0, 19))
      ->capture_default_str();
  command->add_option("--schema", line->schema,
                      "article record layout: native (FORMAT.md) or dolma (Dolma documents)")
      ->check(CLI::IsMember({"native", "dolma"}))
      ->capture_default_str();
  command->add_option("--dolma-source", values.dolma_source,
                      "the `source` field of Dolma records (the dataset's name)")
      ->capture_default_str();
  command->add_option("--include", values.include,
                      "process only article files matching this glob (repeatable)")
      ->allow_extra_args(false);
  command->add_option("--exclude", values.exclude,
                      "skip files, directories and archives matching this glob (repeatable)")
      ->allow_extra_args(false);
  command->add_flag("-0,--null-separated", values.null_separated,
                    "paths read from stdin (INPUT -) are NUL-separated, as find -print0 writes");
  CLI::Option* rescan = command->add_flag(
      "--rescan", values.rescan,
      "read every file, even those an earlier run processed and that are unchanged");
  command
      ->add_flag("--trust-names", values.trust_names,
                 "skip every path an earlier run processed, without even a stat "
                 "(for dumps whose files are written once)")
      ->excludes(rescan);
  CLI::Option* progress = command->add_flag(
      "--progress", line->progress, "draw the live progress line even when stderr is not a terminal");
  command->add_flag("--no-progress", line->no_progress,
                    "never draw the progress line, even on a terminal")
      ->excludes(progress);
  command->add_option("--metrics-file", values.metrics_file,
                      "write Prometheus metrics here at the end of the run (node_exporter "
                      "textfile collector)");
}

std::string ReadAll(int fd, Status* status) {
  std::string data;
  char buffer[64 << 10];
  while (true) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      *status = Status::FromErrno("run: read the path list", "stdin", errno);
      return data;
    }
    if (n == 0) return data;
    data.append(buffer, static_cast<size_t>(n));
  }
}

}  // namespace

CLI::App* AddRunCommand(CLI::App& app, RunCommandLine* line) {
  CLI::App* command = app.add_subcommand(
      "run", "Ingest INPUT files, directories and archives: emit new articles, record "
             "duplicates and quarantined files, remember keys in the state");
  AddRunOptions(command, line);
  return command;
}

CLI::App* AddConfigCommand(CLI::App& app, RunCommandLine* line) {
  CLI::App* command = app.add_subcommand(
      "config", "Print the effective configuration of a run (defaults < --config FILE < "
                "command line) as YAML, which --config reads back");
  AddRunOptions(command, line);
  return command;
}

std::vector<std::string> RunConfigKeys() {
  std::vector<std::string> names;
  for (const ConfigKey& key : Keys()) names.emplace_back(key.name);
  return names;
}

Status ApplyRunConfigYaml(std::string_view yaml, const std::string& file_name,
                          RunConfig* config, std::vector<std::string>* given) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& error) {
    return Status::InvalidArgument(Located(file_name, error.mark) + "not valid YAML: " +
                                   error.msg);
  }
  if (root.IsNull()) return Status::OK();  // an empty file sets nothing
  if (!root.IsMap()) {
    return Status::InvalidArgument(Located(file_name, root.Mark()) +
                                   "expected a mapping of option names to values, got " +
                                   Describe(root));
  }
  std::set<std::string> seen;
  for (auto it = root.begin(); it != root.end(); ++it) {
    YAML::Node key_node = it->first;
    YAML::Node value = it->second;
    std::string where = Located(file_name, key_node.Mark());
    if (!key_node.IsScalar()) {
      return Status::InvalidArgument(where + "a key must be an option name, got " +
                                     Describe(key_node));
    }
    const std::string& name = key_node.Scalar();
    const ConfigKey* key = nullptr;
    for (const ConfigKey& candidate : Keys()) {
      if (name == candidate.name) key = &candidate;
    }
    if (key == nullptr) {
      return Status::InvalidArgument(where + "unknown key '" + name +
                                     "' (`crawl-ingest config` lists every key)");
    }
    if (!seen.insert(name).second) {
      return Status::InvalidArgument(where + "key '" + name + "' is given twice");
    }
    Status parsed = key->parse(value, config);
    if (!parsed.ok()) {
      // A missing value has no place of its own: point at its key.
      YAML::Mark mark =
          !value.IsNull() && value.Mark().line >= 0 ? value.Mark() : key_node.Mark();
      return Status::InvalidArgument(Located(file_name, mark) + name + ": " +
                                     parsed.message());
    }
    if (given) given->push_back(name);
  }
  return Status::OK();
}

Status LoadRunConfigFile(const std::string& path, RunConfig* config,
                         std::vector<std::string>* given) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::InvalidArgument("config: cannot read " + path + ": " +
                                   std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return ApplyRunConfigYaml(text.str(), path, config, given);
}

std::string RunConfigToYaml(const RunConfig& config) {
  YAML::Emitter out;
  out << YAML::Comment(
      "crawl-ingest run configuration: built-in defaults < --config file < command line");
  out << YAML::Newline;
  out << YAML::BeginMap;
  for (const ConfigKey& key : Keys()) {
    out << YAML::Key << key.name << YAML::Value;
    key.emit(out, config);
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

Result<RunConfig> ResolveRunConfig(const RunCommandLine& line, const CLI::App& app,
                                   bool require_inputs) {
  // The command line's values, converted.
  RunConfig command_line = line.values;
  command_line.emit_revisions = line.revisions == "emit";
  std::optional<int> offset = ParseUtcOffset(line.tz);
  if (!offset || line.tz == "Z" || line.tz == "z") {
    return Status::InvalidArgument("--tz: '" + line.tz + "' is not an offset like +09:00");
  }
  command_line.default_offset_minutes = *offset;
  INGEST_ASSIGN_OR_RETURN(command_line.compression, ParseCompression(line.compress));
  INGEST_ASSIGN_OR_RETURN(command_line.schema, ParseRecordSchema(line.schema));
  command_line.progress = line.progress      ? ProgressMode::kOn
                          : line.no_progress ? ProgressMode::kOff
                                             : ProgressMode::kAuto;
  for (const char* name : {"--log-level", "--log-file"}) {
    const CLI::Option* option = app.get_option_no_throw(name);
    if (option == nullptr || option->count() == 0) continue;
    std::string value = option->as<std::string>();
    if (std::string_view(name) == "--log-level") {
      command_line.log_level = value;
    } else {
      command_line.log_file = value;
    }
  }
  const CLI::Option* quiet = app.get_option_no_throw("--quiet");
  command_line.quiet = quiet != nullptr && quiet->count() > 0;

  RunConfig merged;
  if (!line.config_file.empty()) {
    INGEST_RETURN_IF_ERROR(LoadRunConfigFile(line.config_file, &merged));
  }
  for (const ConfigKey& key : Keys()) {
    if (Given(app, *line.command, key)) key.copy(command_line, &merged);
  }
  auto [low, high] = CompressionLevelRange(merged.compression);
  if (merged.compression_level != 0 &&
      (merged.compression_level < low || merged.compression_level > high)) {
    return Status::InvalidArgument(
        high == 0 ? fmt::format("compress-level {} needs --compress zstd or gzip",
                                merged.compression_level)
                  : fmt::format("compress-level {} is not a {} level ({} to {})",
                                merged.compression_level,
                                CompressionName(merged.compression), low, high));
  }
  if (merged.rescan && merged.trust_names) {
    return Status::InvalidArgument("rescan and trust-names exclude each other");
  }
  if (require_inputs && merged.inputs.empty()) {
    return Status::InvalidArgument(
        "no INPUT given (on the command line, or as `inputs` in the config file)");
  }
  int stdin_inputs = 0;
  for (const std::string& input : merged.inputs) stdin_inputs += input == "-";
  if (stdin_inputs > 1) return Status::InvalidArgument("INPUT - (stdin) given twice");
  if (merged.null_separated && stdin_inputs == 0) {
    return Status::InvalidArgument("-0/--null-separated needs the INPUT - (paths on stdin)");
  }
  return merged;
}

Result<std::vector<std::string>> ReadPathList(int fd, bool null_separated) {
  Status status;
  std::string data = ReadAll(fd, &status);
  INGEST_RETURN_IF_ERROR(status);
  std::vector<std::string> paths;
  char separator = null_separated ? '\0' : '\n';
  size_t start = 0;
  while (start < data.size()) {
    size_t end = data.find(separator, start);
    if (end == std::string::npos) end = data.size();
    if (end > start) paths.emplace_back(data, start, end - start);
    start = end + 1;
  }
  return paths;
}

}  // namespace ingest
