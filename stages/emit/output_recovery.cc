#include "stages/emit/output_recovery.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <set>
#include <vector>

#include "pipeline/test_hooks.h"
#include "stages/emit/chunk_file.h"
#include "stages/emit/emit_stage.h"

namespace ingest {

namespace {

constexpr const char* kOutputFolders[] = {"articles", "quarantine", "duplicates",
                                          "runs"};

bool Exists(const std::string& path) {
  struct stat info;
  return lstat(path.c_str(), &info) == 0;
}

}  // namespace

Status CreateOutputDirectories(const std::string& out_dir) {
  for (const char* folder : kOutputFolders) {
    std::error_code error;
    std::string path = out_dir + "/" + folder;
    std::filesystem::create_directories(path, error);
    if (error) {
      return Status::IOError("emit: cannot create " + path + ": " + error.message());
    }
  }
  return Status::OK();
}

Result<RecoveryReport> RecoverOutput(const std::string& out_dir, StateDb* state,
                                     spdlog::logger* log) {
  RecoveryReport report;
  struct Pending {
    std::string key, final_path, temp_path;
  };
  std::vector<Pending> pending;
  INGEST_RETURN_IF_ERROR(state->Scan(
      kChunkManifestPrefix, [&](std::string_view key, std::string_view value) {
        pending.push_back(Pending{std::string(key),
                                  std::string(key.substr(kChunkManifestPrefix.size())),
                                  std::string(value)});
        return true;
      }));
  std::unique_ptr<StateTransaction> transaction = state->NewTransaction();
  for (const Pending& chunk : pending) {
    if (Exists(chunk.temp_path)) {
      if (std::rename(chunk.temp_path.c_str(), chunk.final_path.c_str()) != 0) {
        return Status::FromErrno("recover: rename", chunk.temp_path, errno);
      }
      INGEST_RETURN_IF_ERROR(SyncDirectory(
          std::filesystem::path(chunk.final_path).parent_path().string()));
      ++report.rolled_forward;
      log->info("recovered committed chunk path={}", chunk.final_path);
      TestHook("recover.renamed");
    } else if (!Exists(chunk.final_path)) {
      // Someone removed output by hand; the audit reports which keys lost
      // their record. Refusing every later run would not bring it back.
      log->warn("committed chunk is missing path={} temp={}", chunk.final_path,
                chunk.temp_path);
    }
    transaction->Delete(chunk.key);
  }
  INGEST_RETURN_IF_ERROR(state->Commit(*transaction));

  for (const char* folder : kOutputFolders) {
    std::string directory = out_dir + "/" + folder;
    DIR* dir = opendir(directory.c_str());
    if (dir == nullptr) return Status::FromErrno("recover: opendir", directory, errno);
    std::vector<std::string> leftovers;
    while (struct dirent* entry = readdir(dir)) {
      std::string_view name(entry->d_name);
      if (name.size() > 5 && name.front() == '.' &&
          name.substr(name.size() - 4) == ".tmp") {
        leftovers.emplace_back(directory + "/" + std::string(name));
      }
    }
    closedir(dir);
    for (const std::string& path : leftovers) {
      if (unlink(path.c_str()) != 0 && errno != ENOENT) {
        return Status::FromErrno("recover: unlink", path, errno);
      }
      ++report.rolled_back;
      log->info("discarded uncommitted temp file path={}", path);
    }
    if (!leftovers.empty()) INGEST_RETURN_IF_ERROR(SyncDirectory(directory));
  }
  return report;
}

}  // namespace ingest
