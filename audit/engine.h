#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "audit/finding.h"
#include "audit/org_snapshot.h"
#include "audit/policy.h"
#include "audit/tenant_map.h"
#include "common/clock.h"

namespace divaudit::audit {

// The state of one configured exception after an audit (feeds divaudit_exceptions{state} and
// reports).
struct ExceptionStatus {
  ExceptionSpec spec;
  bool active = false;     // now <= spec.expires_at
  int64_t matched = 0;     // findings it matches (rule, subject, role/division where given)
  int64_t suppressed = 0;  // findings it turned `suppressed` (0 when expired)
};

// The organisation a sweep read (SweepInfo::org_id / org_name): the subject of org-level
// findings (grant_guardrail_off).
struct OrgRef {
  std::string id;
  std::string name;
};

struct AuditStats {
  int64_t subjects_audited = 0;  // subjects with at least one effective grant, plus users
  int64_t effective_grants = 0;  // (subject, role, division, via) tuples evaluated
  int64_t deleted_users_skipped = 0;
  // v2: listed queues whose division a complete division listing lacks (cross_tenant_queue
  // judges nothing from them).
  int64_t queues_division_unlisted = 0;
};

struct AuditResult {
  std::vector<Finding> findings;            // sorted by FindingLess; unique fingerprints
  std::vector<ExceptionStatus> exceptions;  // one per policy.exceptions, same order
  AuditStats stats;
  // What the rules could not judge because a listing was incomplete, one line per (rule,
  // listing), in rule order: "rule <id>: not judged (<listing>)" — the rule judged only what the
  // listing returned (the findings it opened stand; others may be missing) — or, when whole
  // subjects were skipped, "rule <id>: not judged (<listing>) for N subjects" (orphaned_grant:
  // "for N grants"). Empty when every listing was complete. The caller appends these to
  // SweepInfo::incomplete.
  std::vector<std::string> not_judged;
};

// Runs the rules of docs/rules.md over `snapshot` and applies `policy.exceptions` as of
// `now`. `tenants` must have been built from the same snapshot's divisions (a listed division
// the map does not know is treated as unmapped). Only `policy.exceptions` and
// `policy.org_wide_permissions` are read from `policy` (the tenant and shared parts live in
// `tenants`). `org` names the org (subject of grant_guardrail_off).
//
// Rules (see audit/README.md for every decision):
//  - all_divisions (critical): every effective grant on "*", one per (subject, role, via);
//    subjects of every type, users directly and via groups.
//  - orphaned_grant (low): a subject's own grant on a division id the listing lacks, one per
//    (subject, role, division), via direct; group members do not repeat it.
//  - cross_tenant (high): a user with a home tenant, an effective grant on a division mapped to
//    another tenant; one per (user, role, division, via).
//  - multi_tenant_subject (high): a group, OAuth client, trustee or unknown-type subject, or a
//    user without a home tenant, whose effective grants reach mapped divisions of >= 2 tenants.
//  - unmapped_division (medium): with tenants configured, a listed division neither mapped nor
//    shared that is the home of an audited user or the target of an audited grant.
//  - grant_guardrail_off (critical, v2): snapshot.role_settings read and
//    authorization_grant_division_aware false; one finding, subject type org, id org.id.
//  - org_wide_permission (high, v2): a subject holds, through one path (direct or a group), a
//    role whose policies expanded against the catalog include org-wide permissions selected by
//    policy.org_wide_permissions (audit/permissions.h), on listed divisions and not on "*";
//    one per (subject, role, via), `divisions` the sorted listed division ids of the path,
//    `permissions` the sorted selected permissions, top-level division null. With or without a
//    tenant map.
// Grants on "*" or unknown divisions never yield anything else; grants on shared or unmapped
// divisions never yield cross_tenant or multi_tenant_subject. Deleted users are not audited.
//
// Partial sweeps (`completeness` not all()): a rule judges a subject only from complete inputs
// for that subject (audit/README.md, "Partial sweeps"). A finding that rests only on what was
// read (a listed grant on "*", a listed user's grant on another tenant, a group reaching two
// tenants) is still opened; a verdict that rests on something being ABSENT from a listing is
// given only when that listing was complete:
//  - orphaned_grant needs a complete divisions listing (an id absent from an incomplete listing
//    is unknown, not deleted);
//  - cross_tenant and multi_tenant_subject for a user need the user's home: a user missing from
//    an incomplete users listing, or homed in a division missing from an incomplete divisions
//    listing, is not judged by either rule (never "a user without a home tenant").
//  - org_wide_permission needs the catalog (completeness.permissions) and the role settings;
//    grant_guardrail_off the role settings: otherwise neither is judged at all.
// What was not judged is listed in AuditResult::not_judged.
//
// Every finding is open or (when an active exception matches) suppressed, has its names filled
// from the snapshot (empty when the listing lacks the object) and its fingerprint set.
// first_seen is left empty (storage owns it). Pure; thread-safe for distinct inputs.
AuditResult RunAudit(const OrgSnapshot& snapshot, const TenantMap& tenants, const Policy& policy,
                     SystemTime now, const ListingCompleteness& completeness,
                     const OrgRef& org = {});
// The same for a snapshot whose every listing is complete (a fixture, a stored complete sweep).
// A sweep's snapshot goes through the overload above with the sweep's completeness.
AuditResult RunAudit(const OrgSnapshot& snapshot, const TenantMap& tenants, const Policy& policy,
                     SystemTime now);

// RunAudit(...).findings.
std::vector<Finding> Audit(const OrgSnapshot& snapshot, const TenantMap& tenants,
                           const Policy& policy, SystemTime now,
                           const ListingCompleteness& completeness = {});

// Applies exceptions to findings in place and returns their statuses (same order as `specs`).
// An exception matches a finding when the rule is equal, subject_id equals the finding's subject
// id (for unmapped_division, which has no subject: the division id), and role_id / division_id,
// when given, equal the finding's. An exception is active while now <= expires_at. A finding
// matched by an active exception becomes suppressed with `exception` from the first active
// match (configuration order); otherwise it becomes open with no exception. Resolved findings
// are left alone.
std::vector<ExceptionStatus> ApplyExceptions(std::vector<Finding>& findings,
                                             const std::vector<ExceptionSpec>& specs,
                                             SystemTime now);

// Sorts by FindingLess (without FindingLess's per-comparison string copies).
void SortFindings(std::vector<Finding>& findings);

}  // namespace divaudit::audit
