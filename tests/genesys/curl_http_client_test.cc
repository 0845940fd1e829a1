#include "genesys/curl_http_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace divaudit::genesys {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// A minimal HTTP/1.1 server on 127.0.0.1:0 with keep-alive, for exercising CurlHttpClient.
// Paths: /hello, /echo, /barrier?n=K&ms=T (held until K requests have arrived or T ms),
// /slow (held until the server stops), /truncate (short body, then close), /close (no answer).
class MiniHttpServer {
 public:
  MiniHttpServer() {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(listen_fd_, 64), 0);
    socklen_t len = sizeof(addr);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }
  ~MiniHttpServer() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    accept_thread_.join();
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mu_);
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
    close(listen_fd_);
  }

  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int accepted() const { return accepted_.load(); }
  int served() const { return served_.load(); }
  int max_in_flight() const { return max_in_flight_.load(); }
  // Waits (bounded) until a /slow request has arrived.
  bool WaitForSlow() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(5), [&] { return slow_arrived_ > 0; });
  }

 private:
  struct Request {
    std::string method, target, body;
    std::map<std::string, std::string> headers;  // lower-case names
  };

  void AcceptLoop() {
    for (;;) {
      {
        std::lock_guard lock(mu_);
        if (stop_) return;
      }
      pollfd p{listen_fd_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      ++accepted_;
      std::lock_guard lock(mu_);
      threads_.emplace_back([this, fd] { Serve(fd); });
    }
  }

  bool stopping() {
    std::lock_guard lock(mu_);
    return stop_;
  }

  // Reads until `buf` holds `want` bytes or a header end; false on EOF/stop.
  bool ReadMore(int fd, std::string& buf) {
    while (!stopping()) {
      pollfd p{fd, POLLIN, 0};
      int r = poll(&p, 1, 20);
      if (r == 0) continue;
      if (r < 0) return false;
      char chunk[4096];
      ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
      if (n <= 0) return false;
      buf.append(chunk, static_cast<size_t>(n));
      return true;
    }
    return false;
  }

  static void SendAll(int fd, const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }

  void Serve(int fd) {
    std::string buf;
    for (;;) {
      size_t end;
      while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
        if (!ReadMore(fd, buf)) return Close(fd);
      }
      Request req;
      std::string head = buf.substr(0, end);
      buf.erase(0, end + 4);
      size_t line_end = head.find("\r\n");
      std::string request_line = head.substr(0, line_end);
      size_t sp1 = request_line.find(' '), sp2 = request_line.rfind(' ');
      req.method = request_line.substr(0, sp1);
      req.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
      size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
      while (pos < head.size()) {
        size_t e = head.find("\r\n", pos);
        if (e == std::string::npos) e = head.size();
        std::string line = head.substr(pos, e - pos);
        size_t colon = line.find(':');
        if (colon != std::string::npos) {
          std::string name = line.substr(0, colon);
          std::transform(name.begin(), name.end(), name.begin(), ::tolower);
          size_t v = line.find_first_not_of(' ', colon + 1);
          req.headers[name] = v == std::string::npos ? "" : line.substr(v);
        }
        pos = e + 2;
      }
      size_t length =
          req.headers.count("content-length") ? std::stoul(req.headers["content-length"]) : 0;
      while (buf.size() < length) {
        if (!ReadMore(fd, buf)) return Close(fd);
      }
      req.body = buf.substr(0, length);
      buf.erase(0, length);

      const int now_in_flight = ++in_flight_;
      int seen = max_in_flight_.load();
      while (now_in_flight > seen && !max_in_flight_.compare_exchange_weak(seen, now_in_flight)) {
      }
      answered_ = false;
      const bool keep_open = Respond(fd, req);
      if (!answered_) --in_flight_;
      if (!keep_open) return Close(fd);
    }
  }

  static int QueryInt(const std::string& target, const std::string& key, int fallback) {
    size_t p = target.find(key + "=");
    if (p == std::string::npos) return fallback;
    return std::stoi(target.substr(p + key.size() + 1));
  }

  static std::string Reply(int status, const std::string& body,
                           const std::string& extra_headers = "") {
    return "HTTP/1.1 " + std::to_string(status) +
           " X\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra_headers +
           "\r\n" + body;
  }

  // Updates the counters, then sends: a client that has the response sees them updated.
  void Answer(int fd, const std::string& data) {
    answered_ = true;
    --in_flight_;
    ++served_;
    SendAll(fd, data);
  }

  // Returns whether the connection stays open.
  bool Respond(int fd, const Request& req) {
    const std::string path = req.target.substr(0, req.target.find('?'));
    if (path == "/hello") {
      Answer(fd, Reply(200, "hello", "X-Custom-Header: Value\r\nContent-Type: text/plain\r\n"));
    } else if (path == "/echo") {
      auto auth = req.headers.find("authorization");
      Answer(fd, Reply(201, req.method + "|" + (auth == req.headers.end() ? "" : auth->second) +
                                "|" + req.body));
    } else if (path == "/barrier") {
      const int n = QueryInt(req.target, "n", 1);
      const int ms = QueryInt(req.target, "ms", 2000);
      bool released;
      {
        std::unique_lock lock(mu_);
        ++barrier_arrivals_;
        cv_.notify_all();
        released =
            cv_.wait_for(lock, milliseconds(ms), [&] { return stop_ || barrier_arrivals_ >= n; });
      }
      Answer(fd, Reply(200, released ? "released" : "timeout"));
    } else if (path == "/slow") {
      std::unique_lock lock(mu_);
      ++slow_arrived_;
      cv_.notify_all();
      cv_.wait_for(lock, std::chrono::seconds(10), [&] { return stop_; });
      return false;
    } else if (path == "/bytes") {
      Answer(fd, Reply(200, std::string(static_cast<size_t>(QueryInt(req.target, "n", 0)), 'x')));
    } else if (path == "/truncate") {
      Answer(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort");
      return false;
    } else if (path == "/close") {
      return false;
    } else {
      Answer(fd, Reply(404, "not found"));
    }
    return true;
  }

  static void Close(int fd) { close(fd); }

  int listen_fd_ = -1;
  int port_ = 0;
  std::thread accept_thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  int barrier_arrivals_ = 0;
  int slow_arrived_ = 0;
  std::vector<std::thread> threads_;
  std::atomic<int> accepted_{0}, served_{0}, in_flight_{0}, max_in_flight_{0};
  static thread_local bool answered_;
};

