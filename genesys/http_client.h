#pragma once

#include <chrono>
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
};

}  // namespace divaudit::genesys
