// The progress line's text and its ticker: bounded redraw rate, erasing
// before log lines, nothing left on the line after Stop().
#include "commands/progress.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "tests/testing/testing.h"

namespace ingest {
namespace {

TEST(ProgressLineFormatTest, ShowsRatesAndAnEtaOnlyOnceTheTotalIsKnown) {
  ProgressSample sample;
  sample.files = 1200;
  sample.bytes = 6'000'000;
  sample.elapsed_seconds = 3;
  EXPECT_EQ(FormatProgressLine(sample), "files 1200  400 files/s  2.0 MB/s  elapsed 0:00:03");
  sample.total_files = 5000;
  EXPECT_EQ(FormatProgressLine(sample),
            "files 1200/5000  400 files/s  2.0 MB/s  elapsed 0:00:03  ETA 0:00:10");
  sample.files = 0;
  EXPECT_EQ(FormatProgressLine(sample).find("ETA"), std::string::npos) << "no rate yet";
}

TEST(ProgressLineFormatTest, ElapsedTimeCountsHours) {
  ProgressSample sample;
  sample.files = 1;
  sample.elapsed_seconds = 3 * 3600 + 25 * 60 + 7;
  EXPECT_NE(FormatProgressLine(sample).find("elapsed 3:25:07"), std::string::npos);
}

TEST(ProgressModeTest, AutoFollowsTheTerminalAndFlagsForceIt) {
  int fd = open("/dev/null", O_WRONLY);
  EXPECT_FALSE(ShouldShowProgress(ProgressMode::kAuto, fd));
  EXPECT_TRUE(ShouldShowProgress(ProgressMode::kOn, fd));
  EXPECT_FALSE(ShouldShowProgress(ProgressMode::kOff, fd));
  close(fd);
}

class ProgressLineTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(pipe2(fds_, O_NONBLOCK), 0); }
  void TearDown() override {
    close(fds_[0]);
    close(fds_[1]);
  }
  std::string Drain() {
    std::string all;
    char buffer[4096];
    ssize_t n;
    while ((n = read(fds_[0], buffer, sizeof(buffer))) > 0) all.append(buffer, n);
    return all;
  }
  int fds_[2];
};

size_t Count(const std::string& text, const std::string& what) {
  size_t count = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++count;
  }
  return count;
}

TEST_F(ProgressLineTest, RedrawsAtMostFourTimesASecondAndErasesItselfAtStop) {
  std::atomic<int> samples{0};
  ProgressLine line(fds_[1], [&] {
    ++samples;
    ProgressSample sample;
    sample.files = 7;
    sample.elapsed_seconds = 1;
    return sample;
  }, std::chrono::milliseconds(10));  // asks for faster; 250 ms is the floor
  line.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  line.Stop();
  std::string written = Drain();
  size_t draws = Count(written, "files 7 ");
  EXPECT_GE(draws, 3u) << written;
  EXPECT_LE(draws, 5u) << written;
  EXPECT_EQ(static_cast<size_t>(samples.load()), draws);
  // Each draw starts by erasing the line; Stop() leaves it erased.
  EXPECT_EQ(Count(written, "\r\033[K"), draws + 1);
  EXPECT_EQ(written.substr(written.size() - 4), "\r\033[K");
}

TEST_F(ProgressLineTest, ClearErasesOnlyAShownLine) {
  ProgressLine line(fds_[1], [] { return ProgressSample(); });
  line.Clear();
  EXPECT_EQ(Drain(), "");
  line.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  line.Clear();
  std::string written = Drain();
  EXPECT_EQ(written.substr(written.size() - 4), "\r\033[K");
  line.Stop();
}

}  // namespace
}  // namespace ingest
