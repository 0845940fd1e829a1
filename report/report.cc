#include "report/report.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "audit/engine.h"
#include "audit/lifecycle.h"
#include "audit/tenant_map.h"
#include "common/file_util.h"
#include "common/sha256.h"
#include "common/time_util.h"
#include "report/render.h"

namespace divaudit::report {
namespace {

using audit::Finding;
using audit::FindingState;
using audit::Rule;
using storage::FindingRecord;

constexpr int64_t kDay = 86400;
constexpr unsigned kFileMode = 0640;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

std::string DateOfDay(int64_t day) {
  return FormatIso8601(FromUnixSeconds(day * kDay)).substr(0, 10);
}

int64_t ParseUnixOr(const std::string& iso, int64_t fallback) {
  if (iso.empty()) return fallback;
  auto t = ParseIso8601(iso);
  return t.ok() ? ToUnixSeconds(*t) : fallback;
}

using audit::LifecycleState;

// org_wide_permission and grant_guardrail_off act on every tenant, like all_divisions.
bool ReachesEveryTenant(const Finding& f) {
  return f.rule == Rule::kAllDivisions || f.rule == Rule::kOrgWidePermission ||
         f.rule == Rule::kGrantGuardrailOff;
}

bool Touches(const Finding& f, const std::string& tenant) {
  if (ReachesEveryTenant(f)) return true;
  if (f.tenant && *f.tenant == tenant) return true;
  if (f.home_tenant && *f.home_tenant == tenant) return true;
  return std::find(f.tenants.begin(), f.tenants.end(), tenant) != f.tenants.end();
}

bool OfNoTenant(const Finding& f) {
  return !ReachesEveryTenant(f) && !f.tenant && !f.home_tenant && f.tenants.empty();
}

bool Reaches(const Finding& f, const std::string& tenant) {
  switch (f.rule) {
    case Rule::kAllDivisions:
      return true;
    case Rule::kCrossTenant:
      return f.tenant && *f.tenant == tenant;
    case Rule::kMultiTenantSubject:
      return std::find(f.tenants.begin(), f.tenants.end(), tenant) != f.tenants.end();
    default:
      return false;
  }
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += "\"" + n + "\"";
  }
  return out.empty() ? "(none)" : out;
}

Status WriteOut(const std::string& path, const std::string& data, ReportSummary& summary) {
  if (path == "-") {
    if (std::fwrite(data.data(), 1, data.size(), stdout) != data.size() || std::fflush(stdout)) {
      return UnavailableError("report: cannot write to stdout");
    }
  } else {
    Status s = WriteFileAtomic(path, data, kFileMode);
    if (!s.ok()) return s.WithPrefix("report: writing " + path);
    summary.files.push_back(path);
  }
  summary.bytes += static_cast<int64_t>(data.size());
  return Status::Ok();
}

// The as-of sweep: the last complete one started by `to`.
Result<const storage::SweepRecord*> FindAsOf(const std::vector<storage::SweepRecord>& sweeps,
                                             const ReportRequest& request, int64_t to) {
  const storage::SweepRecord* as_of = nullptr;
  bool any_complete = false;
  for (const auto& s : sweeps) {
    if (s.info.status != audit::SweepStatus::kComplete) continue;
    any_complete = true;
    if (s.info.started_at_unix <= to) as_of = &s;
  }
  if (!any_complete) {
    return FailedPreconditionError(
        "report: no complete sweep in the database; run `divaudit sweep` first");
  }
  if (as_of == nullptr) {
    return FailedPreconditionError("report: no complete sweep started at or before " +
                                   FormatIso8601(request.to) +
                                   "; choose a later period end or run `divaudit sweep`");
  }
  return as_of;
}

Status CheckTenantKnown(const audit::TenantMap& tenant_map, const ReportRequest& request) {
  std::set<std::string> known(tenant_map.tenant_names().begin(), tenant_map.tenant_names().end());
  for (const auto& t : request.policy.tenants) known.insert(t.name);
  if (known.count(request.tenant)) return Status::Ok();
  return InvalidArgumentError("report: unknown tenant \"" + request.tenant + "\"; known tenants: " +
                              JoinNames(std::vector<std::string>(known.begin(), known.end())));
}

// Header: the request, the as-of sweep and the tenant's divisions by name.
void FillHeader(ReportData& d, const ReportRequest& request, const storage::SweepRecord& as_of,
                const std::vector<audit::Division>& divisions, const audit::TenantMap& tenant_map) {
  const int64_t from = ToUnixSeconds(request.from);
  const int64_t to = ToUnixSeconds(request.to);
  d.org_name = request.org_name;
  d.tenant = request.tenant;
  d.period_from = from;
  d.period_to = to;
  d.generated_at = ToUnixSeconds(request.generated_at);
  d.rule_set_version = as_of.rule_set_version;
  d.as_of_sweep_id = as_of.info.id;
  d.as_of_sweep_started = as_of.info.started_at_unix;
  d.as_of_sweep_hash = as_of.content_hash;
  d.new_window_seconds = request.new_window.count() > 0 ? request.new_window.count() : to - from;
  for (const auto& div : divisions) {
    auto t = tenant_map.TenantOf(div.id);
    if (t && *t == request.tenant) d.divisions.push_back(div);
  }
  std::sort(d.divisions.begin(), d.divisions.end(), [](const auto& a, const auto& b) {
    return std::tie(a.name, a.id) < std::tie(b.name, b.id);
  });
}

// Sweeps started in the period by status, the longest stretch without a complete sweep, and
// the days with one.
void FillCoverage(ReportData& d, const std::vector<storage::SweepRecord>& sweeps) {
  const int64_t from = d.period_from, to = d.period_to;
  std::vector<int64_t> complete_starts;
  for (const auto& s : sweeps) {
    const int64_t at = s.info.started_at_unix;
    if (at < from || at > to) continue;
    ++d.sweeps.run;
    switch (s.info.status) {
      case audit::SweepStatus::kComplete:
        ++d.sweeps.complete;
        complete_starts.push_back(at);
        break;
      case audit::SweepStatus::kPartial:
        ++d.sweeps.partial;
        break;
      case audit::SweepStatus::kFailed:
        ++d.sweeps.failed;
        break;
    }
  }
  std::sort(complete_starts.begin(), complete_starts.end());
  int64_t prev = from;
  d.longest_gap_from = from;
  d.longest_gap_to = from;
  auto consider = [&](int64_t next) {
    if (next - prev > d.longest_gap_seconds) {
      d.longest_gap_seconds = next - prev;
      d.longest_gap_from = prev;
      d.longest_gap_to = next;
    }
    prev = next;
  };
  for (int64_t at : complete_starts) consider(at);
  consider(to);
  d.days_in_period = FloorDiv(to, kDay) - FloorDiv(from, kDay) + 1;
  std::set<int64_t> days;
  for (int64_t at : complete_starts) days.insert(FloorDiv(at, kDay));
  d.days_with_complete_sweep = static_cast<int64_t>(days.size());
}

// An event of the log with its lifecycle event parsed.
struct Event {
  const storage::FindingEvent* stored;
  audit::LifecycleEvent kind;
};

Result<std::vector<Event>> ParseEvents(const std::vector<storage::FindingEvent>& events) {
  std::vector<Event> out;
  out.reserve(events.size());
  for (const auto& e : events) {
    auto kind = audit::LifecycleEventFromName(e.event);
    if (!kind) {
      return DataLossError("report: finding " + e.fingerprint + ", sweep " +
                           std::to_string(e.sweep_id) + ": unknown lifecycle event '" + e.event +
                           "'");
    }
    out.push_back({&e, *kind});
  }
  return out;
}

// The findings and their lifecycle replayed up to the as-of sweep.
struct Replay {
  std::vector<FindingRecord> records;
  std::unordered_map<std::string, size_t> index;  // fingerprint → record
  std::vector<bool> touching;                     // touches the report's tenant
  std::vector<LifecycleState> state;
  std::vector<int64_t> resolved_at;
};

// The state of each finding before the oldest event the store returns (history before it was
// pruned, or no event at all: unchanged since then, or first seen after the as-of sweep).
void InitialStates(Replay& r, const std::vector<Event>& events, const storage::SweepRecord& as_of) {
  const size_t n = r.records.size();
  r.state.assign(n, LifecycleState::kAbsent);
  r.resolved_at.assign(n, 0);
  std::vector<bool> has_event(n, false);
  for (const Event& e : events) {
    auto it = r.index.find(e.stored->fingerprint);
    if (it == r.index.end() || has_event[it->second]) continue;
    has_event[it->second] = true;
    r.state[it->second] = audit::StateBefore(e.kind);
  }
  for (size_t i = 0; i < n; ++i) {
    if (has_event[i]) continue;
    const FindingRecord& rec = r.records[i];
    const bool later = (rec.first_seen_sweep && *rec.first_seen_sweep > as_of.info.id) ||
                       ParseUnixOr(rec.finding.first_seen, 0) > as_of.info.started_at_unix;
    r.state[i] = later ? LifecycleState::kAbsent : audit::LifecycleStateOf(rec.finding.state);
    if (r.state[i] == LifecycleState::kResolved) r.resolved_at[i] = ParseUnixOr(rec.resolved_at, 0);
  }
}

struct Point {
  int64_t at;
  int64_t open;
  int64_t suppressed;
};

// Applies one event; counts the tenant's open/suppressed findings and the day's events.
void ApplyEvent(Replay& r, const Event& e, ReportData& d, int64_t& open, int64_t& suppressed) {
  auto rec = r.index.find(e.stored->fingerprint);
  if (rec == r.index.end()) return;
  const size_t i = rec->second;
  const LifecycleState before = r.state[i];
  const LifecycleState after = audit::StateAfter(e.kind);
  r.state[i] = after;
  if (e.kind == audit::LifecycleEvent::kResolved) r.resolved_at[i] = e.stored->at_unix;
  if (!r.touching[i]) return;
  open += (after == LifecycleState::kOpen) - (before == LifecycleState::kOpen);
  suppressed += (after == LifecycleState::kSuppressed) - (before == LifecycleState::kSuppressed);
  const int64_t first_day = FloorDiv(d.period_from, kDay);
  const int64_t day = FloorDiv(e.stored->at_unix, kDay);
  if (day >= first_day && day <= FloorDiv(d.period_to, kDay)) {
    DayRow& row = d.daily[static_cast<size_t>(day - first_day)];
    if (e.kind == audit::LifecycleEvent::kOpened || e.kind == audit::LifecycleEvent::kReopened) {
      ++row.opened;
    }
    if (e.kind == audit::LifecycleEvent::kResolved) ++row.resolved;
  }
}

// Replays sweep by sweep up to the as-of sweep; samples the tenant's counts after each complete
// sweep (the points of the daily series).
std::vector<Point> ReplayToAsOf(Replay& r, const std::vector<Event>& events,
                                const std::vector<storage::SweepRecord>& sweeps,
                                const storage::SweepRecord& as_of, ReportData& d) {
  std::map<int64_t, std::vector<const Event*>> by_sweep;
  for (const Event& e : events) by_sweep[e.stored->sweep_id].push_back(&e);
  int64_t open = 0, suppressed = 0;
  for (size_t i = 0; i < r.records.size(); ++i) {
    if (!r.touching[i]) continue;
    open += r.state[i] == LifecycleState::kOpen;
    suppressed += r.state[i] == LifecycleState::kSuppressed;
  }
  const int64_t first_day = FloorDiv(d.period_from, kDay);
  const int64_t last_day = FloorDiv(d.period_to, kDay);
  std::vector<Point> points;
  for (const auto& s : sweeps) {
    if (s.info.id > as_of.info.id) break;
    auto it = by_sweep.find(s.info.id);
    if (it != by_sweep.end()) {
      for (const Event* e : it->second) ApplyEvent(r, *e, d, open, suppressed);
    }
    if (s.info.status != audit::SweepStatus::kComplete) continue;
    points.push_back({s.info.started_at_unix, open, suppressed});
    const int64_t day = FloorDiv(s.info.started_at_unix, kDay);
    if (day >= first_day && day <= last_day) {
      ++d.daily[static_cast<size_t>(day - first_day)].complete_sweeps;
    }
  }
  return points;
}

// End-of-day counts: the last complete sweep started by the end of each day.
void FillDailyCounts(ReportData& d, const std::vector<Point>& points) {
  const int64_t first_day = FloorDiv(d.period_from, kDay);
  const int64_t last_day = FloorDiv(d.period_to, kDay);
  size_t p = 0;
  const Point* last = nullptr;
  for (int64_t day = first_day; day <= last_day; ++day) {
    const int64_t end = (day + 1) * kDay;
    while (p < points.size() && points[p].at < end) last = &points[p++];
    DayRow& row = d.daily[static_cast<size_t>(day - first_day)];
    if (last != nullptr) {
      row.has_data = true;
      row.open = last->open;
      row.suppressed = last->suppressed;
    }
  }
}

// Reads the findings and their events and replays them into `d.daily`.
Result<Replay> ReplayFindings(storage::SnapshotStore& store,
                              const std::vector<storage::SweepRecord>& sweeps,
                              const storage::SweepRecord& as_of, ReportData& d) {
  Replay r;
  DIVAUDIT_ASSIGN_OR_RETURN(r.records, store.QueryFindings(storage::FindingFilter{}));
  DIVAUDIT_ASSIGN_OR_RETURN(std::vector<storage::FindingEvent> stored_events,
                            store.FindingEvents(0, std::numeric_limits<int64_t>::max()));
  DIVAUDIT_ASSIGN_OR_RETURN(std::vector<Event> events, ParseEvents(stored_events));
  r.index.reserve(r.records.size());
  r.touching.resize(r.records.size());
  for (size_t i = 0; i < r.records.size(); ++i) {
    r.index.emplace(r.records[i].finding.fingerprint, i);
    r.touching[i] = Touches(r.records[i].finding, d.tenant);
  }
  InitialStates(r, events, as_of);
  const int64_t first_day = FloorDiv(d.period_from, kDay);
  const int64_t last_day = FloorDiv(d.period_to, kDay);
  d.daily.reserve(static_cast<size_t>(std::max<int64_t>(0, d.days_in_period)));
  for (int64_t day = first_day; day <= last_day; ++day) d.daily.push_back({DateOfDay(day)});
  FillDailyCounts(d, ReplayToAsOf(r, events, sweeps, as_of, d));
  return r;
}

// A finding row with its state as of the as-of sweep.
FindingRow RowAsOf(const FindingRecord& rec, LifecycleState state, const ReportRequest& request,
                   const storage::SweepRecord& as_of, int64_t to) {
  FindingRow row;
  row.finding = rec.finding;
  row.first_seen_unix = ParseUnixOr(rec.finding.first_seen, 0);
  row.age_days = std::max<int64_t>(0, (to - row.first_seen_unix) / kDay);
  switch (state) {
    case LifecycleState::kOpen:
      row.finding.state = FindingState::kOpen;
      row.finding.exception.reset();
      break;
    case LifecycleState::kSuppressed:
      row.finding.state = FindingState::kSuppressed;
      if (!row.finding.exception) {
        // Suppressed at the as-of sweep but not any more: the store keeps only the current
        // exception, so find the one that applied then.
        std::vector<Finding> one{row.finding};
        one[0].state = FindingState::kOpen;
        (void)audit::ApplyExceptions(one, request.policy.exceptions,
                                     FromUnixSeconds(as_of.info.started_at_unix));
        row.finding.exception = one[0].exception;
      }
      break;
    default:
      row.finding.state = FindingState::kResolved;
      row.finding.exception.reset();
      break;
  }
  return row;
}

// Rule counts and the finding tables; returns the tenant's live findings (for exceptions).
std::vector<Finding> FillFindingTables(ReportData& d, const Replay& r, const ReportRequest& request,
                                       const storage::SweepRecord& as_of) {
  const int64_t from = d.period_from, to = d.period_to;
  for (const Rule rule : audit::kAllRules) d.by_rule.push_back({rule, audit::RuleSeverity(rule)});
  const int64_t new_after = to - d.new_window_seconds;
  std::vector<Finding> in_force;
  for (size_t i = 0; i < r.records.size(); ++i) {
    if (r.state[i] == LifecycleState::kAbsent) continue;
    const FindingRecord& rec = r.records[i];
    FindingRow row = RowAsOf(rec, r.state[i], request, as_of, to);
    const bool live = r.state[i] != LifecycleState::kResolved;
    if (!r.touching[i]) {
      if (live && OfNoTenant(rec.finding)) d.org_wide_findings.push_back(std::move(row));
      continue;
    }
    RuleCount& count = d.by_rule[static_cast<size_t>(rec.finding.rule)];
    const int64_t resolved_at = r.resolved_at[i];
    if (live) {
      (r.state[i] == LifecycleState::kOpen ? count.open : count.suppressed)++;
      in_force.push_back(row.finding);
      if (Reaches(rec.finding, d.tenant)) d.reach.push_back(row);
      if (rec.finding.rule == Rule::kOrgWidePermission ||
          rec.finding.rule == Rule::kGrantGuardrailOff) {
        d.org_wide_permissions.push_back(row);
      }
    } else if (resolved_at >= from && resolved_at <= to && resolved_at > 0) {
      ++count.resolved_in_period;
      row.resolved_at_unix = resolved_at;
      row.remediation_seconds = std::max<int64_t>(0, resolved_at - row.first_seen_unix);
      d.resolved_findings.push_back(row);
    }
    if (row.first_seen_unix > new_after && row.first_seen_unix <= to) d.new_findings.push_back(row);
    if (live) d.open_findings.push_back(std::move(row));
  }
  return in_force;
}

// Records come in FindingLess order; stable sorts keep it as the tie-breaker.
void SortTables(ReportData& d) {
  auto by_state_severity = [](const FindingRow& a, const FindingRow& b) {
    return std::pair(a.finding.state, a.finding.severity) <
           std::pair(b.finding.state, b.finding.severity);
  };
  std::stable_sort(d.open_findings.begin(), d.open_findings.end(), by_state_severity);
  std::stable_sort(d.reach.begin(), d.reach.end(), [](const FindingRow& a, const FindingRow& b) {
    return a.finding.rule < b.finding.rule;
  });
  std::stable_sort(d.resolved_findings.begin(), d.resolved_findings.end(),
                   [](const FindingRow& a, const FindingRow& b) {
                     return *a.resolved_at_unix < *b.resolved_at_unix;
                   });
  std::stable_sort(d.new_findings.begin(), d.new_findings.end(),
                   [](const FindingRow& a, const FindingRow& b) {
                     return a.first_seen_unix < b.first_seen_unix;
                   });
  std::stable_sort(d.org_wide_findings.begin(), d.org_wide_findings.end(), by_state_severity);
  std::stable_sort(d.org_wide_permissions.begin(), d.org_wide_permissions.end(), by_state_severity);
}

using ExceptionKey = std::tuple<std::string, std::string, std::string>;

// Configured exceptions that match a live finding of the tenant; returns the (reason, owner,
// expires) of every configured one.
std::set<ExceptionKey> AddConfiguredExceptions(ReportData& d, const std::vector<Finding>& in_force,
                                               const ReportRequest& request) {
  std::vector<Finding> copy = in_force;
  const std::vector<audit::ExceptionStatus> statuses =
      audit::ApplyExceptions(copy, request.policy.exceptions, request.to);
  std::set<ExceptionKey> configured;
  for (const auto& st : statuses) {
    const auto& spec = st.spec;
    configured.emplace(spec.reason, spec.owner, spec.expires);
    if (st.matched == 0) continue;
    ExceptionRow row;
    row.rule = std::string(audit::RuleName(spec.rule));
    row.subject_id = spec.subject_id;
    row.role_id = spec.role_id.value_or("");
    row.division_id = spec.division_id.value_or("");
    row.owner = spec.owner;
    row.reason = spec.reason;
    row.expires = spec.expires;
    row.active = st.active;
    row.matched = st.matched;
    d.exceptions.push_back(std::move(row));
  }
  return configured;
}

// Exceptions: configured ones first, then references seen on suppressed findings that the
// current policy no longer holds.
void FillExceptions(ReportData& d, const std::vector<Finding>& in_force,
                    const ReportRequest& request) {
  const std::set<ExceptionKey> configured = AddConfiguredExceptions(d, in_force, request);
  std::map<ExceptionKey, int64_t> unconfigured;  // (owner, reason, expires)
  for (const auto& f : in_force) {
    if (f.state != FindingState::kSuppressed || !f.exception) continue;
    auto key = std::make_tuple(f.exception->reason, f.exception->owner, f.exception->expires);
    for (auto& row : d.exceptions) {
      if (std::tie(row.reason, row.owner, row.expires) == key) ++row.suppressed;
    }
    if (!configured.count(key)) {
      ++unconfigured[std::make_tuple(f.exception->owner, f.exception->reason,
                                     f.exception->expires)];
    }
  }
  for (const auto& [key, n] : unconfigured) {
    ExceptionRow row;
    row.configured = false;
    std::tie(row.owner, row.reason, row.expires) = key;
    auto exp = ParseIso8601(row.expires);
    row.active = exp.ok() && d.period_to < ToUnixSeconds(*exp) + kDay;
    row.matched = n;
    row.suppressed = n;
    d.exceptions.push_back(std::move(row));
  }
}

// The tenant's conversation evidence: conversations recorded by a sweep up to the as-of sweep
// that started within the period, the newest `evidence_limit` listed (docs/evidence.md).
Status FillEvidence(ReportData& d, const ReportRequest& request) {
  EvidenceSection& e = d.evidence;
  e.limit = static_cast<int64_t>(request.evidence_limit);
  if (request.evidence == nullptr) {
    e.status = EvidenceStatus::kDisabled;
    return Status::Ok();
  }
  storage::EvidenceStore& store = *request.evidence;
  // As of the report's sweep: what later sweeps read is not part of it.
  DIVAUDIT_ASSIGN_OR_RETURN(const storage::EvidenceAsOf as_of, store.StatusAt(d.as_of_sweep_id));
  // The period [from_ms, end_ms): its last second (period_to) included.
  const int64_t from_ms = d.period_from * 1000, end_ms = (d.period_to + 1) * 1000;
  e.read_until_ms = as_of.read_until_ms;
  e.status = audit::ClassifyEvidence(as_of.available, as_of.read_until_ms, from_ms, end_ms);
  storage::EvidenceQuery q;
  q.tenant = d.tenant;
  q.to_sweep = d.as_of_sweep_id;
  q.start_from_ms = from_ms;
  q.start_before_ms = end_ms;
  DIVAUDIT_ASSIGN_OR_RETURN(std::vector<storage::EvidenceRecord> records, store.Query(q));
  // Query gives the oldest first; the newest `limit` are listed, newest first.
  e.total = static_cast<int64_t>(records.size());
  for (auto it = records.rbegin();
       it != records.rend() && e.conversations.size() < request.evidence_limit; ++it) {
    e.conversations.push_back(std::move(it->evidence));
  }
  return Status::Ok();
}

}  // namespace

