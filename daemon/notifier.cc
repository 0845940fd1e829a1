#include "daemon/notifier.h"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <string>

namespace divaudit::daemon {

void SystemdNotifier::Ready() { sd_notify(0, "READY=1"); }

void SystemdNotifier::Status(std::string_view text) {
  std::string msg = "STATUS=";
  for (char c : text) msg.push_back(c == '\n' ? ' ' : c);
  sd_notify(0, msg.c_str());
}

void SystemdNotifier::Watchdog() { sd_notify(0, "WATCHDOG=1"); }

void SystemdNotifier::Reloading() {
  // systemd 253+ wants MONOTONIC_USEC with RELOADING=1; older versions ignore it.
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  const long long usec = static_cast<long long>(ts.tv_sec) * 1000000LL + ts.tv_nsec / 1000;
  const std::string msg = "RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec);
  sd_notify(0, msg.c_str());
}

void SystemdNotifier::Stopping() { sd_notify(0, "STOPPING=1"); }

std::optional<std::chrono::microseconds> SystemdNotifier::WatchdogInterval() const {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) return std::chrono::microseconds(usec);
  return std::nullopt;
}

}  // namespace divaudit::daemon
