// org_wide_permission and grant_guardrail_off (docs/rules.md): policy expansion against the
// catalog, the org-wide test, the precedence with v1 rules, partial inputs, exceptions.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "audit/engine.h"
#include "audit/permissions.h"
#include "tests/audit/org_builder.h"

namespace divaudit::audit {
namespace {

using testing::At;
using testing::OrgBuilder;
using testing::Summaries;

// A small catalog: two org-wide permissions the default list selects, one org-wide permission
// it does not select, division-aware permissions (one named by a default pattern), and the
// grant permissions whose org-wide-ness the setting alone decides.
OrgBuilder Base() {
  OrgBuilder b;
  b.Division("dA", "Acme")
      .Division("dB", "Globex")
      .Division("dH", "Home")
      .Permission("directory", "group", "add", false)
      .Permission("directory", "group", "edit", false)
      .Permission("directory", "user", "view", false)      // org-wide, not selected
      .Permission("recording", "recording", "view", true)  // selected pattern, division-aware
      .Permission("routing", "queue", "edit", true)
      .Permission("authorization", "grant", "add", true)      // catalog says aware: irrelevant
      .Permission("authorization", "grant", "delete", false)  // catalog says not: irrelevant
      .Permission("authorization", "role", "view", false)
      .Role("rAdmin", "Group Admin")
      .Role("rPlain", "Agent")
      .Role("rGrant", "Grant Admin")
      .Policy("rAdmin", "directory", "group", {"*"})
      .Policy("rPlain", "routing", "*", {"*"})
      .Policy("rPlain", "recording", "recording", {"view"})
      .Policy("rPlain", "directory", "user", {"view"})
      .Policy("rGrant", "authorization", "grant", {"add", "delete"})
      .User("u1", "dA")
      .User("u2", "dB")
      .Settings(true);
  return b;
}

AuditResult AuditOrg(const OrgSnapshot& org, const Policy& policy = {},
                     const ListingCompleteness& completeness = {}) {
  auto map = TenantMap::Build(policy, org.divisions);
  EXPECT_TRUE(map.ok());
  return RunAudit(org, *map, policy, At("2026-11-01T00:00:00Z"), completeness,
                  OrgRef{"org-1", "Example BPO"});
}

std::vector<Finding> OfRule(const AuditResult& r, Rule rule) {
  std::vector<Finding> out;
  for (const auto& f : r.findings) {
    if (f.rule == rule) out.push_back(f);
  }
  return out;
}

TEST(PermissionGlobTest, ParsesExactlyThreeParts) {
  EXPECT_EQ(ParsePermissionGlob("directory:group:add"),
            (PermissionGlob{"directory", "group", "add"}));
  EXPECT_EQ(ParsePermissionGlob("*:*:*"), (PermissionGlob{"*", "*", "*"}));
  EXPECT_EQ(ParsePermissionGlob("analytics:conversationDetail:view")->entity, "conversationDetail");
  for (const char* bad :
       {"", "a", "a:b", "a:b:c:d", "a::c", ":b:c", "a:b:", "a:b*:c", "a b:c:d", "a:?:c"}) {
    EXPECT_FALSE(ParsePermissionGlob(bad).has_value()) << bad;
  }
  for (const auto& entry : DefaultOrgWidePermissions()) {
    EXPECT_TRUE(ParsePermissionGlob(entry).has_value()) << entry;
  }
}

TEST(OrgWidePermissionsTest, ExpandsWildcardsInEveryPart) {
  OrgBuilder b;
  b.Permission("integrations", "integration", "add", false)
      .Permission("integrations", "integration", "view", false)
      .Permission("integrations", "action", "execute", false)
      .Permission("recording", "recording", "delete", false)
      .Permission("recording", "screenRecording", "view", false)
      .Permission("oauth", "client", "add", false)
      .Permission("oauth", "client", "view", false)
      .Role("r1", "a")
      .Role("r2", "b")
      .Role("r3", "c")
      .Role("r4", "d")
      .Policy("r1", "*", "*", {"*"})
      .Policy("r2", "integrations", "*", {"view", "execute"})
      .Policy("r3", "*", "client", {"add"})
      .Policy("r4", "recording", "recording", {"*"})
      .Settings(true);
  const OrgSnapshot org = b.Build();
  OrgWidePermissions ow(org, DefaultOrgWidePermissions());
  EXPECT_EQ(ow.Of("r1"), (std::vector<std::string>{
                             "integrations:action:execute", "integrations:integration:add",
                             "integrations:integration:view", "oauth:client:add",
                             "recording:recording:delete", "recording:screenRecording:view"}));
  EXPECT_EQ(ow.Of("r2"), (std::vector<std::string>{"integrations:action:execute",
                                                   "integrations:integration:view"}));
  EXPECT_EQ(ow.Of("r3"), (std::vector<std::string>{"oauth:client:add"}));
  EXPECT_EQ(ow.Of("r4"), (std::vector<std::string>{"recording:recording:delete"}));
  EXPECT_TRUE(ow.Of("unknown").empty());
  // A custom list selects differently.
  OrgWidePermissions only_oauth(org, {"oauth:*:*"});
  EXPECT_EQ(only_oauth.Of("r1"),
            (std::vector<std::string>{"oauth:client:add", "oauth:client:view"}));
  EXPECT_TRUE(only_oauth.Of("r4").empty());
}

TEST(OrgWidePermissionsTest, NarrowedPoliciesGiveNothingAndAreCounted) {
  OrgBuilder b;
  b.Permission("directory", "group", "add", false)
      .Role("r1", "a")
      .Policy("r1", "directory", "group", {"add"}, /*narrowed=*/true)
      .Settings(true);
  const OrgSnapshot org = b.Build();
  OrgWidePermissions ow(org, DefaultOrgWidePermissions());
  EXPECT_TRUE(ow.Of("r1").empty());
  EXPECT_EQ(ow.narrowed_policies(), 1);
  EXPECT_EQ(CountNarrowedPolicies(org), 1);
}

TEST(OrgWidePermissionsTest, GrantPermissionsFollowTheSettingAlone) {
  const CatalogPermission add_aware{"authorization", "grant", "add", true};
  const CatalogPermission delete_unaware{"authorization", "grant", "delete", false};
  const CatalogPermission role_edit{"authorization", "role", "edit", false};
  const std::optional<RoleSettings> on = RoleSettings{true, false};
  const std::optional<RoleSettings> off = RoleSettings{false, false};
  EXPECT_FALSE(IsOrgWide(add_aware, on));
  EXPECT_FALSE(IsOrgWide(delete_unaware, on));
  EXPECT_TRUE(IsOrgWide(add_aware, off));
  EXPECT_TRUE(IsOrgWide(delete_unaware, off));
  EXPECT_FALSE(IsOrgWide(add_aware, std::nullopt));  // never assume a default
  EXPECT_TRUE(IsOrgWide(role_edit, on));
  EXPECT_FALSE(IsOrgWide(CatalogPermission{"recording", "recording", "view", true}, off));
}

TEST(OrgWidePermissionTest, DirectGrantOnOwnDivisionFires) {
  const auto r = AuditOrg(Base().UserGrant("u1", "rAdmin", "dA").Build());
  const auto f = OfRule(r, Rule::kOrgWidePermission);
  ASSERT_EQ(f.size(), 1U);
  EXPECT_EQ(testing::Summary(f[0]), "org_wide_permission user:u1 rAdmin - direct");
  EXPECT_EQ(f[0].severity, Severity::kHigh);
  EXPECT_EQ(f[0].permissions,
            (std::vector<std::string>{"directory:group:add", "directory:group:edit"}));
  EXPECT_EQ(f[0].divisions, (std::vector<std::string>{"dA"}));
  EXPECT_FALSE(f[0].division.has_value());
  EXPECT_FALSE(f[0].tenant.has_value());
  EXPECT_EQ(f[0].role->name, "Group Admin");
  EXPECT_EQ(f[0].home_division->id, "dA");
  EXPECT_EQ(f[0].fingerprint,
            Fingerprint(Rule::kOrgWidePermission, "user", "u1", "rAdmin", "", "direct"));
}

TEST(OrgWidePermissionTest, DivisionAwareAndUnselectedPermissionsNeverCount) {
  // rPlain: routing (aware), recording:recording:view (selected but aware), directory:user:view
  // (org-wide, not selected).
  const auto r = AuditOrg(Base().UserGrant("u1", "rPlain", "dA").Build());
  EXPECT_TRUE(OfRule(r, Rule::kOrgWidePermission).empty());
  Policy wide;
  wide.org_wide_permissions = {"directory:user:*"};
  const auto r2 = AuditOrg(Base().UserGrant("u1", "rPlain", "dA").Build(), wide);
  ASSERT_EQ(OfRule(r2, Rule::kOrgWidePermission).size(), 1U);
  EXPECT_EQ(OfRule(r2, Rule::kOrgWidePermission)[0].permissions,
            (std::vector<std::string>{"directory:user:view"}));
}

TEST(OrgWidePermissionTest, OnePerPathWithSortedListedDivisions) {
  const OrgSnapshot org = Base()
                              .Group("g1", {"u1", "u2"})
                              .UserGrant("u1", "rAdmin", "dH")
                              .UserGrant("u1", "rAdmin", "dB")
                              .UserGrant("u1", "rAdmin", "dA")
                              .UserGrant("u1", "rAdmin", "dGone")  // unknown: orphaned only
                              .GroupGrant("g1", "rAdmin", "dB")
                              .Build();
  const auto r = AuditOrg(org);
  const auto f = OfRule(r, Rule::kOrgWidePermission);
  EXPECT_EQ(Summaries(f), (std::vector<std::string>{
                              "org_wide_permission group:g1 rAdmin - direct",
                              "org_wide_permission user:u1 rAdmin - direct",
                              "org_wide_permission user:u1 rAdmin - group:g1",
                              "org_wide_permission user:u2 rAdmin - group:g1",
                          }));
  EXPECT_EQ(f[1].divisions, (std::vector<std::string>{"dA", "dB", "dH"}));
  EXPECT_EQ(f[2].divisions, (std::vector<std::string>{"dB"}));
  EXPECT_EQ(f[2].via->group_name, "Group g1");
  EXPECT_EQ(OfRule(r, Rule::kOrphanedGrant).size(), 1U);
}

TEST(OrgWidePermissionTest, PrecedenceAllDivisionsAndUnknownDivisions) {
  const OrgSnapshot org = Base()
                              .Group("g1", {"u2"})
                              .UserGrant("u1", "rAdmin", "*")
                              .UserGrant("u1", "rAdmin", "dA")  // same path holds it on *
                              .GroupGrant("g1", "rAdmin", "dB")
                              .UserGrant("u2", "rAdmin", "dGone")  // unknown only
                              .Build();
  const auto r = AuditOrg(org);
  EXPECT_EQ(Summaries(OfRule(r, Rule::kOrgWidePermission)),
            (std::vector<std::string>{"org_wide_permission group:g1 rAdmin - direct",
                                      "org_wide_permission user:u2 rAdmin - group:g1"}));
  EXPECT_EQ(Summaries(OfRule(r, Rule::kAllDivisions)),
            (std::vector<std::string>{"all_divisions user:u1 rAdmin * direct"}));
  EXPECT_EQ(Summaries(OfRule(r, Rule::kOrphanedGrant)),
            (std::vector<std::string>{"orphaned_grant user:u2 rAdmin dGone direct"}));
}

TEST(OrgWidePermissionTest, EverySubjectTypeAndWithTenantMap) {
  Policy policy;
  policy.tenants = {{"Acme", {"Acme"}}, {"Globex", {"Globex"}}};
  policy.shared_divisions = {"Home"};
  const OrgSnapshot org = Base()
                              .Client("c1", {{"rAdmin", "dH"}})
                              .External("t1", SubjectType::kTrusteeUser, "PC_TRUSTEE_USER")
                              .Grant(SubjectType::kTrusteeUser, "t1", "rAdmin", "dA")
                              .UserGrant("u1", "rAdmin", "dB")  // also cross_tenant
                              .Build();
  const auto r = AuditOrg(org, policy);
  EXPECT_EQ(Summaries(OfRule(r, Rule::kOrgWidePermission)),
            (std::vector<std::string>{"org_wide_permission oauth_client:c1 rAdmin - direct",
                                      "org_wide_permission trustee_user:t1 rAdmin - direct",
                                      "org_wide_permission user:u1 rAdmin - direct"}));
  EXPECT_EQ(Summaries(OfRule(r, Rule::kCrossTenant)),
            (std::vector<std::string>{"cross_tenant user:u1 rAdmin dB direct"}));
}

TEST(OrgWidePermissionTest, DeletedUsersAndRolesWithoutPoliciesGiveNothing) {
  const OrgSnapshot org = Base()
                              .User("u3", "dA", "deleted")
                              .Role("rNone", "No policies")
                              .UserGrant("u3", "rAdmin", "dA")
                              .UserGrant("u1", "rNone", "dA")
                              .Build();
  EXPECT_TRUE(OfRule(AuditOrg(org), Rule::kOrgWidePermission).empty());
}

TEST(OrgWidePermissionTest, GrantAddIsOrgWideOnlyWithTheGuardrailOff) {
  const auto on = AuditOrg(Base().UserGrant("u1", "rGrant", "dA").Build());
  EXPECT_TRUE(OfRule(on, Rule::kOrgWidePermission).empty());
  EXPECT_TRUE(OfRule(on, Rule::kGrantGuardrailOff).empty());

  const auto off = AuditOrg(Base().Settings(false).UserGrant("u1", "rGrant", "dA").Build());
  const auto f = OfRule(off, Rule::kOrgWidePermission);
  ASSERT_EQ(f.size(), 1U);
  EXPECT_EQ(f[0].permissions,
            (std::vector<std::string>{"authorization:grant:add", "authorization:grant:delete"}));
  const auto g = OfRule(off, Rule::kGrantGuardrailOff);
  ASSERT_EQ(g.size(), 1U);
  EXPECT_EQ(g[0].severity, Severity::kCritical);
  EXPECT_EQ(g[0].subject, (SubjectRef{SubjectType::kOrg, "org-1", "Example BPO"}));
  EXPECT_FALSE(g[0].role.has_value());
  EXPECT_FALSE(g[0].division.has_value());
  EXPECT_FALSE(g[0].via.has_value());
  EXPECT_EQ(g[0].fingerprint, Fingerprint(Rule::kGrantGuardrailOff, "org", "org-1", "", "", ""));
}

TEST(OrgWidePermissionTest, SettingsNotReadJudgeNothing) {
  OrgSnapshot org = Base().UserGrant("u1", "rAdmin", "dA").Build();
  org.role_settings.reset();  // a snapshot from before v2: no setting, no guardrail finding
  const auto r = AuditOrg(org);
  EXPECT_TRUE(OfRule(r, Rule::kGrantGuardrailOff).empty());
  // rAdmin's permissions do not depend on the setting.
  EXPECT_EQ(OfRule(r, Rule::kOrgWidePermission).size(), 1U);
}

TEST(OrgWidePermissionTest, IncompleteCatalogOrSettingsAreNotJudged) {
  const OrgSnapshot org = Base().Settings(false).UserGrant("u1", "rAdmin", "dA").Build();
  ListingCompleteness no_catalog;
  no_catalog.permissions = false;
  const auto a = AuditOrg(org, {}, no_catalog);
  EXPECT_TRUE(OfRule(a, Rule::kOrgWidePermission).empty());
  EXPECT_EQ(OfRule(a, Rule::kGrantGuardrailOff).size(), 1U);
  EXPECT_EQ(a.not_judged,
            (std::vector<std::string>{"rule org_wide_permission: not judged (permissions)"}));

  ListingCompleteness no_settings;
  no_settings.role_settings = false;
  const auto b = AuditOrg(org, {}, no_settings);
  EXPECT_TRUE(OfRule(b, Rule::kOrgWidePermission).empty());
  EXPECT_TRUE(OfRule(b, Rule::kGrantGuardrailOff).empty());
  EXPECT_EQ(b.not_judged,
            (std::vector<std::string>{"rule grant_guardrail_off: not judged (role settings)",
                                      "rule org_wide_permission: not judged (role settings)"}));

  ListingCompleteness no_roles;
  no_roles.roles_without_grants = {"rAdmin"};
  const auto c = AuditOrg(org, {}, no_roles);
  EXPECT_EQ(OfRule(c, Rule::kOrgWidePermission).size(), 1U);  // what was read still opens
  EXPECT_EQ(c.not_judged.back(), "rule org_wide_permission: not judged (subject grants of 1 role)");
}

TEST(OrgWidePermissionTest, AShortDivisionsListingNamesOnlyWhatItHid) {
  // u1's only grant of rAdmin names a division an incomplete listing lacks: the path may well be
  // org-wide (the division may exist), so the rule says it did not judge it.
  const OrgSnapshot org = Base().UserGrant("u1", "rAdmin", "dLater").Build();
  ListingCompleteness c;
  c.divisions = false;
  const auto r = AuditOrg(org, {}, c);
  EXPECT_TRUE(OfRule(r, Rule::kOrgWidePermission).empty());
  EXPECT_EQ(r.not_judged.back(), "rule org_wide_permission: not judged (divisions)");
  // A role without org-wide permissions on such a division does not concern the rule.
  const auto r2 = AuditOrg(Base().UserGrant("u1", "rPlain", "dLater").Build(), {}, c);
  for (const auto& line : r2.not_judged) {
    EXPECT_EQ(line.find("org_wide_permission"), std::string::npos) << line;
  }
}

TEST(OrgWidePermissionTest, ExceptionsMatchSubjectRoleAndOrgId) {
  Policy policy;
  const SystemTime far = At("2030-01-01T00:00:00Z");
  policy.exceptions = {
      {Rule::kOrgWidePermission, "u1", std::string("rAdmin"), std::nullopt, "ok", "o", "2030-01-01",
       far},
      {Rule::kGrantGuardrailOff, "org-1", std::nullopt, std::nullopt, "known", "o", "2030-01-01",
       far},
  };
  const OrgSnapshot org = Base()
                              .Settings(false)
                              .UserGrant("u1", "rAdmin", "dA")
                              .UserGrant("u2", "rAdmin", "dB")
                              .Build();
  const auto r = AuditOrg(org, policy);
  EXPECT_EQ(Summaries(r.findings),
            (std::vector<std::string>{"grant_guardrail_off org:org-1 - - - (suppressed)",
                                      "org_wide_permission user:u1 rAdmin - direct (suppressed)",
                                      "org_wide_permission user:u2 rAdmin - direct"}));
  EXPECT_EQ(r.exceptions[0].suppressed, 1);
  EXPECT_EQ(r.exceptions[1].suppressed, 1);
}

// v1 findings and their fingerprints are unchanged when v2 data is present (a role with
// org-wide permissions, the guardrail off): the v1 rules see the same grants.
TEST(OrgWidePermissionTest, V1FindingsUnchangedByV2Data) {
  Policy policy;
  policy.tenants = {{"Acme", {"Acme"}}, {"Globex", {"Globex"}}};
  policy.shared_divisions = {"Home"};
  OrgBuilder b = Base();
  b.Group("g1", {"u1"}).UserGrant("u1", "rAdmin", "dB").GroupGrant("g1", "rPlain", "*");
  const OrgSnapshot v2 = b.Build();
  OrgSnapshot v1 = v2;
  v1.permissions.clear();
  v1.role_settings.reset();
  for (auto& role : v1.roles) role.policies.clear();
  std::vector<Finding> v1_only;
  for (const auto& f : AuditOrg(v2, policy).findings) {
    if (f.rule != Rule::kOrgWidePermission && f.rule != Rule::kGrantGuardrailOff) {
      v1_only.push_back(f);
    }
  }
  EXPECT_EQ(v1_only, AuditOrg(v1, policy).findings);
  EXPECT_FALSE(v1_only.empty());
}

}  // namespace
}  // namespace divaudit::audit
