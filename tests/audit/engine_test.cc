#include "audit/engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <set>

#include "tests/audit/org_builder.h"

namespace divaudit::audit {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;
using testing::OrgBuilder;
using testing::Summaries;

constexpr auto kUser = SubjectType::kUser;
constexpr auto kGroup = SubjectType::kGroup;
constexpr auto kClient = SubjectType::kOAuthClient;
constexpr auto kTrusteeUser = SubjectType::kTrusteeUser;
constexpr auto kTrusteeGroup = SubjectType::kTrusteeGroup;
constexpr auto kUnknownType = SubjectType::kUnknown;

// dA, dA2: tenant "Acme Retail"; dG: "Globex Health"; dI: "Initech" (by id); dH "Home": shared;
// dX "Orphanage": unmapped. Users uA (home dA), uG (home dG), uH (home dH, no home tenant).
OrgBuilder BaseOrg() {
  OrgBuilder b;
  b.Division("dA", "Acme Retail")
      .Division("dA2", "Acme Retail EU")
      .Division("dG", "Globex Health")
      .Division("dH", "Home")
      .Division("dI", "Initech Corp")
      .Division("dX", "Orphanage")
      .Role("r1", "Agent")
      .Role("r2", "Admin")
      .User("uA", "dA")
      .User("uG", "dG")
      .User("uH", "dH");
  return b;
}

Policy BasePolicy() {
  Policy p;
  p.tenants = {{"Acme Retail", {"Acme Retail", "Acme Retail *"}},
               {"Globex Health", {"Globex*"}},
               {"Initech", {"dI"}}};
  p.shared_divisions = {"Home"};
  return p;
}

const SystemTime kNow = testing::At("2026-11-23T08:00:00Z");

std::vector<Finding> RunOn(const OrgSnapshot& s, const Policy& p, SystemTime now = kNow) {
  auto map = TenantMap::Build(p, s.divisions);
  EXPECT_TRUE(map.ok()) << map.status().ToString();
  return Audit(s, map.value(), p, now);
}

struct RuleCase {
  const char* name;
  std::function<void(OrgBuilder&)> org;
  std::vector<std::string> expected;  // Summary() of every finding, any order
  bool no_tenants = false;
};

void PrintTo(const RuleCase& c, std::ostream* os) { *os << c.name; }

class EngineRuleTest : public ::testing::TestWithParam<RuleCase> {};

TEST_P(EngineRuleTest, ProducesExactlyTheExpectedFindings) {
  const RuleCase& c = GetParam();
  OrgBuilder b = BaseOrg();
  c.org(b);
  Policy p = BasePolicy();
  if (c.no_tenants) p.tenants.clear();
  auto got = Summaries(RunOn(b.Build(), p));
  auto want = c.expected;
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  EXPECT_THAT(got, ElementsAreArray(want));
}

INSTANTIATE_TEST_SUITE_P(
    Rules, EngineRuleTest,
    ::testing::Values(
        RuleCase{"NothingForAnEmptyOrg", [](OrgBuilder&) {}, {}},
        RuleCase{"OwnTenantGrantsAreFine",
                 [](OrgBuilder& b) { b.UserGrant("uA", "r1", "dA").UserGrant("uA", "r2", "dA2"); },
                 {}},
        RuleCase{"CrossTenantDirect",
                 [](OrgBuilder& b) { b.UserGrant("uA", "r1", "dG"); },
                 {"cross_tenant user:uA r1 dG direct"}},
        RuleCase{"CrossTenantByIdMappedTenant",
                 [](OrgBuilder& b) { b.UserGrant("uG", "r1", "dI"); },
                 {"cross_tenant user:uG r1 dI direct"}},
        RuleCase{"CrossTenantViaGroup",
                 [](OrgBuilder& b) { b.Group("g1", {"uA"}).GroupGrant("g1", "r1", "dG"); },
                 {"cross_tenant user:uA r1 dG group:g1"}},
        RuleCase{"SameRoleDirectAndViaGroupIsTwoFindings",
                 [](OrgBuilder& b) {
                   b.Group("g1", {"uA"}).GroupGrant("g1", "r1", "dG").UserGrant("uA", "r1", "dG");
                 },
                 {"cross_tenant user:uA r1 dG direct", "cross_tenant user:uA r1 dG group:g1"}},
        RuleCase{"SameRoleViaTwoGroupsIsTwoFindings",
                 [](OrgBuilder& b) {
                   b.Group("g1", {"uA"}).Group("g2", {"uA"});
                   b.GroupGrant("g1", "r1", "dG").GroupGrant("g2", "r1", "dG");
                 },
                 {"cross_tenant user:uA r1 dG group:g1", "cross_tenant user:uA r1 dG group:g2"}},
        RuleCase{
            "OneFindingPerRoleAndDivision",
            [](OrgBuilder& b) {
              b.UserGrant("uA", "r1", "dG").UserGrant("uA", "r2", "dG").UserGrant("uA", "r1", "dI");
            },
            {"cross_tenant user:uA r1 dG direct", "cross_tenant user:uA r2 dG direct",
             "cross_tenant user:uA r1 dI direct"}},
        RuleCase{"AllDivisionsDirectYieldsOnlyAllDivisions",
                 [](OrgBuilder& b) { b.UserGrant("uA", "r1", "*").UserGrant("uH", "r2", "*"); },
                 {"all_divisions user:uA r1 * direct", "all_divisions user:uH r2 * direct"}},
        RuleCase{"AllDivisionsOnGroupAndEachMember",
                 [](OrgBuilder& b) {
                   b.Group("g1", {"uA", "uG"}).GroupGrant("g1", "r2", "*");
                 },
                 {"all_divisions group:g1 r2 * direct", "all_divisions user:uA r2 * group:g1",
                  "all_divisions user:uG r2 * group:g1"}},
        RuleCase{"AllDivisionsDirectAndViaGroupIsTwoFindings",
                 [](OrgBuilder& b) {
                   b.Group("g1", {"uA"}).GroupGrant("g1", "r2", "*").UserGrant("uA", "r2", "*");
                 },
                 {"all_divisions group:g1 r2 * direct", "all_divisions user:uA r2 * group:g1",
                  "all_divisions user:uA r2 * direct"}},
        RuleCase{"AllDivisionsOnClientAndTrustees",
                 [](OrgBuilder& b) {
                   b.Client("c1", {{"r1", "*"}})
                       .External("t1", kTrusteeUser)
                       .External("t2", kTrusteeGroup)
                       .Grant(kTrusteeUser, "t1", "r1", "*")
                       .Grant(kTrusteeGroup, "t2", "r2", "*");
                 },
                 {"all_divisions oauth_client:c1 r1 * direct",
                  "all_divisions trustee_user:t1 r1 * direct",
                  "all_divisions trustee_group:t2 r2 * direct"}},
        RuleCase{"ClientGrantListedTwiceIsOneFinding",
                 [](OrgBuilder& b) {
                   b.Client("c1", {{"r1", "*"}}).Grant(kClient, "c1", "r1", "*");
                 },
                 {"all_divisions oauth_client:c1 r1 * direct"}},
        RuleCase{"OrphanedGrantOnUser",
                 [](OrgBuilder& b) { b.UserGrant("uA", "r1", "d-gone"); },
                 {"orphaned_grant user:uA r1 d-gone direct"}},
        RuleCase{"OrphanedGrantOnGroupOnlyNotOnMembers",
                 [](OrgBuilder& b) {
                   b.Group("g1", {"uA", "uH"}).GroupGrant("g1", "r1", "d-gone");
                 },
                 {"orphaned_grant group:g1 r1 d-gone direct"}},
        RuleCase{"OrphanedGrantOnClientAndTrustee",
                 [](OrgBuilder& b) {
                   b.Client("c1", {{"r1", "d-gone"}})
                       .External("t1", kTrusteeUser)
                       .Grant(kTrusteeUser, "t1", "r1", "d-gone2");
                 },
                 {"orphaned_grant oauth_client:c1 r1 d-gone direct",
                  "orphaned_grant trustee_user:t1 r1 d-gone2 direct"}},
        RuleCase{
            "SharedDivisionNeverCounts",
            [](OrgBuilder& b) {
              b.UserGrant("uA", "r1", "dH").UserGrant("uH", "r1", "dH").UserGrant("uH", "r1", "dA");
              b.Group("g1", {}).GroupGrant("g1", "r1", "dH").GroupGrant("g1", "r1", "dA");
            },
            {}},
        RuleCase{"UnmappedDivisionTargetedOncePerDivision",
                 [](OrgBuilder& b) {
                   b.UserGrant("uA", "r1", "dX").UserGrant("uG", "r2", "dX");
                   b.Group("g1", {"uA"}).GroupGrant("g1", "r1", "dX");
                 },
                 {"unmapped_division - - dX -"}},
        RuleCase{"UnmappedDivisionNeverCrossOrMulti",
                 [](OrgBuilder& b) {
                   b.UserGrant("uH", "r1", "dX").UserGrant("uH", "r1", "dA");
                   b.Client("c1", {{"r1", "dX"}, {"r1", "dG"}});
                 },
                 {"unmapped_division - - dX -"}},
        RuleCase{"UnmappedDivisionAsHome",
                 [](OrgBuilder& b) { b.User("uX", "dX", "inactive"); },
                 {"unmapped_division - - dX -"}},
        RuleCase{"UnmappedDivisionHomeOfDeletedUserOnly",
                 [](OrgBuilder& b) { b.User("uX", "dX", "deleted").UserGrant("uX", "r1", "dX"); },
                 {}},
        RuleCase{"UnmappedHomeUserHasNoHomeTenant",
                 [](OrgBuilder& b) {
                   b.User("uX", "dX").UserGrant("uX", "r1", "dA").UserGrant("uX", "r1", "dG");
                 },
                 {"unmapped_division - - dX -",
                  "multi_tenant_subject user:uX - - - [Acme Retail,Globex Health]"}},
        RuleCase{"NoHomeTenantUserOneTenantIsFine",
                 [](OrgBuilder& b) { b.UserGrant("uH", "r1", "dA").UserGrant("uH", "r2", "dA2"); },
                 {}},
        RuleCase{"NoHomeTenantUserTwoTenantsDirect",
                 [](OrgBuilder& b) { b.UserGrant("uH", "r1", "dA").UserGrant("uH", "r2", "dG"); },
                 {"multi_tenant_subject user:uH - - - [Acme Retail,Globex Health]"}},
        RuleCase{"NoHomeTenantUserTwoTenantsViaGroups",
                 [](OrgBuilder& b) {
                   b.Group("g1", {"uH"}).Group("g2", {"uH"});
                   b.GroupGrant("g1", "r1", "dI").GroupGrant("g2", "r1", "dG");
                   b.UserGrant("uH", "r1", "dA");
                 },
                 {"multi_tenant_subject user:uH - - - [Acme Retail,Globex Health,Initech]"}},
        RuleCase{
            "UserWithUnknownHomeHasNoHomeTenant",
            [](OrgBuilder& b) {
              b.User("uZ", "d-vanished").UserGrant("uZ", "r1", "dA").UserGrant("uZ", "r1", "dG");
            },
            {"multi_tenant_subject user:uZ - - - [Acme Retail,Globex Health]"}},
        RuleCase{"UnlistedUserIsAuditedWithoutHome",
                 [](OrgBuilder& b) {
                   b.UserGrant("u-ghost", "r1", "dA").UserGrant("u-ghost", "r1", "dG");
                   b.UserGrant("u-ghost", "r1", "*");
                 },
                 {"multi_tenant_subject user:u-ghost - - - [Acme Retail,Globex Health]",
                  "all_divisions user:u-ghost r1 * direct"}},
        RuleCase{"GroupReachingTwoTenants",
                 [](OrgBuilder& b) {
                   b.Group("g1", {"uA", "uG", "uH"});
                   b.GroupGrant("g1", "r1", "dA").GroupGrant("g1", "r1", "dG");
                 },
                 {"multi_tenant_subject group:g1 - - - [Acme Retail,Globex Health]",
                  "cross_tenant user:uA r1 dG group:g1", "cross_tenant user:uG r1 dA group:g1",
                  "multi_tenant_subject user:uH - - - [Acme Retail,Globex Health]"}},
        RuleCase{"GroupWithoutMembers",
                 [](OrgBuilder& b) {
                   b.Group("g1", {}).GroupGrant("g1", "r1", "dA").GroupGrant("g1", "r2", "dI");
                 },
                 {"multi_tenant_subject group:g1 - - - [Acme Retail,Initech]"}},
        RuleCase{"GroupWithRolesDisabledStillCounts",
                 [](OrgBuilder& b) {
                   b.Group("g1", {"uA"}, /*roles_enabled=*/false).GroupGrant("g1", "r1", "dG");
                 },
                 {"cross_tenant user:uA r1 dG group:g1"}},
        RuleCase{"ClientTwoTenants",
                 [](OrgBuilder& b) {
                   b.Client("c1", {{"r1", "dA"}}).Grant(kClient, "c1", "r2", "dG");
                   b.Client("c2", {{"r1", "dA"}, {"r2", "dA2"}});
                 },
                 {"multi_tenant_subject oauth_client:c1 - - - [Acme Retail,Globex Health]"}},
        RuleCase{"TrusteesTwoTenants",
                 [](OrgBuilder& b) {
                   b.External("t1", kTrusteeUser).External("t2", kTrusteeGroup);
                   b.Grant(kTrusteeUser, "t1", "r1", "dA").Grant(kTrusteeUser, "t1", "r1", "dG");
                   b.Grant(kTrusteeGroup, "t2", "r1", "dA").Grant(kTrusteeGroup, "t2", "r1", "dA2");
                 },
                 {"multi_tenant_subject trustee_user:t1 - - - [Acme Retail,Globex Health]"}},
        RuleCase{
            "UnknownSubjectTypeIsLikeATrustee",
            [](OrgBuilder& b) {
              b.External("x1", kUnknownType, "PC_ROBOT");
              b.Grant(kUnknownType, "x1", "r1", "dA").Grant(kUnknownType, "x1", "r1", "dG");
              b.Grant(kUnknownType, "x1", "r2", "*").Grant(kUnknownType, "x1", "r2", "d-gone");
            },
            {"multi_tenant_subject unknown:x1 - - - [Acme Retail,Globex Health]",
             "all_divisions unknown:x1 r2 * direct", "orphaned_grant unknown:x1 r2 d-gone direct"}},
        RuleCase{"InactiveUsersAreAudited",
                 [](OrgBuilder& b) { b.User("uI", "dA", "inactive").UserGrant("uI", "r1", "dG"); },
                 {"cross_tenant user:uI r1 dG direct"}},
        RuleCase{"DeletedUsersAreNotAudited",
                 [](OrgBuilder& b) {
                   b.User("uD", "dA", "deleted").UserGrant("uD", "r1", "dG");
                   b.UserGrant("uD", "r1", "*").UserGrant("uD", "r1", "d-gone");
                   b.Group("g1", {"uD"}).GroupGrant("g1", "r1", "dG");
                 },
                 {}},
        RuleCase{"StarAndUnknownNeverCountTowardsTenants",
                 [](OrgBuilder& b) {
                   b.UserGrant("uH", "r1", "dA")
                       .UserGrant("uH", "r1", "*")
                       .UserGrant("uH", "r1", "d-gone");
                 },
                 {"all_divisions user:uH r1 * direct", "orphaned_grant user:uH r1 d-gone direct"}},
        RuleCase{"NoTenantsEveryDivisionIsItsOwnTenant",
                 [](OrgBuilder& b) {
                   b.UserGrant("uA", "r1", "dA2")
                       .UserGrant("uA", "r1", "dX")
                       .UserGrant("uA", "r1", "dH");
                   b.UserGrant("uH", "r1", "dA").UserGrant("uH", "r1", "dA2");
                   b.User("uX", "dX");
                 },
                 {"cross_tenant user:uA r1 dA2 direct", "cross_tenant user:uA r1 dX direct",
                  "multi_tenant_subject user:uH - - - [Acme Retail,Acme Retail EU]"},
                 /*no_tenants=*/true}),
    [](const ::testing::TestParamInfo<RuleCase>& param_info) { return param_info.param.name; });

const Finding* FindRule(const std::vector<Finding>& fs, Rule rule) {
  for (const Finding& f : fs) {
    if (f.rule == rule) return &f;
  }
  return nullptr;
}

TEST(EngineTest, CrossTenantFieldsAreFilled) {
  const OrgSnapshot s = BaseOrg().Group("g1", {"uA"}).GroupGrant("g1", "r1", "dG").Build();
  const auto fs = RunOn(s, BasePolicy());
  ASSERT_EQ(fs.size(), 1U);
  const Finding& f = fs[0];
  EXPECT_EQ(f.rule, Rule::kCrossTenant);
  EXPECT_EQ(f.severity, Severity::kHigh);
  EXPECT_EQ(f.state, FindingState::kOpen);
  EXPECT_EQ(f.subject, (SubjectRef{kUser, "uA", "User uA"}));
  EXPECT_EQ(f.home_division, (NamedRef{"dA", "Acme Retail"}));
  EXPECT_EQ(f.home_tenant, "Acme Retail");
  EXPECT_EQ(f.role, (NamedRef{"r1", "Agent"}));
  EXPECT_EQ(f.division, (NamedRef{"dG", "Globex Health"}));
  EXPECT_EQ(f.tenant, "Globex Health");
  EXPECT_EQ(f.via, (Via{false, "g1", "Group g1"}));
  EXPECT_TRUE(f.tenants.empty());
  EXPECT_FALSE(f.exception.has_value());
  EXPECT_TRUE(f.first_seen.empty());
  EXPECT_EQ(f.fingerprint, FingerprintOf(f));
  EXPECT_EQ(f.fingerprint, Fingerprint(Rule::kCrossTenant, "user", "uA", "r1", "dG", "g1"));
}

TEST(EngineTest, AllDivisionsFieldsAndSeverity) {
  const OrgSnapshot s = BaseOrg().UserGrant("uA", "r2", "*").Client("c1", {{"r1", "*"}}).Build();
  const auto fs = RunOn(s, BasePolicy());
  ASSERT_EQ(fs.size(), 2U);
  EXPECT_EQ(fs[0].severity, Severity::kCritical);
  EXPECT_EQ(fs[0].division, (NamedRef{"*", ""}));
  EXPECT_EQ(fs[0].subject->type, kClient);
  EXPECT_FALSE(fs[0].home_division.has_value());
  EXPECT_FALSE(fs[0].home_tenant.has_value());
  EXPECT_EQ(fs[0].via, Via{});
  EXPECT_FALSE(fs[0].tenant.has_value());
  EXPECT_EQ(fs[1].home_division, (NamedRef{"dA", "Acme Retail"}));
  EXPECT_EQ(fs[1].home_tenant, "Acme Retail");
  EXPECT_EQ(fs[1].role, (NamedRef{"r2", "Admin"}));
  EXPECT_EQ(fs[1].fingerprint, Fingerprint(Rule::kAllDivisions, "user", "uA", "r2", "*", "direct"));
}

TEST(EngineTest, MultiTenantAndUnmappedAndOrphanedFields) {
  const OrgSnapshot s = BaseOrg()
                            .UserGrant("uH", "r1", "dG")
                            .UserGrant("uH", "r1", "dA")
                            .UserGrant("uH", "r-gone", "d-gone")
                            .UserGrant("uA", "r1", "dX")
                            .Build();
  const auto fs = RunOn(s, BasePolicy());
  const Finding* multi = FindRule(fs, Rule::kMultiTenantSubject);
  ASSERT_NE(multi, nullptr);
  EXPECT_EQ(multi->severity, Severity::kHigh);
  EXPECT_EQ(multi->home_division, (NamedRef{"dH", "Home"}));
  EXPECT_FALSE(multi->home_tenant.has_value());
  EXPECT_FALSE(multi->role.has_value());
  EXPECT_FALSE(multi->division.has_value());
  EXPECT_FALSE(multi->via.has_value());
  EXPECT_FALSE(multi->tenant.has_value());
  EXPECT_THAT(multi->tenants, ElementsAre("Acme Retail", "Globex Health"));
  EXPECT_EQ(multi->fingerprint, Fingerprint(Rule::kMultiTenantSubject, "user", "uH", "", "", ""));

  const Finding* unmapped = FindRule(fs, Rule::kUnmappedDivision);
  ASSERT_NE(unmapped, nullptr);
  EXPECT_EQ(unmapped->severity, Severity::kMedium);
  EXPECT_FALSE(unmapped->subject.has_value());
  EXPECT_FALSE(unmapped->role.has_value());
  EXPECT_FALSE(unmapped->via.has_value());
  EXPECT_EQ(unmapped->division, (NamedRef{"dX", "Orphanage"}));
  EXPECT_EQ(unmapped->fingerprint, Fingerprint(Rule::kUnmappedDivision, "", "", "", "dX", ""));

  const Finding* orphan = FindRule(fs, Rule::kOrphanedGrant);
  ASSERT_NE(orphan, nullptr);
  EXPECT_EQ(orphan->severity, Severity::kLow);
  EXPECT_EQ(orphan->role, (NamedRef{"r-gone", ""}));
  EXPECT_EQ(orphan->division, (NamedRef{"d-gone", ""}));
  EXPECT_EQ(orphan->via, Via{});
  EXPECT_EQ(orphan->home_division, (NamedRef{"dH", "Home"}));
}

TEST(EngineTest, FindingsAreSortedByFindingLess) {
  OrgBuilder b = BaseOrg();
  b.Group("g2", {"uA", "uH"}).Group("g1", {"uA", "uG"});
  b.GroupGrant("g1", "r1", "*").GroupGrant("g2", "r2", "dG").GroupGrant("g2", "r1", "dI");
  b.UserGrant("uA", "r2", "dG").UserGrant("uG", "r1", "d-gone").UserGrant("uG", "r1", "dX");
  b.Client("c1", {{"r1", "*"}, {"r1", "dA"}, {"r1", "dG"}});
  const auto fs = RunOn(b.Build(), BasePolicy());
  ASSERT_GT(fs.size(), 8U);
  EXPECT_TRUE(std::is_sorted(fs.begin(), fs.end(), FindingLess));
  std::vector<Finding> resorted = fs;
  std::reverse(resorted.begin(), resorted.end());
  SortFindings(resorted);
  EXPECT_EQ(resorted, fs);
  std::set<std::string> fps;
  for (const Finding& f : fs) fps.insert(f.fingerprint);
  EXPECT_EQ(fps.size(), fs.size());
  // Rule order is the rule id's alphabetical order.
  EXPECT_EQ(fs.front().rule, Rule::kAllDivisions);
  EXPECT_EQ(fs.back().rule, Rule::kUnmappedDivision);
}

TEST(EngineTest, ResultCarriesStats) {
  const OrgSnapshot s = BaseOrg()
                            .User("uD", "dA", "deleted")
                            .Group("g1", {"uA", "uG"})
                            .GroupGrant("g1", "r1", "dA")
                            .UserGrant("uA", "r1", "dA")
                            .Build();
  auto map = TenantMap::Build(BasePolicy(), s.divisions);
  ASSERT_TRUE(map.ok());
  const AuditResult r = RunAudit(s, map.value(), BasePolicy(), kNow);
  EXPECT_EQ(r.stats.deleted_users_skipped, 1);
  EXPECT_EQ(r.stats.effective_grants, 4);  // g1 own, uA direct + via g1, uG via g1
}

// ---- fingerprints ----

std::map<std::string, std::string> FingerprintsBySummary(const std::vector<Finding>& fs) {
  std::map<std::string, std::string> out;
  for (const Finding& f : fs) out[testing::Summary(f)] = f.fingerprint;
  return out;
}

OrgBuilder FingerprintOrg(bool renamed) {
  const std::string sfx = renamed ? " (renamed)" : "";
  OrgBuilder b;
  b.Division("dA", "Acme" + sfx)
      .Division("dG", "Globex" + sfx)
      .Division("dH", "Home" + sfx)
      .Division("dX", "Orphan" + sfx)
      .Role("r1", "Agent" + sfx)
      .Role("r2", "Admin" + sfx)
      .User("uA", "dA")
      .User("uH", "dH")
      .Group("g1", {"uA", "uH"})
      .GroupGrant("g1", "r1", "dG")
      .GroupGrant("g1", "r1", "dA")
      .GroupGrant("g1", "r2", "*")
      .UserGrant("uA", "r1", "dX")
      .UserGrant("uA", "r1", "d-gone")
      .Client("c1", {{"r1", "dA"}, {"r1", "dG"}});
  return b;
}

TEST(EngineFingerprintTest, RenamingAnythingChangesNoFingerprint) {
  Policy p1;
  p1.tenants = {{"Acme", {"dA"}}, {"Globex", {"dG"}}};
  p1.shared_divisions = {"dH"};
  Policy p2 = p1;
  p2.tenants = {{"Acme Inc (renamed)", {"dA"}}, {"Globex Ltd (renamed)", {"dG"}}};
  OrgSnapshot s1 = FingerprintOrg(false).Build();
  OrgSnapshot s2 = FingerprintOrg(true).Build();
  for (auto& u : s2.users) u.name += " (renamed)";
  for (auto& g : s2.groups) g.name += " (renamed)";
  for (auto& c : s2.oauth_clients) c.name += " (renamed)";
  const auto f1 = RunOn(s1, p1);
  const auto f2 = RunOn(s2, p2);
  ASSERT_EQ(f1.size(), f2.size());
  ASSERT_GE(f1.size(), 7U);
  for (size_t i = 0; i < f1.size(); ++i) {
    EXPECT_EQ(f1[i].fingerprint, f2[i].fingerprint) << testing::Summary(f1[i]);
    EXPECT_EQ(f1[i].rule, f2[i].rule);
    EXPECT_EQ(f1[i].subject.has_value() ? f1[i].subject->id : "",
              f2[i].subject.has_value() ? f2[i].subject->id : "");
  }
  EXPECT_NE(f1[0].subject->name, f2[0].subject->name);
}

TEST(EngineFingerprintTest, IdentityChangesTheFingerprint) {
  const std::string base = Fingerprint(Rule::kCrossTenant, "user", "u1", "r1", "d1", "g1");
  EXPECT_EQ(base, Fingerprint(Rule::kCrossTenant, "user", "u1", "r1", "d1", "g1"));
  EXPECT_NE(base, Fingerprint(Rule::kAllDivisions, "user", "u1", "r1", "d1", "g1"));
  EXPECT_NE(base, Fingerprint(Rule::kCrossTenant, "trustee_user", "u1", "r1", "d1", "g1"));
  EXPECT_NE(base, Fingerprint(Rule::kCrossTenant, "user", "u2", "r1", "d1", "g1"));
  EXPECT_NE(base, Fingerprint(Rule::kCrossTenant, "user", "u1", "r2", "d1", "g1"));
  EXPECT_NE(base, Fingerprint(Rule::kCrossTenant, "user", "u1", "r1", "d2", "g1"));
  EXPECT_NE(base, Fingerprint(Rule::kCrossTenant, "user", "u1", "r1", "d1", "direct"));
  EXPECT_NE(base, Fingerprint(Rule::kCrossTenant, "user", "u1", "r1", "d1g", "1"));

  // Through the engine: the same grant through another group is another finding.
  Policy p;
  p.tenants = {{"Acme", {"dA"}}, {"Globex", {"dG"}}};
  OrgSnapshot s = FingerprintOrg(false).Build();
  const auto before = FingerprintsBySummary(RunOn(s, p));
  for (auto& g : s.groups) g.id = "g9";
  for (auto& gr : s.grants) {
    if (gr.subject_id == "g1") gr.subject_id = "g9";
  }
  Canonicalize(s);
  const auto after = FingerprintsBySummary(RunOn(s, p));
  ASSERT_TRUE(before.count("cross_tenant user:uA r1 dG group:g1"));
  ASSERT_TRUE(after.count("cross_tenant user:uA r1 dG group:g9"));
  EXPECT_NE(before.at("cross_tenant user:uA r1 dG group:g1"),
            after.at("cross_tenant user:uA r1 dG group:g9"));
  // Untouched identities keep their fingerprints.
  EXPECT_EQ(before.at("orphaned_grant user:uA r1 d-gone direct"),
            after.at("orphaned_grant user:uA r1 d-gone direct"));
}

// ---- exceptions ----

ExceptionSpec Exc(Rule rule, std::string subject, std::optional<std::string> role,
                  std::optional<std::string> division, const char* expires) {
  ExceptionSpec e;
  e.rule = rule;
  e.subject_id = std::move(subject);
  e.role_id = std::move(role);
  e.division_id = std::move(division);
  e.reason = "break-glass";
  e.owner = "secops@example.com";
  e.expires = expires;
  // As config/ computes it: the end of that day, UTC.
  e.expires_at = testing::At((std::string(expires) + "T23:59:59Z").c_str());
  return e;
}

OrgSnapshot ExceptionOrg() {
  return BaseOrg()
      .UserGrant("uA", "r1", "dG")
      .UserGrant("uA", "r2", "dG")
      .UserGrant("uA", "r1", "dI")
      .UserGrant("uA", "r1", "*")
      .UserGrant("uG", "r1", "dA")
      .UserGrant("uG", "r1", "dX")
      .Build();
}

struct ExceptionCase {
  const char* name;
  std::vector<ExceptionSpec> specs;
  std::vector<std::string> suppressed;  // Summary() (without the suffix) of suppressed findings
  std::vector<std::pair<int64_t, int64_t>> matched_suppressed;  // per spec
  std::vector<bool> active;
};

void PrintTo(const ExceptionCase& c, std::ostream* os) { *os << c.name; }

class EngineExceptionTest : public ::testing::TestWithParam<ExceptionCase> {};

TEST_P(EngineExceptionTest, SuppressesExactlyTheMatchedFindings) {
  const ExceptionCase& c = GetParam();
  Policy p = BasePolicy();
  p.exceptions = c.specs;
  const OrgSnapshot s = ExceptionOrg();
  auto map = TenantMap::Build(p, s.divisions);
  ASSERT_TRUE(map.ok());
  const AuditResult r = RunAudit(s, map.value(), p, kNow);
  ASSERT_EQ(r.findings.size(), 6U);
  std::vector<std::string> suppressed;
  for (const Finding& f : r.findings) {
    if (f.state == FindingState::kSuppressed) {
      ASSERT_TRUE(f.exception.has_value());
      EXPECT_EQ(f.exception->reason, "break-glass");
      EXPECT_EQ(f.exception->owner, "secops@example.com");
      std::string sum = testing::Summary(f);
      suppressed.push_back(sum.substr(0, sum.size() - std::string(" (suppressed)").size()));
    } else {
      EXPECT_EQ(f.state, FindingState::kOpen);
      EXPECT_FALSE(f.exception.has_value());
    }
  }
  std::vector<std::string> want = c.suppressed;
  std::sort(want.begin(), want.end());
  std::sort(suppressed.begin(), suppressed.end());
  EXPECT_THAT(suppressed, ElementsAreArray(want));
  ASSERT_EQ(r.exceptions.size(), c.specs.size());
  for (size_t i = 0; i < c.specs.size(); ++i) {
    EXPECT_EQ(r.exceptions[i].matched, c.matched_suppressed[i].first) << i;
    EXPECT_EQ(r.exceptions[i].suppressed, c.matched_suppressed[i].second) << i;
    EXPECT_EQ(r.exceptions[i].active, c.active[i]) << i;
    EXPECT_EQ(r.exceptions[i].spec.subject_id, c.specs[i].subject_id);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Exceptions, EngineExceptionTest,
    ::testing::Values(
        ExceptionCase{"None", {}, {}, {}, {}},
        ExceptionCase{"RuleAndSubjectOnly",
                      {Exc(Rule::kCrossTenant, "uA", std::nullopt, std::nullopt, "2027-06-30")},
                      {"cross_tenant user:uA r1 dG direct", "cross_tenant user:uA r2 dG direct",
                       "cross_tenant user:uA r1 dI direct"},
                      {{3, 3}},
                      {true}},
        ExceptionCase{"NarrowedByRole",
                      {Exc(Rule::kCrossTenant, "uA", "r1", std::nullopt, "2027-06-30")},
                      {"cross_tenant user:uA r1 dG direct", "cross_tenant user:uA r1 dI direct"},
                      {{2, 2}},
                      {true}},
        ExceptionCase{"NarrowedByRoleAndDivision",
                      {Exc(Rule::kCrossTenant, "uA", "r1", "dI", "2027-06-30")},
                      {"cross_tenant user:uA r1 dI direct"},
                      {{1, 1}},
                      {true}},
        ExceptionCase{"NarrowedByDivision",
                      {Exc(Rule::kCrossTenant, "uA", std::nullopt, "dG", "2027-06-30")},
                      {"cross_tenant user:uA r1 dG direct", "cross_tenant user:uA r2 dG direct"},
                      {{2, 2}},
                      {true}},
        ExceptionCase{"OtherRuleDoesNotMatch",
                      {Exc(Rule::kAllDivisions, "uG", std::nullopt, std::nullopt, "2027-06-30")},
                      {},
                      {{0, 0}},
                      {true}},
        ExceptionCase{"AllDivisionsBreakGlass",
                      {Exc(Rule::kAllDivisions, "uA", "r1", "*", "2027-06-30")},
                      {"all_divisions user:uA r1 * direct"},
                      {{1, 1}},
                      {true}},
        ExceptionCase{"ExpiresTodayStillActive",
                      {Exc(Rule::kCrossTenant, "uG", std::nullopt, std::nullopt, "2026-11-23")},
                      {"cross_tenant user:uG r1 dA direct"},
                      {{1, 1}},
                      {true}},
        ExceptionCase{"ExpiredYesterdayStaysOpen",
                      {Exc(Rule::kCrossTenant, "uG", std::nullopt, std::nullopt, "2026-11-22")},
                      {},
                      {{1, 0}},
                      {false}},
        ExceptionCase{"ExpiredAndActiveOnSameFinding",
                      {Exc(Rule::kCrossTenant, "uG", std::nullopt, std::nullopt, "2026-01-01"),
                       Exc(Rule::kCrossTenant, "uG", "r1", "dA", "2027-01-01")},
                      {"cross_tenant user:uG r1 dA direct"},
                      {{1, 0}, {1, 1}},
                      {false, true}},
        ExceptionCase{
            "UnmappedDivisionByDivisionId",
            {Exc(Rule::kUnmappedDivision, "dX", std::nullopt, std::nullopt, "2027-01-01")},
            {"unmapped_division - - dX -"},
            {{1, 1}},
            {true}}),
    [](const ::testing::TestParamInfo<ExceptionCase>& param_info) {
      return param_info.param.name;
    });

TEST(EngineExceptionTest, ExpiryBoundaryIsInclusive) {
  Finding f;
  f.rule = Rule::kOrphanedGrant;
  f.subject = SubjectRef{kUser, "u1", ""};
  f.role = NamedRef{"r1", ""};
  f.division = NamedRef{"d1", ""};
  ExceptionSpec e = Exc(Rule::kOrphanedGrant, "u1", std::nullopt, std::nullopt, "2026-11-23");
  e.expires_at = kNow;
  std::vector<Finding> fs = {f};
  auto st = ApplyExceptions(fs, {e}, kNow);
  EXPECT_EQ(fs[0].state, FindingState::kSuppressed);
  EXPECT_TRUE(st[0].active);
  EXPECT_EQ(fs[0].exception, (ExceptionRef{"break-glass", "secops@example.com", "2026-11-23"}));
  // One second later the exception has expired: the finding is open again.
  st = ApplyExceptions(fs, {e}, kNow + std::chrono::seconds(1));
  EXPECT_EQ(fs[0].state, FindingState::kOpen);
  EXPECT_FALSE(fs[0].exception.has_value());
  EXPECT_FALSE(st[0].active);
  EXPECT_EQ(st[0].matched, 1);
  EXPECT_EQ(st[0].suppressed, 0);
}

TEST(EngineExceptionTest, ResolvedFindingsAreLeftAlone) {
  Finding f;
  f.rule = Rule::kOrphanedGrant;
  f.state = FindingState::kResolved;
  f.subject = SubjectRef{kUser, "u1", ""};
  std::vector<Finding> fs = {f};
  const auto st = ApplyExceptions(
      fs, {Exc(Rule::kOrphanedGrant, "u1", std::nullopt, std::nullopt, "2099-01-01")}, kNow);
  EXPECT_EQ(fs[0].state, FindingState::kResolved);
  EXPECT_EQ(st[0].matched, 0);
}

}  // namespace
}  // namespace divaudit::audit
