#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "audit/org_snapshot.h"

namespace divaudit::audit {

// The [policy] org_wide_permissions default (docs/rules.md): the org-wide permissions that
// break tenant isolation.
const std::vector<std::string>& DefaultOrgWidePermissions();

// One "domain:entity:action" pattern; a part may be "*" (matches everything).
struct PermissionGlob {
  std::string domain;
  std::string entity;
  std::string action;
  friend bool operator==(const PermissionGlob&, const PermissionGlob&) = default;
};

// Parses "domain:entity:action": exactly three ':'-separated parts, each non-empty and either
// "*" or a name of letters, digits, '_' or '-'. nullopt for anything else.
std::optional<PermissionGlob> ParsePermissionGlob(std::string_view text);

bool Matches(const PermissionGlob& glob, const CatalogPermission& p);

// "domain:entity:action".
std::string PermissionName(const CatalogPermission& p);

// True when `p` acts org-wide (docs/rules.md): authorization:grant:add and
// authorization:grant:delete exactly when the role setting authorizationGrantDivisionAware is
// false (the setting alone decides; unknown setting: not org-wide); every other permission when
// the catalog marks it divisionAware false.
bool IsOrgWide(const CatalogPermission& p, const std::optional<RoleSettings>& settings);

// Every role's permission policies expanded against the catalog, keeping only the org-wide
// permissions the policy's patterns select. Computed once per sweep.
//
// A policy {domain, entity_name, action_set} gives every catalog permission whose domain,
// entity type and action match ("*" in any part matches everything). Narrowed policies
// (resourceConditionNode / namedResources) give nothing and are counted. Patterns that fail to
// parse are ignored (config/ rejects them before they get here). Immutable; thread-safe.
class OrgWidePermissions {
 public:
  OrgWidePermissions(const OrgSnapshot& snapshot, const std::vector<std::string>& patterns);

  // Sorted, unique "domain:entity:action" strings of role `role_id`; empty for an unknown role
  // or a role without selected org-wide permissions.
  const std::vector<std::string>& Of(std::string_view role_id) const;

  // Policies skipped because they are narrowed (resource conditions or named resources).
  int64_t narrowed_policies() const { return narrowed_policies_; }

 private:
  std::unordered_map<std::string_view, std::vector<std::string>> by_role_;
  int64_t narrowed_policies_ = 0;
};

// Narrowed policies over every role of the snapshot (sweep counts).
int64_t CountNarrowedPolicies(const OrgSnapshot& snapshot);

}  // namespace divaudit::audit
