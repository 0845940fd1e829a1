#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
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
// kAborted for the whole batch, like CurlHttpClient.
// Run (streaming) is a discrete-event simulation: it starts every request the stream has for the
// free slots (at most SetMaxInFlight, default unlimited) at the current time — those started
// together count as one "call" (hook, calls(), batch_size) — answers each when it is sent, and
// completes each after its latency (SetLatency; the FakeClock is advanced to the next
// completion, or to the stream's ask_again_in when that comes first), delivering completions in
// time order (ties: send order). Without latencies everything completes at once. Cancellation
// (checked after the hook and between events) aborts everything in flight and ends Run.
// Thread-safe; the stream is called without the lock held.
class FakeHttpClient final : public HttpClient {
 public:
  using Handler = std::function<Result<HttpResponse>(const HttpRequest&)>;
  using PerformHook = std::function<void(const std::vector<HttpRequest>&)>;

  struct Recorded {
    HttpRequest request;
    SteadyTime sent_at{};
    size_t batch_size = 0;
    SteadyTime done_at{};  // Run only: when the simulated response arrived
  };
  using LatencyFn = std::function<std::chrono::milliseconds(const HttpRequest&)>;

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
  // Run only: each request takes latency(request), advancing `clock` (also used for sent_at).
  void SetLatency(FakeClock* clock, LatencyFn latency) {
    std::lock_guard lock(mu_);
    sim_clock_ = clock;
    clock_ = clock;
    latency_ = std::move(latency);
  }
  // Run only: at most this many requests in flight.
  void SetMaxInFlight(size_t n) {
    std::lock_guard lock(mu_);
    max_in_flight_ = n;
  }
  void SetCancellation(CancellationToken cancel) {
    std::lock_guard lock(mu_);
    cancel_ = std::move(cancel);
  }

  void Run(HttpStream& stream) override {
    struct Flight {
      uint64_t tag;
      SteadyTime done_at;
      size_t seq;       // send order, for ties
      size_t recorded;  // index into recorded_
      Result<HttpResponse> result;
    };
    std::vector<Flight> in_flight;
    size_t seq = 0;
    const auto abort_all = [&] {
      std::vector<Flight> aborted = std::move(in_flight);
      in_flight.clear();
      for (auto& f : aborted) stream.OnDone(f.tag, AbortedError("fake transfer cancelled"));
    };
    while (true) {
      if (Cancelled()) return abort_all();
      std::vector<HttpStart> batch;
      std::chrono::milliseconds ask{0};
      while (in_flight.size() + batch.size() < MaxInFlight()) {
        ask = std::chrono::milliseconds(0);
        std::optional<HttpStart> next = stream.Next(ask);
        if (!next) break;
        batch.push_back(std::move(*next));
      }
      if (!batch.empty()) {
        PerformHook hook;
        std::vector<HttpRequest> requests;
        {
          std::lock_guard lock(mu_);
          hook = hook_;
          ++calls_;
          max_batch_ = std::max(max_batch_, batch.size());
        }
        if (hook) {
          for (const auto& b : batch) requests.push_back(b.request);
          hook(requests);
        }
        std::lock_guard lock(mu_);
        const bool cancelled = cancel_ && cancel_->cancelled();
        const SteadyTime now = NowLocked();
        for (HttpStart& b : batch) {
          recorded_.push_back({b.request, now, batch.size()});
          const std::chrono::milliseconds latency = latency_ && sim_clock_ != nullptr
                                                        ? latency_(b.request)
                                                        : std::chrono::milliseconds(0);
          Result<HttpResponse> answer =
              cancelled ? Result<HttpResponse>(AbortedError("cancelled")) : AnswerLocked(b.request);
          in_flight.push_back(
              {b.tag, now + latency, seq++, recorded_.size() - 1, std::move(answer)});
        }
        max_in_flight_seen_ = std::max(max_in_flight_seen_, in_flight.size());
        if (cancelled) break;
      }
      if (in_flight.empty()) return;
      // The next event: the earliest completion, or the stream's ask_again_in if sooner.
      SteadyTime first = in_flight.front().done_at;
      for (const auto& f : in_flight) first = std::min(first, f.done_at);
      SteadyTime now;
      {
        std::lock_guard lock(mu_);
        now = NowLocked();
        if (sim_clock_ != nullptr) {
          if (ask.count() > 0 && now + ask < first) {
            sim_clock_->Advance(ask);
            continue;
          }
          if (first > now) sim_clock_->Advance(first - now);
          now = NowLocked();
        }
      }
      std::vector<Flight> done;
      for (auto it = in_flight.begin(); it != in_flight.end();) {
        if (it->done_at <= now || sim_clock_ == nullptr) {
          done.push_back(std::move(*it));
          it = in_flight.erase(it);
        } else {
          ++it;
        }
      }
      std::sort(done.begin(), done.end(), [](const Flight& a, const Flight& b) {
        return a.done_at != b.done_at ? a.done_at < b.done_at : a.seq < b.seq;
      });
      {
        std::lock_guard lock(mu_);
        for (const auto& f : done) recorded_[f.recorded].done_at = now;
      }
      for (auto& f : done) {
        if (Cancelled()) {
          in_flight.push_back(std::move(f));
          continue;
        }
        stream.OnDone(f.tag, std::move(f.result));
      }
    }
    abort_all();
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
      out.push_back(AnswerLocked(request));
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
  // Run only: the most requests in flight at once.
  size_t max_in_flight_seen() const {
    std::lock_guard lock(mu_);
    return max_in_flight_seen_;
  }

 private:
  Result<HttpResponse> AnswerLocked(const HttpRequest& request) {
    auto it = scripts_.find({request.method, request.url});
    if (it != scripts_.end() && !it->second.empty()) {
      Result<HttpResponse> r = std::move(it->second.front());
      it->second.pop_front();
      return r;
    }
    if (handler_) return handler_(request);
    return Response(404, R"({"message":"no scripted response","code":"not.found"})");
  }
  SteadyTime NowLocked() const { return clock_ != nullptr ? clock_->SteadyNow() : SteadyTime{}; }
  bool Cancelled() const {
    std::lock_guard lock(mu_);
    return cancel_ && cancel_->cancelled();
  }
  size_t MaxInFlight() const {
    std::lock_guard lock(mu_);
    return max_in_flight_;
  }

  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::deque<Result<HttpResponse>>> scripts_;
  Handler handler_;
  PerformHook hook_;
  const Clock* clock_ = nullptr;
  std::optional<CancellationToken> cancel_;
  std::vector<Recorded> recorded_;
  size_t calls_ = 0;
  size_t max_batch_ = 0;
  FakeClock* sim_clock_ = nullptr;
  LatencyFn latency_;
  size_t max_in_flight_ = SIZE_MAX;
  size_t max_in_flight_seen_ = 0;
};

}  // namespace divaudit::genesys
