#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "audit/org_snapshot.h"
#include "sim/org_json.h"

namespace divaudit::sim {

// One entity of GET /api/v2/authorization/roles/{id}/subjectgrants: a subject and the divisions
// it holds the role on (sorted by division id).
struct SubjectGrantsEntry {
  const audit::Grant* first = nullptr;  // subject type and id come from here
  std::string_view name;
  std::string_view genesys_type;  // PC_USER, PC_GROUP, …
  std::vector<std::string_view> division_ids;
};

// One DomainPermissionCollection of GET /api/v2/authorization/permissions: a domain and its
// catalog permissions (sorted by entity type, action).
struct CatalogDomain {
  std::string_view domain;
  std::vector<const audit::CatalogPermission*> permissions;
};

// Read-only lookup structures over one org, built once per mutation so that every page the
// server answers costs O(page). Immutable after construction: safe to share between threads.
// Not copyable or movable (the indexes point into the owned fixture).
class OrgIndex {
 public:
  // Canonicalizes a copy of the fixture and indexes it.
  explicit OrgIndex(OrgFixture fixture);
  OrgIndex(const OrgIndex&) = delete;
  OrgIndex& operator=(const OrgIndex&) = delete;

  const OrgFixture& fixture() const { return fixture_; }
  // GET /api/v2/organizations/me: the fixture's organization, or the derived default.
  const std::string& org_id() const { return org_id_; }
  const std::string& org_name() const { return org_name_; }
  const audit::OrgSnapshot& org() const { return fixture_.org; }

  // nullptr when absent.
  const audit::Division* FindDivision(std::string_view id) const;
  const audit::Division* HomeDivision() const { return home_; }
  const audit::Role* FindRole(std::string_view id) const;
  const audit::User* FindUser(std::string_view id) const;
  const audit::Group* FindGroup(std::string_view id) const;
  const audit::OAuthClient* FindClient(std::string_view id) const;
  const audit::ExternalSubject* FindExternal(std::string_view id) const;

  // Users by state ("active", "inactive", "deleted", "any"), sorted by id; empty for others.
  const std::vector<const audit::User*>& UsersInState(std::string_view state) const;
  // Subject grants of a role, sorted by subject id; empty for unknown roles.
  const std::vector<SubjectGrantsEntry>& RoleSubjectGrants(std::string_view role_id) const;
  // Direct grants on a division (sorted by subject, role); empty when none.
  const std::vector<const audit::Grant*>& DivisionGrants(std::string_view division_id) const;
  // Direct grants held by a subject (sorted by role, division); empty when none.
  const std::vector<const audit::Grant*>& SubjectGrants(std::string_view subject_id) const;
  // Groups a user is a member of, sorted by group id.
  const std::vector<const audit::Group*>& UserGroups(std::string_view user_id) const;
  // Distinct users holding the role directly (DomainOrganizationRole.userCount).
  int64_t RoleUserCount(std::string_view role_id) const;
  // Display name and Genesys type of a grant's subject ("" and the type name when unknown).
  std::string_view SubjectName(const audit::Grant& g) const;
  std::string_view SubjectGenesysType(const audit::Grant& g) const;
  // The pre-rendered Division reference {"id","name","selfUri"} of a known division or "*"
  // (which has no name); nullptr for other ids.
  const std::string* DivisionRefJson(std::string_view id) const;
  // v2: the catalog by domain (sorted by domain), and the role settings the server answers
  // (the fixture's, else the default RoleSettings{}: guardrail on, backfill off).
  const std::vector<CatalogDomain>& CatalogDomains() const { return catalog_; }
  audit::RoleSettings RoleSettings() const {
    return fixture_.org.role_settings.value_or(audit::RoleSettings{});
  }

 private:
  template <typename T>
  using IdMap = std::unordered_map<std::string_view, T>;

  OrgFixture fixture_;
  std::string org_id_;
  std::string org_name_;
  const audit::Division* home_ = nullptr;
  IdMap<const audit::Division*> divisions_;
  IdMap<const audit::Role*> roles_;
  IdMap<const audit::User*> users_;
  IdMap<const audit::Group*> groups_;
  IdMap<const audit::OAuthClient*> clients_;
  IdMap<const audit::ExternalSubject*> externals_;
  std::vector<const audit::User*> active_, inactive_, deleted_, any_;
  IdMap<std::vector<SubjectGrantsEntry>> role_subject_grants_;
  IdMap<std::vector<const audit::Grant*>> division_grants_;
  IdMap<std::vector<const audit::Grant*>> subject_grants_;
  IdMap<std::vector<const audit::Group*>> user_groups_;
  IdMap<int64_t> role_user_counts_;
  IdMap<std::string> division_ref_json_;
  std::vector<CatalogDomain> catalog_;
};

}  // namespace divaudit::sim
