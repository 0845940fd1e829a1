#include "report/render.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "audit/evidence.h"
#include "audit/findings_document.h"
#include "common/display_text.h"
#include "common/json_writer.h"
#include "common/time_util.h"
#include "present/csv.h"

namespace divaudit::report {
namespace {

using audit::Finding;
using audit::FindingState;
using audit::Rule;
using present::CsvCell;

constexpr int64_t kDay = 86400;

std::string Iso(int64_t unix) { return FormatIso8601(FromUnixSeconds(unix)); }

// "3.5" days, one decimal, integer arithmetic (deterministic, rounds down).
std::string Days(int64_t seconds) {
  if (seconds < 0) seconds = 0;
  return std::to_string(seconds / kDay) + "." + std::to_string((seconds % kDay) * 10 / kDay);
}

std::string HumanDuration(int64_t seconds) {
  if (seconds < 0) seconds = 0;
  const int64_t d = seconds / kDay, h = seconds % kDay / 3600, m = seconds % 3600 / 60;
  std::string out;
  if (d) out += std::to_string(d) + "d ";
  if (d || h) out += std::to_string(h) + "h ";
  out += std::to_string(m) + "m";
  return out;
}

std::string Join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += sep;
    out += v[i];
  }
  return out;
}

std::string StateName(const Finding& f) { return std::string(audit::FindingStateName(f.state)); }
std::string RuleStr(const Finding& f) { return std::string(audit::RuleName(f.rule)); }
std::string SevStr(const Finding& f) { return std::string(audit::SeverityName(f.severity)); }

std::string DivisionText(const Finding& f) {
  if (f.rule == Rule::kMultiTenantSubject) return "tenants: " + Join(f.tenants, ", ");
  if (!f.division) return "-";
  if (f.division->id == audit::kAllDivisionsId) return "All Divisions (*)";
  std::string out = f.division->name.empty() ? f.division->id : f.division->name;
  if (f.tenant) out += " [" + *f.tenant + "]";
  return out;
}

// cross_tenant_queue via a group: the listing names no group, so the queue's member groups.
std::string QueueGroupsText(const audit::QueueRef& q) {
  std::vector<std::string> groups;
  for (const audit::QueueMemberGroup& g : q.member_groups) {
    groups.push_back(g.type + " " + (g.name.empty() ? g.id : g.name));
  }
  return Join(groups, ", ");
}

std::string ViaText(const Finding& f) {
  if (!f.via) return "-";
  if (f.via->direct) return "direct";
  if (f.rule == Rule::kCrossTenantQueue && f.queue) {
    const std::string groups = QueueGroupsText(*f.queue);
    return groups.empty() ? "group" : "group: " + groups;
  }
  return "group " + (f.via->group_name.empty() ? f.via->group_id : f.via->group_name);
}

std::string ExceptionText(const Finding& f) {
  if (!f.exception) return "";
  return f.exception->owner + ": " + f.exception->reason + " (until " + f.exception->expires + ")";
}

// A table as plain strings; numeric columns are right-aligned in HTML. `ids`, when not empty,
// has the shape of `rows`: a cell's id (or other secondary text), shown small and muted under
// the name in HTML so a reader sees names first.
struct Table {
  std::vector<std::string> headers;
  std::vector<bool> numeric;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::vector<std::string>> ids;
};

// Name and id of a finding's subject, role and division, for the HTML tables (names first).
struct Named {
  std::string name;
  std::string id;
};

Named SubjectNamed(const Finding& f) {
  if (!f.subject) return {"-", ""};
  const auto& s = *f.subject;
  std::string type(audit::SubjectTypeName(s.type));
  if (s.name.empty()) return {type + " " + s.id, ""};
  return {s.name, type + " " + s.id};
}

// The Role column of a cross_tenant_queue finding shows the queue the user is a member of.
Named RoleNamed(const Finding& f) {
  if (f.queue && !f.role) {
    return {"queue " + (f.queue->name.empty() ? f.queue->id : f.queue->name), f.queue->id};
  }
  if (!f.role) return {"-", ""};
  if (f.role->name.empty()) return {f.role->id, ""};
  return {f.role->name, f.role->id};
}

Named DivisionNamed(const Finding& f) {
  if (f.queue && !f.division) {  // cross_tenant_queue: the queue's division
    const audit::NamedRef& div = f.queue->division;
    std::string text = div.name.empty() ? div.id : div.name;
    if (f.queue->tenant) text += " [" + *f.queue->tenant + "]";
    return {text, div.name.empty() ? "" : div.id};
  }
  if (f.rule == Rule::kMultiTenantSubject || !f.division ||
      f.division->id == audit::kAllDivisionsId || f.division->name.empty()) {
    return {DivisionText(f), ""};
  }
  return {DivisionText(f), f.division->id};
}

// Marks a finding that is also "new" (first seen within the new window) in its one table.
// Who made the change that opened `f` (audit trail): "Ada Admin (user, 2026-01-02T08:00:00Z)",
// the actor id when the event named no one, "-" when unknown.
std::string ChangedByText(const Finding& f) {
  if (!f.changed_by) return "-";
  const audit::ChangedBy& c = *f.changed_by;
  std::string who = !c.actor_name.empty() ? c.actor_name : !c.actor_id.empty() ? c.actor_id : "?";
  return who + " (" + c.actor_type + (c.at.empty() ? "" : ", " + c.at) + ")";
}

std::string StateWithNew(const Finding& f, const std::set<std::string>& new_fps) {
  return StateName(f) + (new_fps.count(f.fingerprint) ? ", new" : "");
}

Table OpenTable(const std::vector<FindingRow>& rows, bool with_state,
                const std::set<std::string>& new_fps = {}) {
  Table t;
  if (with_state) t.headers.push_back("State");
  for (const char* h : {"Severity", "Rule", "Subject", "Home tenant", "Role", "Division", "Via",
                        "First seen", "Changed by", "Age (days)", "Exception"}) {
    t.headers.push_back(h);
  }
  t.numeric.assign(t.headers.size(), false);
  t.numeric[t.headers.size() - 2] = true;
  for (const auto& r : rows) {
    const Finding& f = r.finding;
    const Named subject = SubjectNamed(f), role = RoleNamed(f), division = DivisionNamed(f);
    std::vector<std::string> row, ids;
    if (with_state) {
      row.push_back(StateWithNew(f, new_fps));
      ids.push_back("");
    }
    row.insert(row.end(), {SevStr(f), RuleStr(f), subject.name, f.home_tenant.value_or("-"),
                           role.name, division.name, ViaText(f), f.first_seen, ChangedByText(f),
                           std::to_string(r.age_days), ExceptionText(f)});
    ids.insert(ids.end(), {"", "", subject.id, "", role.id, division.id, "", "", "", "", ""});
    t.rows.push_back(std::move(row));
    t.ids.push_back(std::move(ids));
  }
  return t;
}

