#include "metrics/metrics_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "common/strings.h"
#include "metrics/audit_metrics.h"

namespace divaudit::metrics {
namespace {

struct HttpReply {
  int status = 0;
  std::string body;
};

// A tiny HTTP/1.0 client for loopback tests: one request, reads until the server closes.
HttpReply HttpGet(int port, const std::string& path, const std::string& extra_headers = "") {
  HttpReply reply;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return reply;
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return reply;
  }
  const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n" + extra_headers +
                              "Connection: close\r\n\r\n";
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return reply;
  }
  std::string raw;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) raw.append(buf, static_cast<size_t>(n));
  ::close(fd);
  // "HTTP/1.1 200 OK\r\n...\r\n\r\nbody"
  const size_t space = raw.find(' ');
  if (space == std::string::npos) return reply;
  reply.status = std::atoi(raw.c_str() + space + 1);
  const size_t body = raw.find("\r\n\r\n");
  if (body != std::string::npos) reply.body = raw.substr(body + 4);
  return reply;
}

std::string BasicAuth(const std::string& user, const std::string& password) {
  return "Authorization: Basic " + Base64Encode(user + ":" + password) + "\r\n";
}

class MetricsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = ::testing::TempDir() + "/divaudit-metrics-XXXXXX";
    dir_ = ::mkdtemp(templ.data());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string WriteFile(const std::string& name, const std::string& content, mode_t mode) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << content;
    ::chmod(path.c_str(), mode);
    return path;
  }

  std::string dir_;
  AuditMetrics metrics_{"9.9.9"};
};

TEST_F(MetricsServerTest, ServesTheExpositionOnAnEphemeralLoopbackPort) {
  SweepOutcomeForMetrics outcome;
  outcome.sweep.status = audit::SweepStatus::kComplete;
  outcome.sweep.started_at_unix = 100;
  outcome.sweep.finished_at_unix = 160;
  metrics_.RecordSweep(outcome);

  MetricsServerOptions options;
  options.listen = "127.0.0.1:0";
  auto server = MetricsServer::Start(options, metrics_.Collectable());
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  ASSERT_GT((*server)->port(), 0);
  EXPECT_EQ((*server)->listen(), "127.0.0.1:0");

  const HttpReply reply = HttpGet((*server)->port(), "/metrics");
  EXPECT_EQ(reply.status, 200);
  EXPECT_NE(reply.body.find("# TYPE divaudit_build_info gauge"), std::string::npos) << reply.body;
  EXPECT_NE(reply.body.find("divaudit_build_info{version=\"9.9.9\"} 1"), std::string::npos);
  EXPECT_NE(reply.body.find("divaudit_sweeps_total{status=\"complete\"} 1"), std::string::npos);
  EXPECT_NE(reply.body.find("divaudit_last_complete_sweep_timestamp_seconds 160"),
            std::string::npos);
}

TEST_F(MetricsServerTest, BasicAuthRefusesWrongCredentialsAndAcceptsTheRightOnes) {
  MetricsServerOptions options;
  options.listen = "localhost:0";
  options.basic_auth_user = "prometheus";
  options.basic_auth_password_file = WriteFile("password", "correct horse\n", 0600);
  auto server = MetricsServer::Start(options, metrics_.Collectable());
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  const int port = (*server)->port();

  EXPECT_EQ(HttpGet(port, "/metrics").status, 401);
  EXPECT_EQ(HttpGet(port, "/metrics", BasicAuth("prometheus", "wrong")).status, 401);
  EXPECT_EQ(HttpGet(port, "/metrics", BasicAuth("prometheus", "correct horse\n")).status, 401);
  EXPECT_EQ(HttpGet(port, "/metrics", BasicAuth("someone", "correct horse")).status, 401);
  EXPECT_EQ(HttpGet(port, "/metrics", BasicAuth("prometheus", "")).status, 401);
  const HttpReply ok = HttpGet(port, "/metrics", BasicAuth("prometheus", "correct horse"));
  EXPECT_EQ(ok.status, 200);
  EXPECT_NE(ok.body.find("divaudit_build_info"), std::string::npos);
}