thread_local bool MiniHttpServer::answered_ = false;

std::unique_ptr<CurlHttpClient> MakeClient(int max_concurrency,
                                           milliseconds timeout = milliseconds(5000),
                                           CancellationToken cancel = {}) {
  CurlHttpClientOptions options;
  options.max_concurrency = max_concurrency;
  options.timeout = timeout;
  options.cancel = cancel;
  auto client = CurlHttpClient::Create(options);
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  return std::move(client).value();
}

HttpRequest Get(const std::string& url) {
  HttpRequest r;
  r.url = url;
  return r;
}

// A loopback port with nothing listening.
int ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

TEST(CheckUrlAllowedTest, HttpsAnywhereHttpOnlyToLoopback) {
  EXPECT_TRUE(CheckUrlAllowed("https://api.mypurecloud.com/api/v2/users").ok());
  EXPECT_TRUE(CheckUrlAllowed("http://127.0.0.1:18080/oauth/token").ok());
  EXPECT_TRUE(CheckUrlAllowed("http://127.8.9.10/x").ok());
  EXPECT_TRUE(CheckUrlAllowed("http://localhost:1/x").ok());
  EXPECT_TRUE(CheckUrlAllowed("http://[::1]:8080/x").ok());
  for (const char* url :
       {"http://api.mypurecloud.com/x", "http://localhost.evil.example/x", "http://128.0.0.1/x",
        "http://10.0.0.1/x", "ftp://127.0.0.1/x", "file:///etc/passwd", "not a url"}) {
    Status s = CheckUrlAllowed(url);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << url;
  }
  EXPECT_NE(CheckUrlAllowed("http://api.example.com/x").message().find("http://api.example.com/x"),
            std::string::npos);
}

