#include "genesys/sleeper.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>

namespace divaudit::genesys {

void RealSleeper::SleepFor(std::chrono::milliseconds d, const CancellationToken& cancel) {
  const auto deadline = std::chrono::steady_clock::now() + d;
  std::mutex mu;
  std::condition_variable cv;
  std::unique_lock lock(mu);
  while (!cancel.cancelled()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return;
    const auto slice =
        std::min<std::chrono::steady_clock::duration>(deadline - now, kCancelPollInterval);
    cv.wait_for(lock, slice, [&] { return cancel.cancelled(); });
  }
}

}  // namespace divaudit::genesys
