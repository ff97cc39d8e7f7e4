// Status and Result<T>: errors as values across component boundaries.
//
// A Status is OK or carries one code from a small fixed set plus a message
// (a lowercase fragment: stage, what, evidence). Result<T> holds a T or a
// non-OK Status. Both are [[nodiscard]], cheap to move, and not thread-safe
// to mutate concurrently (like any value type).
#ifndef INGEST_PIPELINE_STATUS_H_
#define INGEST_PIPELINE_STATUS_H_

#include <cassert>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace ingest {

enum class StatusCode : unsigned char {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kCorruption,
  kIOError,
  kCancelled,
  kInternal,
  kBusy,  // a resource (the state directory) is held by another process
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string m) {
    return Status(StatusCode::kInvalidArgument, std::move(m));
  }
  static Status NotFound(std::string m) {
    return Status(StatusCode::kNotFound, std::move(m));
  }
  static Status Corruption(std::string m) {
    return Status(StatusCode::kCorruption, std::move(m));
  }
  static Status IOError(std::string m) {
    return Status(StatusCode::kIOError, std::move(m));
  }
  static Status Cancelled(std::string m) {
    return Status(StatusCode::kCancelled, std::move(m));
  }
  static Status Internal(std::string m) {
    return Status(StatusCode::kInternal, std::move(m));
  }
  static Status Busy(std::string m) {
    return Status(StatusCode::kBusy, std::move(m));
  }
  // An I/O error from errno: "<what>: <path>: <strerror(errnum)>".
  static Status FromErrno(std::string_view what, std::string_view path,
                          int errnum);

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "OK" or "<CodeName>: <message>".
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    assert(!status_.ok() && "Result needs a value or a non-OK status");
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  // REQUIRES: ok().
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace ingest

#define INGEST_CONCAT_INNER_(a, b) a##b
#define INGEST_CONCAT_(a, b) INGEST_CONCAT_INNER_(a, b)

// Returns from the enclosing function when `expr` yields a non-OK Status.
#define INGEST_RETURN_IF_ERROR(expr)              \
  do {                                            \
    ::ingest::Status ingest_status_ = (expr);     \
    if (!ingest_status_.ok()) return ingest_status_; \
  } while (0)

// `lhs = value of rexpr`, or returns its Status when it failed.
#define INGEST_ASSIGN_OR_RETURN(lhs, rexpr)                          \
  auto INGEST_CONCAT_(ingest_result_, __LINE__) = (rexpr);           \
  if (!INGEST_CONCAT_(ingest_result_, __LINE__).ok())                \
    return INGEST_CONCAT_(ingest_result_, __LINE__).status();        \
  lhs = std::move(INGEST_CONCAT_(ingest_result_, __LINE__)).value()

#endif  // INGEST_PIPELINE_STATUS_H_