Table ResolvedTable(const std::vector<FindingRow>& rows, const std::set<std::string>& new_fps) {
  Table t{{"Severity", "Rule", "Subject", "Role", "Division", "Via", "First seen", "Resolved",
           "Time to remediate (days)"},
          {false, false, false, false, false, false, false, false, true},
          {},
          {}};
  for (const auto& r : rows) {
    const Finding& f = r.finding;
    const Named subject = SubjectNamed(f), role = RoleNamed(f), division = DivisionNamed(f);
    t.rows.push_back({SevStr(f), RuleStr(f), subject.name, role.name, division.name, ViaText(f),
                      f.first_seen, Iso(r.resolved_at_unix.value_or(0)),
                      Days(r.remediation_seconds)});
    t.ids.push_back({"", "", subject.id, role.id, division.id, "",
                     new_fps.count(f.fingerprint) ? "new" : "", "", ""});
  }
  return t;
}

Table ReachTable(const std::vector<FindingRow>& rows, const std::set<std::string>& new_fps) {
  Table t{{"Rule", "Subject", "Home tenant", "Role", "Division", "Via", "State", "First seen",
           "Changed by"},
          std::vector<bool>(9, false),
          {},
          {}};
  for (const auto& r : rows) {
    const Finding& f = r.finding;
    const Named subject = SubjectNamed(f), role = RoleNamed(f), division = DivisionNamed(f);
    t.rows.push_back({RuleStr(f), subject.name, f.home_tenant.value_or("-"), role.name,
                      division.name, ViaText(f), StateWithNew(f, new_fps), f.first_seen,
                      ChangedByText(f)});
    t.ids.push_back({"", subject.id, "", role.id, division.id, "", "", "", ""});
  }
  return t;
}

// Org-wide permissions that reach the tenant: holder, role, permissions, path.
Table OrgWidePermissionTable(const std::vector<FindingRow>& rows,
                             const std::set<std::string>& new_fps) {
  Table t{{"Holder", "Home tenant", "Role", "Permissions", "Path", "State", "First seen"},
          std::vector<bool>(7, false),
          {},
          {}};
  for (const auto& r : rows) {
    const Finding& f = r.finding;
    const Named subject = SubjectNamed(f), role = RoleNamed(f);
    if (f.rule == Rule::kGrantGuardrailOff) {
      t.rows.push_back({subject.name, "-", "any role holding authorization:grant:add",
                        "grant any role on any division (division-aware role management is off)",
                        "organisation setting", StateWithNew(f, new_fps), f.first_seen});
      t.ids.push_back({subject.id, "", "", "", "", "", ""});
      continue;
    }
    std::string path = ViaText(f) + " on " + Join(f.divisions, ", ");
    t.rows.push_back({subject.name, f.home_tenant.value_or("-"), role.name,
                      Join(f.permissions, ", "), path, StateWithNew(f, new_fps), f.first_seen});
    t.ids.push_back({subject.id, "", role.id, "", "", "", ""});
  }
  return t;
}

Table NewTable(const std::vector<FindingRow>& rows) {
  Table t{{"State", "Severity", "Rule", "Subject", "Role", "Division", "Via", "First seen",
           "Changed by"},
          std::vector<bool>(9, false),
          {},
          {}};
  for (const auto& r : rows) {
    const Finding& f = r.finding;
    const Named subject = SubjectNamed(f), role = RoleNamed(f), division = DivisionNamed(f);
    t.rows.push_back({StateName(f), SevStr(f), RuleStr(f), subject.name, role.name, division.name,
                      ViaText(f), f.first_seen, ChangedByText(f)});
    t.ids.push_back({"", "", "", subject.id, role.id, division.id, "", "", ""});
  }
  return t;
}

Table ExceptionTable(const std::vector<ExceptionRow>& rows) {
  Table t{{"Status", "Rule", "Subject id", "Role id", "Division id", "Owner", "Reason", "Expires",
           "Matched", "Suppressed"},
          {false, false, false, false, false, false, false, false, true, true},
          {},
          {}};
  for (const auto& e : rows) {
    std::string status = e.active ? "in force" : "expired";
    if (!e.configured) status += " (not in current policy)";
    t.rows.push_back(
        {status, e.rule.empty() ? "-" : e.rule, e.subject_id.empty() ? "-" : e.subject_id,
         e.role_id.empty() ? "any" : e.role_id, e.division_id.empty() ? "any" : e.division_id,
         e.owner, e.reason, e.expires, std::to_string(e.matched), std::to_string(e.suppressed)});
  }
  return t;
}

Table SummaryTable(const ReportData& d) {
  Table t{{"Rule", "Severity", "Open", "Suppressed", "Resolved in period"},
          {false, false, true, true, true},
          {},
          {}};
  int64_t open = 0, supp = 0, res = 0;
  for (const auto& c : d.by_rule) {
    t.rows.push_back({std::string(audit::RuleName(c.rule)),
                      std::string(audit::SeverityName(c.severity)), std::to_string(c.open),
                      std::to_string(c.suppressed), std::to_string(c.resolved_in_period)});
    open += c.open;
    supp += c.suppressed;
    res += c.resolved_in_period;
  }
  t.rows.push_back({"total", "", std::to_string(open), std::to_string(supp), std::to_string(res)});
  return t;
}

Table DailyTable(const ReportData& d) {
  Table t{{"Date", "Open", "Suppressed", "Opened", "Resolved", "Complete sweeps"},
          {false, true, true, true, true, true},
          {},
          {}};
  // The days before the first complete sweep have no data: one line instead of one row each.
  size_t first = 0;
  while (first < d.daily.size() && !d.daily[first].has_data) ++first;
  if (first > 0 && first < d.daily.size()) {
    t.rows.push_back({"no sweeps before " + d.daily[first].date, "", "", "", "", ""});
  }
  for (size_t i = first < d.daily.size() ? first : 0; i < d.daily.size(); ++i) {
    const DayRow& day = d.daily[i];
    t.rows.push_back({day.date, day.has_data ? std::to_string(day.open) : "",
                      day.has_data ? std::to_string(day.suppressed) : "",
                      std::to_string(day.opened), std::to_string(day.resolved),
                      std::to_string(day.complete_sweeps)});
  }
  return t;
}

// ---- conversation evidence (issue 15) ----

std::string EvidenceStatusText(EvidenceStatus s) {
  return std::string(audit::EvidenceStatusName(s));
}

std::string IsoMs(int64_t ms) {
  return audit::FormatIsoMillis(SystemTime(std::chrono::milliseconds(ms)));
}

