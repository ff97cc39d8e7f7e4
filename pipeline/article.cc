#include "pipeline/article.h"

#include <unistd.h>

namespace ingest {

OpenDirectory::~OpenDirectory() { close(fd_); }

std::string_view QuarantineReasonName(QuarantineReason reason) {
  switch (reason) {
    case QuarantineReason::kNone: return "";
    case QuarantineReason::kUnreadable: return "unreadable";
    case QuarantineReason::kTooLarge: return "too_large";
    case QuarantineReason::kEmptyFile: return "empty_file";
    case QuarantineReason::kInvalidUtf8: return "invalid_utf8";
    case QuarantineReason::kNoFrontMatter: return "no_front_matter";
    case QuarantineReason::kBadFrontMatter: return "bad_front_matter";
    case QuarantineReason::kBadKey: return "bad_key";
    case QuarantineReason::kIdMismatch: return "id_mismatch";
    case QuarantineReason::kMissingHash: return "missing_hash";
    case QuarantineReason::kBadHash: return "bad_hash";
    case QuarantineReason::kNoBody: return "no_body";
    case QuarantineReason::kEmptyBody: return "empty_body";
    case QuarantineReason::kHashMismatch: return "hash_mismatch";
  }
  return "";
}

}  // namespace ingest
