#include "sim/server.h"

// Boost 1.74 Asio under C++20 needs <utility> first.
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "common/json_writer.h"
#include "common/logging.h"
#include "common/strings.h"
#include "sim/admin.h"
#include "sim/handlers.h"
#include "sim/org_index.h"
#include "sim/query.h"
#include "sim/rate_limit.h"
#include "sim/router.h"

namespace divaudit::sim {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

Result<ClientCredential> ParseClientCredential(std::string_view text) {
  size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) {
    return InvalidArgumentError("--client: expected ID:SECRET");
  }
  return ClientCredential{std::string(text.substr(0, colon)), std::string(text.substr(colon + 1))};
}

Result<LatencySpec> ParseLatency(std::string_view text) {
  LatencySpec spec;
  std::string_view base = text;
  std::string_view jitter;
  for (std::string_view sep : {"\xC2\xB1", "+-", "~"}) {  // "±" in UTF-8
    size_t pos = text.find(sep);
    if (pos != std::string_view::npos) {
      base = text.substr(0, pos);
      jitter = text.substr(pos + sep.size());
      break;
    }
  }
  auto strip_ms = [](std::string_view s) {
    if (s.size() > 2 && s.substr(s.size() - 2) == "ms") s.remove_suffix(2);
    return s;
  };
  auto b = ParseInt(strip_ms(Trim(base)));
  if (!b.ok() || *b < 0) return InvalidArgumentError("--latency: expected MS or MS±J");
  spec.base = std::chrono::milliseconds(*b);
  if (!jitter.empty()) {
    auto j = ParseInt(strip_ms(Trim(jitter)));
    if (!j.ok() || *j < 0) return InvalidArgumentError("--latency: expected MS or MS±J");
    spec.jitter = std::chrono::milliseconds(*j);
  }
  return spec;
}

namespace {

using Response = http::response<http::string_body>;

enum AdminRouteId : int {
  kAdminRequests = 100,
  kAdminRequestsReset,
  kAdminOrg,
  kAdminMoveUser,
  kAdminAddGrant,
  kAdminRemoveGrant,
  kAdminAddMember,
  kAdminRemoveMember,
  kAdminDeleteDivision,
  kAdminPutClient,
  kAdminFaults,
  kAdminAddQueueMember,     // v2
  kAdminRemoveQueueMember,  // v2
  kAdminPutConversation,    // issue 15 evidence
  kAdminPutRoleSettings,    // v2
  kAdminPutRolePolicies,    // v2
};

std::vector<Route> AdminRoutes() {
  return {
      {"GET", "/sim/requests", kAdminRequests},
      {"POST", "/sim/requests/reset", kAdminRequestsReset},
      {"GET", "/sim/org", kAdminOrg},
      {"POST", "/sim/users/{userId}/division", kAdminMoveUser},
      {"POST", "/sim/grants", kAdminAddGrant},
      {"DELETE", "/sim/grants", kAdminRemoveGrant},
      {"POST", "/sim/groups/{groupId}/members", kAdminAddMember},
      {"DELETE", "/sim/groups/{groupId}/members/{userId}", kAdminRemoveMember},
      {"POST", "/sim/queues/{queueId}/members", kAdminAddQueueMember},
      {"DELETE", "/sim/queues/{queueId}/members/{userId}", kAdminRemoveQueueMember},
      {"POST", "/sim/conversations", kAdminPutConversation},
      {"DELETE", "/sim/divisions/{divisionId}", kAdminDeleteDivision},
      {"PUT", "/sim/oauth/clients/{clientId}", kAdminPutClient},
      {"POST", "/sim/faults", kAdminFaults},
      {"PUT", "/sim/roles/settings", kAdminPutRoleSettings},
      {"PUT", "/sim/roles/{roleId}/policies", kAdminPutRolePolicies},
  };
}

bool IsLoopback(const std::string& host) {
  error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  return !ec && addr.is_loopback();
}

int HttpStatusFor(const Status& s) {
  switch (s.code()) {
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kFailedPrecondition:
      return 409;
    default:
      return 400;
  }
}

std::string StatusCodeFor(int status) {
  switch (status) {
    case 400:
      return "bad.request";
    case 404:
      return "not.found";
    case 409:
      return "conflict";
    default:
      return "server.error";
  }
}

}  // namespace

