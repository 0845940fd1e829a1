#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "audit/finding.h"
#include "audit/org_snapshot.h"
#include "common/status.h"

namespace divaudit::storage {

// One stored sweep (the `sweeps` row). `info.id` is the sweep id.
struct SweepRecord {
  audit::SweepInfo info;
  int rule_set_version = 0;
  std::string content_hash;  // hex SHA-256, chained to the previous sweep
};

// What CommitSweep did. Findings lists hold the findings as stored (state after this sweep;
// resolved ones carry their last known names and state kResolved).
struct CommitResult {
  int64_t sweep_id = 0;
  std::string content_hash;
  std::vector<audit::Finding> new_findings;         // fingerprints never seen before
  std::vector<audit::Finding> resolved_findings;    // resolved by this (complete) sweep
  std::vector<audit::Finding> reopened_findings;    // resolved before, seen again
  std::map<std::string, int64_t> new_by_rule;       // rule name → count (new + reopened)
  std::map<std::string, int64_t> resolved_by_rule;  // rule name → count
  int64_t rows_inserted = 0;                        // temporal rows opened by this sweep
  int64_t rows_closed = 0;                          // temporal rows closed by this sweep
};

// A finding as stored, with its lifecycle. `finding.state` is open, suppressed or resolved;
// `finding.first_seen` is ISO 8601.
struct FindingRecord {
  audit::Finding finding;
  std::optional<int64_t> first_seen_sweep;  // nullopt once that sweep was pruned
  std::optional<int64_t> last_seen_sweep;
  std::string last_seen;  // ISO 8601
  std::optional<int64_t> resolved_by_sweep;
  std::string resolved_at;  // ISO 8601, empty unless resolved
  int64_t reopened_count = 0;
};

struct FindingFilter {
  std::vector<audit::FindingState> states;  // empty: every state
  std::optional<std::string> tenant;        // matches tenant, home_tenant or any of tenants
  std::optional<audit::Rule> rule;
  friend bool operator==(const FindingFilter&, const FindingFilter&) = default;
};

struct Membership {
  std::string group_id;
  std::string user_id;
  friend auto operator<=>(const Membership&, const Membership&) = default;
  friend bool operator==(const Membership&, const Membership&) = default;
};

struct UserMove {
  std::string user_id;
  std::string user_name;
  std::string from_division_id;
  std::string to_division_id;
};

// Changes between two complete sweeps (from → to). Memberships are compared only for groups
// whose members were read in both sweeps. `names` maps every id that appears (users, groups,
// clients, roles, divisions, external subjects) to its latest known name.
struct SnapshotDiff {
  int64_t from_sweep = 0;
  int64_t to_sweep = 0;
  std::vector<audit::Grant> grants_added, grants_removed;
  std::vector<Membership> memberships_added, memberships_removed;
  std::vector<UserMove> users_moved;
  std::vector<audit::User> users_added, users_removed;
  std::vector<audit::Division> divisions_added, divisions_removed;
  std::vector<std::pair<audit::Division, audit::Division>> divisions_changed;  // (before, after)
  std::vector<audit::OAuthClient> clients_added, clients_removed;
  std::vector<std::pair<audit::OAuthClient, audit::OAuthClient>> clients_changed;
  std::map<std::string, std::string> names;
  // v2 (added at the end): the permission catalog (a permission is domain:entity:action;
  // `changed` = its divisionAware flag flipped), role permission policies of roles in both
  // sweeps (before, after), the role settings (before, after; nullopt = not read), routing
  // queues (changed = name, division or member groups) and queue members, compared on (queue,
  // user, memberBy) — `joined` is ignored — for queues in both sweeps. `names` adds queues.
  std::vector<audit::CatalogPermission> permissions_added = {}, permissions_removed = {};
  std::vector<std::pair<audit::CatalogPermission, audit::CatalogPermission>> permissions_changed =
      {};
  std::vector<std::pair<audit::Role, audit::Role>> role_policies_changed = {};
  bool role_settings_changed = false;
  std::optional<audit::RoleSettings> role_settings_before = {}, role_settings_after = {};
  std::vector<audit::Queue> queues_added = {}, queues_removed = {};
  std::vector<std::pair<audit::Queue, audit::Queue>> queues_changed = {};
  std::vector<audit::QueueMember> queue_members_added = {}, queue_members_removed = {};
  bool empty() const;
};

struct VerifyResult {
  bool ok = true;
  std::optional<int64_t> first_bad_sweep;  // set when the chain breaks at a sweep
  std::vector<std::string> problems;       // human-readable, first problem first
  int64_t sweeps_checked = 0;
  // The content hash of the newest stored sweep (the prune anchor's when none): compare it
  // with the hash logged at commit (event=sweep_committed) to detect a truncated tail.
  std::string head_hash;
};

struct PruneResult {
  int64_t sweeps_deleted = 0;
  int64_t rows_deleted = 0;  // temporal rows closed before the oldest kept sweep
  int64_t rows_rebased = 0;  // rows whose valid_from sweep was pruned (now "before anchor")
  int64_t findings_deleted = 0;
  std::optional<int64_t> anchor_sweep;  // the last pruned sweep id
};

struct FindingEvent {
  int64_t sweep_id = 0;  // 0 when the sweep was pruned (event kept as the anchor state)
  int64_t at_unix = 0;   // the sweep's start time (0 if pruned)
  std::string fingerprint;
  std::string event;  // opened, resolved, reopened, suppressed, unsuppressed
};

struct ExceptionSeen {
  audit::ExceptionRef exception;
  std::vector<std::string> fingerprints;  // findings currently suppressed by it
};

// The write of the next sweep, started before the org is read (SnapshotStore::BeginSweep): it
// takes the database's write lock and reads the current rows while the sweep reads the org,
// then writes the final snapshot's rows (Seal) while the caller audits, so that little is left
// to do once the findings are known. CommitPendingSweep stores exactly what CommitSweep would
// have stored; a pending sweep destroyed before its commit leaves nothing behind. The work
// happens in the background; calls come from one thread.
class PendingSweep {
 public:
  virtual ~PendingSweep() = default;
  // The sweep's grants, final and canonical, before Seal (genesys::Sweeper knows them once every
  // listing they come from is read, while others are still being read): the store may write
  // them now. Seal's snapshot must hold exactly these grants; if it does not, CommitPendingSweep
  // falls back to CommitSweep. Once, before Seal; ignored otherwise.
  virtual void AddFinalGrants(std::vector<audit::Grant> grants) { (void)grants; }
  // The sweep's users, final and sorted by id, before Seal: the store may write them now. As
  // AddFinalGrants: Seal's snapshot must hold exactly these users, else CommitPendingSweep falls
  // back to CommitSweep. Once, before Seal; ignored otherwise.
  virtual void AddFinalUsers(std::vector<audit::User> users) { (void)users; }
  // The final snapshot of a complete or partial sweep (it must not change until the commit).
  virtual void Seal(const audit::OrgSnapshot& final, bool complete) = 0;
};

// The persistent store of sweeps, the temporal org snapshot and the findings lifecycle
// (docs/storage.md). Implementations are thread-safe (calls are serialised). Every method
// returns kUnavailable when the database is busy, kResourceExhausted when the disk is full,
// kDataLoss on a corrupt file; messages name the database file.
class SnapshotStore {
 public:
  virtual ~SnapshotStore() = default;

