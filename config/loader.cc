#include "config/loader.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "audit/permissions.h"
#include "common/display_text.h"
#include "common/file_util.h"
#include "common/strings.h"
#include "common/time_util.h"
#include "config/regions.h"
#include "config/toml_guard.h"

#if !defined(TOML_EXCEPTIONS) || TOML_EXCEPTIONS
#error "config/loader.cc must be compiled with TOML_EXCEPTIONS=0"
#endif
// toml++ 3.3 asserts a precondition in parse_key() that malformed headers such as "[." violate
// (upstream PR #301); without the assert it returns a parse error, as release builds do.
#define TOML_ASSERT(expr) static_cast<void>(0)
#include <toml++/toml.h>

namespace divaudit::config {
namespace {

constexpr std::string_view kRuleNames[] = {
    "all_divisions",  "cross_tenant",        "multi_tenant_subject", "unmapped_division",
    "orphaned_grant", "grant_guardrail_off", "org_wide_permission",  "cross_tenant_queue"};

// Rules whose findings name a division (an exception may narrow them with division_id).
bool RuleHasDivision(audit::Rule rule) {
  return rule == audit::Rule::kAllDivisions || rule == audit::Rule::kCrossTenant ||
         rule == audit::Rule::kUnmappedDivision || rule == audit::Rule::kOrphanedGrant;
}

// The closest known name within a small edit distance, or "".
std::string_view Closest(std::string_view name, const std::vector<std::string_view>& known) {
  std::string_view best;
  size_t best_distance = 3;  // at most 2 edits
  for (std::string_view k : known) {
    const size_t d = EditDistance(name, k);
    if (d < best_distance) {
      best_distance = d;
      best = k;
    }
  }
  return best;
}

std::string_view TypeName(toml::node_type t) {
  switch (t) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

// Parses and validates one document. Every check returns the first error as a single line.
class ConfigParser {
 public:
  ConfigParser(std::string source_name, std::filesystem::path base_dir)
      : source_(std::move(source_name)), base_dir_(std::move(base_dir)) {}

  Result<Config> Parse(std::string_view text) {
    if (const size_t bad = FirstInvalidUtf8(text); bad != std::string_view::npos) {
      size_t line = 1, line_begin = 0;
      for (size_t i = 0; i < bad; ++i) {
        if (text[i] == '\n') ++line, line_begin = i + 1;
      }
      const size_t column = bad - line_begin + 1;
      char byte[8];
      std::snprintf(byte, sizeof byte, "0x%02x", static_cast<unsigned char>(text[bad]));
      return InvalidArgumentError(source_ + ":" + std::to_string(line) + ":" +
                                  std::to_string(column) + ": invalid UTF-8 (byte " + byte +
                                  "); the configuration must be UTF-8 text");
    }
    // toml++ 3.3.0 has undefined behaviour on some non-ASCII code points (toml_guard.h).
    TomlSafeResult safe = TomlSafeText(text);
    if (safe.hazard) {
      return InvalidArgumentError(source_ + ":" + std::to_string(safe.hazard->line) + ":" +
                                  std::to_string(safe.hazard->column) + ": " +
                                  safe.hazard->message);
    }
    toml::parse_result parsed =
        toml::parse(safe.needs_rewrite ? std::string_view(safe.text) : text, source_);
    if (!parsed) {
      const toml::parse_error& err = parsed.error();
      std::string description(err.description());
      std::replace(description.begin(), description.end(), '\n', ' ');
      return InvalidArgumentError(Pos(err.source().begin) + "malformed TOML: " + description);
    }
    const toml::table& root = parsed.table();
    Config config;
    config.source_path = source_;

    DIVAUDIT_RETURN_IF_ERROR(CheckKeys(
        root, "",
        {"genesys", "schedule", "storage", "metrics", "policy", "tenant", "exception", "evidence"},
        /*top_level=*/true));
    DIVAUDIT_RETURN_IF_ERROR(ParseGenesys(root, config.genesys));
    DIVAUDIT_RETURN_IF_ERROR(ParseSchedule(root, config.schedule));
    DIVAUDIT_RETURN_IF_ERROR(ParseStorage(root, config.storage));
    DIVAUDIT_RETURN_IF_ERROR(ParseMetrics(root, config.metrics, config.warnings));
    DIVAUDIT_RETURN_IF_ERROR(ParsePolicy(root, config.policy));
    DIVAUDIT_RETURN_IF_ERROR(ParseTenants(root, config.tenants));
    DIVAUDIT_RETURN_IF_ERROR(ParseExceptions(root, config.exceptions));
    DIVAUDIT_RETURN_IF_ERROR(ParseEvidence(root, config.evidence));
    return config;
  }

 private:
  // "file:line:col: " or "file: " when the position is unknown.
  std::string Pos(const toml::source_position& pos) const {
    if (pos.line == 0) return source_ + ": ";
    return source_ + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column) + ": ";
  }

  // One line, always: values quoted into messages may hold control characters (found by
  // fuzz_config), which are shown escaped.
  Status Error(const toml::source_position& pos, std::string_view where,
               std::string_view message) const {
    std::string text = Pos(pos) + std::string(where) + ": ";
    for (char c : message) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        static constexpr char kHex[] = "0123456789abcdef";
        text += "\\x";
        text.push_back(kHex[(static_cast<unsigned char>(c) >> 4) & 15]);
        text.push_back(kHex[static_cast<unsigned char>(c) & 15]);
      } else {
        text.push_back(c);
      }
    }
    return InvalidArgumentError(std::move(text));
  }

