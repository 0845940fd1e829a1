#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "sim/audit_log.h"
#include "sim/faults.h"
#include "sim/org_json.h"

namespace divaudit::sim {

// An OAuth client-credentials pair the token endpoint accepts.
struct ClientCredential {
  std::string id;
  std::string secret;
};

// Parses "ID:SECRET" (the secret may contain ':'). kInvalidArgument without naming the secret.
Result<ClientCredential> ParseClientCredential(std::string_view text);

// Per-request artificial latency: base ± a uniform jitter.
struct LatencySpec {
  std::chrono::milliseconds base{0};
  std::chrono::milliseconds jitter{0};
};
// Parses "MS", "MS±J" or "MS+-J" (milliseconds).
Result<LatencySpec> ParseLatency(std::string_view text);

// Everything that shapes the simulator's behaviour. Plain data.
struct SimOptions {
  std::string listen_host = "127.0.0.1";  // must be a loopback address
  uint16_t port = 0;                      // 0: any free port (read it back with port())
  int threads = 2;                        // io_context threads
  std::vector<ClientCredential> clients = {{"sim-client", "sim-secret"}};
  int64_t token_ttl_seconds = 86400;
  int64_t rate_limit_per_minute = 0;  // per client id; 0 = unlimited
  LatencySpec latency;
  FaultConfig faults;
  uint64_t seed = 1;  // fault draws and latency jitter
  // GET /api/v2/users?state=inactive answers 400 when pageNumber*pageSize exceeds this
  // (Genesys: 10,000). Lowered in tests.
  int64_t inactive_user_limit = 10000;
  // Extra latency of GET /api/v2/authorization/roles unless userCount=false.
  std::chrono::milliseconds user_count_latency{100};
  // Time source for token expiry and rate limiting; nullptr = the system clock. Must be
  // thread-safe; shared so tests can keep a FakeClock and advance it.
  std::shared_ptr<const Clock> clock;
  // The layout of the audit events admin mutations record (an admin request's `auditShape`
  // query parameter overrides it for that change).
  AuditShape audit_shape = AuditShape::kEntity;
};

// Request accounting of the API side (/oauth/token and /api/v2/…; /sim/… is not counted).
struct RequestStats {
  int64_t total = 0;
  std::map<std::string, int64_t> routes;    // "GET /api/v2/users" → n (all statuses)
  std::map<std::string, int64_t> statuses;  // "200", "429", "reset", "truncate" → n
  std::map<std::string, std::map<std::string, int64_t>> route_statuses;
};

// The Genesys Cloud Platform API simulator: an HTTP/1.1 server (Boost.Beast, keep-alive, a
// multi-threaded io_context) on a loopback address serving one org, with the token endpoint,
// the read endpoints divaudit uses, rate limiting, latency and fault injection, and the /sim/
// admin API. See sim/README.md ("Server").
//
// Thread-safety: every public method may be called from any thread, except that Stop() (and the
// destructor) must not be called from inside a request handler. Readers serve from an immutable
// OrgIndex snapshot that mutations replace atomically.
class SimServer {
 public:
  // Binds, starts the threads and returns a running server. Errors: kInvalidArgument for a
  // non-loopback host or bad options, kUnavailable when the address cannot be bound.
  static Result<std::unique_ptr<SimServer>> Start(SimOptions options, OrgFixture fixture);

  ~SimServer();
  SimServer(const SimServer&) = delete;
  SimServer& operator=(const SimServer&) = delete;

  uint16_t port() const;
  // "http://127.0.0.1:PORT"
  std::string base_url() const;

  // Stops accepting, closes every connection and joins the threads. Idempotent.
  void Stop();

  // A copy of the org as currently served.
  OrgFixture Fixture() const;
  // Applies `mutate` to a copy of the org and, if it returns ok, serves the result from the next
  // request on. Mutations are serialized.
  Status Mutate(const std::function<Status(OrgFixture&)>& mutate);
  // Replaces the fault configuration (the seeded sequence continues).
  void SetFaults(FaultConfig faults);
  RequestStats Stats() const;
  void ResetStats();

  class Impl;

 private:
  explicit SimServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace divaudit::sim
