// ChunkFile: one output chunk being written: records are buffered and
// written in large writes to a hidden temp file beside the final name;
// Seal() makes it durable (fsync), Publish() renames it into place and
// syncs the directory. A reader never sees a partial chunk.
//
// With a Compression, the bytes go through a streaming compressor on their
// way out; Seal() finishes the compressed stream before it fsyncs, so a
// published chunk is always a complete .zst / .gz file (size() still counts
// the uncompressed bytes appended).
//
// On a local disk filesystem (ext4, XFS, btrfs) the temp file is written
// with direct I/O: the bytes go from an aligned staging block to the disk,
// one block in flight on a helper thread while the next one fills, instead
// of being copied into the page cache and written back later (that copy and
// write-back cost a run as much CPU as hashing; the output no longer evicts
// the input from the cache either). Elsewhere, or where the kernel refuses,
// it is written through the page cache as before.
//
// Used by one thread. The file is created on the first Append, so a chunk
// without records leaves nothing behind.
#ifndef INGEST_STAGES_EMIT_CHUNK_FILE_H_
#define INGEST_STAGES_EMIT_CHUNK_FILE_H_

#include <sys/uio.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/status.h"
#include "stages/emit/compression.h"

namespace ingest {

class ChunkFile {
 public:
  // `final_path` is where Publish() puts it; the temp file is
  // "<dir>/.<name>.tmp". fd >= 0 writes straight to that descriptor
  // instead (stdout), with no temp file and nothing to publish.
  explicit ChunkFile(std::string final_path,
                     Compression compression = Compression::kNone, int level = 0);
  static ChunkFile ForDescriptor(int fd, std::string name,
                                 Compression compression = Compression::kNone,
                                 int level = 0);
  ChunkFile(ChunkFile&& other) noexcept;
  ChunkFile& operator=(ChunkFile&& other) noexcept;
  ~ChunkFile();

  // The record buffer to append to; call MaybeFlush() after appending.
  std::string* buffer() { return &buffer_; }
  Status MaybeFlush();
  // Queues `bytes` to be written, without copying, by the next Flush();
  // they must stay valid and unchanged until then. Keeps order with what
  // was appended to buffer() before.
  void AppendRef(std::string_view bytes);
  // Writes everything appended so far (one writev for queued references).
  Status Flush();
  // Bytes appended so far, written or not.
  uint64_t size() const { return written_ + buffer_.size() + queued_bytes_; }
  bool empty() const { return size() == 0; }

  // Writes what is buffered and fsyncs; the file stays a temp file.
  Status Seal();
  // Renames the sealed temp file to its final path and syncs the directory.
  Status Publish();

  const std::string& final_path() const { return final_path_; }
  const std::string& temp_path() const { return temp_path_; }
  // True while the open temp file is written with direct I/O.
  bool direct_io() const { return direct_ != nullptr; }

 private:
  class DirectWriter;
  Status Open();
  // Writes `data` to the file, through the compressor when there is one.
  Status Write(std::string_view data);
  // Writes `data` as it is: staged for direct I/O, or write(2).
  Status WriteOut(std::string_view data);
  Status WritePending();
  // Starts write-back of what is written so far, without waiting for it.
  void StartWriteback();
  std::string final_path_;
  std::string temp_path_;
  int fd_ = -1;
  bool owns_fd_ = true;
  uint64_t written_ = 0;
  uint64_t written_at_last_writeback_ = 0;
  std::string buffer_;
  std::vector<iovec> queued_;        // written in this order by Flush()
  std::deque<std::string> owned_;    // buffer contents queued before a ref
  uint64_t queued_bytes_ = 0;
  std::unique_ptr<Compressor> compressor_;  // null: written as is
  std::string compressed_;                  // compressor output, reused
  bool frame_open_ = false;                 // bytes compressed since Finish()
  std::unique_ptr<DirectWriter> direct_;    // null: through the page cache
};

// "<dir>/.<name>.tmp" for "<dir>/<name>".
std::string TempPathFor(const std::string& final_path);
// fsync of a directory, so a rename in it is durable.
Status SyncDirectory(const std::string& directory);
// Writes `contents` to `path` atomically: temp file, fsync, rename, fsync
// of the directory.
Status WriteFileAtomically(const std::string& path, std::string_view contents);

}  // namespace ingest

#endif  // INGEST_STAGES_EMIT_CHUNK_FILE_H_
