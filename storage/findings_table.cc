#include "storage/findings_table.h"

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <unordered_map>

#include "audit/lifecycle.h"
#include "common/time_util.h"
#include "storage/hash_chain.h"
#include "storage/json_columns.h"

namespace divaudit::storage {
namespace {

using audit::Finding;
using audit::FindingState;
using audit::LifecycleChange;
using audit::LifecycleEvent;

constexpr const char* kFindingCols =
    "fingerprint, rule, severity, subject_type, subject_id, subject_name, role_id, role_name, "
    "division_id, division_name, via_type, via_group_id, via_group_name, tenant, tenants, "
    "home_division_id, home_division_name, home_tenant, first_seen_sweep, first_seen_at, "
    "last_seen_sweep, last_seen_at, resolved_by_sweep, resolved_at, reopened_count, state, "
    "exception_reason, exception_owner, exception_expires, permissions, divisions, queue_id, "
    "queue, "
    "changed_by";

std::string Iso(int64_t unix_seconds) { return FormatIso8601(FromUnixSeconds(unix_seconds)); }

Status BadName(const std::string& path, const std::string& table, const std::string& row,
               const std::string& column, const std::string& value) {
  return DataLossError(path + ": table " + table + ", " + row + ": unknown " + column + " '" +
                       value + "'");
}

std::optional<audit::Severity> SeverityFromName(std::string_view s) {
  for (auto v : {audit::Severity::kCritical, audit::Severity::kHigh, audit::Severity::kMedium,
                 audit::Severity::kLow}) {
    if (audit::SeverityName(v) == s) return v;
  }
  return std::nullopt;
}

std::optional<audit::SubjectType> SubjectTypeFromStored(const std::string& s) {
  const audit::SubjectType t = audit::SubjectTypeFromName(s);
  if (t == audit::SubjectType::kUnknown && s != audit::SubjectTypeName(t)) return std::nullopt;
  return t;
}

// The enum columns of a findings row (rule, severity, subject type, state), parsed strictly.
Status ReadFindingNames(const Stmt& st, const std::string& path, Finding& f) {
  const std::string row = "fingerprint " + f.fingerprint;
  auto rule = audit::RuleFromName(st.Text(1));
  if (!rule) return BadName(path, "findings", row, "rule", st.Text(1));
  f.rule = *rule;
  auto severity = SeverityFromName(st.Text(2));
  if (!severity) return BadName(path, "findings", row, "severity", st.Text(2));
  f.severity = *severity;
  auto state = audit::FindingStateFromName(st.Text(25));
  if (!state) return BadName(path, "findings", row, "state", st.Text(25));
  f.state = *state;
  if (!st.IsNull(3)) {
    auto type = SubjectTypeFromStored(st.Text(3));
    if (!type) return BadName(path, "findings", row, "subject_type", st.Text(3));
    f.subject = audit::SubjectRef{*type, st.Text(4), st.Text(5)};
  }
  return Status::Ok();
}

// The v2 columns of a findings row (29..33 of kFindingCols). A queue or changed_by that does
// not parse is kDataLoss naming the row, never dropped.
Status ReadV2Fields(const Stmt& st, const std::string& path, Finding& f) {
  const std::string row = "fingerprint " + f.fingerprint;
  f.permissions = ParseStringArray(st.Text(29));
  f.divisions = ParseStringArray(st.Text(30));
  if (!st.IsNull(32)) {
    auto q = ParseQueue(st.Text(32));
    if (!q) return DataLossError(path + ": table findings, " + row + ": unreadable queue");
    if (!st.IsNull(31)) q->id = st.Text(31);
    f.queue = std::move(*q);
  }
  if (!st.IsNull(33)) {
    auto c = ParseChangedBy(st.Text(33));
    if (!c) return DataLossError(path + ": table findings, " + row + ": unreadable changed_by");
    f.changed_by = std::move(*c);
  }
  return Status::Ok();
}

std::optional<std::string> ChangedByText(const Finding& f) {
  if (!f.changed_by) return std::nullopt;
  return ChangedByJson(*f.changed_by);
}

// One row of SELECT kFindingCols.
Result<FindingRecord> ReadFindingRow(const Stmt& st, const std::string& path) {
  FindingRecord r;
  Finding& f = r.finding;
  f.fingerprint = st.Text(0);
  DIVAUDIT_RETURN_IF_ERROR(ReadFindingNames(st, path, f));
  if (!st.IsNull(6)) f.role = audit::NamedRef{st.Text(6), st.Text(7)};
  if (!st.IsNull(8)) f.division = audit::NamedRef{st.Text(8), st.Text(9)};
  if (!st.IsNull(10)) {
    audit::Via via;
    via.direct = st.Text(10) == "direct";
    via.group_id = st.Text(11);
    via.group_name = st.Text(12);
    f.via = via;
  }
  f.tenant = st.OptText(13);
  f.tenants = ParseStringArray(st.Text(14));
  if (!st.IsNull(15)) f.home_division = audit::NamedRef{st.Text(15), st.Text(16)};
  f.home_tenant = st.OptText(17);
  r.first_seen_sweep = st.OptInt(18);
  f.first_seen = Iso(st.Int(19));
  r.last_seen_sweep = st.OptInt(20);
  r.last_seen = Iso(st.Int(21));
  r.resolved_by_sweep = st.OptInt(22);
  if (!st.IsNull(23)) r.resolved_at = Iso(st.Int(23));
  r.reopened_count = st.Int(24);
  if (!st.IsNull(26)) f.exception = audit::ExceptionRef{st.Text(26), st.Text(27), st.Text(28)};
  DIVAUDIT_RETURN_IF_ERROR(ReadV2Fields(st, path, f));
  return r;
}

// The columns a later sweep may refresh (names, tenants, exception), in UPDATE order.
using Display = std::array<std::optional<std::string>, 16>;
constexpr const char* kDisplayCols =
    "severity, subject_name, role_name, division_name, via_group_name, tenant, tenants, "
    "home_division_id, home_division_name, home_tenant, exception_reason, exception_owner, "
    "exception_expires, permissions, divisions, queue";

Display DisplayOf(const Finding& f) {
  Display d;
  d[0] = std::string(audit::SeverityName(f.severity));
  if (f.subject) d[1] = f.subject->name;
  if (f.role) d[2] = f.role->name;
  if (f.division) d[3] = f.division->name;
  if (f.via) d[4] = f.via->group_name;
  d[5] = f.tenant;
  d[6] = StringArrayJson(f.tenants);
  if (f.home_division) {
    d[7] = f.home_division->id;
    d[8] = f.home_division->name;
  }
  d[9] = f.home_tenant;
  if (f.exception) {
    d[10] = f.exception->reason;
    d[11] = f.exception->owner;
    d[12] = f.exception->expires;
  }
  d[13] = StringArrayJson(f.permissions);
  d[14] = StringArrayJson(f.divisions);
  if (f.queue) d[15] = QueueJson(*f.queue);
  return d;
}

struct Stored {
  std::unordered_map<std::string, FindingState> states;
  std::unordered_map<std::string, Display> displays;
};

Result<Stored> LoadStored(Db& db) {
  Stored s;
  DIVAUDIT_ASSIGN_OR_RETURN(Stmt st, db.Prepare(std::string("SELECT fingerprint, state, ") +
                                                kDisplayCols + " FROM findings"));
  while (true) {
    DIVAUDIT_ASSIGN_OR_RETURN(bool has, st.Step());
    if (!has) break;
    std::string fp = st.Text(0);
    auto state = audit::FindingStateFromName(st.Text(1));
    if (!state) return BadName(db.path(), "findings", "fingerprint " + fp, "state", st.Text(1));
    Display d;
    for (size_t i = 0; i < d.size(); ++i) d[i] = st.OptText(static_cast<int>(i + 2));
    s.states.emplace(fp, *state);
    s.displays.emplace(std::move(fp), std::move(d));
  }
  return s;
}

// `changed_by` (JSON) goes with the opened/reopened event: the event log is chained, so who
// opened a finding is too.
Status AddEvent(Db& db, int64_t sweep, const std::string& fp, LifecycleEvent event,
                const std::optional<std::string>& changed_by = std::nullopt) {
  DIVAUDIT_ASSIGN_OR_RETURN(
      Stmt st, db.Prepare("INSERT INTO findings_events(sweep_id, fingerprint, event, changed_by) "
                          "VALUES(?1, ?2, ?3, ?4)"));
  return st.Bind(1, sweep)
      .Bind(2, fp)
      .Bind(3, audit::LifecycleEventName(event))
      .Bind(4, changed_by)
      .Run();
}

// Binds ?4..?13 of the INSERT: subject, role, division, via (NULL when absent).
void BindIdentity(Stmt& st, const Finding& f) {
  if (f.subject) {
    st.Bind(4, audit::SubjectTypeName(f.subject->type))
        .Bind(5, f.subject->id)
        .Bind(6, f.subject->name);
  } else {
    st.BindNull(4).BindNull(5).BindNull(6);
  }
  if (f.role) {
    st.Bind(7, f.role->id).Bind(8, f.role->name);
  } else {
    st.BindNull(7).BindNull(8);
  }
  if (f.division) {
    st.Bind(9, f.division->id).Bind(10, f.division->name);
  } else {
    st.BindNull(9).BindNull(10);
  }
  if (f.via) {
    st.Bind(11, f.via->direct ? "direct" : "group")
        .Bind(12, f.via->group_id)
        .Bind(13, f.via->group_name);
  } else {
    st.BindNull(11).BindNull(12).BindNull(13);
  }
}

Status InsertFinding(Db& db, const Finding& f, int64_t sweep, int64_t at) {
  DIVAUDIT_ASSIGN_OR_RETURN(
      Stmt st, db.Prepare("INSERT INTO findings(fingerprint, rule, severity, subject_type, "
                          "subject_id, subject_name, role_id, role_name, division_id, "
                          "division_name, via_type, via_group_id, via_group_name, tenant, tenants, "
                          "home_division_id, home_division_name, home_tenant, first_seen_sweep, "
                          "first_seen_at, last_seen_sweep, last_seen_at, reopened_count, state, "
                          "exception_reason, exception_owner, exception_expires, permissions, "
                          "divisions, queue_id, queue, changed_by) VALUES(?1, ?2, "
                          "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
                          "?18, ?19, ?20, ?19, ?20, 0, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, "
                          "?29)"));
  const Display display = DisplayOf(f);
  st.Bind(1, f.fingerprint).Bind(2, audit::RuleName(f.rule)).Bind(3, display[0]);
  BindIdentity(st, f);
  st.Bind(14, display[5]).Bind(15, display[6]).Bind(16, display[7]).Bind(17, display[8]);
  st.Bind(18, display[9]).Bind(19, sweep).Bind(20, at);
  st.Bind(21, audit::FindingStateName(f.state));
  st.Bind(22, display[10]).Bind(23, display[11]).Bind(24, display[12]);
  st.Bind(25, display[13]).Bind(26, display[14]);
  if (f.queue) {
    st.Bind(27, f.queue->id);
  } else {
    st.BindNull(27);
  }
  st.Bind(28, display[15]).Bind(29, ChangedByText(f));
  return st.Run();
}

// A reopened finding takes the changed_by of this opening (null when none was found).
Status WriteState(Db& db, const LifecycleChange& c) {
  const bool reopened = c.kind == LifecycleChange::Kind::kReopened;
  const char* sql = reopened ? "UPDATE findings SET state = ?2, resolved_by_sweep = NULL, "
                               "resolved_at = NULL, reopened_count = reopened_count + 1, "
                               "changed_by = ?3 WHERE fingerprint = ?1"
                             : "UPDATE findings SET state = ?2 WHERE fingerprint = ?1";
  DIVAUDIT_ASSIGN_OR_RETURN(Stmt st, db.Prepare(sql));
  st.Bind(1, c.fingerprint).Bind(2, audit::FindingStateName(c.after));
  if (reopened) st.Bind(3, ChangedByText(*c.seen));
  return st.Run();
}

Status WriteDisplay(Db& db, const std::string& fp, const Display& display) {
  DIVAUDIT_ASSIGN_OR_RETURN(
      Stmt st,
      db.Prepare("UPDATE findings SET severity = ?2, subject_name = ?3, role_name = ?4, "
                 "division_name = ?5, via_group_name = ?6, tenant = ?7, tenants = ?8, "
                 "home_division_id = ?9, home_division_name = ?10, home_tenant = ?11, "
                 "exception_reason = ?12, exception_owner = ?13, exception_expires = ?14, "
                 "permissions = ?15, divisions = ?16, queue = ?17 WHERE fingerprint = ?1"));
  st.Bind(1, fp);
  for (size_t i = 0; i < display.size(); ++i) st.Bind(static_cast<int>(i + 2), display[i]);
  return st.Run();
}

Status WriteLastSeen(Db& db, const std::string& fp, int64_t sweep, int64_t at) {
  DIVAUDIT_ASSIGN_OR_RETURN(
      Stmt st, db.Prepare("UPDATE findings SET last_seen_sweep = ?2, last_seen_at = ?3 "
                          "WHERE fingerprint = ?1"));
  return st.Bind(1, fp).Bind(2, sweep).Bind(3, at).Run();
}

Status WriteResolved(Db& db, const std::string& fp, int64_t sweep, int64_t at) {
  DIVAUDIT_ASSIGN_OR_RETURN(
      Stmt st, db.Prepare("UPDATE findings SET state = 'resolved', resolved_by_sweep = ?2, "
                          "resolved_at = ?3 WHERE fingerprint = ?1"));
  return st.Bind(1, fp).Bind(2, sweep).Bind(3, at).Run();
}

struct CommitContext {
  Db& db;
  const Stored& stored;
  int64_t sweep;
  int64_t at;
  bool complete;
  CommitResult& result;
};

// One change of the plan for a finding the sweep saw.
Status ApplySeen(CommitContext& c, const LifecycleChange& change) {
  const Finding& f = *change.seen;
  if (change.kind == LifecycleChange::Kind::kNew) {
    DIVAUDIT_RETURN_IF_ERROR(InsertFinding(c.db, f, c.sweep, c.at));
  } else if (change.kind != LifecycleChange::Kind::kUnchanged) {
    DIVAUDIT_RETURN_IF_ERROR(WriteState(c.db, change));
  }
  for (LifecycleEvent e : change.events) {
    const bool opens = e == LifecycleEvent::kOpened || e == LifecycleEvent::kReopened;
    DIVAUDIT_RETURN_IF_ERROR(
        AddEvent(c.db, c.sweep, f.fingerprint, e, opens ? ChangedByText(f) : std::nullopt));
  }
  if (change.kind == LifecycleChange::Kind::kNew ||
      change.kind == LifecycleChange::Kind::kReopened) {
    c.result.new_by_rule[std::string(audit::RuleName(f.rule))]++;
  }
  if (change.kind == LifecycleChange::Kind::kNew) {
    Finding stored = f;
    stored.first_seen = Iso(c.at);
    c.result.new_findings.push_back(std::move(stored));
    return Status::Ok();
  }
  if (change.kind == LifecycleChange::Kind::kReopened) c.result.reopened_findings.push_back(f);
  const Display display = DisplayOf(f);
  if (c.stored.displays.at(f.fingerprint) != display) {
    DIVAUDIT_RETURN_IF_ERROR(WriteDisplay(c.db, f.fingerprint, display));
  }
  if (!c.complete) DIVAUDIT_RETURN_IF_ERROR(WriteLastSeen(c.db, f.fingerprint, c.sweep, c.at));
  return Status::Ok();
}

// After a complete sweep: every live finding was seen now; list what this sweep resolved.
Status FinishComplete(CommitContext& c) {
  DIVAUDIT_ASSIGN_OR_RETURN(Stmt st, c.db.Prepare("UPDATE findings SET last_seen_sweep = ?1, "
                                                  "last_seen_at = ?2 WHERE state != 'resolved'"));
  DIVAUDIT_RETURN_IF_ERROR(st.Bind(1, c.sweep).Bind(2, c.at).Run());
  DIVAUDIT_ASSIGN_OR_RETURN(Stmt rs, c.db.Prepare(std::string("SELECT ") + kFindingCols +
                                                  " FROM findings WHERE resolved_by_sweep = ?1"));
  rs.Bind(1, c.sweep);
  while (true) {
    DIVAUDIT_ASSIGN_OR_RETURN(bool has, rs.Step());
    if (!has) break;
    DIVAUDIT_ASSIGN_OR_RETURN(FindingRecord rec, ReadFindingRow(rs, c.db.path()));
    c.result.resolved_by_rule[std::string(audit::RuleName(rec.finding.rule))]++;
    c.result.resolved_findings.push_back(std::move(rec.finding));
  }
  std::sort(c.result.resolved_findings.begin(), c.result.resolved_findings.end(),
            audit::FindingLess);
  return Status::Ok();
}

bool TouchesTenant(const Finding& f, const std::string& t) {
  return (f.tenant && *f.tenant == t) || (f.home_tenant && *f.home_tenant == t) ||
         std::find(f.tenants.begin(), f.tenants.end(), t) != f.tenants.end();
}

}  // namespace

Status CommitFindings(Db& db, const audit::SweepInfo& info, int64_t sweep,
                      const std::vector<Finding>& findings, CommitResult& result) {
  std::vector<Finding> sorted = findings;
  std::sort(sorted.begin(), sorted.end(), audit::FindingLess);
  DIVAUDIT_ASSIGN_OR_RETURN(Stored stored, LoadStored(db));
  const audit::LifecyclePlan plan = audit::PlanLifecycle(stored.states, sorted, info.status);
  const bool complete = info.status == audit::SweepStatus::kComplete;
  CommitContext c{db, stored, sweep, info.started_at_unix, complete, result};
  for (const LifecycleChange& change : plan.changes) {
    if (change.kind != LifecycleChange::Kind::kResolved) {
      DIVAUDIT_RETURN_IF_ERROR(ApplySeen(c, change));
      continue;
    }
    DIVAUDIT_RETURN_IF_ERROR(WriteResolved(db, change.fingerprint, sweep, c.at));
    DIVAUDIT_RETURN_IF_ERROR(AddEvent(db, sweep, change.fingerprint, LifecycleEvent::kResolved));
  }
  if (complete) DIVAUDIT_RETURN_IF_ERROR(FinishComplete(c));
  return Status::Ok();
}

Result<std::vector<FindingRecord>> QueryFindings(Db& db, const FindingFilter& filter) {
  DIVAUDIT_ASSIGN_OR_RETURN(Stmt st, db.Prepare(std::string("SELECT ") + kFindingCols +
                                                " FROM findings WHERE (?1 IS NULL OR rule = ?1)"));
  if (filter.rule) {
    st.Bind(1, audit::RuleName(*filter.rule));
  } else {
    st.BindNull(1);
  }
  std::vector<FindingRecord> out;
  while (true) {
    DIVAUDIT_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    DIVAUDIT_ASSIGN_OR_RETURN(FindingRecord r, ReadFindingRow(st, db.path()));
    const Finding& f = r.finding;
    if (!filter.states.empty() &&
        std::find(filter.states.begin(), filter.states.end(), f.state) == filter.states.end()) {
      continue;
    }
    if (filter.tenant && !TouchesTenant(f, *filter.tenant)) continue;
    out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(), [](const FindingRecord& a, const FindingRecord& b) {
    return audit::FindingLess(a.finding, b.finding);
  });
  return out;
}

Result<std::vector<FindingEvent>> FindingEvents(Db& db, int64_t from_unix, int64_t to_unix) {
  DIVAUDIT_ASSIGN_OR_RETURN(
      Stmt st, db.Prepare("SELECT e.sweep_id, s.started_at, e.fingerprint, e.event, e.id FROM "
                          "findings_events e JOIN sweeps s ON s.id = e.sweep_id WHERE "
                          "s.started_at >= ?1 AND s.started_at <= ?2 ORDER BY e.id"));
  st.Bind(1, from_unix).Bind(2, to_unix);
  std::vector<FindingEvent> out;
  while (true) {
    DIVAUDIT_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    if (!audit::LifecycleEventFromName(st.Text(3))) {
      return BadName(db.path(), "findings_events", "id " + std::to_string(st.Int(4)), "event",
                     st.Text(3));
    }
    out.push_back({st.Int(0), st.Int(1), st.Text(2), st.Text(3)});
  }
  return out;
}

Result<std::vector<ExceptionSeen>> ExceptionsSeen(Db& db) {
  DIVAUDIT_ASSIGN_OR_RETURN(
      Stmt st, db.Prepare("SELECT exception_reason, exception_owner, exception_expires, "
                          "fingerprint FROM findings WHERE exception_reason IS NOT NULL ORDER BY "
                          "exception_owner, exception_reason, exception_expires, fingerprint"));
  std::vector<ExceptionSeen> out;
  while (true) {
    DIVAUDIT_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    audit::ExceptionRef e{st.Text(0), st.Text(1), st.Text(2)};
    if (out.empty() || !(out.back().exception == e)) out.push_back({e, {}});
    out.back().fingerprints.push_back(st.Text(3));
  }
  return out;
}

Status VerifyFindingStates(Db& db, VerifyResult& v) {
  DIVAUDIT_ASSIGN_OR_RETURN(
      Stmt st, db.Prepare("SELECT f.fingerprint, f.state, e.event, e.sweep_id FROM findings f "
                          "JOIN findings_events e ON e.id = (SELECT max(id) FROM "
                          "findings_events WHERE fingerprint = f.fingerprint)"));
  while (true) {
    DIVAUDIT_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    const std::string fp = st.Text(0), state = st.Text(1), event = st.Text(2);
    const auto e = audit::LifecycleEventFromName(event);
    const auto s = audit::FindingStateFromName(state);
    if (!e || !s) {
      AddProblem(v,
                 "finding " + fp + ": unknown " + (e ? "state '" + state : "event '" + event) +
                     "' (table " + (e ? "findings" : "findings_events") + ")",
                 std::nullopt);
    } else if (audit::FindingStateOf(audit::StateAfter(*e)) != *s) {
      AddProblem(
          v, "finding " + fp + ": state '" + state + "' contradicts its last event '" + event + "'",
          std::nullopt);
    }
  }
  // findings.changed_by is not chained itself: it must equal what the (chained) latest
  // opened/reopened event recorded, while that event is still stored.
  DIVAUDIT_ASSIGN_OR_RETURN(
      Stmt cb, db.Prepare("SELECT f.fingerprint, e.sweep_id FROM findings f JOIN findings_events e "
                          "ON e.id = (SELECT max(id) FROM findings_events WHERE fingerprint = "
                          "f.fingerprint AND event IN ('opened', 'reopened')) "
                          "WHERE f.changed_by IS NOT e.changed_by ORDER BY e.id"));
  while (true) {
    DIVAUDIT_ASSIGN_OR_RETURN(bool row, cb.Step());
    if (!row) break;
    AddProblem(v,
               "finding " + cb.Text(0) +
                   ": changed_by differs from the one recorded when it was opened (table "
                   "findings)",
               std::nullopt);
  }
  return Status::Ok();
}

}  // namespace divaudit::storage
