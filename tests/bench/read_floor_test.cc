// ingest_read_floor reads every regular file under its directory, on any number of threads,
// and fails loudly: run_bench.py checks its file count against the corpus and trusts its
// exit status, so the (r) and (r2) lines would otherwise time a partial read.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "tests/testing/process.h"
#include "tests/testing/testing.h"

namespace ingest::test {
namespace {

#define SKIP_WITHOUT_TOOL() \
  if (std::string(INGEST_READ_FLOOR).empty()) GTEST_SKIP() << "built without bench/"

// 131 files in nested directories: more than two batches of 64, so both threads get work, and
// the last batch is odd-sized.
void MakeTree(const TempDir& dir, size_t* bytes) {
  *bytes = 0;
  for (int i = 0; i < 131; ++i) {
    const std::string where = i % 3 == 0 ? "" : i % 3 == 1 ? "a/" : "a/b/";
    const std::string contents(static_cast<size_t>(i) * 37, 'x');
    WriteFile(dir.Join(where + "f" + std::to_string(i) + ".txt"), contents);
    *bytes += contents.size();
  }
}

TEST(ReadFloorTest, ReadsEveryFileOnAnyThreadCount) {
  SKIP_WITHOUT_TOOL();
  TempDir dir;
  size_t bytes = 0;
  MakeTree(dir, &bytes);
  const std::string expected = "131 " + std::to_string(bytes) + "\n";
  for (const char* threads : {"1", "2", "3"}) {
    for (bool hash : {false, true}) {
      std::vector<std::string> argv = {INGEST_READ_FLOOR, "--threads", threads};
      if (hash) argv.push_back("--hash");
      argv.push_back(dir.path());
      ProcessResult result = RunProcess(argv);
      EXPECT_EQ(result.exit_code, 0) << result.err;
      EXPECT_EQ(result.out, expected) << "threads " << threads << " hash " << hash;
    }
  }
}

TEST(ReadFloorTest, FailsOnWhatItCannotRead) {
  SKIP_WITHOUT_TOOL();
  TempDir dir;
  ProcessResult missing = RunProcess({INGEST_READ_FLOOR, dir.Join("missing")});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("missing"), std::string::npos) << missing.err;

  // Bigger than its read buffer: one read would not hold it, so the tool refuses it
  // rather than count part of it.
  WriteFile(dir.Join("big.txt"), std::string(size_t{1} << 20, 'x'));
  ProcessResult big = RunProcess({INGEST_READ_FLOOR, dir.path()});
  EXPECT_EQ(big.exit_code, 1);
  EXPECT_NE(big.err.find("big.txt"), std::string::npos) << big.err;
  EXPECT_NE(big.err.find(std::strerror(EFBIG)), std::string::npos) << big.err;

  EXPECT_EQ(RunProcess({INGEST_READ_FLOOR}).exit_code, 2);
  EXPECT_EQ(RunProcess({INGEST_READ_FLOOR, "--threads", "0", dir.path()}).exit_code, 2);
}

}  // namespace
}  // namespace ingest::test
