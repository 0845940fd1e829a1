#include "genesys/rate_limiter.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <optional>

#include "common/strings.h"
#include "genesys/retry_policy.h"

namespace divaudit::genesys {
namespace {

// Tolerates the rounding of waits to whole milliseconds.
constexpr double kTokenEpsilon = 1e-6;
// inin-ratelimit-reset is "seconds to window reset" (semantics inferred): never trust a hint that
// would stall us beyond one window.
constexpr std::chrono::milliseconds kMaxResetHint{60'000};

std::optional<int64_t> HeaderInt(const HttpResponse& response, std::string_view name) {
  auto value = response.Header(name);
  if (!value) return std::nullopt;
  std::string_view text = Trim(*value);
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty()) return std::nullopt;
  return n;
}

std::chrono::milliseconds CeilMillis(std::chrono::nanoseconds d) {
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(d);
  return std::max(ms, std::chrono::milliseconds(1));
}

}  // namespace

RateLimiter::RateLimiter(const Clock& clock, int requests_per_minute)
    : clock_(clock),
      rpm_(requests_per_minute),
      capacity_(std::max(1, requests_per_minute / 60)),
      tokens_per_second_(requests_per_minute / 60.0),
      tokens_(capacity_),
      last_refill_(clock.SteadyNow()),
      paused_until_(last_refill_) {
  assert(requests_per_minute >= 1);
}

void RateLimiter::RefillLocked(SteadyTime now) {
  if (now > last_refill_) {
    const double seconds = std::chrono::duration<double>(now - last_refill_).count();
    tokens_ = std::min(capacity_, tokens_ + seconds * tokens_per_second_);
    last_refill_ = now;
  }
}

std::chrono::milliseconds RateLimiter::Acquire() {
  std::lock_guard lock(mu_);
  const SteadyTime now = clock_.SteadyNow();
  RefillLocked(now);
  while (!sent_.empty() && sent_.front() <= now - kWindow) sent_.pop_front();

  std::chrono::nanoseconds wait{0};
  if (now < paused_until_) wait = std::max(wait, paused_until_ - now);
  if (tokens_ < 1.0 - kTokenEpsilon) {
    const double seconds = (1.0 - tokens_) / tokens_per_second_;
    wait = std::max(wait, std::chrono::nanoseconds(static_cast<int64_t>(seconds * 1e9)));
  }
  if (static_cast<int>(sent_.size()) >= rpm_) {
    wait = std::max(wait, std::chrono::nanoseconds(sent_.front() + kWindow - now));
  }
  if (wait > std::chrono::nanoseconds::zero()) return CeilMillis(wait);

  tokens_ = std::max(0.0, tokens_ - 1.0);
  sent_.push_back(now);
  return std::chrono::milliseconds::zero();
}

void RateLimiter::PauseFor(std::chrono::milliseconds d) {
  std::lock_guard lock(mu_);
  paused_until_ = std::max(paused_until_, clock_.SteadyNow() + d);
}

void RateLimiter::Observe(const HttpResponse& response) {
  if (response.status == 429) {
    if (auto retry_after = ParseRetryAfter(response)) PauseFor(*retry_after);
  }
  auto allowed = HeaderInt(response, "inin-ratelimit-allowed");
  auto count = HeaderInt(response, "inin-ratelimit-count");
  auto reset = HeaderInt(response, "inin-ratelimit-reset");
  if (allowed && count && reset && *allowed > 0 && *count >= *allowed && *reset > 0) {
    PauseFor(std::min(kMaxResetHint, std::chrono::milliseconds(*reset * 1000)));
  }
}

}  // namespace divaudit::genesys
