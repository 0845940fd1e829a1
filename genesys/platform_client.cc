#include "genesys/platform_client.h"

#include <simdjson.h>

#include <algorithm>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

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

// One Stream: the requests taken from the source and not finished yet, and the HttpStream that
// feeds them to HttpClient::Run.
class PlatformClient::Session final : public HttpStream {
 public:
  Session(PlatformClient& client, ApiRequestSource& source)
      : c_(client), source_(source), log_(GetLogger("api")) {}

  // Why the last Run ended (valid after Run returned).
  bool need_token() const { return need_token_; }
  bool has_waiting() const { return held_.has_value() || !retry_.empty(); }
  std::chrono::milliseconds wait() const { return wait_; }
  void clear_need_token() { need_token_ = false; }

  // Finishes every request waiting for a retry or for the limiter with `status` (prefixed by
  // the route).
  void FailWaiting(const Status& status) {
    std::vector<Item> items;
    if (held_) items.push_back(std::move(*held_));
    held_.reset();
    for (auto& item : retry_) items.push_back(std::move(item));
    retry_.clear();
    for (auto& item : items) {
      source_.OnResult(item.tag, status.WithPrefix(item.request.route));
    }
  }

  std::optional<HttpStart> Next(std::chrono::milliseconds& ask_again_in) override {
    wait_ = std::chrono::milliseconds(0);
    if (c_.cancel_.cancelled()) return std::nullopt;
    if (in_flight_.size() >= static_cast<size_t>(c_.options_.max_concurrency)) return std::nullopt;
    const SteadyTime now = c_.clock_.SteadyNow();

    // The candidate: a due retry (earliest first), else the one the limiter held back, else the
    // source's next.
    auto due = retry_.end();
    std::optional<SteadyTime> earliest;
    for (auto it = retry_.begin(); it != retry_.end(); ++it) {
      if (it->not_before <= now) {
        if (due == retry_.end() || it->not_before < due->not_before) due = it;
      } else if (!earliest || it->not_before < *earliest) {
        earliest = it->not_before;
      }
    }
    if (due == retry_.end() && !held_) {
      std::optional<ApiRequestSource::Tagged> next = source_.Next();
      if (next) {
        held_ = Item{next->tag, std::move(next->request)};
      } else {
        if (earliest) wait_ = ask_again_in = CeilMs(*earliest - now);
        return std::nullopt;
      }
    }
    if (!c_.tokens_.HasFreshToken()) {
      need_token_ = true;  // fetched by Stream once nothing is in flight
      return std::nullopt;
    }
    const std::chrono::milliseconds limit = c_.limiter_.Acquire();
    if (limit.count() > 0) {
      wait_ = ask_again_in = limit;
      return std::nullopt;
    }
    Item item;
    if (due != retry_.end()) {
      item = std::move(*due);
      retry_.erase(due);
    } else {
      item = std::move(*held_);
      held_.reset();
    }
    Result<std::string> token = c_.tokens_.GetToken();  // fresh: nothing is sent
    HttpStart start;
    start.tag = item.tag;
    start.request.method = item.request.method;
    start.request.url = c_.options_.api_base_url + item.request.path_and_query;
    start.request.max_response_bytes = item.request.max_response_bytes;
    start.request.timeout = item.request.timeout;
    start.request.headers = {{"Authorization", "Bearer " + (token.ok() ? *token : std::string())},
                             {"Accept", "application/json"}};
    if (item.request.method != "GET") {
      start.request.body = item.request.body;
      start.request.headers.emplace_back("Content-Type", "application/json");
    }
    ++item.attempts;
    item.started = now;
    in_flight_.emplace(item.tag, std::move(item));
    return start;
  }

