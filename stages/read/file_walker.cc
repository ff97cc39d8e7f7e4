#include "stages/read/file_walker.h"

#include "pipeline/test_hooks.h"

#include <dirent.h>
#include <sys/stat.h>

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

}  // namespace

bool IsArticleFileName(std::string_view name) {
  return name.size() >= 4 && name.substr(name.size() - 4) == ".txt";
}

FileWalker::FileWalker(std::vector<std::string> inputs, FileIndexCursor* index,
                       bool trust_names)
    : index_(index), trust_names_(trust_names) {
  for (std::string& input : inputs) {
    struct stat info;
    bool is_directory = stat(input.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
    Entry entry;
    entry.name = input;
    entry.sort_key = is_directory ? WithSlash(input) : input;
    entry.type = is_directory ? DT_DIR : DT_UNKNOWN;
    inputs_.push_back(std::move(entry));
  }
  std::sort(inputs_.begin(), inputs_.end(),
            [](const Entry& a, const Entry& b) { return a.sort_key < b.sort_key; });
}

bool FileWalker::PushDirectory(const std::string& source,
                               const std::string& path, Article* failure) {
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) {
    QuarantineUnreadable(failure, source, "opendir", errno);
    return false;
  }
  Level level;
  level.source_prefix = WithSlash(source);
  level.path_prefix = WithSlash(path);
  errno = 0;
  while (struct dirent* item = readdir(dir)) {
    std::string_view name(item->d_name);
    if (name == "." || name == "..") continue;
    Entry entry;
    entry.name = std::string(name);
    entry.type = item->d_type;
    if (entry.type == DT_UNKNOWN) {
      struct stat info;
      std::string full = level.path_prefix + entry.name;
      if (lstat(full.c_str(), &info) == 0) {
        if (S_ISDIR(info.st_mode)) entry.type = DT_DIR;
        else if (S_ISREG(info.st_mode)) entry.type = DT_REG;
        else if (S_ISLNK(info.st_mode)) entry.type = DT_LNK;
        else entry.type = DT_FIFO;  // any other special file
      }
    }
    entry.sort_key = entry.type == DT_DIR ? entry.name + "/" : entry.name;
    level.entries.push_back(std::move(entry));
  }
  int read_error = errno;
  closedir(dir);
  if (read_error != 0) {
    QuarantineUnreadable(failure, source, "readdir", read_error);
    return false;
  }
  // Sorting by name + '/' for directories makes a depth-first walk yield
  // full paths in byte-wise order ("a.txt" < "a/b.txt", as '.' < '/').
  std::sort(level.entries.begin(), level.entries.end(),
            [](const Entry& a, const Entry& b) { return a.sort_key < b.sort_key; });
  stack_.push_back(std::move(level));
  TestHook("walk.listed");
  return true;
}

bool FileWalker::Visit(const Level& level, const Entry& entry,
                       Article* article) {
  std::string source = level.source_prefix + entry.name;
  std::string path = level.path_prefix + entry.name;
  unsigned char type = entry.type;
  if (type == DT_LNK || type == DT_UNKNOWN) {
    // Follow symlinks to files; a symlink to a directory is not walked
    // (loops), a broken one is reported.
    struct stat info;
    if (stat(path.c_str(), &info) != 0) {
      if (!IsArticleFileName(entry.name)) {
        ++skipped_;
        return false;
      }
      QuarantineUnreadable(article, std::move(source), "stat", errno);
      return true;
    }
    if (S_ISDIR(info.st_mode)) {
      if (entry.type == DT_UNKNOWN) {  // type unknown from readdir
        return !PushDirectory(source, path, article);
      }
      ++skipped_;
      return false;
    }
    type = S_ISREG(info.st_mode) ? DT_REG : DT_FIFO;
  }
  if (type == DT_DIR) return !PushDirectory(source, path, article);
  if (!IsArticleFileName(entry.name) && !level.source_prefix.empty()) {
    ++skipped_;
    return false;
  }
  article->source = std::move(source);
  if (type != DT_REG) {
    article->Quarantine(QuarantineReason::kUnreadable,
                        "not a regular file (FIFO, socket or device)");
    return true;
  }
  article->path = std::move(path);
  return true;
}

Result<bool> FileWalker::Next(Article* article) {
  while (true) {
    if (!stack_.empty()) {
      Level& level = stack_.back();
      if (level.next == level.entries.size()) {
        stack_.pop_back();
        continue;
      }
      Entry entry = std::move(level.entries[level.next++]);
      if (!Visit(stack_.back(), entry, article)) continue;
    } else {
      if (next_input_ == inputs_.size()) return false;
      // Command-line inputs are visited like entries of a virtual root whose
      // prefixes are empty; a file named there is read whatever its name.
      static const Level kRoot;
      if (!Visit(kRoot, inputs_[next_input_++], article)) continue;
    }
    INGEST_ASSIGN_OR_RETURN(bool produce, Known(article));
    if (produce) return true;
    *article = Article();
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
