#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "genesys/api_client.h"

namespace divaudit::fakes {

// An in-memory genesys::ApiClient for tests: maps path_and_query to a canned response (or a
// sequence of responses, the last one repeating) and records every request and batch.
// An unmapped path answers 404 with an ErrorBody. Stats count one request per request (plus
// one token request on the first batch when `count_token_request` is set, as the real client
// does), throttled for 429s. Thread-compatible, like the interface.
//
// Stream is a discrete-event simulation of a transport: it starts every request the source has
// for the free slots (SetMaxInFlight, default unlimited) at the current time — requests started
// together form one batch (OnBatch hook, batches()) — and completes each after its latency
// (SetLatency with a FakeClock, which is advanced from completion to completion; default: no
// time passes), handing results to the source in completion order (ties: send order). With the
// defaults every batch is one "round": all that the previous batch's responses revealed.
class FakeApiClient final : public genesys::ApiClient {
 public:
  using Reply = Result<genesys::ApiResponse>;

  // Sets the reply for `path`; replaces any earlier one.
  void Set(const std::string& path, int status, std::string body) {
    replies_[path] = {Reply(genesys::ApiResponse{status, std::move(body)})};
  }
  void SetOk(const std::string& path, std::string body) { Set(path, 200, std::move(body)); }
  // Sets a transport-level error reply (no response: e.g. kUnauthenticated, kAborted).
  void SetError(const std::string& path, Status status) {
    replies_[path] = {Reply(std::move(status))};
  }
  // Successive calls get successive replies; the last one repeats.
  void SetSequence(const std::string& path, std::vector<Reply> replies) {
    replies_[path] = std::deque<Reply>(replies.begin(), replies.end());
  }
  // Called at the start of every batch (e.g. to cancel a token or mutate replies mid-sweep).
  void OnBatch(std::function<void(int batch_index)> hook) { on_batch_ = std::move(hook); }

  // Each request takes latency(request), advancing `clock`.
  using LatencyFn = std::function<std::chrono::milliseconds(const genesys::ApiRequest&)>;
  void SetLatency(FakeClock* clock, LatencyFn latency) {
    clock_ = clock;
    latency_ = std::move(latency);
  }
  // At most this many requests in flight.
  void SetMaxInFlight(size_t n) { max_in_flight_ = n; }

  bool count_token_request = false;

  // When each request (in calls() order) was sent and answered (FakeClock time; zero without
  // SetLatency), and the most requests in flight at once.
  struct Timing {
    SteadyTime sent_at{};
    SteadyTime done_at{};
  };
  const std::vector<Timing>& timings() const { return timings_; }
  size_t max_in_flight_seen() const { return max_in_flight_seen_; }

  void Stream(genesys::ApiRequestSource& source) override {
    struct Flight {
      uint64_t tag;
      SteadyTime done_at;
      size_t call;  // index into calls_ (send order, for ties)
      Reply reply;
    };
    std::vector<Flight> in_flight;
    while (true) {
      std::vector<genesys::ApiRequestSource::Tagged> batch;
      while (in_flight.size() + batch.size() < max_in_flight_) {
        std::optional<genesys::ApiRequestSource::Tagged> next = source.Next();
        if (!next) break;
        batch.push_back(std::move(*next));
      }
      if (!batch.empty()) {
        if (on_batch_) on_batch_(static_cast<int>(batches_.size()));
        if (count_token_request && !token_counted_) {
          token_counted_ = true;
          ++stats_.requests;
          ++stats_.by_route_and_code[{"/oauth/token", "200"}];
        }
        batches_.emplace_back();
        const SteadyTime now = Now();
        for (auto& b : batch) {
          const auto latency = latency_ ? latency_(b.request) : std::chrono::milliseconds(0);
          in_flight.push_back({b.tag, now + latency, calls_.size(), Answer(b.request)});
          timings_.push_back({now, now + latency});
        }
        max_in_flight_seen_ = std::max(max_in_flight_seen_, in_flight.size());
      }
      if (in_flight.empty()) return;
      SteadyTime first = in_flight.front().done_at;
      for (const auto& f : in_flight) first = std::min(first, f.done_at);
      if (clock_ != nullptr && first > clock_->SteadyNow()) clock_->Advance(first - Now());
      std::vector<Flight> done;
      for (auto it = in_flight.begin(); it != in_flight.end();) {
        if (it->done_at <= first) {
          done.push_back(std::move(*it));
          it = in_flight.erase(it);
        } else {
          ++it;
        }
      }
      std::sort(done.begin(), done.end(),
                [](const Flight& a, const Flight& b) { return a.call < b.call; });
      for (auto& f : done) source.OnResult(f.tag, std::move(f.reply));
    }
  }

  genesys::ApiStats Stats() const override { return stats_; }

  // Every request, in order.
  const std::vector<genesys::ApiRequest>& calls() const { return calls_; }
  // path_and_query of each request, per batch.
  const std::vector<std::vector<std::string>>& batches() const { return batches_; }
  // Requests that had no mapped reply.
  const std::vector<std::string>& unmapped() const { return unmapped_; }
  int64_t CallCount(const std::string& path) const {
    int64_t n = 0;
    for (const auto& c : calls_) n += c.path_and_query == path ? 1 : 0;
    return n;
  }
  // Adds to the retry/throttle counters as if the transport had retried.
  void AddRetries(int64_t n) {
    stats_.retries += n;
    stats_.requests += n;
  }

 private:
  SteadyTime Now() const { return clock_ != nullptr ? clock_->SteadyNow() : SteadyTime{}; }

  // Records the request and pops its reply.
  Reply Answer(const genesys::ApiRequest& r) {
    batches_.back().push_back(r.path_and_query);
    calls_.push_back(r);
    ++stats_.requests;
    Reply out = genesys::ApiResponse{};
    auto it = replies_.find(r.path_and_query);
    if (it == replies_.end()) {
      unmapped_.push_back(r.path_and_query);
      out = genesys::ApiResponse{
          404, R"({"message":"not mapped in FakeApiClient","code":"not.found","status":404})"};
    } else {
      out = it->second.front();
      if (it->second.size() > 1) it->second.pop_front();
    }
    std::string code = out.ok() ? std::to_string(out->status) : "error";
    if (out.ok() && out->status == 429) {
      ++stats_.throttled;
      ++stats_.throttled_by_route[r.route];
    }
    ++stats_.by_route_and_code[{r.route, code}];
    return out;
  }

  std::map<std::string, std::deque<Reply>> replies_;
  std::function<void(int)> on_batch_;
  std::vector<genesys::ApiRequest> calls_;
  std::vector<std::vector<std::string>> batches_;
  std::vector<std::string> unmapped_;
  genesys::ApiStats stats_;
  bool token_counted_ = false;
  FakeClock* clock_ = nullptr;
  LatencyFn latency_;
  size_t max_in_flight_ = SIZE_MAX;
  size_t max_in_flight_seen_ = 0;
  std::vector<Timing> timings_;
};

}  // namespace divaudit::fakes
