#include "commands/repartition_command.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>

#include "commands/exit_codes.h"
#include "commands/shard_common.h"
#include "stages/dedup/dedup_entry.h"
#include "stages/dedup/state_db.h"

namespace ingest {

namespace {

// Builds new partition `child` of `partitions` from the dedup entries of
// `old` that hash to it.
Status BuildChild(StateDb* old, const std::string& directory, uint32_t child,
                  uint32_t partitions) {
  INGEST_ASSIGN_OR_RETURN(std::unique_ptr<StateDb> state, StateDb::Open(directory, {}));
  std::unique_ptr<StateCursor> cursor = old->NewCursor();
  cursor->Seek(kDedupKeyPrefix);
  // Named, not written inside the macro: its own INGEST_RETURN_IF_ERROR
  // would shadow the outer one's status variable (-Wshadow).
  auto next_entry = [&](std::string* key, std::string* value) -> Result<bool> {
    for (; cursor->Valid(); cursor->Next()) {
      std::string_view found = cursor->key();
      if (found.substr(0, kDedupKeyPrefix.size()) != kDedupKeyPrefix) break;
      if (PartitionOf(found.substr(kDedupKeyPrefix.size()), partitions) != child) continue;
      key->assign(found);
      value->assign(cursor->value());
      cursor->Next();
      return true;
    }
    INGEST_RETURN_IF_ERROR(cursor->status());
    return false;
  };
  INGEST_RETURN_IF_ERROR(state->BulkLoad(next_entry));
  INGEST_ASSIGN_OR_RETURN(std::optional<std::string> last_run, old->Get(kPartitionLastRunKey));
  if (last_run) {
    auto transaction = state->NewTransaction();
    transaction->Put(kPartitionLastRunKey, *last_run);
    INGEST_RETURN_IF_ERROR(state->Commit(*transaction));
  }
  return state->FlushMemtables();
}

}  // namespace

CLI::App* AddRepartitionCommand(CLI::App& app, RepartitionConfig* config) {
  CLI::App* command = app.add_subcommand(
      "repartition", "Sharded runs: grow the partition count P between runs (a multiple of it)");
  command->add_option("--work", config->work_dir, "work directory (as given to plan)")
      ->capture_default_str();
  command->add_option("--partitions", config->partitions, "the new P, a multiple of the current")
      ->required()
      ->check(CLI::Range(1, 1000000));
  return command;
}

int RepartitionCommand(const RepartitionConfig& config, spdlog::logger& log) {
  WorkLayout layout(std::filesystem::absolute(config.work_dir).lexically_normal().string());
  Result<std::unique_ptr<StateDb>> opened = StateDb::Open(layout.planner_state(), {});
  if (!opened.ok()) return ReportFailure(log, opened.status());
  std::unique_ptr<StateDb> planner = std::move(opened).value();
  Result<std::optional<std::string>> stored = planner->Get(kPartitionsKey);
  if (!stored.ok()) return ReportFailure(log, stored.status());
  if (!*stored) {
    return ReportFailure(log, Status::InvalidArgument("repartition: " + layout.dir() +
                                             " has no run yet: give plan --partitions"));
  }
  auto old_partitions = static_cast<uint32_t>(std::strtoul((*stored)->c_str(), nullptr, 10));
  if (config.partitions == old_partitions) return kExitOk;
  if (config.partitions < old_partitions || config.partitions % old_partitions != 0) {
    return ReportFailure(log, Status::InvalidArgument(fmt::format(
                         "repartition: {} partitions cannot become {}: P grows by a whole "
                         "factor, so each old partition splits into new ones",
                         old_partitions, config.partitions)));
  }
  Result<std::optional<std::string>> planning = planner->Get(kPlanningKey);
  Result<std::optional<std::string>> current = planner->Get(kCurrentRunKey);
  if (!planning.ok() || !current.ok()) {
    return ReportFailure(log, !planning.ok() ? planning.status() : current.status());
  }
  if (*planning || (*current && !PathExists(layout.finished_marker(**current)))) {
    log.error("repartition: run {} is unfinished; finish it first",
              *planning ? **planning : **current);
    return kExitStateBusy;
  }

  uint32_t factor = config.partitions / old_partitions;
  std::string root = layout.dir() + "/partitions";
  std::string fresh = root + ".new";
  std::error_code error;
  std::filesystem::remove_all(fresh, error);  // a repartition cut short
  for (uint32_t p = 0; p < old_partitions; ++p) {
    WorkLayout old_layout(layout.dir());
    std::string directory = old_layout.partition_state(p);
    if (!PathExists(directory)) continue;  // never reduced: no keys
    Result<std::unique_ptr<StateDb>> old = StateDb::Open(directory, {});
    if (!old.ok()) return ReportFailure(log, old.status());
    for (uint32_t c = 0; c < factor; ++c) {
      uint32_t child = p * factor + c;
      std::string target = fmt::format("{}/{:05d}", fresh, child);
      std::filesystem::create_directories(target, error);
      Status built = BuildChild(old->get(), target, child, config.partitions);
      if (!built.ok()) return ReportFailure(log, built);
    }
    log.info("repartition: partition {} split into {}..{}", p, p * factor,
             p * factor + factor - 1);
  }
  // Swap: the old states stay under partitions.old until P' is recorded,
  // so a crash in between leaves both to choose from (doc/cluster.md).
  std::string retired = root + ".old";
  std::filesystem::remove_all(retired, error);
  if (PathExists(root) && std::rename(root.c_str(), retired.c_str()) != 0) {
    return ReportFailure(log, Status::FromErrno("repartition: rename", root, errno));
  }
  if (PathExists(fresh) && std::rename(fresh.c_str(), root.c_str()) != 0) {
    return ReportFailure(log, Status::FromErrno("repartition: rename", fresh, errno));
  }
  auto transaction = planner->NewTransaction();
  transaction->Put(kPartitionsKey, std::to_string(config.partitions));
  Status committed = planner->Commit(*transaction);
  if (!committed.ok()) return ReportFailure(log, committed);
  std::filesystem::remove_all(retired, error);
  log.info("repartition: {} now has {} partitions (was {})", layout.dir(), config.partitions,
           old_partitions);
  return kExitOk;
}

}  // namespace ingest
