#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"

namespace divaudit::metrics {

struct TlsTerminatorOptions {
  // Where to accept TLS: "IPv4:port" or "[IPv6]:port" (numeric; port 0 picks a free one).
  std::string listen;
  // The plain-HTTP backend the decrypted bytes go to: 127.0.0.1:<backend_port>.
  int backend_port = 0;
  // PEM certificate (chain) and key; optional client CA (then a client certificate it signed is
  // required). TLS 1.2 or later.
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;
  // Connections served at once (more are closed at accept) and the per-read/write timeout.
  int max_connections = 16;
  std::chrono::seconds io_timeout{30};
};

// Accepts TLS connections and relays each, decrypted, to a plain TCP backend on loopback (the
// civetweb endpoint of MetricsServer). It exists because Debian's civetweb 1.15 cannot serve
// TLS with OpenSSL 3 (see metrics/README.md); HTTP stays civetweb's job.
// One thread accepts; one detached thread per connection relays. Thread-safe; the destructor
// stops accepting, shuts every connection down and waits for every relay to end.
class TlsTerminator {
 public:
  // Errors: kNotFound for an unreadable file; kInvalidArgument for a certificate, key or CA
  // OpenSSL rejects or a key that does not match the certificate (the message names the file
  // and the OpenSSL reason); kUnavailable when the address cannot be bound.
  static Result<std::unique_ptr<TlsTerminator>> Start(const TlsTerminatorOptions& options);
  ~TlsTerminator();
  TlsTerminator(const TlsTerminator&) = delete;
  TlsTerminator& operator=(const TlsTerminator&) = delete;

  int port() const { return port_; }

 private:
  TlsTerminator() = default;
  void AcceptLoop();
  void Relay(int client_fd);

  TlsTerminatorOptions options_;
  void* ctx_ = nullptr;  // SSL_CTX*
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::mutex mu_;
  std::condition_variable idle_;  // signalled when a relay ends
  std::set<int> open_fds_;        // client and backend sockets of live relays (guarded by mu_)
  int active_ = 0;                // live relays (detached threads; guarded by mu_)
};

}  // namespace divaudit::metrics
