#include "genesys/platform_client.h"

#include <simdjson.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "common/logging.h"
#include "genesys/curl_http_client.h"

namespace divaudit::genesys {
namespace {

std::string TrimSlashes(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

// The `code` of a Platform API ErrorBody ("bad.credentials"), or "".
std::string ErrorCode(const std::string& body) {
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(body);
  simdjson::ondemand::document doc;
  simdjson::ondemand::object obj;
  std::string_view code;
  if (parser.iterate(padded).get(doc) != simdjson::SUCCESS ||
      doc.get_object().get(obj) != simdjson::SUCCESS ||
      obj.find_field_unordered("code").get_string().get(code) != simdjson::SUCCESS) {
    return "";
  }
  return std::string(code.substr(0, 100));
}

std::chrono::milliseconds CeilMs(std::chrono::nanoseconds d) {
  return std::max(std::chrono::ceil<std::chrono::milliseconds>(d), std::chrono::milliseconds(1));
}

}  // namespace

Result<std::unique_ptr<PlatformClient>> PlatformClient::Create(HttpClient& http, const Clock& clock,
                                                               RandomSource& rng, Sleeper& sleeper,
                                                               CancellationToken cancel,
                                                               PlatformClientOptions options) {
  DIVAUDIT_RETURN_IF_ERROR(CheckUrlAllowed(options.api_base_url).WithPrefix("api_base_url"));
  DIVAUDIT_RETURN_IF_ERROR(CheckUrlAllowed(options.login_base_url).WithPrefix("login_base_url"));
  if (options.client_id.empty()) return InvalidArgumentError("client_id is empty");
  if (options.max_concurrency < 1) return InvalidArgumentError("max_concurrency must be >= 1");
  if (options.requests_per_minute < 1) {
    return InvalidArgumentError("requests_per_minute must be >= 1");
  }
  if (options.max_attempts < 1) return InvalidArgumentError("max_attempts must be >= 1");
  return std::unique_ptr<PlatformClient>(
      new PlatformClient(http, clock, rng, sleeper, std::move(cancel), std::move(options)));
}

PlatformClient::PlatformClient(HttpClient& http, const Clock& clock, RandomSource& rng,
                               Sleeper& sleeper, CancellationToken cancel,
                               PlatformClientOptions options)
    : http_(http),
      clock_(clock),
      rng_(rng),
      sleeper_(sleeper),
      cancel_(std::move(cancel)),
      options_(std::move(options)),
      policy_([&] {
        RetryPolicyOptions retry = options_.retry;
        retry.max_attempts = options_.max_attempts;
        return retry;
      }()),
      limiter_(clock, options_.requests_per_minute),
      tokens_(
          http, clock,
          TokenProviderOptions{options_.login_base_url, options_.client_id, options_.client_secret},
          [this](std::string_view code) {
            Record(std::string(TokenProvider::kRoute), std::string(code));
          }) {
  options_.api_base_url = TrimSlashes(options_.api_base_url);
  options_.client_secret.clear();  // the TokenProvider holds the only copy
}

void PlatformClient::Record(const std::string& route, const std::string& code) {
  ++stats_.requests;
  ++stats_.by_route_and_code[{route, code}];
}

Result<std::string> PlatformClient::EnsureToken() {
  auto log = GetLogger("api");
  for (int attempt = 1;; ++attempt) {
    if (cancel_.cancelled()) return AbortedError("cancelled while obtaining a token");
    Result<std::string> token = tokens_.GetToken();
    if (token.ok()) return token;
    const RetryDecision decision =
        policy_.Decide(attempt, Result<HttpResponse>(token.status()), rng_);
    if (!decision.retry) return token.status();
    ++stats_.retries;
    log->warn("event=retry endpoint={} attempt={} delay_ms={} err={}", TokenProvider::kRoute,
              attempt, decision.delay.count(), StatusCodeName(token.status().code()));
    sleeper_.SleepFor(decision.delay, cancel_);
  }
}

Status PlatformClient::Authenticate() {
  Result<std::string> token = EnsureToken();
  return token.ok() ? Status::Ok() : token.status();
}

std::vector<Result<ApiResponse>> PlatformClient::GetAll(const std::vector<ApiRequest>& requests) {
  auto log = GetLogger("api");
  struct State {
    int attempts = 0;
    bool auth_retried = false;
    SteadyTime not_before{};
  };
  const size_t n = requests.size();
  std::vector<State> state(n);
  std::vector<std::optional<Result<ApiResponse>>> outcome(n);
  size_t remaining = n;
  const auto finish = [&](size_t i, Result<ApiResponse> r) {
    outcome[i] = std::move(r);
    --remaining;
  };

  std::vector<size_t> ready;
  while (remaining > 0) {
    if (cancel_.cancelled()) {
      for (size_t i = 0; i < n; ++i) {
        if (!outcome[i]) finish(i, AbortedError(requests[i].route + ": cancelled"));
      }
      break;
    }
    // Due requests, oldest index first; otherwise wait for the earliest back-off to pass.
    const SteadyTime now = clock_.SteadyNow();
    ready.clear();
    std::optional<SteadyTime> earliest;
    for (size_t i = 0; i < n; ++i) {
      if (outcome[i]) continue;
      if (state[i].not_before <= now) {
        ready.push_back(i);
      } else if (!earliest || state[i].not_before < *earliest) {
        earliest = state[i].not_before;
      }
    }
    if (ready.empty()) {
      sleeper_.SleepFor(CeilMs(*earliest - now), cancel_);
      continue;
    }

    Result<std::string> token = EnsureToken();
    if (!token.ok()) {
      for (size_t i = 0; i < n; ++i) {
        if (!outcome[i]) finish(i, token.status().WithPrefix(requests[i].route));
      }
      break;
    }

    // As many as the limiter allows now, up to max_concurrency.
    const size_t want = std::min<size_t>(ready.size(), options_.max_concurrency);
    size_t wave = 0;
    std::chrono::milliseconds wait{0};
    while (wave < want) {
      wait = limiter_.Acquire();
      if (wait.count() > 0) break;
      ++wave;
    }
    if (wave == 0) {
      sleeper_.SleepFor(wait, cancel_);
      continue;
    }

    std::vector<HttpRequest> batch(wave);
    for (size_t j = 0; j < wave; ++j) {
      const size_t i = ready[j];
      batch[j].method = "GET";
      batch[j].url = options_.api_base_url + requests[i].path_and_query;
      batch[j].headers = {{"Authorization", "Bearer " + *token}, {"Accept", "application/json"}};
      ++state[i].attempts;
    }
    const SteadyTime started = clock_.SteadyNow();
    std::vector<Result<HttpResponse>> results = http_.PerformAll(batch);
    const SteadyTime ended = clock_.SteadyNow();
    const auto duration_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(ended - started).count();

    bool invalidate_token = false;
    for (size_t j = 0; j < wave; ++j) {
      const size_t i = ready[j];
      const std::string& route = requests[i].route;
      Result<HttpResponse>& result = results[j];
      State& s = state[i];
      const std::string code = result.ok() ? std::to_string(result->status) : "error";
      Record(route, code);
      if (result.ok()) {
        limiter_.Observe(*result);
        log->debug("event=request endpoint={} status={} attempt={} duration_ms={}", route, code,
                   s.attempts, duration_ms);
      } else {
        log->debug("event=request endpoint={} status=error attempt={} duration_ms={} err={}", route,
                   s.attempts, duration_ms, StatusCodeName(result.status().code()));
      }

      if (result.ok() && result->status == 429) {
        ++stats_.throttled;
        ++stats_.throttled_by_route[route];
        auto retry_after = ParseRetryAfter(*result);
        log->warn("event=throttled endpoint={} attempt={} retry_after_ms={}", route, s.attempts,
                  retry_after ? retry_after->count() : -1);
      }

      if (result.ok() && result->status == 401) {
        if (!s.auth_retried) {
          s.auth_retried = true;
          invalidate_token = true;
          ++stats_.retries;
          log->warn("event=retry endpoint={} status=401 attempt={} delay_ms=0", route, s.attempts);
          continue;  // due immediately, with a fresh token
        }
        const std::string api_code = ErrorCode(result->body);
        finish(i, UnauthenticatedError(route + ": HTTP 401 again after a token refresh" +
                                       (api_code.empty() ? "" : " (" + api_code + ")")));
        continue;
      }

      const RetryDecision decision = policy_.Decide(s.attempts, result, rng_);
      if (decision.retry) {
        ++stats_.retries;
        s.not_before = ended + decision.delay;
        log->warn("event=retry endpoint={} status={} attempt={} delay_ms={} reason={}", route, code,
                  s.attempts, decision.delay.count(), decision.reason);
        continue;
      }
      if (result.ok()) {
        finish(i, ApiResponse{result->status, std::move(result->body)});
      } else {
        finish(i,
               result.status().WithPrefix(route + " (attempt " + std::to_string(s.attempts) + ")"));
      }
    }
    if (invalidate_token) tokens_.Invalidate();
  }

  std::vector<Result<ApiResponse>> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(std::move(*outcome[i]));
  return out;
}

}  // namespace divaudit::genesys
