#include "stages/read/archive_reader.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#if defined(INGEST_HAVE_ISAL)
#include <isa-l/igzip_lib.h>
#endif

namespace ingest {

namespace {

constexpr size_t kBlockBytes = 1 << 20;

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         text.substr(text.size() - suffix.size()) == suffix;
}

std::string ErrorOf(struct archive* handle) {
  const char* message = archive_error_string(handle);
  return message != nullptr ? message : "unknown libarchive error";
}

// "./a/b.txt" and "/a/b.txt" are stored as "a/b.txt", as tar extracts them.
std::string NormalisedName(std::string_view name) {
  while (true) {
    if (name.substr(0, 2) == "./") {
      name.remove_prefix(2);
    } else if (!name.empty() && name.front() == '/') {
      name.remove_prefix(1);
    } else {
      break;
    }
  }
  return std::string(name);
}

}  // namespace

#if defined(INGEST_HAVE_ISAL)
// gzip inflated by ISA-L and handed to libarchive as the stream it would
// have inflated itself: concatenated members are read one after another;
// bytes after a member that do not start another (zero padding, say) end
// the stream, as they do for libarchive and gzip. isal_inflate checks each
// member's CRC and length; an error is reported after the bytes inflated
// before it, and Drain() reports one that lies after the tar's end marker
// (libarchive stops reading there, and its own gzip reader never sees it).
class ArchiveReader::GzipInflater {
 public:
  explicit GzipInflater(int fd) : fd_(fd) { StartMember(); }

  // libarchive's read callback: the next inflated bytes, 0 at the end, -1
  // with the archive's error set.
  static la_ssize_t Read(struct archive* archive, void* self, const void** buffer) {
    GzipInflater* inflater = static_cast<GzipInflater*>(self);
    const la_ssize_t size = inflater->Inflate();
    if (size < 0) {
      archive_set_error(archive, inflater->error_number_, "%s", inflater->error_.c_str());
      return -1;
    }
    *buffer = inflater->output_.data();
    return size;
  }

  // Inflates what is left after libarchive's last read; the first error.
  Status Drain() {
    la_ssize_t size;
    while ((size = Inflate()) > 0) {
    }
    return size < 0 ? Status::Corruption(error_) : Status::OK();
  }

  uint64_t compressed_bytes_read() const { return read_ - state_.avail_in; }

 private:
  static constexpr size_t kBytes = 1 << 20;

  // A fresh inflate state for the member at next_in; the buffers in use
  // stay (isal_inflate_init clears them).
  void StartMember() {
    uint8_t* const next_in = state_.next_in;
    const uint32_t avail_in = state_.avail_in;
    uint8_t* const next_out = state_.next_out;
    const uint32_t avail_out = state_.avail_out;
    isal_inflate_init(&state_);
    state_.crc_flag = ISAL_GZIP;
    state_.next_in = next_in;
    state_.avail_in = avail_in;
    state_.next_out = next_out;
    state_.avail_out = avail_out;
  }