// What a session does with one request.
struct Outcome {
  enum class Kind { kRespond, kReset, kTruncate } kind = Kind::kRespond;
  Response response;
  std::chrono::milliseconds delay{0};
};

class Session;

class SimServer::Impl {
 public:
  Impl(SimOptions options, OrgFixture fixture)
      : options_(std::move(options)),
        clock_(options_.clock ? options_.clock : std::make_shared<SystemClock>()),
        api_router_(ApiRoutes()),
        admin_router_(AdminRoutes()),
        index_(std::make_shared<const OrgIndex>(std::move(fixture))),
        rate_(*clock_, options_.rate_limit_per_minute),
        faults_(options_.faults, options_.seed),
        latency_rng_(options_.seed ^ 0x9e3779b97f4a7c15ULL),
        token_rng_(std::random_device{}()) {}

  Status Listen() {
    if (!IsLoopback(options_.listen_host)) {
      return InvalidArgumentError("listen address must be loopback, got " + options_.listen_host);
    }
    if (options_.threads < 1) return InvalidArgumentError("threads must be at least 1");
    if (options_.clients.empty()) return InvalidArgumentError("at least one client is required");
    ioc_.emplace(options_.threads);
    acceptor_.emplace(*ioc_);
    error_code ec;
    tcp::endpoint ep(asio::ip::make_address(options_.listen_host, ec), options_.port);
    acceptor_->open(ep.protocol(), ec);
    if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_->bind(ep, ec);
    if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return UnavailableError("cannot listen on " + options_.listen_host + ":" +
                              std::to_string(options_.port) + ": " + ec.message());
    }
    port_ = acceptor_->local_endpoint().port();
    DoAccept();
    for (int i = 0; i < options_.threads; ++i) {
      threads_.emplace_back([this] { ioc_->run(); });
    }
    return Status::Ok();
  }

  void Stop() {
    std::lock_guard lock(stop_mu_);
    if (stopped_) return;
    stopped_ = true;
    if (!ioc_) return;
    ioc_->stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
    acceptor_.reset();
    ioc_.reset();  // destroys pending handlers and with them every connection
  }

  uint16_t port() const { return port_; }
  const SimOptions& options() const { return options_; }

  std::shared_ptr<const OrgIndex> Index() const {
    std::lock_guard lock(index_mu_);
    return index_;
  }

  Status Mutate(const std::function<Status(OrgFixture&)>& mutate) {
    std::lock_guard lock(mutate_mu_);
    OrgFixture copy = Index()->fixture();
    DIVAUDIT_RETURN_IF_ERROR(mutate(copy));
    auto next = std::make_shared<const OrgIndex>(std::move(copy));
    std::lock_guard index_lock(index_mu_);
    index_ = std::move(next);
    return Status::Ok();
  }

  void SetFaults(FaultConfig faults) { faults_.SetConfig(std::move(faults)); }

  RequestStats Stats() const {
    std::lock_guard lock(stats_mu_);
    return stats_;
  }
  void ResetStats() {
    std::lock_guard lock(stats_mu_);
    stats_ = RequestStats{};
  }

  Outcome Process(const http::request<http::string_body>& req);

 private:
  struct TokenInfo {
    std::string client_id;
    SteadyTime expires_at;
  };
  enum class Auth { kOk, kMissing, kBad, kExpired };

  void DoAccept();
  std::string NextCorrelationId();
  void Count(const std::string& route, const std::string& status);
  Response MakeResponse(const http::request<http::string_body>& req, int status, std::string body,
                        const std::string& correlation_id);
  void AddRateHeaders(Response& res, const RateDecision& d);
  Outcome ProcessToken(const http::request<http::string_body>& req, const std::string& cid);
  Outcome ProcessApi(const http::request<http::string_body>& req, const Target& target,
                     const std::string& cid);
  Outcome ProcessAdmin(const http::request<http::string_body>& req, const Target& target,
                       const std::string& cid);
  Auth Authenticate(const http::request<http::string_body>& req, std::string& token,
                    std::string& client_id);
  std::chrono::milliseconds DrawLatency();
  std::string StatsJson() const;

  SimOptions options_;
  std::shared_ptr<const Clock> clock_;
  Router api_router_;
  Router admin_router_;

  mutable std::mutex index_mu_;
  std::shared_ptr<const OrgIndex> index_;
  std::mutex mutate_mu_;

  RateLimiter rate_;
  AuditLog audit_log_;
  FaultInjector faults_;

  std::mutex latency_mu_;
  std::mt19937_64 latency_rng_;

  std::mutex tokens_mu_;
  std::mt19937_64 token_rng_;
  std::unordered_map<std::string, TokenInfo> tokens_;

  mutable std::mutex stats_mu_;
  RequestStats stats_;
  std::atomic<uint64_t> correlation_{0};

  std::mutex stop_mu_;
  bool stopped_ = false;
  std::optional<asio::io_context> ioc_;
  std::optional<tcp::acceptor> acceptor_;
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;
};

