// PathFilter: the run's --include / --exclude globs (fnmatch(3) syntax:
// `*`, `?`, `[...]`; `*` also matches '/').
//
// A pattern without '/' is matched against the last component of a path
// (its name, given by the caller: an archive member's name is the last
// component of its member path);
// a pattern with '/' is matched against the whole source as it appears in
// records ("dump/2024-01/x.txt", "dump.tar.gz!politics/x.txt"). An article
// file is kept when it matches some --include (or there is none) and no
// --exclude; a directory or archive that matches an --exclude is not even
// opened, while --include never prunes one. Immutable; thread-safe.
#ifndef INGEST_STAGES_READ_PATH_FILTER_H_
#define INGEST_STAGES_READ_PATH_FILTER_H_

#include <string>
#include <string_view>
#include <vector>

namespace ingest {

class PathFilter {
 public:
  PathFilter() = default;
  PathFilter(std::vector<std::string> include, std::vector<std::string> exclude)
      : include_(std::move(include)), exclude_(std::move(exclude)) {}

  // True when the article file at `source`, called `name`, is processed.
  bool Keeps(std::string_view source, std::string_view name) const;
  // True when the directory or archive at `source` is excluded (pruned).
  bool Prunes(std::string_view source, std::string_view name) const;
  bool empty() const { return include_.empty() && exclude_.empty(); }

 private:
  std::vector<std::string> include_;
  std::vector<std::string> exclude_;
};

// fnmatch of `pattern` against `source` or `name` by the rule above.
bool GlobMatches(std::string_view pattern, std::string_view source,
                 std::string_view name);

}  // namespace ingest

#endif  // INGEST_STAGES_READ_PATH_FILTER_H_
