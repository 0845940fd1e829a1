#include "report/report.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "audit/engine.h"
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

// A finding's state while replaying the event log. kAbsent: not yet seen.
enum class Replay : uint8_t { kAbsent, kOpen, kSuppressed, kResolved };

Replay StateAfter(const std::string& event, Replay before) {
  if (event == "opened" || event == "reopened" || event == "unsuppressed") return Replay::kOpen;
  if (event == "suppressed") return Replay::kSuppressed;
  if (event == "resolved") return Replay::kResolved;
  return before;
}

// The state a finding had before the first event the store still returns (history before it
// was pruned, or no event at all).
Replay StateBefore(const std::string& first_event) {
  if (first_event == "opened") return Replay::kAbsent;
  if (first_event == "reopened") return Replay::kResolved;
  if (first_event == "unsuppressed") return Replay::kSuppressed;
  return Replay::kOpen;  // resolved, suppressed
}

Replay FromStored(FindingState s) {
  switch (s) {
    case FindingState::kOpen:
      return Replay::kOpen;
    case FindingState::kSuppressed:
      return Replay::kSuppressed;
    case FindingState::kResolved:
      return Replay::kResolved;
  }
  return Replay::kOpen;
}

bool Touches(const Finding& f, const std::string& tenant) {
  if (f.rule == Rule::kAllDivisions) return true;
  if (f.tenant && *f.tenant == tenant) return true;
  if (f.home_tenant && *f.home_tenant == tenant) return true;
  return std::find(f.tenants.begin(), f.tenants.end(), tenant) != f.tenants.end();
}

