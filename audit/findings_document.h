#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "audit/engine.h"
#include "audit/evidence.h"
#include "audit/finding.h"
#include "audit/org_snapshot.h"

namespace divaudit {
class JsonWriter;
}  // namespace divaudit

namespace divaudit::audit {

// The counts of `snapshot` (SnapshotCounts: audit/org_snapshot.h).
SnapshotCounts CountsOf(const OrgSnapshot& snapshot);

struct DocumentOptions {
  bool pretty = true;  // 2-space indentation; false: compact, one line
  // Additive sweep fields (docs/findings.md, "sweep"): "rule_set_version", "coverage_ratio",
  // "retries", "throttled", "incomplete" (array), "unknown_subject_types" (object).
  bool sweep_extras = true;
  // When set, an additive top-level "exceptions" array (after "findings") lists each configured
  // exception: rule, subject_id, role_id, division_id (null when not given), reason, owner,
  // expires, state ("active"/"expired"), matched, suppressed. Not owned; may be null.
  const std::vector<ExceptionStatus>* exceptions = nullptr;
  // v2 (docs/evidence.md): when set, an additive top-level "evidence" array (after "exceptions")
  // of the conversations first recorded in this sweep: {conversation_id, start, end, tenants,
  // division_ids, queue_ids, user_ids}. Not owned; may be null.
  const std::vector<ConversationEvidence>* evidence = nullptr;
};

// The findings document of docs/findings.md:
//   {"sweep": {id, started_at, finished_at, status, api_requests, counts{...}, [extras]},
//    "findings": [ ... ]}
// Every finding has the keys fingerprint, rule, severity, state, subject, home_division,
// home_tenant, role, division, tenant, via, first_seen, exception, then the v2 keys
// permissions, divisions, queue, changed_by — in that order, `null` where they do not apply —
// plus `tenants` (after `tenant`) on multi_tenant_subject findings only (an array, sorted).
// permissions / divisions are arrays on org_wide_permission findings; queue is {id, name,
// division{id,name}, tenant, member_groups[{id,name,type}]} on cross_tenant_queue findings;
// changed_by {actor_type, actor_id, actor_name, at, service, action, entity_type, entity_id}
// when set. The sweep's counts add queues, queue_members, permissions, narrowed_policies, and
// the sweep object adds settings {authorization_grant_division_aware, backfill_enabled} (null
// when the sweep did not read them). via is {"type": "direct", "id": null, "name": null} or
// {"type": "group", id, name}. first_seen is Finding.first_seen, or the sweep's started_at when
// empty. Findings are written in the given order (callers pass them sorted by FindingLess). Times
// are ISO 8601 UTC
// ("2026-11-23T08:00:00Z"). Pure; thread-safe.
// Writes the keys of one finding of the document (fingerprint … exception, as above) into the
// object `w` has open, so other outputs (stored findings, reports) can add keys after them.
// `default_first_seen` is used when Finding.first_seen is empty.
void WriteFindingFields(JsonWriter& w, const Finding& f, std::string_view default_first_seen);

// Writes the "evidence" key and its array (DocumentOptions::evidence) into the open object.
void WriteEvidence(JsonWriter& w, const std::vector<ConversationEvidence>& evidence);

std::string RenderFindingsDocument(const SweepInfo& sweep, const SnapshotCounts& counts,
                                   const std::vector<Finding>& findings,
                                   const DocumentOptions& options = {});

}  // namespace divaudit::audit
