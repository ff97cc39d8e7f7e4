#include "stages/emit/chunk_file.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <utility>

#include "pipeline/handoff_thread.h"

namespace ingest {

namespace {

constexpr size_t kFlushBytes = 1 << 20;
// Dirty output is handed to the disk every so many bytes, so the fsync at a
// commit point finds little left to write and the serial stage is not held
// up by a whole chunk's write-back.
constexpr uint64_t kWritebackBytes = 8 << 20;

std::string DirectoryOf(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno("emit: write", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::OK();
}

// Local disk filesystems, where direct I/O is well supported and saves the
// page-cache copy. Network filesystems are left out on purpose: direct I/O
// there is synchronous with the server. tmpfs is memory anyway.
bool WantsDirectIo(int fd) {
  struct statfs info;
  if (fstatfs(fd, &info) != 0) return false;
  switch (static_cast<unsigned long>(info.f_type)) {
    case EXT4_SUPER_MAGIC:  // also ext2 and ext3
    case XFS_SUPER_MAGIC:
    case BTRFS_SUPER_MAGIC:
      return true;
    default:
      return false;
  }
}

// Writes all of `data` at `offset`. A filesystem that refuses direct I/O for
// this request (EINVAL) gets it through the page cache instead, and so does
// everything after it on this descriptor.
Status PwriteAll(int fd, const char* data, size_t size, uint64_t offset,
                 const std::string& path) {
  while (size > 0) {
    ssize_t n = pwrite(fd, data, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      const int flags = fcntl(fd, F_GETFL);
      if (errno == EINVAL && flags >= 0 && (flags & O_DIRECT) != 0 &&
          fcntl(fd, F_SETFL, flags & ~O_DIRECT) == 0) {
        continue;
      }
      return Status::FromErrno("emit: write", path, errno);
    }
    data += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return Status::OK();
}

}  // namespace

// Bytes staged in aligned blocks and written with direct I/O: a full block
// is handed to the writer's helper thread while the next one fills, so the
// emitting thread waits for the disk only when it outruns it. The last
// block is padded to the alignment and the file then cut to its true length.
class ChunkFile::DirectWriter {
 public:
  static constexpr size_t kBlockBytes = 2 << 20;
  static constexpr size_t kAlignment = 4096;  // any logical block size up to a page

  DirectWriter(int fd, const std::string& path) : fd_(fd), path_(path) {}

  Status Append(std::string_view data) {
    while (!data.empty()) {
      if (block_ == nullptr) INGEST_RETURN_IF_ERROR(NextBlock());
      const size_t take = std::min(data.size(), kBlockBytes - filled_);
      std::memcpy(block_ + filled_, data.data(), take);
      filled_ += take;
      data.remove_prefix(take);
      if (filled_ == kBlockBytes) INGEST_RETURN_IF_ERROR(Submit());
    }
    return Status::OK();
  }

  // Writes what is staged and waits for every write.
  Status Finish() {
    INGEST_RETURN_IF_ERROR(Wait());
    if (filled_ == 0) return Status::OK();
    const uint64_t length = offset_ + filled_;
    const size_t padded = (filled_ + kAlignment - 1) / kAlignment * kAlignment;
    std::memset(block_ + filled_, 0, padded - filled_);
    INGEST_RETURN_IF_ERROR(PwriteAll(fd_, block_, padded, offset_, path_));
    offset_ = length;
    filled_ = 0;
    if (ftruncate(fd_, static_cast<off_t>(length)) != 0) {
      return Status::FromErrno("emit: truncate", path_, errno);
    }
    return Status::OK();
  }

 private:
  // Blocks outlive their writer in a small process-wide pool: a run opens
  // a chunk file after another, and blocks freed to malloc and taken again
  // were not reused well (peak RSS grew by ~40 MiB from 100,000 to 400,000
  // articles).
  class BlockPool {
   public:
    static char* Take() {
      {
        std::lock_guard<std::mutex> lock(mutex());
        if (!free().empty()) {
          char* block = free().back();
          free().pop_back();
          return block;
        }
      }
      void* memory = nullptr;
      if (posix_memalign(&memory, kAlignment, kBlockBytes) != 0) return nullptr;
      return static_cast<char*>(memory);
    }
    static void Give(char* block) {
      {
        std::lock_guard<std::mutex> lock(mutex());
        if (free().size() < kKept) {
          free().push_back(block);
          return;
        }
      }
      std::free(block);
    }

   private:
    static constexpr size_t kKept = 8;  // two per chunk file and commit in flight
    static std::mutex& mutex() {
      static std::mutex instance;
      return instance;
    }
    static std::vector<char*>& free() {
      static std::vector<char*>* instance = new std::vector<char*>();  // never destroyed
      return *instance;
    }
  };
  struct GiveBack {
    void operator()(char* block) const { BlockPool::Give(block); }
  };

  Status NextBlock() {
    std::unique_ptr<char, GiveBack>& slot = blocks_[current_];
    if (slot == nullptr) {
      slot.reset(BlockPool::Take());
      if (slot == nullptr) return Status::Internal("emit: out of memory for a direct I/O block");
    }
    block_ = slot.get();
    return Status::OK();
  }

  // Hands the full current block to the helper thread and switches to the
  // other one, once the write before has finished. The thread starts with
  // the first full block and lives as long as the writer: one per chunk
  // file rather than one per block.
  Status Submit() {
    INGEST_RETURN_IF_ERROR(Wait());
    writer_.Post(BlockWrite{block_, offset_});
    offset_ += kBlockBytes;
    filled_ = 0;
    current_ ^= 1;
    block_ = nullptr;
    return Status::OK();
  }

  // The outcome of the block handed over last, once it is written.
  Status Wait() { return writer_.Wait(); }

  const int fd_;
  const std::string path_;
  std::unique_ptr<char, GiveBack> blocks_[2];
  int current_ = 0;
  char* block_ = nullptr;  // blocks_[current_] once allocated
  size_t filled_ = 0;
  uint64_t offset_ = 0;  // where the current block goes in the file

  struct BlockWrite {
    const char* block;
    uint64_t offset;
  };
  // Declared last, so destroyed first: a block handed over is written
  // before the blocks are given back and the descriptor is closed.
  HandoffThread<BlockWrite> writer_{
      [this](BlockWrite& write) {
        return PwriteAll(fd_, write.block, kBlockBytes, write.offset, path_);
      },
      "ingest-write"};
};

std::string TempPathFor(const std::string& final_path) {
  size_t slash = final_path.rfind('/');
  if (slash == std::string::npos) return "." + final_path + ".tmp";
  return final_path.substr(0, slash + 1) + "." + final_path.substr(slash + 1) +
         ".tmp";
}

Status SyncDirectory(const std::string& directory) {
  int fd = open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno("emit: open directory", directory, errno);
  int result = fsync(fd);
  int error = errno;
  close(fd);
  if (result != 0) return Status::FromErrno("emit: fsync", directory, error);
  return Status::OK();
}

Status WriteFileAtomically(const std::string& path, std::string_view contents) {
  ChunkFile file(path);
  file.buffer()->append(contents);
  INGEST_RETURN_IF_ERROR(file.Seal());
  return file.Publish();
}

ChunkFile::ChunkFile(std::string final_path, Compression compression, int level)
    : final_path_(std::move(final_path)),
      temp_path_(TempPathFor(final_path_)),
      compressor_(Compressor::Make(compression, level)) {}

ChunkFile ChunkFile::ForDescriptor(int fd, std::string name,
                                   Compression compression, int level) {
  ChunkFile file(std::move(name), compression, level);
  file.temp_path_ = file.final_path_;
  file.fd_ = fd;
  file.owns_fd_ = false;
  return file;
}

ChunkFile::ChunkFile(ChunkFile&& other) noexcept { *this = std::move(other); }

ChunkFile& ChunkFile::operator=(ChunkFile&& other) noexcept {
  if (this != &other) {
    direct_.reset();
    if (fd_ >= 0 && owns_fd_) close(fd_);
    final_path_ = std::move(other.final_path_);
    temp_path_ = std::move(other.temp_path_);
    fd_ = std::exchange(other.fd_, -1);
    owns_fd_ = other.owns_fd_;
    written_ = other.written_;
    buffer_ = std::move(other.buffer_);
    queued_ = std::move(other.queued_);
    owned_ = std::move(other.owned_);
    queued_bytes_ = std::exchange(other.queued_bytes_, 0);
    compressor_ = std::move(other.compressor_);
    compressed_ = std::move(other.compressed_);
    frame_open_ = std::exchange(other.frame_open_, false);
    direct_ = std::move(other.direct_);
  }
  return *this;
}

ChunkFile::~ChunkFile() {
  direct_.reset();
  if (fd_ >= 0 && owns_fd_) close(fd_);
}

Status ChunkFile::Open() {
  if (fd_ >= 0) return Status::OK();
  fd_ = open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) return Status::FromErrno("emit: create", temp_path_, errno);
  const int flags = fcntl(fd_, F_GETFL);
  if (WantsDirectIo(fd_) && flags >= 0 && fcntl(fd_, F_SETFL, flags | O_DIRECT) == 0) {
    direct_ = std::make_unique<DirectWriter>(fd_, temp_path_);
  }
  return Status::OK();
}

void ChunkFile::AppendRef(std::string_view bytes) {
  if (bytes.empty()) return;
  if (!buffer_.empty()) {
    owned_.push_back(std::move(buffer_));
    buffer_.clear();
    queued_.push_back(iovec{owned_.back().data(), owned_.back().size()});
    queued_bytes_ += owned_.back().size();
  }
  queued_.push_back(iovec{const_cast<char*>(bytes.data()), bytes.size()});
  queued_bytes_ += bytes.size();
}

Status ChunkFile::WriteOut(std::string_view data) {
  if (direct_) return direct_->Append(data);
  return WriteAll(fd_, data, temp_path_);
}

Status ChunkFile::Write(std::string_view data) {
  if (!compressor_) return WriteOut(data);
  // Compressed in slices so the compressed bytes held at once stay small.
  constexpr size_t kSlice = 1 << 20;
  while (!data.empty()) {
    std::string_view slice = data.substr(0, kSlice);
    INGEST_RETURN_IF_ERROR(compressor_->Compress(slice, &compressed_));
    frame_open_ = true;
    data.remove_prefix(slice.size());
    if (compressed_.size() >= kSlice) {
      INGEST_RETURN_IF_ERROR(WriteOut(compressed_));
      compressed_.clear();
    }
  }
  return Status::OK();
}

Status ChunkFile::Flush() {
  INGEST_RETURN_IF_ERROR(WritePending());
  if (written_ - written_at_last_writeback_ >= kWritebackBytes) StartWriteback();
  return Status::OK();
}

void ChunkFile::StartWriteback() {
  written_at_last_writeback_ = written_;
  if (fd_ < 0 || !owns_fd_ || direct_) return;
  // Only a hint: a failure here (say, a file system without support) is met
  // again, and reported, by the fsync at the commit point.
  (void)sync_file_range(fd_, 0, 0, SYNC_FILE_RANGE_WRITE);
}

Status ChunkFile::WritePending() {
  if (buffer_.empty() && queued_.empty()) return Status::OK();
  INGEST_RETURN_IF_ERROR(Open());
  if (compressor_ || direct_) {
    // The bytes are copied on (into the compressor or a direct I/O block)
    // rather than handed to writev. Queued references come before what was
    // appended to the buffer since.
    for (const iovec& piece : queued_) {
      INGEST_RETURN_IF_ERROR(
          Write(std::string_view(static_cast<const char*>(piece.iov_base), piece.iov_len)));
    }
    INGEST_RETURN_IF_ERROR(Write(buffer_));
    if (compressor_) {
      INGEST_RETURN_IF_ERROR(WriteOut(compressed_));
      compressed_.clear();
    }
    written_ += queued_bytes_ + buffer_.size();
    buffer_.clear();
    queued_.clear();
    owned_.clear();
    queued_bytes_ = 0;
    return Status::OK();
  }
  if (queued_.empty()) {
    INGEST_RETURN_IF_ERROR(WriteOut(buffer_));
    written_ += buffer_.size();
    buffer_.clear();
    return Status::OK();
  }
  if (!buffer_.empty()) {
    owned_.push_back(std::move(buffer_));
    buffer_.clear();
    queued_.push_back(iovec{owned_.back().data(), owned_.back().size()});
    queued_bytes_ += owned_.back().size();
  }
  size_t next = 0;
  while (next < queued_.size()) {
    int count = static_cast<int>(std::min<size_t>(queued_.size() - next, IOV_MAX));
    ssize_t n = writev(fd_, queued_.data() + next, count);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno("emit: write", temp_path_, errno);
    }
    written_ += static_cast<uint64_t>(n);
    // Drop what was written, possibly part of one piece.
    auto left = static_cast<size_t>(n);
    while (left > 0 && left >= queued_[next].iov_len) left -= queued_[next++].iov_len;
    if (left > 0) {
      queued_[next].iov_base = static_cast<char*>(queued_[next].iov_base) + left;
      queued_[next].iov_len -= left;
    }
  }
  queued_.clear();
  owned_.clear();
  queued_bytes_ = 0;
  return Status::OK();
}

Status ChunkFile::MaybeFlush() {
  if (buffer_.size() < kFlushBytes) return Status::OK();
  return Flush();
}

Status ChunkFile::Seal() {
  INGEST_RETURN_IF_ERROR(Flush());
  if (compressor_ && frame_open_) {
    // The stream must be complete before the fsync that makes it durable.
    INGEST_RETURN_IF_ERROR(compressor_->Finish(&compressed_));
    frame_open_ = false;
    INGEST_RETURN_IF_ERROR(WriteOut(compressed_));
    compressed_.clear();
  }
  if (direct_) {
    INGEST_RETURN_IF_ERROR(direct_->Finish());
    direct_.reset();
  }
  if (fd_ < 0 || !owns_fd_) return Status::OK();
  if (fsync(fd_) != 0) return Status::FromErrno("emit: fsync", temp_path_, errno);
  int result = close(fd_);
  fd_ = -1;
  if (result != 0) return Status::FromErrno("emit: close", temp_path_, errno);
  return Status::OK();
}

Status ChunkFile::Publish() {
  if (!owns_fd_ || written_ == 0) return Status::OK();
  if (std::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
    return Status::FromErrno("emit: rename", temp_path_, errno);
  }
  return SyncDirectory(DirectoryOf(final_path_));
}

}  // namespace ingest
