#include "audit/finding.h"

#include <tuple>

#include "common/sha256.h"

namespace divaudit::audit {

std::string_view RuleName(Rule r) {
  switch (r) {
    case Rule::kAllDivisions:
      return "all_divisions";
    case Rule::kCrossTenant:
      return "cross_tenant";
    case Rule::kMultiTenantSubject:
      return "multi_tenant_subject";
    case Rule::kUnmappedDivision:
      return "unmapped_division";
    case Rule::kOrphanedGrant:
      return "orphaned_grant";
    case Rule::kGrantGuardrailOff:
      return "grant_guardrail_off";
    case Rule::kOrgWidePermission:
      return "org_wide_permission";
    case Rule::kCrossTenantQueue:
      return "cross_tenant_queue";
  }
  return "unknown";
}

std::optional<Rule> RuleFromName(std::string_view name) {
  for (Rule r : {Rule::kAllDivisions, Rule::kCrossTenant, Rule::kMultiTenantSubject,
                 Rule::kUnmappedDivision, Rule::kOrphanedGrant, Rule::kGrantGuardrailOff,
                 Rule::kOrgWidePermission, Rule::kCrossTenantQueue}) {
    if (RuleName(r) == name) return r;
  }
  return std::nullopt;
}

Severity RuleSeverity(Rule r) {
  switch (r) {
    case Rule::kAllDivisions:
    case Rule::kGrantGuardrailOff:
      return Severity::kCritical;
    case Rule::kCrossTenant:
    case Rule::kMultiTenantSubject:
    case Rule::kOrgWidePermission:
    case Rule::kCrossTenantQueue:
      return Severity::kHigh;
    case Rule::kUnmappedDivision:
      return Severity::kMedium;
    case Rule::kOrphanedGrant:
      return Severity::kLow;
  }
  return Severity::kLow;
}

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kCritical:
      return "critical";
    case Severity::kHigh:
      return "high";
    case Severity::kMedium:
      return "medium";
    case Severity::kLow:
      return "low";
  }
  return "low";
}

std::string_view FindingStateName(FindingState s) {
  switch (s) {
    case FindingState::kOpen:
      return "open";
    case FindingState::kSuppressed:
      return "suppressed";
    case FindingState::kResolved:
      return "resolved";
  }
  return "open";
}

std::optional<FindingState> FindingStateFromName(std::string_view name) {
  if (name == "open") return FindingState::kOpen;
  if (name == "suppressed") return FindingState::kSuppressed;
  if (name == "resolved") return FindingState::kResolved;
  return std::nullopt;
}

std::string Fingerprint(Rule rule, std::string_view subject_type, std::string_view subject_id,
                        std::string_view role_id, std::string_view division_id,
                        std::string_view via, std::string_view extra) {
  Sha256 h;
  h.UpdateField(RuleName(rule));
  h.UpdateField(subject_type);
  h.UpdateField(subject_id);
  h.UpdateField(role_id);
  h.UpdateField(division_id);
  h.UpdateField(via);
  if (!extra.empty()) h.UpdateField(extra);
  return h.FinishHex();
}

std::string FingerprintOf(const Finding& f) {
  const std::string_view subject_type = f.subject ? SubjectTypeName(f.subject->type) : "";
  const std::string_view subject_id = f.subject ? std::string_view(f.subject->id) : "";
  const std::string_view role_id = f.role ? std::string_view(f.role->id) : "";
  const std::string_view division_id = f.division ? std::string_view(f.division->id) : "";
  std::string_view via;
  if (f.via) via = f.via->direct ? std::string_view("direct") : std::string_view(f.via->group_id);
  // cross_tenant_queue: via is the listing's memberBy, "direct" or "group" (no group id).
  if (f.rule == Rule::kCrossTenantQueue && f.via && !f.via->direct) via = "group";
  const std::string_view queue_id = f.queue ? std::string_view(f.queue->id) : "";
  return Fingerprint(f.rule, subject_type, subject_id, role_id, division_id, via, queue_id);
}

namespace {
auto SortKey(const Finding& f) {
  return std::make_tuple(RuleName(f.rule), f.subject ? f.subject->id : std::string(),
                         f.role ? f.role->id : std::string(),
                         f.division ? f.division->id : std::string(),
                         f.via ? (f.via->direct ? std::string() : f.via->group_id) : std::string(),
                         f.queue ? f.queue->id : std::string(), f.fingerprint);
}
}  // namespace

bool FindingLess(const Finding& a, const Finding& b) { return SortKey(a) < SortKey(b); }

}  // namespace divaudit::audit
