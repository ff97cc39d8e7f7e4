// FileWalker: the run's input as an ArticleSource: files and directories
// given on the command line, directories walked recursively, in byte-wise
// order of the resulting paths (FORMAT.md §2).
//
// The walk is streaming: it holds one sorted listing per open directory
// level, never the whole tree, so memory does not grow with the dump. Files
// whose names do not end in ".txt" are counted as skipped. Entries that
// cannot be used as files (broken symlinks, FIFOs, unreadable directories)
// come out as articles already quarantined as `unreadable`, so nothing
// vanishes. Used by one thread.
#ifndef INGEST_STAGES_READ_FILE_WALKER_H_
#define INGEST_STAGES_READ_FILE_WALKER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/runner.h"
#include "stages/read/file_index.h"

namespace ingest {

class FileWalker : public ArticleSource {
 public:
  // `inputs` as given on the command line; order does not matter. With an
  // `index`, each file carries what an earlier run recorded for it
  // (known_stamp); with `trust_names` too, a file the index knows is not
  // produced at all, not even stat-ed (counted as unchanged).
  explicit FileWalker(std::vector<std::string> inputs,
                      FileIndexCursor* index = nullptr, bool trust_names = false);

  Result<bool> Next(Article* article) override;

  // Non-".txt" files and symlinks to directories passed over so far.
  uint64_t skipped() const { return skipped_; }
  // Files passed over under trust_names.
  uint64_t unchanged() const { return unchanged_; }

 private:
  struct Entry {
    std::string sort_key;  // name, plus '/' for a directory
    std::string name;
    unsigned char type;    // DT_* from readdir; DT_UNKNOWN when not known
  };
  struct Level {
    std::string source_prefix;  // source of the directory, ending in '/'
    std::string path_prefix;    // its filesystem path, ending in '/'
    std::vector<Entry> entries;
    size_t next = 0;
  };

  // Lists `path` into a new level; a directory that cannot be listed
  // becomes a quarantined article instead.
  bool PushDirectory(const std::string& source, const std::string& path,
                     Article* failure);
  // Decides what one listed entry is; true when it produced an article.
  bool Visit(const Level& level, const Entry& entry, Article* article);
  // Consults the index for a regular file about to be produced; false
  // when trust_names passes over it.
  Result<bool> Known(Article* article);

  std::vector<Entry> inputs_;  // sorted like directory entries
  size_t next_input_ = 0;
  std::vector<Level> stack_;
  FileIndexCursor* index_;
  bool trust_names_;
  uint64_t skipped_ = 0;
  uint64_t unchanged_ = 0;
};

// True when `name` ends in ".txt".
bool IsArticleFileName(std::string_view name);

}  // namespace ingest

#endif  // INGEST_STAGES_READ_FILE_WALKER_H_
