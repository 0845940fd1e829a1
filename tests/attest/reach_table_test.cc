#include "attest/reach_table.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/attest/attest_fixture.h"

namespace divaudit::attest {
namespace {

using testing::FixtureOrg;
using testing::FixturePolicy;

// "path subject role division via" per row, for compact expectations.
std::vector<std::string> Describe(const std::vector<ReachRow>& rows) {
  std::vector<std::string> out;
  for (const auto& r : rows) {
    out.push_back(r.path + " " + r.subject.id + " " + (r.role ? r.role->id : "-") + " " +
                  (r.division ? r.division->id : "-") + " " +
                  (r.via.direct ? "direct" : r.via.group_id));
  }
  return out;
}

struct Built {
  audit::OrgSnapshot org;
  std::unique_ptr<audit::EffectiveGrants> index;
  std::unique_ptr<audit::TenantMap> map;
};

Built Build(audit::OrgSnapshot org) {
  Built b;
  b.org = std::move(org);
  b.index = std::make_unique<audit::EffectiveGrants>(b.org);
  b.map = std::make_unique<audit::TenantMap>(
      *audit::TenantMap::Build(FixturePolicy(), b.org.divisions));
  return b;
}

std::vector<ReachRow> Rows(const Built& b, const std::string& tenant,
                           std::unique_ptr<ReachPathProvider> path) {
  std::vector<std::unique_ptr<ReachPathProvider>> paths;
  paths.push_back(std::move(path));
  return BuildReachRows(ReachInput{b.org, *b.index, *b.map, tenant}, paths);
}

TEST(ReachTableTest, DirectGrantsOnTheTenantsDivisionsOwnPeopleAndForeign) {
  const Built b = Build(FixtureOrg(3));
  const auto rows = Rows(b, "Acme Retail", GrantPath());
  const auto d = Describe(rows);
  EXPECT_NE(std::find(d.begin(), d.end(), "grant u-alice r-agent d-acme direct"), d.end());
  // A Beta Bank user holding a grant on Acme's division.
  EXPECT_NE(std::find(d.begin(), d.end(), "grant u-bob r-sup d-acme direct"), d.end());
  // A grant on Beta Bank's division never reaches Acme.
  for (const auto& r : rows) EXPECT_NE(r.subject.id, "u-frank");
  const auto bob = std::find_if(rows.begin(), rows.end(),
                                [](const ReachRow& r) { return r.subject.id == "u-bob"; });
  ASSERT_NE(bob, rows.end());
  EXPECT_EQ(bob->home_tenant, std::optional<std::string>("Beta Bank"));
  ASSERT_TRUE(bob->home_division);
  EXPECT_EQ(bob->home_division->name, "Beta Bank");
  ASSERT_EQ(bob->facts.size(), 1u);
  EXPECT_EQ(bob->facts[0].key, (std::vector<std::string>{"user", "u-bob", "r-sup", "d-acme"}));
  // The cross_tenant finding of exactly this path comes first.
  audit::Finding f;
  f.rule = audit::Rule::kCrossTenant;
  f.subject = bob->subject;
  f.role = bob->role;
  f.division = bob->division;
  f.via = audit::Via{};
  ASSERT_FALSE(bob->finding_fingerprints.empty());
  EXPECT_EQ(bob->finding_fingerprints[0], audit::FingerprintOf(f));
}

TEST(ReachTableTest, GroupGrantGivesTheGroupsRowAndOneRowPerMemberViaTheGroup) {
  const Built b = Build(FixtureOrg(3));
  const auto d = Describe(Rows(b, "Acme Retail", GrantPath()));
  EXPECT_NE(std::find(d.begin(), d.end(), "grant g-acme-sup r-sup d-acme-bill direct"), d.end());
  EXPECT_NE(std::find(d.begin(), d.end(), "grant u-carol r-sup d-acme-bill g-acme-sup"), d.end());
  EXPECT_NE(std::find(d.begin(), d.end(), "grant u-dave r-sup d-acme-bill g-acme-sup"), d.end());
  const auto rows = Rows(b, "Acme Retail", GrantPath());
  const auto carol = std::find_if(rows.begin(), rows.end(),
                                  [](const ReachRow& r) { return r.subject.id == "u-carol"; });
  ASSERT_NE(carol, rows.end());
  EXPECT_EQ(carol->via.group_name, "Acme Supervisors");
  // first_seen needs both the group's grant and carol's membership.
  ASSERT_EQ(carol->facts.size(), 2u);
  EXPECT_EQ(carol->facts[0].key,
            (std::vector<std::string>{"group", "g-acme-sup", "r-sup", "d-acme-bill"}));
  EXPECT_EQ(carol->facts[1].kind, ReachFact::Kind::kMembership);
  EXPECT_EQ(carol->facts[1].key, (std::vector<std::string>{"g-acme-sup", "u-carol"}));
}

TEST(ReachTableTest, MembersOnlyFromTheSweepThatListsThem) {
  const Built b = Build(FixtureOrg(1));  // carol joined the group in sweep 2
  for (const auto& r : Rows(b, "Acme Retail", GrantPath())) EXPECT_NE(r.subject.id, "u-carol");
}

TEST(ReachTableTest, AllDivisionsReachesEveryTenant) {
  const Built b = Build(FixtureOrg(3));
  for (const std::string tenant : {"Acme Retail", "Beta Bank"}) {
    EXPECT_EQ(Describe(Rows(b, tenant, AllDivisionsPath())),
              std::vector<std::string>{"all_divisions u-erin r-admin * direct"});
  }
  const auto rows = Rows(b, "Acme Retail", AllDivisionsPath());
  EXPECT_FALSE(rows[0].home_tenant) << "erin's home division is shared";
  audit::Finding f;
  f.rule = audit::Rule::kAllDivisions;
  f.subject = rows[0].subject;
  f.role = rows[0].role;
  f.division = rows[0].division;
  f.via = audit::Via{};
  EXPECT_EQ(rows[0].finding_fingerprints, std::vector<std::string>{audit::FingerprintOf(f)});
}

TEST(ReachTableTest, AllDivisionsThroughAGroupGivesGroupAndMemberRows) {
  audit::OrgSnapshot org = FixtureOrg(3);
  org.grants.push_back({audit::SubjectType::kGroup, "g-acme-sup", "r-admin", "*"});
  audit::Canonicalize(org);
  const Built b = Build(std::move(org));
  const auto d = Describe(Rows(b, "Beta Bank", AllDivisionsPath()));
  EXPECT_NE(std::find(d.begin(), d.end(), "all_divisions g-acme-sup r-admin * direct"), d.end());
  EXPECT_NE(std::find(d.begin(), d.end(), "all_divisions u-carol r-admin * g-acme-sup"), d.end());
  EXPECT_NE(std::find(d.begin(), d.end(), "all_divisions u-dave r-admin * g-acme-sup"), d.end());
}

TEST(ReachTableTest, OAuthClientsAndDeletedUsers) {
  audit::OrgSnapshot org = FixtureOrg(3);
  org.users.push_back({"u-zed", "Zed Zero", "zed@acme.example", "d-acme", "deleted"});
  org.grants.push_back({audit::SubjectType::kUser, "u-zed", "r-agent", "d-acme"});
  audit::Canonicalize(org);
  const Built b = Build(std::move(org));
  const auto d = Describe(Rows(b, "Acme Retail", GrantPath()));
  EXPECT_NE(std::find(d.begin(), d.end(), "grant c-int r-admin d-acme direct"), d.end());
  for (const auto& s : d)
    EXPECT_EQ(s.find("u-zed"), std::string::npos) << "deleted users never reach";
}

TEST(ReachTableTest, RowsAreSortedAndPathsInProviderOrder) {
  const Built b = Build(FixtureOrg(3));
  const auto rows =
      BuildReachRows(ReachInput{b.org, *b.index, *b.map, "Acme Retail"}, DefaultReachPaths());
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows.back().path, "all_divisions");  // no findings, no queues: no v2 rows
  EXPECT_EQ(rows.front().path, "grant");
  EXPECT_TRUE(UncollectedReachPaths().empty());
  // Same input, same rows.
  const auto again =
      BuildReachRows(ReachInput{b.org, *b.index, *b.map, "Acme Retail"}, DefaultReachPaths());
  EXPECT_EQ(Describe(rows), Describe(again));
}

}  // namespace
}  // namespace divaudit::attest
