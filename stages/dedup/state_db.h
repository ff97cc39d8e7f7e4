// StateDb: the persistent run state in one directory: an exclusive lock
// (one process per state) and a RocksDB database holding the dedup index,
// the chunk manifest of the commit protocol and run bookkeeping.
//
// Key space (one byte prefix, then '/'):
//   a/<oid>_<aid>    DedupEntry (stages/dedup/dedup_entry.h)
//   c/<final path>   temp path of a chunk committed but maybe not renamed
//   m/<name>         metadata (last_run_millis, …)
// Thread-safe: RocksDB is; the lock is held for the object's lifetime.
#ifndef INGEST_STAGES_DEDUP_STATE_DB_H_
#define INGEST_STAGES_DEDUP_STATE_DB_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/commit.h"
#include "pipeline/status.h"

namespace rocksdb {
class DB;
class Status;
}  // namespace rocksdb

namespace ingest {

// m/last_run_millis: the newest run id's time (ms since the epoch), kept so
// the next run id is strictly greater (chunk names sort in emit order).
inline constexpr std::string_view kLastRunMillisKey = "m/last_run_millis";

// Converts a RocksDB status at the boundary; `what` names the operation.
Status FromRocksDb(const rocksdb::Status& status, std::string_view what);

// An exclusive advisory lock (fcntl) on `path`, held until destruction. The
// file records the holder's PID so a second process can name it.
class DirectoryLock {
 public:
  // Busy naming the holding process when another process holds it.
  static Result<std::unique_ptr<DirectoryLock>> Acquire(const std::string& path);
  ~DirectoryLock();

 private:
  explicit DirectoryLock(int fd) : fd_(fd) {}
  int fd_;
};

// A forward cursor over the state's keys. Used by one thread.
class StateCursor {
 public:
  virtual ~StateCursor() = default;
  virtual void Seek(std::string_view key) = 0;
  virtual bool Valid() const = 0;
  // REQUIRES: Valid(). The views last until the next move.
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  virtual void Next() = 0;
  virtual Status status() const = 0;
};

class StateDb : public DurableState {
 public:
  struct Options {
    bool read_only = false;  // no lock, no writes (audits)
  };
  // Creates `directory` when missing. Busy when another process holds it.
  static Result<std::unique_ptr<StateDb>> Open(const std::string& directory,
                                               Options options);
  ~StateDb() override;

  const std::string& directory() const { return directory_; }

  // Point lookup; nullopt when absent.
  Result<std::optional<std::string>> Get(std::string_view key);
  // Batched lookup, values[i] for keys[i].
  Status MultiGet(const std::vector<std::string>& keys,
                  std::vector<std::optional<std::string>>* values);
  // Calls `visit` for every key starting with `prefix`, in key order, until
  // it returns false.
  Status Scan(std::string_view prefix,
              const std::function<bool(std::string_view key,
                                       std::string_view value)>& visit);

  // Loads many entries fast, bypassing the write path: writes sorted SST
  // files beside the database and ingests them (RocksDB
  // IngestExternalFile). `next` yields entries in strictly ascending key
  // order and returns false at the end. Existing keys are overwritten.
  Status BulkLoad(
      const std::function<Result<bool>(std::string* key, std::string* value)>& next);

  // Writes the memtables to table files, so the next open has no log to
  // replay (a run's whole log would otherwise be replayed by the next
  // run, costing it most of an unchanged re-run's time).
  Status FlushMemtables();

  // A cursor over a consistent snapshot of the state.
  std::unique_ptr<StateCursor> NewCursor();

  std::unique_ptr<StateTransaction> NewTransaction() override;
  Status Commit(StateTransaction& transaction) override;

 private:
  StateDb() = default;
  std::string directory_;
  std::unique_ptr<DirectoryLock> lock_;
  std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace ingest

#endif  // INGEST_STAGES_DEDUP_STATE_DB_H_