Result<Format> ParseFormat(std::string_view name) {
  if (name == "html") return Format::kHtml;
  if (name == "csv") return Format::kCsv;
  if (name == "json") return Format::kJson;
  return InvalidArgumentError("report: unknown format \"" + std::string(name) +
                              "\" (expected html, csv or json)");
}

Result<ReportData> BuildReportData(storage::SnapshotStore& store, const ReportRequest& request) {
  const int64_t from = ToUnixSeconds(request.from);
  const int64_t to = ToUnixSeconds(request.to);
  if (from > to) {
    return InvalidArgumentError("report: period start " + FormatIso8601(request.from) +
                                " is after its end " + FormatIso8601(request.to));
  }
  DIVAUDIT_ASSIGN_OR_RETURN(std::vector<storage::SweepRecord> sweeps,
                            store.ListSweeps(std::nullopt, std::nullopt));
  std::sort(sweeps.begin(), sweeps.end(),
            [](const auto& a, const auto& b) { return a.info.id < b.info.id; });
  DIVAUDIT_ASSIGN_OR_RETURN(const storage::SweepRecord* as_of, FindAsOf(sweeps, request, to));
  // Only the divisions of the as-of sweep: findings and events carry everything else.
  DIVAUDIT_ASSIGN_OR_RETURN(std::vector<audit::Division> divisions,
                            store.DivisionsAt(as_of->info.id));
  DIVAUDIT_ASSIGN_OR_RETURN(audit::TenantMap tenant_map,
                            audit::TenantMap::Build(request.policy, divisions));
  DIVAUDIT_RETURN_IF_ERROR(CheckTenantKnown(tenant_map, request));
  ReportData d;
  FillHeader(d, request, *as_of, divisions, tenant_map);
  FillCoverage(d, sweeps);
  DIVAUDIT_ASSIGN_OR_RETURN(Replay replay, ReplayFindings(store, sweeps, *as_of, d));
  const std::vector<Finding> in_force = FillFindingTables(d, replay, request, *as_of);
  SortTables(d);
  FillExceptions(d, in_force, request);
  DIVAUDIT_RETURN_IF_ERROR(FillEvidence(d, request));
  return d;
}

