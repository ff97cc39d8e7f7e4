// The file index: the state's memory of input files an earlier run fully
// processed (its outcome committed), as "f/<source>" → size and mtime, so a
// cron run reads only what is new or changed.
//
// FileIndexCursor looks paths up in walk order with one forward iterator (a
// merge join of the sorted listing with the sorted index, not a point
// lookup per file). FileIndexStage ("index") is the serial stage that adds
// the run's processed files to each commit. Neither is thread-safe; the
// stage is driven by the runner's serial thread only.
#ifndef INGEST_STAGES_READ_FILE_INDEX_H_
#define INGEST_STAGES_READ_FILE_INDEX_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "pipeline/stage.h"
#include "stages/dedup/state_db.h"

namespace ingest {

inline constexpr std::string_view kFileIndexPrefix = "f/";
std::string FileIndexKey(std::string_view source);
std::string EncodeFileStamp(const FileStamp& stamp);
bool DecodeFileStamp(std::string_view encoded, FileStamp* stamp);

class FileIndexCursor {
 public:
  // `*state` must outlive the cursor.
  explicit FileIndexCursor(StateDb* state);
  // The stamp recorded for `source`. REQUIRES: successive calls come in
  // ascending byte order of `source` (the walk's order).
  Result<std::optional<FileStamp>> Find(std::string_view source);

 private:
  std::unique_ptr<StateCursor> cursor_;
  std::string target_;
  bool positioned_ = false;
};

class FileIndexStage : public Stage {
 public:
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
  Status PrepareCommit(WorkerState* state,
                       StateTransaction* transaction) const override;
  Status FinishCommit(WorkerState* state) const override;
};

}  // namespace ingest

#endif  // INGEST_STAGES_READ_FILE_INDEX_H_
