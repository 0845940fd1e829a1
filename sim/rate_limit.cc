#include "sim/rate_limit.h"

#include <algorithm>
#include <cmath>

#include "sim/query.h"

namespace divaudit::sim {

RateLimiter::RateLimiter(const Clock& clock, int64_t per_minute)
    : clock_(clock),
      per_minute_(per_minute),
      capacity_(static_cast<double>(per_minute > 0 ? per_minute : kUnlimited)) {}

RateDecision RateLimiter::Acquire(const std::string& key) {
  const double rate_per_second = capacity_ / 60.0;
  const SteadyTime now = clock_.SteadyNow();
  std::lock_guard lock(mu_);
  auto [it, inserted] = buckets_.try_emplace(key);
  Bucket& b = it->second;
  if (inserted) {
    b.tokens = capacity_;
  } else {
    const double elapsed = std::chrono::duration<double>(now - b.updated).count();
    b.tokens = std::min(capacity_, b.tokens + std::max(0.0, elapsed) * rate_per_second);
  }
  b.updated = now;

  RateDecision d;
  d.limit = static_cast<int64_t>(capacity_);
  if (b.tokens >= 1.0 || per_minute_ <= 0) {
    b.tokens = std::max(0.0, b.tokens - 1.0);
    d.allowed = true;
  } else {
    d.allowed = false;
    d.retry_after_seconds =
        std::max<int64_t>(1, static_cast<int64_t>(std::ceil((1.0 - b.tokens) / rate_per_second)));
  }
  d.count = static_cast<int64_t>(std::ceil(capacity_ - b.tokens - 1e-9));
  d.reset_seconds =
      static_cast<int64_t>(std::ceil((capacity_ - b.tokens) / rate_per_second - 1e-9));
  return d;
}

int64_t ParseRateLimit(const std::string& text) {
  std::string_view s = text;
  int64_t scale = 1;
  size_t slash = s.find('/');
  if (slash != std::string_view::npos) {
    std::string_view unit = s.substr(slash + 1);
    if (unit == "min" || unit == "m" || unit == "minute") {
      scale = 1;
    } else if (unit == "s" || unit == "sec" || unit == "second") {
      scale = 60;
    } else {
      return -1;
    }
    s = s.substr(0, slash);
  }
  auto v = ParseInt(s);
  if (!v.ok() || *v < 0) return -1;
  return *v * scale;
}

}  // namespace divaudit::sim
