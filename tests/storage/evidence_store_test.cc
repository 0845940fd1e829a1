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
using testing::RawDb;
using testing::TempDir;

constexpr int64_t kT0 = 1790000000;
constexpr int64_t kDay = 86400;

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
  // Commits a sweep started at `started` and records a reading that left the cursor at
  // `read_until` (refused when not `available`). Returns the sweep id.
  int64_t RecordReading(int64_t started, int64_t read_until, bool available = true) {
    EvidenceSweep e;
    e.sweep_id = CommitSweep(started);
    e.available = available;
    if (!available) e.stopped = "POST /api/v2/analytics/conversations/details/query: HTTP 403";
    e.cursor = {FromUnixSeconds(read_until), {}};
    EXPECT_TRUE(store_->Record(e).ok());
    return e.sweep_id;
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
  auto nothing = store_->StatusAt(INT64_MAX);
  ASSERT_TRUE(nothing.ok());
  EXPECT_EQ(nothing->recorded_by_sweep, 0);
  EXPECT_TRUE(nothing->available);
  EXPECT_FALSE(nothing->read_until_ms);

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

  auto all = store_->Query({});
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
  EXPECT_EQ(store_->Query({.tenant = "Tenant 1"})->size(), 3u);
  EXPECT_EQ(store_->Query({.tenant = "Tenant 9"})->size(), 0u);
  EXPECT_EQ(store_->Query({.from_sweep = second.sweep_id, .to_sweep = second.sweep_id})->size(),
            1u);

  // Start bounds [from, before), to the millisecond: c1 starts at (kT0 - 3600) s + 250 ms.
  const int64_t c1_ms = (kT0 - 3600) * 1000 + 250, c3_ms = kT0 * 1000 + 250;
  auto ids = [&](const EvidenceQuery& q) {
    std::vector<std::string> out;
    Result<std::vector<EvidenceRecord>> records = store_->Query(q);
    EXPECT_TRUE(records.ok()) << records.status().ToString();
    if (!records.ok()) return out;
    for (const EvidenceRecord& r : *records) out.push_back(r.evidence.conversation.id);
    return out;
  };
  using Ids = std::vector<std::string>;
  EXPECT_EQ(ids({.start_from_ms = c1_ms, .start_before_ms = c3_ms}), Ids{"c1"});
  EXPECT_EQ(ids({.start_from_ms = c1_ms + 1, .start_before_ms = c3_ms}), Ids{});
  EXPECT_EQ(ids({.start_from_ms = c1_ms, .start_before_ms = c3_ms + 1}), (Ids{"c1", "c3"}));
  EXPECT_EQ(ids({.start_before_ms = c1_ms}), Ids{"c2"});
  EXPECT_EQ(ids({.tenant = "Tenant 9", .start_from_ms = c1_ms}), Ids{});
  EXPECT_EQ(ids({.to_sweep = first.sweep_id, .start_from_ms = c1_ms}), Ids{"c1"});
}

TEST_F(EvidenceStoreTest, UnavailableIsRecordedAndTheCursorStays) {
  RecordReading(kT0, kT0 - 900);
  const int64_t forbidden = RecordReading(kT0 + 900, kT0 - 900, /*available=*/false);
  EXPECT_FALSE(store_->StatusAt(forbidden)->available);
  EXPECT_EQ(store_->StatusAt(forbidden)->read_until_ms, (kT0 - 900) * 1000);
  EXPECT_EQ(store_->Cursor()->read_until, FromUnixSeconds(kT0 - 900));
}

// Each sweep's status is what it left: a later sweep's reading or refusal does not change an
// earlier one's, and a sweep that recorded nothing has the state of the last one before it.
TEST_F(EvidenceStoreTest, StatusAtASweepIsWhatTheLastReadingUpToItLeft) {
  const int64_t s1 = RecordReading(kT0, kT0 - 900);
  const int64_t s2 = CommitSweep(kT0 + 900);  // evidence off, or the sweep failed
  const int64_t s3 = RecordReading(kT0 + 1800, kT0 - 900, /*available=*/false);
  const int64_t s4 = RecordReading(kT0 + 2700, kT0 + 1800);

  EXPECT_EQ(store_->StatusAt(s1 - 1)->recorded_by_sweep, 0);
  for (const int64_t s : {s1, s2}) {
    auto at = store_->StatusAt(s);
    ASSERT_TRUE(at.ok()) << at.status().ToString();
    EXPECT_EQ(at->recorded_by_sweep, s1) << s;
    EXPECT_TRUE(at->available) << s;
    EXPECT_EQ(at->read_until_ms, (kT0 - 900) * 1000) << s;
  }
  EXPECT_EQ(store_->StatusAt(s3)->recorded_by_sweep, s3);
  EXPECT_FALSE(store_->StatusAt(s3)->available);
  EXPECT_TRUE(store_->StatusAt(s4)->available);
  EXPECT_EQ(store_->StatusAt(s4)->read_until_ms, (kT0 + 1800) * 1000);
}

