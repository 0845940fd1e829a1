#include "daemon/schedule.h"

#include <gtest/gtest.h>

namespace divaudit::daemon {
namespace {

using namespace std::chrono_literals;

TEST(ScheduleTest, TicksStayWithinIntervalPlusMinusJitter) {
  ScheduleOptions options;
  options.interval = 15min;
  options.jitter = 30s;
  SeededRandom random(7);
  std::chrono::milliseconds lo = 1h, hi = 0ms;
  for (int i = 0; i < 2000; ++i) {
    const auto d = NextTickDelay(options, random);
    EXPECT_GE(d, 15min - 30s);
    EXPECT_LE(d, 15min + 30s);
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  // The jitter is actually used, in both directions.
  EXPECT_LT(lo, 15min - 25s);
  EXPECT_GT(hi, 15min + 25s);
}

TEST(ScheduleTest, NoJitterMeansExactInterval) {
  ScheduleOptions options;
  options.interval = 10s;
  options.jitter = 0s;
  SeededRandom random(1);
  EXPECT_EQ(NextTickDelay(options, random), 10s);
}

TEST(ScheduleTest, RetryBackoffGrowsAndIsCapped) {
  ScheduleOptions options;
  options.interval = 15min;
  options.base_backoff = 30s;
  options.max_backoff = 5min;
  SeededRandom random(3);
  const auto first = RetryDelay(options, 1, random);
  EXPECT_GE(first, 27s);
  EXPECT_LE(first, 33s);
  const auto third = RetryDelay(options, 3, random);
  EXPECT_GE(third, 108s);
  EXPECT_LE(third, 132s);
  for (int failures : {6, 10, 40, 1000}) {
    EXPECT_LE(RetryDelay(options, failures, random), 330s) << failures;
  }
}

TEST(ScheduleTest, RetryNeverExceedsInterval) {
  ScheduleOptions options;
  options.interval = 20s;
  options.base_backoff = 30s;
  SeededRandom random(3);
  EXPECT_LE(RetryDelay(options, 5, random), 22s);
}

TEST(SweepGateTest, NeverTwoSweepsAtOnceAndCountsSkippedTicks) {
  SweepGate gate;
  EXPECT_TRUE(gate.TryStart());
  EXPECT_FALSE(gate.TryStart());
  EXPECT_FALSE(gate.TryStart());
  EXPECT_EQ(gate.skipped_ticks(), 2);
  gate.Finish(false);
  EXPECT_EQ(gate.consecutive_failures(), 1);
  EXPECT_TRUE(gate.TryStart());
  gate.Finish(false);
  EXPECT_EQ(gate.consecutive_failures(), 2);
  EXPECT_TRUE(gate.TryStart());
  gate.Finish(true);
  EXPECT_EQ(gate.consecutive_failures(), 0);
  EXPECT_FALSE(gate.running());
}

}  // namespace
}  // namespace divaudit::daemon
