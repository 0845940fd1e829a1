// Stored names (rule, severity, subject type, finding state, sweep status, lifecycle event) that
// do not parse are data loss naming the table and row — never a silent default.
#include <gtest/gtest.h>

#include "common/clock.h"
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

class StoredNamesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = SqliteSnapshotStore::Open(path_, clock_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
    ASSERT_TRUE(store_->CommitSweep(MakeInfo(kT0), MakeOrg(), {finding_}).ok());
  }
  // Edits the file behind the store's back (CHECK constraints off, as an editor could).
  void Tamper(const std::string& sql) {
    RawDb raw(path_);
    ASSERT_EQ(raw.Exec("PRAGMA ignore_check_constraints = ON; " + sql), SQLITE_OK)
        << sqlite3_errmsg(raw.raw());
  }
  void ExpectDataLoss(const Status& s, const std::string& part) {
    EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
    EXPECT_NE(s.message().find(part), std::string::npos) << s.ToString();
    EXPECT_NE(s.message().find(path_), std::string::npos) << s.ToString();
  }

  TempDir dir_;
  std::string path_ = dir_.File("divaudit.db");
  FakeClock clock_;
  std::unique_ptr<SqliteSnapshotStore> store_;
  audit::Finding finding_ = MakeFinding("user-1", "div-3");
};

TEST_F(StoredNamesTest, UnknownRuleSeveritySubjectTypeOrStateIsDataLossNamingTheRow) {
  const std::string row = "table findings, fingerprint " + finding_.fingerprint;
  const std::vector<std::pair<std::string, std::string>> edits = {
      {"rule", "unknown rule 'cross_tenantz'"},
      {"severity", "unknown severity 'cross_tenantz'"},
      {"subject_type", "unknown subject_type 'cross_tenantz'"},
      {"state", "unknown state 'cross_tenantz'"},
  };
  for (const auto& [column, message] : edits) {
    SCOPED_TRACE(column);
    const std::string original = RawDb(path_).Text("SELECT " + column + " FROM findings");
    ASSERT_FALSE(original.empty());
    Tamper("UPDATE findings SET " + column + " = 'cross_tenantz';");
    auto r = store_->QueryFindings({});
    ASSERT_FALSE(r.ok());
    ExpectDataLoss(r.status(), row + ": " + message);
    // A commit never treats the row as something it is not.
    if (column == "state") {
      auto c = store_->CommitSweep(MakeInfo(kT0 + 900), MakeOrg(), {});
      ASSERT_FALSE(c.ok());
      ExpectDataLoss(c.status(), row + ": " + message);
    }
    auto v = store_->Verify();
    ASSERT_TRUE(v.ok());
    if (column == "state") {
      EXPECT_FALSE(v->ok);
      ASSERT_FALSE(v->problems.empty());
      EXPECT_NE(v->problems.back().find("unknown state 'cross_tenantz'"), std::string::npos)
          << v->problems.back();
    }
    Tamper("UPDATE findings SET " + column + " = '" + original + "';");
    ASSERT_TRUE(store_->QueryFindings({}).ok());
  }
}

TEST_F(StoredNamesTest, UnknownSweepStatusOrEventIsDataLossNamingTheRow) {
  Tamper("UPDATE sweeps SET status = 'done' WHERE id = 1;");
  auto sweeps = store_->ListSweeps(std::nullopt, std::nullopt);
  ASSERT_FALSE(sweeps.ok());
  ExpectDataLoss(sweeps.status(), "table sweeps, id 1: unknown status 'done'");
  Tamper(
      "UPDATE sweeps SET status = 'complete' WHERE id = 1;"
      "UPDATE findings_events SET event = 'closed';");
  auto events = store_->FindingEvents(0, kT0 + 86400);
  ASSERT_FALSE(events.ok());
  ExpectDataLoss(events.status(), "table findings_events, id 1: unknown event 'closed'");
  auto v = store_->Verify();
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok);
  bool named = false;
  for (const auto& p : v->problems) named |= p.find("unknown event 'closed'") != std::string::npos;
  EXPECT_TRUE(named);
}

}  // namespace
}  // namespace divaudit::storage
