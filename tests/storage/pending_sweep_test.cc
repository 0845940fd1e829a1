// Pending sweeps (SnapshotStore::BeginSweep / CommitPendingSweep): begun before the org is read,
// sealed before the audit, committed last, they store exactly what CommitSweep stores.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "storage/pending_sweep.h"
#include "storage/sqlite_snapshot_store.h"
#include "storage/tables.h"
#include "tests/storage/store_test_util.h"

namespace divaudit::storage {
namespace {

using audit::SweepStatus;
using testing::MakeFinding;
using testing::MakeInfo;
using testing::MakeOrg;
using testing::RawDb;
using testing::TempDir;

constexpr int64_t kT0 = 1790000000;

// MakeOrg plus routing queues with members (the v2 tables).
audit::OrgSnapshot MakeOrgWithQueues(uint32_t seed, int users = 300) {
  testing::OrgShape shape;
  shape.seed = seed;
  shape.users = users;
  audit::OrgSnapshot s = MakeOrg(shape);
  std::mt19937 rng(seed);
  for (int q = 0; q < 6; ++q) {
    audit::Queue queue{"queue-" + std::to_string(q), "Queue " + std::to_string(q),
                       "div-" + std::to_string(q % 4)};
    s.queues.push_back(queue);
    for (int m = 0; m < 10; ++m) {
      s.queue_members.push_back(
          {queue.id, "user-" + std::to_string(rng() % users), m % 3 == 0, m % 2 == 0});
    }
  }
  audit::Canonicalize(s);
  return s;
}

// Every temporal table's rows as "valid_from|valid_to|columns as text", sorted: what a sweep
// stored, whatever row ids it got.
std::map<std::string, std::vector<std::string>> Contents(const std::string& path) {
  RawDb raw(path);
  std::map<std::string, std::vector<std::string>> out;
  for (const TableSpec& t : Tables()) {
    const std::string source = t.all_ids() ? std::string(t.name) + "_text" : t.name;
    std::string sql = "SELECT coalesce(valid_from_sweep, ''), coalesce(valid_to_sweep, '')";
    for (const Col& c : t.cols) sql += std::string(", ") + c.name;
    sql += " FROM " + source;
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(raw.raw(), sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql;
    auto& rows = out[t.name];
    while (sqlite3_step(st) == SQLITE_ROW) {
      std::string row;
      for (int c = 0; c < sqlite3_column_count(st); ++c) {
        const auto* p = sqlite3_column_text(st, c);
        row += (p == nullptr ? "" : reinterpret_cast<const char*>(p));
        row += '|';
      }
      rows.push_back(row);
    }
    sqlite3_finalize(st);
    std::sort(rows.begin(), rows.end());
  }
  return out;
}

// A change between sweeps: users renamed, moved, removed and added; grants removed and added;
// a queue member removed.
audit::OrgSnapshot Mutate(audit::OrgSnapshot s, uint32_t seed) {
  std::mt19937 rng(seed);
  for (size_t i = 0; i < s.users.size(); i += 7) s.users[i].name += " v" + std::to_string(seed);
  if (s.users.size() > 3) s.users.erase(s.users.begin() + 3);
  s.users.push_back(
      {"user-new-" + std::to_string(seed), "New", "new@example.com", "div-2", "active"});
  for (size_t i = 0; i < s.grants.size(); i += 11) s.grants[i].division_id = "div-3";
  s.grants.push_back({audit::SubjectType::kUser, "user-new-" + std::to_string(seed), "role-4",
                      "div-" + std::to_string(rng() % 5)});
  if (!s.queue_members.empty()) s.queue_members.pop_back();
  audit::Canonicalize(s);
  return s;
}

class PendingSweepTest : public ::testing::Test {
 protected:
  std::unique_ptr<SqliteSnapshotStore> Open(const std::string& path) {
    SqliteStoreOptions options;
    options.writer_lock = false;  // some tests open a second writer
    auto s = SqliteSnapshotStore::Open(path, clock_, options);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }

  // The same sweep into the reference store (CommitSweep) and through a pending sweep, sealed
  // (as SweepJob does) or not (CommitPendingSweep seals it).
  void Both(const audit::OrgSnapshot& org, SweepStatus status, bool seal) {
    const audit::SweepInfo info = MakeInfo(kT0 + 900 * next_++, status);
    const std::vector<audit::Finding> findings = {MakeFinding("user-1", "div-2"),
                                                  MakeFinding("user-2", "div-3", true)};
    auto want = plain_->CommitSweep(info, org, findings);
    ASSERT_TRUE(want.ok()) << want.status().ToString();
    std::unique_ptr<PendingSweep> pending = pending_->BeginSweep();
    ASSERT_NE(pending, nullptr);
    if (seal && status != SweepStatus::kFailed) {
      pending->Seal(org, status == SweepStatus::kComplete);
    }
    auto got = pending_->CommitPendingSweep(std::move(pending), info, org, findings);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(got->sweep_id, want->sweep_id);
    EXPECT_EQ(got->rows_inserted, want->rows_inserted);
    EXPECT_EQ(got->rows_closed, want->rows_closed);
    EXPECT_EQ(got->new_findings.size(), want->new_findings.size());
    EXPECT_EQ(got->resolved_findings.size(), want->resolved_findings.size());
    // Same rows, same row ids: the same content hash.
    EXPECT_EQ(got->content_hash, want->content_hash);
    EXPECT_EQ(Contents(pending_path_), Contents(plain_path_));
    auto verified = pending_->Verify();
    ASSERT_TRUE(verified.ok());
    EXPECT_TRUE(verified->ok) << (verified->problems.empty() ? "" : verified->problems.front());
  }

  // As Both (sealed), with the snapshot's grants and/or users handed over first (as SweepJob
  // does once the sweeper has read them): the same rows, row ids and content hash.
  // `users_early`: whether the users must have been written early (no current user changed).
  void Early(const audit::OrgSnapshot& org, SweepStatus status, bool grants = true,
             bool users = false, bool users_early = false) {
    const audit::SweepInfo info = MakeInfo(kT0 + 900 * next_++, status);
    const std::vector<audit::Finding> findings = {MakeFinding("user-1", "div-2")};
    auto want = plain_->CommitSweep(info, org, findings);
    ASSERT_TRUE(want.ok()) << want.status().ToString();
    std::unique_ptr<PendingSweep> pending = pending_->BeginSweep();
    ASSERT_NE(pending, nullptr);
    if (grants) pending->AddFinalGrants(org.grants);
    if (users) pending->AddFinalUsers(org.users);
    auto* sqlite_pending = dynamic_cast<SqlitePendingSweep*>(pending.get());
    ASSERT_TRUE(sqlite_pending->Wait().ok());
    if (users) {
      EXPECT_EQ(sqlite_pending->users_written_early(), users_early);
    }
    if (status != SweepStatus::kFailed) pending->Seal(org, status == SweepStatus::kComplete);
    auto got = pending_->CommitPendingSweep(std::move(pending), info, org, findings);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(got->sweep_id, want->sweep_id);
    EXPECT_EQ(got->rows_inserted, want->rows_inserted);
    EXPECT_EQ(got->rows_closed, want->rows_closed);
    EXPECT_EQ(got->content_hash, want->content_hash);
    EXPECT_EQ(Contents(pending_path_), Contents(plain_path_));
    auto verified = pending_->Verify();
    ASSERT_TRUE(verified.ok());
    EXPECT_TRUE(verified->ok) << (verified->problems.empty() ? "" : verified->problems.front());
  }

  // A pending sweep handed `grants` or `users` other than `next`'s, then sealed with `next`:
  // the worker fails naming them (`what`), and CommitPendingSweep falls back to CommitSweep,
  // storing what it stores. `i` names the case in failures.
  void FallBack(const audit::OrgSnapshot& next, const std::vector<audit::Grant>* grants,
                const std::vector<audit::User>* users, std::string_view what, int i) {
    const audit::SweepInfo info = MakeInfo(kT0 + 900 * next_++);
    auto want = plain_->CommitSweep(info, next, {});
    ASSERT_TRUE(want.ok());
    std::unique_ptr<PendingSweep> pending = pending_->BeginSweep();
    ASSERT_NE(pending, nullptr);
    if (grants != nullptr) pending->AddFinalGrants(*grants);
    if (users != nullptr) pending->AddFinalUsers(*users);
    pending->Seal(next, true);
    auto* sqlite_pending = dynamic_cast<SqlitePendingSweep*>(pending.get());
    Status st = sqlite_pending->Wait();
    if (users != nullptr) {
      EXPECT_TRUE(sqlite_pending->users_written_early()) << i;
    }
    EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << i;
    EXPECT_NE(st.message().find(what), std::string::npos) << st.ToString();
    auto got = pending_->CommitPendingSweep(std::move(pending), info, next, {});
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(got->content_hash, want->content_hash) << i;
    EXPECT_EQ(Contents(pending_path_), Contents(plain_path_)) << i;
  }

  TempDir dir_;
  std::string plain_path_ = dir_.File("plain.db");
  std::string pending_path_ = dir_.File("pending.db");
  FakeClock clock_;
  std::unique_ptr<SqliteSnapshotStore> plain_ = Open(plain_path_);
  std::unique_ptr<SqliteSnapshotStore> pending_ = Open(pending_path_);
  int64_t next_ = 0;
};

TEST_F(PendingSweepTest, SweepSequencesStoreWhatCommitSweepStores) {
  for (uint32_t seed : {3u, 4u, 5u}) {
    audit::OrgSnapshot org = MakeOrgWithQueues(seed);
    Both(org, SweepStatus::kComplete, true);
    Both(org, SweepStatus::kComplete, false);  // unchanged: nothing to write
    org = Mutate(org, seed);
    Both(org, SweepStatus::kComplete, true);
    org = Mutate(org, seed + 100);
    Both(org, SweepStatus::kPartial, true);  // inserts new keys, closes nothing
    Both(org, SweepStatus::kFailed, true);   // its row only
    org = Mutate(org, seed + 200);
    Both(org, SweepStatus::kComplete, false);
  }
}

TEST_F(PendingSweepTest, GrantsWrittenEarlyStoreWhatCommitSweepStores) {
  for (uint32_t seed : {21u, 22u}) {
    audit::OrgSnapshot org = MakeOrgWithQueues(seed);
    Early(org, SweepStatus::kComplete);
    Early(org, SweepStatus::kComplete);  // unchanged
    org = Mutate(org, seed);
    Early(org, SweepStatus::kComplete);  // grants added and closed
    org = Mutate(org, seed + 100);
    Early(org, SweepStatus::kPartial);  // new keys only: the closes it found are not applied
    Early(org, SweepStatus::kFailed);   // what was written early is rolled back
    org = Mutate(org, seed + 200);
    Both(org, SweepStatus::kComplete, true);
    Early(org, SweepStatus::kComplete);
  }
}

TEST_F(PendingSweepTest, GrantsThatDifferFromTheSealedSnapshotFallBackToCommitSweep) {
  audit::OrgSnapshot current = MakeOrgWithQueues(24);
  Both(current, SweepStatus::kComplete, true);
  for (int i = 0; i < 4; ++i) {
    const audit::OrgSnapshot next = Mutate(current, 30 + i);
    // Handed over: the previous sweep's grants, one grant fewer, one grant more (in its
    // place), the right grants out of order (refused before anything is written).
    std::vector<audit::Grant> wrong = i == 0 ? current.grants : next.grants;
    if (i == 1) wrong.pop_back();
    if (i == 2) {
      const audit::Grant late{audit::SubjectType::kUser, "zz-late", "role-1", "div-1"};
      wrong.insert(std::upper_bound(wrong.begin(), wrong.end(), late), late);
    }
    if (i == 3) {
      ASSERT_GE(wrong.size(), 2u);
      std::swap(wrong.front(), wrong.back());
    }
    FallBack(next, &wrong, nullptr, i == 3 ? "not in canonical order" : "grants changed", i);
    current = next;
  }
}

// Users removed and added, none changed (so they can be written early).
audit::OrgSnapshot AddAndRemoveUsers(audit::OrgSnapshot s, uint32_t seed) {
  if (s.users.size() > 5) s.users.erase(s.users.begin() + 5);
  for (int i = 0; i < 2; ++i) {
    s.users.push_back({"user-added-" + std::to_string(seed) + "-" + std::to_string(i), "Added",
                       "added@example.com", "div-1", "inactive"});
  }
  audit::Canonicalize(s);
  return s;
}

TEST_F(PendingSweepTest, UsersWrittenEarlyStoreWhatCommitSweepStores) {
  for (uint32_t seed : {41u, 42u}) {
    audit::OrgSnapshot org = MakeOrgWithQueues(seed);
    // The first org: every user is new. The second: its users replace the first's renamed ones.
    Early(org, SweepStatus::kComplete, true, true, seed == 41u);
    Early(org, SweepStatus::kComplete, false, true, true);  // unchanged: none written (digest)
    org = AddAndRemoveUsers(org, seed);
    Early(org, SweepStatus::kComplete, true, true, true);  // two new, one closed at Finish
    org = AddAndRemoveUsers(org, seed + 100);
    Early(org, SweepStatus::kPartial, false, true, true);  // new keys only, nothing closed
    Early(org, SweepStatus::kFailed, true, true, true);    // rolled back
    org = Mutate(org, seed + 200);                         // renamed users: Finish writes them
    Early(org, SweepStatus::kComplete, true, true, false);
    org = Mutate(org, seed + 300);
    Early(org, SweepStatus::kPartial, false, true, false);
  }
}

TEST_F(PendingSweepTest, UsersThatDifferFromTheSealedSnapshotFallBackToCommitSweep) {
  audit::OrgSnapshot current = MakeOrgWithQueues(44);
  Both(current, SweepStatus::kComplete, true);
  for (int i = 0; i < 3; ++i) {
    const audit::OrgSnapshot next = AddAndRemoveUsers(current, 50 + i);
    // Handed over: the previous sweep's users (all unchanged: only their digest is kept), one
    // user fewer, one user more.
    std::vector<audit::User> wrong = i == 0 ? current.users : next.users;
    if (i == 1) wrong.pop_back();
    if (i == 2) wrong.push_back({"zz-late", "Late", "late@example.com", "div-1", "active"});
    FallBack(next, nullptr, &wrong, "users changed", i);
    current = next;
  }
}

TEST_F(PendingSweepTest, ANonCanonicalSnapshotIsStoredAsItsCanonicalForm) {
  audit::OrgSnapshot org = MakeOrgWithQueues(6);
  std::reverse(org.grants.begin(), org.grants.end());
  std::reverse(org.users.begin(), org.users.end());
  Both(org, SweepStatus::kComplete, true);
}

TEST_F(PendingSweepTest, APendingSweepDestroyedBeforeItsCommitLeavesNothingAndFreesTheLock) {
  const audit::OrgSnapshot org = MakeOrgWithQueues(7);
  Both(org, SweepStatus::kComplete, true);
  const auto before = Contents(pending_path_);
  const audit::OrgSnapshot changed = Mutate(org, 7);
  {
    std::unique_ptr<PendingSweep> pending = pending_->BeginSweep();
    ASSERT_NE(pending, nullptr);
    pending->Seal(changed, true);
    ASSERT_TRUE(dynamic_cast<SqlitePendingSweep*>(pending.get())->Wait().ok());
    {  // it holds the write lock
      RawDb raw(pending_path_);
      EXPECT_EQ(raw.Exec("BEGIN IMMEDIATE"), SQLITE_BUSY);
    }
    // Readers are not blocked meanwhile, and see none of it.
    auto sweeps = pending_->ListSweeps(std::nullopt, std::nullopt);
    ASSERT_TRUE(sweeps.ok());
    EXPECT_EQ(sweeps->size(), 1u);
    auto current = pending_->SnapshotAt(1);
    ASSERT_TRUE(current.ok());
    EXPECT_EQ(current->users.size(), org.users.size());
  }  // cancelled: destroyed without a commit
  EXPECT_EQ(Contents(pending_path_), before);
  RawDb raw(pending_path_);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM sweeps"), 1);
  auto next = pending_->CommitSweep(MakeInfo(kT0 + 9000), changed, {});
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->sweep_id, 2);  // the placeholder's id was rolled back too
}

TEST_F(PendingSweepTest, SealedWithAnotherSnapshotCommitsTheGivenOne) {
  const audit::OrgSnapshot org = MakeOrgWithQueues(8);
  const audit::OrgSnapshot other = Mutate(org, 8);
  const audit::SweepInfo info = MakeInfo(kT0);
  auto want = plain_->CommitSweep(info, org, {});
  ASSERT_TRUE(want.ok());
  std::unique_ptr<PendingSweep> pending = pending_->BeginSweep();
  ASSERT_NE(pending, nullptr);
  pending->Seal(other, true);
  auto got = pending_->CommitPendingSweep(std::move(pending), info, org, {});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->content_hash, want->content_hash);
  EXPECT_EQ(Contents(pending_path_), Contents(plain_path_));
}

TEST_F(PendingSweepTest, AnotherWritersSweepMakesThePendingCommitRefuseAsStale) {
  const audit::OrgSnapshot org = MakeOrgWithQueues(9);
  auto other = Open(pending_path_);  // a second writer on the same file
  auto first = other->CommitSweep(MakeInfo(kT0), org, {});
  ASSERT_TRUE(first.ok());
  // pending_ last looked before sweep 1: the pending sweep fails and the commit refuses, as
  // CommitSweep does.
  std::unique_ptr<PendingSweep> pending = pending_->BeginSweep();
  ASSERT_NE(pending, nullptr);
  pending->Seal(org, true);
  auto r = pending_->CommitPendingSweep(std::move(pending), MakeInfo(kT0 + 900), org, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("another writer"), std::string::npos);
  RawDb raw(pending_path_);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM sweeps"), 1);
}

TEST_F(PendingSweepTest, AnotherOrgIsRefusedAndNothingIsStored) {
  const audit::OrgSnapshot org = MakeOrgWithQueues(11);
  audit::SweepInfo info = MakeInfo(kT0);
  info.org_id = "org-a";
  ASSERT_TRUE(pending_->CommitSweep(info, org, {}).ok());
  info = MakeInfo(kT0 + 900);
  info.org_id = "org-b";
  std::unique_ptr<PendingSweep> pending = pending_->BeginSweep();
  ASSERT_NE(pending, nullptr);
  pending->Seal(org, true);
  auto r = pending_->CommitPendingSweep(std::move(pending), info, org, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  RawDb raw(pending_path_);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM sweeps"), 1);
  EXPECT_TRUE(pending_->CommitSweep(MakeInfo(kT0 + 1800), org, {}).ok());  // lock released
}

TEST_F(PendingSweepTest, RowIdsAtTheTopOfTheRangeStillHashAsVerifyRecomputes) {
  const audit::OrgSnapshot org = MakeOrgWithQueues(10, 40);
  Both(org, SweepStatus::kComplete, true);
  {
    RawDb raw(pending_path_);
    // SQLite picks free row ids at random past INT64_MAX. The planted rows belong to no sweep
    // (valid_from NULL, as rows rebased by a prune): the next complete sweep closes them.
    ASSERT_EQ(raw.Exec("INSERT INTO grants(row_id, valid_from_sweep, valid_to_sweep, "
                       "subject_type, subject_id, role_id, division_id) SELECT "
                       "9223372036854775807, NULL, NULL, subject_type, subject_id, role_id, "
                       "role_id FROM grants WHERE row_id = 1"),
              SQLITE_OK);
  }
  const audit::OrgSnapshot changed = Mutate(Mutate(org, 10), 11);
  std::unique_ptr<PendingSweep> pending = pending_->BeginSweep();
  ASSERT_NE(pending, nullptr);
  pending->Seal(changed, true);
  auto r = pending_->CommitPendingSweep(std::move(pending), MakeInfo(kT0 + 900), changed, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  RawDb raw(pending_path_);
  EXPECT_GT(raw.Int("SELECT count(*) FROM grants WHERE valid_from_sweep = 2"), 0);
  EXPECT_EQ(raw.Int("SELECT valid_to_sweep FROM grants WHERE row_id = 9223372036854775807"), 2);
  auto verified = pending_->Verify();
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->ok) << (verified->problems.empty() ? "" : verified->problems.front());
}

}  // namespace
}  // namespace divaudit::storage
