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

}  // namespace
}  // namespace divaudit::metrics
