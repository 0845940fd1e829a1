#include "present/findings.h"

#include <algorithm>
#include <iterator>

#include "audit/findings_document.h"
#include "audit/permissions.h"
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
                               const std::map<std::string, int64_t>& counts, bool pretty,
                               const std::optional<audit::RoleSettings>& settings) {
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
    w.Key("settings");
    if (settings) {
      w.BeginObject()
          .Field("authorization_grant_division_aware", settings->authorization_grant_division_aware)
          .Field("backfill_enabled", settings->backfill_enabled)
          .EndObject();
    } else {
      w.Null();
    }
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

namespace {

std::string AwareText(bool division_aware) {
  return division_aware ? "division-aware" : "org-wide";
}

// "domain:entity:[a,b]", " (narrowed)" for a policy with resource conditions.
std::string PolicyText(const audit::PermissionPolicy& p) {
  std::string s = p.domain + ":" + p.entity_name + ":[";
  for (size_t i = 0; i < p.action_set.size(); ++i) s += (i > 0 ? "," : "") + p.action_set[i];
  return s + "]" + (p.narrowed ? " (narrowed)" : "");
}

// Policies of `a` that `b` lacks (both sorted).
std::vector<audit::PermissionPolicy> PoliciesOnlyIn(const std::vector<audit::PermissionPolicy>& a,
                                                    const std::vector<audit::PermissionPolicy>& b) {
  std::vector<audit::PermissionPolicy> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

std::string SettingsText(const std::optional<audit::RoleSettings>& s) {
  if (!s) return "(not read)";
  return std::string("authorizationGrantDivisionAware ") +
         (s->authorization_grant_division_aware ? "true" : "false") + ", backfillEnabled " +
         (s->backfill_enabled ? "true" : "false");
}

std::string MemberGroupsText(const audit::Queue& q) {
  std::string s = "[";
  for (size_t i = 0; i < q.member_groups.size(); ++i) {
    s += (i > 0 ? "," : "") + q.member_groups[i].id;
  }
  return s + "]";
}

}  // namespace

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
  for (const auto& p : d.permissions_added) {
    out += "+ permission " + audit::PermissionName(p) + " (" + AwareText(p.division_aware) + ")\n";
  }
  for (const auto& p : d.permissions_removed) {
    out += "- permission " + audit::PermissionName(p) + " (" + AwareText(p.division_aware) + ")\n";
  }
  for (const auto& [a, b] : d.permissions_changed) {
    out += "~ permission " + audit::PermissionName(b) + ": " + AwareText(a.division_aware) +
           " -> " + AwareText(b.division_aware) + "\n";
  }
  for (const auto& [a, b] : d.role_policies_changed) {
    for (const auto& p : PoliciesOnlyIn(b.policies, a.policies)) {
      out += "~ role " + name(b.id) + ": + policy " + PolicyText(p) + "\n";
    }
    for (const auto& p : PoliciesOnlyIn(a.policies, b.policies)) {
      out += "~ role " + name(b.id) + ": - policy " + PolicyText(p) + "\n";
    }
  }
  if (d.role_settings_changed) {
    out += "~ role settings: " + SettingsText(d.role_settings_before) + " -> " +
           SettingsText(d.role_settings_after) + "\n";
  }
  for (const auto& q : d.queues_added) {
    out += "+ queue " + name(q.id) + " in division " + name(q.division_id) + "\n";
  }
  for (const auto& q : d.queues_removed) out += "- queue " + q.name + " (" + q.id + ")\n";
  for (const auto& [a, b] : d.queues_changed) {
    out += "~ queue " + name(b.id) + ":";
    if (a.name != b.name) out += " renamed " + a.name + " -> " + b.name + ";";
    if (a.division_id != b.division_id) {
      out += " division " + name(a.division_id) + " -> " + name(b.division_id) + ";";
    }
    if (a.member_groups != b.member_groups) {
      out += " member groups " + MemberGroupsText(a) + " -> " + MemberGroupsText(b) + ";";
    }
    out.back() = '\n';
  }
  for (const auto& m : d.queue_members_added) {
    out += "+ queue member " + name(m.user_id) + " in queue " + name(m.queue_id) + " (" +
           (m.via_group ? "group" : "direct") + ")\n";
  }
  for (const auto& m : d.queue_members_removed) {
    out += "- queue member " + name(m.user_id) + " in queue " + name(m.queue_id) + " (" +
           (m.via_group ? "group" : "direct") + ")\n";
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
  // v2
  auto permissions = [&w](std::string_view key, const std::vector<audit::CatalogPermission>& v) {
    w.Key(key).BeginArray();
    for (const auto& p : v) {
      w.BeginObject()
          .Field("permission", audit::PermissionName(p))
          .Field("division_aware", p.division_aware)
          .EndObject();
    }
    w.EndArray();
  };
  permissions("permissions_added", d.permissions_added);
  permissions("permissions_removed", d.permissions_removed);
  w.Key("permissions_changed").BeginArray();
  for (const auto& [a, b] : d.permissions_changed) {
    w.BeginObject()
        .Field("permission", audit::PermissionName(b))
        .Field("old_division_aware", a.division_aware)
        .Field("new_division_aware", b.division_aware)
        .EndObject();
  }
  w.EndArray();
  auto policies = [&w](std::string_view key, const std::vector<audit::PermissionPolicy>& v) {
    w.Key(key).BeginArray();
    for (const auto& p : v) {
      w.BeginObject().Field("domain", p.domain).Field("entity_name", p.entity_name);
      w.Key("action_set").BeginArray();
      for (const auto& a : p.action_set) w.String(a);
      w.EndArray();
      w.Field("narrowed", p.narrowed).EndObject();
    }
    w.EndArray();
  };
  w.Key("role_policies_changed").BeginArray();
  for (const auto& [a, b] : d.role_policies_changed) {
    w.BeginObject().Field("id", b.id).Field("name", b.name);
    policies("policies_added", PoliciesOnlyIn(b.policies, a.policies));
    policies("policies_removed", PoliciesOnlyIn(a.policies, b.policies));
    w.EndObject();
  }
  w.EndArray();
  auto settings = [&w](std::string_view key, const std::optional<audit::RoleSettings>& s) {
    w.Key(key);
    if (!s) {
      w.Null();
      return;
    }
    w.BeginObject()
        .Field("authorization_grant_division_aware", s->authorization_grant_division_aware)
        .Field("backfill_enabled", s->backfill_enabled)
        .EndObject();
  };
  w.Key("role_settings_changed");
  if (d.role_settings_changed) {
    w.BeginObject();
    settings("old", d.role_settings_before);
    settings("new", d.role_settings_after);
    w.EndObject();
  } else {
    w.Null();
  }
  auto queues = [&w](std::string_view key, const std::vector<audit::Queue>& v) {
    w.Key(key).BeginArray();
    for (const auto& q : v) {
      w.BeginObject()
          .Field("id", q.id)
          .Field("name", q.name)
          .Field("division_id", q.division_id)
          .EndObject();
    }
    w.EndArray();
  };
  queues("queues_added", d.queues_added);
  queues("queues_removed", d.queues_removed);
  w.Key("queues_changed").BeginArray();
  for (const auto& [a, b] : d.queues_changed) {
    w.BeginObject()
        .Field("id", b.id)
        .Field("old_name", a.name)
        .Field("new_name", b.name)
        .Field("old_division_id", a.division_id)
        .Field("new_division_id", b.division_id)
        .Field("member_groups_changed", a.member_groups != b.member_groups)
        .EndObject();
  }
  w.EndArray();
  auto queue_members = [&w](std::string_view key, const std::vector<audit::QueueMember>& v) {
    w.Key(key).BeginArray();
    for (const auto& m : v) {
      w.BeginObject()
          .Field("queue_id", m.queue_id)
          .Field("user_id", m.user_id)
          .Field("member_by", m.via_group ? "group" : "direct")
          .EndObject();
    }
    w.EndArray();
  };
  queue_members("queue_members_added", d.queue_members_added);
  queue_members("queue_members_removed", d.queue_members_removed);
  w.EndObject();
  std::string out = w.Take();
  out += "\n";
  return out;
}

}  // namespace divaudit::present