TEST_F(MetricsServerTest, RefusesAReadablePasswordFileWithoutLeakingIt) {
  MetricsServerOptions options;
  options.listen = "127.0.0.1:0";
  options.basic_auth_user = "prometheus";
  options.basic_auth_password_file = WriteFile("password", "hunter2\n", 0644);
  auto server = MetricsServer::Start(options, metrics_.Collectable());
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(server.status().message().find(options.basic_auth_password_file), std::string::npos);
  EXPECT_EQ(server.status().message().find("hunter2"), std::string::npos);

  options.basic_auth_password_file.clear();  // user without password
  EXPECT_EQ(MetricsServer::Start(options, metrics_.Collectable()).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(MetricsServerTest, BindFailureNamesTheAddress) {
  MetricsServerOptions options;
  options.listen = "127.0.0.1:0";
  auto first = MetricsServer::Start(options, metrics_.Collectable());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  options.listen = "127.0.0.1:" + std::to_string((*first)->port());
  auto second = MetricsServer::Start(options, metrics_.Collectable());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find(options.listen), std::string::npos)
      << second.status().message();
}

TEST_F(MetricsServerTest, MalformedListenAddressIsAnError) {
  for (const char* listen : {"", "9464", "127.0.0.1:", "127.0.0.1:99999", "::1:80", "x:abc"}) {
    MetricsServerOptions options;
    options.listen = listen;
    auto server = MetricsServer::Start(options, metrics_.Collectable());
    ASSERT_FALSE(server.ok()) << listen;
    EXPECT_EQ(server.status().code(), StatusCode::kInvalidArgument) << listen;
  }
}

TEST_F(MetricsServerTest, KeepsServingAfterTheMetricsAreGone) {
  auto metrics = std::make_unique<AuditMetrics>("1.0");
  MetricsServerOptions options;
  options.listen = "127.0.0.1:0";
  auto server = MetricsServer::Start(options, metrics->Collectable());
  ASSERT_TRUE(server.ok());
  metrics.reset();
  EXPECT_EQ(HttpGet((*server)->port(), "/metrics").status, 200);
}

TEST(ConstantTimeEqualsTest, ComparesContent) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", ""));
}

// An HTTP request with a method of our choice (the HttpGet above sends GET).
HttpReply HttpMethod(int port, const std::string& method, const std::string& path) {
  HttpReply reply;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return reply;
  }
  const std::string request =
      method + " " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  (void)::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string raw;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) raw.append(buf, static_cast<size_t>(n));
  ::close(fd);
  const size_t space = raw.find(' ');
  if (space == std::string::npos) return reply;
  reply.status = std::atoi(raw.c_str() + space + 1);
  const size_t body = raw.find("\r\n\r\n");
  if (body != std::string::npos) reply.body = raw.substr(body + 4);
  return reply;
}

TEST_F(MetricsServerTest, LandingPageAndOnlyDivauditAndProcessMetrics) {
  MetricsServerOptions options;
  options.listen = "127.0.0.1:0";
  auto server = MetricsServer::Start(options, metrics_.Collectable());
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  const int port = (*server)->port();
  EXPECT_FALSE((*server)->tls());

  const HttpReply landing = HttpGet(port, "/");
  EXPECT_EQ(landing.status, 200);
  EXPECT_NE(landing.body.find("<a href=\"metrics\">"), std::string::npos) << landing.body;
  EXPECT_EQ(HttpGet(port, "/nope").status, 404);
  EXPECT_EQ(HttpGet(port, "/metrics/x").status, 404);
  EXPECT_EQ(HttpMethod(port, "POST", "/metrics").status, 405);
  const HttpReply head = HttpMethod(port, "HEAD", "/metrics");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());

  // Two scrapes: prometheus-cpp's Exposer would have added exposer_* families by the second.
  (void)HttpGet(port, "/metrics");
  const HttpReply scrape = HttpGet(port, "/metrics");
  EXPECT_EQ(scrape.status, 200);
  EXPECT_EQ(scrape.body.find("exposer_"), std::string::npos);
  EXPECT_NE(scrape.body.find("\nprocess_open_fds "), std::string::npos);
  std::istringstream lines(scrape.body);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    EXPECT_TRUE(line.rfind("divaudit_", 0) == 0 || line.rfind("process_", 0) == 0) << line;
  }
}

TEST_F(MetricsServerTest, BasicAuthGuardsTheLandingPageToo) {
  MetricsServerOptions options;
  options.listen = "127.0.0.1:0";
  options.basic_auth_user = "prometheus";
  options.basic_auth_password_file = WriteFile("password", "pw", 0600);
  auto server = MetricsServer::Start(options, metrics_.Collectable());
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  EXPECT_EQ(HttpGet((*server)->port(), "/").status, 401);
  EXPECT_EQ(HttpGet((*server)->port(), "/", BasicAuth("prometheus", "pw")).status, 200);
  EXPECT_EQ(HttpGet((*server)->port(), "/metrics", "Authorization: Basic !!!\r\n").status, 401);
}

TEST(Base64DecodeTest, DecodesStandardBase64) {
  EXPECT_EQ(Base64Decode(Base64Encode("prometheus:correct horse")), "prometheus:correct horse");
  EXPECT_EQ(Base64Decode("YQ"), "a");
  EXPECT_EQ(Base64Decode(""), "");
  EXPECT_FALSE(Base64Decode("a").has_value());
  EXPECT_FALSE(Base64Decode("YQ!=").has_value());
}

