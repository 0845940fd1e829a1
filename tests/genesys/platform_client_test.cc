#include "genesys/platform_client.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/strings.h"
#include "tests/fakes/fake_http_client.h"
#include "tests/fakes/fake_sleeper.h"

namespace divaudit::genesys {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kApi[] = "https://api.example.test";
constexpr char kTokenUrl[] = "https://login.example.test/oauth/token";
constexpr char kSecret[] = "s3cr3t-value";
constexpr char kDivisions[] = "https://api.example.test/api/v2/authorization/divisions";

ApiRequest Divisions() {
  return {"/api/v2/authorization/divisions", "/api/v2/authorization/divisions"};
}

class PlatformClientTest : public ::testing::Test {
 protected:
  PlatformClientTest() {
    http_.SetClock(&clock_);
    http_.SetCancellation(cancel_);
    // Every token request yields a new token "tok-N" valid for an hour.
    http_.SetHandler([this](const HttpRequest& r) -> Result<HttpResponse> {
      if (r.method == "POST" && r.url == kTokenUrl) {
        return FakeHttpClient::Response(200, R"({"access_token":"tok-)" +
                                                 std::to_string(++tokens_issued_) +
                                                 R"(","token_type":"bearer","expires_in":3600})");
      }
      return FakeHttpClient::Response(200, "{\"url\":\"" + r.url + "\"}");
    });
  }

  std::unique_ptr<PlatformClient> MakeClient(int max_concurrency = 4, int rpm = 300) {
    PlatformClientOptions options;
    options.api_base_url = std::string(kApi) + "/";
    options.login_base_url = "https://login.example.test";
    options.client_id = "my-client";
    options.client_secret = kSecret;
    options.max_concurrency = max_concurrency;
    options.requests_per_minute = rpm;
    auto client = PlatformClient::Create(http_, clock_, rng_, sleeper_, cancel_, options);
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    return std::move(client).value();
  }

  static std::string AuthorizationOf(const HttpRequest& r) {
    for (const auto& [k, v] : r.headers) {
      if (k == "Authorization") return v;
    }
    return "";
  }

  void ExpectNoSecrets(const Status& s) {
    EXPECT_EQ(s.message().find(kSecret), std::string::npos) << s.ToString();
    EXPECT_EQ(s.message().find("tok-"), std::string::npos) << s.ToString();
    EXPECT_EQ(s.message().find(Base64Encode(std::string("my-client:") + kSecret)),
              std::string::npos);
  }

  FakeClock clock_;
  SeededRandom rng_{42};
  FakeHttpClient http_;
  FakeSleeper sleeper_{clock_};
  CancellationToken cancel_;
  int tokens_issued_ = 0;
};

TEST_F(PlatformClientTest, RejectsPlainHttpToNonLoopbackAndBadOptions) {
  PlatformClientOptions options;
  options.api_base_url = "http://api.example.test";
  options.login_base_url = "https://login.example.test";
  options.client_id = "id";
  auto client = PlatformClient::Create(http_, clock_, rng_, sleeper_, cancel_, options);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(client.status().message().find("http://api.example.test"), std::string::npos);
  options.api_base_url = "http://127.0.0.1:18080";
  options.login_base_url = "http://localhost:18080";
  EXPECT_TRUE(PlatformClient::Create(http_, clock_, rng_, sleeper_, cancel_, options).ok());
  options.requests_per_minute = 0;
  EXPECT_FALSE(PlatformClient::Create(http_, clock_, rng_, sleeper_, cancel_, options).ok());
}