TEST(RedactUrlTest, DropsQueryAndUserInfo) {
  EXPECT_EQ(RedactUrl("https://user:pw@api.example.com:8443/a/b?token=x#f"),
            "https://api.example.com:8443/a/b");
  EXPECT_EQ(RedactUrl("http://127.0.0.1/x?secret=1"), "http://127.0.0.1/x");
}

TEST(CurlHttpClientTest, RefusesPlainHttpToNonLoopbackHostWithoutSending) {
  auto client = MakeClient(2);
  auto results = client->PerformAll({Get("http://api.example.com/api/v2/users?x=1")});
  ASSERT_FALSE(results[0].ok());
  EXPECT_EQ(results[0].status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(results[0].status().message().find("http://api.example.com/api/v2/users"),
            std::string::npos);
}

TEST(CurlHttpClientTest, ReturnsStatusLowerCasedHeadersAndBody) {
  MiniHttpServer server;
  auto client = MakeClient(2);
  auto results = client->PerformAll({Get(server.Url("/hello")), Get(server.Url("/nope"))});
  ASSERT_TRUE(results[0].ok()) << results[0].status().ToString();
  EXPECT_EQ(results[0]->status, 200);
  EXPECT_EQ(results[0]->body, "hello");
  EXPECT_EQ(results[0]->Header("x-custom-header"), "Value");
  EXPECT_EQ(results[0]->Header("content-type"), "text/plain");
  ASSERT_TRUE(results[1].ok());
  EXPECT_EQ(results[1]->status, 404);
}

TEST(CurlHttpClientTest, SendsMethodHeadersAndBody) {
  MiniHttpServer server;
  auto client = MakeClient(1);
  HttpRequest post;
  post.method = "POST";
  post.url = server.Url("/echo");
  post.headers = {{"Authorization", "Basic abc"}};
  post.body = "grant_type=client_credentials";
  auto results = client->PerformAll({post});
  ASSERT_TRUE(results[0].ok()) << results[0].status().ToString();
  EXPECT_EQ(results[0]->status, 201);
  EXPECT_EQ(results[0]->body, "POST|Basic abc|grant_type=client_credentials");
}

TEST(CurlHttpClientTest, RunsRequestsInParallel) {
  MiniHttpServer server;
  auto client = MakeClient(4);
  std::vector<HttpRequest> requests(4, Get(server.Url("/barrier?n=4&ms=3000")));
  const auto start = steady_clock::now();
  auto results = client->PerformAll(requests);
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->body, "released");  // all four were held at the server at once
  }
  EXPECT_EQ(server.max_in_flight(), 4);
  EXPECT_LT(steady_clock::now() - start, milliseconds(2500));
}

TEST(CurlHttpClientTest, NeverExceedsMaxConcurrency) {
  MiniHttpServer server;
  auto client = MakeClient(2);
  // Three would be needed at once to release the barrier: with two slots the first pair waits
  // out the 200 ms, then the third arrival releases the rest.
  std::vector<HttpRequest> requests(5, Get(server.Url("/barrier?n=3&ms=200")));
  auto results = client->PerformAll(requests);
  int timed_out = 0;
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    timed_out += r->body == "timeout";
  }
  // The first answer can only be a timeout: a third arrival needs a free slot.
  EXPECT_GE(timed_out, 1);
  EXPECT_EQ(server.max_in_flight(), 2);
  EXPECT_EQ(server.served(), 5);
}

