#include "sim/org_index.h"

#include <algorithm>
#include <functional>
#include <set>

#include "common/json_writer.h"
#include "common/strings.h"

namespace divaudit::sim {

namespace {
template <typename T>
const T* Lookup(const std::unordered_map<std::string_view, const T*>& map, std::string_view id) {
  auto it = map.find(id);
  return it == map.end() ? nullptr : it->second;
}

template <typename V>
const V& LookupOrEmpty(const std::unordered_map<std::string_view, V>& map, std::string_view id) {
  static const V kEmpty{};
  auto it = map.find(id);
  return it == map.end() ? kEmpty : it->second;
}
}  // namespace

// Canonicalize sorts ~500k grants of a large org; skip it when the input is already canonical
// (ParseOrgJson and GenerateOrg produce canonical orgs).
static bool IsCanonical(const audit::OrgSnapshot& o) {
  auto by_id = [](const auto& v) {
    return std::is_sorted(v.begin(), v.end(),
                          [](const auto& a, const auto& b) { return a.id < b.id; });
  };
  if (!by_id(o.divisions) || !by_id(o.roles) || !by_id(o.users) || !by_id(o.groups) ||
      !by_id(o.oauth_clients) || !by_id(o.external_subjects)) {
    return false;
  }
  for (const auto& g : o.groups) {
    if (std::adjacent_find(g.member_ids.begin(), g.member_ids.end(), std::greater_equal<>()) !=
        g.member_ids.end()) {
      return false;
    }
  }
  for (const auto& c : o.oauth_clients) {
    if (std::adjacent_find(c.role_divisions.begin(), c.role_divisions.end(),
                           std::greater_equal<>()) != c.role_divisions.end()) {
      return false;
    }
  }
  for (const auto& r : o.roles) {
    if (std::adjacent_find(r.policies.begin(), r.policies.end(), std::greater_equal<>()) !=
        r.policies.end()) {
      return false;
    }
  }
  if (std::adjacent_find(o.permissions.begin(), o.permissions.end(), std::greater_equal<>()) !=
      o.permissions.end()) {
    return false;
  }
  return std::adjacent_find(o.grants.begin(), o.grants.end(), std::greater_equal<>()) ==
         o.grants.end();
}

OrgIndex::OrgIndex(OrgFixture fixture) : fixture_(std::move(fixture)) {
  if (!IsCanonical(fixture_.org)) audit::Canonicalize(fixture_.org);
  const audit::OrgSnapshot& org = fixture_.org;
  org_id_ = fixture_.org_id.empty() ? DefaultOrganizationId(org) : fixture_.org_id;
  org_name_ = fixture_.org_id.empty() && fixture_.org_name.empty()
                  ? std::string(kDefaultOrganizationName)
                  : fixture_.org_name;
  // The catalog as GET /api/v2/authorization/permissions pages it: one collection per domain
  // (permissions are sorted by domain, so each domain is one run).
  for (const auto& p : org.permissions) {
    if (catalog_.empty() || catalog_.back().domain != p.domain) {
      catalog_.push_back(CatalogDomain{p.domain, {}});
    }
    catalog_.back().permissions.push_back(&p);
  }
  for (const auto& d : org.divisions) {
    divisions_.emplace(d.id, &d);
    if (d.home_division && home_ == nullptr) home_ = &d;
  }
  auto render_ref = [](std::string_view id, const std::string* name) {
    JsonWriter w;
    w.BeginObject();
    w.Field("id", id);
    if (name != nullptr) w.Field("name", *name);
    w.Field("selfUri", "/api/v2/authorization/divisions/" + UrlEncode(id));
    w.EndObject();
    return w.Take();
  };
  for (const auto& d : org.divisions) division_ref_json_.emplace(d.id, render_ref(d.id, &d.name));
  division_ref_json_.emplace(audit::kAllDivisionsId, render_ref(audit::kAllDivisionsId, nullptr));
  for (const auto& r : org.roles) roles_.emplace(r.id, &r);
  for (const auto& u : org.users) {
    users_.emplace(u.id, &u);
    if (u.state == "active") active_.push_back(&u);
    if (u.state == "inactive") inactive_.push_back(&u);
    if (u.state == "deleted") deleted_.push_back(&u);
    any_.push_back(&u);
  }
  for (const auto& g : org.groups) {
    groups_.emplace(g.id, &g);
    for (const auto& m : g.member_ids) {
      // Key by the string owned by the user when known; member ids are stable either way.
      user_groups_[m].push_back(&g);
    }
  }
  for (const auto& c : org.oauth_clients) clients_.emplace(c.id, &c);
  for (const auto& e : org.external_subjects) externals_.emplace(e.id, &e);

  // Grants are sorted by (type, subject, role, division): consecutive runs of one subject and
  // role form one SubjectDivisionGrants entity.
  subject_grants_.reserve(org.users.size() + org.groups.size() + org.oauth_clients.size() +
                          org.external_subjects.size());
  division_grants_.reserve(org.divisions.size() + 1);
  for (size_t i = 0; i < org.grants.size(); ++i) {
    const audit::Grant& g = org.grants[i];
    division_grants_[g.division_id].push_back(&g);
    subject_grants_[g.subject_id].push_back(&g);
    auto& entries = role_subject_grants_[g.role_id];
    if (entries.empty() || entries.back().first->subject_id != g.subject_id ||
        entries.back().first->subject_type != g.subject_type) {
      // A new (subject, role) run: one more entity, and one more user holding the role.
      entries.push_back(SubjectGrantsEntry{&g, SubjectName(g), SubjectGenesysType(g), {}});
      if (g.subject_type == audit::SubjectType::kUser) ++role_user_counts_[g.role_id];
    }
    entries.back().division_ids.push_back(g.division_id);
  }
  for (auto& [role, entries] : role_subject_grants_) {
    std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
      return a.first->subject_id < b.first->subject_id;
    });
  }
  for (auto& [div, grants] : division_grants_) {
    std::stable_sort(grants.begin(), grants.end(), [](const auto* a, const auto* b) {
      return std::tie(a->subject_id, a->role_id) < std::tie(b->subject_id, b->role_id);
    });
  }
  for (auto& [subject, grants] : subject_grants_) {
    std::stable_sort(grants.begin(), grants.end(), [](const auto* a, const auto* b) {
      return std::tie(a->role_id, a->division_id) < std::tie(b->role_id, b->division_id);
    });
  }
}

