#include "pipeline/status.h"

#include <cstring>

namespace ingest {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kInvalidArgument: return "InvalidArgument";
    case StatusCode::kNotFound: return "NotFound";
    case StatusCode::kCorruption: return "Corruption";
    case StatusCode::kIOError: return "IOError";
    case StatusCode::kCancelled: return "Cancelled";
    case StatusCode::kInternal: return "Internal";
    case StatusCode::kBusy: return "Busy";
  }
  return "Unknown";
}

Status Status::FromErrno(std::string_view what, std::string_view path,
                         int errnum) {
  std::string message(what);
  message += ": ";
  message += path;
  message += ": ";
  message += std::strerror(errnum);
  return IOError(std::move(message));
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out(StatusCodeName(code_));
  out += ": ";
  out += message_;
  return out;
}

}  // namespace ingest
