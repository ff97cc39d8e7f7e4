#include "stages/shuffle/merge_source.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace ingest {

bool MergeSource::Later::operator()(size_t a, size_t b) const {
  const SpillRecord& x = self->cursors_[a].head;
  const SpillRecord& y = self->cursors_[b].head;
  if (x.file_index != y.file_index) return x.file_index > y.file_index;
  if (x.record_index != y.record_index) return x.record_index > y.record_index;
  return a > b;
}

Result<std::unique_ptr<MergeSource>> MergeSource::Open(
    const std::vector<std::string>& spill_paths, uint32_t partition) {
  std::unique_ptr<MergeSource> source(new MergeSource());
  source->cursors_.resize(spill_paths.size());
  for (size_t i = 0; i < spill_paths.size(); ++i) {
    Cursor& cursor = source->cursors_[i];
    cursor.path = spill_paths[i];
    INGEST_ASSIGN_OR_RETURN(SpillIndex index, SpillIndex::Load(cursor.path));
    if (partition >= index.partitions.size()) {
      return Status::Corruption("reduce: spill has fewer partitions than the plan: " +
                                cursor.path);
    }
    cursor.extents = std::move(index.partitions[partition]);
    source->total_records_ += index.records[partition];
    cursor.fd = open(cursor.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (cursor.fd < 0) return Status::FromErrno("reduce: open spill", cursor.path, errno);
  }
  for (size_t i = 0; i < source->cursors_.size(); ++i) {
    INGEST_ASSIGN_OR_RETURN(bool has, source->Advance(source->cursors_[i]));
    if (has) source->heap_.push(i);
  }
  return source;
}

MergeSource::~MergeSource() {
  for (Cursor& cursor : cursors_) {
    if (cursor.fd >= 0) close(cursor.fd);
  }
}

Result<bool> MergeSource::Advance(Cursor& cursor) {
  while (cursor.remaining.empty()) {
    if (cursor.next_extent == cursor.extents.size()) return false;
    const SpillIndex::Extent& extent = cursor.extents[cursor.next_extent++];
    cursor.block.resize(extent.size);
    size_t done = 0;
    while (done < extent.size) {
      ssize_t n = pread(cursor.fd, cursor.block.data() + done, extent.size - done,
                        static_cast<off_t>(extent.offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Status::FromErrno("reduce: read spill", cursor.path, errno);
      if (n == 0) return Status::Corruption("reduce: spill shorter than its index: " + cursor.path);
      done += static_cast<size_t>(n);
    }
    cursor.remaining = cursor.block;
  }
  INGEST_RETURN_IF_ERROR(ReadSpillRecord(&cursor.remaining, &cursor.head));
  return true;
}

Result<bool> MergeSource::Next(Article* article) {
  if (heap_.empty()) return false;
  size_t i = heap_.top();
  heap_.pop();
  Cursor& cursor = cursors_[i];
  SpillRecordToArticle(std::move(cursor.head), article);
  cursor.head = SpillRecord();
  INGEST_ASSIGN_OR_RETURN(bool has, Advance(cursor));
  if (has) heap_.push(i);
  return true;
}

}  // namespace ingest
