#pragma once

#include <cstdint>
#include <vector>

#include "audit/finding.h"
#include "audit/org_snapshot.h"
#include "common/status.h"
#include "storage/snapshot_store.h"
#include "storage/sqlite_db.h"

namespace divaudit::storage {

// The `findings` table (one row per fingerprint: identity, display columns, lifecycle) and
// `findings_events` (the lifecycle's event log). The lifecycle itself is audit/lifecycle.h:
// this unit only executes its plan. Stored rule, severity, state, subject type and event names
// that do not parse are kDataLoss naming the table and row, never a default.

// Executes audit::PlanLifecycle for sweep `sweep` (status and start time from `info`) inside
// the caller's transaction: inserts new findings, reopens, changes states, resolves (complete
// sweeps only), records the events, refreshes display columns and last_seen, and fills the
// findings lists and by-rule counts of `result`.
Status CommitFindings(Db& db, const audit::SweepInfo& info, int64_t sweep,
                      const std::vector<audit::Finding>& findings, CommitResult& result);

// Findings matching `filter`, sorted by audit::FindingLess.
Result<std::vector<FindingRecord>> QueryFindings(Db& db, const FindingFilter& filter);

// Events of sweeps started in [from_unix, to_unix], in the order they were recorded.
Result<std::vector<FindingEvent>> FindingEvents(Db& db, int64_t from_unix, int64_t to_unix);

// Exceptions recorded on findings, with the findings they suppress.
Result<std::vector<ExceptionSeen>> ExceptionsSeen(Db& db);

// Verify's check: every finding's stored state is the one its last event leads to (a name
// that does not parse is a problem too). Problems go to `v`.
Status VerifyFindingStates(Db& db, VerifyResult& v);

}  // namespace divaudit::storage
