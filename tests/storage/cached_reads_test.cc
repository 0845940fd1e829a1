// CachedReads: a repeated read is answered from memory (the store is not asked again), with the
// same answer; a different argument, an error or a write goes to the store.
#include "storage/cached_reads.h"

#include <gtest/gtest.h>

#include "audit/findings_document.h"
#include "common/clock.h"
#include "storage/sqlite_snapshot_store.h"
#include "tests/storage/store_test_util.h"

namespace divaudit::storage {
namespace {

using testing::MakeFinding;
using testing::MakeInfo;
using testing::MakeOrg;
using testing::TempDir;

constexpr int64_t kT0 = 1790000000;

class CachedReadsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = SqliteSnapshotStore::Open(dir_.File("c.db"), clock_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
    ASSERT_TRUE(
        store_->CommitSweep(MakeInfo(kT0), MakeOrg(), {MakeFinding("user-1", "div-2")}).ok());
  }
  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<SqliteSnapshotStore> store_;
};

TEST_F(CachedReadsTest, RepeatedReadsAskTheStoreOnceAndAnswerTheSame) {
  CachedReads reads(*store_);
  for (int round = 0; round < 3; ++round) {
    auto sweeps = reads.ListSweeps(std::nullopt, std::nullopt);
    ASSERT_TRUE(sweeps.ok());
    ASSERT_EQ(sweeps->size(), 1U);
    auto last = reads.LastCompleteSweep();
    ASSERT_TRUE(last.ok());
    auto snap = reads.SnapshotAt(last->info.id);
    ASSERT_TRUE(snap.ok());
    EXPECT_TRUE(*snap == MakeOrg());
    auto findings = reads.QueryFindings(FindingFilter{});
    ASSERT_TRUE(findings.ok());
    EXPECT_EQ(findings->size(), 1U);
    auto events = reads.FindingEvents(0, kT0 + 10);
    ASSERT_TRUE(events.ok());
    EXPECT_EQ(events->size(), 1U);
    ASSERT_TRUE(reads.ExceptionsSeen().ok());
  }
  EXPECT_EQ(reads.store_calls(), 6);      // one per kind of read, not one per round
  auto divisions = reads.DivisionsAt(1);  // from the snapshot read above
  ASSERT_TRUE(divisions.ok());
  EXPECT_EQ(*divisions, MakeOrg().divisions);
  auto counts = reads.CountsAt(1);  // likewise
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(*counts, audit::CountsOf(MakeOrg()));
  EXPECT_EQ(reads.store_calls(), 6);
}

TEST_F(CachedReadsTest, OtherArgumentsErrorsAndWritesGoToTheStore) {
  CachedReads reads(*store_);
  FindingFilter open;
  open.states = {audit::FindingState::kOpen};
  ASSERT_TRUE(reads.QueryFindings(FindingFilter{}).ok());
  ASSERT_TRUE(reads.QueryFindings(open).ok());
  EXPECT_EQ(reads.store_calls(), 2);
  EXPECT_FALSE(reads.SnapshotAt(99).ok());  // an error is not kept: asked again
  EXPECT_FALSE(reads.SnapshotAt(99).ok());
  EXPECT_EQ(reads.store_calls(), 4);
  auto divisions = reads.DivisionsAt(1);  // no snapshot read: the store answers, once
  ASSERT_TRUE(divisions.ok());
  EXPECT_EQ(*divisions, MakeOrg().divisions);
  ASSERT_TRUE(reads.DivisionsAt(1).ok());
  EXPECT_EQ(reads.store_calls(), 5);
  auto counts = reads.CountsAt(1);  // nor here
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(*counts, audit::CountsOf(MakeOrg()));
  EXPECT_EQ(reads.store_calls(), 6);
  ASSERT_TRUE(reads.ListSweeps(std::nullopt, std::nullopt).ok());
  ASSERT_TRUE(reads.CommitSweep(MakeInfo(kT0 + 900), MakeOrg(), {}).ok());
  auto sweeps = reads.ListSweeps(std::nullopt, std::nullopt);  // forgotten by the write
  ASSERT_TRUE(sweeps.ok());
  EXPECT_EQ(sweeps->size(), 2U);
  const int64_t before = reads.store_calls();
  ASSERT_TRUE(reads.DivisionsAt(1).ok());  // forgotten by the write too
  EXPECT_EQ(reads.store_calls(), before + 1);
}

}  // namespace
}  // namespace divaudit::storage
