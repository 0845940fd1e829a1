#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "daemon/sweep_job.h"

namespace divaudit::daemon {

// The log lines that close a sweep (the `event=` vocabulary; --log-format json turns every
// key=value into a JSON field). One sweep_done per sweep, whatever its status; a failed sweep
// also logs one sweep_failed with its cause, before sweep_done.

// "sweep_id=12 status=complete duration_ms=81.234 requests=734 retries=0 throttled=0 open=45
//  suppressed=1 new=2 resolved=1 org_id=… org_name=\"…\"" (+ one incomplete="…" per reason).
// `duration` is measured on the monotonic clock.
std::string SweepDoneFields(const SweepJobOutput& out, std::chrono::nanoseconds duration);

// The cause of a failed sweep, for event=sweep_failed err="…": its `incomplete` reasons joined
// by "; " ("unknown cause" when it gives none).
std::string SweepFailureCause(const audit::SweepInfo& info);

// Milliseconds with microsecond precision ("81.234"), for duration_ms.
std::string FormatMillis(std::chrono::nanoseconds d);

// A sweeper ProgressCallback that logs a long sweep's progress at info, at most once per
// `interval` of monotonic time (the first line once the sweep has run `interval`):
//   event=sweep_progress elapsed_ms=30000 pages_done=812 pages_known=1040 phases="users+groups"
// pages_done is the number of listing pages read (requests made, retries not counted);
// pages_known the pages the listings have revealed so far — a lower bound of the requests the
// sweep needs, which grows as listings report their sizes. `phases`: the listings answered
// since the previous line. `sink` receives the line (default: the "sweep" logger at info).
// Thread-compatible (the sweeper calls it from one thread). Pass with std::ref.
class SweepProgressLog {
 public:
  SweepProgressLog(const Clock& clock, std::chrono::milliseconds interval,
                   std::function<void(const std::string&)> sink = nullptr);

  void operator()(std::string_view phase, int64_t done, int64_t total);

  int lines() const { return lines_; }

 private:
  const Clock& clock_;
  std::chrono::milliseconds interval_;
  std::function<void(const std::string&)> sink_;
  SteadyTime start_;
  SteadyTime last_;
  std::vector<std::string> phases_;
  int lines_ = 0;
};

// How often the daemon and `divaudit sweep` (when stderr is not a terminal) log progress.
inline constexpr std::chrono::seconds kSweepProgressLogInterval{30};

}  // namespace divaudit::daemon
