#include "genesys/oauth.h"

#include <simdjson.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "common/strings.h"
#include "genesys/curl_http_client.h"

namespace divaudit::genesys {
namespace {

constexpr size_t kMaxDescriptionChars = 200;

// Reads a string field, if present and a string.
// (DOM, not On-Demand: these bodies are tiny, and On-Demand lookups after a malformed field
// misbehave in simdjson 3.0.1 — found by fuzz_oauth_token.)
std::optional<std::string> StringField(const simdjson::dom::object& obj, std::string_view key) {
  std::string_view value;
  if (obj[key].get(value) != simdjson::SUCCESS) return std::nullopt;
  return std::string(value);
}

// "<error code>[: <description>]" from an OAuth error body, or "" when the body is not one.
std::string DescribeOAuthError(const std::string& body) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body).get(doc) != simdjson::SUCCESS) return "";
  simdjson::dom::object obj;
  if (doc.get(obj) != simdjson::SUCCESS) return "";
  std::optional<std::string> code = StringField(obj, "error");
  std::optional<std::string> description = StringField(obj, "error_description");
  if (!description) description = StringField(obj, "description");
  if (!code) code = StringField(obj, "code");  // a Platform API ErrorBody, just in case
  if (!description) description = StringField(obj, "message");
  if (!code) return "";
  std::string out = *code;
  if (description && !description->empty()) {
    out += ": " + description->substr(0, kMaxDescriptionChars);
  }
  return out;
}

}  // namespace

TokenProvider::TokenProvider(HttpClient& http, const Clock& clock, TokenProviderOptions options,
                             RequestObserver on_request)
    : http_(http), clock_(clock), options_(std::move(options)), on_request_(std::move(on_request)) {
  std::string base = options_.login_base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  token_url_ = base + std::string(kRoute);
}

bool TokenProvider::HasFreshToken() const {
  return token_.has_value() && clock_.SteadyNow() < token_->refresh_at;
}

Result<std::string> TokenProvider::GetToken() {
  if (HasFreshToken()) return token_->value;
  token_.reset();
  DIVAUDIT_ASSIGN_OR_RETURN(Token token, Fetch());
  token_ = std::move(token);
  return token_->value;
}

Result<TokenProvider::Token> TokenProvider::Fetch() {
  const std::string where = "token request to " + RedactUrl(token_url_);
  HttpRequest request;
  request.method = "POST";
  request.url = token_url_;
  request.headers = {
      {"Authorization", "Basic " + Base64Encode(options_.client_id + ":" + options_.client_secret)},
      {"Content-Type", "application/x-www-form-urlencoded"},
      {"Accept", "application/json"}};
  request.body = "grant_type=client_credentials";

  const SteadyTime sent_at = clock_.SteadyNow();
  std::vector<Result<HttpResponse>> results = http_.PerformAll({request});
  Result<HttpResponse>& result = results.front();
  if (on_request_) on_request_(result.ok() ? std::to_string(result->status) : "error");
  if (!result.ok()) return result.status().WithPrefix(where);

  const HttpResponse& response = *result;
  const std::string status = "HTTP " + std::to_string(response.status);
  if (response.status == 400 || response.status == 401 || response.status == 403) {
    std::string oauth_error = DescribeOAuthError(response.body);
    return UnauthenticatedError(where + " was rejected (" + status +
                                (oauth_error.empty() ? "" : ", " + oauth_error) +
                                "); check client_id and the client secret");
  }
  if (response.status == 429 || response.status >= 500) {
    return UnavailableError(where + " failed (" + status + ")");
  }
  if (response.status < 200 || response.status >= 300) {
    return InvalidArgumentError(where + " failed with unexpected " + status);
  }

  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::object obj;
  if (parser.parse(response.body).get(doc) != simdjson::SUCCESS ||
      doc.get(obj) != simdjson::SUCCESS) {
    return InvalidArgumentError(where + ": response is not a JSON object");
  }
  std::optional<std::string> access_token = StringField(obj, "access_token");
  if (!access_token || access_token->empty()) {
    return InvalidArgumentError(where + ": response has no access_token");
  }
  std::optional<std::string> token_type = StringField(obj, "token_type");
  if (token_type) {
    std::string lower = *token_type;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower != "bearer") {
      return InvalidArgumentError(where + ": unexpected token_type \"" + token_type->substr(0, 40) +
                                  "\"");
    }
  }
  std::chrono::seconds lifetime = kDefaultLifetime;
  int64_t expires_in = 0;
  if (obj["expires_in"].get(expires_in) == simdjson::SUCCESS) {
    if (expires_in <= 0) {
      return InvalidArgumentError(where + ": expires_in is not positive");
    }
    // Genesys tokens live at most 48 h; a larger value is not trusted (and would overflow the
    // clock's nanoseconds — found by fuzz_oauth_token).
    lifetime = std::chrono::seconds(std::min<int64_t>(expires_in, kMaxLifetime.count()));
  }
  const auto margin = std::min<std::chrono::milliseconds>(
      kMaxRefreshMargin, std::chrono::duration_cast<std::chrono::milliseconds>(lifetime) / 10);
  return Token{std::move(*access_token), sent_at + lifetime - margin};
}

}  // namespace divaudit::genesys
