#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "audit/evidence.h"
#include "audit/finding.h"
#include "audit/org_snapshot.h"

namespace divaudit::report {

// Everything one compliance report shows, already computed, filtered and sorted: the renderers
// (report/render.h) only format it. Plain value type; thread-compatible. Times are Unix seconds
// (UTC). See report/README.md for the meaning of every field.

// A finding of the report with its lifecycle as of the report's as-of sweep.
struct FindingRow {
  audit::Finding finding;       // state as of the as-of sweep; first_seen as stored (ISO 8601)
  int64_t first_seen_unix = 0;  // parsed first_seen
  int64_t age_days = 0;         // whole days from first_seen to the period end (>= 0)
  std::optional<int64_t> resolved_at_unix;  // resolved findings only
  int64_t remediation_seconds = 0;          // resolved_at - first_seen (resolved only)
};

// Open / suppressed / resolved-in-period counts for one rule (severity follows the rule).
struct RuleCount {
  audit::Rule rule = audit::Rule::kAllDivisions;
  audit::Severity severity = audit::Severity::kCritical;
  int64_t open = 0;
  int64_t suppressed = 0;
  int64_t resolved_in_period = 0;
};

// One configured exception (or one seen only on stored findings) relevant to the tenant.
struct ExceptionRow {
  bool configured = true;  // false: not in the current policy, seen on a suppressed finding
  std::string rule;        // empty when not configured (the store keeps no rule)
  std::string subject_id;
  std::string role_id;      // empty: any
  std::string division_id;  // empty: any
  std::string owner;
  std::string reason;
  std::string expires;     // YYYY-MM-DD as configured
  bool active = false;     // in force at the period end
  int64_t matched = 0;     // open/suppressed findings of the tenant it matches (as-of sweep)
  int64_t suppressed = 0;  // of those, stored as suppressed by this exception
};

// One UTC day of the period.
struct DayRow {
  std::string date;             // YYYY-MM-DD
  int64_t open = 0;             // open findings after the day's last complete sweep
  int64_t suppressed = 0;       // (carried over from earlier days when none ran)
  int64_t opened = 0;           // opened + reopened events of the tenant's findings
  int64_t resolved = 0;         // resolved events
  int64_t complete_sweeps = 0;  // complete sweeps started that day
  bool has_data = false;        // a complete sweep ran on or before this day
};

struct SweepCounts {
  int64_t run = 0;
  int64_t complete = 0;
  int64_t partial = 0;
  int64_t failed = 0;
};

// v2 (issue 15): where the tenant's conversation evidence stands (docs/evidence.md).
using EvidenceStatus = audit::EvidenceStatus;

// Conversations that touched the tenant and another one, started within the period and
// recorded by a sweep up to the as-of sweep.
struct EvidenceSection {
  EvidenceStatus status = EvidenceStatus::kDisabled;
  int64_t total = 0;                     // such conversations in all
  int64_t limit = 0;                     // at most this many are listed
  std::optional<int64_t> read_until_ms;  // end of the last window read (Unix ms), if any
  std::vector<audit::ConversationEvidence> conversations;  // the newest `limit`, newest first
};

struct ReportData {
  // Header.
  std::string org_name;
  std::string tenant;
  std::vector<audit::Division> divisions;  // the tenant's divisions at the as-of sweep, by name
  int64_t period_from = 0;
  int64_t period_to = 0;
  int64_t generated_at = 0;
  int rule_set_version = 0;  // of the as-of sweep
  int64_t as_of_sweep_id = 0;
  int64_t as_of_sweep_started = 0;
  std::string as_of_sweep_hash;
  SweepCounts sweeps;               // sweeps started in the period
  int64_t longest_gap_seconds = 0;  // longest stretch of the period with no complete sweep
  int64_t longest_gap_from = 0;
  int64_t longest_gap_to = 0;
  int64_t days_in_period = 0;
  int64_t days_with_complete_sweep = 0;
  int64_t new_window_seconds = 0;  // "new" = first seen in (period_to - window, period_to]

  // Summary: one row per rule (every rule of audit::kAllRules, in rule order).
  std::vector<RuleCount> by_rule;
  // Subjects that reach the tenant's divisions (open or suppressed): all_divisions,
  // cross_tenant with tenant == this tenant, multi_tenant_subject listing this tenant.
  std::vector<FindingRow> reach;

  // Evidence.
  std::vector<FindingRow> open_findings;      // open + suppressed findings touching the tenant
  std::vector<FindingRow> resolved_findings;  // resolved within the period
  std::vector<ExceptionRow> exceptions;
  std::vector<FindingRow> new_findings;       // first seen within the new window
  std::vector<FindingRow> org_wide_findings;  // open/suppressed findings of no tenant
  std::vector<DayRow> daily;
  // v2: open/suppressed org_wide_permission and grant_guardrail_off findings. Org-wide
  // permissions act on every tenant, so each of them reaches this one (listed once, here).
  std::vector<FindingRow> org_wide_permissions = {};
  // v2 (issue 15): conversations that touched this tenant and another (opt-in evidence).
  EvidenceSection evidence = {};
};

}  // namespace divaudit::report
