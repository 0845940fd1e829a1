#include "sim/rate_limit.h"

#include <gtest/gtest.h>

namespace divaudit::sim {
namespace {

TEST(RateLimiterTest, RefusesPastTheBucketAndRefills) {
  FakeClock clock;
  RateLimiter limiter(clock, 60);  // one token a second
  for (int i = 0; i < 60; ++i) {
    RateDecision d = limiter.Acquire("c");
    ASSERT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.limit, 60);
    EXPECT_EQ(d.count, i + 1);
  }
  RateDecision refused = limiter.Acquire("c");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_seconds, 1);
  EXPECT_EQ(refused.reset_seconds, 60);

  clock.Advance(std::chrono::milliseconds(1500));
  EXPECT_TRUE(limiter.Acquire("c").allowed);
  EXPECT_FALSE(limiter.Acquire("c").allowed);
}

TEST(RateLimiterTest, BucketsArePerKey) {
  FakeClock clock;
  RateLimiter limiter(clock, 2);
  EXPECT_TRUE(limiter.Acquire("a").allowed);
  EXPECT_TRUE(limiter.Acquire("a").allowed);
  RateDecision d = limiter.Acquire("a");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_seconds, 30);  // 2/min: one token every 30 s
  EXPECT_TRUE(limiter.Acquire("b").allowed);
}

TEST(RateLimiterTest, ZeroMeansUnlimited) {
  FakeClock clock;
  RateLimiter limiter(clock, 0);
  for (int i = 0; i < 5000; ++i) ASSERT_TRUE(limiter.Acquire("c").allowed);
  EXPECT_EQ(limiter.Acquire("c").limit, RateLimiter::kUnlimited);
}

TEST(RateLimiterTest, ParsesSpecs) {
  EXPECT_EQ(ParseRateLimit("300/min"), 300);
  EXPECT_EQ(ParseRateLimit("300"), 300);
  EXPECT_EQ(ParseRateLimit("5/s"), 300);
  EXPECT_EQ(ParseRateLimit("x/min"), -1);
  EXPECT_EQ(ParseRateLimit("3/hour"), -1);
}

}  // namespace
}  // namespace divaudit::sim
