#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attest/reach_table.h"
#include "audit/effective_grants.h"
#include "audit/finding.h"
#include "audit/org_snapshot.h"
#include "audit/policy.h"
#include "audit/tenant_map.h"
#include "common/clock.h"
#include "common/status.h"
#include "storage/evidence_store.h"
#include "storage/snapshot_store.h"
#include "storage/sqlite_db.h"

namespace divaudit::attest {

// A per-tenant attestation (docs/attestation.md), computed from the last complete sweep of a
// store: plain data the renderers (attest/render.h) format. Same store + same options = same
// data. Times are Unix seconds (UTC).

// The stored finding that covers a reach row (open or suppressed).
struct RowFinding {
  audit::Rule rule = audit::Rule::kCrossTenant;
  std::string fingerprint;
  audit::FindingState state = audit::FindingState::kOpen;
  std::optional<audit::ExceptionRef> exception;
};

struct AttestedRow {
  ReachRow row;
  // The first complete sweep since which the subject has had this path without a break (and its
  // start time); nullopt when it has had it since before the oldest retained sweep.
  std::optional<int64_t> first_seen_sweep;
  std::optional<int64_t> first_seen_at;
  std::optional<RowFinding> finding;
  // Who made the change that opened the row's finding (stored with it), when known.
  std::optional<audit::ChangedBy> changed_by;
};

// Open and suppressed findings of one rule that touch the tenant.
struct RuleSummary {
  audit::Rule rule = audit::Rule::kAllDivisions;
  int64_t open = 0;
  int64_t suppressed = 0;
};

struct SigningInfo {
  std::string fingerprint;      // hex SHA-256 of the DER SubjectPublicKeyInfo
  std::string public_key_file;  // file name of the public key to hand out (e.g. "bpo.pem.pub")
};

// v2 (issue 15): one conversation that touched the tenant and another (ids and times only).
struct AttestedConversation {
  std::string id;
  int64_t start_ms = 0;  // Unix milliseconds
  std::vector<std::string> other_tenants;
};

// The tenant's conversation evidence over the attestation's period: the 30 days before the
// sweep's start, conversations recorded by a sweep up to the attested one (docs/attestation.md).
struct AttestedEvidence {
  bool collected = false;  // [evidence] conversations on (an EvidenceStore was given)
  // "disabled", "unavailable" (the last sweep was refused the analytics details), "not_read",
  // "partial" (read up to read_until, inside the period) or "collected".
  std::string status = "disabled";
  int64_t from = 0;  // period, Unix seconds
  int64_t to = 0;
  std::optional<int64_t> read_until_ms;
  std::vector<AttestedConversation> conversations;  // oldest start first, then id
};

// The attestation's evidence period: this many days before the attested sweep's start.
inline constexpr int64_t kEvidencePeriodDays = 30;

struct AttestationData {
  std::string org_id;    // empty when the sweep did not record it
  std::string org_name;  // empty when the sweep did not record it
  std::string api_base_url;
  std::string tenant;
  std::string slug;  // TenantSlug(tenant), possibly with a suffix that keeps it unique
  std::string date;  // YYYY-MM-DD of generated_at (UTC)
  int64_t generated_at = 0;
  std::vector<audit::Division> divisions;  // the tenant's divisions at the sweep, by name then id
  storage::SweepRecord sweep;
  std::vector<audit::TenantSpec> tenant_map;
  std::vector<std::string> shared_divisions;
  std::vector<audit::ExceptionSpec> exceptions;
  std::vector<std::string> collected_paths;    // reach paths this build collects, in order
  std::vector<std::string> uncollected_paths;  // paths of the design it does not collect yet
  std::vector<AttestedRow> reach;
  std::vector<RuleSummary> findings_summary;  // every rule, in rule order
  std::optional<SigningInfo> signing;         // nullopt: unsigned
  AttestedEvidence evidence = {};             // v2 (issue 15), added at the end

  // "<slug>-<date>": the files are <stem>.json, <stem>.html and <stem>.json.sig.
  std::string FileStem() const { return slug + "-" + date; }
};

struct AttestationOptions {
  SystemTime generated_at{};
  std::string api_base_url;
  std::optional<SigningInfo> signing;
  std::string slug;  // empty: TenantSlug(tenant)
  // v2 (issue 15): the database's conversation evidence when [evidence] conversations is on
  // (nullptr: the attestation says it is not collected). Not owned.
  storage::EvidenceStore* evidence = nullptr;
};

// The rule set version of the first divaudit that stored v2 data (role policies, catalog,
// role settings, queues) with each sweep (audit::kRuleSetVersion at v2).
inline constexpr int kFirstV2RuleSetVersion = 2;

// What every tenant's attestation of one store shares, loaded once: the last complete sweep,
// its snapshot and tenant map, the open/suppressed findings and the list of complete sweeps.
// Not thread-safe (Build reads the history connection).
class AttestationSource {
 public:
  // `history_db`: a connection to the same database as `store`, read for first_seen
  // (storage/reach_history.h); both must outlive the source. Errors: kFailedPrecondition when
  // no complete sweep is stored, or when the last one predates v2 (rule_set_version below
  // kFirstV2RuleSetVersion: no v2 data stored for it, one line naming the sweep);
  // kInvalidArgument for a tenant map the divisions contradict;
  // store errors pass through.
  static Result<std::unique_ptr<AttestationSource>> Load(storage::SnapshotStore& store,
                                                         storage::Db& history_db,
                                                         const audit::Policy& policy);

  // Tenants with at least one division at the sweep, then configured tenants without any;
  // sorted, unique.
  const std::vector<std::string>& tenants() const { return tenants_; }
  const storage::SweepRecord& sweep() const { return sweep_; }

  // The attestation of `tenant`. kInvalidArgument for an unknown tenant, naming the closest
  // known one and listing them all.
  Result<AttestationData> Build(const std::string& tenant, const AttestationOptions& options);

 private:
  AttestationSource(storage::Db& history_db, audit::Policy policy)
      : history_db_(history_db), policy_(std::move(policy)) {}

  storage::Db& history_db_;
  audit::Policy policy_;
  storage::SweepRecord sweep_;
  std::unique_ptr<audit::OrgSnapshot> snapshot_;  // stable address: the index points into it
  std::unique_ptr<audit::EffectiveGrants> index_;
  std::unique_ptr<audit::TenantMap> tenant_map_;
  std::vector<std::string> tenants_;
  std::vector<storage::FindingRecord> findings_;             // open + suppressed
  std::vector<audit::Finding> as_of_findings_;               // those first seen by the as-of sweep
  std::map<std::string, std::optional<int64_t>> opened_in_;  // fingerprint → last opening sweep
  std::vector<std::pair<int64_t, int64_t>> complete_;        // (id, started_at) of complete sweeps
};

}  // namespace divaudit::attest
