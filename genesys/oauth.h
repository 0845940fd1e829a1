#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"
#include "genesys/http_client.h"

namespace divaudit::genesys {

struct TokenProviderOptions {
  std::string login_base_url;  // "https://login.mypurecloud.com" (no trailing path)
  std::string client_id;
  std::string client_secret;
};

// OAuth client-credentials token source (docs/genesys-api.md "Hosts, auth, tokens").
// `POST {login_base_url}/oauth/token` with `Authorization: Basic base64(id:secret)` and the form
// body `grant_type=client_credentials`; the JSON answer {"access_token","token_type",
// "expires_in"} is parsed with simdjson. The token is reused until a refresh margin before
// expiry — min(60 s, 10% of its lifetime), lifetime counted from when the request was sent —
// and Invalidate() (after a 401) forces a new one on the next call.
// Errors (the secret and tokens never appear in them):
//   kUnauthenticated  400/401/403 — the message names the login URL and the OAuth `error` code
//                     (and its description);
//   kUnavailable      429, 5xx, or a transport failure (worth retrying later);
//   kDeadlineExceeded/kAborted from the transport;
//   kInvalidArgument  a 2xx whose body is not a bearer token response, or another status.
// Every token request (whatever its outcome) is reported to `on_request` with its code: the
// HTTP status ("200", "401") or "error" for a transport failure, for ApiStats (route
// "/oauth/token").
// Thread-compatible: one caller at a time. `http` and `clock` must outlive the provider.
class TokenProvider {
 public:
  static constexpr std::string_view kRoute = "/oauth/token";
  static constexpr std::chrono::seconds kMaxRefreshMargin{60};
  // Assumed lifetime when the response carries no expires_in (the shortest Genesys allows).
  static constexpr std::chrono::seconds kDefaultLifetime{300};
  // Longest lifetime believed (Genesys allows 5 min–48 h); larger expires_in values are capped.
  static constexpr std::chrono::seconds kMaxLifetime{172800};

  using RequestObserver = std::function<void(std::string_view code)>;

  TokenProvider(HttpClient& http, const Clock& clock, TokenProviderOptions options,
                RequestObserver on_request = nullptr);

  // The cached token while it is fresh, otherwise a newly requested one.
  Result<std::string> GetToken();

  // Forgets the cached token (the API rejected it).
  void Invalidate() { token_.reset(); }

  // Whether a cached token is fresh now (GetToken would send nothing).
  bool HasFreshToken() const;

  const std::string& token_url() const { return token_url_; }

 private:
  struct Token {
    std::string value;
    SteadyTime refresh_at;  // expiry minus the refresh margin
  };

  Result<Token> Fetch();

  HttpClient& http_;
  const Clock& clock_;
  TokenProviderOptions options_;
  RequestObserver on_request_;
  std::string token_url_;
  std::optional<Token> token_;
};

}  // namespace divaudit::genesys
