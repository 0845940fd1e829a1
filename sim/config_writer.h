#pragma once

#include <string>

#include "sim/org_json.h"

namespace divaudit::sim {

// Where a generated divaudit config points. Empty strings leave their key out.
struct ConfigWriterOptions {
  std::string api_base_url;  // also written as login_base_url (the sim serves /oauth/token)
  std::string client_id;
  std::string client_secret_file;
  std::string db_path;
  std::string metrics_listen = "127.0.0.1:0";
  std::string interval = "15m";
};

// Renders a divaudit config (config/README.md) for the fixture's policy: [genesys], [schedule],
// [storage], [metrics], [policy] shared_divisions, one [[tenant]] per policy tenant and one
// [[exception]] per policy exception, in policy order. Strings are TOML basic strings with
// escapes. Never contains a secret (only the path of the secret file). Pure; thread-safe.
std::string RenderConfigToml(const OrgFixture& fixture, const ConfigWriterOptions& options);

}  // namespace divaudit::sim