  // A key of a table together with its value, or absent.
  struct Entry {
    const toml::key* key = nullptr;
    const toml::node* node = nullptr;
    explicit operator bool() const { return node != nullptr; }
    toml::source_position pos() const {
      return key != nullptr ? key->source().begin : toml::source_position{};
    }
  };

  static Entry Find(const toml::table* table, std::string_view key) {
    if (table == nullptr) return {};
    auto it = table->find(key);
    if (it == table->end()) return {};
    return {&it->first, &it->second};
  }

  // Rejects keys that are not in `known`, with a suggestion when one is close.
  Status CheckKeys(const toml::table& table, std::string_view section,
                   const std::vector<std::string_view>& known, bool top_level = false) const {
    for (auto&& [key, node] : table) {
      if (std::find(known.begin(), known.end(), key.str()) != known.end()) continue;
      std::string_view suggestion = Closest(key.str(), known);
      if (top_level) {
        // Tables at the top level: show them as the user would write them.
        const bool is_array_table = suggestion == "tenant" || suggestion == "exception";
        std::string message = "unknown table";
        if (!suggestion.empty()) {
          message += is_array_table ? " (did you mean [[" + std::string(suggestion) + "]]?)"
                                    : " (did you mean [" + std::string(suggestion) + "]?)";
        }
        const std::string name =
            node.is_array_of_tables()
                ? "[[" + std::string(key.str()) + "]]"
                : (node.is_table() ? "[" + std::string(key.str()) + "]" : std::string(key.str()));
        return Error(key.source().begin, name, message);
      }
      std::string message = "unknown key";
      if (!suggestion.empty()) message += " (did you mean " + std::string(suggestion) + "?)";
      return Error(key.source().begin, Where(section, key.str()), message);
    }
    return Status::Ok();
  }

  static std::string Where(std::string_view section, std::string_view key) {
    return std::string(section) + " " + std::string(key);
  }

  // Top-level [name] table: absent → nullptr; wrong type → error.
  Result<const toml::table*> Section(const toml::table& root, std::string_view name) const {
    Entry e = Find(&root, name);
    if (!e) return static_cast<const toml::table*>(nullptr);
    if (!e.node->is_table()) {
      return Error(e.pos(), "[" + std::string(name) + "]",
                   "must be a table, got " + std::string(TypeName(e.node->type())));
    }
    return e.node->as_table();
  }

  Status WrongType(const Entry& e, std::string_view where, std::string_view want) const {
    return Error(e.pos(), where,
                 "must be " + std::string(want) + ", got " + std::string(TypeName(e.node->type())));
  }

  // Optional string: leaves `out` untouched when absent.
  Status ReadString(const toml::table* table, std::string_view section, std::string_view key,
                    std::string& out, bool* present = nullptr) const {
    Entry e = Find(table, key);
    if (present != nullptr) *present = static_cast<bool>(e);
    if (!e) return Status::Ok();
    if (!e.node->is_string()) return WrongType(e, Where(section, key), "a string");
    out = e.node->as_string()->get();
    return Status::Ok();
  }

  Status ReadNonEmptyString(const toml::table* table, std::string_view section,
                            std::string_view key, std::string& out, bool* present) const {
    DIVAUDIT_RETURN_IF_ERROR(ReadString(table, section, key, out, present));
    if (*present && out.empty()) {
      return Error(Find(table, key).pos(), Where(section, key), "must not be empty");
    }
    return Status::Ok();
  }

  Status Required(const toml::table* table, const toml::source_position& table_pos,
                  std::string_view section, std::string_view key, std::string& out,
                  std::string_view what) const {
    bool present = false;
    DIVAUDIT_RETURN_IF_ERROR(ReadNonEmptyString(table, section, key, out, &present));
    if (!present)
      return Error(table_pos, Where(section, key), "required (" + std::string(what) + ")");
    return Status::Ok();
  }

