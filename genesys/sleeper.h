#pragma once

#include <chrono>

#include "common/cancellation.h"

namespace divaudit::genesys {

// Waits, interruptibly. The seam through which PlatformClient waits for the rate limiter and
// retry back-off, so tests can replace real waiting with a FakeClock (tests/fakes/fake_sleeper.h).
class Sleeper {
 public:
  virtual ~Sleeper() = default;
  // Returns after `d` has passed or soon after `cancel` is cancelled, whichever comes first.
  virtual void SleepFor(std::chrono::milliseconds d, const CancellationToken& cancel) = 0;
};

// Waits on a condition variable in short slices, re-checking `cancel` between them (the token
// has no notification hook), so a cancellation is noticed within kCancelPollInterval.
// Thread-safe.
class RealSleeper final : public Sleeper {
 public:
  static constexpr std::chrono::milliseconds kCancelPollInterval{25};
  void SleepFor(std::chrono::milliseconds d, const CancellationToken& cancel) override;
};

}  // namespace divaudit::genesys
