#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "metrics/tls_terminator.h"

struct mg_context;

namespace prometheus {
class Collectable;
}  // namespace prometheus

namespace divaudit::metrics {

struct MetricsServerOptions {
  // "host:port" ([metrics] listen): IPv4, "[IPv6]" or localhost; port 0 picks a free port.
  std::string listen = "127.0.0.1:9464";
  // HTTP basic auth for /metrics: both set or both empty. The password file must not be
  // readable by group or others (ReadSecretFile); it is read once, by Start.
  std::string basic_auth_user;
  std::string basic_auth_password_file;
  // TLS ([metrics] tls_cert_file, tls_key_file, tls_client_ca_file; the names of the Prometheus
  // exporter-toolkit web config): cert and key both set or both empty; PEM files. With a client
  // CA, clients must present a certificate it signed (mutual TLS). TLS 1.2 or later.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  int threads = 2;
};

// Serves, with civetweb (and, for TLS, a TlsTerminator in front of it):
//   GET /metrics  the Prometheus text format of the collectable
//   GET /         a small HTML landing page linking /metrics
// anything else 404, methods other than GET/HEAD 405. Basic auth (when configured) guards every
// path. No metrics of its own (no exposer_* families).
// The collectable is held weakly: once it is gone the endpoint serves an empty exposition.
// Thread-safe; stops serving when destroyed.
class MetricsServer {
 public:
  // Binds and starts serving. Errors: kInvalidArgument for a malformed listen address, an
  // incomplete basic-auth or TLS pair, or a certificate/key/CA OpenSSL rejects (the message
  // names the file); kNotFound for a TLS file that cannot be read; the ReadSecretFile error for
  // the password file; kUnavailable when the address cannot be bound (the message names the
  // address). Never the password.
  static Result<std::unique_ptr<MetricsServer>> Start(
      const MetricsServerOptions& options, std::weak_ptr<prometheus::Collectable> collectable);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // The bound TCP port (the chosen one when listen asked for port 0).
  int port() const { return port_; }
  // The configured listen address, as given.
  const std::string& listen() const { return listen_; }
  // True when serving HTTPS.
  bool tls() const { return tls_ != nullptr; }

  struct State;  // what the request handler reads (auth, collectable, TLS files)

 private:
  MetricsServer(std::unique_ptr<State> state, std::string listen);

  std::unique_ptr<State> state_;
  mg_context* ctx_ = nullptr;
  std::unique_ptr<TlsTerminator> tls_;  // with TLS: accepts on `listen`, civetweb on loopback
  std::string listen_;
  std::string civet_listen_;  // what civetweb was given (localhost resolved)
  int civet_port_ = 0;        // civetweb's port (the public one unless TLS)
  int port_ = 0;
};

// Constant-time comparison (in the length of the inputs' SHA-256 digests): no timing leak of
// where two credentials differ or of their lengths. Exposed for tests.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Decodes standard base64 (with or without padding); nullopt for anything else. Exposed for
// tests.
std::optional<std::string> Base64Decode(std::string_view in);

}  // namespace divaudit::metrics
