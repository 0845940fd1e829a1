#include "genesys/rate_limiter.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/fakes/fake_http_client.h"

namespace divaudit::genesys {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Acquires one permit, advancing the clock by every wait the limiter asks for.
SteadyTime AcquireWaiting(RateLimiter& limiter, FakeClock& clock) {
  for (;;) {
    milliseconds wait = limiter.Acquire();
    if (wait.count() == 0) return clock.SteadyNow();
    EXPECT_GT(wait.count(), 0);
    clock.Advance(wait);
  }
}

TEST(RateLimiterTest, BurstIsOneSecondOfBudget) {
  FakeClock clock;
  RateLimiter limiter(clock, 300);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(limiter.Acquire(), milliseconds(0)) << i;
  EXPECT_EQ(limiter.Acquire(), milliseconds(200));
  clock.Advance(milliseconds(199));
  EXPECT_GT(limiter.Acquire(), milliseconds(0));
  clock.Advance(milliseconds(1));
  EXPECT_EQ(limiter.Acquire(), milliseconds(0));
}

TEST(RateLimiterTest, NeverExceedsBudgetInAnyMinuteWindow) {
  for (int rpm : {1, 7, 60, 300, 1000}) {
    FakeClock clock;
    RateLimiter limiter(clock, rpm);
    const SteadyTime start = clock.SteadyNow();
    std::vector<SteadyTime> sent;
    for (int i = 0; i < 2 * rpm + 1; ++i) sent.push_back(AcquireWaiting(limiter, clock));
    for (size_t i = 0; i + rpm < sent.size(); ++i) {
      ASSERT_GE(sent[i + rpm] - sent[i], seconds(60)) << "rpm " << rpm << " at " << i;
    }
    // 2·rpm+1 requests need at least two full minutes.
    EXPECT_GE(clock.SteadyNow() - start, seconds(120)) << rpm;
    EXPECT_LE(clock.SteadyNow() - start, seconds(125)) << rpm;
  }
}

TEST(RateLimiterTest, SpreadsRequestsEvenly) {
  FakeClock clock;
  RateLimiter limiter(clock, 300);
  std::vector<SteadyTime> sent;
  for (int i = 0; i < 100; ++i) sent.push_back(AcquireWaiting(limiter, clock));
  // After the initial burst of 5, one every 200 ms.
  for (size_t i = 6; i < sent.size(); ++i) {
    EXPECT_EQ(sent[i] - sent[i - 1], milliseconds(200)) << i;
  }
}

TEST(RateLimiterTest, RetryAfterPausesEverySend) {
  FakeClock clock;
  RateLimiter limiter(clock, 300);
  limiter.Observe(FakeHttpClient::Response(429, "", {{"retry-after", "10"}}));
  EXPECT_EQ(limiter.Acquire(), milliseconds(10'000));
  clock.Advance(seconds(9));
  EXPECT_EQ(limiter.Acquire(), milliseconds(1000));
  limiter.PauseFor(milliseconds(100));  // never shortens the pause
  EXPECT_EQ(limiter.Acquire(), milliseconds(1000));
  clock.Advance(seconds(1));
  EXPECT_EQ(limiter.Acquire(), milliseconds(0));
}

TEST(RateLimiterTest, IgnoresRetryAfterOnOtherStatusesAnd429WithoutIt) {
  FakeClock clock;
  RateLimiter limiter(clock, 300);
  limiter.Observe(FakeHttpClient::Response(503, "", {{"retry-after", "10"}}));
  limiter.Observe(FakeHttpClient::Response(429));
  EXPECT_EQ(limiter.Acquire(), milliseconds(0));
}

TEST(RateLimiterTest, ServerCountReachingAllowedWaitsForReset) {
  FakeClock clock;
  RateLimiter limiter(clock, 300);
  limiter.Observe(FakeHttpClient::Response(200, "",
                                           {{"inin-ratelimit-allowed", "300"},
                                            {"inin-ratelimit-count", "299"},
                                            {"inin-ratelimit-reset", "20"}}));
  EXPECT_EQ(limiter.Acquire(), milliseconds(0));
  limiter.Observe(FakeHttpClient::Response(200, "",
                                           {{"inin-ratelimit-allowed", "300"},
                                            {"inin-ratelimit-count", "300"},
                                            {"inin-ratelimit-reset", "20"}}));
  EXPECT_EQ(limiter.Acquire(), milliseconds(20'000));
  clock.Advance(seconds(20));
  EXPECT_EQ(limiter.Acquire(), milliseconds(0));
}

TEST(RateLimiterTest, ResetHintIsBoundedToOneWindow) {
  FakeClock clock;
  RateLimiter limiter(clock, 300);
  limiter.Observe(FakeHttpClient::Response(200, "",
                                           {{"inin-ratelimit-allowed", "10"},
                                            {"inin-ratelimit-count", "10"},
                                            {"inin-ratelimit-reset", "86400"}}));
  EXPECT_EQ(limiter.Acquire(), milliseconds(60'000));
}

}  // namespace
}  // namespace divaudit::genesys
