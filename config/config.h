#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

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
};

struct StorageConfig {
  std::string path = "/var/lib/divaudit/divaudit.db";
  std::chrono::milliseconds retention{400LL * 86'400'000};
};

struct MetricsConfig {
  std::string listen = "127.0.0.1:9464";
  std::string basic_auth_user;
  std::string basic_auth_password_file;
};

struct TenantConfig {
  std::string name;
  std::vector<std::string> divisions;  // names, globs or ids
};

struct ExceptionConfig {
  std::string rule;  // validated rule id
  std::string subject_id;
  std::optional<std::string> role_id;
  std::optional<std::string> division_id;
  std::string reason;
  std::string owner;
  std::string expires;  // YYYY-MM-DD, validated
};

struct PolicyConfig {
  std::vector<std::string> shared_divisions;
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
};

}  // namespace divaudit::config
