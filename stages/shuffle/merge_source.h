// MergeSource: the input of a reduce task as an ArticleSource: the records
// of one partition from every map task's spill, merged in (file index,
// record index) order. Each spill's section is already in that order, so
// a k-way merge restores the order a single-machine run would see, and
// "first occurrence wins" keeps its meaning (doc/cluster.md).
//
// Reads one block per spill at a time, so memory is bounded by T blocks.
// Used by one thread.
#ifndef INGEST_STAGES_SHUFFLE_MERGE_SOURCE_H_
#define INGEST_STAGES_SHUFFLE_MERGE_SOURCE_H_

#include <cstdint>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include "pipeline/runner.h"
#include "stages/shuffle/shuffle_format.h"

namespace ingest {

class MergeSource : public ArticleSource {
 public:
  // Opens partition `partition` of every spill file in `spill_paths`.
  static Result<std::unique_ptr<MergeSource>> Open(
      const std::vector<std::string>& spill_paths, uint32_t partition);
  ~MergeSource() override;

  Result<bool> Next(Article* article) override;
  uint64_t total_records() const { return total_records_; }

 private:
  struct Cursor {
    std::string path;
    int fd = -1;
    std::vector<SpillIndex::Extent> extents;
    size_t next_extent = 0;
    std::string block;
    std::string_view remaining;
    SpillRecord head;
  };
  MergeSource() = default;
  // Moves `cursor` to its next record; false at its end.
  Result<bool> Advance(Cursor& cursor);

  struct Later {
    const MergeSource* self;
    bool operator()(size_t a, size_t b) const;
  };
  std::vector<Cursor> cursors_;
  std::priority_queue<size_t, std::vector<size_t>, Later> heap_{Later{this}};
  uint64_t total_records_ = 0;
};

}  // namespace ingest

#endif  // INGEST_STAGES_SHUFFLE_MERGE_SOURCE_H_
