#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"
#include "config/config.h"
#include "storage/sqlite_snapshot_store.h"

namespace CLI {
class App;
}  // namespace CLI

namespace divaudit::daemon {

// The attestation commands (docs/attestation.md, docs/cli.md):
//   divaudit keygen --out K
//   divaudit attest --config F (--tenant T | --all-tenants) --out DIR [--key K] [--generated-at T]
//   divaudit verify-attestation FILE.json --public-key K.pub [--sig S] [--config F]
// Each returns a process exit code and prints errors as one line on stderr.

struct KeygenCommandOptions {
  std::string out;  // private key path; the public key goes to out + ".pub"
};

struct AttestCommandOptions {
  std::string config_path;
  std::string tenant;
  bool all_tenants = false;
  std::string out;           // directory (created if missing)
  std::string key;           // private key; empty: unsigned files
  std::string generated_at;  // ISO 8601; empty: now
};

struct VerifyAttestationCommandOptions {
  std::string file;         // the .json
  std::string public_key;   // PEM public key
  std::string sig;          // empty: file + ".sig"
  std::string config_path;  // optional: also check the sweep against the database
};

int KeygenCommand(const KeygenCommandOptions& options);
int AttestCommand(const AttestCommandOptions& options);
// Exit 0 valid, 1 invalid (one line saying what failed) or the database could not be read,
// 2 usage (missing file or key, wrong key type, bad config).
int VerifyAttestationCommand(const VerifyAttestationCommandOptions& options);

// The three subcommands on a CLI11 app, self-contained so main.cc needs two lines:
//   auto attest_cli = AttestCli::Register(app);        // before parsing
//   if (auto code = attest_cli->Run()) return *code;   // after parsing and logging setup
class AttestCli {
 public:
  static std::unique_ptr<AttestCli> Register(CLI::App& app);
  // The exit code of the attestation command that was parsed; nullopt when it was another one.
  std::optional<int> Run() const;

 private:
  AttestCli() = default;
  CLI::App* keygen_ = nullptr;
  CLI::App* attest_ = nullptr;
  CLI::App* verify_ = nullptr;
  KeygenCommandOptions keygen_options_;
  AttestCommandOptions attest_options_;
  VerifyAttestationCommandOptions verify_options_;
};

// Opens the configured database read-only exactly as the other read-only commands do
// (daemon/commands.cc's helper, defined there); on failure prints one line and sets *exit.
Result<std::unique_ptr<storage::SqliteSnapshotStore>> OpenCommandStore(std::string_view command,
                                                                       const config::Config& config,
                                                                       const Clock& clock,
                                                                       int* exit);

}  // namespace divaudit::daemon