TEST_F(EvidenceStoreTest, RetentionPrunesEvidenceWithItsSweep) {
  EvidenceSweep old_sweep;
  old_sweep.sweep_id = CommitSweep(kT0);
  old_sweep.evidence = {Evidence("old", kT0 - 3600)};
  old_sweep.windows = {{FromUnixSeconds(kT0 - 86400), FromUnixSeconds(kT0 - 900), 1, 1}};
  old_sweep.cursor = {FromUnixSeconds(kT0 - 900), {}};
  ASSERT_TRUE(store_->Record(old_sweep).ok());
  EvidenceSweep recent;
  recent.sweep_id = CommitSweep(kT0 + 3 * kDay);
  recent.evidence = {Evidence("recent", kT0 + 3 * kDay - 3600)};
  recent.cursor = {FromUnixSeconds(kT0 + 3 * kDay - 900), {}};
  ASSERT_TRUE(store_->Record(recent).ok());

  auto p = snapshots_->Prune(hours(48), kT0 + 3 * kDay + 60);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->sweeps_deleted, 1);
  auto left = store_->Query({});
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].evidence.conversation.id, "recent");
  EXPECT_EQ(store_->Cursor()->read_until, FromUnixSeconds(kT0 + 3 * kDay - 900));
  EXPECT_EQ(store_->StatusAt(recent.sweep_id)->read_until_ms, (kT0 + 3 * kDay - 900) * 1000);
  EXPECT_TRUE(snapshots_->Verify().ok());
}

// Retention keeps the last per-sweep state up to the anchor: it is the state of a kept sweep
// that recorded none; older ones go.
TEST_F(EvidenceStoreTest, RetentionKeepsTheStateTheKeptSweepsStartFrom) {
  const int64_t a = RecordReading(kT0, kT0 - 900);
  const int64_t b = RecordReading(kT0 + 900, kT0);
  const int64_t kept = CommitSweep(kT0 + 3 * kDay);  // read no evidence

  auto p = snapshots_->Prune(hours(48), kT0 + 3 * kDay + 60);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->sweeps_deleted, 2);
  auto at = store_->StatusAt(kept);
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(at->recorded_by_sweep, b);
  EXPECT_EQ(at->read_until_ms, kT0 * 1000);
  EXPECT_EQ(store_->StatusAt(a)->recorded_by_sweep, 0);  // a's state is gone
}

// v6 -> v7: the per-sweep states of a v6 file are rebuilt from its windows (a sweep that
// recorded windows had read up to the end of the last one recorded by then) and its last state.
// The table that held the cursor in schema versions 6 and 7.
constexpr const char* kEvidenceStateV6 =
    "CREATE TABLE evidence_state (id INTEGER PRIMARY KEY CHECK (id = 1), read_until_ms INTEGER,"
    " sweep_id INTEGER NOT NULL, available INTEGER NOT NULL, stopped TEXT NOT NULL);";

