#include "stages/dedup/state_db.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <rocksdb/db.h>
#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

namespace ingest {

Status FromRocksDb(const rocksdb::Status& status, std::string_view what) {
  if (status.ok()) return Status::OK();
  std::string message = "state: " + std::string(what) + ": " + status.ToString();
  if (status.IsCorruption()) return Status::Corruption(std::move(message));
  if (status.IsNotFound()) return Status::NotFound(std::move(message));
  if (status.IsIOError()) return Status::IOError(std::move(message));
  if (status.IsInvalidArgument()) {
    return Status::InvalidArgument(std::move(message));
  }
  return Status::Internal(std::move(message));
}

namespace {

// "1234 (crawl-ingest run …)" from /proc, or just the PID.
std::string DescribeProcess(pid_t pid) {
  std::string description = std::to_string(pid);
  std::ifstream cmdline("/proc/" + std::to_string(pid) + "/cmdline",
                        std::ios::binary);
  std::string command((std::istreambuf_iterator<char>(cmdline)),
                      std::istreambuf_iterator<char>());
  for (char& c : command) {
    if (c == '\0') c = ' ';
  }
  while (!command.empty() && command.back() == ' ') command.pop_back();
  if (!command.empty()) description += " (" + command + ")";
  return description;
}

class RocksTransaction : public StateTransaction {
 public:
  void Put(std::string_view key, std::string_view value) override {
    batch.Put(rocksdb::Slice(key.data(), key.size()),
              rocksdb::Slice(value.data(), value.size()));
  }
  void Delete(std::string_view key) override {
    batch.Delete(rocksdb::Slice(key.data(), key.size()));
  }
  rocksdb::WriteBatch batch;
};

class RocksCursor : public StateCursor {
 public:
  explicit RocksCursor(rocksdb::Iterator* iterator) : iterator_(iterator) {}
  void Seek(std::string_view key) override {
    iterator_->Seek(rocksdb::Slice(key.data(), key.size()));
  }
  bool Valid() const override { return iterator_->Valid(); }
  std::string_view key() const override {
    return std::string_view(iterator_->key().data(), iterator_->key().size());
  }
  std::string_view value() const override {
    return std::string_view(iterator_->value().data(), iterator_->value().size());
  }
  void Next() override { iterator_->Next(); }
  Status status() const override { return FromRocksDb(iterator_->status(), "cursor"); }

 private:
  std::unique_ptr<rocksdb::Iterator> iterator_;
};

}  // namespace

Result<std::unique_ptr<DirectoryLock>> DirectoryLock::Acquire(
    const std::string& path) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::FromErrno("lock: open", path, errno);
  struct flock request {};
  request.l_type = F_WRLCK;
  request.l_whence = SEEK_SET;
  if (fcntl(fd, F_SETLK, &request) != 0) {
    int error = errno;
    if (error != EAGAIN && error != EACCES) {
      close(fd);
      return Status::FromErrno("lock: fcntl", path, error);
    }
    struct flock holder {};
    holder.l_type = F_WRLCK;
    holder.l_whence = SEEK_SET;
    std::string who = "another process";
    if (fcntl(fd, F_GETLK, &holder) == 0 && holder.l_type != F_UNLCK) {
      who = "process " + DescribeProcess(holder.l_pid);
    }
    close(fd);
    return Status::Busy("state: " + path + " is held by " + who);
  }
  std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) != 0 ||
      pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    int error = errno;
    close(fd);
    return Status::FromErrno("lock: write", path, error);
  }
  return std::unique_ptr<DirectoryLock>(new DirectoryLock(fd));
}

DirectoryLock::~DirectoryLock() { close(fd_); }

Result<std::unique_ptr<StateDb>> StateDb::Open(const std::string& directory,
                                               Options options) {
  std::unique_ptr<StateDb> state(new StateDb());
  state->directory_ = directory;
  if (!options.read_only) {
    std::error_code error;
    std::filesystem::create_directories(directory, error);
    if (error) {
      return Status::IOError("state: cannot create " + directory + ": " +
                             error.message());
    }
    INGEST_ASSIGN_OR_RETURN(state->lock_,
                            DirectoryLock::Acquire(directory + "/LOCK.crawl-ingest"));
  }

  rocksdb::Options db_options;
  db_options.create_if_missing = !options.read_only;
  db_options.IncreaseParallelism(2);
  db_options.max_open_files = 512;
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  db_options.keep_log_file_num = 2;
  // Memory stays bounded whatever the state's size: two 16 MiB memtables
  // (each may overshoot by one commit's batch, bounded by --chunk-bytes)
  // and a 32 MiB block cache (RocksDB's defaults grow RSS with the run).
  // Smaller memtables flatten RSS further but flush more often: 8 MiB gave
  // 4 level-0 files per 100,000 articles, and the fourth, written at the end
  // of a run, started a compaction the run's close then waited for.
  db_options.write_buffer_size = 16 << 20;
  db_options.max_write_buffer_number = 2;
  // A fresh key (most keys of a first run) misses the memtable: a bloom
  // filter over whole keys answers that without a skip-list search.
  db_options.memtable_whole_key_filtering = true;
  db_options.memtable_prefix_bloom_size_ratio = 0.05;
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.whole_key_filtering = true;
  table.block_cache = rocksdb::NewLRUCache(32 << 20);
  db_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));

  std::string path = directory + "/db";
  rocksdb::DB* db = nullptr;
  rocksdb::Status status =
      options.read_only ? rocksdb::DB::OpenForReadOnly(db_options, path, &db)
                        : rocksdb::DB::Open(db_options, path, &db);
  if (!status.ok()) return FromRocksDb(status, "open " + path);
  state->db_.reset(db);
  return state;
}

