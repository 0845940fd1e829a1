#include "genesys/retry_policy.h"

#include <gtest/gtest.h>

#include "tests/fakes/fake_http_client.h"

namespace divaudit::genesys {
namespace {

using std::chrono::milliseconds;

Result<HttpResponse> Status(int status, std::vector<std::pair<std::string, std::string>> h = {}) {
  return FakeHttpClient::Response(status, "", std::move(h));
}

TEST(RetryPolicyTest, HonoursRetryAfterOn429) {
  RetryPolicy policy;
  SeededRandom rng(1);
  RetryDecision d = policy.Decide(1, Status(429, {{"retry-after", "7"}}), rng);
  EXPECT_TRUE(d.retry);
  EXPECT_EQ(d.delay, milliseconds(7000));
}

TEST(RetryPolicyTest, GivesUpWhenRetryAfterExceedsCap) {
  RetryPolicy policy;
  SeededRandom rng(1);
  EXPECT_TRUE(policy.Decide(1, Status(429, {{"retry-after", "180"}}), rng).retry);
  EXPECT_FALSE(policy.Decide(1, Status(429, {{"retry-after", "181"}}), rng).retry);
}

TEST(RetryPolicyTest, ThrottledWithoutRetryAfterBacksOff) {
  RetryPolicy policy;
  SeededRandom rng(1);
  RetryDecision d = policy.Decide(2, Status(429), rng);
  EXPECT_TRUE(d.retry);
  EXPECT_LT(d.delay, milliseconds(1000));
}

TEST(RetryPolicyTest, ServerErrorsBackOffWithinCappedExponentialBound) {
  RetryPolicy policy;
  SeededRandom rng(7);
  for (int status : {500, 502, 503, 504}) {
    for (int attempt = 1; attempt < 6; ++attempt) {
      RetryDecision d = policy.Decide(attempt, Status(status), rng);
      ASSERT_TRUE(d.retry) << status << " attempt " << attempt;
      const int64_t bound = std::min<int64_t>(30'000, 500LL << (attempt - 1));
      EXPECT_GE(d.delay.count(), 0);
      EXPECT_LT(d.delay.count(), bound);
    }
    EXPECT_FALSE(policy.Decide(6, Status(status), rng).retry) << "attempts are bounded";
  }
}

TEST(RetryPolicyTest, BackoffIsCappedAndDeterministicForASeed) {
  RetryPolicy policy;
  SeededRandom a(42), b(42);
  for (int attempt = 1; attempt <= 40; ++attempt) {
    milliseconds da = policy.Backoff(attempt, a);
    EXPECT_EQ(da, policy.Backoff(attempt, b));
    EXPECT_LT(da, milliseconds(30'000));
  }
}

TEST(RetryPolicyTest, FullJitterSpreadsDelays) {
  RetryPolicy policy;
  SeededRandom rng(3);
  int64_t lo = 1'000'000, hi = 0;
  for (int i = 0; i < 200; ++i) {
    int64_t d = policy.Backoff(10, rng).count();
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  EXPECT_LT(lo, 3'000);
  EXPECT_GT(hi, 27'000);
}

TEST(RetryPolicyTest, NeverRetriesNotImplementedOrClientErrors) {
  RetryPolicy policy;
  SeededRandom rng(1);
  for (int status : {200, 204, 301, 400, 401, 403, 404, 409, 501}) {
    EXPECT_FALSE(policy.Decide(1, Status(status), rng).retry) << status;
  }
}

TEST(RetryPolicyTest, RetriesTransportFailuresButNotAbortsOrBadInput) {
  RetryPolicy policy;
  SeededRandom rng(1);
  EXPECT_TRUE(policy.Decide(1, Result<HttpResponse>(UnavailableError("reset")), rng).retry);
  EXPECT_TRUE(policy.Decide(1, Result<HttpResponse>(DeadlineExceededError("t")), rng).retry);
  EXPECT_FALSE(policy.Decide(1, Result<HttpResponse>(AbortedError("c")), rng).retry);
  EXPECT_FALSE(policy.Decide(1, Result<HttpResponse>(InvalidArgumentError("u")), rng).retry);
  EXPECT_FALSE(policy.Decide(6, Result<HttpResponse>(UnavailableError("reset")), rng).retry);
}

TEST(RetryPolicyTest, MaxAttemptsIsConfigurable) {
  RetryPolicy policy(RetryPolicyOptions{.max_attempts = 2});
  SeededRandom rng(1);
  EXPECT_TRUE(policy.Decide(1, Status(503), rng).retry);
  EXPECT_FALSE(policy.Decide(2, Status(503), rng).retry);
}

TEST(RetryPolicyTest, ParsesRetryAfterSeconds) {
  EXPECT_EQ(ParseRetryAfter(FakeHttpClient::Response(429, "", {{"retry-after", " 42 "}})),
            milliseconds(42'000));
  EXPECT_EQ(ParseRetryAfter(FakeHttpClient::Response(429, "", {{"retry-after", "0"}})),
            milliseconds(0));
  EXPECT_FALSE(ParseRetryAfter(FakeHttpClient::Response(429, "", {{"retry-after", "-1"}})));
  EXPECT_FALSE(ParseRetryAfter(FakeHttpClient::Response(429, "", {{"retry-after", "soon"}})));
  EXPECT_FALSE(ParseRetryAfter(FakeHttpClient::Response(429)));
}

}  // namespace
}  // namespace divaudit::genesys
