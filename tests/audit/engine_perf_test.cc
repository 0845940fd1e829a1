// A size check, not a benchmark harness: audits an org of 50,000 users, 300 groups and ~480,000
// grants and PRINTS the time taken (no timing assertion: CI machines vary).

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>

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
  for (int r = 0; r < kRoles; ++r)
    s.roles.push_back({
        "role-" + std::to_string(r),
        "Role",
    });
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

TEST(EnginePerfTest, FiftyThousandUsersHalfAMillionGrants) {
  const OrgSnapshot s = LargeOrg();
  Policy p;
  for (int t = 0; t < kTenants; ++t) {
    p.tenants.push_back({"Tenant " + std::to_string(t), {"Tenant " + std::to_string(t) + " / *"}});
  }
  p.shared_divisions = {"Home"};
  const SystemTime now = testing::At("2026-11-23T08:00:00Z");

  const auto wall0 = std::chrono::steady_clock::now();
  const std::clock_t cpu0 = std::clock();
  auto map = TenantMap::Build(p, s.divisions);
  ASSERT_TRUE(map.ok()) << map.status().ToString();
  const AuditResult r = RunAudit(s, map.value(), p, now);
  const std::clock_t cpu1 = std::clock();
  const auto wall1 = std::chrono::steady_clock::now();

  std::map<Rule, int64_t> by_rule;
  for (const Finding& f : r.findings) ++by_rule[f.rule];
  size_t memberships = 0;
  for (const Group& g : s.groups) memberships += g.member_ids.size();
  std::printf(
      "[ perf     ] audit of %zu users, %zu groups, %zu grants, %zu memberships: %.0f ms wall, "
      "%.0f ms CPU; %lld effective grants, %zu findings (all_divisions %lld, cross_tenant %lld, "
      "multi_tenant_subject %lld, unmapped_division %lld, orphaned_grant %lld)\n",
      s.users.size(), s.groups.size(), s.grants.size(), memberships,
      std::chrono::duration<double, std::milli>(wall1 - wall0).count(),
      1000.0 * static_cast<double>(cpu1 - cpu0) / CLOCKS_PER_SEC,
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

}  // namespace
}  // namespace divaudit::audit
