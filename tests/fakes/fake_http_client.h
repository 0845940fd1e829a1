#pragma once

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/cancellation.h"
#include "common/clock.h"
#include "common/status.h"
#include "genesys/http_client.h"

namespace divaudit::genesys {

// A scripted HttpClient for tests. A test maps (method, url) to a queue of responses or transport
// errors; each request pops the next one. When a key's queue is empty the handler (if set)
// answers, otherwise a 404. Every request is recorded with the FakeClock time it was "sent"
// (when a clock is given) and the size of the PerformAll batch it came in.
// Optional hooks: `OnPerform` runs at the start of each PerformAll (to advance a clock, cancel,
// …); with a CancellationToken set, a PerformAll that finds it cancelled (after the hook) answers
// kAborted for the whole batch, like CurlHttpClient. Thread-safe.
class FakeHttpClient final : public HttpClient {
 public:
  using Handler = std::function<Result<HttpResponse>(const HttpRequest&)>;
  using PerformHook = std::function<void(const std::vector<HttpRequest>&)>;

  struct Recorded {
    HttpRequest request;
    SteadyTime sent_at{};
    size_t batch_size = 0;
  };

  static HttpResponse Response(int status, std::string body = "",
                               std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    return r;
  }

  void Enqueue(const std::string& method, const std::string& url, Result<HttpResponse> r) {
    std::lock_guard lock(mu_);
    scripts_[{method, url}].push_back(std::move(r));
  }
  void SetHandler(Handler handler) {
    std::lock_guard lock(mu_);
    handler_ = std::move(handler);
  }
  void OnPerform(PerformHook hook) {
    std::lock_guard lock(mu_);
    hook_ = std::move(hook);
  }
  void SetClock(const Clock* clock) {
    std::lock_guard lock(mu_);
    clock_ = clock;
  }
  void SetCancellation(CancellationToken cancel) {
    std::lock_guard lock(mu_);
    cancel_ = std::move(cancel);
  }

  std::vector<Result<HttpResponse>> PerformAll(const std::vector<HttpRequest>& requests) override {
    PerformHook hook;
    {
      std::lock_guard lock(mu_);
      hook = hook_;
      ++calls_;
      max_batch_ = std::max(max_batch_, requests.size());
    }
    if (hook) hook(requests);
    std::lock_guard lock(mu_);
    const bool cancelled = cancel_ && cancel_->cancelled();
    std::vector<Result<HttpResponse>> out;
    for (const HttpRequest& request : requests) {
      recorded_.push_back(
          {request, clock_ != nullptr ? clock_->SteadyNow() : SteadyTime{}, requests.size()});
      if (cancelled) {
        out.emplace_back(AbortedError(request.method + " " + request.url + ": cancelled"));
        continue;
      }
      auto it = scripts_.find({request.method, request.url});
      if (it != scripts_.end() && !it->second.empty()) {
        out.push_back(std::move(it->second.front()));
        it->second.pop_front();
      } else if (handler_) {
        out.push_back(handler_(request));
      } else {
        out.emplace_back(Response(404, R"({"message":"no scripted response","code":"not.found"})"));
      }
    }
    return out;
  }

  std::vector<Recorded> requests() const {
    std::lock_guard lock(mu_);
    return recorded_;
  }
  // Requests sent to exactly (method, url).
  int Count(const std::string& method, const std::string& url) const {
    std::lock_guard lock(mu_);
    return static_cast<int>(std::count_if(recorded_.begin(), recorded_.end(), [&](const auto& r) {
      return r.request.method == method && r.request.url == url;
    }));
  }
  size_t calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }
  size_t max_batch_size() const {
    std::lock_guard lock(mu_);
    return max_batch_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::deque<Result<HttpResponse>>> scripts_;
  Handler handler_;
  PerformHook hook_;
  const Clock* clock_ = nullptr;
  std::optional<CancellationToken> cancel_;
  std::vector<Recorded> recorded_;
  size_t calls_ = 0;
  size_t max_batch_ = 0;
};

}  // namespace divaudit::genesys