// TLS on loopback with a self-signed certificate made by the openssl tool, checked with curl.
class MetricsServerTlsTest : public MetricsServerTest {
 protected:
  void SetUp() override {
    MetricsServerTest::SetUp();
    if (std::system("command -v openssl >/dev/null && command -v curl >/dev/null") != 0) {
      GTEST_SKIP() << "openssl or curl not installed";
    }
    // A CA, a server certificate for 127.0.0.1 signed by it, and a client certificate.
    const std::string d = dir_;
    const std::string script =
        "set -e; cd " + d +
        "; openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 "
        "-subj /CN=test-ca 2>/dev/null"
        "; openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr "
        "-subj /CN=127.0.0.1 2>/dev/null"
        "; printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext"
        "; openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
        "-out server.pem -days 2 -extfile san.ext 2>/dev/null"
        "; openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr "
        "-subj /CN=prometheus 2>/dev/null"
        "; openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
        "-out client.pem -days 2 2>/dev/null"
        "; openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.pem -days 2 "
        "-subj /CN=other 2>/dev/null";
    ASSERT_EQ(std::system(script.c_str()), 0);
  }
  // curl's HTTP status for `url` ("000" when the connection or handshake failed).
  std::string Curl(const std::string& url, const std::string& args) {
    const std::string out = dir_ + "/curl.out";
    const std::string cmd = "curl -s -o " + dir_ + "/body -w '%{http_code}' --max-time 10 " + args +
                            " '" + url + "' > " + out + " 2>/dev/null";
    (void)std::system(cmd.c_str());
    std::ifstream in(out);
    std::string code;
    in >> code;
    return code;
  }
  std::string Body() {
    std::ifstream in(dir_ + "/body");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
};

TEST_F(MetricsServerTlsTest, ServesHttpsWithTheCertificateAndKey) {
  MetricsServerOptions options;
  options.listen = "127.0.0.1:0";
  options.tls_cert_file = dir_ + "/server.pem";
  options.tls_key_file = dir_ + "/server.key";
  auto server = MetricsServer::Start(options, metrics_.Collectable());
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  EXPECT_TRUE((*server)->tls());
  const std::string base = "https://127.0.0.1:" + std::to_string((*server)->port());
  EXPECT_EQ(Curl(base + "/metrics", "--cacert " + dir_ + "/ca.pem"), "200");
  EXPECT_NE(Body().find("divaudit_build_info"), std::string::npos);
  EXPECT_EQ(Curl(base + "/", "--cacert " + dir_ + "/ca.pem"), "200");
  // Not trusted without the CA; plain HTTP gets no metrics; TLS 1.1 is refused.
  EXPECT_EQ(Curl(base + "/metrics", ""), "000");
  EXPECT_NE(Curl("http://127.0.0.1:" + std::to_string((*server)->port()) + "/metrics", ""), "200");
  EXPECT_EQ(Curl(base + "/metrics", "--cacert " + dir_ + "/ca.pem --tls-max 1.1"), "000");
}

TEST_F(MetricsServerTlsTest, ClientCaRequiresAClientCertificateItSigned) {
  MetricsServerOptions options;
  options.listen = "127.0.0.1:0";
  options.tls_cert_file = dir_ + "/server.pem";
  options.tls_key_file = dir_ + "/server.key";
  options.tls_client_ca_file = dir_ + "/ca.pem";
  auto server = MetricsServer::Start(options, metrics_.Collectable());
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  const std::string url = "https://127.0.0.1:" + std::to_string((*server)->port()) + "/metrics";
  const std::string ca = "--cacert " + dir_ + "/ca.pem";
  EXPECT_EQ(Curl(url, ca), "000");
  EXPECT_EQ(Curl(url, ca + " --cert " + dir_ + "/other.pem --key " + dir_ + "/other.key"), "000");
  EXPECT_EQ(Curl(url, ca + " --cert " + dir_ + "/client.pem --key " + dir_ + "/client.key"), "200");
}

TEST_F(MetricsServerTlsTest, BadTlsFilesAreClearErrors) {
  MetricsServerOptions options;
  options.listen = "127.0.0.1:0";
  options.tls_cert_file = dir_ + "/server.pem";
  auto half = MetricsServer::Start(options, metrics_.Collectable());
  EXPECT_EQ(half.status().code(), StatusCode::kInvalidArgument);

  options.tls_key_file = dir_ + "/absent.key";
  auto missing = MetricsServer::Start(options, metrics_.Collectable());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("absent.key"), std::string::npos);

  options.tls_key_file = dir_ + "/other.key";  // does not match server.pem
  auto mismatch = MetricsServer::Start(options, metrics_.Collectable());
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(mismatch.status().message().find("other.key"), std::string::npos)
      << mismatch.status().message();

  options.tls_key_file = dir_ + "/server.key";
  options.tls_cert_file = dir_ + "/san.ext";  // not a certificate
  auto garbage = MetricsServer::Start(options, metrics_.Collectable());
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.status().message().find("tls_cert_file"), std::string::npos)
      << garbage.status().message();
}

}  // namespace
}  // namespace divaudit::metrics
