#include "genesys/oauth.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/strings.h"
#include "tests/fakes/fake_http_client.h"

namespace divaudit::genesys {
namespace {

using std::chrono::seconds;

constexpr char kLogin[] = "https://login.example.test";
constexpr char kTokenUrl[] = "https://login.example.test/oauth/token";
constexpr char kSecret[] = "s3cr3t-value";

std::string TokenBody(const std::string& token, int expires_in) {
  return R"({"access_token":")" + token + R"(","token_type":"bearer","expires_in":)" +
         std::to_string(expires_in) + "}";
}

class TokenProviderTest : public ::testing::Test {
 protected:
  TokenProvider MakeProvider(std::string login = kLogin) {
    return TokenProvider(http_, clock_, {std::move(login), "my-client", kSecret},
                         [this](std::string_view code) { codes_.emplace_back(code); });
  }
  void ExpectNoSecret(const Status& status) {
    EXPECT_EQ(status.message().find(kSecret), std::string::npos) << status.ToString();
    EXPECT_EQ(status.message().find(Base64Encode(std::string("my-client:") + kSecret)),
              std::string::npos)
        << status.ToString();
  }

  FakeClock clock_;
  FakeHttpClient http_;
  std::vector<std::string> codes_;
};

TEST_F(TokenProviderTest, SendsClientCredentialsRequest) {
  http_.Enqueue("POST", kTokenUrl, FakeHttpClient::Response(200, TokenBody("tok-1", 86400)));
  TokenProvider provider = MakeProvider();
  Result<std::string> token = provider.GetToken();
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_EQ(*token, "tok-1");
  auto sent = http_.requests();
  ASSERT_EQ(sent.size(), 1u);
  const HttpRequest& r = sent[0].request;
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, kTokenUrl);
  EXPECT_EQ(r.body, "grant_type=client_credentials");
  bool saw_basic = false, saw_form = false;
  for (const auto& [k, v] : r.headers) {
    if (k == "Authorization") {
      saw_basic = v == "Basic " + Base64Encode(std::string("my-client:") + kSecret);
    }
    if (k == "Content-Type") saw_form = v == "application/x-www-form-urlencoded";
  }
  EXPECT_TRUE(saw_basic);
  EXPECT_TRUE(saw_form);
  EXPECT_EQ(codes_, std::vector<std::string>{"200"});
}

TEST_F(TokenProviderTest, TrailingSlashInLoginUrlIsIgnored) {
  http_.Enqueue("POST", kTokenUrl, FakeHttpClient::Response(200, TokenBody("tok-1", 86400)));
  TokenProvider provider = MakeProvider(std::string(kLogin) + "/");
  EXPECT_TRUE(provider.GetToken().ok());
  EXPECT_EQ(provider.token_url(), kTokenUrl);
}

TEST_F(TokenProviderTest, ReusesTokenUntilRefreshMarginBeforeExpiry) {
  http_.Enqueue("POST", kTokenUrl, FakeHttpClient::Response(200, TokenBody("tok-1", 3600)));
  http_.Enqueue("POST", kTokenUrl, FakeHttpClient::Response(200, TokenBody("tok-2", 3600)));
  TokenProvider provider = MakeProvider();
  EXPECT_EQ(*provider.GetToken(), "tok-1");
  clock_.Advance(seconds(3539));  // margin: min(60 s, 10% of 3600 s) = 60 s
  EXPECT_EQ(*provider.GetToken(), "tok-1");
  EXPECT_EQ(http_.Count("POST", kTokenUrl), 1);
  clock_.Advance(seconds(1));
  EXPECT_EQ(*provider.GetToken(), "tok-2");
  EXPECT_EQ(http_.Count("POST", kTokenUrl), 2);
}

TEST_F(TokenProviderTest, ShortLivedTokenUsesTenPercentMargin) {
  http_.Enqueue("POST", kTokenUrl, FakeHttpClient::Response(200, TokenBody("tok-1", 300)));
  http_.Enqueue("POST", kTokenUrl, FakeHttpClient::Response(200, TokenBody("tok-2", 300)));
  TokenProvider provider = MakeProvider();
  EXPECT_EQ(*provider.GetToken(), "tok-1");
  clock_.Advance(seconds(269));
  EXPECT_TRUE(provider.HasFreshToken());
  clock_.Advance(seconds(1));
  EXPECT_FALSE(provider.HasFreshToken());
  EXPECT_EQ(*provider.GetToken(), "tok-2");
}

TEST_F(TokenProviderTest, InvalidateForcesANewToken) {
  http_.Enqueue("POST", kTokenUrl, FakeHttpClient::Response(200, TokenBody("tok-1", 86400)));
  http_.Enqueue("POST", kTokenUrl, FakeHttpClient::Response(200, TokenBody("tok-2", 86400)));
  TokenProvider provider = MakeProvider();
  EXPECT_EQ(*provider.GetToken(), "tok-1");
  provider.Invalidate();
  EXPECT_EQ(*provider.GetToken(), "tok-2");
}

TEST_F(TokenProviderTest, RejectedCredentialsAreUnauthenticatedWithOAuthCode) {
  http_.Enqueue("POST", kTokenUrl,
                FakeHttpClient::Response(
                    401, R"({"error":"invalid_client","description":"client not found"})"));
  TokenProvider provider = MakeProvider();
  Result<std::string> token = provider.GetToken();
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(token.status().message().find(kTokenUrl), std::string::npos);
  EXPECT_NE(token.status().message().find("invalid_client"), std::string::npos);
  EXPECT_NE(token.status().message().find("client not found"), std::string::npos);
  ExpectNoSecret(token.status());
  EXPECT_EQ(codes_, std::vector<std::string>{"401"});
}

TEST_F(TokenProviderTest, BadRequestWithErrorDescription) {
  http_.Enqueue("POST", kTokenUrl,
                FakeHttpClient::Response(
                    400, R"({"error_description":"bad grant","error":"invalid_grant"})"));
  TokenProvider provider = MakeProvider();
  Result<std::string> token = provider.GetToken();
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(token.status().message().find("invalid_grant: bad grant"), std::string::npos);
  ExpectNoSecret(token.status());
}

TEST_F(TokenProviderTest, ServerAndTransportFailuresAreUnavailable) {
  http_.Enqueue("POST", kTokenUrl, FakeHttpClient::Response(503, "oops"));
  http_.Enqueue("POST", kTokenUrl, UnavailableError("POST https://login.example.test: reset"));
  TokenProvider provider = MakeProvider();
  Result<std::string> first = provider.GetToken();
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.status().code(), StatusCode::kUnavailable);
  Result<std::string> second = provider.GetToken();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  ExpectNoSecret(first.status());
  ExpectNoSecret(second.status());
  EXPECT_EQ(codes_, (std::vector<std::string>{"503", "error"}));
}

