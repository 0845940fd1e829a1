#pragma once

#include <chrono>
#include <mutex>

namespace divaudit {

using SystemTime = std::chrono::system_clock::time_point;
using SteadyTime = std::chrono::steady_clock::time_point;

// Source of time. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time (timestamps stored and reported).
  virtual SystemTime Now() const = 0;
  // Monotonic time (durations, deadlines, pacing).
  virtual SteadyTime SteadyNow() const = 0;
};

class SystemClock final : public Clock {
 public:
  SystemTime Now() const override { return std::chrono::system_clock::now(); }
  SteadyTime SteadyNow() const override { return std::chrono::steady_clock::now(); }
};

// A clock that moves only when told to. Both wall and monotonic time advance together.
// Thread-safe.
class FakeClock final : public Clock {
 public:
  // Starts at 2026-01-01T00:00:00Z wall time unless told otherwise.
  FakeClock();
  explicit FakeClock(SystemTime start);

  SystemTime Now() const override;
  SteadyTime SteadyNow() const override;

  void Advance(std::chrono::nanoseconds d);
  void SetNow(SystemTime t);  // moves wall time only

 private:
  mutable std::mutex mu_;
  SystemTime wall_;
  SteadyTime steady_;
};

}  // namespace divaudit