// One connection: read a request, compute its outcome, wait out its latency on a timer (never
// blocking a thread), write, repeat while keep-alive. Runs on its own strand.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, SimServer::Impl* impl)
      : stream_(std::move(socket)), timer_(stream_.get_executor()), impl_(impl) {}

  void Start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->DoRead(); });
  }

 private:
  void DoRead() {
    parser_.emplace();
    parser_->body_limit(16 * 1024 * 1024);
    stream_.expires_after(std::chrono::minutes(5));
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(error_code ec) {
    if (ec == http::error::end_of_stream) {
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
      return;
    }
    if (ec) return;
    stream_.expires_never();
    // The latency counts from the request's arrival, as a server's does: the time spent
    // computing the answer is part of it, not added on top.
    const auto arrived = std::chrono::steady_clock::now();
    outcome_ = impl_->Process(parser_->get());
    if (outcome_.delay.count() > 0) {
      timer_.expires_at(arrived + outcome_.delay);
      timer_.async_wait([self = shared_from_this()](error_code wait_ec) {
        if (!wait_ec) self->Send();
      });
    } else {
      Send();
    }
  }

  void Send() {
    switch (outcome_.kind) {
      case Outcome::Kind::kReset: {
        error_code ec;
        stream_.socket().set_option(asio::socket_base::linger(true, 0), ec);
        stream_.socket().close(ec);
        return;
      }
      case Outcome::Kind::kTruncate: {
        // Full Content-Length, half the body, then close.
        std::ostringstream head;
        head << outcome_.response.base();
        raw_ = head.str();
        const std::string& body = outcome_.response.body();
        raw_.append(body, 0, body.size() / 2);
        asio::async_write(stream_, asio::buffer(raw_),
                          [self = shared_from_this()](error_code, size_t) {
                            error_code ec;
                            self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
                            self->stream_.socket().close(ec);
                          });
        return;
      }
      case Outcome::Kind::kRespond: {
        const bool keep_alive = outcome_.response.keep_alive();
        http::async_write(stream_, outcome_.response,
                          [self = shared_from_this(), keep_alive](error_code ec, size_t) {
                            if (ec) return;
                            if (!keep_alive) {
                              self->stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
                              return;
                            }
                            self->DoRead();
                          });
        return;
      }
    }
  }

  beast::tcp_stream stream_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Outcome outcome_;
  std::string raw_;
  SimServer::Impl* impl_;
};

void SimServer::Impl::DoAccept() {
  acceptor_->async_accept(asio::make_strand(*ioc_), [this](error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      socket.set_option(tcp::no_delay(true), ec);
      std::make_shared<Session>(std::move(socket), this)->Start();
    }
    DoAccept();
  });
}

