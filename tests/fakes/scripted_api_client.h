#pragma once

#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "common/status.h"
#include "genesys/api_client.h"

namespace divaudit::fakes {

// A genesys::ApiClient whose every reply comes from a function of the request (for POST
// queries, whose pages differ only by body). Records every request; Stats counts one request
// per request. Runs requests one at a time. Thread-compatible.
class ScriptedApiClient final : public genesys::ApiClient {
 public:
  using Reply = Result<genesys::ApiResponse>;
  explicit ScriptedApiClient(std::function<Reply(const genesys::ApiRequest&)> answer)
      : answer_(std::move(answer)) {}

  void Stream(genesys::ApiRequestSource& source) override {
    while (std::optional<genesys::ApiRequestSource::Tagged> next = source.Next()) {
      calls_.push_back(next->request);
      ++stats_.requests;
      Reply reply = answer_(next->request);
      ++stats_.by_route_and_code[{next->request.route,
                                  reply.ok() ? std::to_string(reply->status) : "error"}];
      source.OnResult(next->tag, std::move(reply));
    }
  }
  genesys::ApiStats Stats() const override { return stats_; }
  const std::vector<genesys::ApiRequest>& calls() const { return calls_; }

 private:
  std::function<Reply(const genesys::ApiRequest&)> answer_;
  std::vector<genesys::ApiRequest> calls_;
  genesys::ApiStats stats_;
};

}  // namespace divaudit::fakes
