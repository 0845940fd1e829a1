#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace divaudit::genesys {

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // absolute: scheme://host[:port]/path?query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Largest response body accepted for this request; 0: the client's default. A larger body
  // fails the request with kResourceExhausted (the body read so far is dropped).
  size_t max_response_bytes = 0;
  // Whole-request deadline for this request; 0: the client's default. Used to keep a request
  // that must not hold its caller long (the change watch's audit polls) shorter than the rest.
  std::chrono::milliseconds timeout{0};
};

struct HttpResponse {
  int status = 0;
  // Header names lower-cased.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Value of the first header named `name` (lower-case), if any.
  std::optional<std::string_view> Header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k == name) return std::string_view(v);
    }
    return std::nullopt;
  }
};

// One request of a streaming HttpClient::Run, tagged by the caller.
struct HttpStart {
  uint64_t tag = 0;  // the caller's id for the request, handed back to HttpStream::OnDone
  HttpRequest request;
};

// The caller's side of HttpClient::Run: supplies the next request whenever a slot is free and
// receives every completion as soon as it happens. Both are called on the thread running Run,
// never concurrently.
class HttpStream {
 public:
  virtual ~HttpStream() = default;
  // A slot is free: the request to start now, or nullopt when there is none to start now. When
  // returning nullopt, `ask_again_in` may be set (> 0) to be asked again after that long even if
  // nothing completes (a rate-limit or back-off wait); zero (its value on entry) means "not
  // before something completes".
  virtual std::optional<HttpStart> Next(std::chrono::milliseconds& ask_again_in) = 0;
  // Request `tag` finished; `result` as in PerformAll. The slot is already free, so this may
  // make Next return more requests. The response body is the callee's to keep or drop.
  virtual void OnDone(uint64_t tag, Result<HttpResponse> result) = 0;
};

// Sends HTTP requests. Implementations: CurlHttpClient (libcurl multi), FakeHttpClient (tests).
// Thread-compatible: one caller at a time.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Performs every request, up to the implementation's concurrency limit at once, and returns one
  // result per request in the same order. Any HTTP status is a response (ok Result); only
  // transport failures are errors: kUnavailable (connect/reset/truncated), kDeadlineExceeded
  // (timeout), kAborted (cancelled). Messages name the URL without query secrets.
  virtual std::vector<Result<HttpResponse>> PerformAll(
      const std::vector<HttpRequest>& requests) = 0;

  // Streaming: keeps up to the implementation's concurrency limit of `stream`'s requests in
  // flight, asking stream.Next for one whenever a slot frees (and before waiting), and hands each
  // completion to stream.OnDone as soon as it arrives (results and errors as in PerformAll).
  // Returns once nothing is in flight and Next returned nullopt — waiting with nothing in flight
  // is the caller's business (ask_again_in only shortens waits for in-flight transfers) — or on
  // cancellation, after every in-flight request got kAborted through OnDone.
  // The default implementation sends one request at a time through PerformAll (for simple test
  // doubles); CurlHttpClient and FakeHttpClient override it.
  virtual void Run(HttpStream& stream) {
    while (true) {
      std::chrono::milliseconds ask_again_in{0};
      std::optional<HttpStart> start = stream.Next(ask_again_in);
      if (!start) return;
      std::vector<Result<HttpResponse>> results = PerformAll({std::move(start->request)});
      stream.OnDone(start->tag, std::move(results.front()));
    }
  }
};

}  // namespace divaudit::genesys