  void OnDone(uint64_t tag, Result<HttpResponse> result) override {
    auto node = in_flight_.extract(tag);
    if (node.empty()) return;  // not ours (cannot happen)
    Item& item = node.mapped();
    spdlog::logger* const log = log_.get();  // looked up once, not per response
    const SteadyTime ended = c_.clock_.SteadyNow();
    const auto duration_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(ended - item.started).count();
    const std::string& route = item.request.route;
    const std::string code = result.ok() ? std::to_string(result->status) : "error";
    c_.Record(route, code);
    if (result.ok()) {
      c_.limiter_.Observe(*result);
      log->debug("event=request endpoint={} status={} attempt={} duration_ms={}", route, code,
                 item.attempts, duration_ms);
    } else {
      log->debug("event=request endpoint={} status=error attempt={} duration_ms={} err={}", route,
                 item.attempts, duration_ms, StatusCodeName(result.status().code()));
    }

    if (result.ok() && result->status == 429) {
      ++c_.stats_.throttled;
      ++c_.stats_.throttled_by_route[route];
      auto retry_after = ParseRetryAfter(*result);
      log->warn("event=throttled endpoint={} attempt={} retry_after_ms={}", route, item.attempts,
                retry_after ? retry_after->count() : -1);
    }

    if (result.ok() && result->status == 401) {
      if (!item.auth_retried) {
        item.auth_retried = true;
        // New starts wait for a fresh token (fetched once the requests in flight are done).
        c_.tokens_.Invalidate();
        ++c_.stats_.retries;
        log->warn("event=retry endpoint={} status=401 attempt={} delay_ms=0", route, item.attempts);
        item.not_before = ended;  // due at once, with the fresh token
        retry_.push_back(std::move(item));
        return;
      }
      const std::string api_code = ErrorCode(result->body);
      source_.OnResult(tag, UnauthenticatedError(route + ": HTTP 401 again after a token refresh" +
                                                 (api_code.empty() ? "" : " (" + api_code + ")")));
      return;
    }

    const bool attempts_left =
        item.request.max_attempts <= 0 || item.attempts < item.request.max_attempts;
    const RetryDecision decision =
        attempts_left ? c_.policy_.Decide(item.attempts, result, c_.rng_) : RetryDecision{};
    if (decision.retry) {
      ++c_.stats_.retries;
      item.not_before = ended + decision.delay;
      log->warn("event=retry endpoint={} status={} attempt={} delay_ms={} reason={}", route, code,
                item.attempts, decision.delay.count(), decision.reason);
      retry_.push_back(std::move(item));
      return;
    }
    if (result.ok()) {
      source_.OnResult(tag, ApiResponse{result->status, std::move(result->body)});
    } else {
      source_.OnResult(tag, result.status().WithPrefix(route + " (attempt " +
                                                       std::to_string(item.attempts) + ")"));
    }
  }

 private:
  struct Item {
    uint64_t tag = 0;
    ApiRequest request;
    int attempts = 0;
    bool auth_retried = false;
    SteadyTime not_before{};  // retries: not sent before this
    SteadyTime started{};     // the current attempt's send time
  };

  PlatformClient& c_;
  ApiRequestSource& source_;
  std::shared_ptr<spdlog::logger> log_;
  std::unordered_map<uint64_t, Item> in_flight_;
  std::vector<Item> retry_;   // waiting for their back-off (or a fresh token after a 401)
  std::optional<Item> held_;  // taken from the source, not started yet (limiter or token)
  bool need_token_ = false;
  std::chrono::milliseconds wait_{0};  // from the last Next: how long until one may start
};

void PlatformClient::Stream(ApiRequestSource& source) {
  Session session(*this, source);
  while (true) {
    if (cancel_.cancelled()) {
      session.FailWaiting(AbortedError("cancelled"));
      return;
    }
    if (session.need_token()) {
      Result<std::string> token = EnsureToken();
      if (!token.ok()) {
        // Every unfinished request, and every one the source still hands out, fails with it.
        session.FailWaiting(token.status());
        while (std::optional<ApiRequestSource::Tagged> next = source.Next()) {
          source.OnResult(next->tag, token.status().WithPrefix(next->request.route));
        }
        return;
      }
      session.clear_need_token();
    }
    // Returns with nothing in flight: finished, cancelled, a token needed, or only waits left.
    http_.Run(session);
    if (cancel_.cancelled() || session.need_token()) continue;
    if (!session.has_waiting()) return;  // the source has nothing more, nothing is unfinished
    sleeper_.SleepFor(std::max(session.wait(), std::chrono::milliseconds(1)), cancel_);
  }
}

}  // namespace divaudit::genesys
