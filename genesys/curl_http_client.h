#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/cancellation.h"
#include "common/status.h"
#include "genesys/http_client.h"

namespace divaudit::genesys {

// Whether divaudit may send a request to `url`: https to any host; plain http only to a
// loopback host (127.0.0.0/8, ::1, localhost) — the simulator. Anything else (other schemes,
// http to other hosts, unparsable URLs) is kInvalidArgument naming the URL. Thread-safe.
Status CheckUrlAllowed(std::string_view url);

// `url` for messages and logs: scheme://host[:port]/path, with user info, query and fragment
// dropped (they may carry secrets). Thread-safe.
std::string RedactUrl(std::string_view url);

struct CurlHttpClientOptions {
  int max_concurrency = 4;                    // transfers in flight at once (≥ 1)
  std::chrono::milliseconds timeout{30'000};  // whole-request deadline
  std::chrono::milliseconds connect_timeout{10'000};
  // Largest body of a request that names no cap of its own (HttpRequest::max_response_bytes);
  // larger bodies fail (kResourceExhausted).
  size_t max_response_bytes = size_t{32} << 20;
  // Memory bound: the caps of the transfers in flight add up to at most this. A request whose
  // cap does not fit waits (its slot idles) until enough transfers finish; a request whose cap
  // alone exceeds it runs only with nothing else in flight. So at most this many body bytes are
  // held by the client at once, whatever the server sends.
  size_t max_bytes_in_flight = size_t{128} << 20;
  std::string user_agent = "divaudit/0.1";
  // Checked while transfers are in flight (at least every 25 ms): on cancellation every
  // in-flight transfer is aborted and it and every unstarted request yield kAborted.
  CancellationToken cancel;
};

// HttpClient over libcurl's multi interface. One CURLM (with its shared connection and DNS
// caches) and a pool of easy handles live as long as the client, so connections are kept alive
// and reused across PerformAll and Run calls. TLS peer and host verification are always on;
// redirects are not followed; only http and https are spoken, and http only to loopback hosts (see
// CheckUrlAllowed; a refused URL yields kInvalidArgument for that request, nothing is sent).
// Errors: kUnavailable (refused, reset, truncated body, receive/send errors, DNS),
// kDeadlineExceeded (timeout), kAborted (cancelled), kFailedPrecondition (TLS certificate
// verification failed — not worth retrying), kResourceExhausted (body too large). Messages name
// the method and redacted URL; request headers (Authorization) never appear in them and
// nothing is logged.
// Thread-compatible: one PerformAll or Run at a time (neither may be called from inside a Run's
// callbacks).
class CurlHttpClient final : public HttpClient {
 public:
  // Fails (kInternal) only if libcurl cannot be initialised; kInvalidArgument for bad options.
  static Result<std::unique_ptr<CurlHttpClient>> Create(CurlHttpClientOptions options);
  ~CurlHttpClient() override;
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  // A thin wrapper over Run (requests started in order, results in order).
  std::vector<Result<HttpResponse>> PerformAll(const std::vector<HttpRequest>& requests) override;
  // Keeps max_concurrency transfers in flight (fewer when max_bytes_in_flight is reached),
  // refilling a slot from stream.Next as soon as a transfer completes and handing each response
  // to stream.OnDone at once (its body is moved, not kept). Waits in curl_multi_poll for at most
  // 25 ms (or the stream's ask_again_in).
  void Run(HttpStream& stream) override;

 private:
  struct Impl;
  explicit CurlHttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace divaudit::genesys
