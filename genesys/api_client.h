#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace divaudit::genesys {

// One request against the Platform API (a GET unless `method` says otherwise).
struct ApiRequest {
  std::string path_and_query;  // "/api/v2/authorization/divisions?pageSize=500&pageNumber=1"
  std::string route;           // route template for metrics: "/api/v2/authorization/divisions"
  // Largest response body accepted (HttpRequest::max_response_bytes); 0: the client's default.
  // Callers size it from what they expect: a page of 500 entities is well under 1 MiB.
  size_t max_response_bytes = 0;
  // v2 (analytics query): "POST" sends `body` as application/json; default GET (body unused).
  std::string method = "GET";
  std::string body = {};
  // Most attempts for this request (retries included); 0: the client's retry policy. The change
  // watch's audit polls use 1: the next poll is their retry, and a poll must not hold the worker
  // (and the scheduled sweep behind it) through a whole back-off series.
  int max_attempts = 0;
  // Whole-request deadline of each attempt (HttpRequest::timeout); 0: the client's default.
  std::chrono::milliseconds timeout{0};
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

// The caller's side of ApiClient::Stream: hands out requests one at a time when the client can
// start one, and receives each request's final outcome as soon as it is known. Both are called
// on the thread running Stream, never concurrently.
class ApiRequestSource {
 public:
  struct Tagged {
    uint64_t tag = 0;  // the caller's id for the request (unique among its unfinished requests)
    ApiRequest request;
  };
  virtual ~ApiRequestSource() = default;
  // The next request to send, or nullopt when there is none right now. Asked whenever the client
  // could start a request (possibly again after a nullopt). New requests may only appear through
  // OnResult, so returning nullopt while no request of this source is unfinished ends the
  // Stream.
  virtual std::optional<Tagged> Next() = 0;
  // The final outcome of request `tag` (after retries), with the meaning of a GetAll result.
  // May make Next return more requests. The body is the callee's (drop it when parsed).
  virtual void OnResult(uint64_t tag, Result<ApiResponse> result) = 0;
};

// An authenticated, paced, retrying Platform API client. The implementation (genesys/
// platform_client.h) obtains and refreshes the OAuth token, keeps within the client-side
// request budget, honours 429 Retry-After, retries 5xx/resets/timeouts with capped exponential
// back-off and jitter, and refreshes the token once on 401.
// Thread-compatible: one caller at a time.
class ApiClient {
 public:
  virtual ~ApiClient() = default;

  // Streaming: runs `source`'s requests, up to max_concurrency in flight at all times (as the
  // rate limit allows), and reports each final outcome through source.OnResult as soon as it is
  // known. Returns when the source has nothing more and every request it handed out is
  // finished. An ok Result holds the final response, whatever its status; an error Result means
  // no response could be had (transport failure after all attempts, auth failure, or cancelled:
  // kAborted). Error messages name the route. On cancellation the unfinished requests get
  // kAborted and the source is not asked again. When a token cannot be had, every unfinished
  // request and every further one the source hands out gets that error (so a source must stop
  // handing out requests after errors, as the Sweeper does).
  virtual void Stream(ApiRequestSource& source) = 0;

  // Runs every request (through Stream) and returns one result per request, in order. Requests
  // not run because of cancellation are kAborted ("<route>: cancelled").
  std::vector<Result<ApiResponse>> GetAll(const std::vector<ApiRequest>& requests) {
    class VectorSource final : public ApiRequestSource {
     public:
      explicit VectorSource(const std::vector<ApiRequest>& requests)
          : requests_(requests), results_(requests.size()) {}
      std::optional<Tagged> Next() override {
        if (next_ >= requests_.size()) return std::nullopt;
        const size_t i = next_++;
        return Tagged{i, requests_[i]};
      }
      void OnResult(uint64_t tag, Result<ApiResponse> result) override {
        results_[tag] = std::move(result);
      }
      std::vector<Result<ApiResponse>> Take() {
        std::vector<Result<ApiResponse>> out;
        out.reserve(results_.size());
        for (size_t i = 0; i < results_.size(); ++i) {
          out.push_back(
              results_[i] ? std::move(*results_[i])
                          : Result<ApiResponse>(AbortedError(requests_[i].route + ": cancelled")));
        }
        return out;
      }

     private:
      const std::vector<ApiRequest>& requests_;
      std::vector<std::optional<Result<ApiResponse>>> results_;
      size_t next_ = 0;
    };
    VectorSource source(requests);
    Stream(source);
    return source.Take();
  }

  // Counters since construction.
  virtual ApiStats Stats() const = 0;
};

}  // namespace divaudit::genesys