// Run refills a slot as soon as a transfer completes and starts what OnDone asks for at once:
// three /hello requests and a follow-up go through the second slot while the first slot's
// barrier request is still held — it is only released by that follow-up.
TEST(CurlHttpClientTest, RunRefillsFreedSlotsWhileASlowTransferIsInFlight) {
  MiniHttpServer server;
  auto client = MakeClient(2);
  class Stream final : public HttpStream {
   public:
    explicit Stream(MiniHttpServer& server) : server_(server) {
      queue_ = {server.Url("/barrier?n=2&ms=3000"), server.Url("/hello")};
    }
    std::optional<HttpStart> Next(std::chrono::milliseconds&) override {
      if (queue_.empty()) return std::nullopt;
      HttpStart start{next_tag_++, Get(queue_.front())};
      urls_[start.tag] = queue_.front();
      queue_.erase(queue_.begin());
      return start;
    }
    void OnDone(uint64_t tag, Result<HttpResponse> result) override {
      done.push_back(urls_[tag].substr(urls_[tag].rfind('/')) + "=" +
                     (result.ok() ? result->body : result.status().ToString()));
      if (urls_[tag].find("/hello") != std::string::npos) {
        queue_.push_back(++hellos_ < 3 ? server_.Url("/hello") : server_.Url("/barrier?n=2"));
      }
    }
    std::vector<std::string> done;

   private:
    MiniHttpServer& server_;
    std::vector<std::string> queue_;
    std::map<uint64_t, std::string> urls_;
    uint64_t next_tag_ = 0;
    int hellos_ = 0;
  } stream(server);
  const auto start = steady_clock::now();
  client->Run(stream);
  ASSERT_EQ(stream.done.size(), 5u);
  EXPECT_EQ(stream.done[0], "/hello=hello");
  EXPECT_EQ(stream.done[1], "/hello=hello");
  EXPECT_EQ(stream.done[2], "/hello=hello");
  // Both barrier requests were released by each other (neither waited out its 3 s).
  std::vector<std::string> last(stream.done.begin() + 3, stream.done.end());
  std::sort(last.begin(), last.end());
  EXPECT_EQ(last,
            (std::vector<std::string>{"/barrier?n=2&ms=3000=released", "/barrier?n=2=released"}));
  EXPECT_LT(steady_clock::now() - start, milliseconds(2500));
  EXPECT_EQ(server.max_in_flight(), 2);
}