TEST_F(PlatformClientTest, SendsBearerTokenAndReturnsResultsInOrder) {
  auto client = MakeClient();
  std::vector<ApiRequest> requests;
  for (int i = 0; i < 10; ++i) {
    requests.push_back({"/api/v2/users?pageNumber=" + std::to_string(i), "/api/v2/users"});
  }
  auto results = client->GetAll(requests);
  ASSERT_EQ(results.size(), 10u);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(results[i].ok());
    EXPECT_EQ(results[i]->status, 200);
    EXPECT_EQ(results[i]->body, "{\"url\":\"https://api.example.test/api/v2/users?pageNumber=" +
                                    std::to_string(i) + "\"}");
  }
  for (const auto& r : http_.requests()) {
    if (r.request.url != kTokenUrl) {
      EXPECT_EQ(r.request.method, "GET");
      EXPECT_EQ(AuthorizationOf(r.request), "Bearer tok-1");
    }
  }
  ApiStats stats = client->Stats();
  EXPECT_EQ(stats.requests, 11);
  EXPECT_EQ((stats.by_route_and_code[{"/api/v2/users", "200"}]), 10);
  EXPECT_EQ((stats.by_route_and_code[{"/oauth/token", "200"}]), 1);
  EXPECT_EQ(stats.retries, 0);
}

// A POST request (the analytics query) goes out as POST with its JSON body and content type.
TEST_F(PlatformClientTest, SendsPostWithJsonBody) {
  auto client = MakeClient();
  ApiRequest query{"/api/v2/analytics/conversations/details/query",
                   "/api/v2/analytics/conversations/details/query"};
  query.method = "POST";
  query.body = R"({"interval":"a/b"})";
  auto results = client->GetAll({query, Divisions()});
  ASSERT_TRUE(results[0].ok());
  int posts = 0;
  for (const auto& r : http_.requests()) {
    if (r.request.url == kTokenUrl) continue;
    bool json = false;
    for (const auto& [k, v] : r.request.headers)
      json |= k == "Content-Type" && v == "application/json";
    if (r.request.url == std::string(kApi) + query.path_and_query) {
      ++posts;
      EXPECT_EQ(r.request.method, "POST");
      EXPECT_EQ(r.request.body, query.body);
      EXPECT_TRUE(json);
    } else {
      EXPECT_EQ(r.request.method, "GET");
      EXPECT_TRUE(r.request.body.empty());
      EXPECT_FALSE(json);
    }
  }
  EXPECT_EQ(posts, 1);
}

TEST_F(PlatformClientTest, ReusesTokenAcrossCallsAndRefreshesBeforeExpiry) {
  auto client = MakeClient();
  ASSERT_TRUE(client->GetAll({Divisions()})[0].ok());
  ASSERT_TRUE(client->GetAll({Divisions()})[0].ok());
  EXPECT_EQ(http_.Count("POST", kTokenUrl), 1);
  clock_.Advance(seconds(3540));  // an hour minus the 60 s refresh margin
  ASSERT_TRUE(client->GetAll({Divisions()})[0].ok());
  EXPECT_EQ(http_.Count("POST", kTokenUrl), 2);
  EXPECT_EQ(AuthorizationOf(http_.requests().back().request), "Bearer tok-2");
}

TEST_F(PlatformClientTest, RefreshesTokenOnceOn401AndRetries) {
  http_.Enqueue("GET", kDivisions,
                FakeHttpClient::Response(401, R"({"code":"credentials.expired","status":401})"));
  auto client = MakeClient();
  auto results = client->GetAll({Divisions()});
  ASSERT_TRUE(results[0].ok()) << results[0].status().ToString();
  EXPECT_EQ(results[0]->status, 200);
  EXPECT_EQ(http_.Count("POST", kTokenUrl), 2);
  EXPECT_EQ(AuthorizationOf(http_.requests().back().request), "Bearer tok-2");
  EXPECT_EQ(client->Stats().retries, 1);
}

