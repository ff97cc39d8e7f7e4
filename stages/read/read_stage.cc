#include "stages/read/read_stage.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "pipeline/string_growth.h"

namespace ingest {

namespace {

// A worker's read buffer, for files whose size fstat did not tell (or that
// grew while being read); the rest are read straight into the article.
class ReadState : public WorkerState {
 public:
  std::vector<char> buffer = std::vector<char>(256 << 10);
};

Disposition Reject(Article& article, QuarantineReason reason,
                   std::string detail) {
  article.Quarantine(reason, std::move(detail));
  return Disposition::kRejected;
}

FileStamp StampOf(const struct stat& info) {
  return FileStamp{static_cast<uint64_t>(info.st_size),
                   static_cast<int64_t>(info.st_mtim.tv_sec) * 1000000000 +
                       info.st_mtim.tv_nsec};
}

// fstat(2) itself: glibc 2.36 implements fstat() as fstatat(fd, "",
// AT_EMPTY_PATH), which copies and resolves the empty name in the kernel
// first (0.06 of a run's ~2.1 CPU-s over the bench corpus). On x86-64 the
// kernel's struct stat is glibc's.
int StatOpenFile(int fd, struct stat* info) {
#if defined(__x86_64__) && defined(SYS_fstat)
  return static_cast<int>(syscall(SYS_fstat, fd, info));
#else
  return fstat(fd, info);
#endif
}

}  // namespace

std::unique_ptr<WorkerState> ReadStage::NewWorkerState() const {
  return std::make_unique<ReadState>();
}

Result<Disposition> ReadStage::Process(Article& article,
                                       WorkerState* state) const {
  if (article.outcome == Outcome::kQuarantined) return Disposition::kRejected;
  if (article.path.empty()) {
    // An archive member: the source read its bytes already (libarchive is
    // sequential) and applied the size limit.
    if (article.raw.empty()) {
      return Reject(article, QuarantineReason::kEmptyFile, "the file has no bytes");
    }
    return Disposition::kContinue;
  }
  std::vector<char>& buffer = static_cast<ReadState*>(state)->buffer;

  // Relative to the open directory the walker listed it from, when there
  // is one: the kernel does not walk the whole path again.
  const int directory_fd = article.directory ? article.directory->fd() : AT_FDCWD;
  const char* name = article.path.c_str() + (article.directory ? article.name_offset : 0);
  if (article.known_stamp) {
    // Processed by an earlier run: unchanged unless size or mtime moved, or
    // something that could not be stat-ed then can be now.
    struct stat info;
    bool unchanged =
        fstatat(directory_fd, name, &info, 0) == 0
            ? S_ISREG(info.st_mode) && StampOf(info) == *article.known_stamp
            : *article.known_stamp == FileStamp::Unreadable();
    if (unchanged) {
      article.outcome = Outcome::kUnchanged;
      return Disposition::kDuplicate;
    }
  }
  int fd = openat(directory_fd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    int open_errno = errno;
    struct stat info;
    if (stat(article.path.c_str(), &info) == 0) article.stamp = StampOf(info);
    return Reject(article, QuarantineReason::kUnreadable,
                  std::string("open: ") + std::strerror(open_errno));
  }
  // Stamped before reading: a write after this moves the mtime, so the
  // next run reads the file again.
  struct stat info;
  const bool stated = StatOpenFile(fd, &info) == 0;
  if (stated) article.stamp = StampOf(info);
  article.raw.clear();
  uint64_t total = 0;
  const uint64_t limit = options_.max_file_size;
  int read_errno = 0;
  bool at_end = false;
  if (stated && S_ISREG(info.st_mode) && static_cast<uint64_t>(info.st_size) < limit) {
    // The common case in one read(2), straight into the article: asking
    // one byte more than fstat's size makes a short read the end of the
    // file, so no second read is needed to see it. A file that grew since
    // the fstat fills the request and is read on below.
    const size_t request = static_cast<size_t>(info.st_size) + 1;
    GrowUninitialized(&article.raw, request);
    ssize_t n;
    do {
      n = read(fd, article.raw.data(), request);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      read_errno = errno;
      article.raw.clear();
    } else {
      article.raw.resize(static_cast<size_t>(n));
      total = static_cast<uint64_t>(n);
      at_end = static_cast<size_t>(n) < request;
    }
  }
  while (!at_end && read_errno == 0) {
    ssize_t n = read(fd, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      read_errno = errno;
      break;
    }
    if (n == 0) break;
    total += static_cast<uint64_t>(n);
    if (total > limit) break;
    article.raw.append(buffer.data(), static_cast<size_t>(n));
  }
  close(fd);
  article.bytes_read = total;
  if (read_errno != 0) {
    article.raw.clear();
    return Reject(article, QuarantineReason::kUnreadable,
                  std::string("read: ") + std::strerror(read_errno));
  }
  if (total > limit) {
    article.raw.clear();
    return Reject(article, QuarantineReason::kTooLarge,
                  "larger than the maximum file size of " +
                      std::to_string(limit) + " bytes");
  }
  if (total == 0) {
    return Reject(article, QuarantineReason::kEmptyFile, "the file has no bytes");
  }
  return Disposition::kContinue;
}

}  // namespace ingest
