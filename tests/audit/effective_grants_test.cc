#include "audit/effective_grants.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/audit/org_builder.h"

namespace divaudit::audit {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::OrgBuilder;
using View = EffectiveGrants::EffectiveView;

OrgBuilder Base() {
  OrgBuilder b;
  b.Division("d1", "One").Division("d2", "Two").Role("r1", "Agent").Role("r2", "Admin");
  return b;
}

TEST(EffectiveGrantsTest, DirectPlusEveryGroupWithVia) {
  const OrgSnapshot s = Base()
                            .User("u1", "d1")
                            .Group("g1", {"u1"})
                            .Group("g2", {"u1", "u2"})
                            .User("u2", "d1")
                            .UserGrant("u1", "r1", "d1")
                            .GroupGrant("g1", "r2", "d2")
                            .GroupGrant("g2", "r1", "d1")
                            .Build();
  EffectiveGrants idx(s);
  EXPECT_THAT(idx.EffectiveOfUser("u1"),
              ElementsAre(View{"r1", "d1", ""}, View{"r2", "d2", "g1"}, View{"r1", "d1", "g2"}));
  EXPECT_THAT(idx.EffectiveOfUser("u2"), ElementsAre(View{"r1", "d1", "g2"}));
  EXPECT_THAT(idx.EffectiveOfUser("nobody"), IsEmpty());
}

TEST(EffectiveGrantsTest, GroupWithRolesDisabledStillApplies) {
  const OrgSnapshot s = Base()
                            .User("u1", "d1")
                            .Group("g1", {"u1"}, /*roles_enabled=*/false)
                            .GroupGrant("g1", "r1", "d2")
                            .Build();
  EffectiveGrants idx(s);
  EXPECT_THAT(idx.EffectiveOfUser("u1"), ElementsAre(View{"r1", "d2", "g1"}));
}

TEST(EffectiveGrantsTest, DeletedUsersHaveNoGrantsInactiveUsersDo) {
  const OrgSnapshot s = Base()
                            .User("u-del", "d1", "deleted")
                            .User("u-in", "d1", "inactive")
                            .Group("g1", {"u-del", "u-in"})
                            .UserGrant("u-del", "r1", "d1")
                            .UserGrant("u-in", "r1", "d1")
                            .GroupGrant("g1", "r2", "d2")
                            .Build();
  EffectiveGrants idx(s);
  EXPECT_THAT(idx.EffectiveOfUser("u-del"), IsEmpty());
  const auto del = idx.FindSubject(SubjectType::kUser, "u-del");
  ASSERT_TRUE(del.has_value());
  EXPECT_FALSE(idx.subject(*del).audited);
  EXPECT_THAT(idx.EffectiveOfUser("u-in"),
              ElementsAre(View{"r1", "d1", ""}, View{"r2", "d2", "g1"}));
}

TEST(EffectiveGrantsTest, UnlistedSubjectsAreKeptNotDropped) {
  const OrgSnapshot s = Base()
                            .Group("g1", {"u-ghost"})
                            .GroupGrant("g1", "r1", "d1")
                            .UserGrant("u-other", "r-gone", "d-gone")
                            .Build();
  EffectiveGrants idx(s);
  EXPECT_THAT(idx.EffectiveOfUser("u-ghost"), ElementsAre(View{"r1", "d1", "g1"}));
  EXPECT_THAT(idx.EffectiveOfUser("u-other"), ElementsAre(View{"r-gone", "d-gone", ""}));
  const auto other = idx.FindSubject(SubjectType::kUser, "u-other");
  ASSERT_TRUE(other.has_value());
  EXPECT_FALSE(idx.subject(*other).listed);
  EXPECT_TRUE(idx.subject(*other).audited);
  const auto gone = idx.FindDivision("d-gone");
  ASSERT_TRUE(gone.has_value());
  EXPECT_FALSE(idx.IsKnownDivision(*gone));
  EXPECT_TRUE(idx.IsKnownDivision(*idx.FindDivision("d1")));
  EXPECT_FALSE(idx.IsKnownDivision(EffectiveGrants::kAllDivisionsCode));
  EXPECT_EQ(idx.DivisionId(EffectiveGrants::kAllDivisionsCode), "*");
}

TEST(EffectiveGrantsTest, OAuthClientGrantsAreTheUnionWithoutDuplicates) {
  const OrgSnapshot s = Base()
                            .Client("c1", {{"r1", "d1"}, {"r2", "*"}})
                            .Grant(SubjectType::kOAuthClient, "c1", "r1", "d1")
                            .Grant(SubjectType::kOAuthClient, "c1", "r1", "d2")
                            .Build();
  EffectiveGrants idx(s);
  const auto c1 = idx.FindSubject(SubjectType::kOAuthClient, "c1");
  ASSERT_TRUE(c1.has_value());
  std::vector<std::pair<std::string_view, std::string_view>> got;
  for (const auto& g : idx.DirectGrants(*c1)) {
    got.emplace_back(idx.RoleId(g.role), idx.DivisionId(g.division));
  }
  std::sort(got.begin(), got.end());
  EXPECT_THAT(got, ElementsAre(std::pair<std::string_view, std::string_view>{"r1", "d1"},
                               std::pair<std::string_view, std::string_view>{"r1", "d2"},
                               std::pair<std::string_view, std::string_view>{"r2", "*"}));
  EXPECT_EQ(idx.grant_count(), 3U);
}

TEST(EffectiveGrantsTest, DuplicateMembershipsAndGrantsCollapse) {
  OrgSnapshot s = Base().User("u1", "d1").Group("g1", {"u1"}).GroupGrant("g1", "r1", "d1").Build();
  // Not canonical on purpose: duplicates the index must absorb.
  s.groups[0].member_ids = {"u1", "u1"};
  s.grants.push_back(s.grants[0]);
  EffectiveGrants idx(s);
  EXPECT_THAT(idx.EffectiveOfUser("u1"), ElementsAre(View{"r1", "d1", "g1"}));
}

TEST(EffectiveGrantsTest, NamesComeFromListings) {
  const OrgSnapshot s = Base().UserGrant("u1", "r1", "d1").Build();
  EffectiveGrants idx(s);
  const auto d1 = idx.FindDivision("d1");
  ASSERT_TRUE(d1.has_value());
  EXPECT_EQ(idx.DivisionName(*d1), "One");
  EXPECT_EQ(idx.RoleName(0), "Agent");
  EXPECT_EQ(idx.DivisionName(EffectiveGrants::kAllDivisionsCode), "");
}

}  // namespace
}  // namespace divaudit::audit