bool OfNoTenant(const Finding& f) {
  return f.rule != Rule::kAllDivisions && !f.tenant && !f.home_tenant && f.tenants.empty();
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

  // Every sweep, oldest first; the as-of sweep is the last complete one started by `to`.
  DIVAUDIT_ASSIGN_OR_RETURN(std::vector<storage::SweepRecord> sweeps,
                            store.ListSweeps(std::nullopt, std::nullopt));
  std::sort(sweeps.begin(), sweeps.end(),
            [](const auto& a, const auto& b) { return a.info.id < b.info.id; });
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

  DIVAUDIT_ASSIGN_OR_RETURN(audit::OrgSnapshot snapshot, store.SnapshotAt(as_of->info.id));
  DIVAUDIT_ASSIGN_OR_RETURN(audit::TenantMap tenant_map,
                            audit::TenantMap::Build(request.policy, snapshot.divisions));
  std::set<std::string> known(tenant_map.tenant_names().begin(), tenant_map.tenant_names().end());
  for (const auto& t : request.policy.tenants) known.insert(t.name);
  if (!known.count(request.tenant)) {
    return InvalidArgumentError(
        "report: unknown tenant \"" + request.tenant +
        "\"; known tenants: " + JoinNames(std::vector<std::string>(known.begin(), known.end())));
  }
  const std::string& tenant = request.tenant;

  ReportData d;
  d.org_name = request.org_name;
  d.tenant = tenant;
  d.period_from = from;
  d.period_to = to;
  d.generated_at = ToUnixSeconds(request.generated_at);
  d.rule_set_version = as_of->rule_set_version;
  d.as_of_sweep_id = as_of->info.id;
  d.as_of_sweep_started = as_of->info.started_at_unix;
  d.as_of_sweep_hash = as_of->content_hash;
  d.new_window_seconds = request.new_window.count() > 0 ? request.new_window.count() : to - from;
  for (const auto& div : snapshot.divisions) {
    auto t = tenant_map.TenantOf(div.id);
    if (t && *t == tenant) d.divisions.push_back(div);
  }
  std::sort(d.divisions.begin(), d.divisions.end(), [](const auto& a, const auto& b) {
    return std::tie(a.name, a.id) < std::tie(b.name, b.id);
  });

  // Sweeps of the period and coverage.
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
  {
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
  }
  const int64_t first_day = FloorDiv(from, kDay);
  const int64_t last_day = FloorDiv(to, kDay);
  d.days_in_period = last_day - first_day + 1;
  {
    std::set<int64_t> days;
    for (int64_t at : complete_starts) days.insert(FloorDiv(at, kDay));
    d.days_with_complete_sweep = static_cast<int64_t>(days.size());
  }

  // Findings and their event log.
  DIVAUDIT_ASSIGN_OR_RETURN(std::vector<FindingRecord> records,
                            store.QueryFindings(storage::FindingFilter{}));
  DIVAUDIT_ASSIGN_OR_RETURN(std::vector<storage::FindingEvent> events,
                            store.FindingEvents(0, std::numeric_limits<int64_t>::max()));
  std::unordered_map<std::string, size_t> index;  // fingerprint → record
  index.reserve(records.size());
  for (size_t i = 0; i < records.size(); ++i) index.emplace(records[i].finding.fingerprint, i);
  std::vector<bool> touching(records.size());
  for (size_t i = 0; i < records.size(); ++i) touching[i] = Touches(records[i].finding, tenant);

  // Initial state of each finding, before the oldest event the store returns.
  std::vector<Replay> state(records.size(), Replay::kAbsent);
  std::vector<bool> has_event(records.size(), false);
  std::vector<int64_t> resolved_at(records.size(), 0);
  for (const auto& e : events) {
    auto it = index.find(e.fingerprint);
    if (it == index.end() || has_event[it->second]) continue;
    has_event[it->second] = true;
    state[it->second] = StateBefore(e.event);
  }
  for (size_t i = 0; i < records.size(); ++i) {
    if (has_event[i]) continue;
    const FindingRecord& r = records[i];
    // No event at all: unchanged since its history was pruned.
    const bool later = (r.first_seen_sweep && *r.first_seen_sweep > as_of->info.id) ||
                       ParseUnixOr(r.finding.first_seen, 0) > as_of->info.started_at_unix;
    state[i] = later ? Replay::kAbsent : FromStored(r.finding.state);
    if (state[i] == Replay::kResolved) resolved_at[i] = ParseUnixOr(r.resolved_at, 0);
  }

  // Replay sweep by sweep up to the as-of sweep; sample the tenant's counts after each
  // complete sweep for the daily series.
  std::map<int64_t, std::vector<const storage::FindingEvent*>> by_sweep;
  for (const auto& e : events) by_sweep[e.sweep_id].push_back(&e);
  int64_t open = 0, suppressed = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    if (!touching[i]) continue;
    open += state[i] == Replay::kOpen;
    suppressed += state[i] == Replay::kSuppressed;
  }
  struct Point {
    int64_t at;
    int64_t open;
    int64_t suppressed;
  };
  std::vector<Point> points;
  d.daily.reserve(static_cast<size_t>(std::max<int64_t>(0, d.days_in_period)));
  for (int64_t day = first_day; day <= last_day; ++day) d.daily.push_back({DateOfDay(day)});
  for (const auto& s : sweeps) {
    if (s.info.id > as_of->info.id) break;
    auto it = by_sweep.find(s.info.id);
    if (it != by_sweep.end()) {
      for (const storage::FindingEvent* e : it->second) {
        auto rec = index.find(e->fingerprint);
        if (rec == index.end()) continue;
        const size_t i = rec->second;
        const Replay before = state[i];
        const Replay after = StateAfter(e->event, before);
        state[i] = after;
        if (after == Replay::kResolved && e->event == "resolved") resolved_at[i] = e->at_unix;
        if (!touching[i]) continue;
        open += (after == Replay::kOpen) - (before == Replay::kOpen);
        suppressed += (after == Replay::kSuppressed) - (before == Replay::kSuppressed);
        const int64_t day = FloorDiv(e->at_unix, kDay);
        if (day >= first_day && day <= last_day) {
          DayRow& row = d.daily[static_cast<size_t>(day - first_day)];
          if (e->event == "opened" || e->event == "reopened") ++row.opened;
          if (e->event == "resolved") ++row.resolved;
        }
      }
    }
    if (s.info.status == audit::SweepStatus::kComplete) {
      points.push_back({s.info.started_at_unix, open, suppressed});
      const int64_t day = FloorDiv(s.info.started_at_unix, kDay);
      if (day >= first_day && day <= last_day) {
        ++d.daily[static_cast<size_t>(day - first_day)].complete_sweeps;
      }
    }
  }
  {
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

  // Tables.
  for (int r = 0; r <= static_cast<int>(Rule::kOrphanedGrant); ++r) {
    const Rule rule = static_cast<Rule>(r);
    d.by_rule.push_back({rule, audit::RuleSeverity(rule)});
  }
  const int64_t new_after = to - d.new_window_seconds;
  std::vector<Finding> in_force;  // open/suppressed findings of the tenant, for exceptions
  for (size_t i = 0; i < records.size(); ++i) {
    if (state[i] == Replay::kAbsent) continue;
    const FindingRecord& rec = records[i];
    FindingRow row;
    row.finding = rec.finding;
    row.first_seen_unix = ParseUnixOr(rec.finding.first_seen, 0);
    row.age_days = std::max<int64_t>(0, (to - row.first_seen_unix) / kDay);
    switch (state[i]) {
      case Replay::kOpen:
        row.finding.state = FindingState::kOpen;
        row.finding.exception.reset();
        break;
      case Replay::kSuppressed:
        row.finding.state = FindingState::kSuppressed;
        if (!row.finding.exception) {
          // Suppressed at the as-of sweep but not any more: the store keeps only the current
          // exception, so find the one that applied then.
          std::vector<Finding> one{row.finding};
          one[0].state = FindingState::kOpen;
          (void)audit::ApplyExceptions(one, request.policy.exceptions,
                                       FromUnixSeconds(as_of->info.started_at_unix));
          row.finding.exception = one[0].exception;
        }
        break;
      default:
        row.finding.state = FindingState::kResolved;
        row.finding.exception.reset();
        break;
    }
    const bool live = state[i] != Replay::kResolved;
    if (!touching[i]) {
      if (live && OfNoTenant(rec.finding)) d.org_wide_findings.push_back(std::move(row));
      continue;
    }
    RuleCount& count = d.by_rule[static_cast<size_t>(rec.finding.rule)];
    if (live) {
      (state[i] == Replay::kOpen ? count.open : count.suppressed)++;
      in_force.push_back(row.finding);
      if (Reaches(rec.finding, tenant)) d.reach.push_back(row);
    } else if (resolved_at[i] >= from && resolved_at[i] <= to && resolved_at[i] > 0) {
      ++count.resolved_in_period;
      row.resolved_at_unix = resolved_at[i];
      row.remediation_seconds = std::max<int64_t>(0, resolved_at[i] - row.first_seen_unix);
      d.resolved_findings.push_back(row);
    }
    if (row.first_seen_unix > new_after && row.first_seen_unix <= to) d.new_findings.push_back(row);
    if (live) d.open_findings.push_back(std::move(row));
  }
  // Records come in FindingLess order; stable sorts keep it as the tie-breaker.
  std::stable_sort(d.open_findings.begin(), d.open_findings.end(),
                   [](const FindingRow& a, const FindingRow& b) {
                     return std::pair(a.finding.state, a.finding.severity) <
                            std::pair(b.finding.state, b.finding.severity);
                   });
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
  std::stable_sort(d.org_wide_findings.begin(), d.org_wide_findings.end(),
                   [](const FindingRow& a, const FindingRow& b) {
                     return std::pair(a.finding.state, a.finding.severity) <
                            std::pair(b.finding.state, b.finding.severity);
                   });

  // Exceptions: configured ones that match a live finding of the tenant, then references seen
  // on suppressed findings that the current policy no longer holds.
  {
    std::vector<Finding> copy = in_force;
    const std::vector<audit::ExceptionStatus> statuses =
        audit::ApplyExceptions(copy, request.policy.exceptions, request.to);
    std::set<std::tuple<std::string, std::string, std::string>> configured;
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
    std::map<std::tuple<std::string, std::string, std::string>, int64_t> unconfigured;
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
      row.active = exp.ok() && to < ToUnixSeconds(*exp) + kDay;
      row.matched = n;
      row.suppressed = n;
      d.exceptions.push_back(std::move(row));
    }
  }
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
  DIVAUDIT_ASSIGN_OR_RETURN(audit::OrgSnapshot snapshot, store.SnapshotAt(last->info.id));
  DIVAUDIT_ASSIGN_OR_RETURN(audit::TenantMap map,
                            audit::TenantMap::Build(policy, snapshot.divisions));
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
