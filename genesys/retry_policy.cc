#include "genesys/retry_policy.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "common/strings.h"

namespace divaudit::genesys {

std::optional<std::chrono::milliseconds> ParseRetryAfter(const HttpResponse& response) {
  auto header = response.Header("retry-after");
  if (!header) return std::nullopt;
  std::string_view text = Trim(*header);
  if (text.empty()) return std::nullopt;
  int64_t seconds = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec != std::errc() || ptr != text.data() + text.size() || seconds < 0) return std::nullopt;
  // Clamp absurd values so the multiplication cannot overflow; they exceed any cap anyway.
  seconds = std::min<int64_t>(seconds, int64_t{10} * 365 * 86'400);
  return std::chrono::milliseconds(seconds * 1000);
}

bool RetryPolicy::IsRetryableStatus(int status) {
  return status == 500 || status == 502 || status == 503 || status == 504;
}

std::chrono::milliseconds RetryPolicy::Backoff(int attempt, RandomSource& rng) const {
  const int exponent = std::clamp(attempt - 1, 0, 30);
  const double ceiling =
      std::min(static_cast<double>(options_.max_backoff.count()),
               static_cast<double>(options_.base_backoff.count()) * std::ldexp(1.0, exponent));
  return std::chrono::milliseconds(static_cast<int64_t>(std::floor(rng.Uniform(0, ceiling))));
}

RetryDecision RetryPolicy::Decide(int attempt, const Result<HttpResponse>& outcome,
                                  RandomSource& rng) const {
  if (outcome.ok()) {
    const int status = outcome->status;
    if (status == 429) {
      if (attempt >= options_.max_attempts) return {false, {}, "attempts_exhausted"};
      auto retry_after = ParseRetryAfter(*outcome);
      if (!retry_after) return {true, Backoff(attempt, rng), "throttled"};
      if (*retry_after > options_.max_retry_after) return {false, {}, "retry_after_too_long"};
      return {true, *retry_after, "throttled"};
    }
    if (IsRetryableStatus(status)) {
      if (attempt >= options_.max_attempts) return {false, {}, "attempts_exhausted"};
      return {true, Backoff(attempt, rng), "server_error"};
    }
    return {false, {}, "final_status"};
  }
  const StatusCode code = outcome.status().code();
  if (code == StatusCode::kUnavailable || code == StatusCode::kDeadlineExceeded) {
    if (attempt >= options_.max_attempts) return {false, {}, "attempts_exhausted"};
    return {true, Backoff(attempt, rng), "transport"};
  }
  return {false, {}, "permanent_error"};
}

}  // namespace divaudit::genesys
