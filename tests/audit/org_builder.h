#pragma once

// Test helpers for tests/audit: a fluent OrgSnapshot builder and a compact, human-readable
// summary of findings to compare against tables.

#include <algorithm>
#include <string>
#include <vector>

#include "audit/finding.h"
#include "audit/org_snapshot.h"
#include "audit/policy.h"
#include "common/time_util.h"

namespace divaudit::audit::testing {

class OrgBuilder {
 public:
  OrgBuilder& Division(std::string id, std::string name) {
    s_.divisions.push_back({std::move(id), std::move(name), "", false});
    return *this;
  }
  OrgBuilder& Role(std::string id, std::string name) {
    s_.roles.push_back({std::move(id), std::move(name)});
    return *this;
  }
  OrgBuilder& User(std::string id, std::string home, std::string state = "active") {
    std::string name = "User " + id;
    s_.users.push_back({std::move(id), std::move(name), "", std::move(home), std::move(state)});
    return *this;
  }
  OrgBuilder& Group(std::string id, std::vector<std::string> members, bool roles_enabled = true) {
    std::string name = "Group " + id;
    s_.groups.push_back({std::move(id), std::move(name), roles_enabled, std::move(members), true});
    return *this;
  }
  OrgBuilder& Client(std::string id, std::vector<RoleDivision> role_divisions = {}) {
    std::string name = "Client " + id;
    s_.oauth_clients.push_back({std::move(id), std::move(name), "CLIENT-CREDENTIALS", "active",
                                std::move(role_divisions)});
    return *this;
  }
  OrgBuilder& External(std::string id, SubjectType type, std::string raw_type = "") {
    std::string name = "External " + id;
    s_.external_subjects.push_back({std::move(id), std::move(name), type, std::move(raw_type)});
    return *this;
  }
  OrgBuilder& Grant(SubjectType type, std::string subject, std::string role, std::string div) {
    s_.grants.push_back({type, std::move(subject), std::move(role), std::move(div)});
    return *this;
  }
  OrgBuilder& UserGrant(std::string u, std::string role, std::string div) {
    return Grant(SubjectType::kUser, std::move(u), std::move(role), std::move(div));
  }
  OrgBuilder& GroupGrant(std::string g, std::string role, std::string div) {
    return Grant(SubjectType::kGroup, std::move(g), std::move(role), std::move(div));
  }
  // v2: a catalog permission, a policy of an already added role, the role settings.
  OrgBuilder& Permission(std::string domain, std::string entity, std::string action,
                         bool division_aware) {
    s_.permissions.push_back(
        {std::move(domain), std::move(entity), std::move(action), division_aware});
    return *this;
  }
  OrgBuilder& Policy(const std::string& role, std::string domain, std::string entity,
                     std::vector<std::string> actions, bool narrowed = false) {
    for (auto& r : s_.roles) {
      if (r.id != role) continue;
      std::sort(actions.begin(), actions.end());
      r.policies.push_back({std::move(domain), std::move(entity), std::move(actions), narrowed});
      std::sort(r.policies.begin(), r.policies.end());
    }
    return *this;
  }
  OrgBuilder& Settings(bool grant_division_aware, bool backfill = false) {
    s_.role_settings = RoleSettings{grant_division_aware, backfill};
    return *this;
  }
  OrgSnapshot Build() const {
    OrgSnapshot s = s_;
    Canonicalize(s);
    return s;
  }

 private:
  OrgSnapshot s_;
};

// "rule subject_type:subject_id role div via [tenants]" — e.g.
// "cross_tenant user:u1 r1 dG1 group:g1", "unmapped_division - - dX -",
// "multi_tenant_subject group:g1 - - - [Acme Retail,Globex Health]".
inline std::string Summary(const Finding& f) {
  std::string out(RuleName(f.rule));
  out += ' ';
  out += f.subject ? std::string(SubjectTypeName(f.subject->type)) + ":" + f.subject->id : "-";
  out += ' ';
  out += f.role ? f.role->id : "-";
  out += ' ';
  out += f.division ? f.division->id : "-";
  out += ' ';
  out += f.via ? (f.via->direct ? "direct" : "group:" + f.via->group_id) : "-";
  if (f.rule == Rule::kMultiTenantSubject) {
    out += " [";
    for (size_t i = 0; i < f.tenants.size(); ++i) {
      if (i > 0) out += ',';
      out += f.tenants[i];
    }
    out += ']';
  }
  if (f.state == FindingState::kSuppressed) out += " (suppressed)";
  return out;
}

inline std::vector<std::string> Summaries(const std::vector<Finding>& findings) {
  std::vector<std::string> out;
  out.reserve(findings.size());
  for (const Finding& f : findings) out.push_back(Summary(f));
  return out;
}

inline SystemTime At(const char* iso) { return ParseIso8601(iso).value(); }

}  // namespace divaudit::audit::testing