  // Moves the unconsumed input to the front and reads more after it.
  bool Fill() {
    const size_t left = state_.avail_in;
    if (left > 0) std::memmove(input_.data(), state_.next_in, left);
    ssize_t n;
    do {
      n = read(fd_, input_.data() + left, input_.size() - left);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return Fail(errno, std::string("read: ") + std::strerror(errno));
    if (n == 0) at_end_of_file_ = true;
    read_ += static_cast<uint64_t>(n);
    state_.next_in = input_.data();
    state_.avail_in = static_cast<uint32_t>(left + static_cast<size_t>(n));
    return true;
  }

  bool Fail(int error_number, std::string message) {
    error_number_ = error_number;
    error_ = std::move(message);
    return false;
  }
  bool Corrupt(const char* what) {
    return Fail(EILSEQ, std::string("gzip: ") + what);  // libarchive's file-format errno
  }

  // Inflates into output_: how many bytes, 0 at the end, -1 after an error.
  la_ssize_t Inflate() {
    if (!error_.empty()) return -1;
    if (finished_) return 0;
    state_.next_out = output_.data();
    state_.avail_out = kBytes;
    // Stops at the first error; the bytes before it go out first.
    while (state_.avail_out == kBytes && Step()) {
    }
    const size_t produced = kBytes - state_.avail_out;
    if (produced > 0) return static_cast<la_ssize_t>(produced);
    return error_.empty() ? 0 : -1;
  }

  // One step of inflating; false at the end of the stream or on an error.
  bool Step() {
    if (state_.block_state == ISAL_BLOCK_FINISH) {
      // A member ended, its trailer checked: another may follow.
      while (state_.avail_in < 2 && !at_end_of_file_) {
        if (!Fill()) return false;
      }
      if (state_.avail_in < 2 || state_.next_in[0] != 0x1f || state_.next_in[1] != 0x8b) {
        finished_ = true;
        return false;
      }
      StartMember();
    }
    if (state_.avail_in == 0) {
      if (at_end_of_file_) return Corrupt("truncated input");
      return Fill();
    }
    const uint32_t in_before = state_.avail_in;
    const uint32_t out_before = state_.avail_out;
    switch (isal_inflate(&state_)) {
      case ISAL_DECOMP_OK:
      case ISAL_END_INPUT:  // some ISA-L versions: a header cut by the buffer's end
        break;
      case ISAL_INCORRECT_CHECKSUM: return Corrupt("CRC or length mismatch");
      case ISAL_INVALID_WRAPPER: return Corrupt("not a gzip header");
      case ISAL_UNSUPPORTED_METHOD: return Corrupt("not deflate-compressed");
      default: return Corrupt("invalid compressed data");
    }
    if (state_.avail_in == in_before && state_.avail_out == out_before &&
        state_.block_state != ISAL_BLOCK_FINISH) {
      // It wants more input than is buffered.
      if (at_end_of_file_) return Corrupt("truncated input");
      if (state_.avail_in == input_.size()) return Corrupt("no progress");
      return Fill();
    }
    return true;
  }

  const int fd_;
  inflate_state state_{};
  std::vector<uint8_t> input_ = std::vector<uint8_t>(kBytes);
  std::vector<uint8_t> output_ = std::vector<uint8_t>(kBytes);
  uint64_t read_ = 0;
  bool at_end_of_file_ = false;
  bool finished_ = false;
  int error_number_ = 0;
  std::string error_;  // the first error; empty while there is none
};
#else
class ArchiveReader::GzipInflater {};
#endif

ArchiveReader::ArchiveReader() = default;

bool ArchiveReader::ChecksWholeGzipStream() {
#if defined(INGEST_HAVE_ISAL)
  return true;
#else
  return false;
#endif
}

std::string_view ArchiveReader::GzipImplementation() {
  return ChecksWholeGzipStream() ? "isa-l igzip" : "zlib (libarchive)";
}

bool IsArchiveName(std::string_view name) {
  for (std::string_view suffix : {".tar", ".tar.gz", ".tgz", ".tar.zst", ".tzst",
                                  ".tar.xz", ".txz", ".tar.bz2", ".tbz2"}) {
    if (EndsWith(name, suffix)) return true;
  }
  return false;
}

Result<std::unique_ptr<ArchiveReader>> ArchiveReader::Open(const std::string& path) {
  std::unique_ptr<ArchiveReader> reader(new ArchiveReader());
  reader->path_ = path;
  // O_NONBLOCK: a FIFO named like an archive must not hang the run.
  reader->fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (reader->fd_ < 0) return Status::FromErrno("archive: open", path, errno);
  struct stat info;
  if (fstat(reader->fd_, &info) != 0) {
    return Status::FromErrno("archive: fstat", path, errno);
  }
  if (!S_ISREG(info.st_mode)) {
    return Status::IOError("archive: " + path + ": not a regular file");
  }
  reader->stamp_ = FileStamp{static_cast<uint64_t>(info.st_size),
                             static_cast<int64_t>(info.st_mtim.tv_sec) * 1000000000 +
                                 info.st_mtim.tv_nsec};
  // Back to blocking reads now that it is known to be a regular file.
  fcntl(reader->fd_, F_SETFL, fcntl(reader->fd_, F_GETFL) & ~O_NONBLOCK);
  reader->archive_ = archive_read_new();
  if (reader->archive_ == nullptr) return Status::Internal("archive: archive_read_new failed");
  archive_read_support_filter_all(reader->archive_);
  archive_read_support_format_tar(reader->archive_);
  int opened;
#if defined(INGEST_HAVE_ISAL)
  unsigned char magic[2] = {0, 0};
  if (pread(reader->fd_, magic, sizeof(magic), 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
    reader->inflater_ = std::make_unique<GzipInflater>(reader->fd_);
    opened = archive_read_open(reader->archive_, reader->inflater_.get(), nullptr,
                               &GzipInflater::Read, nullptr);
  } else {
    opened = archive_read_open_fd(reader->archive_, reader->fd_, kBlockBytes);
  }
#else
  opened = archive_read_open_fd(reader->archive_, reader->fd_, kBlockBytes);
#endif
  if (opened != ARCHIVE_OK) {
    return Status::Corruption("archive: " + path + ": " + ErrorOf(reader->archive_));
  }
  return reader;
}

ArchiveReader::~ArchiveReader() {
  if (archive_ != nullptr) archive_read_free(archive_);
  if (fd_ >= 0) close(fd_);
}

Result<bool> ArchiveReader::NextMember(ArchiveMember* member) {
  struct archive_entry* entry = nullptr;
  int result = archive_read_next_header(archive_, &entry);
  if (result == ARCHIVE_EOF) {
#if defined(INGEST_HAVE_ISAL)
    if (inflater_) {
      Status drained = inflater_->Drain();
      if (!drained.ok()) return Status::Corruption("archive: " + path_ + ": " + drained.message());
    }
#endif
    return false;
  }
  // ARCHIVE_WARN: the header was read (an unknown pax keyword, say).
  if (result != ARCHIVE_OK && result != ARCHIVE_WARN) {
    return Status::Corruption("archive: " + path_ + ": " + ErrorOf(archive_));
  }
  const char* name = archive_entry_pathname(entry);
  member->name = NormalisedName(name != nullptr ? name : "");
  member->link_target.clear();
  if (const char* hardlink = archive_entry_hardlink(entry)) {
    member->type = ArchiveMember::Type::kHardlink;
    member->link_target = hardlink;
  } else {
    switch (archive_entry_filetype(entry)) {
      case AE_IFREG: member->type = ArchiveMember::Type::kFile; break;
      case AE_IFDIR: member->type = ArchiveMember::Type::kDirectory; break;
      case AE_IFLNK: {
        member->type = ArchiveMember::Type::kSymlink;
        const char* target = archive_entry_symlink(entry);
        member->link_target = target != nullptr ? target : "";
        break;
      }
      default: member->type = ArchiveMember::Type::kOther; break;
    }
  }
  member->size.reset();
  if (archive_entry_size_is_set(entry)) {
    member->size = static_cast<uint64_t>(archive_entry_size(entry));
  }
  member->stamp.size = member->size.value_or(0);
  member->stamp.mtime_ns = static_cast<int64_t>(archive_entry_mtime(entry)) * 1000000000 +
                           (archive_entry_mtime_is_set(entry) ? archive_entry_mtime_nsec(entry) : 0);
  return true;
}

Result<uint64_t> ArchiveReader::ReadData(uint64_t limit, std::string* out) {
  out->clear();
  uint64_t total = 0;
  while (true) {
    // Blocks point into libarchive's own buffer: one copy, into *out.
    const void* block = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    const int result = archive_read_data_block(archive_, &block, &size, &offset);
    if (result == ARCHIVE_EOF) break;
    if (result != ARCHIVE_OK && result != ARCHIVE_WARN) {
      out->clear();
      return Status::Corruption("archive: " + path_ + ": " + ErrorOf(archive_));
    }
    // A sparse member's hole reads as zeros, as archive_read_data gives it.
    const uint64_t hole = offset > 0 && static_cast<uint64_t>(offset) > total
                              ? static_cast<uint64_t>(offset) - total
                              : 0;
    total += hole + size;
    if (total > limit) {
      // The rest is skipped by the next header read.
      out->clear();
      return total;
    }
    out->append(hole, '\0');
    out->append(static_cast<const char*>(block), size);
  }
  return total;
}

uint64_t ArchiveReader::compressed_bytes_read() const {
#if defined(INGEST_HAVE_ISAL)
  if (inflater_) return inflater_->compressed_bytes_read();
#endif
  la_int64_t consumed = archive_filter_bytes(archive_, -1);
  return consumed > 0 ? static_cast<uint64_t>(consumed) : 0;
}

}  // namespace ingest