TEST_F(TokenProviderTest, MalformedTokenResponsesAreRejectedWithoutEchoingThem) {
  TokenProvider provider = MakeProvider();
  for (const char* body : {"not json", R"({"token_type":"bearer"})",
                           R"({"access_token":"leak-me","token_type":"mac"})",
                           R"({"access_token":"leak-me","expires_in":0})"}) {
    http_.Enqueue("POST", kTokenUrl, FakeHttpClient::Response(200, body));
    Result<std::string> token = provider.GetToken();
    ASSERT_FALSE(token.ok()) << body;
    EXPECT_EQ(token.status().code(), StatusCode::kInvalidArgument) << body;
    EXPECT_EQ(token.status().message().find("leak-me"), std::string::npos);
  }
}

TEST_F(TokenProviderTest, MissingExpiryAssumesShortestLifetime) {
  http_.Enqueue("POST", kTokenUrl,
                FakeHttpClient::Response(200, R"({"access_token":"t","token_type":"Bearer"})"));
  TokenProvider provider = MakeProvider();
  EXPECT_TRUE(provider.GetToken().ok());
  clock_.Advance(seconds(269));
  EXPECT_TRUE(provider.HasFreshToken());
  clock_.Advance(seconds(1));
  EXPECT_FALSE(provider.HasFreshToken());
}

}  // namespace
}  // namespace divaudit::genesys