  // Stores one sweep in one transaction and assigns its id. Complete sweeps insert new/changed
  // rows, close changed/vanished rows and resolve unseen findings; partial sweeps only insert
  // rows with keys not currently stored and add/refresh the findings they saw; failed sweeps
  // store only their sweep row. `findings` must have fingerprints and state open/suppressed.
  virtual Result<CommitResult> CommitSweep(const audit::SweepInfo& info,
                                           const audit::OrgSnapshot& snapshot,
                                           const std::vector<audit::Finding>& findings) = 0;

  // The next sweep's write, begun now, or nullptr when this store cannot begin one (the sweep
  // then commits with CommitSweep alone). It holds the database's write lock until it is
  // committed or destroyed.
  virtual std::unique_ptr<PendingSweep> BeginSweep() = 0;
  // CommitSweep for a sweep begun with BeginSweep (`pending` may be nullptr): the same outcome
  // as CommitSweep(info, snapshot, findings). A failed sweep, a pending sweep sealed with
  // another snapshot or status, and one that could not write commit through CommitSweep (what
  // it wrote is discarded first).
  virtual Result<CommitResult> CommitPendingSweep(std::unique_ptr<PendingSweep> pending,
                                                  const audit::SweepInfo& info,
                                                  const audit::OrgSnapshot& snapshot,
                                                  const std::vector<audit::Finding>& findings) = 0;

  // Sweeps started in [from_unix, to_unix] (both optional), oldest first.
  virtual Result<std::vector<SweepRecord>> ListSweeps(std::optional<int64_t> from_unix,
                                                      std::optional<int64_t> to_unix) = 0;
  // kNotFound when no complete sweep is stored.
  virtual Result<SweepRecord> LastCompleteSweep() = 0;
  // The canonical OrgSnapshot of a complete sweep, equal to what was committed (groups whose
  // members were not read come back with no members). kNotFound for an unknown sweep,
  // kFailedPrecondition for a partial/failed one.
  virtual Result<audit::OrgSnapshot> SnapshotAt(int64_t sweep_id) = 0;
  // SnapshotAt(sweep_id).divisions, same errors, reading only the divisions table (a daemon's
  // start needs them; the whole snapshot of a 50,000-user org is ~500,000 grant rows).
  virtual Result<std::vector<audit::Division>> DivisionsAt(int64_t sweep_id) = 0;
  // audit::CountsOf(SnapshotAt(sweep_id)), same errors, from count(*) of the rows live at the
  // sweep (`findings --format json` needs only the counts, not 500,000 grants read back).
  virtual Result<audit::SnapshotCounts> CountsAt(int64_t sweep_id) = 0;
  // Findings sorted as docs/findings.md.
  virtual Result<std::vector<FindingRecord>> QueryFindings(const FindingFilter& filter) = 0;
  // Both sweeps must be complete (kFailedPrecondition otherwise).
  virtual Result<SnapshotDiff> Diff(int64_t from_sweep, int64_t to_sweep) = 0;
  // Integrity check, foreign keys, hash chain, findings state vs event log.
  virtual Result<VerifyResult> Verify() = 0;
  // Deletes sweeps started before now - retention (always keeping the last complete sweep).
  virtual Result<PruneResult> Prune(std::chrono::seconds retention, int64_t now_unix) = 0;

  // Report and attestation helpers. FindingEvents: `event` is always a valid
  // audit::LifecycleEvent name (kDataLoss otherwise).
  virtual Result<std::vector<FindingEvent>> FindingEvents(int64_t from_unix, int64_t to_unix) = 0;
  virtual Result<std::vector<ExceptionSeen>> ExceptionsSeen() = 0;
};

}  // namespace divaudit::storage
