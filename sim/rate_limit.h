#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "common/clock.h"

namespace divaudit::sim {

// The outcome of one request against the limiter, with the values the API reports in its
// inin-ratelimit-* headers.
struct RateDecision {
  bool allowed = true;
  int64_t limit = 0;                // inin-ratelimit-allowed
  int64_t count = 0;                // inin-ratelimit-count: tokens in use after this request
  int64_t reset_seconds = 0;        // inin-ratelimit-reset: seconds until the bucket is full
  int64_t retry_after_seconds = 0;  // Retry-After on a refusal (>= 1)
};

// A token bucket per key (the OAuth client id): capacity `per_minute`, refilled continuously at
// per_minute/60 tokens a second. per_minute <= 0 disables limiting (every request allowed;
// headers report kUnlimited and the count of the last minute's bucket as if it were unlimited).
// Thread-safe; time comes from the injected clock (which must outlive the limiter).
class RateLimiter {
 public:
  static constexpr int64_t kUnlimited = 1000000;

  RateLimiter(const Clock& clock, int64_t per_minute);

  // Takes one token for `key` if available.
  RateDecision Acquire(const std::string& key);

 private:
  struct Bucket {
    double tokens = 0;
    SteadyTime updated{};
  };

  const Clock& clock_;
  const int64_t per_minute_;
  const double capacity_;
  std::mutex mu_;
  std::map<std::string, Bucket> buckets_;
};

// Parses "300/min", "300" or "5/s" (per second, scaled to a minute) into requests per minute.
// Returns -1 for malformed input.
int64_t ParseRateLimit(const std::string& text);

}  // namespace divaudit::sim
