#include "audit/tenant_map.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/audit/org_builder.h"

namespace divaudit::audit {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::OrgBuilder;

std::vector<Division> Divisions() {
  return OrgBuilder()
      .Division("d-acme", "Acme Retail")
      .Division("d-acme-eu", "Acme Retail EU")
      .Division("d-acme2", "Acme")
      .Division("d-globex", "Globex Health")
      .Division("d-home", "Home")
      .Division("d-x", "Orphanage")
      .Division("d-7", "Initech")
      .Build()
      .divisions;
}

struct MatchCase {
  const char* name;
  std::vector<TenantSpec> tenants;
  std::vector<std::string> shared;
  // division id → expected tenant ("" none), shared?
  std::vector<std::tuple<const char*, const char*, bool>> expect;
};

void PrintTo(const MatchCase& c, std::ostream* os) { *os << c.name; }

class TenantMapMatchTest : public ::testing::TestWithParam<MatchCase> {};

TEST_P(TenantMapMatchTest, MapsDivisions) {
  const MatchCase& c = GetParam();
  Policy policy;
  policy.tenants = c.tenants;
  policy.shared_divisions = c.shared;
  auto map = TenantMap::Build(policy, Divisions());
  ASSERT_TRUE(map.ok()) << map.status().ToString();
  for (const auto& [id, tenant, shared] : c.expect) {
    const auto got = map->TenantOf(id);
    if (std::string_view(tenant).empty()) {
      EXPECT_FALSE(got.has_value()) << id << " → " << got.value_or("");
    } else {
      EXPECT_EQ(got.value_or("<none>"), tenant) << id;
    }
    EXPECT_EQ(map->IsShared(id), shared) << id;
    EXPECT_TRUE(map->IsKnownDivision(id)) << id;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, TenantMapMatchTest,
    ::testing::Values(
        MatchCase{"ExactNameIsNotAPrefix",
                  {{"A", {"Acme"}}},
                  {},
                  {{"d-acme2", "A", false}, {"d-acme", "", false}, {"d-acme-eu", "", false}}},
        MatchCase{"GlobOverNames",
                  {{"A", {"Acme Retail*"}}, {"G", {"Glo?ex *"}}},
                  {},
                  {{"d-acme", "A", false},
                   {"d-acme-eu", "A", false},
                   {"d-acme2", "", false},
                   {"d-globex", "G", false}}},
        MatchCase{"ById", {{"I", {"d-7"}}}, {}, {{"d-7", "I", false}, {"d-acme", "", false}}},
        MatchCase{"GlobsDoNotMatchIds", {{"I", {"d-*"}}}, {}, {{"d-7", "", false}}},
        MatchCase{
            "SharedByNameIdAndGlob",
            {{"A", {"Acme Retail"}}},
            {"Home", "d-x", "Init*"},
            {{"d-home", "", true}, {"d-x", "", true}, {"d-7", "", true}, {"d-acme", "A", false}}},
        MatchCase{"SharedWinsOverTenant",
                  {{"A", {"Acme*", "Home"}}},
                  {"Acme Retail EU", "Home"},
                  {{"d-acme-eu", "", true}, {"d-home", "", true}, {"d-acme", "A", false}}},
        MatchCase{"SameTenantTwoPatternsIsFine",
                  {{"A", {"Acme Retail", "Acme*", "d-acme"}}},
                  {},
                  {{"d-acme", "A", false}}},
        MatchCase{"NoTenantsEveryDivisionIsItsOwnTenant",
                  {},
                  {"Home"},
                  {{"d-acme", "Acme Retail", false},
                   {"d-acme-eu", "Acme Retail EU", false},
                   {"d-x", "Orphanage", false},
                   {"d-home", "", true}}}),
    [](const ::testing::TestParamInfo<MatchCase>& param_info) { return param_info.param.name; });

TEST(TenantMapTest, DivisionInTwoTenantsIsAnErrorNamingBoth) {
  Policy policy;
  policy.tenants = {{"Acme", {"Acme*"}}, {"Retail", {"* EU"}}};
  auto map = TenantMap::Build(policy, Divisions());
  ASSERT_FALSE(map.ok());
  EXPECT_EQ(map.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(map.status().message(), HasSubstr("Acme Retail EU"));
  EXPECT_THAT(map.status().message(), HasSubstr("d-acme-eu"));
  EXPECT_THAT(map.status().message(), HasSubstr("\"Acme\""));
  EXPECT_THAT(map.status().message(), HasSubstr("\"Retail\""));
}

TEST(TenantMapTest, SharedDivisionMatchedByTwoTenantsIsNotAConflict) {
  Policy policy;
  policy.tenants = {{"Acme", {"Acme*"}}, {"Retail", {"* EU"}}};
  policy.shared_divisions = {"Acme Retail EU"};
  auto map = TenantMap::Build(policy, Divisions());
  ASSERT_TRUE(map.ok()) << map.status().ToString();
  EXPECT_TRUE(map->IsShared("d-acme-eu"));
}

TEST(TenantMapTest, UnknownAllDivisionsAndUnmapped) {
  Policy policy;
  policy.tenants = {{"A", {"Acme Retail"}}};
  auto map = TenantMap::Build(policy, Divisions());
  ASSERT_TRUE(map.ok());
  EXPECT_TRUE(map->tenants_configured());
  for (const char* id : {"*", "d-missing", ""}) {
    EXPECT_FALSE(map->IsKnownDivision(id)) << id;
    EXPECT_FALSE(map->IsShared(id)) << id;
    EXPECT_FALSE(map->TenantOf(id).has_value()) << id;
    EXPECT_EQ(map->KindOf(id), TenantMap::Kind::kUnknown) << id;
  }
  EXPECT_TRUE(map->IsUnmapped("d-x"));
  EXPECT_FALSE(map->IsUnmapped("d-acme"));
  EXPECT_EQ(map->KindOf("d-acme"), TenantMap::Kind::kMapped);
}

TEST(TenantMapTest, HomeTenantOfUser) {
  Policy policy;
  policy.tenants = {{"A", {"Acme Retail"}}};
  policy.shared_divisions = {"Home"};
  auto map = TenantMap::Build(policy, Divisions());
  ASSERT_TRUE(map.ok());
  User u;
  u.home_division_id = "d-acme";
  EXPECT_EQ(map->HomeTenantOf(u), "A");
  u.home_division_id = "d-home";  // shared
  EXPECT_FALSE(map->HomeTenantOf(u).has_value());
  u.home_division_id = "d-x";  // unmapped
  EXPECT_FALSE(map->HomeTenantOf(u).has_value());
  u.home_division_id = "d-gone";  // unknown
  EXPECT_FALSE(map->HomeTenantOf(u).has_value());
  u.home_division_id = "";
  EXPECT_FALSE(map->HomeTenantOf(u).has_value());
}

TEST(TenantMapTest, TenantNamesSortedAndIndexed) {
  Policy policy;
  policy.tenants = {{"Zeta", {"Globex*"}}, {"Alpha", {"Acme Retail"}}, {"Empty", {"Nothing"}}};
  auto map = TenantMap::Build(policy, Divisions());
  ASSERT_TRUE(map.ok());
  EXPECT_THAT(map->tenant_names(), ElementsAre("Alpha", "Zeta"));
  EXPECT_EQ(map->TenantIndexOf("d-acme"), 0);
  EXPECT_EQ(map->TenantIndexOf("d-globex"), 1);
  EXPECT_EQ(map->TenantIndexOf("d-x"), -1);
  EXPECT_THAT(map->unmatched_patterns(), ElementsAre("tenant Empty: Nothing"));
}

TEST(TenantMapTest, UnmatchedSharedPatternReported) {
  Policy policy;
  policy.shared_divisions = {"Home", "Nope*"};
  auto map = TenantMap::Build(policy, Divisions());
  ASSERT_TRUE(map.ok());
  EXPECT_FALSE(map->tenants_configured());
  EXPECT_THAT(map->unmatched_patterns(), ElementsAre("shared: Nope*"));
}

TEST(TenantMapTest, NoTenantsUsesIdWhenNameEmpty) {
  const auto divisions = OrgBuilder().Division("d-1", "").Build().divisions;
  auto map = TenantMap::Build(Policy{}, divisions);
  ASSERT_TRUE(map.ok());
  EXPECT_EQ(map->TenantOf("d-1"), "d-1");
}

}  // namespace
}  // namespace divaudit::audit
