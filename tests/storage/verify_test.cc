// Tamper evidence: every edit, deletion or reordering of stored history makes Verify fail and
// name the first bad sweep.

#include <gtest/gtest.h>

#include "common/clock.h"
#include "storage/hash_chain.h"
#include "storage/sqlite_snapshot_store.h"
#include "tests/storage/store_test_util.h"

namespace divaudit::storage {
namespace {

using testing::MakeFinding;
using testing::MakeInfo;
using testing::MakeOrg;
using testing::RawDb;
using testing::TempDir;

constexpr int64_t kT0 = 1790000000;

// Four complete sweeps, each changing something, committed to a fresh file.
class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = SqliteSnapshotStore::Open(path_, clock_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
    auto org = MakeOrg();
    for (int i = 0; i < 4; ++i) {
      std::vector<audit::Finding> findings = {MakeFinding("user-1", "div-2")};
      if (i % 2 == 0) findings.push_back(MakeFinding("user-" + std::to_string(i + 10), "div-3"));
      auto r = store_->CommitSweep(MakeInfo(kT0 + int64_t{i} * 900), org, findings);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      org.grants.erase(org.grants.begin() + i);
      org.users[static_cast<size_t>(i)].name += " (renamed)";
      audit::Canonicalize(org);
    }
    ExpectOk();
  }
  void ExpectOk() {
    auto v = store_->Verify();
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_TRUE(v->ok) << (v->problems.empty() ? "" : v->problems.front());
    EXPECT_EQ(v->sweeps_checked, 4);
  }
  void ExpectBad(int64_t first_bad) {
    auto v = store_->Verify();
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_FALSE(v->ok);
    EXPECT_EQ(v->first_bad_sweep, first_bad);
    EXPECT_FALSE(v->problems.empty());
  }
  void Tamper(const std::string& sql) {
    RawDb raw(path_);  // foreign keys are off on this connection, as an attacker would have it
    ASSERT_EQ(raw.Exec(sql), SQLITE_OK) << sqlite3_errmsg(raw.raw());
  }
  // Stores sweep i's hash in `layouts[i-1]`, chained as a build writing those layouts would
  // have (a build before hash layout 2 wrote layout 1); returns the hashes.
  std::vector<std::string> Rehash(const std::vector<HashLayout>& layouts) {
    std::vector<std::string> hashes = testing::RecomputeHashes(path_, 1, layouts, "");
    std::string sql;
    for (size_t i = 0; i < hashes.size(); ++i) {
      sql += "UPDATE sweeps SET content_hash = '" + hashes[i] +
             "' WHERE id = " + std::to_string(i + 1) + ";";
    }
    Tamper(sql);
    return hashes;
  }

  TempDir dir_;
  std::string path_ = dir_.File("v.db");
  FakeClock clock_;
  std::unique_ptr<SqliteSnapshotStore> store_;
};

class SweepColumnTamperTest : public VerifyTest,
                              public ::testing::WithParamInterface<std::string> {};

TEST_P(SweepColumnTamperTest, EditingAnySweepColumnIsDetected) {
  const std::string& assignment = GetParam();
  Tamper("UPDATE sweeps SET " + assignment + " WHERE id = 2");
  ExpectBad(2);
}

INSTANTIATE_TEST_SUITE_P(
    AllColumns, SweepColumnTamperTest,
    ::testing::Values("started_at = started_at + 1", "finished_at = finished_at - 1",
                      "status = 'partial'", "incomplete = '[\"x\"]'", "requests = requests + 1",
                      "retries = 0", "throttled = 7", "coverage = 0.5", "rule_set_version = 9",
                      "unknown_subject_types = '{\"PC_X\":1}'", "content_hash = '00'"));

// A database written by a build before hash layout 2 (sweeps 1-2 in layout 1) and continued by
// this one (sweeps 3-4 in layout 2) verifies; an edit is found in either part.
TEST_F(VerifyTest, ALayout1HistoryContinuedInLayout2Verifies) {
  auto before = store_->Verify();
  ASSERT_TRUE(before.ok());
  const auto mixed = Rehash({HashLayout::kV1, HashLayout::kV1, HashLayout::kV2, HashLayout::kV2});
  ASSERT_EQ(mixed.size(), 4u);
  const auto all2 = Rehash({HashLayout::kV2, HashLayout::kV2, HashLayout::kV2, HashLayout::kV2});
  ASSERT_EQ(all2.size(), 4u);
  EXPECT_EQ(all2.back(), before->head_hash);  // what the writer stored is layout 2
  EXPECT_NE(mixed[0], all2[0]);               // the layouts hash differently
  EXPECT_NE(mixed[3], all2[3]);               // and a different prev changes every later hash
  Rehash({HashLayout::kV1, HashLayout::kV1, HashLayout::kV2, HashLayout::kV2});
  ExpectOk();
  auto v = store_->Verify();
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->head_hash, mixed.back());
  // A layout-1 sweep after layout-2 ones (no build writes that, but both bind the same
  // content) verifies too.
  Rehash({HashLayout::kV2, HashLayout::kV1, HashLayout::kV2, HashLayout::kV1});
  ExpectOk();
  // Both layouts' table parts cover the rows: an edit in a layout-1 and in a layout-2 sweep.
  Tamper("UPDATE users SET name = 'x' WHERE valid_from_sweep = 3");
  ExpectBad(3);
  Tamper("UPDATE users SET name = 'x' WHERE valid_from_sweep = 2");
  ExpectBad(2);
}

