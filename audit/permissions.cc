#include "audit/permissions.h"

#include <algorithm>

namespace divaudit::audit {

namespace {

constexpr std::string_view kAny = "*";

bool PartMatches(std::string_view pattern, std::string_view value) {
  return pattern == kAny || pattern == value;
}

bool ValidPart(std::string_view part) {
  if (part == kAny) return true;
  if (part.empty()) return false;
  return std::all_of(part.begin(), part.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

bool PolicyGives(const PermissionPolicy& policy, const CatalogPermission& p) {
  if (!PartMatches(policy.domain, p.domain) || !PartMatches(policy.entity_name, p.entity_type)) {
    return false;
  }
  return std::any_of(policy.action_set.begin(), policy.action_set.end(),
                     [&](const std::string& a) { return PartMatches(a, p.action); });
}

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

std::optional<PermissionGlob> ParsePermissionGlob(std::string_view text) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t colon = text.find(':', start);
    parts.push_back(text.substr(start, colon == std::string_view::npos ? colon : colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  if (parts.size() != 3) return std::nullopt;
  for (const auto part : parts) {
    if (!ValidPart(part)) return std::nullopt;
  }
  return PermissionGlob{std::string(parts[0]), std::string(parts[1]), std::string(parts[2])};
}

bool Matches(const PermissionGlob& glob, const CatalogPermission& p) {
  return PartMatches(glob.domain, p.domain) && PartMatches(glob.entity, p.entity_type) &&
         PartMatches(glob.action, p.action);
}

std::string PermissionName(const CatalogPermission& p) {
  return p.domain + ":" + p.entity_type + ":" + p.action;
}

bool IsOrgWide(const CatalogPermission& p, const std::optional<RoleSettings>& settings) {
  if (p.domain == "authorization" && p.entity_type == "grant" &&
      (p.action == "add" || p.action == "delete")) {
    return settings.has_value() && !settings->authorization_grant_division_aware;
  }
  return !p.division_aware;
}

OrgWidePermissions::OrgWidePermissions(const OrgSnapshot& snapshot,
                                       const std::vector<std::string>& patterns) {
  std::vector<PermissionGlob> globs;
  for (const auto& text : patterns) {
    if (auto glob = ParsePermissionGlob(text)) globs.push_back(std::move(*glob));
  }
  // Only the catalog permissions that are org-wide and selected can matter: usually a few
  // hundred of several thousand, so each policy is matched against that short list.
  std::vector<const CatalogPermission*> selected;
  for (const CatalogPermission& p : snapshot.permissions) {
    if (!IsOrgWide(p, snapshot.role_settings)) continue;
    if (std::any_of(globs.begin(), globs.end(), [&](const auto& g) { return Matches(g, p); })) {
      selected.push_back(&p);
    }
  }
  for (const Role& role : snapshot.roles) {
    std::vector<std::string> perms;
    for (const PermissionPolicy& policy : role.policies) {
      if (policy.narrowed) {
        ++narrowed_policies_;
        continue;
      }
      for (const CatalogPermission* p : selected) {
        if (PolicyGives(policy, *p)) perms.push_back(PermissionName(*p));
      }
    }
    if (perms.empty()) continue;
    std::sort(perms.begin(), perms.end());
    perms.erase(std::unique(perms.begin(), perms.end()), perms.end());
    by_role_.emplace(role.id, std::move(perms));
  }
}

const std::vector<std::string>& OrgWidePermissions::Of(std::string_view role_id) const {
  static const std::vector<std::string> kNone;
  const auto it = by_role_.find(role_id);
  return it == by_role_.end() ? kNone : it->second;
}

int64_t CountNarrowedPolicies(const OrgSnapshot& snapshot) {
  int64_t n = 0;
  for (const Role& role : snapshot.roles) {
    n += std::count_if(role.policies.begin(), role.policies.end(),
                       [](const PermissionPolicy& p) { return p.narrowed; });
  }
  return n;
}

}  // namespace divaudit::audit
