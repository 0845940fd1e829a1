#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "genesys/api_client.h"

namespace divaudit::fakes {

// An in-memory genesys::ApiClient for tests: maps path_and_query to a canned response (or a
// sequence of responses, the last one repeating) and records every request and batch.
// An unmapped path answers 404 with an ErrorBody. Stats count one request per request (plus
// one token request on the first batch when `count_token_request` is set, as the real client
// does), throttled for 429s. Thread-compatible, like the interface.
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

  bool count_token_request = false;

  std::vector<Reply> GetAll(const std::vector<genesys::ApiRequest>& requests) override {
    if (on_batch_) on_batch_(static_cast<int>(batches_.size()));
    if (count_token_request && !token_counted_) {
      token_counted_ = true;
      ++stats_.requests;
      ++stats_.by_route_and_code[{"/oauth/token", "200"}];
    }
    batches_.emplace_back();
    std::vector<Reply> out;
    out.reserve(requests.size());
    for (const auto& r : requests) {
      batches_.back().push_back(r.path_and_query);
      calls_.push_back(r);
      ++stats_.requests;
      auto it = replies_.find(r.path_and_query);
      if (it == replies_.end()) {
        unmapped_.push_back(r.path_and_query);
        out.emplace_back(genesys::ApiResponse{
            404, R"({"message":"not mapped in FakeApiClient","code":"not.found","status":404})"});
      } else {
        out.push_back(it->second.front());
        if (it->second.size() > 1) it->second.pop_front();
      }
      std::string code = out.back().ok() ? std::to_string(out.back()->status) : "error";
      if (out.back().ok() && out.back()->status == 429) {
        ++stats_.throttled;
        ++stats_.throttled_by_route[r.route];
      }
      ++stats_.by_route_and_code[{r.route, code}];
    }
    return out;
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
  std::map<std::string, std::deque<Reply>> replies_;
  std::function<void(int)> on_batch_;
  std::vector<genesys::ApiRequest> calls_;
  std::vector<std::vector<std::string>> batches_;
  std::vector<std::string> unmapped_;
  genesys::ApiStats stats_;
  bool token_counted_ = false;
};

}  // namespace divaudit::fakes