TEST(EvidenceMigrationTest, Version6HistoryGetsEachSweepsStateFromItsWindows) {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.File("v6.db");
  int64_t s1 = 0, s2 = 0, s3 = 0, s4 = 0;
  {
    auto snapshots = SqliteSnapshotStore::Open(path, clock);
    ASSERT_TRUE(snapshots.ok()) << snapshots.status().ToString();
    auto store = EvidenceStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto commit = [&](int64_t started) {
      return (*snapshots)->CommitSweep(MakeInfo(started), MakeOrg(), {}).value().sweep_id;
    };
    auto record = [&](int64_t sweep, int64_t from, int64_t to, bool available) {
      EvidenceSweep e;
      e.sweep_id = sweep;
      e.available = available;
      if (from < to) e.windows = {{FromUnixSeconds(from), FromUnixSeconds(to), 0, 1}};
      e.cursor = {FromUnixSeconds(to), {}};
      ASSERT_TRUE((*store)->Record(e).ok());
    };
    s1 = commit(kT0);
    record(s1, kT0 - 86400, kT0 - 900, true);
    s2 = commit(kT0 + 900);  // read nothing
    s3 = commit(kT0 + 1800);
    record(s3, kT0 - 900, kT0 + 900, true);
    s4 = commit(kT0 + 2700);
    record(s4, kT0 + 900, kT0 + 900, false);  // refused: no window, the cursor stays
  }
  {
    RawDb raw(path);  // what a v6 file looks like: the last state in evidence_state only
    ASSERT_EQ(raw.Exec(std::string(kEvidenceStateV6) +
                       "INSERT INTO evidence_state SELECT 1, read_until_ms, sweep_id, available, "
                       "stopped FROM evidence_sweeps ORDER BY sweep_id DESC LIMIT 1;"
                       "DROP TABLE evidence_sweeps; PRAGMA user_version = 6;"),
              SQLITE_OK);
  }
  auto snapshots = SqliteSnapshotStore::Open(path, clock);
  ASSERT_TRUE(snapshots.ok()) << snapshots.status().ToString();
  auto store = EvidenceStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  struct Want {
    int64_t sweep, by, until_s;
    bool available;
  };
  for (const Want& w : {Want{s1, s1, kT0 - 900, true}, Want{s2, s1, kT0 - 900, true},
                        Want{s3, s3, kT0 + 900, true}, Want{s4, s4, kT0 + 900, false}}) {
    auto at = (*store)->StatusAt(w.sweep);
    ASSERT_TRUE(at.ok()) << at.status().ToString();
    EXPECT_EQ(at->recorded_by_sweep, w.by) << w.sweep;
    EXPECT_EQ(at->read_until_ms, w.until_s * 1000) << w.sweep;
    EXPECT_EQ(at->available, w.available) << w.sweep;
  }
}

// A v7 file kept the cursor twice (evidence_state and the newest evidence_sweeps row). The
// upgrade drops evidence_state and keeps its state, even one evidence_sweeps lacks.
TEST(EvidenceMigrationTest, Version7CursorSurvivesTheDropOfEvidenceState) {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.File("v7.db");
  int64_t s1 = 0, s2 = 0;
  {
    auto snapshots = SqliteSnapshotStore::Open(path, clock);
    ASSERT_TRUE(snapshots.ok()) << snapshots.status().ToString();
    auto store = EvidenceStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    s1 = (*snapshots)->CommitSweep(MakeInfo(kT0), MakeOrg(), {}).value().sweep_id;
    s2 = (*snapshots)->CommitSweep(MakeInfo(kT0 + 900), MakeOrg(), {}).value().sweep_id;
    EvidenceSweep e;
    e.sweep_id = s1;
    e.windows = {{FromUnixSeconds(kT0 - 3600), FromUnixSeconds(kT0 - 900), 0, 1}};
    e.cursor = {FromUnixSeconds(kT0 - 900), {"open-1"}};
    ASSERT_TRUE((*store)->Record(e).ok());
  }
  {
    RawDb raw(path);  // v7, with sweep 2's state only in evidence_state
    ASSERT_EQ(raw.Exec(std::string(kEvidenceStateV6) + "INSERT INTO evidence_state VALUES (1, " +
                       std::to_string((kT0 + 600) * 1000) + ", " + std::to_string(s2) +
                       ", 0, 'details refused');"
                       "PRAGMA user_version = 7;"),
              SQLITE_OK);
  }
  auto snapshots = SqliteSnapshotStore::Open(path, clock);
  ASSERT_TRUE(snapshots.ok()) << snapshots.status().ToString();
  {
    RawDb raw(path);
    EXPECT_EQ(raw.Int("SELECT count(*) FROM sqlite_master WHERE name = 'evidence_state'"), 0);
  }
  auto store = EvidenceStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto cursor = (*store)->Cursor();
  ASSERT_TRUE(cursor.ok()) << cursor.status().ToString();
  EXPECT_EQ(cursor->read_until, FromUnixSeconds(kT0 + 600));
  EXPECT_EQ(cursor->pending, std::vector<std::string>{"open-1"});
  auto at1 = (*store)->StatusAt(s1);
  auto at2 = (*store)->StatusAt(s2);
  ASSERT_TRUE(at1.ok() && at2.ok());
  EXPECT_EQ(at1->read_until_ms, (kT0 - 900) * 1000);
  EXPECT_TRUE(at1->available);
  EXPECT_EQ(at2->recorded_by_sweep, s2);
  EXPECT_EQ(at2->read_until_ms, (kT0 + 600) * 1000);
  EXPECT_FALSE(at2->available);
}

}  // namespace
}  // namespace divaudit::storage
