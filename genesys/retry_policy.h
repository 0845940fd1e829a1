#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "common/random.h"
#include "common/status.h"
#include "genesys/http_client.h"

namespace divaudit::genesys {

struct RetryPolicyOptions {
  int max_attempts = 6;  // total attempts per request, the first one included
  std::chrono::milliseconds base_backoff{500};
  std::chrono::milliseconds max_backoff{30'000};
  // A 429 whose Retry-After exceeds this is given up on (the official SDKs use 180 s).
  std::chrono::milliseconds max_retry_after{180'000};
};

struct RetryDecision {
  bool retry = false;
  std::chrono::milliseconds delay{0};  // wait before the next attempt (when retry)
  std::string_view reason;             // "throttled", "server_error", "transport", or why not
};

// Parses `Retry-After: <seconds>` (delta-seconds, the only form Genesys sends). nullopt when
// absent or not a non-negative integer.
std::optional<std::chrono::milliseconds> ParseRetryAfter(const HttpResponse& response);

// Decides whether a request is tried again. Pure: the decision depends only on the arguments.
//   429                      → wait Retry-After (back-off when absent); give up above the cap
//   500, 502, 503, 504       → capped exponential back-off with full jitter
//   transport kUnavailable / kDeadlineExceeded → same back-off
//   501, other 4xx (401 included: token refresh is the caller's business), 1xx-3xx, and
//   other errors (kAborted, kInvalidArgument, …) → never retried
// and never once `attempt` (1-based, the attempt that just finished) reaches max_attempts.
// Thread-safe (const); `rng` must be thread-safe if shared.
class RetryPolicy {
 public:
  explicit RetryPolicy(RetryPolicyOptions options = {}) : options_(options) {}

  RetryDecision Decide(int attempt, const Result<HttpResponse>& outcome, RandomSource& rng) const;

  // Full-jitter back-off before attempt `attempt + 1`: uniform in
  // [0, min(max_backoff, base_backoff * 2^(attempt-1))), whole milliseconds.
  std::chrono::milliseconds Backoff(int attempt, RandomSource& rng) const;

  // Whether this HTTP status is a transient server error worth retrying.
  static bool IsRetryableStatus(int status);

  const RetryPolicyOptions& options() const { return options_; }

 private:
  RetryPolicyOptions options_;
};

}  // namespace divaudit::genesys
