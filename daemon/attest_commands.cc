#include "daemon/attest_commands.h"

#include <sys/stat.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <map>

#include "attest/attestation.h"
#include "attest/files.h"
#include "attest/signing.h"
#include "attest/text.h"
#include "common/file_util.h"
#include "common/sha256.h"
#include "common/time_util.h"
#include "config/loader.h"
#include "daemon/commands.h"
#include "daemon/sweep_job.h"
#include "storage/evidence_store.h"
#include "storage/sqlite_db.h"

namespace divaudit::daemon {
namespace {

void PrintError(std::string_view command, const std::string& message) {
  std::fprintf(stderr, "divaudit %.*s: %s\n", static_cast<int>(command.size()), command.data(),
               message.c_str());
}

}  // namespace

int KeygenCommand(const KeygenCommandOptions& options) {
  if (Status s = attest::GenerateKeyPair(options.out); !s.ok()) {
    PrintError("keygen", s.message());
    return ExitCodeFor(s);
  }
  auto pub = attest::VerifyingKey::Load(options.out + ".pub");
  if (!pub.ok()) {
    PrintError("keygen", pub.status().message());
    return kExitRuntime;
  }
  std::fprintf(stderr,
               "keygen: wrote %s (private, mode 0600: keep it secret) and %s (public: hand it to "
               "the clients who verify attestations)\n",
               options.out.c_str(), (options.out + ".pub").c_str());
  std::printf("%s.pub sha256 %s\n", options.out.c_str(), pub->fingerprint().c_str());
  std::fflush(stdout);
  return kExitOk;
}

int AttestCommand(const AttestCommandOptions& options) {
  constexpr std::string_view kCmd = "attest";
  auto config = config::LoadConfigFile(options.config_path);
  if (!config.ok()) {
    PrintError(kCmd, config.status().message());
    return kExitUsage;
  }
  SystemClock clock;
  attest::AttestationOptions attest_options;
  attest_options.generated_at = clock.Now();
  if (!options.generated_at.empty()) {
    auto t = ParseIso8601(options.generated_at);
    if (!t.ok()) {
      PrintError(kCmd, "--generated-at: " + t.status().message());
      return kExitUsage;
    }
    attest_options.generated_at = *t;
  }
  attest_options.api_base_url = config->genesys.api_base_url;
  std::optional<attest::SigningKey> key;
  if (!options.key.empty()) {
    auto loaded = attest::SigningKey::Load(options.key);
    if (!loaded.ok()) {
      PrintError(kCmd, "--key " + loaded.status().message());
      return ExitCodeFor(loaded.status());
    }
    key.emplace(std::move(*loaded));
    attest_options.signing = attest::SigningInfo{
        key->fingerprint(), std::filesystem::path(options.key).filename().string() + ".pub"};
  }

  int exit = kExitOk;
  auto store = OpenCommandStore(kCmd, *config, clock, &exit);
  if (!store.ok()) return exit;
  // A second read-only connection for the temporal history (first_seen), opened as the store
  // opens read-only: through a writer's WAL when there is one, else the file as it is.
  storage::Db history;
  struct stat wal {};
  const std::string& db_path = (*store)->path();
  const auto mode = ::lstat((db_path + "-wal").c_str(), &wal) == 0 ? storage::Db::Mode::kReadOnly
                                                                   : storage::Db::Mode::kImmutable;
  if (Status s = history.Open(db_path, mode); !s.ok()) {
    PrintError(kCmd, s.message());
    return kExitRuntime;
  }
  auto source = attest::AttestationSource::Load(**store, history, PolicyFromConfig(*config));
  if (!source.ok()) {
    PrintError(kCmd, source.status().message());
    return source.status().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitRuntime;
  }

  // Conversation evidence (issue 15): listed when [evidence] conversations is on.
  std::unique_ptr<storage::EvidenceStore> evidence;
  if (config->evidence.conversations) {
    auto opened = storage::EvidenceStore::Open(db_path, mode);
    if (!opened.ok()) {
      PrintError(kCmd, opened.status().message());
      return kExitRuntime;
    }
    evidence = std::move(*opened);
    attest_options.evidence = evidence.get();
  }
  std::vector<std::string> tenants =
      options.all_tenants ? (*source)->tenants() : std::vector<std::string>{options.tenant};
  std::error_code ec;
  std::filesystem::create_directories(options.out, ec);
  if (ec) {
    PrintError(kCmd, "--out " + options.out + ": " + ec.message());
    return kExitRuntime;
  }
  // Two tenants whose names give the same slug get a short hash of the name appended.
  std::map<std::string, int> slug_uses;
  for (const auto& t : tenants) ++slug_uses[attest::TenantSlug(t)];
  for (const auto& tenant : tenants) {
    const std::string slug = attest::TenantSlug(tenant);
    attest_options.slug = slug_uses[slug] > 1 ? slug + "-" + Sha256Hex(tenant).substr(0, 8) : slug;
    auto data = (*source)->Build(tenant, attest_options);
    if (!data.ok()) {
      PrintError(kCmd, data.status().message());
      return ExitCodeFor(data.status());
    }
    auto written = attest::WriteAttestationFiles(*data, options.out, key ? &*key : nullptr);
    if (!written.ok()) {
      PrintError(kCmd, written.status().message());
      return kExitRuntime;
    }
    std::fprintf(stderr, "attest: %s: %zu reach rows, sweep %lld -> %s\n", tenant.c_str(),
                 data->reach.size(), static_cast<long long>(data->sweep.info.id),
                 written->front().c_str());
  }
  if (!key) {
    std::fprintf(stderr,
                 "divaudit attest: no --key: the files are UNSIGNED (create a key with "
                 "`divaudit keygen --out FILE`)\n");
  }
  return kExitOk;
}

int VerifyAttestationCommand(const VerifyAttestationCommandOptions& options) {
  constexpr std::string_view kCmd = "verify-attestation";
  auto key = attest::VerifyingKey::Load(options.public_key);
  if (!key.ok()) {
    PrintError(kCmd, "--public-key " + key.status().message());
    return kExitUsage;
  }
  auto json = ReadFile(options.file);
  if (!json.ok()) {
    PrintError(kCmd, json.status().message());
    return kExitUsage;
  }
  const std::string sig_path = options.sig.empty() ? options.file + ".sig" : options.sig;
  auto sig_text = ReadFile(sig_path);
  if (!sig_text.ok()) {
    PrintError(kCmd, "INVALID: signature: " + sig_text.status().message() +
                         (options.sig.empty() ? " (an unsigned attestation proves nothing)" : ""));
    return kExitRuntime;
  }
  auto sig = attest::DecodeSignatureFile(*sig_text, sig_path);
  if (!sig.ok()) {
    PrintError(kCmd, "INVALID: signature: " + sig.status().message());
    return kExitRuntime;
  }
  std::optional<config::Config> config;
  std::unique_ptr<storage::SqliteSnapshotStore> store;
  SystemClock clock;
  if (!options.config_path.empty()) {
    auto loaded = config::LoadConfigFile(options.config_path);
    if (!loaded.ok()) {
      PrintError(kCmd, loaded.status().message());
      return kExitUsage;
    }
    int exit = kExitOk;
    auto opened = OpenCommandStore(kCmd, *loaded, clock, &exit);
    if (!opened.ok()) return exit;
    store = std::move(*opened);
  }
  auto outcome = attest::VerifyAttestation(*json, *sig, *key, store.get());
  if (!outcome.ok()) {
    PrintError(kCmd, outcome.status().message());
    return kExitRuntime;
  }
  if (!outcome->valid) {
    PrintError(kCmd, "INVALID: " + outcome->failure);
    return kExitRuntime;
  }
  std::printf("valid: %s (tenant %s, sweep %lld, chain hash %s)%s\n", options.file.c_str(),
              outcome->tenant.c_str(), static_cast<long long>(outcome->sweep_id),
              outcome->content_hash.c_str(),
              store ? "; sweep and chain hash found in the database, chain verified"
                    : "; signature only (add --config to check the database)");
  return kExitOk;
}

std::unique_ptr<AttestCli> AttestCli::Register(CLI::App& app) {
  std::unique_ptr<AttestCli> cli(new AttestCli());
  AttestCli& c = *cli;
  c.keygen_ = app.add_subcommand(
      "keygen", "Create an Ed25519 key pair for signing attestations (K, mode 0600, and K.pub)");
  c.keygen_->add_option("--out", c.keygen_options_.out, "Private key file to create")->required();

  c.attest_ = app.add_subcommand(
      "attest", "Write a signed per-tenant access review (JSON + HTML + .json.sig)");
  c.attest_
      ->add_option("-c,--config", c.attest_options_.config_path,
                   "Configuration file (TOML, see divaudit.example.toml)")
      ->required();
  auto* tenant = c.attest_->add_option("--tenant", c.attest_options_.tenant, "Tenant name");
  auto* all = c.attest_->add_flag("--all-tenants", c.attest_options_.all_tenants,
                                  "One attestation per tenant");
  tenant->excludes(all);
  c.attest_->add_option("--out", c.attest_options_.out, "Output directory")->required();
  c.attest_->add_option("--key", c.attest_options_.key,
                        "Ed25519 private key (divaudit keygen); without it the files are unsigned");
  c.attest_->add_option("--generated-at", c.attest_options_.generated_at,
                        "Fixed time (YYYY-MM-DDTHH:MM:SSZ) for reproducible output");

  c.verify_ = app.add_subcommand(
      "verify-attestation",
      "Check an attestation's signature and, with --config, its sweep in the database "
      "(exit 0 valid, 1 invalid)");
  c.verify_->add_option("file", c.verify_options_.file, "The attestation's .json file")->required();
  c.verify_->add_option("--public-key", c.verify_options_.public_key, "Public key (PEM)")
      ->required();
  c.verify_->add_option("--sig", c.verify_options_.sig, "Signature file (default: FILE.sig)");
  c.verify_->add_option("-c,--config", c.verify_options_.config_path,
                        "Also check the sweep and chain hash in this configuration's database");
  return cli;
}

std::optional<int> AttestCli::Run() const {
  if (*keygen_) return KeygenCommand(keygen_options_);
  if (*attest_) {
    if (attest_options_.tenant.empty() && !attest_options_.all_tenants) {
      std::fprintf(stderr, "divaudit attest: give --tenant NAME or --all-tenants\n");
      return kExitUsage;
    }
    return AttestCommand(attest_options_);
  }
  if (*verify_) return VerifyAttestationCommand(verify_options_);
  return std::nullopt;
}

}  // namespace divaudit::daemon
