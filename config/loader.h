#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "config/config.h"

namespace divaudit::config {

// The environment variable read by LoadClientSecret when no client_secret_file is configured.
inline constexpr char kClientSecretEnv[] = "DIVAUDIT_CLIENT_SECRET";

// Reads and validates a divaudit TOML file (config/README.md). Relative paths inside it
// (storage.path, client_secret_file, basic_auth_password_file) are resolved against the
// directory of the file. Config::source_path is `path` as given.
// Errors (kInvalidArgument; kNotFound/kPermissionDenied when the file cannot be read) are ONE
// line: "<file>:<line>:<column>: <[table] key>: <what is wrong>", e.g.
//   divaudit.toml:12:1: [genesys] max_concurrency: must be between 1 and 64, got 0
// The position is omitted only when the key is absent from the file (a required key).
// Thread-safe (no shared state); reads no secret.
Result<Config> LoadConfigFile(const std::string& path);

// As LoadConfigFile, for text already in memory. `source_name` names the text in errors and
// its directory (if any) anchors relative paths; with no directory they stay relative.
Result<Config> ParseConfig(std::string_view toml_text, std::string_view source_name);

// The client secret: the contents of genesys.client_secret_file (which must not be readable or
// writable by group/others: ReadSecretFile) or, when no file is configured, the environment
// variable DIVAUDIT_CLIENT_SECRET. Errors name the file or the variable, never the secret.
Result<std::string> LoadClientSecret(const GenesysConfig& genesys);

// "localhost", 127.0.0.0/8 and ::1 (brackets allowed). Pure.
bool IsLoopbackHost(std::string_view host);

// A "host:port" listen address; IPv6 hosts in brackets ("[::1]:9464"). host is stored without
// brackets. Accepts IPv4/IPv6 literals and "localhost"; port 0..65535 (0: any free port).
struct HostPort {
  std::string host;
  int port = 0;
};
Result<HostPort> ParseHostPort(std::string_view text);

}  // namespace divaudit::config
