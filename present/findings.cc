#include "present/findings.h"

#include <algorithm>

#include "audit/findings_document.h"
#include "common/display_text.h"
#include "common/json_writer.h"
#include "common/time_util.h"
#include "present/csv.h"

namespace divaudit::present {
namespace {

using audit::Finding;

std::string SubjectText(const Finding& f) {
  if (!f.subject) return "";
  std::string s(audit::SubjectTypeName(f.subject->type));
  s += ":";
  s += f.subject->name.empty() ? f.subject->id : f.subject->name;
  return s;
}
std::string RefText(const std::optional<audit::NamedRef>& r) {
  if (!r) return "";
  if (r->id == audit::kAllDivisionsId) return "* (All Divisions)";
  return r->name.empty() ? r->id : r->name;
}
std::string ViaText(const Finding& f) {
  if (!f.via) return "";
  if (f.via->direct) return "direct";
  return "group:" + (f.via->group_name.empty() ? f.via->group_id : f.via->group_name);
}
std::string TenantText(const Finding& f) {
  if (f.tenant) return *f.tenant;
  std::string out;
  for (const auto& t : f.tenants) out += (out.empty() ? "" : ", ") + t;
  return out;
}

std::string Joined(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : std::string(sep)) + item;
  return out;
}
// DIVISION of the table: the divisions of an org_wide_permission path, a queue's division.
std::string DivisionText(const Finding& f) {
  if (f.division) return RefText(f.division);
  if (!f.divisions.empty()) return Joined(f.divisions, ",");
  if (f.queue)
    return f.queue->division.name.empty() ? f.queue->division.id : f.queue->division.name;
  return "";
}
// DETAIL of the table: what a v2 finding adds (the org-wide permissions, the queue).
std::string DetailText(const Finding& f) {
  if (!f.permissions.empty()) return Joined(f.permissions, ",");
  if (f.queue) return "queue:" + (f.queue->name.empty() ? f.queue->id : f.queue->name);
  return "";
}
std::string ChangedByText(const Finding& f) {
  if (!f.changed_by) return "";
  const auto& c = *f.changed_by;
  return c.actor_type + ":" + (c.actor_name.empty() ? c.actor_id : c.actor_name) + " " + c.at;
}

// Control characters would break the layout (and could move the terminal cursor); bidirectional
// overrides would reorder the columns after them.
std::string TableCell(std::string_view text, size_t max_width) {
  std::string ascii(text);
  for (char& c : ascii) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  std::string cell = NeutraliseDisplayText(ascii);
  if (cell.size() <= max_width) return cell;
  size_t cut = max_width - 3;
  while (cut > 0 && (static_cast<unsigned char>(cell[cut]) & 0xC0) == 0x80) --cut;
  return cell.substr(0, cut) + "...";
}

void StringOrNull(JsonWriter& w, std::string_view key, const std::optional<std::string>& s) {
  w.Key(key);
  if (s) {
    w.String(*s);
  } else {
    w.Null();
  }
}

void WriteFinding(JsonWriter& w, const FindingRecord& r) {
  w.BeginObject();
  audit::WriteFindingFields(w, r.finding, "");
  w.Field("last_seen", r.last_seen);
  StringOrNull(w, "resolved_at",
               r.resolved_at.empty() ? std::nullopt : std::optional<std::string>(r.resolved_at));
  w.Field("reopened_count", r.reopened_count);
  w.EndObject();
}

std::string GrantText(const audit::Grant& g, const storage::SnapshotDiff& d) {
  auto name = [&d](const std::string& id) {
    auto it = d.names.find(id);
    return it == d.names.end() || it->second.empty() ? id : it->second + " (" + id + ")";
  };
  const std::string division =
      g.division_id == audit::kAllDivisionsId ? "* (All Divisions)" : name(g.division_id.str());
  return std::string(audit::SubjectTypeName(g.subject_type)) + " " + name(g.subject_id.str()) +
         " role " + name(g.role_id.str()) + " on " + division;
}

}  // namespace

