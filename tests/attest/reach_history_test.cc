#include "storage/reach_history.h"

#include <gtest/gtest.h>

#include "tests/attest/attest_fixture.h"

namespace divaudit::storage {
namespace {

using attest::testing::CommitFixture;
using attest::testing::TempDir;

constexpr std::optional<int64_t> kNone = std::nullopt;

TEST(ReachHistoryTest, ContinuousSinceFollowsAdjacentRowsAndStopsAtAGap) {
  EXPECT_FALSE(ContinuousSince({}, 5).held);
  EXPECT_FALSE(ContinuousSince({{1, 5}}, 5).held) << "closed by sweep 5";
  auto s = ContinuousSince({{3, kNone}}, 5);
  EXPECT_TRUE(s.held);
  EXPECT_EQ(s.since_sweep, 3);
  // [1,4) then [4,∞): unbroken since 1.
  EXPECT_EQ(ContinuousSince({{4, kNone}, {1, 4}}, 9).since_sweep, 1);
  // [1,3) then [4,∞): absent in sweep 3, so since 4.
  EXPECT_EQ(ContinuousSince({{1, 3}, {4, kNone}}, 9).since_sweep, 4);
  // Overlapping rows (a grant and an OAuth client's roleDivision).
  EXPECT_EQ(ContinuousSince({{5, kNone}, {2, 7}}, 9).since_sweep, 2);
  // Before the anchor.
  auto pruned = ContinuousSince({{kNone, 4}, {4, kNone}}, 9);
  EXPECT_TRUE(pruned.held);
  EXPECT_FALSE(pruned.since_sweep);
  // As of an earlier sweep.
  EXPECT_EQ(ContinuousSince({{1, 3}, {4, kNone}}, 2).since_sweep, 1);
}

TEST(ReachHistoryTest, BothHeldSinceTakesTheLater) {
  EXPECT_EQ(BothHeldSince({true, 2}, {true, 5}).since_sweep, 5);
  EXPECT_EQ(BothHeldSince({true, kNone}, {true, 5}).since_sweep, 5);
  EXPECT_FALSE(BothHeldSince({true, kNone}, {true, kNone}).since_sweep);
  EXPECT_FALSE(BothHeldSince({false, kNone}, {true, 5}).held);
}

TEST(ReachHistoryTest, LoadsGrantsClientRolesAndMembershipsFromTheDatabase) {
  TempDir dir;
  const std::string db_path = dir / "d.db";
  CommitFixture(db_path);
  Db db;
  ASSERT_TRUE(db.Open(db_path, Db::Mode::kReadWrite).ok());
  auto h = ReachHistory::Load(db, {"*", "d-acme", "d-acme-bill"}, {"g-acme-sup"});
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->GrantHeldSince("user", "u-alice", "r-agent", "d-acme", 3).since_sweep, 1);
  EXPECT_EQ(h->GrantHeldSince("user", "u-bob", "r-sup", "d-acme", 3).since_sweep, 2);
  EXPECT_EQ(h->GrantHeldSince("user", "u-gina", "r-sup", "d-acme", 3).since_sweep, 3);
  EXPECT_FALSE(h->GrantHeldSince("user", "u-gina", "r-sup", "d-acme", 2).held);
  EXPECT_EQ(h->GrantHeldSince("user", "u-erin", "r-admin", "*", 3).since_sweep, 1);
  EXPECT_EQ(h->GrantHeldSince("oauth_client", "c-int", "r-admin", "d-acme", 3).since_sweep, 1);
  EXPECT_EQ(h->MembershipHeldSince("g-acme-sup", "u-carol", 3).since_sweep, 2);
  EXPECT_EQ(h->MembershipHeldSince("g-acme-sup", "u-dave", 3).since_sweep, 1);
  // Divisions that were not loaded are not known.
  EXPECT_FALSE(h->GrantHeldSince("user", "u-frank", "r-agent", "d-beta", 3).held);
  EXPECT_GT(h->grant_rows(), 0u);
  EXPECT_EQ(h->membership_rows(), 2u);
}

}  // namespace
}  // namespace divaudit::storage
