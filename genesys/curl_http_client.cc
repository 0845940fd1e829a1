#include "genesys/curl_http_client.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

namespace divaudit::genesys {
namespace {

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view TrimView(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// RAII wrapper over curl's URL parser.
class ParsedUrl {
 public:
  explicit ParsedUrl(std::string_view url) : handle_(curl_url()) {
    if (handle_ == nullptr) return;
    std::string copy(url);
    ok_ = curl_url_set(handle_, CURLUPART_URL, copy.c_str(), 0) == CURLUE_OK;
  }
  ~ParsedUrl() { curl_url_cleanup(handle_); }
  ParsedUrl(const ParsedUrl&) = delete;
  ParsedUrl& operator=(const ParsedUrl&) = delete;

  bool ok() const { return ok_; }
  std::optional<std::string> Part(CURLUPart part) const {
    char* value = nullptr;
    if (curl_url_get(handle_, part, &value, 0) != CURLUE_OK || value == nullptr) {
      return std::nullopt;
    }
    std::string out(value);
    curl_free(value);
    return out;
  }

 private:
  CURLU* handle_;
  bool ok_ = false;
};

bool IsLoopbackHost(std::string host) {
  host = ToLower(host);
  if (host == "localhost") return true;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

void GlobalInitOnce(CURLcode* result) {
  static std::once_flag once;
  static CURLcode init_result = CURLE_OK;
  std::call_once(once, [] { init_result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  *result = init_result;
}

}  // namespace

std::string RedactUrl(std::string_view url) {
  ParsedUrl parsed(url);
  if (parsed.ok()) {
    auto scheme = parsed.Part(CURLUPART_SCHEME);
    auto host = parsed.Part(CURLUPART_HOST);
    auto port = parsed.Part(CURLUPART_PORT);
    auto path = parsed.Part(CURLUPART_PATH);
    if (scheme && host) {
      std::string out = *scheme + "://" + *host;
      if (port) out += ":" + *port;
      out += path.value_or("/");
      return out;
    }
  }
  // Unparsable: keep what precedes any query, fragment or user info marker.
  std::string_view s = url.substr(0, url.find_first_of("?#@"));
  return std::string(s.substr(0, 200));
}

Status CheckUrlAllowed(std::string_view url) {
  ParsedUrl parsed(url);
  if (!parsed.ok()) return InvalidArgumentError("invalid URL \"" + RedactUrl(url) + "\"");
  const std::string scheme = ToLower(parsed.Part(CURLUPART_SCHEME).value_or(""));
  const std::string host = parsed.Part(CURLUPART_HOST).value_or("");
  if (scheme == "https" && !host.empty()) return Status::Ok();
  if (scheme == "http" && IsLoopbackHost(host)) return Status::Ok();
  if (scheme == "http") {
    return InvalidArgumentError("refusing plain http to non-loopback host in URL \"" +
                                RedactUrl(url) + "\"; use https");
  }
  return InvalidArgumentError("unsupported URL \"" + RedactUrl(url) +
                              "\": only https (and http to loopback) are allowed");
}

struct CurlHttpClient::Impl {
  // Longest wait in curl_multi_poll, so cancellation is noticed promptly.
  static constexpr int64_t kPollMs = 25;
  // Spare capacity reserved after a body (see OnHeader).
  static constexpr size_t kBodySlack = 64;

  struct Transfer {
    uint64_t tag = 0;
    HttpRequest request;  // owned: curl points into its body while the transfer runs
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    HttpResponse response;
    size_t max_bytes = 0;
    bool too_large = false;
    char error[CURL_ERROR_SIZE] = {};
  };

  CurlHttpClientOptions options;
  CURLM* multi = nullptr;
  std::vector<CURL*> idle;  // pooled easy handles (connections live in the multi's cache)

  ~Impl() {
    for (CURL* easy : idle) curl_easy_cleanup(easy);
    if (multi != nullptr) curl_multi_cleanup(multi);
  }

  static size_t OnBody(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const size_t n = size * count;
    if (t->response.body.size() + n > t->max_bytes) {
      t->too_large = true;
      return 0;  // makes curl fail with CURLE_WRITE_ERROR
    }
    t->response.body.append(data, n);
    return n;
  }

  static size_t OnHeader(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const size_t n = size * count;
    std::string_view line(data, n);
    if (line.starts_with("HTTP/")) {
      t->response.headers.clear();  // a new response (e.g. after 100 Continue)
      return n;
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return n;
    t->response.headers.emplace_back(ToLower(TrimView(line.substr(0, colon))),
                                     std::string(TrimView(line.substr(colon + 1))));
    if (t->response.headers.back().first == "content-length") {
      // One allocation for the body, with room for a JSON parser's padding (simdjson reads
      // 64 bytes past the end) so the body can be parsed in place without a copy.
      const std::string& value = t->response.headers.back().second;
      size_t length = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
      if (ec == std::errc() && end == value.data() + value.size() && length <= t->max_bytes) {
        t->response.body.reserve(length + kBodySlack);
      }
    }
    return n;
  }

  size_t CapOf(const HttpRequest& request) const {
    return request.max_response_bytes > 0 ? request.max_response_bytes : options.max_response_bytes;
  }

  CURL* TakeEasy() {
    if (!idle.empty()) {
      CURL* easy = idle.back();
      idle.pop_back();
      curl_easy_reset(easy);  // keeps live connections and caches
      return easy;
    }
    return curl_easy_init();
  }

  // Configures and adds one transfer; returns an error result if it cannot start.
  std::optional<Status> Start(const HttpRequest& request, Transfer& t) {
    t.easy = TakeEasy();
    if (t.easy == nullptr) return InternalError("curl_easy_init failed");
    t.max_bytes = CapOf(request);
    CURL* e = t.easy;
    curl_easy_setopt(e, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    // Never disabled: there is no option to turn verification off.
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    const auto timeout = request.timeout.count() > 0 ? request.timeout : options.timeout;
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options.connect_timeout.count()));
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_USERAGENT, options.user_agent.c_str());
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.error);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Impl::OnBody);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &Impl::OnHeader);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(e, CURLOPT_PRIVATE, &t);

    if (request.method == "GET") {
      curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else if (request.method == "POST") {
      curl_easy_setopt(e, CURLOPT_POST, 1L);
    } else {
      curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    if (request.method != "GET" && (request.method == "POST" || !request.body.empty())) {
      // The request lives in the Transfer, which outlives the curl transfer.
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    }
    t.headers = curl_slist_append(t.headers, "Expect:");
    for (const auto& [name, value] : request.headers) {
      std::string line = name;
      line.append(": ").append(value);
      t.headers = curl_slist_append(t.headers, line.c_str());
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.headers);
    if (curl_multi_add_handle(multi, e) != CURLM_OK) {
      return InternalError(request.method + " " + RedactUrl(request.url) +
                           ": curl_multi_add_handle failed");
    }
    return std::nullopt;
  }

  void Release(Transfer& t) {
    if (t.easy == nullptr) return;
    curl_multi_remove_handle(multi, t.easy);
    curl_slist_free_all(t.headers);
    t.headers = nullptr;
    idle.push_back(t.easy);
    t.easy = nullptr;
  }

  Result<HttpResponse> Finish(const HttpRequest& request, Transfer& t, CURLcode code) {
    if (code == CURLE_OK) {
      long status = 0;
      curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &status);
      t.response.status = static_cast<int>(status);
      return std::move(t.response);
    }
    // Errors only: the redacted URL costs a parse.
    const std::string what = request.method + " " + RedactUrl(request.url);
    const std::string detail =
        t.error[0] != '\0' ? std::string(t.error) : std::string(curl_easy_strerror(code));
    switch (code) {
      case CURLE_OPERATION_TIMEDOUT:
        return DeadlineExceededError(what + ": timed out (" + detail + ")");
      case CURLE_WRITE_ERROR:
        if (t.too_large) {
          return ResourceExhaustedError(what + ": response body exceeds " +
                                        std::to_string(t.max_bytes) +
                                        " bytes (the limit for this request)");
        }
        return UnavailableError(what + ": " + detail);
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_SSL_CACERT_BADFILE:
      case CURLE_SSL_CERTPROBLEM:
        return FailedPreconditionError(what + ": TLS certificate verification failed (" + detail +
                                       ")");
      case CURLE_URL_MALFORMAT:
      case CURLE_UNSUPPORTED_PROTOCOL:
        return InvalidArgumentError(what + ": " + detail);
      case CURLE_PARTIAL_FILE:
        return UnavailableError(what + ": truncated response body (" + detail + ")");
      case CURLE_COULDNT_CONNECT:
        return UnavailableError(what + ": connection failed (" + detail + ")");
      default:
        return UnavailableError(what + ": " + detail);
    }
  }

  static Status Aborted(const HttpRequest& request) {
    return AbortedError(request.method + " " + RedactUrl(request.url) + ": cancelled");
  }

  void Run(HttpStream& stream) {
    std::vector<std::unique_ptr<Transfer>> in_flight;  // stable addresses: curl points at them
    in_flight.reserve(static_cast<size_t>(options.max_concurrency));
    // A request taken from the stream whose cap did not fit in max_bytes_in_flight yet.
    std::optional<HttpStart> held;
    size_t reserved = 0;  // sum of the caps of the transfers in flight
    while (true) {
      if (options.cancel.cancelled()) {
        std::vector<std::unique_ptr<Transfer>> aborted = std::move(in_flight);
        for (auto& t : aborted) {
          Release(*t);
          stream.OnDone(t->tag, Aborted(t->request));
        }
        if (held) stream.OnDone(held->tag, Aborted(held->request));
        return;
      }
      // Fill every free slot before waiting, so no slot idles behind a slow transfer.
      std::chrono::milliseconds ask_again_in{0};
      while (in_flight.size() < static_cast<size_t>(options.max_concurrency)) {
        ask_again_in = std::chrono::milliseconds(0);
        std::optional<HttpStart> next =
            held ? std::exchange(held, std::nullopt) : stream.Next(ask_again_in);
        if (!next) break;
        const size_t cap = CapOf(next->request);
        if (!in_flight.empty() && reserved + cap > options.max_bytes_in_flight) {
          held = std::move(next);  // waits for bytes in flight to drop
          break;
        }
        auto t = std::make_unique<Transfer>();
        t->tag = next->tag;
        t->request = std::move(next->request);
        if (Status allowed = CheckUrlAllowed(t->request.url); !allowed.ok()) {
          stream.OnDone(t->tag, std::move(allowed));
          continue;
        }
        if (auto error = Start(t->request, *t)) {
          Release(*t);
          stream.OnDone(t->tag, std::move(*error));
          continue;
        }
        reserved += t->max_bytes;
        in_flight.push_back(std::move(t));
      }
      if (in_flight.empty()) return;  // Next had nothing to start and nothing is in flight

      int running = 0;
      curl_multi_perform(multi, &running);
      int queued = 0;
      bool slot_freed = false;
      while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
        if (msg->msg != CURLMSG_DONE) continue;
        Transfer* done = nullptr;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&done));
        auto it = std::find_if(in_flight.begin(), in_flight.end(),
                               [done](const auto& t) { return t.get() == done; });
        if (it == in_flight.end()) continue;  // not ours (cannot happen: one Run at a time)
        std::unique_ptr<Transfer> t = std::move(*it);
        *it = std::move(in_flight.back());
        in_flight.pop_back();
        Result<HttpResponse> result = Finish(t->request, *t, msg->data.result);
        reserved -= t->max_bytes;
        Release(*t);
        slot_freed = true;
        // The body moves to the stream at once; nothing of it stays here.
        stream.OnDone(t->tag, std::move(result));
      }
      // Start queued requests on freed slots at once rather than after the next poll.
      if (slot_freed) continue;
      if (running > 0) {
        int64_t wait_ms = std::min<int64_t>(kPollMs, options.timeout.count());
        if (ask_again_in.count() > 0) wait_ms = std::min<int64_t>(wait_ms, ask_again_in.count());
        curl_multi_poll(multi, nullptr, 0, static_cast<int>(std::max<int64_t>(1, wait_ms)),
                        nullptr);
      }
    }
  }

  std::vector<Result<HttpResponse>> PerformAll(const std::vector<HttpRequest>& requests) {
    // A stream over the vector, in order.
    class VectorStream final : public HttpStream {
     public:
      explicit VectorStream(const std::vector<HttpRequest>& requests)
          : requests_(requests), results_(requests.size()) {}
      std::optional<HttpStart> Next(std::chrono::milliseconds&) override {
        if (next_ >= requests_.size()) return std::nullopt;
        const size_t i = next_++;
        return HttpStart{i, requests_[i]};
      }
      void OnDone(uint64_t tag, Result<HttpResponse> result) override {
        results_[tag] = std::move(result);
      }
      std::vector<Result<HttpResponse>> Take() {
        std::vector<Result<HttpResponse>> out;
        out.reserve(results_.size());
        for (size_t i = 0; i < results_.size(); ++i) {
          out.push_back(results_[i] ? std::move(*results_[i]) : Aborted(requests_[i]));
        }
        return out;
      }

     private:
      const std::vector<HttpRequest>& requests_;
      std::vector<std::optional<Result<HttpResponse>>> results_;
      size_t next_ = 0;
    };
    VectorStream stream(requests);
    Run(stream);
    return stream.Take();
  }
};