std::string RenderFindingsCsv(const std::vector<FindingRecord>& findings) {
  std::string out =
      "fingerprint,rule,severity,state,subject_type,subject_id,subject_name,home_division_id,"
      "home_division_name,home_tenant,role_id,role_name,division_id,division_name,tenant,"
      "tenants,via_type,via_id,via_name,first_seen,last_seen,resolved_at,reopened_count,"
      "exception_reason,exception_owner,exception_expires,permissions,divisions,queue_id,"
      "queue_name,queue_division_id,queue_division_name,queue_tenant,changed_by_actor_type,"
      "changed_by_actor_id,changed_by_actor_name,changed_by_at,changed_by_service,"
      "changed_by_action\r\n";
  for (const FindingRecord& r : findings) {
    const Finding& f = r.finding;
    std::vector<std::string> cols = {
        f.fingerprint,
        std::string(audit::RuleName(f.rule)),
        std::string(audit::SeverityName(f.severity)),
        std::string(audit::FindingStateName(f.state)),
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
        "",
        f.via ? (f.via->direct ? "direct" : "group") : "",
        f.via && !f.via->direct ? f.via->group_id : "",
        f.via && !f.via->direct ? f.via->group_name : "",
        f.first_seen,
        r.last_seen,
        r.resolved_at,
        std::to_string(r.reopened_count),
        f.exception ? f.exception->reason : "",
        f.exception ? f.exception->owner : "",
        f.exception ? f.exception->expires : "",
        Joined(f.permissions, ";"),
        Joined(f.divisions, ";"),
        f.queue ? f.queue->id : "",
        f.queue ? f.queue->name : "",
        f.queue ? f.queue->division.id : "",
        f.queue ? f.queue->division.name : "",
        f.queue ? f.queue->tenant.value_or("") : "",
        f.changed_by ? f.changed_by->actor_type : "",
        f.changed_by ? f.changed_by->actor_id : "",
        f.changed_by ? f.changed_by->actor_name : "",
        f.changed_by ? f.changed_by->at : "",
        f.changed_by ? f.changed_by->service : "",
        f.changed_by ? f.changed_by->action : ""};
    for (const auto& t : f.tenants) cols[15] += (cols[15].empty() ? "" : ";") + t;
    for (size_t i = 0; i < cols.size(); ++i) {
      if (i > 0) out += ',';
      out += CsvCell(cols[i]);
    }
    out += "\r\n";
  }
  return out;
}

std::string RenderFindingsTable(const std::vector<FindingRecord>& findings) {
  constexpr size_t kMaxWidth = 40;
  std::vector<std::vector<std::string>> rows = {{"STATE", "RULE", "SEVERITY", "SUBJECT", "ROLE",
                                                 "DIVISION", "VIA", "TENANT", "FIRST SEEN",
                                                 "DETAIL", "CHANGED BY"}};
  for (const FindingRecord& r : findings) {
    const Finding& f = r.finding;
    rows.push_back({std::string(audit::FindingStateName(f.state)),
                    std::string(audit::RuleName(f.rule)),
                    std::string(audit::SeverityName(f.severity)), SubjectText(f), RefText(f.role),
                    DivisionText(f), ViaText(f), TenantText(f), f.first_seen, DetailText(f),
                    ChangedByText(f)});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      row[i] = TableCell(row[i], kMaxWidth);
      width[i] = std::max(width[i], row[i].size());
    }
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  out += std::to_string(findings.size()) + (findings.size() == 1 ? " finding\n" : " findings\n");
  return out;
}

std::string RenderFindingsJson(const std::vector<FindingRecord>& findings,
                               const std::optional<SweepRecord>& sweep,
                               const std::map<std::string, int64_t>& counts, bool pretty) {
  JsonWriter w(pretty);
  w.BeginObject();
  w.Key("sweep");
  if (sweep) {
    const audit::SweepInfo& s = sweep->info;
    w.BeginObject()
        .Field("id", s.id)
        .Field("started_at", FormatIso8601(FromUnixSeconds(s.started_at_unix)))
        .Field("finished_at", FormatIso8601(FromUnixSeconds(s.finished_at_unix)))
        .Field("status", audit::SweepStatusName(s.status))
        .Field("api_requests", s.api_requests);
    w.Key("counts").BeginObject();
    for (const auto& [k, v] : counts) w.Field(k, v);
    w.EndObject();
    w.EndObject();
  } else {
    w.Null();
  }
  w.Key("findings").BeginArray();
  for (const FindingRecord& r : findings) WriteFinding(w, r);
  w.EndArray();
  w.EndObject();
  std::string out = w.Take();
  out += "\n";
  return out;
}

