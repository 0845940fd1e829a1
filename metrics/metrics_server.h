#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace prometheus {
class Collectable;
class Exposer;
}  // namespace prometheus

namespace divaudit::metrics {

struct MetricsServerOptions {
  // "host:port" ([metrics] listen): IPv4, "[IPv6]" or localhost; port 0 picks a free port.
  std::string listen = "127.0.0.1:9464";
  // HTTP basic auth for /metrics: both set or both empty. The password file must not be
  // readable by group or others (ReadSecretFile); it is read once, by Start.
  std::string basic_auth_user;
  std::string basic_auth_password_file;
  int threads = 2;
};

// Serves GET /metrics (Prometheus text format) with prometheus-cpp's Exposer (civetweb).
// The collectable is held weakly: once it is gone the endpoint serves an empty exposition.
// Thread-safe; stops serving when destroyed.
class MetricsServer {
 public:
  // Binds and starts serving. Errors: kInvalidArgument for a malformed listen address or an
  // incomplete basic-auth pair, the ReadSecretFile error for the password file, kUnavailable
  // when the address cannot be bound (the message names the address). Never the password.
  static Result<std::unique_ptr<MetricsServer>> Start(
      const MetricsServerOptions& options, std::weak_ptr<prometheus::Collectable> collectable);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // The bound TCP port (the chosen one when listen asked for port 0).
  int port() const { return port_; }
  // The configured listen address, as given.
  const std::string& listen() const { return listen_; }

 private:
  MetricsServer(std::unique_ptr<prometheus::Exposer> exposer, std::string listen,
                std::string civet_listen, int port);

  std::unique_ptr<prometheus::Exposer> exposer_;
  std::string listen_;
  std::string civet_listen_;  // what civetweb was given (localhost resolved)
  int port_ = 0;
};

// Constant-time comparison (in the length of the inputs' SHA-256 digests): no timing leak of
// where two credentials differ or of their lengths. Exposed for tests.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace divaudit::metrics
