// FileWalker: the run's input as an ArticleSource: files and directories
// given on the command line, directories walked recursively, in byte-wise
// order of the resulting paths (FORMAT.md §2).
//
// The walk is streaming: it holds one sorted listing per open directory
// level, and one more per level listed ahead on a helper thread (four
// while its directories are small), never the whole tree, so memory does not grow with the dump. Files
// whose names do not end in ".txt" are counted as skipped. Entries that
// cannot be used as files (broken symlinks, FIFOs, unreadable directories)
// come out as articles already quarantined as `unreadable`, so nothing
// vanishes.
//
// Archives (tar, .tar.gz, .tar.zst, …; stages/read/archive_reader.h), named
// as inputs or met in a walk, are read in place as a stream: their members
// come out in archive order at the archive's place in the byte-wise order,
// as articles whose `raw` bytes are already read (empty `path`), with
// source "<archive>!<member path>". --include/--exclude (PathFilter) apply
// to files and members; an excluded directory or archive is not opened.
// Used by one thread (its helper only lists directories); the counters may
// be read from any thread.
#ifndef INGEST_STAGES_READ_FILE_WALKER_H_
#define INGEST_STAGES_READ_FILE_WALKER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/prefetcher.h"
#include "pipeline/runner.h"
#include "stages/read/file_index.h"
#include "stages/read/path_filter.h"

namespace ingest {

struct WalkOptions {
  PathFilter filter;
  // Archive members larger than this are quarantined as too_large without
  // being read (files are measured by the read stage).
  uint64_t max_file_size = 64ull << 20;
  // Where archives read to the end are reported for the file index; may be
  // null. Must outlive the walker.
  CompletedArchives* completed_archives = nullptr;
  // False: archives are counted (archives_passed()) but not opened, for a
  // listing that only counts files.
  bool open_archives = true;
};

class FileWalker : public ArticleSource {
 public:
  // `inputs` as given on the command line; order does not matter. With an
  // `index`, each file carries what an earlier run recorded for it
  // (known_stamp); with `trust_names` too, a file the index knows is not
  // produced at all, not even stat-ed (counted as unchanged).
  explicit FileWalker(std::vector<std::string> inputs,
                      FileIndexCursor* index = nullptr, bool trust_names = false,
                      WalkOptions options = {});
  ~FileWalker() override;

  Result<bool> Next(Article* article) override;

  // Non-".txt" files and symlinks to directories passed over so far.
  uint64_t skipped() const { return skipped_.load(std::memory_order_relaxed); }
  // Files passed over under trust_names, and archive members an earlier
  // run processed.
  uint64_t unchanged() const { return unchanged_.load(std::memory_order_relaxed); }
  // Article files left out by --include / --exclude.
  uint64_t excluded() const { return excluded_.load(std::memory_order_relaxed); }
  // Articles produced so far.
  uint64_t produced() const { return produced_.load(std::memory_order_relaxed); }
  // Archives not opened because options.open_archives is false.
  uint64_t archives_passed() const { return archives_passed_.load(std::memory_order_relaxed); }
  // Compressed bytes of archives consumed so far.
  uint64_t archive_bytes() const { return archive_bytes_.load(std::memory_order_relaxed); }

 private:
  struct Entry {
    uint32_t name_offset;  // into its level's `names`
    uint32_t name_size;
    unsigned char type;    // DT_* from readdir; DT_UNKNOWN when not known
  };
  struct Level {
    std::string source_prefix;  // source of the directory, ending in '/'
    std::string path_prefix;    // its filesystem path, ending in '/'
    // The entries' names back to back: one buffer per directory instead of
    // one or two strings per file. A vector keeps its buffer when the level
    // moves, so views into it stay valid.
    std::vector<char> names;
    std::vector<Entry> entries;  // in walk order
    size_t next = 0;
    // The directory itself, open, handed to the articles listed from it.
    std::shared_ptr<const OpenDirectory> directory;

    // Listing ahead: entries before this one were considered, and so many
    // of their listings are pending in the prefetcher.
    size_t considered_for_prefetch = 0;
    size_t listings_pending = 0;
    size_t largest_subdirectory = 0;  // entries, of those entered so far

    std::string_view NameOf(const Entry& entry) const {
      return std::string_view(names.data() + entry.name_offset, entry.name_size);
    }
    void Add(std::string_view name, unsigned char type);
  };
  struct ListRequest {
    std::string source;
    std::string path;
  };
  struct Listing {
    Level level;                        // sorted, when the listing worked
    const char* failed_call = nullptr;  // "opendir" or "readdir" when not
    int failed_errno = 0;
  };

  // Lists and sorts a directory. Thread-safe: the prefetcher calls it too.
  static Listing List(const ListRequest& request);
  // Lists `path` into a new level (or takes the listing made ahead); a
  // directory that cannot be listed becomes a quarantined article instead.
  bool PushDirectory(const std::string& source, const std::string& path,
                     Article* failure);
  // Asks for the listings of the next subdirectories of `level` the walk
  // will enter: one pending for it, or kListingsAhead once the ones it
  // entered all had at most kBigListing entries (per level, so a deeper
  // level is not starved by the levels above it). Memory stays near one
  // listing per level for big directories.
  void ListAhead(Level& level);
  // Decides what one listed entry is; true when it produced an article.
  Result<bool> Visit(const Level& level, Entry entry, Article* article);
  // Consults the index for a regular file about to be produced; false
  // when trust_names passes over it.
  Result<bool> Known(Article* article);
  // Opens the archive at `path` unless the index says it is unchanged;
  // true when that produced an article (a quarantined archive).
  Result<bool> StartArchive(const std::string& source, const std::string& path,
                            Article* article);
  // The next article of the open archive; false when it ended.
  Result<bool> NextMember(Article* article);

  struct OpenArchive;
  // Command-line inputs, sorted like directory entries, as the entries of a
  // virtual root whose prefixes are empty.
  Level inputs_;
  std::vector<Level> stack_;
  std::unique_ptr<OpenArchive> archive_;
  // Directories listed on a helper thread while the walk goes through the
  // one before (reading directories was a quarter of a --trust-names re-run).
  static constexpr size_t kListingsAhead = 4;
  static constexpr size_t kBigListing = 16384;  // ~0.5 MiB of names and entries
  Prefetcher<ListRequest, Listing> prefetcher_;
  FileIndexCursor* index_;
  bool trust_names_;
  WalkOptions options_;
  std::atomic<uint64_t> skipped_{0};
  std::atomic<uint64_t> unchanged_{0};
  std::atomic<uint64_t> excluded_{0};
  std::atomic<uint64_t> produced_{0};
  std::atomic<uint64_t> archive_bytes_{0};
  std::atomic<uint64_t> archives_passed_{0};
};

// True when `name` ends in ".txt".
bool IsArticleFileName(std::string_view name);

}  // namespace ingest

#endif  // INGEST_STAGES_READ_FILE_WALKER_H_
