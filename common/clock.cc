#include "common/clock.h"

namespace divaudit {

FakeClock::FakeClock() : FakeClock(SystemTime(std::chrono::seconds(1767225600))) {}

FakeClock::FakeClock(SystemTime start) : wall_(start), steady_(std::chrono::hours(1000)) {}

SystemTime FakeClock::Now() const {
  std::lock_guard lock(mu_);
  return wall_;
}

SteadyTime FakeClock::SteadyNow() const {
  std::lock_guard lock(mu_);
  return steady_;
}

void FakeClock::Advance(std::chrono::nanoseconds d) {
  std::lock_guard lock(mu_);
  wall_ += std::chrono::duration_cast<SystemTime::duration>(d);
  steady_ += std::chrono::duration_cast<SteadyTime::duration>(d);
}

void FakeClock::SetNow(SystemTime t) {
  std::lock_guard lock(mu_);
  wall_ = t;
}

}  // namespace divaudit
