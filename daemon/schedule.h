#pragma once

#include <chrono>
#include <cstdint>

#include "common/random.h"

namespace divaudit::daemon {

// Pure scheduling decisions for `divaudit run` (no timers, no clock): the event loop asks these
// functions how long to wait, so every rule is unit-testable.
struct ScheduleOptions {
  std::chrono::milliseconds interval{15 * 60'000};
  std::chrono::milliseconds jitter{30'000};
  // Retry back-off after failed sweeps: min(max_backoff, base_backoff * 2^(failures-1)) ± 10%,
  // never longer than the interval.
  std::chrono::milliseconds base_backoff{30'000};
  std::chrono::milliseconds max_backoff{15 * 60'000};
  // Change watch ([schedule] watch/settle/min_interval; daemon/watch.h). watch 0: off.
  std::chrono::milliseconds watch{0};
  std::chrono::milliseconds settle{30'000};
  std::chrono::milliseconds min_interval{2 * 60'000};
};

// Delay until the next regular tick: interval + uniform(-jitter, +jitter), at least 1 s.
std::chrono::milliseconds NextTickDelay(const ScheduleOptions& options, RandomSource& random);

// Delay before retrying after `consecutive_failures` (>= 1) failed or partial sweeps in a row.
std::chrono::milliseconds RetryDelay(const ScheduleOptions& options, int consecutive_failures,
                                     RandomSource& random);

// Tracks the one-sweep-at-a-time rule and the failure streak. Thread-compatible (used only on
// the event loop thread).
class SweepGate {
 public:
  // A tick arrived: true if a sweep may start now; false (and counted) if one is running.
  bool TryStart();
  // The running sweep ended; `ok` is false for failed sweeps (and partial ones, which are
  // retried early too).
  void Finish(bool ok);

  bool running() const { return running_; }
  int consecutive_failures() const { return consecutive_failures_; }
  int64_t skipped_ticks() const { return skipped_ticks_; }

 private:
  bool running_ = false;
  int consecutive_failures_ = 0;
  int64_t skipped_ticks_ = 0;
};

}  // namespace divaudit::daemon
