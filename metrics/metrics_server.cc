#include "metrics/metrics_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <prometheus/exposer.h>

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <thread>

#include "common/file_util.h"

namespace divaudit::metrics {
namespace {

// "localhost:P" → "127.0.0.1:P" (civetweb binds literals only); validates "host:port".
Result<std::string> CivetListeningPort(const std::string& listen) {
  const auto bad = [&](std::string_view why) {
    return InvalidArgumentError("metrics listen '" + listen + "': " + std::string(why) +
                                " (want \"host:port\", IPv6 as \"[::1]:9464\")");
  };
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) {
    return bad("not host:port");
  }
  const std::string host = listen.substr(0, colon);
  const std::string port = listen.substr(colon + 1);
  if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 ||
      std::stoi(port) > 65535) {
    return bad("bad port");
  }
  if (host.find(':') != std::string::npos && host.front() != '[') return bad("bare IPv6 host");
  if (host == "localhost") return "127.0.0.1:" + port;
  return listen;
}

// One connection attempt to our own listener (wildcard addresses via loopback).
void PokeListener(const std::string& civet_listen, int port) {
  std::string host = civet_listen.substr(0, civet_listen.rfind(':'));
  const bool v6 = !host.empty() && host.front() == '[';
  if (v6) host = host.substr(1, host.size() - 2);
  if (host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  const int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  if (v6) {
    sockaddr_in6 addr{};
    addr.sin6_family = AF_INET6;
    addr.sin6_port = htons(static_cast<uint16_t>(port));
    if (::inet_pton(AF_INET6, host.c_str(), &addr.sin6_addr) == 1) {
      (void)::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    }
  } else {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) == 1) {
      (void)::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    }
  }
  ::close(fd);
}

}  // namespace

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char da[SHA256_DIGEST_LENGTH];
  unsigned char db[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(a.data()), a.size(), da);
  SHA256(reinterpret_cast<const unsigned char*>(b.data()), b.size(), db);
  return CRYPTO_memcmp(da, db, sizeof da) == 0;
}

MetricsServer::MetricsServer(std::unique_ptr<prometheus::Exposer> exposer, std::string listen,
                             std::string civet_listen, int port)
    : exposer_(std::move(exposer)),
      listen_(std::move(listen)),
      civet_listen_(std::move(civet_listen)),
      port_(port) {}

MetricsServer::~MetricsServer() {
  // civetweb's listener polls with a 2 s timeout and only then sees the stop flag; connecting
  // to it while the exposer stops makes shutdown (SIGTERM, tests) immediate.
  std::atomic<bool> stopped{false};
  std::thread waker([&] {
    while (!stopped.load()) {
      PokeListener(civet_listen_, port_);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  exposer_.reset();
  stopped.store(true);
  waker.join();
}

Result<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    const MetricsServerOptions& options, std::weak_ptr<prometheus::Collectable> collectable) {
  DIVAUDIT_ASSIGN_OR_RETURN(const std::string civet_listen, CivetListeningPort(options.listen));
  if (options.basic_auth_user.empty() != options.basic_auth_password_file.empty()) {
    return InvalidArgumentError(
        "metrics basic auth needs both basic_auth_user and basic_auth_password_file");
  }
  std::string password;
  if (!options.basic_auth_password_file.empty()) {
    auto read = ReadSecretFile(options.basic_auth_password_file);
    if (!read.ok()) return read.status().WithPrefix("metrics basic_auth_password_file");
    if (read->empty()) {
      return InvalidArgumentError(
          "metrics basic_auth_password_file: " + options.basic_auth_password_file + " is empty");
    }
    password = std::move(read).value();
  }

  std::unique_ptr<prometheus::Exposer> exposer;
  try {
    exposer = std::make_unique<prometheus::Exposer>(
        civet_listen, static_cast<std::size_t>(options.threads > 0 ? options.threads : 1));
  } catch (const std::exception& e) {
    return UnavailableError("metrics listen '" + options.listen +
                            "': cannot bind (address in use, not local, or not permitted)");
  }
  const std::vector<int> ports = exposer->GetListeningPorts();
  if (ports.empty()) {
    return UnavailableError("metrics listen '" + options.listen + "': not listening");
  }
  try {
    // Auth before the collectable: the endpoint never serves unauthenticated.
    if (!options.basic_auth_user.empty()) {
      exposer->RegisterAuth(
          [user = options.basic_auth_user, password = std::move(password)](
              const std::string& given_user, const std::string& given_password) {
            // Both comparisons always run: no early exit on a wrong user name.
            const bool user_ok = ConstantTimeEquals(given_user, user);
            const bool password_ok = ConstantTimeEquals(given_password, password);
            return user_ok & password_ok;
          },
          "divaudit");
    }
    exposer->RegisterCollectable(collectable);
  } catch (const std::exception& e) {
    return InternalError(std::string("metrics endpoint setup failed: ") + e.what());
  }
  return std::unique_ptr<MetricsServer>(
      new MetricsServer(std::move(exposer), options.listen, civet_listen, ports.front()));
}

}  // namespace divaudit::metrics
