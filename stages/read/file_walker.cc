#include "stages/read/file_walker.h"

#include "pipeline/test_hooks.h"
#include "stages/read/archive_reader.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ingest {

namespace {

std::string WithSlash(std::string path) {
  if (path.empty() || path.back() != '/') path.push_back('/');
  return path;
}

void QuarantineUnreadable(Article* article, std::string source,
                          std::string_view what, int errnum) {
  article->source = std::move(source);
  article->path.clear();
  article->Quarantine(QuarantineReason::kUnreadable,
                      std::string(what) + ": " + std::strerror(errnum));
}

FileStamp StampOf(const struct stat& info) {
  return FileStamp{static_cast<uint64_t>(info.st_size),
                   static_cast<int64_t>(info.st_mtim.tv_sec) * 1000000000 +
                       info.st_mtim.tv_nsec};
}

std::string_view LastComponent(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

struct FileWalker::OpenArchive {
  std::unique_ptr<ArchiveReader> reader;
  std::string source;
  uint64_t members = 0;
  uint64_t counted_bytes = 0;     // compressed bytes added to archive_bytes_
  bool indexed_members = false;   // an earlier run indexed some members
  bool filtered = false;          // a member was left out by the filter
};

FileWalker::~FileWalker() = default;

bool IsArticleFileName(std::string_view name) {
  return name.size() >= 4 && name.substr(name.size() - 4) == ".txt";
}

void FileWalker::Level::Add(std::string_view name, unsigned char type) {
  entries.push_back(Entry{static_cast<uint32_t>(names.size()),
                          static_cast<uint32_t>(name.size()), type});
  names.insert(names.end(), name.begin(), name.end());
}

FileWalker::FileWalker(std::vector<std::string> inputs, FileIndexCursor* index,
                       bool trust_names, WalkOptions options)
    : prefetcher_(&FileWalker::List, "ingest-list"),
      index_(index),
      trust_names_(trust_names),
      options_(std::move(options)) {
  struct Input {
    std::string sort_key;
    std::string name;
    unsigned char type;
  };
  std::vector<Input> sorted;
  for (std::string& input : inputs) {
    struct stat info;
    bool is_directory = stat(input.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
    std::string sort_key = is_directory ? WithSlash(input) : input;
    sorted.push_back(Input{std::move(sort_key), std::move(input),
                           static_cast<unsigned char>(is_directory ? DT_DIR : DT_UNKNOWN)});
  }
  std::sort(sorted.begin(), sorted.end(),
            [](const Input& a, const Input& b) { return a.sort_key < b.sort_key; });
  for (const Input& input : sorted) inputs_.Add(input.name, input.type);
}

namespace {

// Whether `a` sorts before `b` once a directory's name is followed by '/':
// that order makes a depth-first walk yield full paths in byte-wise order
// ("a.txt" < "a/b.txt", as '.' < '/'). Names never contain '/'.
bool SortsBefore(std::string_view a, bool a_is_directory, std::string_view b,
                 bool b_is_directory) {
  const size_t common = std::min(a.size(), b.size());
  if (int order = std::memcmp(a.data(), b.data(), common); order != 0) return order < 0;
  if (a.size() == b.size()) return !a_is_directory && b_is_directory;
  if (a.size() < b.size()) {
    // a, or a + '/', against b's next byte (which is not '/').
    return !a_is_directory || '/' < static_cast<unsigned char>(b[common]);
  }
  return b_is_directory && static_cast<unsigned char>(a[common]) < '/';
}

}  // namespace

FileWalker::Listing FileWalker::List(const ListRequest& request) {
  Listing listing;
  // Opened once and kept: the listing reads through a duplicate, and the
  // read stage opens each listed file relative to the original.
  const int fd = open(request.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  const int listing_fd = fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 0);
  DIR* dir = listing_fd < 0 ? nullptr : fdopendir(listing_fd);
  if (dir == nullptr) {
    listing.failed_errno = errno;
    listing.failed_call = "opendir";
    if (listing_fd >= 0) close(listing_fd);
    if (fd >= 0) close(fd);
    return listing;
  }
  Level& level = listing.level;
  level.source_prefix = WithSlash(request.source);
  level.path_prefix = WithSlash(request.path);
  level.directory = std::make_shared<const OpenDirectory>(fd);
  std::string full;
  errno = 0;
  while (struct dirent* item = readdir(dir)) {
    std::string_view name(item->d_name);
    if (name == "." || name == "..") continue;
    unsigned char type = item->d_type;
    if (type == DT_UNKNOWN) {
      struct stat info;
      full.assign(level.path_prefix).append(name);
      if (lstat(full.c_str(), &info) == 0) {
        if (S_ISDIR(info.st_mode)) type = DT_DIR;
        else if (S_ISREG(info.st_mode)) type = DT_REG;
        else if (S_ISLNK(info.st_mode)) type = DT_LNK;
        else type = DT_FIFO;  // any other special file
      }
    }
    level.Add(name, type);
  }
  const int read_error = errno;
  closedir(dir);
  if (read_error != 0) {
    listing.failed_errno = read_error;
    listing.failed_call = "readdir";
    return listing;
  }
  std::sort(level.entries.begin(), level.entries.end(),
            [&level](const Entry& a, const Entry& b) {
              return SortsBefore(level.NameOf(a), a.type == DT_DIR,
                                 level.NameOf(b), b.type == DT_DIR);
            });
  return listing;
}

bool FileWalker::PushDirectory(const std::string& source,
                               const std::string& path, Article* failure) {
  // Only a subdirectory of the level on top can have been listed ahead.
  std::optional<Listing> listing;
  if (!stack_.empty() && stack_.back().listings_pending > 0) {
    listing = prefetcher_.Take(path);
    if (listing) --stack_.back().listings_pending;
  }
  if (!listing) listing = List(ListRequest{source, path});
  if (!stack_.empty()) {
    size_t& largest = stack_.back().largest_subdirectory;
    largest = std::max(largest, listing->level.entries.size());
  }
  if (listing->failed_call != nullptr) {
    QuarantineUnreadable(failure, source, listing->failed_call, listing->failed_errno);
    return false;
  }
  stack_.push_back(std::move(listing->level));
  ListAhead(stack_.back());
  TestHook("walk.listed");
  return true;
}

void FileWalker::ListAhead(Level& level) {
  // Only entries readdir (or the listing's lstat) says are directories,
  // and that the filter keeps: exactly those Visit() will push.
  // One ahead until a subdirectory of this level has been entered and was
  // small: a dump's directories tend to be alike, and an unknown one may
  // hold millions of names.
  const bool small = level.largest_subdirectory > 0 && level.largest_subdirectory <= kBigListing;
  const size_t ahead = small ? kListingsAhead : 1;
  while (level.listings_pending < ahead &&
         level.considered_for_prefetch < level.entries.size()) {
    const Entry entry = level.entries[level.considered_for_prefetch++];
    if (entry.type != DT_DIR) continue;
    const std::string_view name = level.NameOf(entry);
    std::string source = level.source_prefix + std::string(name);
    if (options_.filter.Prunes(source, name)) continue;
    std::string path = level.path_prefix + std::string(name);
    prefetcher_.Add(path, ListRequest{std::move(source), path});
    ++level.listings_pending;
  }
}

Result<bool> FileWalker::Visit(const Level& level, Entry entry,
                               Article* article) {
  const std::string_view entry_name = level.NameOf(entry);
  // Built in the article's own (recycled) buffers.
  std::string& source = article->source;
  std::string& path = article->path;
  source.assign(level.source_prefix).append(entry_name);
  path.assign(level.path_prefix).append(entry_name);
  article->directory.reset();
  unsigned char type = entry.type;
  if (type == DT_LNK || type == DT_UNKNOWN) {
    // Follow symlinks to files; a symlink to a directory is not walked
    // (loops), a broken one is reported.
    struct stat info;
    if (stat(path.c_str(), &info) != 0) {
      if (!IsArticleFileName(entry_name)) {
        ++skipped_;
        return false;
      }
      QuarantineUnreadable(article, source, "stat", errno);
      return true;
    }
    if (S_ISDIR(info.st_mode)) {
      if (entry.type == DT_UNKNOWN) {  // type unknown from readdir
        return !PushDirectory(std::string(source), std::string(path), article);
      }
      ++skipped_;
      return false;
    }
    type = S_ISREG(info.st_mode) ? DT_REG : DT_FIFO;
  }
  // A command-line input's "name" is its whole spelling; filters look at
  // its last component.
  std::string_view name = LastComponent(entry_name);
  if (type == DT_DIR) {
    if (options_.filter.Prunes(source, name)) return false;
    return !PushDirectory(std::string(source), std::string(path), article);
  }
  if (type == DT_REG && IsArchiveName(entry_name)) {
    if (options_.filter.Prunes(source, name)) {
      ++excluded_;
      return false;
    }
    if (!options_.open_archives) {
      ++archives_passed_;
      return false;
    }
    return StartArchive(std::string(source), std::string(path), article);
  }
  if (!IsArticleFileName(entry_name) && !level.source_prefix.empty()) {
    ++skipped_;
    return false;
  }
  if (!options_.filter.Keeps(source, name)) {
    ++excluded_;
    return false;
  }
  if (type != DT_REG) {
    path.clear();
    article->Quarantine(QuarantineReason::kUnreadable,
                        "not a regular file (FIFO, socket or device)");
    return true;
  }
  if (level.directory != nullptr) {
    article->directory = level.directory;
    article->name_offset = level.path_prefix.size();
  }
  return true;
}

Result<bool> FileWalker::Next(Article* article) {
  while (true) {
    if (archive_) {
      // Members are looked up in the index by NextMember itself: they come
      // in archive order, not in the walk's byte order.
      INGEST_ASSIGN_OR_RETURN(bool produced, NextMember(article));
      if (!produced) continue;
      ++produced_;
      return true;
    }
    if (!stack_.empty()) {
      Level& level = stack_.back();
      if (level.next == level.entries.size()) {
        stack_.pop_back();
        continue;
      }
      const Entry entry = level.entries[level.next++];
      if (entry.type == DT_DIR) ListAhead(level);
      INGEST_ASSIGN_OR_RETURN(bool visited, Visit(level, entry, article));
      if (!visited) continue;
    } else {
      if (inputs_.next == inputs_.entries.size()) return false;
      // A file named on the command line is read whatever its name.
      const Entry entry = inputs_.entries[inputs_.next++];
      INGEST_ASSIGN_OR_RETURN(bool visited, Visit(inputs_, entry, article));
      if (!visited) continue;
    }
    INGEST_ASSIGN_OR_RETURN(bool produce, Known(article));
    if (produce) {
      ++produced_;
      return true;
    }
    article->Reset();  // keeps its buffers for the next entry
  }
}

Result<bool> FileWalker::StartArchive(const std::string& source,
                                      const std::string& path, Article* article) {
  if (index_ != nullptr) {
    INGEST_ASSIGN_OR_RETURN(std::optional<FileStamp> known, index_->Find(source));
    bool unchanged = false;
    if (known && trust_names_) {
      unchanged = true;
    } else if (known) {
      struct stat info;
      unchanged = stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
                  StampOf(info) == *known;
    }
    if (unchanged) {
      // Every member an earlier run decided counts as not read again.
      INGEST_ASSIGN_OR_RETURN(uint64_t members, index_->CountWithPrefix(source + "!"));
      unchanged_ += members;
      return false;
    }
  }
  Result<std::unique_ptr<ArchiveReader>> opened = ArchiveReader::Open(path);
  if (!opened.ok()) {
    article->source = source;
    article->path.clear();
    struct stat info;
    if (stat(path.c_str(), &info) == 0) article->stamp = StampOf(info);
    article->Quarantine(QuarantineReason::kUnreadable, opened.status().message());
    return true;
  }
  archive_ = std::make_unique<OpenArchive>();
  archive_->reader = std::move(opened).value();
  archive_->source = source;
  if (index_ != nullptr) {
    INGEST_ASSIGN_OR_RETURN(uint64_t members, index_->CountWithPrefix(source + "!"));
    archive_->indexed_members = members > 0;
  }
  return false;
}

Result<bool> FileWalker::NextMember(Article* article) {
  OpenArchive& open = *archive_;
  ArchiveMember member;
  while (true) {
    uint64_t consumed = open.reader->compressed_bytes_read();
    archive_bytes_ += consumed - open.counted_bytes;
    open.counted_bytes = consumed;
    Result<bool> next = open.reader->NextMember(&member);
    if (!next.ok() || !*next) {
      if (!next.ok()) {
        // A damaged or truncated archive: what came before stands; the
        // archive itself is reported (and indexed with its stamp, so it is
        // reported once until it changes).
        article->source = open.source;
        article->path.clear();
        article->stamp = open.reader->stamp();
        article->Quarantine(QuarantineReason::kUnreadable,
                            next.status().message() + " (after " +
                                std::to_string(open.members) + " members)");
      } else if (!open.filtered && options_.completed_archives != nullptr) {
        options_.completed_archives->Add(open.source, open.reader->stamp(),
                                         produced_.load(std::memory_order_relaxed));
      }
      archive_.reset();
      return !next.ok();
    }
    ++open.members;
    if (member.type == ArchiveMember::Type::kDirectory) continue;
    std::string_view name = LastComponent(member.name);
    if (!IsArticleFileName(name)) {
      ++skipped_;
      continue;
    }
    std::string source = open.source + "!" + member.name;
    if (!options_.filter.Keeps(source, name)) {
      ++excluded_;
      open.filtered = true;
      continue;
    }
    if (open.indexed_members && member.type == ArchiveMember::Type::kFile) {
      INGEST_ASSIGN_OR_RETURN(std::optional<FileStamp> known, index_->Lookup(source));
      if (known && (trust_names_ || *known == member.stamp)) {
        ++unchanged_;
        continue;
      }
    }
    article->source = std::move(source);
    article->path.clear();
    article->stamp = member.stamp;
    switch (member.type) {
      case ArchiveMember::Type::kSymlink:
        article->Quarantine(QuarantineReason::kUnreadable,
                            "symbolic link to '" + member.link_target +
                                "' inside an archive (not followed)");
        return true;
      case ArchiveMember::Type::kHardlink:
        article->Quarantine(QuarantineReason::kUnreadable,
                            "hard link to '" + member.link_target +
                                "' inside an archive (not followed)");
        return true;
      case ArchiveMember::Type::kOther:
        article->Quarantine(QuarantineReason::kUnreadable,
                            "not a regular file (FIFO, socket or device) inside an archive");
        return true;
      case ArchiveMember::Type::kDirectory:
      case ArchiveMember::Type::kFile:
        break;
    }
    const uint64_t limit = options_.max_file_size;
    std::string too_large = "larger than the maximum file size of " +
                            std::to_string(limit) + " bytes";
    if (member.size && *member.size > limit) {
      // Not read at all: the next header read skips it.
      article->Quarantine(QuarantineReason::kTooLarge, std::move(too_large));
      return true;
    }
    Result<uint64_t> read = open.reader->ReadData(limit, &article->raw);
    if (!read.ok()) {
      article->Quarantine(QuarantineReason::kUnreadable, read.status().message());
      return true;
    }
    article->bytes_read = *read;
    if (*read > limit) article->Quarantine(QuarantineReason::kTooLarge, std::move(too_large));
    return true;
  }
}

Result<bool> FileWalker::Known(Article* article) {
  if (index_ == nullptr) return true;
  INGEST_ASSIGN_OR_RETURN(article->known_stamp, index_->Find(article->source));
  // An entry quarantined here (FIFO, unlistable directory) that an earlier
  // run already reported is not reported again.
  bool reported = article->path.empty() && article->known_stamp &&
                  *article->known_stamp == FileStamp::Unreadable();
  if (reported || (article->known_stamp && trust_names_)) {
    ++unchanged_;
    return false;
  }
  return true;
}

}  // namespace ingest