StateDb::~StateDb() {
  if (db_) {
    db_->Close().PermitUncheckedError();
  }
}

Status StateDb::FlushMemtables() {
  rocksdb::FlushOptions options;
  options.wait = true;
  return FromRocksDb(db_->Flush(options), "flush");
}

Result<std::optional<std::string>> StateDb::Get(std::string_view key) {
  std::string value;
  rocksdb::Status status = db_->Get(rocksdb::ReadOptions(),
                                    rocksdb::Slice(key.data(), key.size()), &value);
  if (status.IsNotFound()) return std::optional<std::string>();
  if (!status.ok()) return FromRocksDb(status, "get");
  return std::optional<std::string>(std::move(value));
}

Status StateDb::MultiGet(const std::vector<std::string>& keys,
                         std::vector<std::optional<std::string>>* values) {
  values->assign(keys.size(), std::nullopt);
  if (keys.empty()) return Status::OK();
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<rocksdb::PinnableSlice> found(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  db_->MultiGet(rocksdb::ReadOptions(), db_->DefaultColumnFamily(), keys.size(),
                slices.data(), found.data(), statuses.data());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (statuses[i].ok()) {
      (*values)[i] = found[i].ToString();
    } else if (!statuses[i].IsNotFound()) {
      return FromRocksDb(statuses[i], "multiget");
    }
  }
  return Status::OK();
}

Status StateDb::Scan(std::string_view prefix,
                     const std::function<bool(std::string_view, std::string_view)>& visit) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  rocksdb::Slice start(prefix.data(), prefix.size());
  for (it->Seek(start); it->Valid() && it->key().starts_with(start); it->Next()) {
    if (!visit(std::string_view(it->key().data(), it->key().size()),
               std::string_view(it->value().data(), it->value().size()))) {
      break;
    }
  }
  return FromRocksDb(it->status(), "scan");
}

Status StateDb::BulkLoad(
    const std::function<Result<bool>(std::string*, std::string*)>& next) {
  constexpr uint64_t kEntriesPerFile = 4'000'000;
  std::vector<std::string> files;
  rocksdb::Options options = db_->GetOptions();
  std::unique_ptr<rocksdb::SstFileWriter> writer;
  uint64_t in_file = 0;
  std::string key, value;
  auto finish = [&]() -> Status {
    if (!writer) return Status::OK();
    rocksdb::Status status = writer->Finish();
    writer.reset();
    return FromRocksDb(status, "bulk load: finish " + files.back());
  };
  while (true) {
    INGEST_ASSIGN_OR_RETURN(bool more, next(&key, &value));
    if (!more) break;
    if (!writer || in_file == kEntriesPerFile) {
      INGEST_RETURN_IF_ERROR(finish());
      files.push_back(directory_ + "/bulk-" + std::to_string(files.size()) + ".sst");
      writer = std::make_unique<rocksdb::SstFileWriter>(rocksdb::EnvOptions(), options);
      INGEST_RETURN_IF_ERROR(FromRocksDb(writer->Open(files.back()),
                                         "bulk load: open " + files.back()));
      in_file = 0;
    }
    INGEST_RETURN_IF_ERROR(FromRocksDb(writer->Put(key, value), "bulk load: put"));
    ++in_file;
  }
  INGEST_RETURN_IF_ERROR(finish());
  if (files.empty()) return Status::OK();
  rocksdb::IngestExternalFileOptions ingest;
  ingest.move_files = true;
  return FromRocksDb(db_->IngestExternalFile(files, ingest), "bulk load: ingest");
}

std::unique_ptr<StateCursor> StateDb::NewCursor() {
  return std::make_unique<RocksCursor>(db_->NewIterator(rocksdb::ReadOptions()));
}

std::unique_ptr<StateTransaction> StateDb::NewTransaction() {
  return std::make_unique<RocksTransaction>();
}

Status StateDb::Commit(StateTransaction& transaction) {
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  auto& batch = static_cast<RocksTransaction&>(transaction).batch;
  if (batch.Count() == 0) return Status::OK();
  return FromRocksDb(db_->Write(write_options, &batch), "commit");
}

}  // namespace ingest
