// Test helpers shared by the suite (namespace ingest::test): ASSERT_OK,
// temporary directories that clean up after themselves, file helpers, and
// the paths of the source tree and the built binary. Not thread-safe.
#ifndef INGEST_TESTS_TESTING_TESTING_H_
#define INGEST_TESTS_TESTING_TESTING_H_

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "pipeline/status.h"

#define ASSERT_OK(expr)                                         \
  do {                                                          \
    const ::ingest::Status& assert_ok_status_ = (expr);         \
    ASSERT_TRUE(assert_ok_status_.ok()) << assert_ok_status_.ToString(); \
  } while (0)
#define EXPECT_OK(expr)                                         \
  do {                                                          \
    const ::ingest::Status& expect_ok_status_ = (expr);         \
    EXPECT_TRUE(expect_ok_status_.ok()) << expect_ok_status_.ToString(); \
  } while (0)

namespace ingest::test {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents when
// the object goes out of scope.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // path() + "/" + relative.
  std::string Join(std::string_view relative) const;

 private:
  std::string path_;
};

// Writes `contents` to `path`, creating parent directories.
void WriteFile(const std::string& path, std::string_view contents);
// The whole file; fails the test when it cannot be read.
std::string ReadFile(const std::string& path);

// The repository root (CMake's source dir) and the built crawl-ingest.
std::string SourceDir();
std::string BinaryPath();
// ../shared next to the repository, where the real seed article lives.
std::string SharedDir();

}  // namespace ingest::test

#endif  // INGEST_TESTS_TESTING_TESTING_H_