TEST_F(PlatformClientTest, GivesUpAfterSecond401) {
  for (int i = 0; i < 3; ++i) {
    http_.Enqueue("GET", kDivisions,
                  FakeHttpClient::Response(401, R"({"code":"bad.credentials","status":401})"));
  }
  auto client = MakeClient();
  auto results = client->GetAll({Divisions()});
  ASSERT_FALSE(results[0].ok());
  EXPECT_EQ(results[0].status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(results[0].status().message().find("/api/v2/authorization/divisions"),
            std::string::npos);
  EXPECT_NE(results[0].status().message().find("bad.credentials"), std::string::npos);
  ExpectNoSecrets(results[0].status());
  EXPECT_EQ(http_.Count("GET", kDivisions), 2);
  EXPECT_EQ(http_.Count("POST", kTokenUrl), 2);
}

TEST_F(PlatformClientTest, TokenRejectionFailsEveryRequestNamingLoginUrlAndCode) {
  http_.Enqueue("POST", kTokenUrl,
                FakeHttpClient::Response(401, R"({"error":"invalid_client","description":"x"})"));
  auto client = MakeClient();
  auto results = client->GetAll({Divisions(), Divisions()});
  for (const auto& r : results) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
    EXPECT_NE(r.status().message().find(kTokenUrl), std::string::npos);
    EXPECT_NE(r.status().message().find("invalid_client"), std::string::npos);
    ExpectNoSecrets(r.status());
  }
  EXPECT_EQ(http_.Count("POST", kTokenUrl), 1);
  EXPECT_EQ(http_.Count("GET", kDivisions), 0);
  EXPECT_EQ((client->Stats().by_route_and_code[{"/oauth/token", "401"}]), 1);
}

TEST_F(PlatformClientTest, RetriesTransientTokenFailures) {
  http_.Enqueue("POST", kTokenUrl, FakeHttpClient::Response(503));
  http_.Enqueue("POST", kTokenUrl, UnavailableError("POST " + std::string(kTokenUrl) + ": reset"));
  auto client = MakeClient();
  auto results = client->GetAll({Divisions()});
  ASSERT_TRUE(results[0].ok()) << results[0].status().ToString();
  EXPECT_EQ(http_.Count("POST", kTokenUrl), 3);
  EXPECT_EQ((client->Stats().by_route_and_code[{"/oauth/token", "error"}]), 1);
  EXPECT_GT(sleeper_.sleeps(), 0);
}

TEST_F(PlatformClientTest, Honours429RetryAfter) {
  http_.Enqueue("GET", kDivisions,
                FakeHttpClient::Response(429, R"({"code":"too.many.requests.retry.after"})",
                                         {{"retry-after", "7"}}));
  auto client = MakeClient();
  auto results = client->GetAll({Divisions()});
  ASSERT_TRUE(results[0].ok());
  EXPECT_EQ(results[0]->status, 200);
  auto sent = http_.requests();
  ASSERT_EQ(sent.size(), 3u);  // token, 429, 200
  EXPECT_GE(sent[2].sent_at - sent[1].sent_at, seconds(7));
  ApiStats stats = client->Stats();
  EXPECT_EQ(stats.throttled, 1);
  EXPECT_EQ(stats.throttled_by_route["/api/v2/authorization/divisions"], 1);
  EXPECT_EQ((stats.by_route_and_code[{"/api/v2/authorization/divisions", "429"}]), 1);
  EXPECT_EQ(stats.retries, 1);
}

TEST_F(PlatformClientTest, A429PausesOtherRequestsToo) {
  http_.Enqueue("GET", kDivisions, FakeHttpClient::Response(429, "", {{"retry-after", "30"}}));
  auto client = MakeClient(/*max_concurrency=*/1);
  auto results = client->GetAll({Divisions(), {"/api/v2/users", "/api/v2/users"}});
  ASSERT_TRUE(results[1].ok());
  auto sent = http_.requests();
  ASSERT_EQ(sent.size(), 4u);  // token, divisions 429, then both after the pause
  EXPECT_EQ(sent[2].request.url.find(kApi), 0u);
  EXPECT_GE(sent[2].sent_at - sent[1].sent_at, seconds(30));
  EXPECT_GE(sent[3].sent_at - sent[1].sent_at, seconds(30));
}

