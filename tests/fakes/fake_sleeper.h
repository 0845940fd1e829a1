#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <utility>

#include "common/cancellation.h"
#include "common/clock.h"
#include "genesys/sleeper.h"

namespace divaudit::genesys {

// A Sleeper that advances a FakeClock instead of waiting, and records how long was "slept".
// A cancelled token makes SleepFor return at once without advancing. An optional hook runs
// before each sleep (e.g. to cancel after N sleeps). Thread-safe.
class FakeSleeper final : public Sleeper {
 public:
  explicit FakeSleeper(FakeClock& clock) : clock_(clock) {}

  void SleepFor(std::chrono::milliseconds d, const CancellationToken& cancel) override {
    std::function<void(std::chrono::milliseconds)> hook;
    {
      std::lock_guard lock(mu_);
      hook = hook_;
    }
    if (hook) hook(d);
    if (cancel.cancelled()) return;
    clock_.Advance(d);
    std::lock_guard lock(mu_);
    total_ += d;
    ++sleeps_;
  }

  void OnSleep(std::function<void(std::chrono::milliseconds)> hook) {
    std::lock_guard lock(mu_);
    hook_ = std::move(hook);
  }
  std::chrono::milliseconds total() const {
    std::lock_guard lock(mu_);
    return total_;
  }
  int sleeps() const {
    std::lock_guard lock(mu_);
    return sleeps_;
  }

 private:
  FakeClock& clock_;
  mutable std::mutex mu_;
  std::function<void(std::chrono::milliseconds)> hook_;
  std::chrono::milliseconds total_{0};
  int sleeps_ = 0;
};

}  // namespace divaudit::genesys