  Status ReadInt(const toml::table* table, std::string_view section, std::string_view key,
                 int64_t min, int64_t max, int& out) const {
    Entry e = Find(table, key);
    if (!e) return Status::Ok();
    if (!e.node->is_integer()) return WrongType(e, Where(section, key), "an integer");
    const int64_t v = e.node->as_integer()->get();
    if (v < min || v > max) {
      return Error(e.pos(), Where(section, key),
                   "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                       ", got " + std::to_string(v));
    }
    out = static_cast<int>(v);
    return Status::Ok();
  }

  // A duration string such as "30s"; `present` reports whether the key was given.
  Status ReadDuration(const toml::table* table, std::string_view section, std::string_view key,
                      std::chrono::milliseconds& out, toml::source_position* pos) const {
    Entry e = Find(table, key);
    if (!e) return Status::Ok();
    if (pos != nullptr) *pos = e.pos();
    if (!e.node->is_string()) {
      return WrongType(e, Where(section, key), "a duration string such as \"30s\" or \"15m\"");
    }
    auto d = ParseDuration(e.node->as_string()->get());
    if (!d.ok()) return Error(e.pos(), Where(section, key), d.status().message());
    out = *d;
    return Status::Ok();
  }

  // A non-empty array whose elements are non-empty strings (or any array when allow_empty).
  Status ReadStringArray(const Entry& e, std::string_view where, bool allow_empty,
                         std::vector<std::string>& out) const {
    if (!e.node->is_array()) return WrongType(e, where, "an array of strings");
    const toml::array& array = *e.node->as_array();
    if (array.empty() && !allow_empty) return Error(e.pos(), where, "must not be empty");
    out.clear();
    for (size_t i = 0; i < array.size(); ++i) {
      const toml::node& element = array[i];
      const std::string item_where = std::string(where) + "[" + std::to_string(i) + "]";
      const toml::source_position pos =
          element.source().begin.line != 0 ? element.source().begin : e.pos();
      if (!element.is_string()) {
        return Error(pos, item_where,
                     "must be a string, got " + std::string(TypeName(element.type())));
      }
      const std::string& value = element.as_string()->get();
      if (value.empty()) return Error(pos, item_where, "must not be empty");
      out.push_back(value);
    }
    return Status::Ok();
  }

  std::string Resolve(const std::string& path) const {
    if (path.empty() || base_dir_.empty()) return path;
    const std::filesystem::path p(path);
    if (p.is_absolute()) return path;
    return (base_dir_ / p).lexically_normal().string();
  }

  // Validates an http(s) base URL; returns it without a trailing slash.
  Result<std::string> CheckBaseUrl(const Entry& e, std::string_view where,
                                   const std::string& url) const {
    const size_t scheme_end = url.find("://");
    std::string scheme = scheme_end == std::string::npos ? "" : url.substr(0, scheme_end);
    std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (scheme != "http" && scheme != "https") {
      return Error(e.pos(), where, "must be an http:// or https:// URL, got " + Quote(url));
    }
    const std::string rest = url.substr(scheme_end + 3);
    const size_t authority_end = rest.find_first_of("/?#");
    const std::string authority = rest.substr(0, authority_end);
    const std::string tail = authority_end == std::string::npos ? "" : rest.substr(authority_end);
    if (tail.find_first_of("?#") != std::string::npos) {
      return Error(e.pos(), where, "must not have a query or fragment, got " + Quote(url));
    }
    if (authority.find('@') != std::string::npos) {
      return Error(e.pos(), where, "must not contain credentials");
    }
    std::string host;
    std::string port;
    bool has_port = false;
    if (!authority.empty() && authority[0] == '[') {
      const size_t close = authority.find(']');
      if (close == std::string::npos)
        return Error(e.pos(), where, "bad IPv6 host in " + Quote(url));
      host = authority.substr(1, close - 1);
      if (close + 1 < authority.size()) {
        if (authority[close + 1] != ':') return Error(e.pos(), where, "bad host in " + Quote(url));
        has_port = true;
        port = authority.substr(close + 2);
      }
    } else {
      const size_t colon = authority.find(':');
      host = authority.substr(0, colon);
      if (colon != std::string::npos) {
        has_port = true;
        port = authority.substr(colon + 1);
      }
    }
    if (host.empty()) return Error(e.pos(), where, "has no host: " + Quote(url));
    if (has_port) {
      int p = -1;
      auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
      if (port.empty() || ec != std::errc() || ptr != port.data() + port.size() || p < 1 ||
          p > 65535) {
        return Error(e.pos(), where, "bad port in " + Quote(url));
      }
    }
    if (scheme == "http" && !IsLoopbackHost(host)) {
      return Error(e.pos(), where,
                   "plain http is allowed only for a loopback host (127.0.0.0/8, ::1, "
                   "localhost); use https, got " +
                       Quote(url));
    }
    std::string normalized = url;
    while (!normalized.empty() && normalized.back() == '/') normalized.pop_back();
    return normalized;
  }

  Status ParseGenesys(const toml::table& root, GenesysConfig& out) const {
    constexpr std::string_view s = "[genesys]";
    DIVAUDIT_ASSIGN_OR_RETURN(const toml::table* t, Section(root, "genesys"));
    if (t == nullptr) {
      return InvalidArgumentError(source_ +
                                  ": [genesys] client_id: required (the [genesys] "
                                  "table with the OAuth client id is missing)");
    }
    DIVAUDIT_RETURN_IF_ERROR(
        CheckKeys(*t, s,
                  {"region", "api_base_url", "login_base_url", "client_id", "client_secret_file",
                   "max_concurrency", "requests_per_minute", "timeout"}));
    const toml::source_position table_pos = t->source().begin;
    bool region_given = false;
    DIVAUDIT_RETURN_IF_ERROR(ReadString(t, s, "region", out.region, &region_given));
    bool api_given = false;
    bool login_given = false;
    DIVAUDIT_RETURN_IF_ERROR(
        ReadNonEmptyString(t, s, "api_base_url", out.api_base_url, &api_given));
    DIVAUDIT_RETURN_IF_ERROR(
        ReadNonEmptyString(t, s, "login_base_url", out.login_base_url, &login_given));
    if (api_given) {
      DIVAUDIT_ASSIGN_OR_RETURN(
          out.api_base_url,
          CheckBaseUrl(Find(t, "api_base_url"), Where(s, "api_base_url"), out.api_base_url));
    }
    if (login_given) {
      DIVAUDIT_ASSIGN_OR_RETURN(
          out.login_base_url,
          CheckBaseUrl(Find(t, "login_base_url"), Where(s, "login_base_url"), out.login_base_url));
    }
    if (!api_given || !login_given) {
      auto hosts = HostsForRegion(out.region);
      if (!hosts.ok()) {
        return Error(region_given ? Find(t, "region").pos() : table_pos, Where(s, "region"),
                     hosts.status().message());
      }
      if (!api_given) out.api_base_url = hosts->api_base_url;
      if (!login_given) out.login_base_url = hosts->login_base_url;
    }
    DIVAUDIT_RETURN_IF_ERROR(
        Required(t, table_pos, s, "client_id", out.client_id, "the OAuth client id"));
    bool secret_given = false;
    DIVAUDIT_RETURN_IF_ERROR(
        ReadNonEmptyString(t, s, "client_secret_file", out.client_secret_file, &secret_given));
    out.client_secret_file = Resolve(out.client_secret_file);
    DIVAUDIT_RETURN_IF_ERROR(ReadInt(t, s, "max_concurrency", 1, 64, out.max_concurrency));
    DIVAUDIT_RETURN_IF_ERROR(
        ReadInt(t, s, "requests_per_minute", 1, 100000, out.requests_per_minute));
    toml::source_position timeout_pos;
    DIVAUDIT_RETURN_IF_ERROR(ReadDuration(t, s, "timeout", out.timeout, &timeout_pos));
    if (out.timeout < std::chrono::seconds(1) || out.timeout > std::chrono::hours(1)) {
      return Error(timeout_pos, Where(s, "timeout"),
                   "must be between 1s and 1h, got " + FormatDuration(out.timeout));
    }
    return Status::Ok();
  }

  Status ParseSchedule(const toml::table& root, ScheduleConfig& out) const {
    constexpr std::string_view s = "[schedule]";
    DIVAUDIT_ASSIGN_OR_RETURN(const toml::table* t, Section(root, "schedule"));
    if (t == nullptr) return Status::Ok();
    DIVAUDIT_RETURN_IF_ERROR(
        CheckKeys(*t, s, {"interval", "jitter", "watch", "settle", "min_interval"}));
    toml::source_position interval_pos;
    toml::source_position jitter_pos;
    DIVAUDIT_RETURN_IF_ERROR(ReadDuration(t, s, "interval", out.interval, &interval_pos));
    DIVAUDIT_RETURN_IF_ERROR(ReadDuration(t, s, "jitter", out.jitter, &jitter_pos));
    if (out.interval < std::chrono::seconds(1)) {
      return Error(interval_pos, Where(s, "interval"),
                   "must be at least 1s, got " + FormatDuration(out.interval));
    }
    if (out.jitter >= out.interval) {
      const bool jitter_given = static_cast<bool>(Find(t, "jitter"));
      return Error(jitter_given ? jitter_pos : interval_pos, Where(s, "jitter"),
                   "must be less than interval (" + FormatDuration(out.interval) + "), got " +
                       FormatDuration(out.jitter));
    }
    return ParseWatch(t, s, out);
  }

  // [schedule] watch / settle / min_interval (change watch).
  Status ParseWatch(const toml::table* t, std::string_view s, ScheduleConfig& out) const {
    toml::source_position watch_pos;
    toml::source_position settle_pos;
    toml::source_position min_interval_pos;
    DIVAUDIT_RETURN_IF_ERROR(ReadDuration(t, s, "watch", out.watch, &watch_pos));
    DIVAUDIT_RETURN_IF_ERROR(ReadDuration(t, s, "settle", out.settle, &settle_pos));
    DIVAUDIT_RETURN_IF_ERROR(
        ReadDuration(t, s, "min_interval", out.min_interval, &min_interval_pos));
    if (out.watch.count() != 0 && out.watch < std::chrono::seconds(5)) {
      return Error(watch_pos, Where(s, "watch"),
                   "must be \"0s\" (off) or at least 5s, got " + FormatDuration(out.watch));
    }
    if (out.watch > std::chrono::hours(1)) {
      return Error(watch_pos, Where(s, "watch"),
                   "must be at most 1h, got " + FormatDuration(out.watch));
    }
    if (out.settle > std::chrono::hours(1)) {
      return Error(settle_pos, Where(s, "settle"),
                   "must be at most 1h, got " + FormatDuration(out.settle));
    }
    if (out.min_interval > std::chrono::hours(24)) {
      return Error(min_interval_pos, Where(s, "min_interval"),
                   "must be at most 24h, got " + FormatDuration(out.min_interval));
    }
    return Status::Ok();
  }

  Status ParseStorage(const toml::table& root, StorageConfig& out) const {
    constexpr std::string_view s = "[storage]";
    DIVAUDIT_ASSIGN_OR_RETURN(const toml::table* t, Section(root, "storage"));
    bool path_given = false;
    if (t != nullptr) {
      DIVAUDIT_RETURN_IF_ERROR(CheckKeys(*t, s, {"path", "retention"}));
      DIVAUDIT_RETURN_IF_ERROR(ReadNonEmptyString(t, s, "path", out.path, &path_given));
      toml::source_position retention_pos;
      DIVAUDIT_RETURN_IF_ERROR(ReadDuration(t, s, "retention", out.retention, &retention_pos));
      if (out.retention < std::chrono::hours(24)) {
        return Error(retention_pos, Where(s, "retention"),
                     "must be at least 1d, got " + FormatDuration(out.retention));
      }
    }
    if (!path_given) {
      // Under systemd, StateDirectory= sets $STATE_DIRECTORY (divaudit@ORG: /var/lib/divaudit/ORG),
      // so each instance has its own database unless the file names a path.
      if (const char* state = std::getenv("STATE_DIRECTORY"); state != nullptr && *state != 0) {
        const std::string_view dirs(state);
        out.path = std::string(dirs.substr(0, dirs.find(':'))) + "/divaudit.db";
      }
    }
    out.path = Resolve(out.path);
    std::error_code ec;
    if (std::filesystem::is_directory(out.path, ec)) {
      return Error(t != nullptr ? Find(t, "path").pos() : toml::source_position{}, Where(s, "path"),
                   out.path + " is a directory; give the database file, e.g. " +
                       (std::filesystem::path(out.path) / "divaudit.db").string());
    }
    return Status::Ok();
  }

  Status ParseMetrics(const toml::table& root, MetricsConfig& out,
                      std::vector<std::string>& warnings) const {
    constexpr std::string_view s = "[metrics]";
    DIVAUDIT_ASSIGN_OR_RETURN(const toml::table* t, Section(root, "metrics"));
    if (t == nullptr) return Status::Ok();
    DIVAUDIT_RETURN_IF_ERROR(CheckKeys(*t, s,
                                       {"listen", "basic_auth_user", "basic_auth_password_file",
                                        "tls_cert_file", "tls_key_file", "tls_client_ca_file"}));
    bool listen_given = false;
    DIVAUDIT_RETURN_IF_ERROR(ReadString(t, s, "listen", out.listen, &listen_given));
    if (listen_given) {
      auto hp = ParseHostPort(out.listen);
      if (!hp.ok())
        return Error(Find(t, "listen").pos(), Where(s, "listen"), hp.status().message());
    }
    bool user_given = false;
    bool password_given = false;
    DIVAUDIT_RETURN_IF_ERROR(
        ReadNonEmptyString(t, s, "basic_auth_user", out.basic_auth_user, &user_given));
    DIVAUDIT_RETURN_IF_ERROR(ReadNonEmptyString(t, s, "basic_auth_password_file",
                                                out.basic_auth_password_file, &password_given));
    if (user_given && !password_given) {
      return Error(Find(t, "basic_auth_user").pos(), Where(s, "basic_auth_password_file"),
                   "required when basic_auth_user is set");
    }
    if (password_given && !user_given) {
      return Error(Find(t, "basic_auth_password_file").pos(), Where(s, "basic_auth_user"),
                   "required when basic_auth_password_file is set");
    }
    out.basic_auth_password_file = Resolve(out.basic_auth_password_file);
    // TLS: tls_cert_file and tls_key_file together; tls_client_ca_file only with them.
    bool cert_given = false, key_given = false, ca_given = false;
    DIVAUDIT_RETURN_IF_ERROR(
        ReadNonEmptyString(t, s, "tls_cert_file", out.tls_cert_file, &cert_given));
    DIVAUDIT_RETURN_IF_ERROR(
        ReadNonEmptyString(t, s, "tls_key_file", out.tls_key_file, &key_given));
    DIVAUDIT_RETURN_IF_ERROR(
        ReadNonEmptyString(t, s, "tls_client_ca_file", out.tls_client_ca_file, &ca_given));
    if (cert_given != key_given) {
      const char* given = cert_given ? "tls_cert_file" : "tls_key_file";
      return Error(Find(t, given).pos(), Where(s, cert_given ? "tls_key_file" : "tls_cert_file"),
                   std::string("required when ") + given + " is set");
    }
    if (ca_given && !cert_given) {
      return Error(Find(t, "tls_client_ca_file").pos(), Where(s, "tls_cert_file"),
                   "required when tls_client_ca_file is set (with tls_key_file)");
    }
    if (cert_given) out.tls_cert_file = Resolve(out.tls_cert_file);
    if (key_given) out.tls_key_file = Resolve(out.tls_key_file);
    if (ca_given) out.tls_client_ca_file = Resolve(out.tls_client_ca_file);
    if (listen_given && !user_given && !ca_given) {
      auto hp = ParseHostPort(out.listen);
      if (hp.ok() && !IsLoopbackHost(hp->host)) {
        warnings.push_back(Pos(Find(t, "listen").pos()) + std::string(s) +
                           " listen: " + out.listen +
                           " is not a loopback address and neither basic_auth_user nor "
                           "tls_client_ca_file is set: anyone "
                           "who can reach it reads the findings metrics");
      }
    }
    return Status::Ok();
  }

  Status ParsePolicy(const toml::table& root, PolicyConfig& out) const {
    constexpr std::string_view s = "[policy]";
    DIVAUDIT_ASSIGN_OR_RETURN(const toml::table* t, Section(root, "policy"));
    if (t == nullptr) return Status::Ok();
    DIVAUDIT_RETURN_IF_ERROR(CheckKeys(*t, s, {"shared_divisions", "org_wide_permissions"}));
    Entry e = Find(t, "shared_divisions");
    if (e) {
      DIVAUDIT_RETURN_IF_ERROR(ReadStringArray(e, Where(s, "shared_divisions"),
                                               /*allow_empty=*/true, out.shared_divisions));
    }
    if (Entry owp = Find(t, "org_wide_permissions")) {
      const std::string where = Where(s, "org_wide_permissions");
      DIVAUDIT_RETURN_IF_ERROR(
          ReadStringArray(owp, where, /*allow_empty=*/true, out.org_wide_permissions));
      const toml::array& array = *owp.node->as_array();
      for (size_t i = 0; i < out.org_wide_permissions.size(); ++i) {
        const std::string& entry = out.org_wide_permissions[i];
        if (audit::ParsePermissionGlob(entry)) continue;
        const toml::source_position pos =
            array[i].source().begin.line != 0 ? array[i].source().begin : owp.pos();
        return Error(pos, where + "[" + std::to_string(i) + "]",
                     "malformed entry " + Quote(entry) +
                         ": expected domain:entity:action, each part a name or *");
      }
    }
    return Status::Ok();
  }

  Status ParseEvidence(const toml::table& root, EvidenceConfig& out) const {
    constexpr std::string_view s = "[evidence]";
    DIVAUDIT_ASSIGN_OR_RETURN(const toml::table* t, Section(root, "evidence"));
    if (t == nullptr) return Status::Ok();
    DIVAUDIT_RETURN_IF_ERROR(CheckKeys(*t, s, {"conversations", "lag"}));
    if (Entry e = Find(t, "conversations")) {
      if (!e.node->is_boolean()) return WrongType(e, Where(s, "conversations"), "true or false");
      out.conversations = e.node->as_boolean()->get();
    }
    toml::source_position lag_pos;
    DIVAUDIT_RETURN_IF_ERROR(ReadDuration(t, s, "lag", out.lag, &lag_pos));
    if (out.lag > std::chrono::hours(24)) {
      return Error(lag_pos, Where(s, "lag"), "must be at most 1d, got " + FormatDuration(out.lag));
    }
    return Status::Ok();
  }

  // [[name]]: absent → empty; anything but an array of tables → error.
  Result<const toml::array*> ArrayOfTables(const toml::table& root, std::string_view name) const {
    Entry e = Find(&root, name);
    if (!e) return static_cast<const toml::array*>(nullptr);
    if (!e.node->is_array_of_tables()) {
      return Error(e.pos(), "[[" + std::string(name) + "]]",
                   "must be an array of tables (write each block as [[" + std::string(name) +
                       "]]), got " + std::string(TypeName(e.node->type())));
    }
    return e.node->as_array();
  }

  Status ParseTenants(const toml::table& root, std::vector<TenantConfig>& out) const {
    DIVAUDIT_ASSIGN_OR_RETURN(const toml::array* blocks, ArrayOfTables(root, "tenant"));
    if (blocks == nullptr) return Status::Ok();
    std::map<std::string, uint32_t> seen;  // name → line
    for (size_t i = 0; i < blocks->size(); ++i) {
      const toml::table* t = (*blocks)[i].as_table();
      const std::string s = "[[tenant]] #" + std::to_string(i + 1);
      const toml::source_position table_pos = t->source().begin;
      DIVAUDIT_RETURN_IF_ERROR(CheckKeys(*t, s, {"name", "divisions"}));
      TenantConfig tenant;
      DIVAUDIT_RETURN_IF_ERROR(Required(t, table_pos, s, "name", tenant.name, "the tenant name"));
      const Entry name = Find(t, "name");
      auto [it, inserted] = seen.emplace(tenant.name, name.pos().line);
      if (!inserted) {
        return Error(name.pos(), Where(s, "name"),
                     "duplicate tenant name " + Quote(tenant.name) + " (first defined at line " +
                         std::to_string(it->second) + ")");
      }
      const Entry divisions = Find(t, "divisions");
      if (!divisions) {
        return Error(
            table_pos, Where(s, "divisions"),
            "required (division names, globs or ids of tenant " + Quote(tenant.name) + ")");
      }
      DIVAUDIT_RETURN_IF_ERROR(ReadStringArray(divisions, Where(s, "divisions"),
                                               /*allow_empty=*/false, tenant.divisions));
      out.push_back(std::move(tenant));
    }
    return Status::Ok();
  }

  Status ParseExceptions(const toml::table& root, std::vector<ExceptionConfig>& out) const {
    DIVAUDIT_ASSIGN_OR_RETURN(const toml::array* blocks, ArrayOfTables(root, "exception"));
    if (blocks == nullptr) return Status::Ok();
    for (size_t i = 0; i < blocks->size(); ++i) {
      const toml::table* t = (*blocks)[i].as_table();
      const std::string s = "[[exception]] #" + std::to_string(i + 1);
      const toml::source_position table_pos = t->source().begin;
      DIVAUDIT_RETURN_IF_ERROR(CheckKeys(*t, s,
                                         {"rule", "subject_id", "role_id", "division_id", "reason",
                                          "owner", "expires", "queue_id"}));
      ExceptionConfig ex;
      std::string rule;
      DIVAUDIT_RETURN_IF_ERROR(Required(t, table_pos, s, "rule", rule, "the rule id"));
      if (auto parsed = audit::RuleFromName(rule)) {
        ex.rule = *parsed;
      } else {
        std::vector<std::string_view> rules(std::begin(kRuleNames), std::end(kRuleNames));
        std::string_view suggestion = Closest(rule, rules);
        std::string message = "unknown rule " + Quote(rule);
        if (!suggestion.empty()) message += " (did you mean " + std::string(suggestion) + "?)";
        message += "; one of";
        for (size_t r = 0; r < std::size(kRuleNames); ++r) {
          message += (r == 0 ? " " : ", ") + std::string(kRuleNames[r]);
        }
        return Error(Find(t, "rule").pos(), Where(s, "rule"), message);
      }
      bool subject_given = false;
      DIVAUDIT_RETURN_IF_ERROR(
          ReadNonEmptyString(t, s, "subject_id", ex.subject_id, &subject_given));
      std::string value;
      bool given = false;
      DIVAUDIT_RETURN_IF_ERROR(ReadNonEmptyString(t, s, "role_id", value, &given));
      if (given) ex.role_id = value;
      DIVAUDIT_RETURN_IF_ERROR(ReadNonEmptyString(t, s, "division_id", value, &given));
      if (given) ex.division_id = value;
      if (ex.division_id && !RuleHasDivision(ex.rule)) {
        return Error(Find(t, "division_id").pos(), Where(s, "division_id"),
                     "rule " + rule + " has no division to narrow (remove division_id)");
      }
      DIVAUDIT_RETURN_IF_ERROR(ReadNonEmptyString(t, s, "queue_id", value, &given));
      if (given) {
        if (ex.rule != audit::Rule::kCrossTenantQueue) {
          return Error(Find(t, "queue_id").pos(), Where(s, "queue_id"),
                       "only for rule cross_tenant_queue (the queue to accept)");
        }
        ex.queue_id = value;
      }
      if (ex.rule == audit::Rule::kUnmappedDivision) {
        if (!ex.division_id) {
          return Error(table_pos, Where(s, "division_id"),
                       "required for rule unmapped_division (the division to accept)");
        }
      } else if (!subject_given) {
        return Error(table_pos, Where(s, "subject_id"),
                     ex.rule == audit::Rule::kGrantGuardrailOff
                         ? "required for rule grant_guardrail_off (the org id)"
                         : "required for rule " + rule + " (the user, group or client id)");
      }
      DIVAUDIT_RETURN_IF_ERROR(
          Required(t, table_pos, s, "reason", ex.reason, "why this is accepted"));
      DIVAUDIT_RETURN_IF_ERROR(
          Required(t, table_pos, s, "owner", ex.owner, "who is accountable for it"));
      DIVAUDIT_ASSIGN_OR_RETURN(ex.expires, ReadDate(t, table_pos, Where(s, "expires")));
      DIVAUDIT_ASSIGN_OR_RETURN(const SystemTime day, ParseIso8601(ex.expires));
      ex.expires_at = day + std::chrono::seconds(86399);
      out.push_back(std::move(ex));
    }
    return Status::Ok();
  }

  // expires: "YYYY-MM-DD" as a string or a TOML local date.
  Result<std::string> ReadDate(const toml::table* t, const toml::source_position& table_pos,
                               const std::string& where) const {
    const Entry e = Find(t, "expires");
    if (!e) return Error(table_pos, where, "required (a date, YYYY-MM-DD)");
    std::string text;
    if (e.node->is_date()) {
      const toml::date d = e.node->as_date()->get();
      char buf[16];
      std::snprintf(buf, sizeof buf, "%04u-%02u-%02u", static_cast<unsigned>(d.year) % 10000u,
                    static_cast<unsigned>(d.month), static_cast<unsigned>(d.day));
      text = buf;
    } else if (e.node->is_string()) {
      text = e.node->as_string()->get();
    } else {
      return WrongType(e, where, "a date \"YYYY-MM-DD\"");
    }
    if (text.size() != 10 || !ParseIso8601(text).ok()) {
      return Error(e.pos(), where, "must be a valid date YYYY-MM-DD, got " + Quote(text));
    }
    return text;
  }

  std::string source_;
  std::filesystem::path base_dir_;
};

bool IsAllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

bool IsLoopbackHost(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::string h(host);
  std::transform(h.begin(), h.end(), h.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (h == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, h.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, h.c_str(), &v6) == 1) {
    return std::memcmp(&v6, &in6addr_loopback, sizeof v6) == 0;
  }
  return false;
}

Result<HostPort> ParseHostPort(std::string_view text) {
  const std::string shown = "'" + std::string(text) + "'";
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return InvalidArgumentError("must be \"host:port\" (IPv6 as \"[::1]:9464\"), got " + shown);
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    in6_addr v6{};
    if (inet_pton(AF_INET6, std::string(host).c_str(), &v6) != 1) {
      return InvalidArgumentError("not an IPv6 address in " + shown);
    }
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return InvalidArgumentError("must be \"host:port\" (IPv6 as \"[::1]:9464\"), got " + shown);
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return InvalidArgumentError("write IPv6 addresses in brackets, e.g. \"[::1]:9464\", got " +
                                  shown);
    }
    in_addr v4{};
    if (host != "localhost" && inet_pton(AF_INET, std::string(host).c_str(), &v4) != 1) {
      return InvalidArgumentError(
          "host must be an IPv4 address, [IPv6] address or localhost, got " + shown);
    }
  }
  int port_number = -1;
  if (IsAllDigits(port) && port.size() <= 5) {
    std::from_chars(port.data(), port.data() + port.size(), port_number);
  }
  if (port_number < 0 || port_number > 65535) {
    return InvalidArgumentError("port must be a number between 0 and 65535, got " + shown);
  }
  return HostPort{std::string(host), port_number};
}

