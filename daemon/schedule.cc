#include "daemon/schedule.h"

#include <algorithm>
#include <cmath>

namespace divaudit::daemon {

using std::chrono::milliseconds;

milliseconds NextTickDelay(const ScheduleOptions& options, RandomSource& random) {
  const double jitter = static_cast<double>(options.jitter.count());
  const double offset = jitter > 0 ? random.Uniform(-jitter, jitter) : 0.0;
  const auto delay = options.interval.count() + static_cast<int64_t>(std::llround(offset));
  return milliseconds(std::max<int64_t>(delay, 1000));
}

milliseconds RetryDelay(const ScheduleOptions& options, int consecutive_failures,
                        RandomSource& random) {
  const int exponent = std::clamp(consecutive_failures - 1, 0, 30);
  const double base = static_cast<double>(options.base_backoff.count()) * std::ldexp(1.0, exponent);
  const double capped = std::min({base, static_cast<double>(options.max_backoff.count()),
                                  static_cast<double>(options.interval.count())});
  const double jittered = capped * random.Uniform(0.9, 1.1);
  return milliseconds(std::max<int64_t>(static_cast<int64_t>(jittered), 1000));
}

bool SweepGate::TryStart() {
  if (running_) {
    ++skipped_ticks_;
    return false;
  }
  running_ = true;
  return true;
}

void SweepGate::Finish(bool ok) {
  running_ = false;
  consecutive_failures_ = ok ? 0 : consecutive_failures_ + 1;
}

}  // namespace divaudit::daemon
