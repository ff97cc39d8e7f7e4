// The file index: the state's memory of input files an earlier run fully
// processed (its outcome committed), as "f/<source>" → size and mtime, so a
// cron run reads only what is new or changed.
//
// FileIndexCursor looks paths up in walk order with one forward iterator (a
// merge join of the sorted listing with the sorted index, not a point
// lookup per file), plus point lookups for archive members, which come in
// archive order. FileIndexStage ("index") is the serial stage that adds
// the run's processed files to each commit. Neither is thread-safe; the
// stage is driven by the runner's serial end only (one thread at a time).
//
// Archives (doc/archives.md): each member is indexed as
// "f/<archive>!<member>" with the size and mtime of its tar header, and the
// archive itself as "f/<archive>" with its file's size and mtime once all
// its members are committed (CompletedArchives), so an unchanged archive is
// skipped whole and a changed one is read again with its unchanged members
// passed over.
#ifndef INGEST_STAGES_READ_FILE_INDEX_H_
#define INGEST_STAGES_READ_FILE_INDEX_H_

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pipeline/stage.h"
#include "stages/dedup/state_db.h"

namespace ingest {

inline constexpr std::string_view kFileIndexPrefix = "f/";
std::string FileIndexKey(std::string_view source);
// FileIndexKey(source) appended to `*out`, for callers that reuse a buffer.
void AppendFileIndexKey(std::string_view source, std::string* out);
std::string EncodeFileStamp(const FileStamp& stamp);
bool DecodeFileStamp(std::string_view encoded, FileStamp* stamp);

class FileIndexCursor {
 public:
  // `*state` must outlive the cursor.
  explicit FileIndexCursor(StateDb* state);
  // The stamp recorded for `source`. REQUIRES: successive calls come in
  // ascending byte order of `source` (the walk's order).
  Result<std::optional<FileStamp>> Find(std::string_view source);
  // The stamp recorded for `source`, in any order (a seek each time).
  Result<std::optional<FileStamp>> Lookup(std::string_view source);
  // How many entries have sources starting with `source_prefix`.
  Result<uint64_t> CountWithPrefix(std::string_view source_prefix);

 private:
  std::unique_ptr<StateCursor> cursor_;
  std::unique_ptr<StateCursor> random_cursor_;
  std::string target_;
  bool positioned_ = false;
};

// Archives whose members have all been produced, waiting until every
// article produced before them is committed: then the index stage records
// the archive's own entry in the same commit. Thread-safe: the source adds,
// the serial stage takes.
class CompletedArchives {
 public:
  // `articles_before`: articles the source had produced when the archive
  // ended (the seq its next article would get).
  void Add(std::string source, FileStamp stamp, uint64_t articles_before);
  // Moves every entry whose articles_before <= `processed` into *ready.
  void TakeReady(uint64_t processed,
                 std::vector<std::pair<std::string, FileStamp>>* ready);

 private:
  struct Entry {
    std::string source;
    FileStamp stamp;
    uint64_t articles_before;
  };
  std::mutex mu_;
  std::vector<Entry> entries_;  // GUARDED_BY(mu_); in articles_before order
};

class FileIndexStage : public Stage {
 public:
  // `*archives` (optional) must outlive the stage.
  explicit FileIndexStage(CompletedArchives* archives = nullptr)
      : archives_(archives) {}
  std::string_view name() const override { return "index"; }
  Concurrency concurrency() const override {
    return Concurrency::kSerialInOrder;
  }
  std::unique_ptr<WorkerState> NewWorkerState() const override;
  Result<Disposition> Process(Article& article,
                              WorkerState* state) const override;
  // Sees every article: every file decided in this run is recorded,
  // whatever its outcome, so no record is ever written twice for it;
  // entries that could not be stat-ed get FileStamp::Unreadable().
  Status ProcessBatch(Batch& batch, std::vector<Disposition>& dispositions,
                      WorkerState* state) const override;
  Result<std::unique_ptr<PendingCommit>> DetachCommit(WorkerState* state) const override;

 private:
  CompletedArchives* const archives_;
};

}  // namespace ingest

#endif  // INGEST_STAGES_READ_FILE_INDEX_H_