const audit::Division* OrgIndex::FindDivision(std::string_view id) const {
  return Lookup(divisions_, id);
}
const audit::Role* OrgIndex::FindRole(std::string_view id) const { return Lookup(roles_, id); }
const audit::User* OrgIndex::FindUser(std::string_view id) const { return Lookup(users_, id); }
const audit::Group* OrgIndex::FindGroup(std::string_view id) const { return Lookup(groups_, id); }
const audit::OAuthClient* OrgIndex::FindClient(std::string_view id) const {
  return Lookup(clients_, id);
}
const audit::ExternalSubject* OrgIndex::FindExternal(std::string_view id) const {
  return Lookup(externals_, id);
}

const std::vector<const audit::User*>& OrgIndex::UsersInState(std::string_view state) const {
  static const std::vector<const audit::User*> kEmpty;
  if (state == "active") return active_;
  if (state == "inactive") return inactive_;
  if (state == "deleted") return deleted_;
  if (state == "any") return any_;
  return kEmpty;
}

const std::vector<SubjectGrantsEntry>& OrgIndex::RoleSubjectGrants(std::string_view id) const {
  return LookupOrEmpty(role_subject_grants_, id);
}
const std::vector<const audit::Grant*>& OrgIndex::DivisionGrants(std::string_view id) const {
  return LookupOrEmpty(division_grants_, id);
}
const std::vector<const audit::Grant*>& OrgIndex::SubjectGrants(std::string_view id) const {
  return LookupOrEmpty(subject_grants_, id);
}
const std::vector<const audit::Group*>& OrgIndex::UserGroups(std::string_view id) const {
  return LookupOrEmpty(user_groups_, id);
}
int64_t OrgIndex::RoleUserCount(std::string_view role_id) const {
  auto it = role_user_counts_.find(role_id);
  return it == role_user_counts_.end() ? 0 : it->second;
}

const std::string* OrgIndex::DivisionRefJson(std::string_view id) const {
  auto it = division_ref_json_.find(id);
  return it == division_ref_json_.end() ? nullptr : &it->second;
}

std::string_view OrgIndex::SubjectName(const audit::Grant& g) const {
  using audit::SubjectType;
  switch (g.subject_type) {
    case SubjectType::kUser:
      if (auto* u = FindUser(g.subject_id)) return u->name;
      break;
    case SubjectType::kGroup:
      if (auto* gr = FindGroup(g.subject_id)) return gr->name;
      break;
    case SubjectType::kOAuthClient:
      if (auto* c = FindClient(g.subject_id)) return c->name;
      break;
    default:
      if (auto* e = FindExternal(g.subject_id)) return e->name;
      break;
  }
  return {};
}

std::string_view OrgIndex::SubjectGenesysType(const audit::Grant& g) const {
  if (g.subject_type == audit::SubjectType::kUnknown) {
    if (auto* e = FindExternal(g.subject_id); e != nullptr && !e->genesys_type.empty()) {
      return e->genesys_type;
    }
    return "UNKNOWN";
  }
  return audit::SubjectTypeGenesysName(g.subject_type);
}

}  // namespace divaudit::sim
