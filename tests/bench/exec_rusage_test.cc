// ingest_bench_exec reports the peak RSS of the line it runs, not its parent's, and passes the
// line's exit status through: run_bench.py's peak RSS column and its failure checks rely on it.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <sstream>
#include <string>

#include "tests/testing/process.h"
#include "tests/testing/testing.h"

namespace ingest::test {
namespace {

struct Measurement {
  double wall = -1, user = -1, sys = -1;
  long maxrss_kib = -1;
};

Measurement ReadMeasurement(const std::string& path) {
  Measurement m;
  std::istringstream in(ReadFile(path));
  in >> m.wall >> m.user >> m.sys >> m.maxrss_kib;
  return m;
}

#define SKIP_WITHOUT_LAUNCHER() \
  if (std::string(INGEST_BENCH_EXEC).empty()) GTEST_SKIP() << "built without bench/"

TEST(ExecRusageTest, PeakRssIsTheLinesOwnNotItsParents) {
  SKIP_WITHOUT_LAUNCHER();
  // Forked straight from this process, a child would carry this 256 MiB peak in its
  // ru_maxrss; the launcher's child must not.
  constexpr size_t kParentBytes = size_t{256} << 20;
  std::unique_ptr<char[]> ballast(new char[kParentBytes]);
  std::memset(ballast.get(), 1, kParentBytes);
  TempDir dir;
  const std::string result = dir.Join("rusage.txt");
  ProcessResult small = RunProcess({INGEST_BENCH_EXEC, result, "true"});
  ASSERT_EQ(small.exit_code, 0) << small.err;
  const Measurement floor = ReadMeasurement(result);
  EXPECT_GT(floor.maxrss_kib, 0);
  EXPECT_LT(floor.maxrss_kib, 32 * 1024) << "the parent's peak leaked into the line's";
  EXPECT_GE(floor.wall, 0);
  EXPECT_GT(ballast[kParentBytes - 1], 0);

  // 96 MiB, every page touched.
  const char* touch_96_mib = "b = bytearray(96 << 20); b[::4096] = b'x' * (len(b) // 4096)";
  ProcessResult big = RunProcess({INGEST_BENCH_EXEC, result, "python3", "-c", touch_96_mib});
  ASSERT_EQ(big.exit_code, 0) << big.err;
  EXPECT_GE(ReadMeasurement(result).maxrss_kib, 96 * 1024) << "the line's own peak is missing";
}

TEST(ExecRusageTest, PassesTheExitStatusThrough) {
  SKIP_WITHOUT_LAUNCHER();
  TempDir dir;
  const std::string result = dir.Join("rusage.txt");
  EXPECT_EQ(RunProcess({INGEST_BENCH_EXEC, result, "sh", "-c", "exit 3"}).exit_code, 3);
  EXPECT_EQ(RunProcess({INGEST_BENCH_EXEC, result, "sh", "-c", "kill -9 $$"}).exit_code, 128 + 9);
  ProcessResult missing = RunProcess({INGEST_BENCH_EXEC, result, "no-such-program-here"});
  EXPECT_EQ(missing.exit_code, 127);
  EXPECT_NE(missing.err.find("cannot run no-such-program-here"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace ingest::test
