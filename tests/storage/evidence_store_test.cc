#include "storage/evidence_store.h"

#include <gtest/gtest.h>

#include <chrono>

#include "common/clock.h"
#include "common/time_util.h"
#include "storage/sqlite_snapshot_store.h"
#include "tests/storage/store_test_util.h"

namespace divaudit::storage {
namespace {

using std::chrono::hours;
using testing::MakeInfo;
using testing::MakeOrg;
using testing::TempDir;

constexpr int64_t kT0 = 1790000000;

audit::ConversationEvidence Evidence(const std::string& id, int64_t start_unix) {
  audit::ConversationEvidence e;
  e.conversation.id = id;
  e.conversation.start = FromUnixSeconds(start_unix) + std::chrono::milliseconds(250);
  e.conversation.end = FromUnixSeconds(start_unix + 300);
  e.conversation.division_ids = {"div-1", "div-2"};
  e.conversation.queue_ids = {"q-1"};
  e.conversation.user_ids = {"user-1", "user-2"};
  e.tenants = {"Tenant 1", "Tenant 2, Inc."};
  return e;
}

class EvidenceStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = SqliteSnapshotStore::Open(path_, clock_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    snapshots_ = std::move(s).value();
    auto e = EvidenceStore::Open(path_);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    store_ = std::move(e).value();
  }
  int64_t CommitSweep(int64_t started) {
    auto r = snapshots_->CommitSweep(MakeInfo(started), MakeOrg(), {});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->sweep_id : 0;
  }

  TempDir dir_;
  std::string path_ = dir_.File("divaudit.db");
  FakeClock clock_;
  std::unique_ptr<SqliteSnapshotStore> snapshots_;
  std::unique_ptr<EvidenceStore> store_;
};

TEST_F(EvidenceStoreTest, RecordsEachConversationOnceAndKeepsTheCursor) {
  auto empty = store_->Cursor();
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->read_until);
  EXPECT_TRUE(empty->pending.empty());
  EXPECT_TRUE(*store_->Available());

  EvidenceSweep first;
  first.sweep_id = CommitSweep(kT0);
  first.evidence = {Evidence("c1", kT0 - 3600), Evidence("c2", kT0 - 7200)};
  first.windows = {{FromUnixSeconds(kT0 - 86400), FromUnixSeconds(kT0 - 900), 40, 1}};
  first.cursor = {FromUnixSeconds(kT0 - 900), {"open-1", "open-2"}};
  auto recorded = store_->Record(first);
  ASSERT_TRUE(recorded.ok()) << recorded.status().ToString();
  EXPECT_EQ(recorded->size(), 2u);

  EvidenceSweep second;
  second.sweep_id = CommitSweep(kT0 + 900);
  second.evidence = {Evidence("c1", kT0 - 3600), Evidence("c3", kT0)};  // c1 again
  second.cursor = {FromUnixSeconds(kT0), {"open-2"}};
  auto again = store_->Record(second);
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ((*again)[0].conversation.id, "c3");

  auto cursor = store_->Cursor();
  ASSERT_TRUE(cursor.ok());
  EXPECT_EQ(cursor->read_until, FromUnixSeconds(kT0));
  EXPECT_EQ(cursor->pending, (std::vector<std::string>{"open-2"}));

  auto all = store_->Query(std::nullopt);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].evidence.conversation.id, "c2");  // oldest start first
  EXPECT_EQ((*all)[1].sweep_id, first.sweep_id);        // c1 stays with the sweep that found it
  const audit::ConversationEvidence& c1 = (*all)[1].evidence;
  EXPECT_EQ(c1.conversation.start, Evidence("c1", kT0 - 3600).conversation.start);  // ms kept
  EXPECT_EQ(c1.conversation.end, FromUnixSeconds(kT0 - 3600 + 300));
  EXPECT_EQ(c1.tenants, (std::vector<std::string>{"Tenant 1", "Tenant 2, Inc."}));
  EXPECT_EQ(c1.conversation.queue_ids, (std::vector<std::string>{"q-1"}));
  EXPECT_EQ(c1.conversation.user_ids, (std::vector<std::string>{"user-1", "user-2"}));
  EXPECT_EQ(store_->Query(std::string("Tenant 1"))->size(), 3u);
  EXPECT_EQ(store_->Query(std::string("Tenant 9"))->size(), 0u);
  EXPECT_EQ(store_->Query(std::nullopt, second.sweep_id, second.sweep_id)->size(), 1u);
}

TEST_F(EvidenceStoreTest, UnavailableIsRecordedAndTheCursorStays) {
  EvidenceSweep read;
  read.sweep_id = CommitSweep(kT0);
  read.cursor = {FromUnixSeconds(kT0 - 900), {}};
  ASSERT_TRUE(store_->Record(read).ok());
  EvidenceSweep forbidden;
  forbidden.sweep_id = CommitSweep(kT0 + 900);
  forbidden.available = false;
  forbidden.stopped = "POST /api/v2/analytics/conversations/details/query: HTTP 403";
  forbidden.cursor = read.cursor;
  ASSERT_TRUE(store_->Record(forbidden).ok());
  EXPECT_FALSE(*store_->Available());
  EXPECT_EQ(store_->Cursor()->read_until, FromUnixSeconds(kT0 - 900));
}

TEST_F(EvidenceStoreTest, RetentionPrunesEvidenceWithItsSweep) {
  EvidenceSweep old_sweep;
  old_sweep.sweep_id = CommitSweep(kT0);
  old_sweep.evidence = {Evidence("old", kT0 - 3600)};
  old_sweep.windows = {{FromUnixSeconds(kT0 - 86400), FromUnixSeconds(kT0 - 900), 1, 1}};
  old_sweep.cursor = {FromUnixSeconds(kT0 - 900), {}};
  ASSERT_TRUE(store_->Record(old_sweep).ok());
  EvidenceSweep recent;
  recent.sweep_id = CommitSweep(kT0 + 3 * 86400);
  recent.evidence = {Evidence("recent", kT0 + 3 * 86400 - 3600)};
  recent.cursor = {FromUnixSeconds(kT0 + 3 * 86400 - 900), {}};
  ASSERT_TRUE(store_->Record(recent).ok());

  auto p = snapshots_->Prune(hours(48), kT0 + 3 * 86400 + 60);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->sweeps_deleted, 1);
  auto left = store_->Query(std::nullopt);
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].evidence.conversation.id, "recent");
  EXPECT_EQ(store_->Cursor()->read_until, FromUnixSeconds(kT0 + 3 * 86400 - 900));
  EXPECT_TRUE(snapshots_->Verify().ok());
}

}  // namespace
}  // namespace divaudit::storage