std::string SimServer::Impl::NextCorrelationId() {
  const uint64_t n = ++correlation_;
  char buf[40];
  std::snprintf(buf, sizeof buf, "5173696d-0000-4000-8000-%012llx",
                static_cast<unsigned long long>(n & 0xFFFFFFFFFFFFULL));
  return buf;
}

void SimServer::Impl::Count(const std::string& route, const std::string& status) {
  std::lock_guard lock(stats_mu_);
  ++stats_.total;
  ++stats_.routes[route];
  ++stats_.statuses[status];
  ++stats_.route_statuses[route][status];
}

Response SimServer::Impl::MakeResponse(const http::request<http::string_body>& req, int status,
                                       std::string body, const std::string& correlation_id) {
  Response res{static_cast<http::status>(status), req.version()};
  res.set(http::field::server, "divaudit-sim");
  res.set(http::field::content_type, "application/json");
  res.set("inin-correlation-id", correlation_id);
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

void SimServer::Impl::AddRateHeaders(Response& res, const RateDecision& d) {
  res.set("inin-ratelimit-allowed", std::to_string(d.limit));
  res.set("inin-ratelimit-count", std::to_string(d.count));
  res.set("inin-ratelimit-reset", std::to_string(d.reset_seconds));
}

std::chrono::milliseconds SimServer::Impl::DrawLatency() {
  const auto base = options_.latency.base;
  const auto jitter = options_.latency.jitter;
  if (jitter.count() == 0) return base;
  std::lock_guard lock(latency_mu_);
  std::uniform_int_distribution<int64_t> dist(-jitter.count(), jitter.count());
  return std::max(std::chrono::milliseconds(0),
                  base + std::chrono::milliseconds(dist(latency_rng_)));
}

Outcome SimServer::Impl::Process(const http::request<http::string_body>& req) {
  const Target target = ParseTarget(std::string_view(req.target().data(), req.target().size()));
  const std::string cid = NextCorrelationId();
  if (target.path == "/sim" || target.path.rfind("/sim/", 0) == 0) {
    return ProcessAdmin(req, target, cid);
  }
  if (target.path == "/oauth/token") return ProcessToken(req, cid);
  return ProcessApi(req, target, cid);
}

Outcome SimServer::Impl::ProcessToken(const http::request<http::string_body>& req,
                                      const std::string& cid) {
  const std::string route = "POST /oauth/token";
  Outcome out;
  out.delay = DrawLatency();
  auto oauth_error = [&](int status, std::string_view error, std::string_view description) {
    JsonWriter w;
    w.BeginObject();
    w.Field("error", error);
    w.Field("description", description);
    w.Field("error_description", description);
    w.EndObject();
    out.response = MakeResponse(req, status, w.Take(), cid);
    Count(route, std::to_string(status));
    return std::move(out);
  };
  if (req.method() != http::verb::post) {
    out.response = MakeResponse(
        req, 405, ErrorBodyJson(405, "method.not.allowed", "Method not allowed", cid), cid);
    out.response.set(http::field::allow, "POST");
    Count(route, "405");
    return out;
  }
  // Form body: grant_type=client_credentials
  const Target form = ParseTarget("?" + req.body());
  if (form.Get("grant_type").value_or("") != "client_credentials") {
    return oauth_error(400, "unsupported_grant_type", "grant type is not supported");
  }
  std::string_view auth(req[http::field::authorization].data(),
                        req[http::field::authorization].size());
  constexpr std::string_view kBasic = "Basic ";
  if (auth.size() <= kBasic.size() || auth.substr(0, kBasic.size()) != kBasic) {
    return oauth_error(401, "invalid_client", "client authentication required");
  }
  auto decoded = Base64Decode(Trim(auth.substr(kBasic.size())));
  if (!decoded.ok()) return oauth_error(401, "invalid_client", "malformed client credentials");
  auto cred = ParseClientCredential(*decoded);
  const ClientCredential* match = nullptr;
  if (cred.ok()) {
    for (const auto& c : options_.clients) {
      if (c.id == cred->id && c.secret == cred->secret) match = &c;
    }
  }
  if (match == nullptr) return oauth_error(401, "invalid_client", "client not found or bad secret");

  std::string token;
  {
    std::lock_guard lock(tokens_mu_);
    char buf[17];
    for (int i = 0; i < 4; ++i) {
      std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(token_rng_()));
      token += buf;
    }
    tokens_[token] = TokenInfo{
        match->id, clock_->SteadyNow() + std::chrono::seconds(options_.token_ttl_seconds)};
  }
  JsonWriter w;
  w.BeginObject();
  w.Field("access_token", token);
  w.Field("token_type", "bearer");
  w.Key("expires_in").Int(options_.token_ttl_seconds);
  w.EndObject();
  out.response = MakeResponse(req, 200, w.Take(), cid);
  Count(route, "200");
  return out;
}

