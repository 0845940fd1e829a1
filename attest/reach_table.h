#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/effective_grants.h"
#include "audit/finding.h"
#include "audit/org_snapshot.h"
#include "audit/tenant_map.h"

namespace divaudit::attest {

// The reach table of an attestation (docs/attestation.md): every subject that can reach a
// tenant, one row per path. A path is produced by a ReachPathProvider; adding a path (e.g.
// `org_wide_permission`, `queue`) is one more provider in DefaultReachPaths() plus, if it needs
// them, the fields it fills below.

// A temporal fact a row depends on, for its `first_seen` (storage/reach_history.h): the row has
// held since every one of its facts has held.
struct ReachFact {
  enum class Kind { kGrant, kMembership, kQueue, kQueueMember, kFinding };
  Kind kind = Kind::kGrant;
  // kGrant: subject type name ("user", "group", ...), subject id, role id, division id.
  // kMembership: group id, user id.
  // kQueue: queue id, division id (the queue in that division).
  // kQueueMember: queue id, user id, "direct" or "group" (as listed, joined or not).
  // kFinding: fingerprint — held since the finding was last opened (org_wide_permission, whose
  // path depends on role policies, catalog and settings as the rule judged them).
  std::vector<std::string> key;
};

struct ReachRow {
  std::string path;  // "grant", "all_divisions", ...
  audit::SubjectRef subject;
  std::optional<audit::NamedRef> home_division;  // users with a home division
  std::optional<std::string> home_tenant;        // users whose home division has a tenant
  std::optional<audit::NamedRef> role;
  std::optional<audit::NamedRef> division;  // id "*" for All Divisions
  audit::Via via;                           // direct, or the group it comes through
  std::vector<ReachFact> facts;
  // Findings that cover this path, most specific first (the first one stored open or
  // suppressed is the row's finding).
  std::vector<std::string> finding_fingerprints;
  // v2 paths (empty / nullopt on the others):
  std::optional<audit::QueueRef> queue = {};  // `queue`: the tenant's queue (division, groups)
  std::vector<std::string> permissions = {};  // `org_wide_permission`: the org-wide permissions
  std::vector<std::string> divisions = {};    // `org_wide_permission`: division ids of the path
};

// What providers read. All references outlive the call.
struct ReachInput {
  const audit::OrgSnapshot& snapshot;
  const audit::EffectiveGrants& index;
  const audit::TenantMap& tenants;
  std::string tenant;
  // The open and suppressed findings as stored (org_wide_permission rows come from the rule's
  // findings: the rule expands role policies against the catalog and the configured list).
  const std::vector<audit::Finding>* findings = nullptr;
};

// One kind of path to a tenant. Implementations are stateless and thread-safe.
class ReachPathProvider {
 public:
  virtual ~ReachPathProvider() = default;
  virtual std::string_view path() const = 0;
  // Appends this path's rows for `in.tenant` (any order).
  virtual void AddRows(const ReachInput& in, std::vector<ReachRow>& rows) const = 0;
};

// `grant`: a role on a division of the tenant, held directly or through a group (a group's
// grant gives the group's own row and one row per member, via the group).
std::unique_ptr<ReachPathProvider> GrantPath();
// `all_divisions`: a role on "*" (which covers every division, the tenant's included), direct
// or through a group as above.
std::unique_ptr<ReachPathProvider> AllDivisionsPath();
// `org_wide_permission`: every subject of an open or suppressed org_wide_permission finding
// (a role whose permissions act org-wide reaches every tenant), with its permissions and
// divisions; users not in the snapshot are left out.
std::unique_ptr<ReachPathProvider> OrgWidePermissionPath();
// `queue`: every listed member (joined or not; direct or via a group) of a routing queue in a
// division of the tenant; the finding is the cross_tenant_queue finding of that member, queue
// and via. Members that are not users of the snapshot are left out.
std::unique_ptr<ReachPathProvider> QueuePath();

// The paths this build collects, in table order.
std::vector<std::unique_ptr<ReachPathProvider>> DefaultReachPaths();
// Paths of the design this build does not collect yet (listed in the attestation as such).
std::vector<std::string> UncollectedReachPaths();

// Runs every provider and sorts the rows: provider order, then subject (type, name, id), role
// (name, id), division (name, id), via (direct first, then group id), queue (name, id).
// Deleted users never reach.
std::vector<ReachRow> BuildReachRows(const ReachInput& in,
                                     const std::vector<std::unique_ptr<ReachPathProvider>>& paths);

}  // namespace divaudit::attest
