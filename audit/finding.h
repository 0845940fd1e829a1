#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/org_snapshot.h"

namespace divaudit::audit {

// Rule ids are fixed (docs/rules.md).
enum class Rule {
  kAllDivisions,
  kCrossTenant,
  kMultiTenantSubject,
  kUnmappedDivision,
  kOrphanedGrant,
  kGrantGuardrailOff,  // v2
  kOrgWidePermission,  // v2
  kCrossTenantQueue    // v2
};
// Every rule, in id order (v1 rules first). Use this list wherever all rules are enumerated.
inline constexpr Rule kAllRules[] = {Rule::kAllDivisions,       Rule::kCrossTenant,
                                     Rule::kMultiTenantSubject, Rule::kUnmappedDivision,
                                     Rule::kOrphanedGrant,      Rule::kGrantGuardrailOff,
                                     Rule::kOrgWidePermission,  Rule::kCrossTenantQueue};
enum class Severity { kCritical, kHigh, kMedium, kLow };
enum class FindingState { kOpen, kSuppressed, kResolved };

std::string_view RuleName(Rule r);  // "all_divisions", "cross_tenant", ...
std::optional<Rule> RuleFromName(std::string_view name);
Severity RuleSeverity(Rule r);
std::string_view SeverityName(Severity s);          // "critical", "high", "medium", "low"
std::string_view FindingStateName(FindingState s);  // "open", "suppressed", "resolved"
std::optional<FindingState> FindingStateFromName(std::string_view name);

// Version of the rule set; stored with every sweep and printed in reports. Bump when rule
// semantics change.
inline constexpr int kRuleSetVersion = 2;

struct NamedRef {
  std::string id;
  std::string name;
  friend bool operator==(const NamedRef&, const NamedRef&) = default;
};

struct SubjectRef {
  SubjectType type = SubjectType::kUnknown;
  std::string id;
  std::string name;
  friend bool operator==(const SubjectRef&, const SubjectRef&) = default;
};

// via: direct (id empty) or a group (id = group id).
struct Via {
  bool direct = true;
  std::string group_id;
  std::string group_name;
  friend bool operator==(const Via&, const Via&) = default;
};

// The queue of a cross_tenant_queue finding: its division and tenant, and (on `group` findings)
// the groups it pulls members from.
struct QueueRef {
  std::string id;
  std::string name;
  NamedRef division;
  std::optional<std::string> tenant;
  std::vector<QueueMemberGroup> member_groups = {};  // [] on direct findings
  friend bool operator==(const QueueRef&, const QueueRef&) = default;
};

// Who made the change that opened a finding (from the audit trail; docs/findings.md).
struct ChangedBy {
  std::string actor_type;  // "user", "client", "trustee", "system"
  std::string actor_id;
  std::string actor_name;
  std::string at;  // ISO 8601 event time
  std::string service;
  std::string action;
  std::string entity_type;
  std::string entity_id;
  friend bool operator==(const ChangedBy&, const ChangedBy&) = default;
};

struct ExceptionRef {
  std::string reason;
  std::string owner;
  std::string expires;  // "YYYY-MM-DD" as configured
  friend bool operator==(const ExceptionRef&, const ExceptionRef&) = default;
};

// One finding (docs/findings.md). Fields that do not apply to a rule are nullopt / empty.
struct Finding {
  std::string fingerprint;  // SHA-256 hex over identity only (see Fingerprint())
  Rule rule = Rule::kOrphanedGrant;
  Severity severity = Severity::kLow;
  FindingState state = FindingState::kOpen;
  std::optional<SubjectRef> subject;
  std::optional<NamedRef> home_division;
  std::optional<std::string> home_tenant;
  std::optional<NamedRef> role;
  std::optional<NamedRef> division;  // id "*" for All Divisions (name empty)
  std::optional<std::string> tenant;
  std::vector<std::string> tenants;  // multi_tenant_subject: tenants reached, sorted
  std::optional<Via> via;
  std::optional<ExceptionRef> exception;  // set when suppressed
  // v2 (empty / nullopt where they do not apply):
  std::vector<std::string> permissions = {};  // org_wide_permission: sorted "domain:entity:action"
  std::vector<std::string> divisions = {};   // org_wide_permission: sorted division ids of the path
  std::optional<QueueRef> queue = {};        // cross_tenant_queue
  std::optional<ChangedBy> changed_by = {};  // set when the audit trail names who opened it
  // storage-owned: filled when read back from the database
  std::string first_seen;  // ISO 8601, empty until stored
  friend bool operator==(const Finding&, const Finding&) = default;
};

// SHA-256 over (rule, subject type, subject id, role id, division id, via) — names never enter
// it; absent parts are empty; via is "direct" or the group id. Length-prefixed fields.
// `extra` is a v2 rule's extra identity part (cross_tenant_queue: the queue id), appended only
// when non-empty so every v1 fingerprint stays as it was.
std::string Fingerprint(Rule rule, std::string_view subject_type, std::string_view subject_id,
                        std::string_view role_id, std::string_view division_id,
                        std::string_view via, std::string_view extra = {});
// Fingerprint of a filled Finding (from its identity fields).
std::string FingerprintOf(const Finding& f);

// The sort order of docs/findings.md: rule, subject id, role id, division id, via id, queue id
// (then fingerprint, for a total order).
bool FindingLess(const Finding& a, const Finding& b);

}  // namespace divaudit::audit
