#include "sim/truth.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/json_writer.h"
#include "common/time_util.h"

// Written from the text of docs/rules.md on purpose without audit/'s engine: this is the answer
// key the engine is tested against, so it must not share its mistakes.

namespace divaudit::sim {
namespace {

using audit::SubjectType;

// Shell-style glob over a division name: '*' any run, '?' one character.
bool Glob(std::string_view pattern, std::string_view text) {
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p, ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++, mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1, t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool Matches(const std::string& entry, const audit::Division& d) {
  return entry == d.id || Glob(entry, d.name);
}

enum class Place { kAllDivisions, kUnknown, kShared, kUnmapped, kTenant };

struct Where {
  Place place = Place::kUnknown;
  std::string tenant;  // kTenant only
};

struct Found {
  std::string rule;
  std::string subject_type;  // empty: subject null
  std::string subject_id;
  std::optional<std::string> role_id;
  std::optional<std::string> division_id;
  std::optional<std::string> via;  // "" = direct, else the group id; nullopt: via null
  std::vector<std::string> tenants;
  bool suppressed = false;
  std::string queue_id = {};  // cross_tenant_queue (its via is "" = direct or "group": memberBy)
  // org_wide_permission: the listed divisions of the path and the selected permissions.
  std::vector<std::string> divisions = {};
  std::vector<std::string> permissions = {};

  auto Key() const {
    return std::tie(rule, subject_id, role_id, division_id, via, queue_id, subject_type);
  }
};

class TruthComputer {
 public:
  TruthComputer(const OrgFixture& fixture, SystemTime now,
                const std::vector<std::string>& org_wide_patterns)
      : org_(fixture.org),
        policy_(fixture.policy),
        now_(now),
        org_id_(fixture.org_id.empty() ? DefaultOrganizationId(fixture.org) : fixture.org_id),
        patterns_(org_wide_patterns),
        conversations_(fixture.conversations) {}

  std::string Run() {
    ClassifyDivisions();
    for (const audit::User& u : org_.users) users_[u.id] = &u;
    std::unordered_map<std::string, std::vector<const audit::Grant*>> group_grants;

    for (const audit::Grant& g : org_.grants) {
      if (g.subject_type == SubjectType::kUnknown) continue;
      std::optional<std::string> home;
      if (g.subject_type == SubjectType::kUser) {
        const audit::User* u = FindUser(g.subject_id.str());
        if (u != nullptr && u->state == "deleted") continue;  // deleted users are not audited
        home = HomeTenant(u);
      }
      if (g.subject_type == SubjectType::kGroup) group_grants[g.subject_id.str()].push_back(&g);
      const Where where = Locate(g.division_id.str());
      if (where.place == Place::kUnmapped) targeted_.insert(g.division_id.str());
      if (where.place == Place::kUnknown) {
        // Only on the holder: a group's orphaned grant is not repeated on its members.
        Add({"orphaned_grant",
             Type(g.subject_type),
             g.subject_id.str(),
             g.role_id.str(),
             g.division_id.str(),
             "",
             {}});
        continue;
      }
      Evaluate(g.subject_type, g.subject_id.str(), home, g, where, "");
    }

    for (const audit::Group& group : org_.groups) {
      auto it = group_grants.find(group.id);
      if (it == group_grants.end()) continue;
      // rolesEnabled=false does not stop listed grants from counting for members.
      for (const std::string& member : group.member_ids) {
        const audit::User* u = FindUser(member);
        if (u == nullptr || u->state == "deleted") continue;
        const std::optional<std::string> home = HomeTenant(u);
        for (const audit::Grant* g : it->second) {
          const Where where = Locate(g->division_id.str());
          if (where.place == Place::kUnknown) continue;
          Evaluate(SubjectType::kUser, u->id, home, *g, where, group.id);
        }
      }
    }

    for (auto& [subject, tenants] : reached_) {
      if (tenants.size() < 2) continue;
      Found f{"multi_tenant_subject", Type(subject.first), subject.second, {}, {}, {}, {}};
      f.tenants.assign(tenants.begin(), tenants.end());
      Add(std::move(f));
    }

    QueueMembership();

    if (!policy_.tenants.empty()) {
      std::set<std::string> unmapped = targeted_;
      for (const audit::User& u : org_.users) {
        if (u.state != "deleted" && Locate(u.home_division_id).place == Place::kUnmapped) {
          unmapped.insert(u.home_division_id);
        }
      }
      for (const std::string& d : unmapped) Add({"unmapped_division", "", "", {}, d, {}, {}});
    }

    OrgWide();

    std::sort(found_.begin(), found_.end(),
              [](const Found& a, const Found& b) { return a.Key() < b.Key(); });
    found_.erase(std::unique(found_.begin(), found_.end(),
                             [](const Found& a, const Found& b) { return a.Key() == b.Key(); }),
                 found_.end());
    for (Found& f : found_) f.suppressed = Suppressed(f);
    return Render();
  }

 private:
  static std::string Type(SubjectType t) { return std::string(audit::SubjectTypeName(t)); }

  void ClassifyDivisions() {
    for (const audit::Division& d : org_.divisions) {
      Where w;
      const bool shared =
          std::any_of(policy_.shared_divisions.begin(), policy_.shared_divisions.end(),
                      [&](const std::string& e) { return Matches(e, d); });
      if (shared) {
        w.place = Place::kShared;
      } else if (policy_.tenants.empty()) {
        w.place = Place::kTenant;  // every division is its own tenant
        w.tenant = d.name;
      } else {
        w.place = Place::kUnmapped;
        for (const audit::TenantSpec& t : policy_.tenants) {  // the first tenant that maps it
          if (std::any_of(t.divisions.begin(), t.divisions.end(),
                          [&](const std::string& e) { return Matches(e, d); })) {
            w.place = Place::kTenant;
            w.tenant = t.name;
            break;
          }
        }
      }
      divisions_[d.id] = std::move(w);
    }
  }

  Where Locate(const std::string& division_id) const {
    if (division_id == audit::kAllDivisionsId) return {Place::kAllDivisions, {}};
    auto it = divisions_.find(division_id);
    return it == divisions_.end() ? Where{Place::kUnknown, {}} : it->second;
  }

  const audit::User* FindUser(const std::string& id) const {
    auto it = users_.find(id);
    return it == users_.end() ? nullptr : it->second;
  }

  std::optional<std::string> HomeTenant(const audit::User* u) const {
    if (u == nullptr) return std::nullopt;
    const Where w = Locate(u->home_division_id);
    if (w.place != Place::kTenant) return std::nullopt;
    return w.tenant;
  }

  // One grant held by `subject` (directly when via is empty, else through group `via`).
  void Evaluate(SubjectType type, const std::string& subject,
                const std::optional<std::string>& home, const audit::Grant& g, const Where& where,
                const std::string& via) {
    switch (where.place) {
      case Place::kAllDivisions:
        Add({"all_divisions",
             Type(type),
             subject,
             g.role_id.str(),
             std::string(audit::kAllDivisionsId),
             via,
             {}});
        return;
      case Place::kUnknown:
      case Place::kShared:
      case Place::kUnmapped:
        return;
      case Place::kTenant:
        break;
    }
    if (type == SubjectType::kUser && home.has_value()) {
      if (*home != where.tenant) {
        Add({"cross_tenant", Type(type), subject, g.role_id.str(), g.division_id.str(), via, {}});
      }
      return;
    }
    reached_[{type, subject}].insert(where.tenant);
  }

  // cross_tenant_queue: every member row of a queue in a tenant's division whose user (not
  // deleted) is homed in another tenant; a queue's division counts as used (unmapped_division).
  void QueueMembership() {
    std::unordered_map<std::string, std::vector<const audit::QueueMember*>> rows;
    for (const audit::QueueMember& m : org_.queue_members) rows[m.queue_id].push_back(&m);
    for (const audit::Queue& q : org_.queues) {
      const Where where = Locate(q.division_id);
      if (where.place == Place::kUnmapped) targeted_.insert(q.division_id);
      if (where.place != Place::kTenant) continue;
      for (const audit::QueueMember* m : rows[q.id]) {
        const audit::User* u = FindUser(m->user_id);
        if (u == nullptr || u->state == "deleted") continue;
        const std::optional<std::string> home = HomeTenant(u);
        if (!home || *home == where.tenant) continue;
        Found f{"cross_tenant_queue", "user", u->id, {}, {}, m->via_group ? "group" : "", {}};
        f.queue_id = q.id;
        Add(std::move(f));
      }
    }
  }

  void Add(Found f) { found_.push_back(std::move(f)); }

  // ---- v2: grant_guardrail_off and org_wide_permission (docs/rules.md) ----

  // One part of a "domain:entity:action" pattern or policy: "*" matches anything.
  static bool PartMatches(std::string_view part, std::string_view value) {
    return part == "*" || part == value;
  }

  // The settings the simulator answers (sim/README.md: absent → guardrail on, backfill off).
  audit::RoleSettings Settings() const {
    return org_.role_settings.value_or(audit::RoleSettings{});
  }

  // Org-wide: divisionAware false in the catalog, except authorization:grant:add/delete, where
  // only the setting decides (org-wide exactly when the guardrail is off).
  bool OrgWidePermission(const audit::CatalogPermission& c) const {
    if (c.domain == "authorization" && c.entity_type == "grant" &&
        (c.action == "add" || c.action == "delete")) {
      return !Settings().authorization_grant_division_aware;
    }
    return !c.division_aware;
  }

  bool Selected(const audit::CatalogPermission& c) const {
    for (const std::string& pattern : patterns_) {
      const size_t a = pattern.find(':');
      const size_t b = a == std::string::npos ? a : pattern.find(':', a + 1);
      if (b == std::string::npos) continue;
      const std::string_view pv(pattern);
      if (PartMatches(pv.substr(0, a), c.domain) &&
          PartMatches(pv.substr(a + 1, b - a - 1), c.entity_type) &&
          PartMatches(pv.substr(b + 1), c.action)) {
        return true;
      }
    }
    return false;
  }

  // Sorted "domain:entity:action" of the role's selected org-wide permissions: every catalog
  // permission some non-narrowed policy of the role reaches.
  std::vector<std::string> RolePermissions(const audit::Role& role) const {
    std::set<std::string> out;
    for (const audit::CatalogPermission& c : org_.permissions) {
      if (!OrgWidePermission(c) || !Selected(c)) continue;
      for (const audit::PermissionPolicy& p : role.policies) {
        if (p.narrowed) continue;  // narrower than a division: gives nothing
        if (!PartMatches(p.domain, c.domain) || !PartMatches(p.entity_name, c.entity_type)) {
          continue;
        }
        if (std::any_of(p.action_set.begin(), p.action_set.end(),
                        [&](const std::string& a) { return PartMatches(a, c.action); })) {
          out.insert(c.domain + ":" + c.entity_type + ":" + c.action);
          break;
        }
      }
    }
    return {out.begin(), out.end()};
  }

  void OrgWide() {
    if (!Settings().authorization_grant_division_aware) {
      Found f{"grant_guardrail_off", "org", org_id_, {}, {}, {}, {}};
      Add(std::move(f));
    }
    std::map<std::string, std::vector<std::string>> role_permissions;
    for (const audit::Role& r : org_.roles) {
      std::vector<std::string> perms = RolePermissions(r);
      if (!perms.empty()) role_permissions[r.id] = std::move(perms);
    }
    if (role_permissions.empty()) return;
    // A path: (subject type, subject id, role id, via ("" = direct)) → the listed divisions it
    // holds the role on, and whether it also holds it on "*".
    struct Reach {
      std::set<std::string> divisions;
      bool all = false;
    };
    std::map<std::tuple<SubjectType, std::string, std::string, std::string>, Reach> paths;
    auto note = [&](SubjectType type, const std::string& subject, const audit::Grant& g,
                    const std::string& via) {
      const std::string division = g.division_id.str();
      if (division == audit::kAllDivisionsId) {
        paths[{type, subject, g.role_id.str(), via}].all = true;
      } else if (divisions_.contains(division)) {
        paths[{type, subject, g.role_id.str(), via}].divisions.insert(division);
      }  // an unknown division gives only orphaned_grant
    };
    std::unordered_map<std::string, const audit::Group*> groups;
    for (const audit::Group& group : org_.groups) groups[group.id] = &group;
    for (const audit::Grant& g : org_.grants) {
      if (g.subject_type == SubjectType::kUnknown) continue;
      if (!role_permissions.contains(g.role_id.str())) continue;
      if (g.subject_type == SubjectType::kUser) {
        const audit::User* u = FindUser(g.subject_id.str());
        if (u != nullptr && u->state == "deleted") continue;
      }
      note(g.subject_type, g.subject_id.str(), g, "");
      if (g.subject_type != SubjectType::kGroup) continue;
      auto it = groups.find(g.subject_id.str());
      if (it == groups.end()) continue;
      for (const std::string& member : it->second->member_ids) {
        const audit::User* u = FindUser(member);
        if (u == nullptr || u->state == "deleted") continue;
        note(SubjectType::kUser, member, g, it->second->id);
      }
    }
    for (const auto& [key, reach] : paths) {
      if (reach.all || reach.divisions.empty()) continue;  // "*" gives only all_divisions
      const auto& [type, subject, role, via] = key;
      Found f{"org_wide_permission", Type(type), subject, role, {}, via, {}};
      f.divisions.assign(reach.divisions.begin(), reach.divisions.end());
      f.permissions = role_permissions[role];
      Add(std::move(f));
    }
  }

  bool Suppressed(const Found& f) const {
    for (const audit::ExceptionSpec& x : policy_.exceptions) {
      // unmapped_division has no subject: its exceptions name the division as subject_id.
      const std::string& subject =
          f.subject_type.empty() && f.division_id ? *f.division_id : f.subject_id;
      if (audit::RuleName(x.rule) != f.rule || x.subject_id != subject) continue;
      if (x.role_id && (!f.role_id || *f.role_id != *x.role_id)) continue;
      if (x.division_id && (!f.division_id || *f.division_id != *x.division_id)) continue;
      if (x.queue_id && f.queue_id != *x.queue_id) continue;
      Result<SystemTime> day = ParseIso8601(x.expires);
      if (x.expires.size() != 10 || !day.ok()) continue;
      if (now_ < *day + std::chrono::hours(24)) return true;  // through the end of that day
    }
    return false;
  }

  std::string Render() const {
    std::string out = "{\"findings\":[";
    bool first = true;
    for (const Found& f : found_) {
      out += first ? "\n" : ",\n";
      first = false;
      JsonWriter w;
      w.BeginObject().Field("rule", f.rule);
      w.Key("subject");
      if (f.subject_type.empty()) {
        w.Null();
      } else {
        w.BeginObject().Field("type", f.subject_type).Field("id", f.subject_id).EndObject();
      }
      w.Key("role");
      f.role_id ? w.BeginObject().Field("id", *f.role_id).EndObject() : w.Null();
      w.Key("division");
      f.division_id ? w.BeginObject().Field("id", *f.division_id).EndObject() : w.Null();
      w.Key("via");
      if (!f.via) {
        w.Null();
      } else if (f.via->empty()) {
        w.BeginObject().Field("type", "direct").Key("id").Null().EndObject();
      } else if (f.rule == "cross_tenant_queue") {
        w.BeginObject().Field("type", "group").Key("id").Null().EndObject();  // memberBy: no id
      } else {
        w.BeginObject().Field("type", "group").Field("id", *f.via).EndObject();
      }
      if (f.rule == "org_wide_permission") {
        w.Key("divisions").BeginArray();
        for (const std::string& d : f.divisions) w.String(d);
        w.EndArray();
        w.Key("permissions").BeginArray();
        for (const std::string& p : f.permissions) w.String(p);
        w.EndArray();
      }
      if (f.rule == "multi_tenant_subject") {
        w.Key("tenants").BeginArray();
        for (const std::string& t : f.tenants) w.String(t);
        w.EndArray();
      }
      if (!f.queue_id.empty()) w.Key("queue").BeginObject().Field("id", f.queue_id).EndObject();
      w.Field("state", f.suppressed ? "suppressed" : "open").EndObject();
      out += w.str();
    }
    out += first ? "]" : "\n]";
    if (!conversations_.empty()) RenderEvidence(out);
    out += "}\n";
    return out;
  }

  // Issue 15 evidence: every ended conversation whose divisionIds lie in two or more tenants
  // (shared, unmapped and unknown ids ignored), sorted by start then id.
  void RenderEvidence(std::string& out) const {
    out += ",\"evidence\":[";
    bool first = true;
    for (const audit::Conversation& c : conversations_) {  // sorted by start, id
      if (!c.end) continue;
      std::set<std::string> tenants;
      for (const std::string& d : c.division_ids) {
        const Where where = Locate(d);
        if (where.place == Place::kTenant) tenants.insert(where.tenant);
      }
      if (tenants.size() < 2) continue;
      out += first ? "\n" : ",\n";
      first = false;
      JsonWriter w;
      w.BeginObject().Field("conversation_id", c.id);
      w.Field("start", audit::FormatIsoMillis(c.start));
      w.Key("tenants").BeginArray();
      for (const std::string& t : tenants) w.String(t);
      w.EndArray();
      w.Key("division_ids").BeginArray();
      for (const std::string& d : c.division_ids) w.String(d);
      w.EndArray().EndObject();
      out += w.str();
    }
    out += first ? "]" : "\n]";
  }

  const audit::OrgSnapshot& org_;
  const audit::Policy& policy_;
  const SystemTime now_;
  const std::string org_id_;
  const std::vector<std::string>& patterns_;
  std::unordered_map<std::string, Where> divisions_;
  std::unordered_map<std::string, const audit::User*> users_;
  std::set<std::string> targeted_;  // unmapped divisions that are the target of a grant
  std::map<std::pair<SubjectType, std::string>, std::set<std::string>> reached_;
  std::vector<Found> found_;
  const std::vector<audit::Conversation>& conversations_;
};

}  // namespace

const std::vector<std::string>& DefaultOrgWidePermissions() {
  static const std::vector<std::string> kDefault = {"directory:organization:admin",
                                                    "authorization:*:add",
                                                    "authorization:*:edit",
                                                    "authorization:*:delete",
                                                    "oauth:client:add",
                                                    "oauth:client:edit",
                                                    "directory:group:add",
                                                    "directory:group:edit",
                                                    "recording:*:*",
                                                    "analytics:conversationDetail:view",
                                                    "integrations:*:*"};
  return kDefault;
}

std::string ComputeTruthJson(const OrgFixture& fixture, SystemTime now) {
  return ComputeTruthJson(
      fixture, now,
      fixture.org_wide_permissions ? *fixture.org_wide_permissions : DefaultOrgWidePermissions());
}

std::string ComputeTruthJson(const OrgFixture& fixture, SystemTime now,
                             const std::vector<std::string>& org_wide_permissions) {
  return TruthComputer(fixture, now, org_wide_permissions).Run();
}

}  // namespace divaudit::sim
