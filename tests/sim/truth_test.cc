#include "sim/truth.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "common/time_util.h"

namespace divaudit::sim {
namespace {

using audit::SubjectType;

// Divisions: home (Home, shared), a1 "Acme", a2 "Acme - Sales", b1 "Globex", u1 "Lab"
// (unmapped). Tenants: Acme = ["Acme", "Acme *"] (name + glob), Globex = ["b1"] (id).
OrgFixture Base() {
  OrgFixture f;
  f.org.divisions = {{"home", "Home", "", true},
                     {"a1", "Acme", "", false},
                     {"a2", "Acme - Sales", "", false},
                     {"b1", "Globex", "", false},
                     {"u1", "Lab", "", false}};
  f.org.roles = {{"r1", "employee"}, {"r2", "Supervisor"}};
  f.policy.tenants = {{"Acme", {"Acme", "Acme *"}}, {"Globex", {"b1"}}};
  f.policy.shared_divisions = {"Home"};
  return f;
}

void User(OrgFixture& f, std::string id, std::string home, std::string state = "active") {
  f.org.users.push_back({id, "User " + id, id + "@example.com", home, state});
}

void Group(OrgFixture& f, std::string id, std::vector<std::string> members,
           bool roles_enabled = true) {
  f.org.groups.push_back({id, "Group " + id, roles_enabled, members, true});
}

void Grant(OrgFixture& f, SubjectType type, std::string subject, std::string role,
           std::string division) {
  f.org.grants.push_back({type, subject, role, division});
}

std::string Str(simdjson::dom::element e, const char* key) {
  std::string_view v;
  if (e[key].get_string().get(v) != simdjson::SUCCESS) return "-";
  return std::string(v);
}

// Each finding as "rule type:subject role division via state [tenants]" ("-" for null).
std::vector<std::string> Lines(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  EXPECT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << json;
  std::vector<std::string> out;
  for (simdjson::dom::element f : doc["findings"].get_array()) {
    std::string line = Str(f, "rule") + " ";
    line +=
        f["subject"].is_null() ? "-" : Str(f["subject"], "type") + ":" + Str(f["subject"], "id");
    line += " " + (f["role"].is_null() ? "-" : Str(f["role"], "id"));
    line += " " + (f["division"].is_null() ? "-" : Str(f["division"], "id"));
    if (f["via"].is_null()) {
      line += " -";
    } else {
      line += Str(f["via"], "type") == "direct" ? " direct" : " group:" + Str(f["via"], "id");
    }
    line += " " + Str(f, "state");
    simdjson::dom::array tenants;
    if (f["tenants"].get_array().get(tenants) == simdjson::SUCCESS) {
      line += " [";
      for (auto t : tenants) line += std::string(t.get_string().value()) + ";";
      line += "]";
    }
    out.push_back(line);
  }
  return out;
}

const SystemTime kNow = ParseIso8601("2026-06-01T12:00:00Z").value();

std::vector<std::string> Truth(const OrgFixture& f, SystemTime now = kNow) {
  return Lines(ComputeTruthJson(f, now));
}

struct Case {
  const char* name;
  std::function<void(OrgFixture&)> setup;
  std::vector<std::string> expected;
};

const auto U = SubjectType::kUser;
const auto G = SubjectType::kGroup;

class TruthCaseTest : public ::testing::TestWithParam<Case> {};

TEST_P(TruthCaseTest, MatchesExpectedFindings) {
  OrgFixture f = Base();
  GetParam().setup(f);
  audit::Canonicalize(f.org);
  EXPECT_EQ(Truth(f), GetParam().expected);
}

const Case kCases[] = {
    {"GrantsInOwnTenantAndGlobAreClean",
     [](OrgFixture& f) {
       User(f, "u", "a1");
       Grant(f, U, "u", "r1", "a1");
       Grant(f, U, "u", "r1", "a2");  // "Acme - Sales" via the glob "Acme *"
       Grant(f, U, "u", "r2", "home");
     },
     {}},
    {"CrossTenantDirect",
     [](OrgFixture& f) {
       User(f, "u", "a2");
       Grant(f, U, "u", "r1", "b1");
     },
     {"cross_tenant user:u r1 b1 direct open"}},
    {"AllDivisionsYieldsOnlyAllDivisions",
     [](OrgFixture& f) {
       User(f, "u", "a1");
       User(f, "h", "home");
       Grant(f, U, "u", "r1", "*");
       Grant(f, U, "h", "r1", "*");
       Grant(f, U, "h", "r2", "b1");  // one mapped tenant only: no multi_tenant_subject
     },
     {"all_divisions user:h r1 * direct open", "all_divisions user:u r1 * direct open"}},
    {"AllDivisionsOnGroupAndEveryMember",
     [](OrgFixture& f) {
       User(f, "m1", "a1");
       User(f, "m2", "b1");
       Group(f, "g", {"m1", "m2"});
       Grant(f, G, "g", "r2", "*");
     },
     {"all_divisions group:g r2 * direct open", "all_divisions user:m1 r2 * group:g open",
      "all_divisions user:m2 r2 * group:g open"}},
    {"UnknownDivisionIsOrphanedOnceOnHolder",
     [](OrgFixture& f) {
       User(f, "u", "a1");
       User(f, "m", "a1");
       Group(f, "g", {"m", "u"});
       Grant(f, U, "u", "r1", "gone");
       Grant(f, G, "g", "r2", "gone");
     },
     {"orphaned_grant group:g r2 gone direct open", "orphaned_grant user:u r1 gone direct open"}},
    {"SharedDivisionNeverCounts",
     [](OrgFixture& f) {
       User(f, "u", "b1");
       Group(f, "g", {"u"});
       Grant(f, U, "u", "r1", "home");
       Grant(f, G, "g", "r1", "home");
       Grant(f, G, "g", "r1", "a1");
     },
     {"cross_tenant user:u r1 a1 group:g open"}},
    {"UnmappedTargetIsUnmappedDivisionOnly",
     [](OrgFixture& f) {
       User(f, "u", "a1");
       Grant(f, U, "u", "r1", "u1");
     },
     {"unmapped_division - - u1 - open"}},
    {"UnmappedHomeHasNoHomeTenant",
     [](OrgFixture& f) {
       User(f, "u", "u1");
       Grant(f, U, "u", "r1", "a1");
       Grant(f, U, "u", "r1", "b1");
     },
     {"multi_tenant_subject user:u - - - open [Acme;Globex;]", "unmapped_division - - u1 - open"}},
    {"SameRoleDivisionDirectAndViaGroupIsTwoFindings",
     [](OrgFixture& f) {
       User(f, "u", "a1");
       Group(f, "g", {"u"});
       Grant(f, U, "u", "r1", "b1");
       Grant(f, G, "g", "r1", "b1");
     },
     {"cross_tenant user:u r1 b1 direct open", "cross_tenant user:u r1 b1 group:g open"}},
    {"RolesDisabledGroupStillCounts",
     [](OrgFixture& f) {
       User(f, "u", "b1");
       Group(f, "g", {"u"}, /*roles_enabled=*/false);
       Grant(f, G, "g", "r1", "a2");
     },
     {"cross_tenant user:u r1 a2 group:g open"}},
    {"DeletedUsersAreNotAudited",
     [](OrgFixture& f) {
       User(f, "d", "u1", "deleted");
       Group(f, "g", {"d"});
       Grant(f, U, "d", "r1", "b1");
       Grant(f, U, "d", "r1", "*");
       Grant(f, G, "g", "r1", "home");
     },
     {}},
    {"InactiveUsersAreAudited",
     [](OrgFixture& f) {
       User(f, "i", "b1", "inactive");
       Grant(f, U, "i", "r2", "a1");
     },
     {"cross_tenant user:i r2 a1 direct open"}},
    {"GroupOnTwoTenantsAndItsMembers",
     [](OrgFixture& f) {
       User(f, "m", "a1");
       Group(f, "g", {"m"});
       Grant(f, G, "g", "r1", "a1");
       Grant(f, G, "g", "r1", "b1");
     },
     {"cross_tenant user:m r1 b1 group:g open",
      "multi_tenant_subject group:g - - - open [Acme;Globex;]"}},
    {"EmptyGroupOnTwoTenants",
     [](OrgFixture& f) {
       Group(f, "g", {});
       Grant(f, G, "g", "r1", "a2");
       Grant(f, G, "g", "r2", "b1");
     },
     {"multi_tenant_subject group:g - - - open [Acme;Globex;]"}},
    {"ClientsAndTrusteesOnTwoTenants",
     [](OrgFixture& f) {
       Grant(f, SubjectType::kOAuthClient, "c", "r1", "a1");
       Grant(f, SubjectType::kOAuthClient, "c", "r1", "b1");
       Grant(f, SubjectType::kTrusteeGroup, "tg", "r2", "a2");
       Grant(f, SubjectType::kTrusteeGroup, "tg", "r2", "b1");
       Grant(f, SubjectType::kTrusteeUser, "tu", "r2", "*");
       Grant(f, SubjectType::kTrusteeUser, "tu", "r2", "b1");
       Grant(f, SubjectType::kOAuthClient, "c2", "r1", "a1");
       Grant(f, SubjectType::kOAuthClient, "c2", "r1", "a2");  // one tenant: clean
     },
     {"all_divisions trustee_user:tu r2 * direct open",
      "multi_tenant_subject oauth_client:c - - - open [Acme;Globex;]",
      "multi_tenant_subject trustee_group:tg - - - open [Acme;Globex;]"}},
    {"HomeUserReachesTwoTenantsDirectAndViaGroup",
     [](OrgFixture& f) {
       User(f, "h", "home");
       Group(f, "g", {"h"});
       Grant(f, U, "h", "r1", "a1");
       Grant(f, G, "g", "r1", "b1");
     },
     {"multi_tenant_subject user:h - - - open [Acme;Globex;]"}},
    {"MultiTenantCountsMappedDivisionsOnly",
     [](OrgFixture& f) {
       User(f, "h", "home");
       Grant(f, U, "h", "r1", "a1");
       Grant(f, U, "h", "r1", "home");
       Grant(f, U, "h", "r1", "u1");
       Grant(f, U, "h", "r1", "gone");
       Grant(f, U, "h", "r2", "*");
     },
     {"all_divisions user:h r2 * direct open", "orphaned_grant user:h r1 gone direct open",
      "unmapped_division - - u1 - open"}},
    {"UnknownGroupMembersAreSkipped",
     [](OrgFixture& f) {
       Group(f, "g", {"nobody"});
       Grant(f, G, "g", "r1", "b1");
     },
     {}},
};

INSTANTIATE_TEST_SUITE_P(Precedence, TruthCaseTest, ::testing::ValuesIn(kCases),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(TruthTest, WithoutTenantsEveryDivisionIsItsOwnTenant) {
  OrgFixture f = Base();
  f.policy.tenants.clear();
  User(f, "u", "a1");
  Group(f, "g", {});
  Grant(f, U, "u", "r1", "a2");
  Grant(f, U, "u", "r1", "u1");
  Grant(f, G, "g", "r1", "a1");
  Grant(f, G, "g", "r1", "a2");
  Grant(f, G, "g", "r1", "home");  // still shared
  audit::Canonicalize(f.org);
  // No unmapped_division without a tenant map; tenants are named after their divisions.
  EXPECT_EQ(Truth(f),
            (std::vector<std::string>{
                "cross_tenant user:u r1 a2 direct open", "cross_tenant user:u r1 u1 direct open",
                "multi_tenant_subject group:g - - - open [Acme;Acme - Sales;]"}));
}

TEST(TruthTest, ExactJsonShape) {
  OrgFixture f = Base();
  User(f, "u", "u1");
  Grant(f, U, "u", "r1", "a1");
  Grant(f, U, "u", "r1", "b1");
  Grant(f, U, "u", "r2", "*");
  Group(f, "g", {"u"});
  Grant(f, G, "g", "r1", "gone");
  audit::Canonicalize(f.org);
  EXPECT_EQ(ComputeTruthJson(f, kNow),
            "{\"findings\":[\n"
            "{\"rule\":\"all_divisions\",\"subject\":{\"type\":\"user\",\"id\":\"u\"},"
            "\"role\":{\"id\":\"r2\"},\"division\":{\"id\":\"*\"},"
            "\"via\":{\"type\":\"direct\",\"id\":null},\"state\":\"open\"},\n"
            "{\"rule\":\"multi_tenant_subject\",\"subject\":{\"type\":\"user\",\"id\":\"u\"},"
            "\"role\":null,\"division\":null,\"via\":null,\"tenants\":[\"Acme\",\"Globex\"],"
            "\"state\":\"open\"},\n"
            "{\"rule\":\"orphaned_grant\",\"subject\":{\"type\":\"group\",\"id\":\"g\"},"
            "\"role\":{\"id\":\"r1\"},\"division\":{\"id\":\"gone\"},"
            "\"via\":{\"type\":\"direct\",\"id\":null},\"state\":\"open\"},\n"
            "{\"rule\":\"unmapped_division\",\"subject\":null,\"role\":null,"
            "\"division\":{\"id\":\"u1\"},\"via\":null,\"state\":\"open\"}\n"
            "]}\n");
  EXPECT_EQ(ComputeTruthJson(Base(), kNow), "{\"findings\":[]}\n");
}

audit::ExceptionSpec Exception(audit::Rule rule, std::string subject, std::string expires) {
  audit::ExceptionSpec x;
  x.rule = rule;
  x.subject_id = std::move(subject);
  x.reason = "test";
  x.owner = "secops@example.com";
  x.expires = std::move(expires);
  return x;
}

TEST(TruthTest, ExceptionSuppressesThroughTheEndOfItsDay) {
  OrgFixture f = Base();
  User(f, "admin", "home");
  Grant(f, U, "admin", "r1", "*");
  audit::Canonicalize(f.org);
  f.policy.exceptions = {Exception(audit::Rule::kAllDivisions, "admin", "2026-06-30")};
  const std::string suppressed = "all_divisions user:admin r1 * direct suppressed";
  const std::string open = "all_divisions user:admin r1 * direct open";
  EXPECT_EQ(Truth(f, ParseIso8601("2026-06-01T00:00:00Z").value()),
            std::vector<std::string>{suppressed});
  EXPECT_EQ(Truth(f, ParseIso8601("2026-06-30T23:59:59Z").value()),
            std::vector<std::string>{suppressed});
  EXPECT_EQ(Truth(f, ParseIso8601("2026-07-01T00:00:00Z").value()), std::vector<std::string>{open});
  // An expired exception never suppresses.
  f.policy.exceptions = {Exception(audit::Rule::kAllDivisions, "admin", "2020-01-01")};
  EXPECT_EQ(Truth(f), std::vector<std::string>{open});
}

TEST(TruthTest, ExceptionMatchesRuleSubjectRoleAndDivision) {
  OrgFixture f = Base();
  User(f, "u", "a1");
  Grant(f, U, "u", "r1", "b1");
  Grant(f, U, "u", "r2", "b1");
  audit::Canonicalize(f.org);
  auto x = Exception(audit::Rule::kCrossTenant, "u", "2099-12-31");
  x.role_id = "r2";
  x.division_id = "b1";
  f.policy.exceptions = {x, Exception(audit::Rule::kAllDivisions, "u", "2099-12-31"),  // other rule
                         Exception(audit::Rule::kCrossTenant, "v", "2099-12-31")};  // other subject
  EXPECT_EQ(Truth(f), (std::vector<std::string>{"cross_tenant user:u r1 b1 direct open",
                                                "cross_tenant user:u r2 b1 direct suppressed"}));
  f.policy.exceptions[0].division_id = "a2";  // narrowed to another division: no match
  EXPECT_EQ(Truth(f), (std::vector<std::string>{"cross_tenant user:u r1 b1 direct open",
                                                "cross_tenant user:u r2 b1 direct open"}));
}

TEST(TruthTest, UnmappedDivisionExceptionNamesTheDivision) {
  OrgFixture f = Base();
  User(f, "u", "u1");
  audit::Canonicalize(f.org);
  f.policy.exceptions = {Exception(audit::Rule::kUnmappedDivision, "u1", "2099-12-31")};
  EXPECT_EQ(Truth(f), std::vector<std::string>{"unmapped_division - - u1 - suppressed"});
  f.policy.exceptions[0].subject_id = "u";
  EXPECT_EQ(Truth(f), std::vector<std::string>{"unmapped_division - - u1 - open"});
}

TEST(TruthTest, SortedByRuleSubjectRoleDivisionVia) {
  OrgFixture f = Base();
  User(f, "z", "a1");
  User(f, "b", "a1");
  Group(f, "g2", {"b"});
  Group(f, "g1", {"b"});
  Grant(f, U, "z", "r1", "b1");
  Grant(f, U, "b", "r2", "b1");
  Grant(f, G, "g2", "r1", "b1");
  Grant(f, G, "g1", "r1", "b1");
  Grant(f, U, "b", "r1", "b1");
  audit::Canonicalize(f.org);
  EXPECT_EQ(Truth(f), (std::vector<std::string>{
                          "cross_tenant user:b r1 b1 direct open",
                          "cross_tenant user:b r1 b1 group:g1 open",
                          "cross_tenant user:b r1 b1 group:g2 open",
                          "cross_tenant user:b r2 b1 direct open",
                          "cross_tenant user:z r1 b1 direct open",
                      }));
}

// v2: org_wide_permission and grant_guardrail_off, every case of the precedence in
// docs/rules.md on one org (lines as Lines() gives them, plus " divisions|permissions" for
// org_wide_permission).
std::vector<std::string> OrgWideLines(const std::string& json) {
  std::vector<std::string> out = Lines(json);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  EXPECT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS);
  size_t i = 0;
  for (simdjson::dom::element f : doc["findings"].get_array()) {
    if (Str(f, "rule") == "org_wide_permission") {
      std::string extra = " ";
      for (auto d : f["divisions"].get_array()) extra += std::string(d.get_string().value()) + ",";
      extra += "|";
      for (auto p : f["permissions"].get_array()) {
        extra += std::string(p.get_string().value()) + ",";
      }
      out[i] += extra;
    }
    ++i;
  }
  std::sort(out.begin(), out.end());
  return out;
}

OrgFixture OrgWideFixture(bool guardrail) {
  OrgFixture f = Base();
  f.org_id = "org-1";
  f.org.permissions = {{"analytics", "conversationDetail", "view", false},
                       {"authorization", "grant", "add", true},
                       {"authorization", "role", "edit", false},
                       {"directory", "organization", "admin", false},
                       {"directory", "user", "view", true},
                       {"recording", "recording", "view", true},
                       {"routing", "queue", "edit", false}};
  f.org.role_settings = audit::RoleSettings{guardrail, false};
  f.org.roles.push_back({"r3", "Admin", {{"*", "*", {"*"}, false}}});
  f.org.roles.push_back({"r4", "Grant Admin", {{"authorization", "grant", {"add"}, false}}});
  // Supervisor: an unlisted org-wide permission, a division-aware one the default list names,
  // and a listed org-wide one behind a condition: nothing.
  f.org.roles[1].policies = {{"analytics", "conversationDetail", {"view"}, true},
                             {"recording", "*", {"view"}, false},
                             {"routing", "queue", {"edit"}, false}};
  User(f, "u", "a1");
  User(f, "m1", "a1");
  User(f, "m2", "a1", "deleted");
  User(f, "s", "home");
  User(f, "o", "a1");
  User(f, "v", "a1");
  User(f, "w", "a1");
  Group(f, "g", {"m1", "m2"});
  Grant(f, U, "u", "r3", "a1");  // direct, three listed divisions (shared included): one finding
  Grant(f, U, "u", "r3", "a2");
  Grant(f, U, "u", "r3", "home");
  Grant(f, G, "g", "r3", "b1");  // the group, and m1 via the group (m2 is deleted)
  f.org.oauth_clients.push_back({"c", "Client", "CLIENT-CREDENTIALS", "active", {{"r3", "u1"}}});
  Grant(f, SubjectType::kOAuthClient, "c", "r3", "u1");  // on an unmapped division
  f.org.external_subjects.push_back({"t", "Partner", SubjectType::kTrusteeUser, "PC_TRUSTEE_USER"});
  Grant(f, SubjectType::kTrusteeUser, "t", "r3", "home");
  Grant(f, U, "s", "r3", "*");  // on "*" through the same path: only all_divisions
  Grant(f, U, "s", "r3", "a1");
  Grant(f, U, "o", "r3", "gone");  // a deleted division: only orphaned_grant
  Grant(f, U, "v", "r2", "a1");    // conditioned / division-aware / unlisted: nothing
  Grant(f, U, "w", "r4", "a1");    // grant:add: org-wide only with the guardrail off
  audit::Canonicalize(f.org);
  return f;
}

TEST(TruthOrgWideTest, EveryPrecedenceCaseWithTheGuardrailOn) {
  const std::string perms =
      "analytics:conversationDetail:view,authorization:role:edit,directory:organization:admin,";
  std::vector<std::string> want = {
      "all_divisions user:s r3 * direct open",
      "cross_tenant user:m1 r3 b1 group:g open",
      "org_wide_permission group:g r3 - direct open b1,|" + perms,
      "org_wide_permission oauth_client:c r3 - direct open u1,|" + perms,
      "org_wide_permission trustee_user:t r3 - direct open home,|" + perms,
      "org_wide_permission user:m1 r3 - group:g open b1,|" + perms,
      "org_wide_permission user:u r3 - direct open a1,a2,home,|" + perms,
      "orphaned_grant user:o r3 gone direct open",
      "unmapped_division - - u1 - open",
  };
  std::sort(want.begin(), want.end());
  EXPECT_EQ(OrgWideLines(ComputeTruthJson(OrgWideFixture(true), kNow)), want);
}

TEST(TruthOrgWideTest, GuardrailOffAddsTheOrgFindingAndMakesGrantAddOrgWide) {
  const std::vector<std::string> lines =
      OrgWideLines(ComputeTruthJson(OrgWideFixture(false), kNow));
  EXPECT_NE(std::find(lines.begin(), lines.end(), "grant_guardrail_off org:org-1 - - - open"),
            lines.end());
  EXPECT_NE(std::find(lines.begin(), lines.end(),
                      "org_wide_permission user:w r4 - direct open a1,|authorization:grant:add,"),
            lines.end());
  EXPECT_NE(std::find(lines.begin(), lines.end(),
                      "org_wide_permission user:u r3 - direct open a1,a2,home,|"
                      "analytics:conversationDetail:view,authorization:grant:add,"
                      "authorization:role:edit,directory:organization:admin,"),
            lines.end());
  EXPECT_EQ(lines.size(), 11u);
}

TEST(TruthOrgWideTest, PatternsSelectAndExceptionsSuppress) {
  OrgFixture f = OrgWideFixture(true);
  audit::ExceptionSpec x;
  x.rule = audit::Rule::kOrgWidePermission;
  x.subject_id = "u";
  x.role_id = "r3";
  x.expires = "2099-12-31";
  f.policy.exceptions.push_back(x);
  const std::vector<std::string> lines =
      OrgWideLines(ComputeTruthJson(f, kNow, {"directory:*:admin"}));
  EXPECT_NE(std::find(lines.begin(), lines.end(),
                      "org_wide_permission user:u r3 - direct suppressed a1,a2,home,|"
                      "directory:organization:admin,"),
            lines.end());
  // Only the selected permission; a list selecting nothing gives no org_wide_permission.
  const std::vector<std::string> none =
      OrgWideLines(ComputeTruthJson(f, kNow, {"routing:queue:view"}));
  for (const std::string& l : none) EXPECT_EQ(l.find("org_wide_permission"), std::string::npos);
  // The fixture's own [policy] org_wide_permissions (the simulated tenant config) is what the
  // one-argument overload (and so divaudit-sim --truth) uses; unset: the default list.
  OrgFixture configured = f;
  configured.org_wide_permissions = std::vector<std::string>{"directory:*:admin"};
  EXPECT_EQ(ComputeTruthJson(configured, kNow), ComputeTruthJson(f, kNow, {"directory:*:admin"}));
  EXPECT_NE(ComputeTruthJson(configured, kNow), ComputeTruthJson(f, kNow));
  EXPECT_EQ(ComputeTruthJson(f, kNow), ComputeTruthJson(f, kNow, DefaultOrgWidePermissions()));
  // Without a catalog or settings in the fixture nothing v2 fires (the sim serves the
  // default settings: guardrail on).
  OrgFixture v1 = Base();
  v1.org.roles[0].policies = {{"*", "*", {"*"}, false}};
  User(v1, "u", "a1");
  Grant(v1, U, "u", "r1", "a1");
  EXPECT_TRUE(Truth(v1).empty());
}

}  // namespace
}  // namespace divaudit::sim