Result<ReportSummary> WriteReport(storage::SnapshotStore& store, const ReportRequest& request) {
  DIVAUDIT_ASSIGN_OR_RETURN(Format format, ParseFormat(request.format));
  if (request.out_path.empty()) return InvalidArgumentError("report: no output path given");
  DIVAUDIT_ASSIGN_OR_RETURN(ReportData data, BuildReportData(store, request));
  ReportSummary summary;
  summary.tenant = data.tenant;
  summary.as_of_sweep = data.as_of_sweep_id;
  for (const auto& c : data.by_rule) {
    summary.open += c.open;
    summary.suppressed += c.suppressed;
    summary.resolved_in_period += c.resolved_in_period;
  }
  summary.reach = static_cast<int64_t>(data.reach.size());
  switch (format) {
    case Format::kHtml:
      DIVAUDIT_RETURN_IF_ERROR(WriteOut(request.out_path, RenderHtml(data), summary));
      break;
    case Format::kJson:
      DIVAUDIT_RETURN_IF_ERROR(WriteOut(request.out_path, RenderJson(data), summary));
      break;
    case Format::kCsv: {
      if (request.out_path == "-") {
        return InvalidArgumentError("report: csv writes a directory; give --out DIR, not -");
      }
      std::error_code ec;
      std::filesystem::create_directories(request.out_path, ec);
      if (ec) {
        return UnavailableError("report: cannot create directory " + request.out_path + ": " +
                                ec.message());
      }
      for (const auto& [name, content] : RenderCsv(data)) {
        DIVAUDIT_RETURN_IF_ERROR(
            WriteOut((std::filesystem::path(request.out_path) / name).string(), content, summary));
      }
      break;
    }
  }
  return summary;
}

