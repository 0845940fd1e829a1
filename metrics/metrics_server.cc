#include "metrics/metrics_server.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <prometheus/collectable.h>
#include <prometheus/text_serializer.h>

#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include "common/file_util.h"
#include "common/strings.h"

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

constexpr char kLandingPage[] =
    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>divaudit</title></head>\n"
    "<body><h1>divaudit</h1><p>Tenant isolation audit for Genesys Cloud.</p>\n"
    "<ul><li><a href=\"metrics\">Metrics</a> (Prometheus text format)</li></ul></body></html>\n";

}  // namespace

struct MetricsServer::State {
  std::weak_ptr<prometheus::Collectable> collectable;
  std::string user;
  std::string password;
};

namespace {

bool Authorized(const MetricsServer::State& state, mg_connection* conn) {
  if (state.user.empty()) return true;
  const char* header = mg_get_header(conn, "Authorization");
  if (header == nullptr) return false;
  std::string_view h(header);
  constexpr std::string_view kBasic = "Basic ";
  if (h.size() <= kBasic.size() || strncasecmp(h.data(), kBasic.data(), kBasic.size()) != 0) {
    return false;
  }
  const auto decoded = Base64Decode(Trim(h.substr(kBasic.size())));
  if (!decoded) return false;
  const size_t colon = decoded->find(':');
  if (colon == std::string::npos) return false;
  // Both comparisons always run: no early exit on a wrong user name.
  const bool user_ok = ConstantTimeEquals(std::string_view(*decoded).substr(0, colon), state.user);
  const bool password_ok =
      ConstantTimeEquals(std::string_view(*decoded).substr(colon + 1), state.password);
  return user_ok & password_ok;
}

void Reply(mg_connection* conn, int status, const char* reason, const char* content_type,
           const std::string& body, bool head, const char* extra_headers = "") {
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
            "Cache-Control: no-store\r\n%sConnection: close\r\n\r\n",
            status, reason, content_type, body.size(), extra_headers);
  if (!head && !body.empty()) mg_write(conn, body.data(), body.size());
}

int HandleRequest(mg_connection* conn, void* data) {
  const auto& state = *static_cast<const MetricsServer::State*>(data);
  const mg_request_info* req = mg_get_request_info(conn);
  const std::string_view method = req->request_method != nullptr ? req->request_method : "";
  const std::string_view uri = req->local_uri != nullptr ? req->local_uri : "";
  const bool head = method == "HEAD";
  if (method != "GET" && !head) {
    Reply(conn, 405, "Method Not Allowed", "text/plain; charset=utf-8", "GET or HEAD only\n", false,
          "Allow: GET, HEAD\r\n");
    return 405;
  }
  if (!Authorized(state, conn)) {
    Reply(conn, 401, "Unauthorized", "text/plain; charset=utf-8", "Unauthorized\n", head,
          "WWW-Authenticate: Basic realm=\"divaudit\"\r\n");
    return 401;
  }
  if (uri == "/metrics") {
    std::string body;
    if (auto c = state.collectable.lock())
      body = prometheus::TextSerializer().Serialize(c->Collect());
    Reply(conn, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", body, head);
    return 200;
  }
  if (uri == "/") {
    Reply(conn, 200, "OK", "text/html; charset=utf-8", kLandingPage, head);
    return 200;
  }
  Reply(conn, 404, "Not Found", "text/plain; charset=utf-8", "Not found: see /metrics\n", head);
  return 404;
}

int Quiet(const mg_connection*, const char*) { return 1; }  // no civetweb logging to stderr

}  // namespace

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char da[SHA256_DIGEST_LENGTH];
  unsigned char db[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(a.data()), a.size(), da);
  SHA256(reinterpret_cast<const unsigned char*>(b.data()), b.size(), db);
  return CRYPTO_memcmp(da, db, sizeof da) == 0;
}

