// The metrics file: exposition text, counters summed over runs, the last
// success surviving failures, atomic replacement.
#include "commands/metrics.h"

#include <filesystem>

#include "tests/testing/testing.h"

namespace ingest {
namespace {

RunSummary Summary(std::string status) {
  RunSummary summary;
  summary.status = std::move(status);
  summary.emitted = 10;
  summary.duplicates = 2;
  summary.revisions = 1;
  summary.quarantined[static_cast<size_t>(QuarantineReason::kHashMismatch)] = 3;
  summary.unchanged = 4;
  summary.skipped = 5;
  summary.excluded = 6;
  summary.bytes_read = 12345;
  summary.seconds = 1.5;
  return summary;
}

TEST(MetricsTest, FirstRunRendersEveryFamilyWithTypeAndHelp) {
  std::string text = RenderRunMetrics({}, Summary("ok"), 1700000000.25);
  for (const char* line :
       {"# TYPE crawl_ingest_files_total counter\n",
        "crawl_ingest_files_total{outcome=\"emitted\"} 10\n",
        "crawl_ingest_files_total{outcome=\"quarantined\"} 3\n",
        "crawl_ingest_files_total{outcome=\"unchanged\"} 4\n",
        "crawl_ingest_quarantined_files_total{reason=\"hash_mismatch\"} 3\n",
        "crawl_ingest_quarantined_files_total{reason=\"unreadable\"} 0\n",
        "crawl_ingest_skipped_files_total{why=\"excluded\"} 6\n",
        "crawl_ingest_read_bytes_total 12345\n", "crawl_ingest_runs_total{status=\"ok\"} 1\n",
        "crawl_ingest_runs_total{status=\"failed\"} 0\n",
        "crawl_ingest_last_run_duration_seconds 1.500\n",
        "# TYPE crawl_ingest_last_success_timestamp_seconds gauge\n",
        "crawl_ingest_last_success_timestamp_seconds 1700000000.250\n",
        "crawl_ingest_last_run_success 1\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
}

TEST(MetricsTest, CountersAddUpAndAFailedRunKeepsTheLastSuccess) {
  std::string first = RenderRunMetrics({}, Summary("ok"), 1000);
  std::string second = RenderRunMetrics(ParseMetricSamples(first), Summary("failed"), 2000);
  EXPECT_NE(second.find("crawl_ingest_files_total{outcome=\"emitted\"} 20\n"), std::string::npos);
  EXPECT_NE(second.find("crawl_ingest_read_bytes_total 24690\n"), std::string::npos);
  EXPECT_NE(second.find("crawl_ingest_runs_total{status=\"ok\"} 1\n"), std::string::npos);
  EXPECT_NE(second.find("crawl_ingest_runs_total{status=\"failed\"} 1\n"), std::string::npos);
  EXPECT_NE(second.find("crawl_ingest_run_duration_seconds_total 3\n"), std::string::npos);
  EXPECT_NE(second.find("crawl_ingest_last_run_timestamp_seconds 2000\n"), std::string::npos);
  EXPECT_NE(second.find("crawl_ingest_last_run_success 0\n"), std::string::npos);
  EXPECT_NE(second.find("crawl_ingest_last_success_timestamp_seconds 1000\n"), std::string::npos);
}

TEST(MetricsTest, ParsesSamplesAndIgnoresCommentsAndJunk) {
  auto samples = ParseMetricSamples(
      "# HELP x y\nx{a=\"b c\"} 3\ny 1.5\nbroken\nz notanumber\n");
  EXPECT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples["x{a=\"b c\"}"], 3);
  EXPECT_EQ(samples["y"], 1.5);
}

TEST(MetricsTest, WritesTheFileAtomicallyAndReadsItBack) {
  test::TempDir dir;
  std::string path = dir.Join("crawl.prom");
  ASSERT_OK(WriteRunMetrics(path, Summary("ok"), 1000));
  ASSERT_OK(WriteRunMetrics(path, Summary("ok"), 2000));
  std::string text = test::ReadFile(path);
  EXPECT_NE(text.find("crawl_ingest_files_total{outcome=\"emitted\"} 20\n"), std::string::npos);
  size_t files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    ++files;
  }
  EXPECT_EQ(files, 1u) << "no temp file left";
  EXPECT_EQ(WriteRunMetrics(dir.Join("missing/x.prom"), Summary("ok"), 1).code(),
            StatusCode::kIOError);
}

}  // namespace
}  // namespace ingest