// What the evidence section can and cannot say: never an empty list that reads as "none".
std::string EvidenceNote(const EvidenceSection& e) {
  const std::string until = e.read_until_ms ? IsoMs(*e.read_until_ms) : "";
  std::string note;
  switch (e.status) {
    case EvidenceStatus::kDisabled:
      return "Not collected: conversation evidence is off ([evidence] conversations). This "
             "report cannot say whether any conversation touched this tenant and another.";
    case EvidenceStatus::kUnavailable:
      note =
          "Unavailable: as of this report's sweep, the last attempt to read conversations was "
          "refused the analytics conversation details (the OAuth client needs "
          "analytics:conversationDetail:view). Conversations recorded before are listed; others "
          "may have touched another tenant unseen.";
      break;
    case EvidenceStatus::kNotRead:
      note = "Not read yet: no sweep has read the conversations of this period" +
             (until.empty() ? std::string(".") : " (read up to " + until + ").");
      break;
    case EvidenceStatus::kPartial:
      note = "Read up to " + until +
             ": conversations that started later in the period are not read yet.";
      break;
    case EvidenceStatus::kCollected:
      note = "Every conversation that started in the period was read (up to " + until + ").";
      break;
  }
  note += " " + std::to_string(e.total) +
          " conversations that started in the period touched this tenant and another";
  if (e.total > static_cast<int64_t>(e.conversations.size())) {
    note += "; the newest " + std::to_string(e.conversations.size()) + " are listed";
  }
  return note + ". Ids and times only.";
}

std::vector<std::string> OtherTenants(const audit::ConversationEvidence& c,
                                      const std::string& tenant) {
  std::vector<std::string> out;
  for (const std::string& t : c.tenants) {
    if (t != tenant) out.push_back(t);
  }
  return out;
}

Table EvidenceTable(const ReportData& d) {
  Table t{{"Conversation", "Start", "End", "Other tenants", "Divisions", "Queues", "Users"},
          std::vector<bool>(7, false),
          {},
          {}};
  for (const audit::ConversationEvidence& e : d.evidence.conversations) {
    const audit::Conversation& c = e.conversation;
    t.rows.push_back({c.id, audit::FormatIsoMillis(c.start),
                      c.end ? audit::FormatIsoMillis(*c.end) : "not ended",
                      Join(OtherTenants(e, d.tenant), ", "), Join(c.division_ids, ", "),
                      Join(c.queue_ids, ", "), Join(c.user_ids, ", ")});
  }
  return t;
}

// ---- HTML ----

constexpr std::string_view kCss = R"css(
@page { size: A4; margin: 14mm 10mm; }
body { font-family: "Helvetica Neue", Arial, sans-serif; font-size: 10pt; color: #111;
  max-width: 1100px; margin: 0 auto; padding: 12px; }
