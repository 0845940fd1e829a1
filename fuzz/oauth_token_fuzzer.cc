// libFuzzer target for the OAuth token response parsing in genesys/oauth.cc (reached through
// TokenProvider::GetToken with an in-memory HttpClient; the parser itself is file-local).
// Input: byte 0 selects the HTTP status (200, 201, 400, 401, 403, 429, 500, 302), the rest is the
// response body.
// Invariants: no crash/UB; errors carry the documented code for the status; the client secret
// never appears in an error message (unless the body itself contains it); a 2xx success yields a
// non-empty token that is fresh right after the request.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "fuzz/fuzz_check.h"
#include "genesys/http_client.h"
#include "genesys/oauth.h"

namespace divaudit::genesys {
namespace {

constexpr std::string_view kSecret = "fz-Q7v9Kp2LmX4rT8wZ1nB6cJ3hD5sE0aYuG";

class CannedHttpClient final : public HttpClient {
 public:
  HttpResponse response;
  std::vector<Result<HttpResponse>> PerformAll(const std::vector<HttpRequest>& requests) override {
    return std::vector<Result<HttpResponse>>(requests.size(), Result<HttpResponse>(response));
  }
};

constexpr int kStatuses[] = {200, 201, 400, 401, 403, 429, 500, 302};

}  // namespace
}  // namespace divaudit::genesys

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace divaudit;           // NOLINT(google-build-using-namespace)
  using namespace divaudit::genesys;  // NOLINT(google-build-using-namespace)
  if (size == 0) return 0;
  CannedHttpClient http;
  http.response.status = kStatuses[data[0] % 8];
  http.response.body.assign(reinterpret_cast<const char*>(data) + 1, size - 1);
  FakeClock clock(SystemTime(std::chrono::hours(24 * 365 * 56)));
  TokenProvider provider(http, clock, {"http://127.0.0.1:1/", "fuzz-client", std::string(kSecret)});
  Result<std::string> token = provider.GetToken();
  const int status = http.response.status;
  if (token.ok()) {
    FUZZ_CHECK(status >= 200 && status < 300, "token accepted from a non-2xx answer");
    FUZZ_CHECK(!token->empty(), "empty token");
    FUZZ_CHECK(provider.HasFreshToken(), "new token is not fresh");
    return 0;
  }
  const Status& st = token.status();
  switch (status) {
    case 400:
    case 401:
    case 403:
      FUZZ_CHECK(st.code() == StatusCode::kUnauthenticated, st.ToString());
      break;
    case 429:
    case 500:
      FUZZ_CHECK(st.code() == StatusCode::kUnavailable, st.ToString());
      break;
    default:
      FUZZ_CHECK(st.code() == StatusCode::kInvalidArgument, st.ToString());
  }
  if (http.response.body.find(kSecret) == std::string::npos) {
    FUZZ_CHECK(st.message().find(kSecret) == std::string::npos, "client secret in error message");
  }
  return 0;
}