Result<std::vector<std::string>> TenantsOf(storage::SnapshotStore& store,
                                           const audit::Policy& policy) {
  auto last = store.LastCompleteSweep();
  if (!last.ok()) {
    if (last.status().code() == StatusCode::kNotFound) {
      return FailedPreconditionError(
          "report: no complete sweep in the database; run `divaudit sweep` first");
    }
    return last.status();
  }
  DIVAUDIT_ASSIGN_OR_RETURN(std::vector<audit::Division> divisions,
                            store.DivisionsAt(last->info.id));
  DIVAUDIT_ASSIGN_OR_RETURN(audit::TenantMap map, audit::TenantMap::Build(policy, divisions));
  return map.tenant_names();
}

Result<Period> ResolvePeriod(std::string_view from, std::string_view to, SystemTime now) {
  auto is_date = [](std::string_view s) { return s.size() == 10; };
  Period p;
  if (to.empty()) {
    p.to = now;
  } else {
    auto t = ParseIso8601(to);
    if (!t.ok()) return InvalidArgumentError("report: bad --to \"" + std::string(to) + "\"");
    p.to = is_date(to) ? *t + std::chrono::seconds(kDay - 1) : *t;
  }
  if (from.empty()) {
    p.from = p.to - std::chrono::seconds(30 * kDay);
  } else {
    auto f = ParseIso8601(from);
    if (!f.ok()) return InvalidArgumentError("report: bad --from \"" + std::string(from) + "\"");
    p.from = *f;
  }
  if (p.from > p.to) {
    return InvalidArgumentError("report: --from " + std::string(from) + " is after --to " +
                                FormatIso8601(p.to));
  }
  return p;
}

std::string ReportFileName(std::string_view tenant, std::string_view format) {
  std::string slug;
  bool changed = false;
  for (char c : tenant) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || (c == '.' && !slug.empty());
    slug += ok ? c : '_';
    changed |= !ok;
  }
  if (slug.empty()) changed = true;
  if (changed) slug += "-" + Sha256Hex(tenant).substr(0, 8);
  std::string name = "report-" + slug;
  if (format != "csv") name += "." + std::string(format);
  return name;
}

}  // namespace divaudit::report