h1 { font-size: 17pt; margin: 0 0 4px 0; }
h2 { font-size: 13pt; border-bottom: 1px solid #888; margin: 22px 0 6px 0; }
p.note { color: #444; margin: 2px 0 6px 0; }
dl.meta { display: grid; grid-template-columns: max-content auto; gap: 2px 14px; margin: 8px 0; }
dl.meta dt { font-weight: bold; }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 10px 0; }
th, td { border: 1px solid #bbb; padding: 2px 4px; text-align: left; vertical-align: top;
  overflow-wrap: break-word; }
th { background: #e8e8e8; }
td.n, th.n { text-align: right; white-space: nowrap; }
thead { display: table-header-group; }
tfoot { display: table-footer-group; }
tr { page-break-inside: avoid; break-inside: avoid; }
tr.total td { font-weight: bold; }
.empty { color: #666; font-style: italic; }
.chart { width: 100%; max-width: 760px; height: auto; }
span.id { font-size: 7.5pt; color: #666; word-break: break-all; overflow-wrap: anywhere; }
td { overflow-wrap: anywhere; }
.verdict { border: 2px solid; padding: 6px 10px; margin: 8px 0; }
.verdict.ok { border-color: #2a7a2a; background: #eef7ee; }
.verdict.bad { border-color: #b02020; background: #fbeeee; }
.verdict p { margin: 2px 0; }
.verdict p.v { font-size: 14pt; font-weight: bold; }
table.legend td:first-child { white-space: nowrap; font-family: monospace; }
table.sign { width: 120mm; max-width: 100%; }
table.sign th { width: 35mm; background: none; border: none; font-weight: normal;
  vertical-align: bottom; }
table.sign td { height: 10mm; border: none; border-bottom: 1px solid #333; }
table.sign td.tall { height: 24mm; }
.signoff { page-break-inside: avoid; break-inside: avoid; }
.chart text { font-size: 10px; fill: #333; }
@media print {
  body { max-width: none; padding: 0; font-size: 8pt; }
  table { table-layout: fixed; width: 100%; font-size: 7pt; }
  table.legend, table.sign { font-size: 8pt; }
  td, th { word-break: break-word; overflow-wrap: anywhere; }
  span.id { font-size: 6pt; }
  th.n { white-space: normal; }
  table.sign th { background: none !important; }
  .verdict { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2 { page-break-after: avoid; break-after: avoid; }
  table.cont { page-break-before: always; break-before: page; }
  th { background: #e8e8e8 !important; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .chart { max-width: 180mm; }
}
)css";

// Control characters, bidirectional overrides and invalid UTF-8 (NeutraliseDisplayText) are
// written as the entity &#xFFFD;.
void AppendEscaped(std::string& out, std::string_view raw) {
  std::string neutralised;
  std::string_view s = raw;
  if (!IsDisplaySafe(raw, LineBreaks::kKeep)) {
    neutralised = NeutraliseDisplayText(raw, LineBreaks::kKeep);
    s = neutralised;
  }
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        if (s.substr(i, kReplacementCharacter.size()) == kReplacementCharacter) {
          out += "&#xFFFD;";
          i += kReplacementCharacter.size() - 1;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
}

// Column widths in percent (printed tables use a fixed layout; empty: equal columns).
using Widths = std::vector<int>;
const Widths kOpenWidths{7, 6, 11, 12, 7, 9, 11, 7, 8, 10, 4, 8};
const Widths kReachWidths{13, 15, 7, 11, 13, 10, 8, 10, 13};
const Widths kResolvedWidths{7, 12, 15, 12, 13, 10, 11, 11, 9};
const Widths kNewWidths{7, 7, 12, 16, 12, 13, 10, 11, 12};
const Widths kExceptionWidths{9, 12, 12, 11, 10, 10, 13, 8, 7, 8};
const Widths kDailyWidths{30, 14, 14, 14, 14, 14};
const Widths kEvidenceWidths{16, 11, 11, 10, 18, 16, 18};

void AppendTableHtml(std::string& out, const Table& t, std::string_view empty_text,
                     const Widths& widths = {}) {
  if (t.rows.empty()) {
    out += "<p class=\"empty\">";
    AppendEscaped(out, empty_text);
    out += "</p>\n";
    return;
  }
  std::string head;
  if (widths.size() == t.headers.size()) {
    head += "<colgroup>";
    for (int w : widths) head += "<col style=\"width: " + std::to_string(w) + "%\"/>";
    head += "</colgroup>\n";
  }
  head += "<thead><tr>";
  for (size_t c = 0; c < t.headers.size(); ++c) {
    head += t.numeric[c] ? "<th class=\"n\">" : "<th>";
    AppendEscaped(head, t.headers[c]);
    head += "</th>";
  }
  head += "</tr></thead>\n";
  for (size_t start = 0; start < t.rows.size(); start += kHtmlRowsPerTable) {
    out += start == 0 ? "<table>\n" : "<table class=\"cont\">\n";
    out += head;
    out += "<tbody>\n";
    const size_t end = std::min(t.rows.size(), start + kHtmlRowsPerTable);
    for (size_t r = start; r < end; ++r) {
      const auto& row = t.rows[r];
      out += row.size() && row[0] == "total" ? "<tr class=\"total\">" : "<tr>";
      for (size_t c = 0; c < row.size(); ++c) {
        out += t.numeric[c] ? "<td class=\"n\">" : "<td>";
        AppendEscaped(out, row[c]);
        if (r < t.ids.size() && c < t.ids[r].size() && !t.ids[r][c].empty()) {
          out += "<br/><span class=\"id\">";
          AppendEscaped(out, t.ids[r][c]);
          out += "</span>";
        }
        out += "</td>";
      }
      out += "</tr>\n";
    }
    out += "</tbody>\n</table>\n";
  }
}

std::string Fixed1(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", v);
  return buf;
}

void AppendChart(std::string& out, const ReportData& d) {
  constexpr double kW = 760, kH = 240, kLeft = 48, kRight = 12, kTop = 14, kBottom = 30;
  const double pw = kW - kLeft - kRight, ph = kH - kTop - kBottom;
  int64_t max_v = 1;
  for (const auto& day : d.daily) {
    if (day.has_data) max_v = std::max({max_v, day.open, day.suppressed});
  }
  const size_t n = d.daily.size();
  auto x = [&](size_t i) {
    return kLeft + (n <= 1 ? pw / 2 : pw * static_cast<double>(i) / static_cast<double>(n - 1));
  };
  auto y = [&](int64_t v) {
    return kTop + ph - ph * static_cast<double>(v) / static_cast<double>(max_v);
  };
  out +=
      "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 760 240\" "
      "role=\"img\" aria-label=\"Open findings per day\">\n";
  out += "<rect x=\"" + Fixed1(kLeft) + "\" y=\"" + Fixed1(kTop) + "\" width=\"" + Fixed1(pw) +
         "\" height=\"" + Fixed1(ph) + "\" fill=\"#fafafa\" stroke=\"#999\"/>\n";
  // Y axis: 0, max/2, max.
  for (int64_t v : {int64_t{0}, max_v / 2, max_v}) {
    out += "<line x1=\"" + Fixed1(kLeft) + "\" y1=\"" + Fixed1(y(v)) + "\" x2=\"" +
           Fixed1(kLeft + pw) + "\" y2=\"" + Fixed1(y(v)) + "\" stroke=\"#ddd\"/>\n";
    out += "<text x=\"" + Fixed1(kLeft - 4) + "\" y=\"" + Fixed1(y(v) + 3) +
           "\" text-anchor=\"end\">" + std::to_string(v) + "</text>\n";
  }
  // X axis: first, middle and last date.
  if (n > 0) {
    std::vector<size_t> ticks = {0};
    if (n > 2) ticks.push_back(n / 2);
    if (n > 1) ticks.push_back(n - 1);
    for (size_t i : ticks) {
      const char* anchor = i == 0 && n > 1 ? "start" : (i == n - 1 && n > 1 ? "end" : "middle");
      out += "<text x=\"" + Fixed1(x(i)) + "\" y=\"" + Fixed1(kH - 10) + "\" text-anchor=\"" +
             anchor + "\">";
      AppendEscaped(out, d.daily[i].date);
      out += "</text>\n";
    }
  }
  auto series = [&](bool open, const char* color, const char* dash) {
    std::string pts;
    for (size_t i = 0; i < n; ++i) {
      if (!d.daily[i].has_data) continue;
      if (!pts.empty()) pts += ' ';
      pts += Fixed1(x(i)) + "," + Fixed1(y(open ? d.daily[i].open : d.daily[i].suppressed));
    }
    if (pts.empty()) return;
    out += "<polyline fill=\"none\" stroke=\"" + std::string(color) + "\" stroke-width=\"2\"" +
           dash + " points=\"" + pts + "\"/>\n";
  };
  series(false, "#888", " stroke-dasharray=\"4 3\"");
  series(true, "#c0392b", "");
  for (size_t i = 0; i < n; ++i) {
    if (!d.daily[i].has_data) continue;
    out += "<circle cx=\"" + Fixed1(x(i)) + "\" cy=\"" + Fixed1(y(d.daily[i].open)) +
           "\" r=\"2.5\" fill=\"#c0392b\"><title>";
    AppendEscaped(out, d.daily[i].date + ": " + std::to_string(d.daily[i].open) + " open, " +
                           std::to_string(d.daily[i].suppressed) + " suppressed");
    out += "</title></circle>\n";
  }
  out += "<text x=\"" + Fixed1(kLeft + 6) + "\" y=\"" + Fixed1(kTop + 12) +
         "\" fill=\"#c0392b\">open</text>\n";
  out += "<text x=\"" + Fixed1(kLeft + 46) + "\" y=\"" + Fixed1(kTop + 12) +
         "\">suppressed (dashed)</text>\n";
  out += "</svg>\n";
}

void MetaRow(std::string& out, std::string_view key, std::string_view value) {
  out += "<dt>";
  AppendEscaped(out, key);
  out += "</dt><dd>";
  AppendEscaped(out, value);
  out += "</dd>\n";
}

void Heading(std::string& out, std::string_view id, std::string_view title, std::string_view note) {
  out += "<section id=\"";
  out += id;
  out += "\">\n<h2>";
  AppendEscaped(out, title);
  out += "</h2>\n";
  if (!note.empty()) {
    out += "<p class=\"note\">";
    AppendEscaped(out, note);
    out += "</p>\n";
  }
}

std::vector<std::string> DivisionNames(const ReportData& d) {
  std::vector<std::string> v;
  for (const auto& div : d.divisions) v.push_back(div.name + " (" + div.id + ")");
  return v;
}

std::string PeriodText(const ReportData& d) {
  return Iso(d.period_from) + " to " + Iso(d.period_to) + " (" + std::to_string(d.days_in_period) +
         " days)";
}

// The tenant's verdict: open (not suppressed) findings touching it as of the as-of sweep.
struct Verdict {
  int64_t open = 0;
  int64_t critical = 0;
  int64_t suppressed = 0;
  bool isolated() const { return open == 0; }
  std::string Text() const {
    if (isolated()) return "Isolated: no open findings";
    return "Not isolated: " + std::to_string(open) +
           (open == 1 ? " open finding (" : " open findings (") + std::to_string(critical) +
           " critical)";
  }
};

Verdict VerdictOf(const ReportData& d) {
  Verdict v;
  for (const auto& r : d.open_findings) {
    if (r.finding.state == FindingState::kSuppressed) {
      ++v.suppressed;
    } else if (r.finding.state == FindingState::kOpen) {
      ++v.open;
      if (r.finding.severity == audit::Severity::kCritical) ++v.critical;
    }
  }
  return v;
}

std::string LastSweepText(const ReportData& d) {
  return "#" + std::to_string(d.as_of_sweep_id) + " started " + Iso(d.as_of_sweep_started);
}

void AppendVerdict(std::string& out, const ReportData& d) {
  const Verdict v = VerdictOf(d);
  out += v.isolated() ? "<div class=\"verdict ok\">\n<p class=\"v\">"
                      : "<div class=\"verdict bad\">\n<p class=\"v\">";
  AppendEscaped(out, v.Text());
  out += "</p>\n<p>";
  AppendEscaped(out, "Tenant " + d.tenant + ", period " + PeriodText(d) + "; last complete sweep " +
                         LastSweepText(d) + ".");
  if (v.suppressed > 0) {
    AppendEscaped(out, " " + std::to_string(v.suppressed) +
                           (v.suppressed == 1 ? " further finding is" : " further findings are") +
                           " suppressed by documented exceptions.");
  }
  out += "</p>\n</div>\n";
}

// Plain-language meaning of each rule and state, for readers who do not know the rule ids.
void AppendLegend(std::string& out) {
  static constexpr std::array<std::array<std::string_view, 3>, 11> kLegend{{
      {"all_divisions", "critical",
       "Someone holds a role on All Divisions, so it applies to every tenant's data."},
      {"cross_tenant", "high",
       "A user who belongs to one tenant holds a role on a division of another tenant."},
      {"multi_tenant_subject", "high",
       "A group, client, or user without a home tenant holds roles in the divisions of two or "
       "more tenants."},
      {"unmapped_division", "medium",
       "A division in use is not assigned to any tenant, so nobody can say whose data it holds."},
      {"orphaned_grant", "low",
       "A role grant names a division that does not exist (left over after a deletion)."},
      {"grant_guardrail_off", "critical",
       "Division-aware role management is off: anyone allowed to grant roles can grant any role "
       "on any division, every tenant's included."},
      {"org_wide_permission", "high",
       "A role carries permissions that Genesys Cloud does not limit by division, so it acts on "
       "every tenant whatever division it was granted on."},
      {"cross_tenant_queue", "high",
       "A user of one tenant is a member (directly or through a group) of a queue of another "
       "tenant, so they can answer its conversations."},
      {"open", "state", "The problem exists at the last complete sweep and needs action."},
      {"suppressed", "state",
       "The problem exists but is accepted by a documented exception (owner, reason, expiry)."},
      {"resolved", "state", "A later complete sweep no longer found the problem."},
  }};
  out +=
      "<section id=\"legend\">\n<h2>What the rules mean</h2>\n<table class=\"legend\">\n"
      "<colgroup><col style=\"width: 24%\"/><col style=\"width: 10%\"/><col style=\"width: 66%\"/>"
      "</colgroup>\n<thead><tr><th>Rule or "
      "state</th><th>Severity</th><th>Meaning</th></tr></thead>\n"
      "<tbody>\n";
  for (const auto& [name, severity, meaning] : kLegend) {
    out += "<tr><td>";
    AppendEscaped(out, name);
    out += "</td><td>";
    AppendEscaped(out, severity == "state" ? "" : severity);
    out += "</td><td>";
    AppendEscaped(out, meaning);
    out += "</td></tr>\n";
  }
  out += "</tbody>\n</table>\n</section>\n";
}

// Lines a reviewer fills in by hand on the printed report.
void AppendSignOff(std::string& out) {
  out +=
      "<section id=\"signoff\" class=\"signoff\">\n<h2>Review and sign-off</h2>\n"
      "<p class=\"note\">I have reviewed this report and the findings above.</p>\n"
      "<table class=\"sign\">\n<tbody>\n"
      "<tr><th>Reviewer name</th><td></td></tr>\n"
      "<tr><th>Role</th><td></td></tr>\n"
      "<tr><th>Date</th><td></td></tr>\n"
      "<tr><th>Signature</th><td></td></tr>\n"
      "<tr><th>Comments</th><td class=\"tall\"></td></tr>\n"
      "</tbody>\n</table>\n</section>\n";
}

std::vector<FindingRow> Without(const std::vector<FindingRow>& rows,
                                const std::set<std::string>& fps) {
  std::vector<FindingRow> out;
  for (const auto& r : rows) {
    if (!fps.count(r.finding.fingerprint)) out.push_back(r);
  }
  return out;
}

std::set<std::string> Fingerprints(const std::vector<FindingRow>& rows) {
  std::set<std::string> out;
  for (const auto& r : rows) out.insert(r.finding.fingerprint);
  return out;
}

// ---- CSV ----

std::string CsvTable(const std::vector<std::string>& headers,
                     const std::vector<std::vector<std::string>>& rows) {
  std::string out;
  auto line = [&out](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i) out += ',';
      out += CsvCell(cells[i]);
    }
    out += "\r\n";
  };
  line(headers);
  for (const auto& r : rows) line(r);
  return out;
}

const std::vector<std::string> kFindingCsvHeaders = {"fingerprint",
                                                     "rule",
                                                     "severity",
                                                     "state",
                                                     "subject_type",
                                                     "subject_id",
                                                     "subject_name",
                                                     "home_division_id",
                                                     "home_division_name",
                                                     "home_tenant",
                                                     "role_id",
                                                     "role_name",
                                                     "division_id",
                                                     "division_name",
                                                     "tenant",
                                                     "tenants",
                                                     "via_type",
                                                     "via_id",
                                                     "via_name",
                                                     "first_seen",
                                                     "age_days",
                                                     "exception_owner",
                                                     "exception_reason",
                                                     "exception_expires",
                                                     "permissions",
                                                     "divisions",
                                                     "changed_by_actor_type",
                                                     "changed_by_actor_id",
                                                     "changed_by_actor_name",
                                                     "changed_by_at",
                                                     "queue_id",
                                                     "queue_name",
                                                     "queue_division_id",
                                                     "queue_division_name",
                                                     "queue_member_groups"};

// "TYPE:id:name" per member group, ;-joined.
std::string QueueGroupCsv(const audit::QueueRef& q) {
  std::vector<std::string> groups;
  for (const audit::QueueMemberGroup& g : q.member_groups) {
    groups.push_back(g.type + ":" + g.id + ":" + g.name);
  }
  return Join(groups, ";");
}

std::vector<std::string> FindingCsvRow(const FindingRow& r) {
  const Finding& f = r.finding;
  return {f.fingerprint,
          RuleStr(f),
          SevStr(f),
          StateName(f),
          f.subject ? std::string(audit::SubjectTypeName(f.subject->type)) : "",
          f.subject ? f.subject->id : "",
          f.subject ? f.subject->name : "",
          f.home_division ? f.home_division->id : "",
          f.home_division ? f.home_division->name : "",
          f.home_tenant.value_or(""),
          f.role ? f.role->id : "",
          f.role ? f.role->name : "",
          f.division ? f.division->id : "",
          f.division ? f.division->name : "",
          f.tenant.value_or(""),
          Join(f.tenants, ";"),
          f.via ? (f.via->direct ? "direct" : "group") : "",
          f.via ? f.via->group_id : "",
          f.via ? f.via->group_name : "",
          f.first_seen,
          std::to_string(r.age_days),
          f.exception ? f.exception->owner : "",
          f.exception ? f.exception->reason : "",
          f.exception ? f.exception->expires : "",
          Join(f.permissions, ";"),
          Join(f.divisions, ";"),
          f.changed_by ? f.changed_by->actor_type : "",
          f.changed_by ? f.changed_by->actor_id : "",
          f.changed_by ? f.changed_by->actor_name : "",
          f.changed_by ? f.changed_by->at : "",
          f.queue ? f.queue->id : "",
          f.queue ? f.queue->name : "",
          f.queue ? f.queue->division.id : "",
          f.queue ? f.queue->division.name : "",
          f.queue ? QueueGroupCsv(*f.queue) : ""};
}

std::string FindingsCsv(const std::vector<FindingRow>& rows) {
  std::vector<std::vector<std::string>> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(FindingCsvRow(r));
  return CsvTable(kFindingCsvHeaders, out);
}

// ---- JSON ----

void FindingJson(JsonWriter& w, const FindingRow& r) {
  w.BeginObject();
  audit::WriteFindingFields(w, r.finding, "");
  w.Field("age_days", r.age_days);
  if (r.resolved_at_unix) {
    w.Field("resolved_at", Iso(*r.resolved_at_unix));
    w.Field("time_to_remediate_seconds", r.remediation_seconds);
  }
  w.EndObject();
}

void FindingsJson(JsonWriter& w, std::string_view key, const std::vector<FindingRow>& rows) {
  w.Key(key).BeginArray();
  for (const auto& r : rows) FindingJson(w, r);
  w.EndArray();
}

}  // namespace

std::string HtmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  AppendEscaped(out, s);
  return out;
}

std::string RenderHtml(const ReportData& d) {
  std::string out;
  out.reserve(4096 + 400 * (d.open_findings.size() + d.resolved_findings.size() + d.reach.size() +
                            d.new_findings.size()));
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n";
  out += "<meta name=\"generator\" content=\"divaudit\"/>\n<title>";
  AppendEscaped(out, "Tenant isolation report: " + d.tenant + " (" + d.org_name + ")");
  out += "</title>\n<style>";
  out += kCss;
  out += "</style>\n</head>\n<body>\n<header>\n<h1>Tenant isolation compliance report</h1>\n";
  AppendVerdict(out, d);
  out += "<dl class=\"meta\">\n";
  MetaRow(out, "Organisation", d.org_name);
  MetaRow(out, "Tenant", d.tenant);
  MetaRow(out, "Divisions",
          d.divisions.empty() ? "(none at the as-of sweep)" : Join(DivisionNames(d), ", "));
  MetaRow(out, "Period", PeriodText(d));
  MetaRow(out, "Report time", Iso(d.generated_at));
  MetaRow(out, "Rule-set version", std::to_string(d.rule_set_version));
  MetaRow(out, "As of sweep",
          "#" + std::to_string(d.as_of_sweep_id) + " started " + Iso(d.as_of_sweep_started) +
              " (last complete sweep)");
  MetaRow(out, "Chain hash", d.as_of_sweep_hash);
  MetaRow(out, "Sweeps in period",
          std::to_string(d.sweeps.run) + " run: " + std::to_string(d.sweeps.complete) +
              " complete, " + std::to_string(d.sweeps.partial) + " partial, " +
              std::to_string(d.sweeps.failed) + " failed");
  MetaRow(out, "Coverage",
          std::to_string(d.days_with_complete_sweep) + " of " + std::to_string(d.days_in_period) +
              " days with a complete sweep; longest gap without one: " +
              HumanDuration(d.longest_gap_seconds) + " (" + Iso(d.longest_gap_from) + " to " +
              Iso(d.longest_gap_to) + ")");
  out += "</dl>\n</header>\n";
  AppendLegend(out);

  // Each finding is listed once: reach findings only in the reach table, the other open ones in
  // the open table, resolved ones in the resolved table; "new" is a mark in those tables, and
  // the new table lists only new findings none of them shows.
  const std::set<std::string> new_fps = Fingerprints(d.new_findings);
  std::set<std::string> reach_fps = Fingerprints(d.reach);
  for (const auto& r : d.org_wide_permissions) reach_fps.insert(r.finding.fingerprint);
  const std::vector<FindingRow> other_open = Without(d.open_findings, reach_fps);
  std::set<std::string> shown = reach_fps;
  for (const auto& r : d.open_findings) shown.insert(r.finding.fingerprint);
  for (const auto& r : d.resolved_findings) shown.insert(r.finding.fingerprint);
  const std::vector<FindingRow> new_only = Without(d.new_findings, shown);

  Heading(out, "summary", "Summary",
          "Findings touching this tenant as of the as-of sweep, by rule; resolved = resolved by a "
          "complete sweep within the period.");
  AppendTableHtml(out, SummaryTable(d), "");
  out += "<h3>Who can reach this tenant's divisions</h3>\n";
  out +=
      "<p class=\"note\">All Divisions holders, users of other tenants (cross_tenant) and "
      "subjects spanning several tenants (multi_tenant_subject), open or suppressed.</p>\n";
  AppendTableHtml(out, ReachTable(d.reach, new_fps),
                  "Nobody outside the tenant can reach its divisions.", kReachWidths);
  out += "<h3>Org-wide permissions that reach this tenant</h3>\n";
  out +=
      "<p class=\"note\">Roles whose permissions Genesys Cloud does not scope by division act on "
      "every tenant, whatever division they are granted on; with division-aware role management "
      "off, any holder of authorization:grant:add can grant any role anywhere. Open or "
      "suppressed.</p>\n";
  AppendTableHtml(out, OrgWidePermissionTable(d.org_wide_permissions, new_fps),
                  "No org-wide permission reaches this tenant.");
  out += "</section>\n";

  Heading(out, "evidence", "Conversations that touched another tenant", EvidenceNote(d.evidence));
  const bool read = d.evidence.status == EvidenceStatus::kCollected ||
                    d.evidence.status == EvidenceStatus::kPartial;
  AppendTableHtml(out, EvidenceTable(d),
                  read ? "None of the conversations read touched this tenant and another."
                       : "No conversations listed: see the note above.",
                  kEvidenceWidths);
  out += "</section>\n";

  Heading(out, "daily", "Daily open findings",
          "Open findings after the last complete sweep of each day (carried over on days "
          "without one).");
  AppendChart(out, d);
  AppendTableHtml(out, DailyTable(d), "", kDailyWidths);
  out += "</section>\n";

  Heading(out, "open", "Open and suppressed findings",
          std::to_string(d.open_findings.size()) + " findings; " +
              std::to_string(d.open_findings.size() - other_open.size()) +
              " of them are listed under \"Who can reach\" above and not repeated here. Age "
              "counted to the period end.");
  AppendTableHtml(out, OpenTable(other_open, true, new_fps),
                  d.open_findings.empty() ? "No open findings."
                                          : "No open findings other than those listed above.",
                  kOpenWidths);
  out += "</section>\n";

  Heading(out, "resolved", "Resolved in the period",
          std::to_string(d.resolved_findings.size()) +
              " findings; time to remediate = resolved - first seen.");
  AppendTableHtml(out, ResolvedTable(d.resolved_findings, new_fps),
                  "No findings resolved in the period.", kResolvedWidths);
  out += "</section>\n";

  Heading(out, "new", "New findings",
          std::to_string(d.new_findings.size()) + " findings first seen within the last " +
              Days(d.new_window_seconds) +
              " days of the period (the report interval); those listed above are marked \"new\" "
              "there and not repeated here.");
  AppendTableHtml(out, NewTable(new_only),
                  d.new_findings.empty() ? "No new findings."
                                         : "All new findings are listed (marked \"new\") above.",
                  kNewWidths);
  out += "</section>\n";

  Heading(out, "exceptions", "Exceptions",
          "Exceptions that match a finding of this tenant, in force or expired at the period "
          "end.");
  AppendTableHtml(out, ExceptionTable(d.exceptions), "No exceptions apply to this tenant.",
                  kExceptionWidths);
  out += "</section>\n";

  Heading(out, "orgwide", "Org-wide findings (no tenant)",
          "Unmapped divisions and orphaned grants of subjects without a home tenant: they belong "
          "to no tenant and appear in every tenant's report.");
  AppendTableHtml(out, OpenTable(d.org_wide_findings, true), "No org-wide findings.", kOpenWidths);
  out += "</section>\n";
  AppendSignOff(out);
  out += "</body>\n</html>\n";
  return out;
}

std::map<std::string, std::string> RenderCsv(const ReportData& d) {
  std::map<std::string, std::string> files;
  files["header.csv"] = CsvTable(
      {"field", "value"}, {{"org", d.org_name},
                           {"tenant", d.tenant},
                           {"divisions", Join(DivisionNames(d), ";")},
                           {"period_from", Iso(d.period_from)},
                           {"period_to", Iso(d.period_to)},
                           {"generated_at", Iso(d.generated_at)},
                           {"rule_set_version", std::to_string(d.rule_set_version)},
                           {"as_of_sweep_id", std::to_string(d.as_of_sweep_id)},
                           {"as_of_sweep_started", Iso(d.as_of_sweep_started)},
                           {"as_of_sweep_hash", d.as_of_sweep_hash},
                           {"sweeps_run", std::to_string(d.sweeps.run)},
                           {"sweeps_complete", std::to_string(d.sweeps.complete)},
                           {"sweeps_partial", std::to_string(d.sweeps.partial)},
                           {"sweeps_failed", std::to_string(d.sweeps.failed)},
                           {"days_in_period", std::to_string(d.days_in_period)},
                           {"days_with_complete_sweep", std::to_string(d.days_with_complete_sweep)},
                           {"longest_gap_seconds", std::to_string(d.longest_gap_seconds)},
                           {"longest_gap_from", Iso(d.longest_gap_from)},
                           {"longest_gap_to", Iso(d.longest_gap_to)},
                           {"new_window_seconds", std::to_string(d.new_window_seconds)},
                           {"evidence_status", EvidenceStatusText(d.evidence.status)},
                           {"verdict", VerdictOf(d).Text()}});
  {
    const EvidenceSection& e = d.evidence;
    files["evidence.csv"] = CsvTable(
        {"field", "value"}, {{"status", EvidenceStatusText(e.status)},
                             {"note", EvidenceNote(e)},
                             {"read_until", e.read_until_ms ? IsoMs(*e.read_until_ms) : ""},
                             {"conversations_in_period", std::to_string(e.total)},
                             {"conversations_listed", std::to_string(e.conversations.size())},
                             {"limit", std::to_string(e.limit)}});
    std::vector<std::vector<std::string>> rows;
    for (const audit::ConversationEvidence& c : e.conversations) {
      const audit::Conversation& v = c.conversation;
      rows.push_back({v.id, audit::FormatIsoMillis(v.start),
                      v.end ? audit::FormatIsoMillis(*v.end) : "", Join(c.tenants, ";"),
                      Join(OtherTenants(c, d.tenant), ";"), Join(v.division_ids, ";"),
                      Join(v.queue_ids, ";"), Join(v.user_ids, ";")});
    }
    files["conversations.csv"] =
        CsvTable({"conversation_id", "start", "end", "tenants", "other_tenants", "division_ids",
                  "queue_ids", "user_ids"},
                 rows);
  }
  {
    Table t = SummaryTable(d);
    files["summary.csv"] =
        CsvTable({"rule", "severity", "open", "suppressed", "resolved_in_period"}, t.rows);
  }
  files["reach.csv"] = FindingsCsv(d.reach);
  files["open_findings.csv"] = FindingsCsv(d.open_findings);
  files["new_findings.csv"] = FindingsCsv(d.new_findings);
  files["org_wide_findings.csv"] = FindingsCsv(d.org_wide_findings);
  files["org_wide_permissions.csv"] = FindingsCsv(d.org_wide_permissions);
  {
    std::vector<std::string> headers = kFindingCsvHeaders;
    headers.push_back("resolved_at");
    headers.push_back("time_to_remediate_seconds");
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : d.resolved_findings) {
      auto row = FindingCsvRow(r);
      row.push_back(Iso(r.resolved_at_unix.value_or(0)));
      row.push_back(std::to_string(r.remediation_seconds));
      rows.push_back(std::move(row));
    }
    files["resolved_findings.csv"] = CsvTable(headers, rows);
  }
  {
    std::vector<std::vector<std::string>> rows;
    for (const auto& e : d.exceptions) {
      rows.push_back({e.active ? "active" : "expired", e.configured ? "true" : "false", e.rule,
                      e.subject_id, e.role_id, e.division_id, e.owner, e.reason, e.expires,
                      std::to_string(e.matched), std::to_string(e.suppressed)});
    }
    files["exceptions.csv"] =
        CsvTable({"status", "configured", "rule", "subject_id", "role_id", "division_id", "owner",
                  "reason", "expires", "matched", "suppressed"},
                 rows);
  }
  {
    std::vector<std::vector<std::string>> rows;
    for (const auto& day : d.daily) {
      rows.push_back({day.date, day.has_data ? std::to_string(day.open) : "",
                      day.has_data ? std::to_string(day.suppressed) : "",
                      std::to_string(day.opened), std::to_string(day.resolved),
                      std::to_string(day.complete_sweeps)});
    }
    files["daily_open.csv"] =
        CsvTable({"date", "open", "suppressed", "opened", "resolved", "complete_sweeps"}, rows);
  }
  return files;
}

std::string RenderJson(const ReportData& d) {
  JsonWriter w(/*pretty=*/true);
  w.BeginObject();
  w.Field("schema", "divaudit.report/1");
  w.Field("org", d.org_name);
  w.Field("tenant", d.tenant);
  w.Key("divisions").BeginArray();
  for (const auto& div : d.divisions) {
    w.BeginObject().Field("id", div.id).Field("name", div.name).EndObject();
  }
  w.EndArray();
  w.Key("period")
      .BeginObject()
      .Field("from", Iso(d.period_from))
      .Field("to", Iso(d.period_to))
      .Field("days", d.days_in_period)
      .EndObject();
  w.Field("generated_at", Iso(d.generated_at));
  w.Field("rule_set_version", d.rule_set_version);
  w.Key("as_of_sweep")
      .BeginObject()
      .Field("id", d.as_of_sweep_id)
      .Field("started_at", Iso(d.as_of_sweep_started))
      .Field("content_hash", d.as_of_sweep_hash)
      .EndObject();
  w.Key("sweeps")
      .BeginObject()
      .Field("run", d.sweeps.run)
      .Field("complete", d.sweeps.complete)
      .Field("partial", d.sweeps.partial)
      .Field("failed", d.sweeps.failed)
      .EndObject();
  w.Key("coverage")
      .BeginObject()
      .Field("days_in_period", d.days_in_period)
      .Field("days_with_complete_sweep", d.days_with_complete_sweep)
      .Key("longest_gap")
      .BeginObject()
      .Field("from", Iso(d.longest_gap_from))
      .Field("to", Iso(d.longest_gap_to))
      .Field("seconds", d.longest_gap_seconds)
      .EndObject()
      .EndObject();
  w.Field("new_window_seconds", d.new_window_seconds);
  {
    const Verdict v = VerdictOf(d);
    w.Key("verdict")
        .BeginObject()
        .Field("isolated", v.isolated())
        .Field("text", v.Text())
        .Field("open", v.open)
        .Field("critical_open", v.critical)
        .Field("suppressed", v.suppressed)
        .EndObject();
  }

  w.Key("summary").BeginObject();
  w.Key("by_rule").BeginArray();
  int64_t open = 0, supp = 0, res = 0;
  std::map<audit::Severity, std::array<int64_t, 3>> by_sev;
  for (const auto& c : d.by_rule) {
    w.BeginObject()
        .Field("rule", audit::RuleName(c.rule))
        .Field("severity", audit::SeverityName(c.severity))
        .Field("open", c.open)
        .Field("suppressed", c.suppressed)
        .Field("resolved_in_period", c.resolved_in_period)
        .EndObject();
    open += c.open;
    supp += c.suppressed;
    res += c.resolved_in_period;
    auto& s = by_sev[c.severity];
    s[0] += c.open;
    s[1] += c.suppressed;
    s[2] += c.resolved_in_period;
  }
  w.EndArray();
  w.Key("by_severity").BeginArray();
  for (const auto& [sev, n] : by_sev) {
    w.BeginObject()
        .Field("severity", audit::SeverityName(sev))
        .Field("open", n[0])
        .Field("suppressed", n[1])
        .Field("resolved_in_period", n[2])
        .EndObject();
  }
  w.EndArray();
  w.Key("totals")
      .BeginObject()
      .Field("open", open)
      .Field("suppressed", supp)
      .Field("resolved_in_period", res)
      .EndObject();
  w.EndObject();

  FindingsJson(w, "reach", d.reach);
  FindingsJson(w, "open_findings", d.open_findings);
  FindingsJson(w, "resolved_findings", d.resolved_findings);
  FindingsJson(w, "new_findings", d.new_findings);
  FindingsJson(w, "org_wide_permissions", d.org_wide_permissions);
  w.Key("exceptions").BeginArray();
  for (const auto& e : d.exceptions) {
    w.BeginObject()
        .Field("status", e.active ? "active" : "expired")
        .Field("configured", e.configured);
    auto opt = [&w](std::string_view k, const std::string& v) {
      w.Key(k);
      if (v.empty()) {
        w.Null();
      } else {
        w.String(v);
      }
    };
    opt("rule", e.rule);
    opt("subject_id", e.subject_id);
    opt("role_id", e.role_id);
    opt("division_id", e.division_id);
    w.Field("owner", e.owner).Field("reason", e.reason).Field("expires", e.expires);
    w.Field("matched", e.matched).Field("suppressed", e.suppressed);
    w.EndObject();
  }
  w.EndArray();
  FindingsJson(w, "org_wide_findings", d.org_wide_findings);
  w.Key("daily").BeginArray();
  for (const auto& day : d.daily) {
    w.BeginObject().Field("date", day.date);
    w.Key("open");
    if (day.has_data) {
      w.Int(day.open);
    } else {
      w.Null();
    }
    w.Key("suppressed");
    if (day.has_data) {
      w.Int(day.suppressed);
    } else {
      w.Null();
    }
    w.Field("opened", day.opened)
        .Field("resolved", day.resolved)
        .Field("complete_sweeps", day.complete_sweeps)
        .EndObject();
  }
  w.EndArray();
  {
    const EvidenceSection& e = d.evidence;
    w.Key("evidence").BeginObject();
    w.Field("status", EvidenceStatusText(e.status)).Field("note", EvidenceNote(e));
    w.Key("read_until");
    if (e.read_until_ms) {
      w.String(IsoMs(*e.read_until_ms));
    } else {
      w.Null();
    }
    w.Field("conversations_in_period", e.total).Field("limit", e.limit);
    w.Key("conversations").BeginArray();
    for (const audit::ConversationEvidence& c : e.conversations) {
      const audit::Conversation& v = c.conversation;
      w.BeginObject()
          .Field("conversation_id", v.id)
          .Field("start", audit::FormatIsoMillis(v.start));
      w.Key("end");
      if (v.end) {
        w.String(audit::FormatIsoMillis(*v.end));
      } else {
        w.Null();
      }
      auto strings = [&w](std::string_view key, const std::vector<std::string>& values) {
        w.Key(key).BeginArray();
        for (const std::string& x : values) w.String(x);
        w.EndArray();
      };
      strings("tenants", c.tenants);
      strings("other_tenants", OtherTenants(c, d.tenant));
      strings("division_ids", v.division_ids);
      strings("queue_ids", v.queue_ids);
      strings("user_ids", v.user_ids);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndObject();
  std::string out = w.Take();
  out += '\n';
  return out;
}

}  // namespace divaudit::report