TEST_F(VerifyTest, EditingAGrantRowIsDetectedAtTheSweepThatWroteIt) {
  Tamper("UPDATE grants SET division_id = '*' WHERE row_id = 20 AND valid_from_sweep = 1");
  ExpectBad(1);
}

TEST_F(VerifyTest, ReopeningAClosedGrantIsDetectedAtTheClosingSweep) {
  Tamper("UPDATE grants SET valid_to_sweep = NULL WHERE valid_to_sweep = 3");
  ExpectBad(3);
}

TEST_F(VerifyTest, DeletingATemporalRowIsDetected) {
  Tamper("DELETE FROM users WHERE valid_from_sweep = 2");
  ExpectBad(2);
}

TEST_F(VerifyTest, DeletingASweepIsDetected) {
  Tamper("DELETE FROM sweeps WHERE id = 2");
  ExpectBad(2);
}

TEST_F(VerifyTest, DeletingTheLastSweepIsDetected) {
  Tamper("DELETE FROM sweeps WHERE id = 4");
  ExpectBad(4);
}

TEST_F(VerifyTest, DeletingTheFirstSweepIsDetected) {
  Tamper("DELETE FROM grants WHERE valid_from_sweep = 1; DELETE FROM sweeps WHERE id = 1");
  ExpectBad(1);
}

TEST_F(VerifyTest, SwappingSweepIdsIsDetected) {
  Tamper(
      "UPDATE sweeps SET id = 100 WHERE id = 2; UPDATE sweeps SET id = 2 WHERE id = 3; "
      "UPDATE sweeps SET id = 3 WHERE id = 100");
  ExpectBad(2);
}

TEST_F(VerifyTest, QuietlyResolvingAFindingIsDetected) {
  Tamper("UPDATE findings SET state = 'resolved' WHERE subject_id = 'user-1'");
  auto v = store_->Verify();
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok);
}

TEST_F(VerifyTest, EditingAFindingsEventIsDetected) {
  Tamper("UPDATE findings_events SET event = 'suppressed' WHERE sweep_id = 2");
  ExpectBad(2);
}

TEST_F(VerifyTest, EditingAFindingIdentityIsDetected) {
  Tamper("UPDATE findings SET role_id = 'role-0' WHERE subject_id = 'user-1'");
  ExpectBad(1);
}

// The writer hashes the rows it inserts from memory, taking their row ids to be max(row_id)+1,
// +2, ... . When SQLite cannot count up (a row at the top of the id range, here planted as a
// current grant no sweep wrote), it picks row ids at random: the writer must notice and read
// the table back, so the stored hash is still what Verify recomputes.
TEST_F(VerifyTest, RowIdsSqliteDoesNotCountUpStillHashAsVerifyRecomputes) {
  Tamper(
      "INSERT INTO grants(row_id, valid_from_sweep, valid_to_sweep, subject_type, subject_id, "
      "role_id, division_id) SELECT 9223372036854775807, NULL, NULL, subject_type, subject_id, "
      "role_id, role_id FROM grants WHERE row_id = 1");
  testing::OrgShape other;
  other.seed = 7;  // other grants: sweep 5 inserts many rows and closes the planted one
  auto r = store_->CommitSweep(MakeInfo(kT0 + 9000), MakeOrg(other), {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  RawDb raw(path_);
  EXPECT_GT(raw.Int("SELECT count(*) FROM grants WHERE valid_from_sweep = 5"), 100);
  EXPECT_EQ(raw.Int("SELECT valid_to_sweep FROM grants WHERE row_id = 9223372036854775807"), 5);
  auto v = store_->Verify();
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE(v->ok) << (v->problems.empty() ? "" : v->problems.front());
  EXPECT_EQ(v->sweeps_checked, 5);
}

// The same for a keyed table (texts, not dictionary ids): a user planted at the top of the id
// range makes SQLite pick the new users' row ids at random.
TEST_F(VerifyTest, KeyedRowIdsSqliteDoesNotCountUpStillHashAsVerifyRecomputes) {
  Tamper(
      "INSERT INTO users(row_id, valid_from_sweep, valid_to_sweep, id, name, email, "
      "home_division_id, state) SELECT 9223372036854775807, NULL, NULL, 'planted-user', name, "
      "email, home_division_id, state FROM users WHERE row_id = 1");
  audit::OrgSnapshot org = MakeOrg(testing::OrgShape{});
  for (int i = 0; i < 30; ++i) {
    org.users.push_back({"user-new-" + std::to_string(100 + i), "New", "new@example.com",
                         org.users.front().home_division_id, "active"});
  }
  audit::Canonicalize(org);
  auto r = store_->CommitSweep(MakeInfo(kT0 + 9000), org, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  RawDb raw(path_);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM users WHERE valid_from_sweep = 5 AND id LIKE "
                    "'user-new-%'"),
            30);
  EXPECT_EQ(raw.Int("SELECT valid_to_sweep FROM users WHERE row_id = 9223372036854775807"), 5);
  auto v = store_->Verify();
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE(v->ok) << (v->problems.empty() ? "" : v->problems.front());
}

}  // namespace
}  // namespace divaudit::storage
