#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace divaudit::daemon {

// Tells the service manager about our lifecycle (sd_notify). Thread-safe.
class Notifier {
 public:
  virtual ~Notifier() = default;
  virtual void Ready() = 0;
  virtual void Status(std::string_view text) = 0;
  virtual void Watchdog() = 0;
  virtual void Reloading() = 0;
  virtual void Stopping() = 0;
  // The watchdog period systemd expects pings within (WatchdogSec), if enabled.
  virtual std::optional<std::chrono::microseconds> WatchdogInterval() const = 0;
};

// libsystemd's sd_notify; a no-op outside systemd (no NOTIFY_SOCKET).
class SystemdNotifier final : public Notifier {
 public:
  void Ready() override;
  void Status(std::string_view text) override;
  void Watchdog() override;
  void Reloading() override;
  void Stopping() override;
  std::optional<std::chrono::microseconds> WatchdogInterval() const override;
};

}  // namespace divaudit::daemon
