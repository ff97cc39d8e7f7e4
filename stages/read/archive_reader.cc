#include "stages/read/archive_reader.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

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
  if (archive_read_open_fd(reader->archive_, reader->fd_, kBlockBytes) != ARCHIVE_OK) {
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
  if (result == ARCHIVE_EOF) return false;
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
  char buffer[64 << 10];
  while (true) {
    la_ssize_t n = archive_read_data(archive_, buffer, sizeof(buffer));
    if (n < 0) {
      if (n == ARCHIVE_WARN) continue;
      out->clear();
      return Status::Corruption("archive: " + path_ + ": " + ErrorOf(archive_));
    }
    if (n == 0) break;
    total += static_cast<uint64_t>(n);
    if (total > limit) {
      // The rest is skipped by the next header read.
      out->clear();
      return total;
    }
    out->append(buffer, static_cast<size_t>(n));
  }
  return total;
}

uint64_t ArchiveReader::compressed_bytes_read() const {
  la_int64_t consumed = archive_filter_bytes(archive_, -1);
  return consumed > 0 ? static_cast<uint64_t>(consumed) : 0;
}

}  // namespace ingest