TEST(CurlHttpClientTest, ReusesConnectionsAcrossCalls) {
  MiniHttpServer server;
  auto client = MakeClient(2);
  for (int round = 0; round < 5; ++round) {
    auto results = client->PerformAll({Get(server.Url("/hello")), Get(server.Url("/hello"))});
    for (const auto& r : results) ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  EXPECT_EQ(server.served(), 10);
  EXPECT_GE(server.accepted(), 1);
  EXPECT_LE(server.accepted(), 2);
}

TEST(CurlHttpClientTest, TimeoutIsDeadlineExceeded) {
  MiniHttpServer server;
  auto client = MakeClient(1, milliseconds(200));
  auto results = client->PerformAll({Get(server.Url("/slow?q=1"))});
  ASSERT_FALSE(results[0].ok());
  EXPECT_EQ(results[0].status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(results[0].status().message().find(server.Url("/slow")), std::string::npos);
  EXPECT_EQ(results[0].status().message().find("q=1"), std::string::npos);
}

TEST(CurlHttpClientTest, RefusedConnectionIsUnavailableAndHidesAuthorization) {
  auto client = MakeClient(1);
  HttpRequest r = Get("http://127.0.0.1:" + std::to_string(ClosedPort()) + "/api/v2/users");
  r.headers = {{"Authorization", "Bearer very-secret-token"}};
  auto results = client->PerformAll({r});
  ASSERT_FALSE(results[0].ok());
  EXPECT_EQ(results[0].status().code(), StatusCode::kUnavailable);
  EXPECT_NE(results[0].status().message().find("/api/v2/users"), std::string::npos);
  EXPECT_EQ(results[0].status().message().find("very-secret-token"), std::string::npos);
}

TEST(CurlHttpClientTest, TruncatedBodyAndDroppedConnectionAreUnavailable) {
  MiniHttpServer server;
  auto client = MakeClient(2);
  auto results = client->PerformAll({Get(server.Url("/truncate")), Get(server.Url("/close"))});
  for (const auto& r : results) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  }
  // The client keeps working afterwards.
  auto again = client->PerformAll({Get(server.Url("/hello"))});
  ASSERT_TRUE(again[0].ok()) << again[0].status().ToString();
}

TEST(CurlHttpClientTest, CancellationAbortsInFlightAndPendingTransfersPromptly) {
  MiniHttpServer server;
  CancellationToken cancel;
  auto client = MakeClient(1, milliseconds(10'000), cancel);
  std::thread canceller([&] {
    server.WaitForSlow();
    cancel.Cancel();
  });
  const auto start = steady_clock::now();
  auto results = client->PerformAll({Get(server.Url("/slow")), Get(server.Url("/hello"))});
  canceller.join();
  EXPECT_LT(steady_clock::now() - start, milliseconds(2000));
  for (const auto& r : results) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kAborted);
  }
  EXPECT_EQ(server.served(), 0);
}

TEST(CurlHttpClientTest, ABodyOverItsRequestsCapIsResourceExhaustedNamingTheUrlAndCap) {
  MiniHttpServer server;
  auto client = MakeClient(2);
  HttpRequest capped = Get(server.Url("/bytes?n=5000"));
  capped.max_response_bytes = 4096;
  HttpRequest fits = Get(server.Url("/bytes?n=4096"));
  fits.max_response_bytes = 4096;
  HttpRequest default_cap = Get(server.Url("/bytes?n=5000"));  // the client's default (32 MiB)
  auto results = client->PerformAll({capped, fits, default_cap});
  ASSERT_FALSE(results[0].ok());
  EXPECT_EQ(results[0].status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(results[0].status().message().find(server.Url("/bytes")), std::string::npos)
      << results[0].status().message();
  EXPECT_NE(results[0].status().message().find("exceeds 4096 bytes"), std::string::npos)
      << results[0].status().message();
  ASSERT_TRUE(results[1].ok()) << results[1].status().ToString();
  EXPECT_EQ(results[1]->body.size(), 4096u);
  ASSERT_TRUE(results[2].ok()) << results[2].status().ToString();
  EXPECT_EQ(results[2]->body.size(), 5000u);
}

// max_bytes_in_flight bounds what the transfers in flight may hold: with room for two 1 MiB
// caps, four slots still run only two at once (three would release the barrier at once).
TEST(CurlHttpClientTest, BytesInFlightBoundTheTransfersInFlight) {
  MiniHttpServer server;
  CurlHttpClientOptions options;
  options.max_concurrency = 4;
  options.timeout = milliseconds(5000);
  options.max_bytes_in_flight = size_t{2} << 20;
  auto client = CurlHttpClient::Create(options);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  std::vector<HttpRequest> requests(4, Get(server.Url("/barrier?n=3&ms=200")));
  for (auto& r : requests) r.max_response_bytes = size_t{1} << 20;
  auto results = (*client)->PerformAll(requests);
  for (const auto& r : results) ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(server.max_in_flight(), 2);
  EXPECT_EQ(server.served(), 4);
  // A request whose cap alone exceeds the bound still runs (alone).
  HttpRequest huge = Get(server.Url("/hello"));
  huge.max_response_bytes = size_t{4} << 20;
  auto alone = (*client)->PerformAll({huge, Get(server.Url("/hello"))});
  ASSERT_TRUE(alone[0].ok()) << alone[0].status().ToString();
  ASSERT_TRUE(alone[1].ok()) << alone[1].status().ToString();
}

TEST(CurlHttpClientTest, RejectsBadOptions) {
  CurlHttpClientOptions options;
  options.max_concurrency = 0;
  EXPECT_FALSE(CurlHttpClient::Create(options).ok());
}

}  // namespace
}  // namespace divaudit::genesys
