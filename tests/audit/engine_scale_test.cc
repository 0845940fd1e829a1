// Size checks: audits an org of 50,000 users, 300 groups and ~480,000 grants (and, v2, a
// 3,000-permission catalog) and checks what each rule finds at that size. The audit's speed is
// measured by bench/ BM_RunAudit50k, never here.

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <set>

#include "audit/engine.h"
#include "tests/audit/org_builder.h"

namespace divaudit::audit {
namespace {

constexpr int kTenants = 20;
constexpr int kDivisionsPerTenant = 10;
constexpr int kUsers = 50'000;
constexpr int kGroups = 300;
constexpr int kRoles = 100;
constexpr int kGrantsPerUser = 9;
constexpr int kGrantsPerGroup = 100;
constexpr int kGroupsPerUser = 3;
constexpr int kClients = 50;

struct Lcg {
  uint64_t s = 42;
  uint32_t Next() {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(s >> 33);
  }
  int Below(int n) { return static_cast<int>(Next() % static_cast<uint32_t>(n)); }
};

std::string Div(int tenant, int k) {
  return "div-" + std::to_string(tenant) + "-" + std::to_string(k);
}

OrgSnapshot LargeOrg() {
  Lcg rng;
  OrgSnapshot s;
  for (int t = 0; t < kTenants; ++t) {
    for (int k = 0; k < kDivisionsPerTenant; ++k) {
      s.divisions.push_back(
          {Div(t, k), "Tenant " + std::to_string(t) + " / " + std::to_string(k), "", false});
    }
  }
  s.divisions.push_back({"div-home", "Home", "", true});
  for (int k = 0; k < 5; ++k) {
    s.divisions.push_back(
        {"div-unmapped-" + std::to_string(k), "Lab " + std::to_string(k), "", false});
  }
  for (int r = 0; r < kRoles; ++r) s.roles.push_back({"role-" + std::to_string(r), "Role"});
  const auto random_target = [&](int tenant) -> std::string {
    const int p = rng.Below(1000);
    if (p < 5) return Div((tenant + 1 + rng.Below(kTenants - 1)) % kTenants, rng.Below(10));
    if (p < 6) return "*";
    if (p < 7) return "div-deleted-" + std::to_string(rng.Below(10));
    if (p < 10) return "div-home";
    if (p < 11) return "div-unmapped-" + std::to_string(rng.Below(5));
    return Div(tenant, rng.Below(kDivisionsPerTenant));
  };
  std::vector<std::vector<std::string>> group_members(kGroups);
  for (int u = 0; u < kUsers; ++u) {
    const int tenant = u % kTenants;
    const std::string id = "user-" + std::to_string(u);
    const std::string home = rng.Below(100) == 0 ? "div-home" : Div(tenant, rng.Below(10));
    s.users.push_back({id, "User " + std::to_string(u), id + "@example.com", home,
                       rng.Below(50) == 0 ? "inactive" : "active"});
    for (int k = 0; k < kGrantsPerUser; ++k) {
      s.grants.push_back({SubjectType::kUser, id, "role-" + std::to_string(rng.Below(kRoles)),
                          random_target(tenant)});
    }
    // Groups of tenant t are t, t+20, t+40, …
    for (int k = 0; k < kGroupsPerUser; ++k) {
      const int g = tenant + kTenants * rng.Below(kGroups / kTenants);
      group_members[static_cast<size_t>(g)].push_back(id);
    }
  }
  for (int g = 0; g < kGroups; ++g) {
    const int tenant = g % kTenants;
    const std::string id = "group-" + std::to_string(g);
    for (int k = 0; k < kGrantsPerGroup; ++k) {
      std::string div = Div(tenant, rng.Below(kDivisionsPerTenant));
      if (g < 10 && k < 2) div = Div((tenant + 1) % kTenants, k);  // a few cross-tenant groups
      if (g >= 10 && g < 12 && k == 0) div = "*";
      s.grants.push_back({SubjectType::kGroup, id, "role-" + std::to_string(k % kRoles), div});
    }
    s.groups.push_back({id, "Group " + std::to_string(g), true,
                        std::move(group_members[static_cast<size_t>(g)]), true});
  }
  for (int c = 0; c < kClients; ++c) {
    OAuthClient client{"client-" + std::to_string(c), "Client", "CLIENT-CREDENTIALS", "active", {}};
    for (int k = 0; k < 20; ++k) {
      client.role_divisions.push_back(
          {"role-" + std::to_string(rng.Below(kRoles)), Div(rng.Below(kTenants), rng.Below(10))});
    }
    s.oauth_clients.push_back(std::move(client));
  }
  Canonicalize(s);
  return s;
}

// One tenant per "Tenant N / *" division family; "Home" is shared.
Policy TenantPolicy() {
  Policy p;
  for (int t = 0; t < kTenants; ++t) {
    p.tenants.push_back({"Tenant " + std::to_string(t), {"Tenant " + std::to_string(t) + " / *"}});
  }
  p.shared_divisions = {"Home"};
  return p;
}

TEST(EngineScaleTest, FiftyThousandUsersHalfAMillionGrants) {
  const OrgSnapshot s = LargeOrg();
  const Policy p = TenantPolicy();
  const SystemTime now = testing::At("2026-11-23T08:00:00Z");

  auto map = TenantMap::Build(p, s.divisions);
  ASSERT_TRUE(map.ok()) << map.status().ToString();
  const AuditResult r = RunAudit(s, map.value(), p, now);

  std::map<Rule, int64_t> by_rule;
  for (const Finding& f : r.findings) ++by_rule[f.rule];
  size_t memberships = 0;
  for (const Group& g : s.groups) memberships += g.member_ids.size();
  std::printf(
      "[ scale    ] audit of %zu users, %zu groups, %zu grants, %zu memberships: "
      "%lld effective grants, %zu findings (all_divisions %lld, cross_tenant %lld, "
      "multi_tenant_subject %lld, unmapped_division %lld, orphaned_grant %lld)\n",
      s.users.size(), s.groups.size(), s.grants.size(), memberships,
      static_cast<long long>(r.stats.effective_grants), r.findings.size(),
      static_cast<long long>(by_rule[Rule::kAllDivisions]),
      static_cast<long long>(by_rule[Rule::kCrossTenant]),
      static_cast<long long>(by_rule[Rule::kMultiTenantSubject]),
      static_cast<long long>(by_rule[Rule::kUnmappedDivision]),
      static_cast<long long>(by_rule[Rule::kOrphanedGrant]));
  EXPECT_GT(s.grants.size(), 450'000U);
  EXPECT_EQ(by_rule[Rule::kUnmappedDivision], 5);
  EXPECT_GT(by_rule[Rule::kCrossTenant], 1000);
  EXPECT_GT(by_rule[Rule::kAllDivisions], 100);
  EXPECT_GT(by_rule[Rule::kOrphanedGrant], 100);
  EXPECT_GT(by_rule[Rule::kMultiTenantSubject], 10);
}

// v2 inputs at the size of issue 14: a 3,000-permission catalog over 80 domains (a fifth of it
// not division-aware), policies with wildcards and conditions on the roles, the grant guardrail
// off. Real domain names are among the 80 so that the default org_wide_permissions select some.
void AddPermissions(OrgSnapshot& s, int roles_with_policies) {
  Lcg rng;
  const std::vector<std::string> real = {"directory", "authorization", "recording",
                                         "analytics", "integrations",  "oauth"};
  std::vector<std::string> domains = real;
  while (domains.size() < 80) domains.push_back("domain" + std::to_string(domains.size()));
  const std::vector<std::string> actions = {"view", "add", "edit", "delete", "admin"};
  const std::vector<std::string> entities = {
      "organization", "group", "role", "grant", "client", "recording", "conversationDetail"};
  for (const std::string& d : domains) {
    for (int e = 0; e < 8; ++e) {
      const std::string entity = e < static_cast<int>(entities.size())
                                     ? entities[static_cast<size_t>(e)]
                                     : "entity" + std::to_string(e);
      for (int a = 0; a < 5 && s.permissions.size() < 3000; ++a) {
        s.permissions.push_back({d, entity, actions[static_cast<size_t>(a)], rng.Below(5) != 0});
      }
    }
  }
  while (s.permissions.size() < 3000) {
    s.permissions.push_back(
        {"extra", "entity" + std::to_string(s.permissions.size()), "view", rng.Below(5) != 0});
  }
  // Roles 0..roles_with_policies-1 get 30 policies over the synthetic domains (wildcards in
  // every part, one in ten narrowed); three admin roles (the last ones) also get the real
  // domains, one of them "*:*:*". Groups do not hold the admin roles (they are granted to a few
  // people directly, as in a real BPO).
  const int n = static_cast<int>(s.roles.size());
  for (int r = 0; r < roles_with_policies && r < n; ++r) {
    const bool admin = r >= roles_with_policies - 3;
    auto& policies = s.roles[static_cast<size_t>(n) - 1 - static_cast<size_t>(r)].policies;
    if (r == roles_with_policies - 1) policies.push_back({"*", "*", {"*"}, false});
    for (int k = 0; k < 30; ++k) {
      const int first = admin ? 0 : static_cast<int>(real.size());
      const int pick = first + rng.Below(static_cast<int>(domains.size()) - first);
      const std::string& d = domains[static_cast<size_t>(pick)];
      const std::string entity =
          rng.Below(4) == 0 ? "*" : entities[static_cast<size_t>(rng.Below(7))];
      std::vector<std::string> set = rng.Below(3) == 0
                                         ? std::vector<std::string>{"*"}
                                         : std::vector<std::string>{"add", "edit", "view"};
      policies.push_back({d, entity, std::move(set), rng.Below(10) == 0});
    }
  }
  std::set<std::string> admin_roles;
  for (int r = roles_with_policies - 3; r < roles_with_policies; ++r) {
    admin_roles.insert(s.roles[static_cast<size_t>(n) - 1 - static_cast<size_t>(r)].id);
  }
  std::erase_if(s.grants, [&](const Grant& g) {
    return g.subject_type == SubjectType::kGroup && admin_roles.count(g.role_id.str()) > 0;
  });
  s.role_settings = RoleSettings{false, true};
  Canonicalize(s);
}

TEST(EngineScaleTest, FiftyThousandUsersWithAThreeThousandPermissionCatalog) {
  OrgSnapshot s = LargeOrg();
  AddPermissions(s, 40);
  const Policy p = TenantPolicy();
  const SystemTime now = testing::At("2026-11-23T08:00:00Z");
  auto map = TenantMap::Build(p, s.divisions);
  ASSERT_TRUE(map.ok()) << map.status().ToString();
  const AuditResult r = RunAudit(s, map.value(), p, now, {}, OrgRef{"org-1", "Org"});
  std::map<Rule, int64_t> by_rule;
  for (const Finding& f : r.findings) ++by_rule[f.rule];
  std::printf(
      "[ scale    ] v2 audit of %zu users, %zu grants, %zu catalog permissions, 40 roles with "
      "policies: %zu findings (org_wide_permission %lld, grant_guardrail_off %lld)\n",
      s.users.size(), s.grants.size(), s.permissions.size(), r.findings.size(),
      static_cast<long long>(by_rule[Rule::kOrgWidePermission]),
      static_cast<long long>(by_rule[Rule::kGrantGuardrailOff]));
  EXPECT_EQ(s.permissions.size(), 3000U);
  EXPECT_GT(by_rule[Rule::kOrgWidePermission], 5'000);
  EXPECT_EQ(by_rule[Rule::kGrantGuardrailOff], 1);
}

}  // namespace
}  // namespace divaudit::audit
