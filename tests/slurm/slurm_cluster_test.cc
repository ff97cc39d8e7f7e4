// Sharded runs on a real local Slurm cluster: tests/slurm/slurm_crash_test.py
// brings up munged, slurmctld and three slurmd on loopback, runs two
// consecutive runs through tools/slurm_driver.py while killing map and
// reduce tasks (scancel --signal=KILL, kill -9), resumes with the driver and
// checks exactly-once against the generator's oracle and single-machine
// runs; then stops every daemon it started. Installs the Slurm packages with
// apt-get when they are missing; where that is impossible the test reports
// SKIPPED with the reason (ctest counts it as skipped, not passed).
#include <unistd.h>

#include "tests/testing/process.h"
#include "tests/testing/testing.h"

namespace ingest::test {
namespace {

TEST(SlurmClusterTest, KilledMapAndReduceTasksResumeExactlyOnceOverTwoRuns) {
  TempDir scratch;
  ProcessResult result = RunProcess(
      {"python3", SourceDir() + "/tests/slurm/slurm_crash_test.py", "--install",
       "--binary", BinaryPath(), "--dir", scratch.Join("slurm")});
  if (result.exit_code == 77) {
    GTEST_SKIP() << result.out << result.err;
  }
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
}

}  // namespace
}  // namespace ingest::test
