#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/cancellation.h"
#include "common/clock.h"
#include "common/random.h"
#include "common/status.h"
#include "genesys/api_client.h"
#include "genesys/http_client.h"
#include "genesys/oauth.h"
#include "genesys/rate_limiter.h"
#include "genesys/retry_policy.h"
#include "genesys/sleeper.h"

namespace divaudit::genesys {

struct PlatformClientOptions {
  std::string api_base_url;    // "https://api.mypurecloud.com" (config/regions.h resolves it)
  std::string login_base_url;  // "https://login.mypurecloud.com"
  std::string client_id;
  std::string client_secret;
  int max_concurrency = 4;        // requests in flight at once (the HttpClient's cap also applies)
  int requests_per_minute = 300;  // client-side budget (RateLimiter)
  int max_attempts = 6;           // per request, first attempt included
  RetryPolicyOptions retry;       // back-off and Retry-After cap; max_attempts is taken from above
};

// The Platform API client (ApiClient) composed of: an HttpClient (transport), a TokenProvider
// (OAuth client credentials), a RateLimiter (client-side budget + server hints), a RetryPolicy,
// a Clock, a RandomSource (jitter), a Sleeper (every wait goes through it) and a
// CancellationToken.
//
// Stream (and GetAll, built on it) keeps up to max_concurrency requests in flight through
// HttpClient::Run: whenever a slot frees it starts the next request — a retry whose back-off has
// passed first, else the source's next — as soon as the rate limiter permits (a limiter wait
// with requests in flight shortens the transport's poll; with nothing in flight it goes through
// the Sleeper), and hands each final outcome to the source the moment it arrives. There are no
// waves: a slow request never holds back the others. Every request carries
// `Authorization: Bearer <token>`; a token is fetched (through HttpClient::PerformAll) only
// while nothing is in flight: when one is needed, new starts pause until the in-flight requests
// finish.
// Per request: 429 → the limiter pauses everyone until Retry-After, then retried (given up past
// the cap: the 429 is the final response); 500/502/503/504 and transport kUnavailable /
// kDeadlineExceeded → retried with capped exponential back-off and full jitter; 401 → the token
// is invalidated, a new one fetched and the request retried once, a second 401 gives
// kUnauthenticated; other statuses are final. Token fetch failures that are transient are
// retried with the same policy; others fail every unfinished request (and every further one the
// source hands out). Cancellation makes
// every unfinished request kAborted (waits are interrupted through the Sleeper).
//
// Stats count every HTTP request (token requests as route "/oauth/token") by route template and
// code ("200", "429", "error"), retries, and 429s (total and per route). Logs to the "api"
// logger: debug per request, warn per retry/429; never the token or the secret.
//
// Thread-compatible: one Stream/GetAll at a time. Everything passed by reference must outlive it.
class PlatformClient final : public ApiClient {
 public:
  // Validates the options (URLs allowed by CheckUrlAllowed, positive limits, a client id).
  static Result<std::unique_ptr<PlatformClient>> Create(HttpClient& http, const Clock& clock,
                                                        RandomSource& rng, Sleeper& sleeper,
                                                        CancellationToken cancel,
                                                        PlatformClientOptions options);

  void Stream(ApiRequestSource& source) override;
  ApiStats Stats() const override { return stats_; }

  // Obtains a token now (retrying transient failures): checks the credentials.
  Status Authenticate();

 private:
  PlatformClient(HttpClient& http, const Clock& clock, RandomSource& rng, Sleeper& sleeper,
                 CancellationToken cancel, PlatformClientOptions options);

  class Session;  // one Stream's state; the HttpStream given to HttpClient::Run

  // The token, fetching (and retrying transient failures) as needed.
  Result<std::string> EnsureToken();
  void Record(const std::string& route, const std::string& code);

  HttpClient& http_;
  const Clock& clock_;
  RandomSource& rng_;
  Sleeper& sleeper_;
  CancellationToken cancel_;
  PlatformClientOptions options_;
  RetryPolicy policy_;
  RateLimiter limiter_;
  TokenProvider tokens_;
  ApiStats stats_;
};

}  // namespace divaudit::genesys
