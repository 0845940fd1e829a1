#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "audit/engine.h"
#include "audit/evidence.h"
#include "audit/org_snapshot.h"
#include "audit/policy.h"
#include "common/cancellation.h"
#include "common/clock.h"
#include "common/random.h"
#include "common/status.h"
#include "config/config.h"
#include "genesys/api_client.h"
#include "genesys/curl_http_client.h"
#include "genesys/platform_client.h"
#include "genesys/provenance.h"
#include "genesys/sleeper.h"
#include "genesys/sweeper.h"
#include "storage/evidence_store.h"
#include "storage/snapshot_store.h"

namespace divaudit::daemon {

// The audit policy (tenant map, shared divisions, exceptions) of a validated configuration: the
// typed values the loader parsed (rule, expiry instant = the end of the `expires` day, UTC).
audit::Policy PolicyFromConfig(const config::Config& config);

// Ok when the configuration's tenant patterns map each of `divisions` to at most one tenant;
// otherwise the TenantMap error (kInvalidArgument) prefixed with "<config file>: [[tenant]]".
// Used before a configuration is put to use (reload, check-config --online), so that an
// overlap is reported at once instead of failing every sweep.
Status CheckTenantMap(const config::Config& config, const std::vector<audit::Division>& divisions);

// The client secret: client_secret_file, else $DIVAUDIT_CLIENT_SECRET, else the systemd
// credential $CREDENTIALS_DIRECTORY/client-secret (LoadCredential=client-secret:…).
// Errors name the file or variable, never the secret.
Result<std::string> ResolveClientSecret(const config::GenesysConfig& genesys);

// Everything one sweep produced.
struct SweepJobOutput {
  audit::SweepInfo info;  // id set once committed
  audit::OrgSnapshot snapshot;
  audit::AuditResult audit;  // empty for failed sweeps
  std::optional<storage::CommitResult> commit;
  // This sweep's findings (open/suppressed) with first_seen from the store, sorted.
  std::vector<audit::Finding> findings;
  genesys::ApiStats api_stats;  // cumulative over the job's lifetime (for counters)
  // v2 ([evidence] conversations, docs/evidence.md), added at the end: the cross-tenant
  // conversations first recorded by this sweep, and whether evidence could be read (nullopt:
  // evidence is off or was not attempted).
  std::vector<audit::ConversationEvidence> evidence;
  std::optional<bool> evidence_available;
  // Added by provenance: the changed_by lookup run before the commit for the findings it opened
  // (new or reopened, suppressed included); their changed_by is set in `audit.findings`.
  genesys::ChangedByLookup changed_by = {};
};

// The daemon's log line for a finding a sweep opened: "event=finding_opened rule=… state=…
// fingerprint=… subject_id=… changed_by_type=… changed_by_id=… changed_by_name=… changed_at=…
// changed_service=… changed_action=…", or "… changed_by=null".
std::string FindingOpenedLine(const audit::Finding& f);

// One sweep end to end: read the org (genesys/), audit it (audit/), commit it (storage/).
// Keeps its HTTP client and OAuth token across runs (a token lives up to 24 h).
// Thread-compatible: one Run at a time. `store`, `clock` and `random` must outlive it.
class SweepJob {
 public:
  // Errors: the secret cannot be read (kNotFound/kPermissionDenied/kInvalidArgument), the
  // HTTP client cannot be built.
  // `config` is an immutable snapshot shared with the caller; the job keeps it for its lifetime.
  static Result<std::unique_ptr<SweepJob>> Create(std::shared_ptr<const config::Config> config,
                                                  storage::SnapshotStore& store, const Clock& clock,
                                                  RandomSource& random,
                                                  const CancellationToken& cancel);

  // Runs one sweep and commits it (complete, partial or failed). Before the commit, the findings
  // it will open (PlanLifecycle against the stored states) get changed_by from the audit trail
  // (genesys/provenance.h: one query per service over the window since the last complete
  // sweep's start − 10 min; none on a database's first sweep); lookup errors are logged and
  // reported in SweepJobOutput::changed_by, never fail the sweep. Errors: cancelled before the
  // commit (kAborted; nothing committed), the tenant map is inconsistent (kInvalidArgument; the
  // sweep is committed as failed first), the store failed (its status; nothing committed).
  Result<SweepJobOutput> Run(const genesys::ProgressCallback& progress = nullptr);

  // Logs in only (check-config --online): the token request, the coverage listing and every
  // page of the division listing (returned in `divisions`, to check the tenant map against).
  Status CheckOnline(double* coverage, std::vector<std::string>* invisible,
                     std::vector<audit::Division>* divisions);

  const config::Config& config() const { return *config_; }
  // The job's API client (its token and request budget), for the change watch's audit queries.
  // Not while Run is running.
  genesys::ApiClient& client() { return *client_; }

 private:
  SweepJob(std::shared_ptr<const config::Config> config, storage::SnapshotStore& store,
           const Clock& clock, RandomSource& random, CancellationToken cancel);

  // Reads this sweep's conversation evidence (nullopt: could not start; logged).
  std::optional<storage::EvidenceSweep> ReadEvidence(SweepJobOutput& out);
  // The findings of `findings` that a commit with `status` will open (new or reopened,
  // suppressed included), from the stored states. Errors: the store's.
  Result<std::vector<audit::Finding*>> FindingsToOpen(std::vector<audit::Finding>& findings,
                                                      audit::SweepStatus status);

  std::shared_ptr<const config::Config> config_;
  audit::Policy policy_;
  storage::SnapshotStore& store_;
  const Clock& clock_;
  RandomSource& random_;
  CancellationToken cancel_;
  genesys::RealSleeper sleeper_;
  std::unique_ptr<genesys::CurlHttpClient> http_;
  std::unique_ptr<genesys::PlatformClient> client_;
  std::unique_ptr<storage::EvidenceStore> evidence_store_;  // opened on first use
};

}  // namespace divaudit::daemon
