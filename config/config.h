#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "audit/finding.h"
#include "audit/permissions.h"
#include "common/clock.h"
#include "common/status.h"

namespace divaudit::config {

// [genesys]
struct GenesysConfig {
  std::string region = "us-east-1";
  std::string api_base_url;    // derived from region unless overridden
  std::string login_base_url;  // derived from region unless overridden
  std::string client_id;
  std::string client_secret_file;  // empty: use env DIVAUDIT_CLIENT_SECRET
  int max_concurrency = 4;
  int requests_per_minute = 300;
  std::chrono::milliseconds timeout{30'000};
};

struct ScheduleConfig {
  std::chrono::milliseconds interval{15 * 60'000};
  std::chrono::milliseconds jitter{30'000};
  // Change watch: poll the realtime audit trail this often; 0 = off, else at least 5 s.
  std::chrono::milliseconds watch{0};
  // After a relevant audit event, sweep at event time + settle (reads can lag a write).
  std::chrono::milliseconds settle{30'000};
  // A watch-triggered sweep never starts closer than this to the previous sweep's start.
  std::chrono::milliseconds min_interval{2 * 60'000};
};

struct StorageConfig {
  std::string path = "/var/lib/divaudit/divaudit.db";
  std::chrono::milliseconds retention{400LL * 86'400'000};
};

struct MetricsConfig {
  std::string listen = "127.0.0.1:9464";
  std::string basic_auth_user;
  std::string basic_auth_password_file;
  // TLS for the endpoint (the Prometheus exporter-toolkit web-config names): PEM certificate
  // (chain) and key, both or neither; optional client CA (clients must present a certificate
  // it signed). Resolved against the config file's directory.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
};

struct TenantConfig {
  std::string name;
  std::vector<std::string> divisions;  // names, globs or ids
};

// Parsed once by the loader: the rule as audit's enum, the expiry as an instant. No consumer
// parses these again.
struct ExceptionConfig {
  audit::Rule rule = audit::Rule::kAllDivisions;
  std::string subject_id;
  std::optional<std::string> role_id;
  std::optional<std::string> division_id;
  std::string reason;
  std::string owner;
  std::string expires;      // YYYY-MM-DD as written (shown in findings and reports)
  SystemTime expires_at{};  // the last second of that day, 23:59:59 UTC: suppresses until then
  std::optional<std::string> queue_id = {};  // v2, cross_tenant_queue only: narrows to one queue
};

struct PolicyConfig {
  std::vector<std::string> shared_divisions;
  // v2: "domain:entity:action" globs ("*" parts) selecting the org-wide permissions that break
  // isolation (rule org_wide_permission); validated. Default: docs/rules.md.
  std::vector<std::string> org_wide_permissions = audit::DefaultOrgWidePermissions();
};

// [evidence] (opt-in): conversations that touched two tenants, read from analytics.
struct EvidenceConfig {
  bool conversations = false;
  // Conversations are read up to now - lag (analytics data of the last minutes is incomplete).
  std::chrono::milliseconds lag{15 * 60'000};
};

// The whole validated configuration (config/README.md). Value type.
struct Config {
  std::string source_path;  // the file it was loaded from
  GenesysConfig genesys;
  ScheduleConfig schedule;
  StorageConfig storage;
  MetricsConfig metrics;
  PolicyConfig policy;
  std::vector<TenantConfig> tenants;
  std::vector<ExceptionConfig> exceptions;
  EvidenceConfig evidence;  // v2 (issue 15), added at the end
  // Accepted but risky settings, one line each ("file:line:col: [metrics] listen: ..."): shown by
  // check-config and logged by the daemon at start and reload.
  std::vector<std::string> warnings;
};

}  // namespace divaudit::config