std::string RenderDiffText(const storage::SnapshotDiff& d) {
  auto name = [&d](const std::string& id) {
    auto it = d.names.find(id);
    return it == d.names.end() || it->second.empty() ? id : it->second + " (" + id + ")";
  };
  std::string out = "diff sweep " + std::to_string(d.from_sweep) + " -> sweep " +
                    std::to_string(d.to_sweep) + "\n";
  for (const auto& g : d.grants_added) out += "+ grant " + GrantText(g, d) + "\n";
  for (const auto& g : d.grants_removed) out += "- grant " + GrantText(g, d) + "\n";
  for (const auto& m : d.memberships_added) {
    out += "+ membership " + name(m.user_id) + " in group " + name(m.group_id) + "\n";
  }
  for (const auto& m : d.memberships_removed) {
    out += "- membership " + name(m.user_id) + " in group " + name(m.group_id) + "\n";
  }
  for (const auto& u : d.users_moved) {
    out += "~ user " + name(u.user_id) + " moved from " + name(u.from_division_id) + " to " +
           name(u.to_division_id) + "\n";
  }
  for (const auto& u : d.users_added) out += "+ user " + name(u.id) + "\n";
  for (const auto& u : d.users_removed) out += "- user " + name(u.id) + "\n";
  for (const auto& x : d.divisions_added) out += "+ division " + name(x.id) + "\n";
  for (const auto& x : d.divisions_removed) out += "- division " + x.name + " (" + x.id + ")\n";
  for (const auto& [a, b] : d.divisions_changed) {
    out += "~ division " + b.id + " renamed/changed: " + a.name + " -> " + b.name + "\n";
  }
  for (const auto& c : d.clients_added) out += "+ oauth client " + name(c.id) + "\n";
  for (const auto& c : d.clients_removed) out += "- oauth client " + c.name + " (" + c.id + ")\n";
  for (const auto& [a, b] : d.clients_changed) {
    out += "~ oauth client " + name(b.id) + ": state " + a.state + " -> " + b.state +
           ", grant type " + a.authorized_grant_type + " -> " + b.authorized_grant_type + "\n";
  }
  if (d.empty()) out += "no changes\n";
  for (char& c : out) {
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\n') || c == 0x7f) c = '?';
  }
  return NeutraliseDisplayText(out, LineBreaks::kKeep);
}

std::string RenderDiffJson(const storage::SnapshotDiff& d, bool pretty) {
  JsonWriter w(pretty);
  auto grants = [&w](std::string_view key, const std::vector<audit::Grant>& v) {
    w.Key(key).BeginArray();
    for (const auto& g : v) {
      w.BeginObject()
          .Field("subject_type", audit::SubjectTypeName(g.subject_type))
          .Field("subject_id", g.subject_id)
          .Field("role_id", g.role_id)
          .Field("division_id", g.division_id)
          .EndObject();
    }
    w.EndArray();
  };
  auto memberships = [&w](std::string_view key, const std::vector<storage::Membership>& v) {
    w.Key(key).BeginArray();
    for (const auto& m : v) {
      w.BeginObject().Field("group_id", m.group_id).Field("user_id", m.user_id).EndObject();
    }
    w.EndArray();
  };
  auto ids = [&w](std::string_view key, const auto& v) {
    w.Key(key).BeginArray();
    for (const auto& x : v) w.BeginObject().Field("id", x.id).Field("name", x.name).EndObject();
    w.EndArray();
  };
  w.BeginObject().Field("from_sweep", d.from_sweep).Field("to_sweep", d.to_sweep);
  grants("grants_added", d.grants_added);
  grants("grants_removed", d.grants_removed);
  memberships("memberships_added", d.memberships_added);
  memberships("memberships_removed", d.memberships_removed);
  w.Key("users_moved").BeginArray();
  for (const auto& u : d.users_moved) {
    w.BeginObject()
        .Field("id", u.user_id)
        .Field("name", u.user_name)
        .Field("from_division_id", u.from_division_id)
        .Field("to_division_id", u.to_division_id)
        .EndObject();
  }
  w.EndArray();
  ids("users_added", d.users_added);
  ids("users_removed", d.users_removed);
  ids("divisions_added", d.divisions_added);
  ids("divisions_removed", d.divisions_removed);
  w.Key("divisions_changed").BeginArray();
  for (const auto& [a, b] : d.divisions_changed) {
    w.BeginObject()
        .Field("id", b.id)
        .Field("old_name", a.name)
        .Field("new_name", b.name)
        .EndObject();
  }
  w.EndArray();
  ids("clients_added", d.clients_added);
  ids("clients_removed", d.clients_removed);
  w.Key("clients_changed").BeginArray();
  for (const auto& [a, b] : d.clients_changed) {
    w.BeginObject()
        .Field("id", b.id)
        .Field("name", b.name)
        .Field("old_state", a.state)
        .Field("new_state", b.state)
        .EndObject();
  }
  w.EndArray();
  w.EndObject();
  std::string out = w.Take();
  out += "\n";
  return out;
}

}  // namespace divaudit::present
