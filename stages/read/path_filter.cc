#include "stages/read/path_filter.h"

#include <fnmatch.h>

namespace ingest {

namespace {

bool AnyMatches(const std::vector<std::string>& patterns, std::string_view source,
                std::string_view name) {
  for (const std::string& pattern : patterns) {
    if (GlobMatches(pattern, source, name)) return true;
  }
  return false;
}

}  // namespace

bool GlobMatches(std::string_view pattern, std::string_view source,
                 std::string_view name) {
  std::string subject(pattern.find('/') != std::string_view::npos ? source : name);
  std::string pattern_text(pattern);
  return fnmatch(pattern_text.c_str(), subject.c_str(), 0) == 0;
}

bool PathFilter::Keeps(std::string_view source, std::string_view name) const {
  if (!include_.empty() && !AnyMatches(include_, source, name)) return false;
  return !AnyMatches(exclude_, source, name);
}

bool PathFilter::Prunes(std::string_view source, std::string_view name) const {
  return AnyMatches(exclude_, source, name);
}

}  // namespace ingest