Result<std::unique_ptr<CurlHttpClient>> CurlHttpClient::Create(CurlHttpClientOptions options) {
  if (options.max_concurrency < 1) {
    return InvalidArgumentError("max_concurrency must be at least 1");
  }
  if (options.timeout.count() <= 0 || options.connect_timeout.count() <= 0) {
    return InvalidArgumentError("HTTP timeouts must be positive");
  }
  CURLcode init = CURLE_OK;
  GlobalInitOnce(&init);
  if (init != CURLE_OK) {
    return InternalError(std::string("curl_global_init failed: ") + curl_easy_strerror(init));
  }
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->multi = curl_multi_init();
  if (impl->multi == nullptr) return InternalError("curl_multi_init failed");
  // Keep enough idle connections for every slot to find its own on the next call.
  curl_multi_setopt(impl->multi, CURLMOPT_MAXCONNECTS,
                    static_cast<long>(std::max(4, impl->options.max_concurrency * 2)));
  return std::unique_ptr<CurlHttpClient>(new CurlHttpClient(std::move(impl)));
}

CurlHttpClient::CurlHttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CurlHttpClient::~CurlHttpClient() = default;

std::vector<Result<HttpResponse>> CurlHttpClient::PerformAll(
    const std::vector<HttpRequest>& requests) {
  return impl_->PerformAll(requests);
}

void CurlHttpClient::Run(HttpStream& stream) { impl_->Run(stream); }

}  // namespace divaudit::genesys
