#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace divaudit::genesys {

// One GET against the Platform API.
struct ApiRequest {
  std::string path_and_query;  // "/api/v2/authorization/divisions?pageSize=500&pageNumber=1"
  std::string route;           // route template for metrics: "/api/v2/authorization/divisions"
};

struct ApiResponse {
  int status = 0;  // final HTTP status after retries (2xx, or the 4xx/5xx that was given up on)
  std::string body;
};

// Request accounting, per route template and status code ("429", "200", "error" for transport).
struct ApiStats {
  int64_t requests = 0;  // every HTTP request sent, token requests and retries included
  int64_t retries = 0;
  int64_t throttled = 0;  // 429s
  std::map<std::pair<std::string, std::string>, int64_t> by_route_and_code;
  std::map<std::string, int64_t> throttled_by_route;
};

// An authenticated, paced, retrying Platform API client. The implementation (genesys/
// platform_client.h) obtains and refreshes the OAuth token, keeps within the client-side
// request budget, honours 429 Retry-After, retries 5xx/resets/timeouts with capped exponential
// back-off and jitter, and refreshes the token once on 401.
// Thread-compatible: one caller at a time.
class ApiClient {
 public:
  virtual ~ApiClient() = default;
  // Runs every request (concurrently up to max_concurrency) and returns one result per request,
  // in order. An ok Result holds the final response, whatever its status; an error Result means
  // no response could be had (transport failure after all attempts, auth failure, or cancelled:
  // kAborted). Error messages name the route.
  virtual std::vector<Result<ApiResponse>> GetAll(const std::vector<ApiRequest>& requests) = 0;
  // Counters since construction.
  virtual ApiStats Stats() const = 0;
};

}  // namespace divaudit::genesys
