// Tests of the date normalisation of FORMAT.md §1.3: ToRfc3339,
// ParseUtcOffset and FormatUtcOffset.

#include "stages/parse/dates.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace ingest {
namespace {

constexpr int kKst = 9 * 60;

TEST(ToRfc3339Test, PlacesNaiveMinutesInDefaultOffset) {
  EXPECT_EQ(ToRfc3339("2025-12-30 00:00", kKst), "2025-12-30T00:00:00+09:00");
}

TEST(ToRfc3339Test, KeepsSeconds) {
  EXPECT_EQ(ToRfc3339("2025-12-30 00:09:00", kKst),
            "2025-12-30T00:09:00+09:00");
  EXPECT_EQ(ToRfc3339("1999-01-02 23:59:59", kKst),
            "1999-01-02T23:59:59+09:00");
}

TEST(ToRfc3339Test, AcceptsTSeparator) {
  EXPECT_EQ(ToRfc3339("2025-12-30T07:08", kKst), "2025-12-30T07:08:00+09:00");
  EXPECT_EQ(ToRfc3339("2025-12-30T07:08:09", kKst),
            "2025-12-30T07:08:09+09:00");
}

TEST(ToRfc3339Test, KeepsExplicitOffset) {
  EXPECT_EQ(ToRfc3339("2025-12-30T00:00:00Z", kKst),
            "2025-12-30T00:00:00+00:00");
  EXPECT_EQ(ToRfc3339("2025-12-30T00:00:00+00:00", kKst),
            "2025-12-30T00:00:00+00:00");
  EXPECT_EQ(ToRfc3339("2025-12-30 00:00-05:30", kKst),
            "2025-12-30T00:00:00-05:30");
  EXPECT_EQ(ToRfc3339("2025-12-30 00:00:00+0900", kKst),
            "2025-12-30T00:00:00+09:00");
  EXPECT_EQ(ToRfc3339("2025-12-30T12:00:00+23:59", kKst),
            "2025-12-30T12:00:00+23:59");
}

TEST(ToRfc3339Test, KeepsFractionalSeconds) {
  EXPECT_EQ(ToRfc3339("2025-12-30T00:00:00.250Z", kKst),
            "2025-12-30T00:00:00.250+00:00");
  EXPECT_EQ(ToRfc3339("2025-12-30 00:00:00.5", kKst),
            "2025-12-30T00:00:00.5+09:00");
  EXPECT_EQ(ToRfc3339("2025-12-30 00:00:00.", kKst), std::nullopt);
}

TEST(ToRfc3339Test, RejectsImpossibleDates) {
  EXPECT_EQ(ToRfc3339("2025-02-29 00:00", kKst), std::nullopt);
  EXPECT_EQ(ToRfc3339("2024-02-29 00:00", kKst), "2024-02-29T00:00:00+09:00");
  EXPECT_EQ(ToRfc3339("2000-02-29 00:00", kKst), "2000-02-29T00:00:00+09:00");
  EXPECT_EQ(ToRfc3339("1900-02-29 00:00", kKst), std::nullopt);
  EXPECT_EQ(ToRfc3339("2025-13-01 00:00", kKst), std::nullopt);
  EXPECT_EQ(ToRfc3339("2025-00-01 00:00", kKst), std::nullopt);
  EXPECT_EQ(ToRfc3339("2025-12-00 00:00", kKst), std::nullopt);
  EXPECT_EQ(ToRfc3339("2025-04-31 00:00", kKst), std::nullopt);
  EXPECT_EQ(ToRfc3339("2025-12-32 00:00", kKst), std::nullopt);
  EXPECT_EQ(ToRfc3339("2025-12-31 00:00", kKst), "2025-12-31T00:00:00+09:00");
}

TEST(ToRfc3339Test, RejectsImpossibleTimes) {
  EXPECT_EQ(ToRfc3339("2025-12-30 24:00", kKst), std::nullopt);
  EXPECT_EQ(ToRfc3339("2025-12-30 23:60", kKst), std::nullopt);
  EXPECT_EQ(ToRfc3339("2025-12-30 23:59:60", kKst), std::nullopt);
  EXPECT_EQ(ToRfc3339("2025-12-30 23:59:59+24:00", kKst), std::nullopt);
  EXPECT_EQ(ToRfc3339("2025-12-30 23:59:59+09:60", kKst), std::nullopt);
}

TEST(ToRfc3339Test, RejectsGarbage) {
  EXPECT_EQ(ToRfc3339("어제 오후 3시", kKst), std::nullopt);
  EXPECT_EQ(ToRfc3339("", kKst), std::nullopt);
  EXPECT_EQ(ToRfc3339("2025-12-30", kKst), std::nullopt);
  EXPECT_EQ(ToRfc3339("2025/12/30 00:00", kKst), std::nullopt);
  EXPECT_EQ(ToRfc3339("2025-12-30 0:00", kKst), std::nullopt);
  EXPECT_EQ(ToRfc3339("25-12-30 00:00", kKst), std::nullopt);
  EXPECT_EQ(ToRfc3339("2025-12-30_00:00", kKst), std::nullopt);
  EXPECT_EQ(ToRfc3339("2025-1２-30 00:00", kKst), std::nullopt);
  EXPECT_EQ(ToRfc3339("2025-12-30 00:00:5", kKst), std::nullopt);
}

TEST(ToRfc3339Test, RejectsTrailingJunk) {
  EXPECT_EQ(ToRfc3339("2025-12-30 00:00 KST", kKst), std::nullopt);
  EXPECT_EQ(ToRfc3339("2025-12-30 00:00:00 ", kKst), std::nullopt);
  EXPECT_EQ(ToRfc3339("2025-12-30 00:00:00 +09:00", kKst), std::nullopt);
  EXPECT_EQ(ToRfc3339("2025-12-30 00:00:00Zx", kKst), std::nullopt);
  EXPECT_EQ(ToRfc3339("2025-12-30 00:00:00+09:00:00", kKst), std::nullopt);
  EXPECT_EQ(ToRfc3339("2025-12-30 00:00:00+9", kKst), std::nullopt);
}

TEST(ToRfc3339Test, UsesCustomDefaultOffset) {
  EXPECT_EQ(ToRfc3339("2025-12-30 00:00", 0), "2025-12-30T00:00:00+00:00");
  EXPECT_EQ(ToRfc3339("2025-12-30 00:00", -(5 * 60 + 30)),
            "2025-12-30T00:00:00-05:30");
  EXPECT_EQ(ToRfc3339("2025-12-30 00:00", 14 * 60),
            "2025-12-30T00:00:00+14:00");
  // An explicit offset wins over the default.
  EXPECT_EQ(ToRfc3339("2025-12-30 00:00+01:00", -300),
            "2025-12-30T00:00:00+01:00");
}

TEST(ParseUtcOffsetTest, ParsesEveryAcceptedForm) {
  EXPECT_EQ(ParseUtcOffset("Z"), 0);
  EXPECT_EQ(ParseUtcOffset("z"), 0);
  EXPECT_EQ(ParseUtcOffset("+00:00"), 0);
  EXPECT_EQ(ParseUtcOffset("+09:00"), 540);
  EXPECT_EQ(ParseUtcOffset("+0900"), 540);
  EXPECT_EQ(ParseUtcOffset("-05:30"), -330);
  EXPECT_EQ(ParseUtcOffset("-0530"), -330);
  EXPECT_EQ(ParseUtcOffset("+23:59"), 23 * 60 + 59);
  EXPECT_EQ(ParseUtcOffset("-23:59"), -(23 * 60 + 59));
}

TEST(ParseUtcOffsetTest, RejectsMalformedOffsets) {
  EXPECT_EQ(ParseUtcOffset(""), std::nullopt);
  EXPECT_EQ(ParseUtcOffset("09:00"), std::nullopt);
  EXPECT_EQ(ParseUtcOffset("+9:00"), std::nullopt);
  EXPECT_EQ(ParseUtcOffset("+09"), std::nullopt);
  EXPECT_EQ(ParseUtcOffset("+09:0"), std::nullopt);
  EXPECT_EQ(ParseUtcOffset("+09-00"), std::nullopt);
  EXPECT_EQ(ParseUtcOffset("+090"), std::nullopt);
  EXPECT_EQ(ParseUtcOffset("+09000"), std::nullopt);
  EXPECT_EQ(ParseUtcOffset("+24:00"), std::nullopt);
  EXPECT_EQ(ParseUtcOffset("+12:60"), std::nullopt);
  EXPECT_EQ(ParseUtcOffset("UTC"), std::nullopt);
  EXPECT_EQ(ParseUtcOffset("KST"), std::nullopt);
  EXPECT_EQ(ParseUtcOffset("ZZ"), std::nullopt);
  EXPECT_EQ(ParseUtcOffset("+0a:00"), std::nullopt);
}

TEST(FormatUtcOffsetTest, FormatsSignHoursAndMinutes) {
  EXPECT_EQ(FormatUtcOffset(540), "+09:00");
  EXPECT_EQ(FormatUtcOffset(0), "+00:00");
  EXPECT_EQ(FormatUtcOffset(-330), "-05:30");
  EXPECT_EQ(FormatUtcOffset(-1), "-00:01");
  EXPECT_EQ(FormatUtcOffset(23 * 60 + 59), "+23:59");
}

TEST(FormatUtcOffsetTest, RoundTripsThroughParseUtcOffset) {
  for (int minutes = -(23 * 60 + 59); minutes <= 23 * 60 + 59; ++minutes) {
    ASSERT_EQ(ParseUtcOffset(FormatUtcOffset(minutes)), minutes) << minutes;
  }
}

}  // namespace
}  // namespace ingest