SimServer::Impl::Auth SimServer::Impl::Authenticate(const http::request<http::string_body>& req,
                                                    std::string& token, std::string& client_id) {
  std::string_view auth(req[http::field::authorization].data(),
                        req[http::field::authorization].size());
  constexpr std::string_view kBearer = "bearer ";
  if (auth.size() <= kBearer.size()) return Auth::kMissing;
  std::string prefix(auth.substr(0, kBearer.size()));
  for (auto& c : prefix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (prefix != kBearer) return Auth::kMissing;
  token = std::string(Trim(auth.substr(kBearer.size())));
  std::lock_guard lock(tokens_mu_);
  auto it = tokens_.find(token);
  if (it == tokens_.end()) return Auth::kBad;
  client_id = it->second.client_id;
  if (clock_->SteadyNow() >= it->second.expires_at) return Auth::kExpired;
  return Auth::kOk;
}

Outcome SimServer::Impl::ProcessApi(const http::request<http::string_body>& req,
                                    const Target& target, const std::string& cid) {
  Outcome out;
  out.delay = DrawLatency();
  const std::string method(req.method_string().data(), req.method_string().size());
  RouteMatch match = api_router_.Match(method, target.path);
  auto finish = [&](const std::string& route, int status, std::string body,
                    const RateDecision* rate) {
    out.response = MakeResponse(req, status, std::move(body), cid);
    if (rate != nullptr) AddRateHeaders(out.response, *rate);
    Count(route, std::to_string(status));
    return std::move(out);
  };
  const RateDecision no_rate{
      true,
      options_.rate_limit_per_minute > 0 ? options_.rate_limit_per_minute : RateLimiter::kUnlimited,
      0, 0, 0};
  if (match.kind == RouteMatch::Kind::kNotFound) {
    return finish("unmatched", 404,
                  ErrorBodyJson(404, "not.found", "The requested resource was not found.", cid),
                  &no_rate);
  }
  if (match.kind == RouteMatch::Kind::kMethodNotAllowed) {
    Outcome o =
        finish("unmatched", 405,
               ErrorBodyJson(405, "method.not.allowed", "Method not allowed", cid), &no_rate);
    o.response.set(http::field::allow, match.allow);
    return o;
  }
  const std::string route = match.route->method + " " + match.route->pattern;

  std::string token, client_id;
  switch (Authenticate(req, token, client_id)) {
    case Auth::kMissing:
      return finish(route, 401,
                    ErrorBodyJson(401, "authentication.required",
                                  "No authentication bearer token specified in authorization "
                                  "header.",
                                  cid),
                    &no_rate);
    case Auth::kBad:
      return finish(route, 401,
                    ErrorBodyJson(401, "bad.credentials", "Invalid login credentials.", cid),
                    &no_rate);
    case Auth::kExpired:
      return finish(route, 401,
                    ErrorBodyJson(401, "credentials.expired",
                                  "The supplied credentials are expired and cannot be used.", cid),
                    &no_rate);
    case Auth::kOk:
      break;
  }

  const RateDecision rate = rate_.Acquire(client_id);
  auto too_many = [&](int64_t retry_after) {
    Outcome o = finish(route, 429,
                       ErrorBodyJson(429, "too.many.requests.retry.after",
                                     "Rate limit exceeded the maximum. Retry the request in [" +
                                         std::to_string(retry_after) + "] seconds",
                                     cid),
                       &rate);
    o.response.set(http::field::retry_after, std::to_string(retry_after));
    return o;
  };
  if (!rate.allowed) return too_many(rate.retry_after_seconds);

  const FaultConfig fault_config = faults_.config();
  const Fault drawn = faults_.Next();  // drawn even when a fail path answers (aligned sequences)
  if (const PathFault* failing =
          FindFailPath(fault_config, std::string_view(req.target().data(), req.target().size()))) {
    if (failing->status == PathFault::kResetStatus) {
      out.kind = Outcome::Kind::kReset;
      Count(route, "reset");
      return out;
    }
    if (failing->status == PathFault::kStallStatus) {
      out.kind = Outcome::Kind::kReset;
      out.delay = PathFault::kStall;
      Count(route, "stall");
      return out;
    }
    return finish(route, failing->status,
                  ErrorBodyJson(failing->status, "sim.fail.path",
                                "Failed on purpose (divaudit-sim --fail-path).", cid),
                  &rate);
  }
  switch (drawn) {
    case Fault::kNone:
      break;
    case Fault::k429:
      return too_many(1);
    case Fault::k500:
      return finish(route, 500,
                    ErrorBodyJson(500, "internal.server.error",
                                  "The server encountered an unexpected condition.", cid),
                    &rate);
    case Fault::k503:
      return finish(
          route, 503,
          ErrorBodyJson(503, "service.unavailable", "Service is currently unavailable.", cid),
          &rate);
    case Fault::kReset:
      out.kind = Outcome::Kind::kReset;
      Count(route, "reset");
      return out;
    case Fault::kExpireToken: {
      {
        std::lock_guard lock(tokens_mu_);
        auto it = tokens_.find(token);
        if (it != tokens_.end()) it->second.expires_at = clock_->SteadyNow();
      }
      return finish(route, 401,
                    ErrorBodyJson(401, "credentials.expired",
                                  "The supplied credentials are expired and cannot be used.", cid),
                    &rate);
    }
    case Fault::kTruncate:
      out.kind = Outcome::Kind::kTruncate;
      break;
    case Fault::kBadJson: {
      // A 200 whose body is cut in half and followed by garbage: never valid JSON.
      auto index = Index();
      ApiRequest api{index.get(),
                     target,
                     match.captures,
                     fault_config.forbid_division,
                     options_.inactive_user_limit,
                     cid,
                     req.body()};
      HttpResult r = HandleApi(match.route->id, api);
      return finish(route, 200, r.body.substr(0, r.body.size() / 2) + "<!-- not json", &rate);
    }
  }

  if (match.route->id == kAuditQueryRealtime) {
    auto [status, body] = audit_log_.Query(req.body(), target.Get("expand").value_or("") == "user",
                                           clock_->Now(), cid);
    return finish(route, status, std::move(body), &rate);
  }
  auto index = Index();
  ApiRequest api{index.get(),
                 target,
                 std::move(match.captures),
                 fault_config.forbid_division,
                 options_.inactive_user_limit,
                 cid,
                 req.body()};
  HttpResult r = HandleApi(match.route->id, api);
  if (match.route->id == kRoles && RolesWantUserCount(target)) {
    out.delay += options_.user_count_latency;
  }
  const Outcome::Kind kind = out.kind;
  Outcome o = finish(route, r.status, std::move(r.body), &rate);
  for (auto& [k, v] : r.headers) o.response.set(k, v);
  o.kind = kind;
  if (kind == Outcome::Kind::kTruncate) {
    // Counted as what the client sees: a broken response.
    std::lock_guard lock(stats_mu_);
    --stats_.statuses[std::to_string(r.status)];
    --stats_.route_statuses[route][std::to_string(r.status)];
    ++stats_.statuses["truncate"];
    ++stats_.route_statuses[route]["truncate"];
  }
  return o;
}

std::string SimServer::Impl::StatsJson() const {
  RequestStats s = Stats();
  JsonWriter w;
  w.BeginObject();
  w.Key("total").Int(s.total);
  auto write_map = [&](const std::map<std::string, int64_t>& m) {
    w.BeginObject();
    for (const auto& [k, v] : m) {
      if (v != 0) w.Key(k).Int(v);
    }
    w.EndObject();
  };
  w.Key("routes");
  write_map(s.routes);
  w.Key("statuses");
  write_map(s.statuses);
  w.Key("routeStatuses").BeginObject();
  for (const auto& [route, m] : s.route_statuses) {
    w.Key(route);
    write_map(m);
  }
  w.EndObject();
  w.EndObject();
  return w.Take();
}

Outcome SimServer::Impl::ProcessAdmin(const http::request<http::string_body>& req,
                                      const Target& target, const std::string& cid) {
  Outcome out;
  const std::string method(req.method_string().data(), req.method_string().size());
  RouteMatch match = admin_router_.Match(method, target.path);
  auto reply = [&](int status, std::string body) {
    out.response = MakeResponse(req, status, std::move(body), cid);
    return std::move(out);
  };
  auto from_status = [&](const Status& s) {
    if (s.ok()) return reply(200, "{\"status\":\"ok\"}");
    const int code = HttpStatusFor(s);
    return reply(code, ErrorBodyJson(code, StatusCodeFor(code), s.message(), cid));
  };
  if (match.kind == RouteMatch::Kind::kNotFound) {
    return reply(404, ErrorBodyJson(404, "not.found", "no such admin route", cid));
  }
  if (match.kind == RouteMatch::Kind::kMethodNotAllowed) {
    Outcome o = reply(405, ErrorBodyJson(405, "method.not.allowed", "Method not allowed", cid));
    o.response.set(http::field::allow, match.allow);
    return o;
  }
  const auto& c = match.captures;
  const std::string& body = req.body();
  // Mutations record the audit event the platform would (actor and layout from the query).
  auto actor = ActorFromQuery(target);
  if (!actor.ok()) return from_status(actor.status());
  AuditShape shape = options_.audit_shape;
  if (auto s = target.Get("auditShape")) {
    auto parsed = ParseAuditShape(*s);
    if (!parsed.ok()) return from_status(parsed.status());
    shape = *parsed;
  }
  const bool record_audit = target.Get("audit").value_or("") != "none";
  auto audited = [&](const std::function<Status(OrgFixture&)>& mutate,
                     const std::function<AuditRecord(const OrgFixture&)>& record) {
    std::optional<AuditRecord> made;
    std::string org_id;
    Status s = Mutate([&](OrgFixture& f) {
      const OrgFixture before = f;
      DIVAUDIT_RETURN_IF_ERROR(mutate(f));
      made = record(before);
      return Status::Ok();
    });
    if (s.ok() && made && record_audit) {
      audit_log_.Record(std::move(*made), *actor, shape, Index()->org_id(), clock_->Now());
    }
    return from_status(s);
  };
  switch (match.route->id) {
    case kAdminRequests:
      return reply(200, StatsJson());
    case kAdminRequestsReset:
      ResetStats();
      return reply(200, StatsJson());
    case kAdminOrg:
      return reply(200, OrgToJson(Index()->fixture()));
    case kAdminMoveUser: {
      auto div = JsonStringField(body, "divisionId");
      if (!div.ok()) return from_status(div.status());
      return audited([&](OrgFixture& f) { return MoveUser(f, c[0], *div); },
                     [&](const OrgFixture& b) { return MoveUserRecord(b, c[0], *div); });
    }
    case kAdminAddGrant:
    case kAdminRemoveGrant: {
      auto grant = ParseGrantBody(body);
      if (!grant.ok()) return from_status(grant.status());
      const bool add = match.route->id == kAdminAddGrant;
      return audited(
          [&](OrgFixture& f) { return add ? AddGrant(f, *grant) : RemoveGrant(f, *grant); },
          [&](const OrgFixture& b) { return GrantRecord(b, *grant, add); });
    }
    case kAdminAddMember: {
      auto user = JsonStringField(body, "userId");
      if (!user.ok()) return from_status(user.status());
      return audited([&](OrgFixture& f) { return AddMember(f, c[0], *user); },
                     [&](const OrgFixture& b) { return MemberRecord(b, c[0], *user, true); });
    }
    case kAdminRemoveMember:
      return audited([&](OrgFixture& f) { return RemoveMember(f, c[0], c[1]); },
                     [&](const OrgFixture& b) { return MemberRecord(b, c[0], c[1], false); });
    case kAdminAddQueueMember: {
      auto user = JsonStringField(body, "userId");
      if (!user.ok()) return from_status(user.status());
      auto by = JsonStringField(body, "memberBy");
      const bool via_group = by.ok() && *by == "group";
      const bool joined = body.find("\"joined\":false") == std::string_view::npos;
      return audited(
          [&](OrgFixture& f) { return AddQueueMember(f, c[0], *user, via_group, joined); },
          [&](const OrgFixture& b) { return QueueMemberRecord(b, c[0], *user, true); });
    }
    case kAdminRemoveQueueMember:
      return audited([&](OrgFixture& f) { return RemoveQueueMember(f, c[0], c[1]); },
                     [&](const OrgFixture& b) { return QueueMemberRecord(b, c[0], c[1], false); });
    case kAdminPutConversation:  // analytics data, not configuration: no audit event
      return from_status(Mutate([&](OrgFixture& f) { return PutConversation(f, body); }));
    case kAdminDeleteDivision:
      return audited([&](OrgFixture& f) { return DeleteDivision(f, c[0]); },
                     [&](const OrgFixture& b) { return DeleteDivisionRecord(b, c[0]); });
    case kAdminPutClient:
      return audited([&](OrgFixture& f) { return PutClient(f, c[0], body); },
                     [&](const OrgFixture& b) { return PutClientRecord(b, c[0]); });
    case kAdminPutRoleSettings:
      return from_status(Mutate([&](OrgFixture& f) { return PutRoleSettings(f, body); }));
    case kAdminPutRolePolicies:
      return from_status(Mutate([&](OrgFixture& f) { return PutRolePolicies(f, c[0], body); }));
    case kAdminFaults: {
      auto faults = ParseFaultJson(body.empty() ? "{}" : body);
      if (!faults.ok()) return from_status(faults.status());
      SetFaults(*faults);
      return reply(200, "{\"status\":\"ok\"}");
    }
    default:
      return reply(404, ErrorBodyJson(404, "not.found", "no such admin route", cid));
  }
}

// ---------------------------------------------------------------------------------------------

SimServer::SimServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SimServer::~SimServer() { Stop(); }

Result<std::unique_ptr<SimServer>> SimServer::Start(SimOptions options, OrgFixture fixture) {
  const auto started = std::chrono::steady_clock::now();
  auto impl = std::make_unique<Impl>(std::move(options), std::move(fixture));
  DIVAUDIT_RETURN_IF_ERROR(impl->Listen());
  GetLogger("sim")->info("event=listening port={} index_ms={}", impl->port(),
                         std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - started)
                             .count());
  return std::unique_ptr<SimServer>(new SimServer(std::move(impl)));
}

uint16_t SimServer::port() const { return impl_->port(); }
std::string SimServer::base_url() const {
  return "http://" + impl_->options().listen_host + ":" + std::to_string(impl_->port());
}
void SimServer::Stop() { impl_->Stop(); }
OrgFixture SimServer::Fixture() const { return impl_->Index()->fixture(); }
Status SimServer::Mutate(const std::function<Status(OrgFixture&)>& mutate) {
  return impl_->Mutate(mutate);
}
void SimServer::SetFaults(FaultConfig faults) { impl_->SetFaults(std::move(faults)); }
RequestStats SimServer::Stats() const { return impl_->Stats(); }
void SimServer::ResetStats() { impl_->ResetStats(); }

}  // namespace divaudit::sim