Result<Config> ParseConfig(std::string_view toml_text, std::string_view source_name) {
  ConfigParser parser{std::string(source_name), std::filesystem::path(source_name).parent_path()};
  return parser.Parse(toml_text);
}

Result<Config> LoadConfigFile(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  std::error_code ec;
  std::filesystem::path base = std::filesystem::absolute(path, ec).parent_path();
  if (ec) base = std::filesystem::path(path).parent_path();
  ConfigParser parser(path, base);
  return parser.Parse(*text);
}

Result<std::string> LoadClientSecret(const GenesysConfig& genesys) {
  if (!genesys.client_secret_file.empty()) {
    auto secret = ReadSecretFile(genesys.client_secret_file);
    if (!secret.ok()) return secret.status().WithPrefix("[genesys] client_secret_file");
    if (secret->empty()) {
      return InvalidArgumentError("[genesys] client_secret_file: " + genesys.client_secret_file +
                                  " is empty");
    }
    return secret;
  }
  const char* env = std::getenv(kClientSecretEnv);
  if (env == nullptr || *env == '\0') {
    return InvalidArgumentError(std::string("no client secret: set [genesys] client_secret_file "
                                            "or the environment variable ") +
                                kClientSecretEnv);
  }
  return std::string(env);
}

}  // namespace divaudit::config
