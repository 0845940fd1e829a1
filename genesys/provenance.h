#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/finding.h"
#include "audit/org_snapshot.h"
#include "common/clock.h"
#include "genesys/api_client.h"
#include "genesys/audit_trail.h"

namespace divaudit::genesys {

// "Who changed it": the audit-trail event that opened a finding (docs/rules.md, "Who changed
// it"). Pure functions plus one orchestrating call (LookUpChangedBy) on an ApiClient.

// The lookup window (from, to]: the previous sweep's start − 10 min up to `now`, never older
// than 14 days before `now`. nullopt when there is no previous sweep (a database's first sweep
// looks nothing up).
struct LookupWindow {
  SystemTime from;
  SystemTime to;
};
std::optional<LookupWindow> ChangedByWindow(std::optional<int64_t> previous_sweep_start_unix,
                                            SystemTime now);

// The ids an event must carry to match `f`: its subject id, its via group id, its queue id, the
// role id (org_wide_permission) and the division id (unmapped_division). Empty for
// grant_guardrail_off (matched by entity type RoleSettings instead). Sorted, unique.
std::vector<std::string> MatchIds(const audit::Finding& f);

// Whether `event` carries `id` in its entity id or name, an entityChanges id, name or value,
// or a propertyChanges property name or value — as the whole string or inside it (a name such
// as "userId--roleId--orgId" carries all three). Actor fields (user, client, userHomeOrgId)
// are never read. An empty id matches nothing.
bool EventCarries(const AuditEvent& event, std::string_view id);

// Whether `event` matches `f` (MatchIds, or for grant_guardrail_off an event whose entity type
// is RoleSettings).
bool EventMatches(const AuditEvent& event, const audit::Finding& f);

// The ChangedBy of one event: actor_type trustee when userHomeOrgId is set and differs from
// `org_id`, else user when the event names a user, else client when it names a client, else
// system; actor_name from the event, else from `snapshot`'s users (user) or OAuth clients
// (client). `at` is the event date normalised to "YYYY-MM-DDTHH:MM:SSZ" (as sent when it does
// not parse).
audit::ChangedBy ChangedByOf(const AuditEvent& event, std::string_view org_id,
                             const audit::OrgSnapshot& snapshot);

// The latest event (by event date; later in `events` wins a tie) matching `f`, or nullptr.
const AuditEvent* LatestMatch(const std::vector<AuditEvent>& events, const audit::Finding& f);

// What one lookup did (for the log line and the metric).
struct ChangedByLookup {
  enum class Outcome {
    kNotNeeded,   // the sweep opens nothing: no query
    kFirstSweep,  // no previous sweep in the database: no query
    kLookedUp,    // every service was read
    kForbidden,   // HTTP 403: the client lacks audits:audit:view; nothing attributed
    kFailed,      // another error (after the client's retries); nothing attributed
  };
  Outcome outcome = Outcome::kNotNeeded;
  int64_t queries = 0;  // HTTP requests sent (pages included)
  int64_t events = 0;   // events read
  int64_t attributed = 0;
  int64_t unattributed = 0;  // findings opened with changed_by null
  std::string error;         // kForbidden / kFailed: the first error's message
};
// "not_needed", "first_sweep", "looked_up", "forbidden", "failed".
std::string_view ChangedByOutcomeName(ChangedByLookup::Outcome o);

// Looks up and sets changed_by on every finding of `opening` (the findings the commit will open:
// new or reopened; pointers into the caller's findings). Queries each of kAuditServices once
// over `window` (all pages) through `client`, then attaches LatestMatch of all events; findings
// without a match keep changed_by null. Any query error leaves every changed_by null (a partial
// trail could name the wrong, older event) and is reported in the result, never returned: the
// sweep goes on. `window` nullopt: kFirstSweep, no query. Empty `opening`: kNotNeeded.
ChangedByLookup LookUpChangedBy(ApiClient& client, const std::vector<audit::Finding*>& opening,
                                const std::optional<LookupWindow>& window, std::string_view org_id,
                                const audit::OrgSnapshot& snapshot);

}  // namespace divaudit::genesys
