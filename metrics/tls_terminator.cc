#include "metrics/tls_terminator.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <fstream>

namespace divaudit::metrics {
namespace {

std::string OpenSslError() {
  std::string text;
  while (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!text.empty()) text += "; ";
    text += buf;
  }
  return text.empty() ? "rejected" : text;
}

Status CheckReadable(const std::string& what, const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFoundError("metrics " + what + ": cannot read " + path);
  return Status::Ok();
}

Result<SSL_CTX*> MakeContext(const TlsTerminatorOptions& o) {
  DIVAUDIT_RETURN_IF_ERROR(CheckReadable("tls_cert_file", o.cert_file));
  DIVAUDIT_RETURN_IF_ERROR(CheckReadable("tls_key_file", o.key_file));
  if (!o.client_ca_file.empty()) {
    DIVAUDIT_RETURN_IF_ERROR(CheckReadable("tls_client_ca_file", o.client_ca_file));
  }
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return InternalError("metrics TLS: SSL_CTX_new: " + OpenSslError());
  const auto fail = [&](std::string message) {
    SSL_CTX_free(ctx);
    return InvalidArgumentError("metrics " + std::move(message));
  };
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_use_certificate_chain_file(ctx, o.cert_file.c_str()) != 1) {
    return fail("tls_cert_file " + o.cert_file + ": " + OpenSslError());
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, o.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return fail("tls_key_file " + o.key_file + ": " + OpenSslError());
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    return fail("tls_key_file " + o.key_file + " does not match tls_cert_file " + o.cert_file);
  }
  if (!o.client_ca_file.empty()) {
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(o.client_ca_file.c_str());
    if (names == nullptr ||
        SSL_CTX_load_verify_locations(ctx, o.client_ca_file.c_str(), nullptr) != 1) {
      if (names != nullptr) sk_X509_NAME_pop_free(names, X509_NAME_free);
      return fail("tls_client_ca_file " + o.client_ca_file + ": " + OpenSslError());
    }
    SSL_CTX_set_client_CA_list(ctx, names);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return ctx;
}

// Binds and listens on "IPv4:port" / "[IPv6]:port".
Result<int> Listen(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  std::string host = listen.substr(0, colon);
  const std::string port = listen.substr(colon + 1);
  if (!host.empty() && host.front() == '[') host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
  addrinfo* res = nullptr;
  if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0 || res == nullptr) {
    return InvalidArgumentError("metrics listen '" + listen + "': not a numeric address");
  }
  const int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  if (fd >= 0) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const bool ok =
      fd >= 0 && ::bind(fd, res->ai_addr, res->ai_addrlen) == 0 && ::listen(fd, 16) == 0;
  ::freeaddrinfo(res);
  if (!ok) {
    if (fd >= 0) ::close(fd);
    return UnavailableError("metrics listen '" + listen +
                            "': cannot bind (address in use, not local, or not permitted)");
  }
  return fd;
}

int LocalPort(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
}

void SetTimeouts(int fd, std::chrono::seconds t) {
  timeval tv{static_cast<time_t>(t.count()), 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

bool WriteAll(int fd, const char* data, size_t n) {
  while (n > 0) {
    const ssize_t w = ::send(fd, data, n, MSG_NOSIGNAL);
    if (w <= 0) return false;
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<TlsTerminator>> TlsTerminator::Start(const TlsTerminatorOptions& options) {
  DIVAUDIT_ASSIGN_OR_RETURN(SSL_CTX * ctx, MakeContext(options));
  auto fd = Listen(options.listen);
  if (!fd.ok()) {
    SSL_CTX_free(ctx);
    return fd.status();
  }
  std::unique_ptr<TlsTerminator> t(new TlsTerminator());
  t->options_ = options;
  t->ctx_ = ctx;
  t->listen_fd_ = *fd;
  t->port_ = LocalPort(*fd);
  t->acceptor_ = std::thread([raw = t.get()] { raw->AcceptLoop(); });
  return t;
}

TlsTerminator::~TlsTerminator() {
  stop_.store(true);
  if (acceptor_.joinable()) acceptor_.join();
  {
    std::unique_lock lock(mu_);
    for (const int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);  // wakes blocked relays
    idle_.wait(lock, [&] { return active_ == 0; });
  }
  if (listen_fd_ >= 0) ::close(listen_fd_);
  SSL_CTX_free(static_cast<SSL_CTX*>(ctx_));
}

void TlsTerminator::AcceptLoop() {
  while (!stop_.load()) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;  // 100 ms: how fast the destructor is noticed
    const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    std::lock_guard lock(mu_);
    if (active_ >= options_.max_connections) {
      ::close(client);
      continue;
    }
    ++active_;
    open_fds_.insert(client);
    std::thread([this, client] { Relay(client); }).detach();
  }
}

void TlsTerminator::Relay(int client) {
  SetTimeouts(client, options_.io_timeout);
  SSL* ssl = SSL_new(static_cast<SSL_CTX*>(ctx_));
  int backend = -1;
  if (ssl != nullptr && SSL_set_fd(ssl, client) == 1 && SSL_accept(ssl) == 1 && !stop_.load()) {
    backend = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(options_.backend_port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (backend >= 0) {
      {
        std::lock_guard lock(mu_);
        open_fds_.insert(backend);
      }
      SetTimeouts(backend, options_.io_timeout);
    }
    if (backend >= 0 && ::connect(backend, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      char buf[16384];
      bool open = true;
      while (open && !stop_.load()) {
        if (SSL_pending(ssl) == 0) {
          pollfd p[2] = {{client, POLLIN, 0}, {backend, POLLIN, 0}};
          const int n = ::poll(p, 2, static_cast<int>(options_.io_timeout.count() * 1000));
          if (n <= 0) break;  // idle past the timeout
          if ((p[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
            const ssize_t r = ::recv(backend, buf, sizeof buf, 0);
            if (r <= 0 || SSL_write(ssl, buf, static_cast<int>(r)) <= 0) open = false;
            continue;
          }
          if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
        }
        const int r = SSL_read(ssl, buf, sizeof buf);
        if (r <= 0 || !WriteAll(backend, buf, static_cast<size_t>(r))) open = false;
      }
      SSL_shutdown(ssl);
    }
  }
  ERR_clear_error();
  if (ssl != nullptr) SSL_free(ssl);
  std::lock_guard lock(mu_);
  open_fds_.erase(client);
  if (backend >= 0) open_fds_.erase(backend);
  if (backend >= 0) ::close(backend);
  ::close(client);
  --active_;
  idle_.notify_all();  // under the lock: the destructor cannot return before this
}

}  // namespace divaudit::metrics