std::optional<std::string> Base64Decode(std::string_view in) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (const char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '+') {
      v = 62;
    } else if (c == '/') {
      v = 63;
    } else {
      return std::nullopt;
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

MetricsServer::MetricsServer(std::unique_ptr<State> state, std::string listen)
    : state_(std::move(state)), listen_(std::move(listen)) {}

MetricsServer::~MetricsServer() {
  tls_.reset();  // stop accepting TLS before the backend goes
  if (ctx_ == nullptr) return;
  // civetweb's listener polls with a timeout and only then sees the stop flag; connecting to it
  // while it stops makes shutdown (SIGTERM, tests) immediate.
  std::atomic<bool> stopped{false};
  std::thread waker([&] {
    while (!stopped.load()) {
      PokeListener(civet_listen_, civet_port_);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  mg_stop(ctx_);
  stopped.store(true);
  waker.join();
  mg_exit_library();
}

Result<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    const MetricsServerOptions& options, std::weak_ptr<prometheus::Collectable> collectable) {
  DIVAUDIT_ASSIGN_OR_RETURN(const std::string civet_listen, CivetListeningPort(options.listen));
  if (options.basic_auth_user.empty() != options.basic_auth_password_file.empty()) {
    return InvalidArgumentError(
        "metrics basic auth needs both basic_auth_user and basic_auth_password_file");
  }
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return InvalidArgumentError("metrics TLS needs both tls_cert_file and tls_key_file");
  }
  if (!options.tls_client_ca_file.empty() && options.tls_cert_file.empty()) {
    return InvalidArgumentError("metrics tls_client_ca_file needs tls_cert_file and tls_key_file");
  }
  auto state = std::make_unique<State>();
  state->collectable = std::move(collectable);
  state->user = options.basic_auth_user;
  if (!options.basic_auth_password_file.empty()) {
    auto read = ReadSecretFile(options.basic_auth_password_file);
    if (!read.ok()) return read.status().WithPrefix("metrics basic_auth_password_file");
    if (read->empty()) {
      return InvalidArgumentError(
          "metrics basic_auth_password_file: " + options.basic_auth_password_file + " is empty");
    }
    state->password = std::move(read).value();
  }
  // TLS: civetweb serves plain HTTP on a private loopback port and a TlsTerminator accepts TLS
  // on the configured address (Debian's civetweb cannot do TLS with OpenSSL 3: README.md).
  const bool tls = !options.tls_cert_file.empty();
  const std::string ports = tls ? "127.0.0.1:0" : civet_listen;
  const std::string threads = std::to_string(options.threads > 0 ? options.threads : 1);
  const char* civet_options[] = {"listening_ports", ports.c_str(), "num_threads", threads.c_str(),
                                 nullptr};
  mg_callbacks callbacks{};
  callbacks.log_message = Quiet;
  mg_init_library(0);
  mg_init_data init{&callbacks, state.get(), civet_options};
  char error_text[256] = "";
  mg_error_data error{nullptr, error_text, sizeof error_text};
  mg_context* ctx = mg_start2(&init, &error);
  if (ctx == nullptr) {
    mg_exit_library();
    return UnavailableError("metrics listen '" + options.listen +
                            "': cannot bind (address in use, not local, or not permitted)");
  }
  mg_server_port bound[4] = {};
  const int n = mg_get_server_ports(ctx, 4, bound);
  if (n < 1 || bound[0].port <= 0) {
    mg_stop(ctx);
    mg_exit_library();
    return UnavailableError("metrics listen '" + options.listen + "': not listening");
  }
  mg_set_request_handler(ctx, "/", HandleRequest, state.get());
  mg_set_request_handler(ctx, "/metrics", HandleRequest, state.get());
  std::unique_ptr<MetricsServer> server(new MetricsServer(std::move(state), options.listen));
  server->ctx_ = ctx;
  server->civet_listen_ = ports;
  server->civet_port_ = bound[0].port;
  server->port_ = bound[0].port;
  if (tls) {
    TlsTerminatorOptions t;
    t.listen = civet_listen;
    t.backend_port = bound[0].port;
    t.cert_file = options.tls_cert_file;
    t.key_file = options.tls_key_file;
    t.client_ca_file = options.tls_client_ca_file;
    DIVAUDIT_ASSIGN_OR_RETURN(server->tls_, TlsTerminator::Start(t));
    server->port_ = server->tls_->port();
  }
  return server;
}

}  // namespace divaudit::metrics