TEST_F(PlatformClientTest, GivesUpOn429WithRetryAfterAboveCap) {
  http_.Enqueue("GET", kDivisions, FakeHttpClient::Response(429, "", {{"retry-after", "600"}}));
  auto client = MakeClient();
  auto results = client->GetAll({Divisions()});
  ASSERT_TRUE(results[0].ok());
  EXPECT_EQ(results[0]->status, 429);
  EXPECT_EQ(http_.Count("GET", kDivisions), 1);
}

TEST_F(PlatformClientTest, ServerErrorsBackOffBoundedAndDeterministic) {
  auto run = [](uint64_t seed) {
    FakeClock clock;
    SeededRandom rng(seed);
    FakeHttpClient http;
    FakeSleeper sleeper(clock);
    http.SetHandler([](const HttpRequest& r) -> Result<HttpResponse> {
      if (r.url == kTokenUrl) {
        return FakeHttpClient::Response(200, R"({"access_token":"t","expires_in":86400})");
      }
      return FakeHttpClient::Response(503, R"({"code":"service.unavailable"})");
    });
    PlatformClientOptions options;
    options.api_base_url = kApi;
    options.login_base_url = "https://login.example.test";
    options.client_id = "id";
    options.client_secret = "x";
    auto client = std::move(PlatformClient::Create(http, clock, rng, sleeper, {}, options)).value();
    auto results = client->GetAll({Divisions()});
    EXPECT_TRUE(results[0].ok());
    EXPECT_EQ(results[0]->status, 503);
    EXPECT_EQ(http.Count("GET", kDivisions), 6);
    EXPECT_EQ(client->Stats().retries, 5);
    return sleeper.total();
  };
  milliseconds a = run(7);
  EXPECT_EQ(a, run(7));
  EXPECT_NE(a, run(8));
  // Full jitter below 0.5 + 1 + 2 + 4 + 8 s.
  EXPECT_LT(a, milliseconds(15'500));
}

TEST_F(PlatformClientTest, RetriesResetsAndTimeouts) {
  http_.Enqueue("GET", kDivisions, UnavailableError("GET " + std::string(kDivisions) + ": reset"));
  http_.Enqueue("GET", kDivisions, DeadlineExceededError("GET: timed out"));
  http_.Enqueue("GET", kDivisions, FakeHttpClient::Response(502));
  auto client = MakeClient();
  auto results = client->GetAll({Divisions()});
  ASSERT_TRUE(results[0].ok());
  EXPECT_EQ(results[0]->status, 200);
  EXPECT_EQ(http_.Count("GET", kDivisions), 4);
  ApiStats stats = client->Stats();
  EXPECT_EQ(stats.retries, 3);
  EXPECT_EQ((stats.by_route_and_code[{"/api/v2/authorization/divisions", "error"}]), 2);
  EXPECT_EQ((stats.by_route_and_code[{"/api/v2/authorization/divisions", "502"}]), 1);
}

TEST_F(PlatformClientTest, PersistentTransportFailureIsAnErrorNamingTheRoute) {
  for (int i = 0; i < 6; ++i) {
    http_.Enqueue("GET", kDivisions,
                  UnavailableError("GET " + std::string(kDivisions) + ": reset"));
  }
  auto client = MakeClient();
  auto results = client->GetAll({Divisions()});
  ASSERT_FALSE(results[0].ok());
  EXPECT_EQ(results[0].status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(results[0].status().message().find("/api/v2/authorization/divisions"), 0u);
  EXPECT_EQ(http_.Count("GET", kDivisions), 6);
}

// A request with max_attempts = 1 (the change watch's audit polls) is never retried: its 503,
// 429 or transport error comes back at once, while the same failures are retried otherwise.
TEST_F(PlatformClientTest, MaxAttemptsOneIsNeverRetried) {
  const std::string users = std::string(kApi) + "/api/v2/users";
  http_.Enqueue("GET", kDivisions, FakeHttpClient::Response(503));
  http_.Enqueue("GET", users, FakeHttpClient::Response(429));
  auto client = MakeClient();
  ApiRequest divisions = Divisions();
  divisions.max_attempts = 1;
  ApiRequest u{"/api/v2/users", "/api/v2/users"};
  u.max_attempts = 1;
  auto results = client->GetAll({divisions, u});
  ASSERT_TRUE(results[0].ok());
  EXPECT_EQ(results[0]->status, 503);
  EXPECT_EQ(results[1]->status, 429);
  EXPECT_EQ(http_.Count("GET", kDivisions), 1);
  EXPECT_EQ(http_.Count("GET", users), 1);
  EXPECT_EQ(client->Stats().retries, 0);
  // Without the limit the same 503 is retried (and then answered 200 by the fake).
  http_.Enqueue("GET", kDivisions, FakeHttpClient::Response(503));
  auto again = client->GetAll({Divisions()});
  EXPECT_EQ(again[0]->status, 200);
  EXPECT_EQ(http_.Count("GET", kDivisions), 3);
}

TEST_F(PlatformClientTest, NeverRetries501Or404) {
  const std::string users = std::string(kApi) + "/api/v2/users";
  http_.Enqueue("GET", kDivisions, FakeHttpClient::Response(501));
  http_.Enqueue("GET", users, FakeHttpClient::Response(404));
  auto client = MakeClient();
  auto results = client->GetAll({Divisions(), {"/api/v2/users", "/api/v2/users"}});
  EXPECT_EQ(results[0]->status, 501);
  EXPECT_EQ(results[1]->status, 404);
  EXPECT_EQ(http_.Count("GET", kDivisions), 1);
  EXPECT_EQ(http_.Count("GET", users), 1);
  EXPECT_EQ(client->Stats().retries, 0);
}

TEST_F(PlatformClientTest, PacesToRequestsPerMinuteAndCapsConcurrency) {
  auto client = MakeClient(/*max_concurrency=*/4, /*rpm=*/300);
  std::vector<ApiRequest> requests;
  for (int i = 0; i < 600; ++i) {
    requests.push_back({"/api/v2/users?pageNumber=" + std::to_string(i), "/api/v2/users"});
  }
  auto results = client->GetAll(requests);
  for (const auto& r : results) ASSERT_TRUE(r.ok());
  EXPECT_GE(sleeper_.total(), seconds(118));
  EXPECT_LE(sleeper_.total(), seconds(125));
  std::vector<SteadyTime> sent;
  for (const auto& r : http_.requests()) {
    if (r.request.url != kTokenUrl) sent.push_back(r.sent_at);
    EXPECT_LE(r.batch_size, 4u);
  }
  ASSERT_EQ(sent.size(), 600u);
  for (size_t i = 0; i + 300 < sent.size(); ++i) {
    ASSERT_GE(sent[i + 300] - sent[i], seconds(60)) << "more than 300 requests in 60 s at " << i;
  }
  EXPECT_EQ(http_.max_batch_size(), 4u);  // the first wave uses every slot
}

TEST_F(PlatformClientTest, ConcurrencyNeverExceedsMaxConcurrency) {
  auto client = MakeClient(/*max_concurrency=*/3, /*rpm=*/6000);
  std::vector<ApiRequest> requests(50, Divisions());
  auto results = client->GetAll(requests);
  EXPECT_EQ(results.size(), 50u);
  EXPECT_EQ(http_.max_batch_size(), 3u);
  EXPECT_LE(http_.calls(), 1u + 50u / 3u + 1u + 10u);
}

TEST_F(PlatformClientTest, CancellationDuringTransferAbortsPromptly) {
  std::atomic<int> calls{0};
  http_.OnPerform([&](const std::vector<HttpRequest>& batch) {
    if (batch[0].url != kTokenUrl && ++calls == 3) cancel_.Cancel();
  });
  auto client = MakeClient(/*max_concurrency=*/4, /*rpm=*/300);
  std::vector<ApiRequest> requests(200, Divisions());
  auto results = client->GetAll(requests);
  int ok = 0, aborted = 0;
  for (const auto& r : results) {
    if (r.ok()) {
      ++ok;
    } else {
      EXPECT_EQ(r.status().code(), StatusCode::kAborted) << r.status().ToString();
      ++aborted;
    }
  }
  EXPECT_EQ(aborted, 200 - ok);
  EXPECT_LE(ok, 8);
  EXPECT_LT(sleeper_.total(), seconds(2));
  EXPECT_LE(http_.calls(), 4u);
}

TEST_F(PlatformClientTest, CancellationDuringBackOffAbortsPromptly) {
  for (int i = 0; i < 6; ++i) http_.Enqueue("GET", kDivisions, FakeHttpClient::Response(503));
  sleeper_.OnSleep([&](milliseconds) { cancel_.Cancel(); });
  auto client = MakeClient();
  auto results = client->GetAll({Divisions()});
  ASSERT_FALSE(results[0].ok());
  EXPECT_EQ(results[0].status().code(), StatusCode::kAborted);
  EXPECT_EQ(http_.Count("GET", kDivisions), 1);
}

// Streaming: with per-request latencies, a slot that frees is refilled at once — the fast
// requests all go through the second slot while the slow one is still in flight (waves would
// have held them back until it finished).
TEST_F(PlatformClientTest, SlotIsRefilledBeforeSlowerRequestsFinish) {
  http_.SetLatency(&clock_, [](const HttpRequest& r) {
    return r.url.find("slow") != std::string::npos ? milliseconds(1000) : milliseconds(10);
  });
  auto client = MakeClient(/*max_concurrency=*/2, /*rpm=*/60000);
  const SteadyTime t0 = clock_.SteadyNow();
  auto results = client->GetAll({{"/api/v2/slow", "/api/v2/slow"},
                                 {"/api/v2/fast?n=1", "/api/v2/fast"},
                                 {"/api/v2/fast?n=2", "/api/v2/fast"},
                                 {"/api/v2/fast?n=3", "/api/v2/fast"}});
  for (const auto& r : results) ASSERT_TRUE(r.ok() && r->status == 200);
  std::map<std::string, FakeHttpClient::Recorded> by_url;
  for (const auto& r : http_.requests()) by_url[r.request.url] = r;
  const std::string fast = std::string(kApi) + "/api/v2/fast?n=";
  EXPECT_EQ(by_url[fast + "1"].sent_at - t0, milliseconds(0));
  EXPECT_EQ(by_url[fast + "2"].sent_at - t0, milliseconds(10));
  EXPECT_EQ(by_url[fast + "3"].sent_at - t0, milliseconds(20));
  EXPECT_EQ(by_url[fast + "3"].done_at - t0, milliseconds(30));
  EXPECT_EQ(by_url[std::string(kApi) + "/api/v2/slow"].done_at - t0, milliseconds(1000));
  EXPECT_EQ(clock_.SteadyNow() - t0, milliseconds(1000));  // not 1000 + 3 × 10
  EXPECT_EQ(http_.max_in_flight_seen(), 2u);
  EXPECT_EQ(sleeper_.sleeps(), 0);
}

// A source that records results as they arrive and adds a follow-up after the first fast one.
class RecordingSource final : public ApiRequestSource {
 public:
  explicit RecordingSource(std::vector<ApiRequest> initial) {
    for (auto& r : initial) queue_.push_back({next_tag_++, std::move(r)});
  }
  std::optional<Tagged> Next() override {
    if (queue_.empty()) return std::nullopt;
    Tagged t = std::move(queue_.front());
    queue_.erase(queue_.begin());
    paths_[t.tag] = t.request.path_and_query;
    return t;
  }
  void OnResult(uint64_t tag, Result<ApiResponse> result) override {
    order.push_back(paths_[tag]);
    statuses.push_back(result.ok() ? result->status : -1);
    if (paths_[tag] == "/api/v2/fast" && !followed_up_) {
      followed_up_ = true;
      queue_.push_back({next_tag_++, {"/api/v2/followup", "/api/v2/followup"}});
    }
  }
  std::vector<std::string> order;
  std::vector<int> statuses;

 private:
  std::vector<Tagged> queue_;
  std::map<uint64_t, std::string> paths_;
  uint64_t next_tag_ = 1;
  bool followed_up_ = false;
};

TEST_F(PlatformClientTest, StreamDeliversEachResultAtOnceAndStartsFollowUpsWhileOthersRun) {
  http_.SetLatency(&clock_, [](const HttpRequest& r) {
    return r.url.find("slow") != std::string::npos ? milliseconds(500) : milliseconds(10);
  });
  auto client = MakeClient(/*max_concurrency=*/4, /*rpm=*/60000);
  const SteadyTime t0 = clock_.SteadyNow();
  RecordingSource source({{"/api/v2/slow", "/api/v2/slow"}, {"/api/v2/fast", "/api/v2/fast"}});
  client->Stream(source);
  EXPECT_EQ(source.order,
            (std::vector<std::string>{"/api/v2/fast", "/api/v2/followup", "/api/v2/slow"}));
  EXPECT_EQ(source.statuses, (std::vector<int>{200, 200, 200}));
  for (const auto& r : http_.requests()) {
    if (r.request.url == std::string(kApi) + "/api/v2/followup") {
      EXPECT_EQ(r.sent_at - t0, milliseconds(10));  // as soon as the fast one answered
    }
  }
  EXPECT_EQ(client->Stats().requests, 4);  // token + 3
}

// A 401 while other requests are in flight: new starts pause, the in-flight ones finish, one
// new token is fetched, and everything after carries it.
TEST_F(PlatformClientTest, A401MidStreamRefreshesTheTokenOnceWhenNothingIsInFlight) {
  const std::string bad = std::string(kApi) + "/api/v2/users?n=1";
  http_.Enqueue("GET", bad, FakeHttpClient::Response(401, R"({"code":"bad.credentials"})"));
  http_.SetLatency(&clock_, [](const HttpRequest& r) {
    return r.url.find("n=1") != std::string::npos ? milliseconds(5) : milliseconds(10);
  });
  auto client = MakeClient(/*max_concurrency=*/3, /*rpm=*/60000);
  std::vector<ApiRequest> requests;
  for (int i = 0; i < 8; ++i) {
    requests.push_back({"/api/v2/users?n=" + std::to_string(i), "/api/v2/users"});
  }
  auto results = client->GetAll(requests);
  for (const auto& r : results) ASSERT_TRUE(r.ok() && r->status == 200);
  EXPECT_EQ(http_.Count("POST", kTokenUrl), 2);
  EXPECT_EQ(http_.Count("GET", bad), 2);
  const auto sent = http_.requests();
  SteadyTime second_token{};
  int tokens = 0;
  for (const auto& r : sent) {
    if (r.request.url == kTokenUrl && ++tokens == 2) second_token = r.sent_at;
  }
  SteadyTime unauthorized_at{};
  for (const auto& r : sent) {
    if (r.request.url == bad && AuthorizationOf(r.request) == "Bearer tok-1") {
      unauthorized_at = r.done_at;
    }
  }
  for (const auto& r : sent) {
    if (r.request.url == kTokenUrl) continue;
    // Nothing in flight across the token request.
    EXPECT_FALSE(r.sent_at < second_token && r.done_at > second_token) << r.request.url;
    // Nothing started with the rejected token after the 401.
    if (r.sent_at >= unauthorized_at) {
      EXPECT_EQ(AuthorizationOf(r.request), "Bearer tok-2");
    }
  }
  EXPECT_EQ(client->Stats().retries, 1);
}

// A retry waits for its back-off without holding the other requests: they keep the slots busy
// in the meantime (no Sleeper wait while something is in flight).
TEST_F(PlatformClientTest, RetryBackOffDoesNotHoldOtherRequests) {
  const std::string flaky = std::string(kApi) + "/api/v2/users?n=0";
  http_.Enqueue("GET", flaky, FakeHttpClient::Response(503));
  http_.SetLatency(&clock_, [](const HttpRequest&) { return milliseconds(10); });
  auto client = MakeClient(/*max_concurrency=*/2, /*rpm=*/60000);
  std::vector<ApiRequest> requests;
  for (int i = 0; i < 100; ++i) {
    requests.push_back({"/api/v2/users?n=" + std::to_string(i), "/api/v2/users"});
  }
  auto results = client->GetAll(requests);
  for (const auto& r : results) ASSERT_TRUE(r.ok() && r->status == 200);
  std::vector<FakeHttpClient::Recorded> attempts;
  int sent_during_back_off = 0;
  for (const auto& r : http_.requests()) {
    if (r.request.url == flaky) attempts.push_back(r);
  }
  ASSERT_EQ(attempts.size(), 2u);
  for (const auto& r : http_.requests()) {
    if (r.request.url != flaky && r.request.url != kTokenUrl && r.sent_at >= attempts[0].done_at &&
        r.sent_at < attempts[1].sent_at) {
      ++sent_during_back_off;
    }
  }
  EXPECT_GT(attempts[1].sent_at - attempts[0].done_at, milliseconds(0));
  EXPECT_GT(sent_during_back_off, 0);
  EXPECT_EQ(http_.max_in_flight_seen(), 2u);
}

TEST_F(PlatformClientTest, AuthenticateChecksCredentials) {
  auto client = MakeClient();
  EXPECT_TRUE(client->Authenticate().ok());
  http_.Enqueue("POST", kTokenUrl, FakeHttpClient::Response(400, R"({"error":"invalid_grant"})"));
  clock_.Advance(seconds(3600));
  Status s = client->Authenticate();
  EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
  ExpectNoSecrets(s);
}

}  // namespace
}  // namespace divaudit::genesys

namespace divaudit::genesys {
namespace {

TEST(RealSleeperTest, ReturnsAtOnceWhenAlreadyCancelled) {
  RealSleeper sleeper;
  CancellationToken cancel;
  cancel.Cancel();
  const auto start = std::chrono::steady_clock::now();
  sleeper.SleepFor(std::chrono::seconds(30), cancel);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST(RealSleeperTest, WakesOnCancellationFromAnotherThread) {
  RealSleeper sleeper;
  CancellationToken cancel;
  std::thread canceller([cancel]() mutable { cancel.Cancel(); });
  const auto start = std::chrono::steady_clock::now();
  sleeper.SleepFor(std::chrono::seconds(30), cancel);
  canceller.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

}  // namespace
}  // namespace divaudit::genesys

namespace divaudit::genesys {
namespace {

TEST_F(PlatformClientTest, SendsPostQueriesWithTheirJsonBody) {
  auto client = MakeClient();
  ApiRequest post;
  post.path_and_query = "/api/v2/audits/query/realtime?expand=user";
  post.route = "/api/v2/audits/query/realtime";
  post.method = "POST";
  post.body = R"({"serviceName":"Groups"})";
  auto results = client->GetAll({post, {"/api/v2/users", "/api/v2/users"}});
  ASSERT_TRUE(results[0].ok());
  bool saw_post = false;
  for (const auto& r : http_.requests()) {
    if (r.request.url == "https://api.example.test/api/v2/audits/query/realtime?expand=user") {
      saw_post = true;
      EXPECT_EQ(r.request.method, "POST");
      EXPECT_EQ(r.request.body, post.body);
      bool json = false;
      for (const auto& [k, v] : r.request.headers)
        json |= k == "Content-Type" && v == "application/json";
      EXPECT_TRUE(json);
    } else if (r.request.url == "https://api.example.test/api/v2/users") {
      EXPECT_EQ(r.request.method, "GET");
      EXPECT_TRUE(r.request.body.empty());
    }
  }
  EXPECT_TRUE(saw_post);
}

}  // namespace
}  // namespace divaudit::genesys
