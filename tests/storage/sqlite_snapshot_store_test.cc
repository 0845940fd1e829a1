#include "storage/sqlite_snapshot_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <map>

#include "audit/findings_document.h"
#include "common/clock.h"
#include "common/time_util.h"
#include "storage/schema.h"
#include "tests/storage/store_test_util.h"

namespace divaudit::storage {
namespace {

using audit::FindingState;
using audit::SweepStatus;
using testing::MakeFinding;
using testing::MakeInfo;
using testing::MakeOrg;
using testing::RawDb;
using testing::TempDir;

constexpr int64_t kT0 = 1790000000;  // 2026-09-21

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    store_.reset();
    auto s = SqliteSnapshotStore::Open(path_, clock_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }
  CommitResult Commit(const audit::OrgSnapshot& org, const std::vector<audit::Finding>& findings,
                      SweepStatus status = SweepStatus::kComplete) {
    auto r = store_->CommitSweep(MakeInfo(kT0 + int64_t{900} * next_++, status), org, findings);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : CommitResult{};
  }
  std::map<std::string, int64_t> CountAll() {
    RawDb raw(path_);
    std::map<std::string, int64_t> counts;
    for (const auto& t : raw.Tables()) counts[t] = raw.Int("SELECT count(*) FROM " + t);
    return counts;
  }
  FindingRecord Get(const std::string& fp) {
    auto all = store_->QueryFindings({});
    EXPECT_TRUE(all.ok());
    for (auto& r : *all) {
      if (r.finding.fingerprint == fp) return r;
    }
    ADD_FAILURE() << "no finding " << fp;
    return {};
  }

  TempDir dir_;
  std::string path_ = dir_.File("divaudit.db");
  FakeClock clock_;
  std::unique_ptr<SqliteSnapshotStore> store_;
  int next_ = 0;
};

TEST_F(StoreTest, CreatesFile0600InWalModeWithCurrentSchema) {
  Commit(MakeOrg(), {});
  for (const std::string& f : {path_, path_ + "-wal", path_ + "-shm"}) {
    struct stat st {};
    ASSERT_EQ(::stat(f.c_str(), &st), 0) << f;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << f;
  }
  RawDb raw(path_);
  EXPECT_EQ(raw.Text("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw.Int("PRAGMA user_version"), kSchemaVersion);
}

TEST_F(StoreTest, UnchangedOrgAddsOnlyItsSweepRow) {
  const auto org = MakeOrg();
  const std::vector<audit::Finding> findings = {MakeFinding("user-1", "div-2"),
                                                MakeFinding("user-2", "div-3", true),
                                                testing::MakeMultiTenantFinding("group-2")};
  const CommitResult first = Commit(org, findings);
  EXPECT_GT(first.rows_inserted, 600);
  EXPECT_EQ(first.new_findings.size(), 3u);
  const auto before = CountAll();
  const CommitResult second = Commit(org, findings);
  EXPECT_EQ(second.rows_inserted, 0);
  EXPECT_EQ(second.rows_closed, 0);
  EXPECT_TRUE(second.new_findings.empty());
  EXPECT_TRUE(second.resolved_findings.empty());
  auto after = CountAll();
  ASSERT_EQ(after.size(), before.size());
  for (const auto& [table, n] : before) {
    EXPECT_EQ(after[table], table == "sweeps" ? n + 1 : n) << table;
  }
  EXPECT_EQ(after.count("grants"), 1u);
  EXPECT_EQ(after.count("findings_events"), 1u);
}

TEST_F(StoreTest, MutationClosesAndOpensExactlyTheChangedRows) {
  auto org = MakeOrg();
  Commit(org, {});
  // Move a user, drop one grant, add one grant, rename a division, drop a membership,
  // remove a client (and its role division).
  org.users[5].home_division_id = org.users[5].home_division_id == "div-3" ? "div-4" : "div-3";
  const audit::Grant dropped = org.grants[10];
  org.grants.erase(org.grants.begin() + 10);
  org.grants.push_back({audit::SubjectType::kUser, "user-7", "role-9", "div-11"});
  org.divisions[2].name = "Renamed";
  audit::Group& g = org.groups[0];
  ASSERT_TRUE(g.members_read);
  const std::string removed_member = g.member_ids.front();
  g.member_ids.erase(g.member_ids.begin());
  org.oauth_clients.pop_back();
  audit::Canonicalize(org);
  const CommitResult r = Commit(org, {});
  // users 1+1, grants: 1 closed + 1 inserted, divisions 1+1, memberships 1 closed,
  // oauth client 1 closed and its client_roles row 1 closed (its grant row stays: only the
  // client listing changed).
  EXPECT_EQ(r.rows_inserted, 3);
  EXPECT_EQ(r.rows_closed, 1 + 1 + 1 + 1 + 1 + 1);
  RawDb raw(path_);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM users WHERE id = '" + org.users[5].id +
                    "' AND valid_to_sweep = 2"),
            1);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM users WHERE id = '" + org.users[5].id +
                    "' AND valid_from_sweep = 2 AND valid_to_sweep IS NULL"),
            1);
  EXPECT_EQ(
      raw.Int("SELECT count(*) FROM grants_text WHERE subject_id = '" + dropped.subject_id.str() +
              "' AND role_id = '" + dropped.role_id.str() + "' AND division_id = '" +
              dropped.division_id.str() + "' AND valid_to_sweep = 2"),
      1);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM memberships_text WHERE user_id = '" + removed_member +
                    "' AND group_id = 'group-0' AND valid_to_sweep = 2"),
            1);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM divisions WHERE valid_from_sweep = 2 AND "
                    "name = 'Renamed'"),
            1);
}

TEST_F(StoreTest, GroupsWhoseMembersWereNotReadKeepTheirMemberships) {
  auto org = MakeOrg();
  Commit(org, {});
  org.groups[0].members_read = false;
  org.groups[0].member_ids.clear();
  const CommitResult r = Commit(org, {});
  EXPECT_EQ(r.rows_closed, 1);  // the group row (members_read changed), not its memberships
  EXPECT_EQ(r.rows_inserted, 1);
  RawDb raw(path_);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM memberships_text WHERE group_id = 'group-0' AND "
                    "valid_to_sweep IS NOT NULL"),
            0);
  auto snap = store_->SnapshotAt(2);
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(*snap, org);
}

TEST_F(StoreTest, PartialSweepClosesNothingResolvesNothingButAddsNew) {
  auto org = MakeOrg();
  const auto f1 = MakeFinding("user-1", "div-2");
  const auto f2 = MakeFinding("user-2", "div-3");
  Commit(org, {f1, f2});
  auto partial = org;
  partial.grants.resize(partial.grants.size() / 2);  // half the grants were read
  partial.users[3].email = "changed@example.com";    // changed: left for a complete sweep
  partial.users.push_back({"user-new", "New", "new@example.com", "div-1", "active"});
  audit::Canonicalize(partial);
  const auto f3 = MakeFinding("user-new", "div-5");
  const CommitResult r = Commit(partial, {f1, f3}, SweepStatus::kPartial);
  EXPECT_EQ(r.rows_closed, 0);
  EXPECT_EQ(r.rows_inserted, 1);
  EXPECT_TRUE(r.resolved_findings.empty());
  ASSERT_EQ(r.new_findings.size(), 1u);
  EXPECT_EQ(r.new_findings[0].fingerprint, f3.fingerprint);
  EXPECT_EQ(Get(f2.fingerprint).finding.state, FindingState::kOpen);
  EXPECT_EQ(Get(f1.fingerprint).last_seen_sweep, 2);
  EXPECT_EQ(Get(f2.fingerprint).last_seen_sweep, 1);
  RawDb raw(path_);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM users WHERE email = 'changed@example.com'"), 0);
  EXPECT_EQ(store_->SnapshotAt(2).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(StoreTest, FailedSweepRecordsOnlyItsSweepRow) {
  const auto org = MakeOrg();
  Commit(org, {MakeFinding("user-1", "div-2")});
  const auto before = CountAll();
  const CommitResult r = Commit(audit::OrgSnapshot{}, {}, SweepStatus::kFailed);
  EXPECT_EQ(r.rows_inserted + r.rows_closed, 0);
  auto after = CountAll();
  for (const auto& [table, n] : before) {
    EXPECT_EQ(after[table], table == "sweeps" ? n + 1 : n) << table;
  }
  auto sweeps = store_->ListSweeps(std::nullopt, std::nullopt);
  ASSERT_TRUE(sweeps.ok());
  ASSERT_EQ(sweeps->size(), 2u);
  EXPECT_EQ((*sweeps)[1].info.status, SweepStatus::kFailed);
  EXPECT_EQ((*sweeps)[1].info.incomplete, std::vector<std::string>{"users (page 3: HTTP 500)"});
  EXPECT_EQ((*sweeps)[1].rule_set_version, audit::kRuleSetVersion);
  EXPECT_EQ(store_->LastCompleteSweep()->info.id, 1);
}

TEST_F(StoreTest, FindingsResolveOnlyOnCompleteSweepsAndReopen) {
  const auto org = MakeOrg();
  const auto f1 = MakeFinding("user-1", "div-2");
  const auto f2 = MakeFinding("user-2", "div-3");
  Commit(org, {f1, f2});                     // 1
  Commit(org, {f1}, SweepStatus::kPartial);  // 2: f2 not resolved
  EXPECT_EQ(Get(f2.fingerprint).finding.state, FindingState::kOpen);
  CommitResult r = Commit(org, {f1});  // 3: f2 resolved
  ASSERT_EQ(r.resolved_findings.size(), 1u);
  EXPECT_EQ(r.resolved_findings[0].fingerprint, f2.fingerprint);
  EXPECT_EQ(r.resolved_findings[0].state, FindingState::kResolved);
  EXPECT_EQ(r.resolved_by_rule["cross_tenant"], 1);
  FindingRecord rec = Get(f2.fingerprint);
  EXPECT_EQ(rec.finding.state, FindingState::kResolved);
  EXPECT_EQ(rec.resolved_by_sweep, 3);
  EXPECT_EQ(rec.resolved_at, FormatIso8601(FromUnixSeconds(kT0 + int64_t{900} * 2)));
  r = Commit(org, {f1, f2});  // 4: back
  ASSERT_EQ(r.reopened_findings.size(), 1u);
  EXPECT_TRUE(r.new_findings.empty());
  EXPECT_EQ(r.new_by_rule["cross_tenant"], 1);
  rec = Get(f2.fingerprint);
  EXPECT_EQ(rec.finding.state, FindingState::kOpen);
  EXPECT_EQ(rec.reopened_count, 1);
  EXPECT_FALSE(rec.resolved_by_sweep.has_value());
  EXPECT_EQ(rec.first_seen_sweep, 1);
  EXPECT_EQ(rec.finding.first_seen, FormatIso8601(FromUnixSeconds(kT0)));
  // Suppression comes and goes with the exception.
  Commit(org, {f1, MakeFinding("user-2", "div-3", true)});  // 5
  rec = Get(f2.fingerprint);
  EXPECT_EQ(rec.finding.state, FindingState::kSuppressed);
  ASSERT_TRUE(rec.finding.exception.has_value());
  EXPECT_EQ(rec.finding.exception->owner, "secops@example.com");
  Commit(org, {f1, f2});  // 6
  rec = Get(f2.fingerprint);
  EXPECT_EQ(rec.finding.state, FindingState::kOpen);
  EXPECT_FALSE(rec.finding.exception.has_value());

  auto events = store_->FindingEvents(0, INT64_MAX);
  ASSERT_TRUE(events.ok());
  std::vector<std::string> f2_events;
  for (const auto& e : *events) {
    if (e.fingerprint == f2.fingerprint) {
      f2_events.push_back(e.event + "@" + std::to_string(e.sweep_id));
    }
  }
  EXPECT_EQ(f2_events, (std::vector<std::string>{"opened@1", "resolved@3", "reopened@4",
                                                 "suppressed@5", "unsuppressed@6"}));
  auto open = store_->QueryFindings({{FindingState::kOpen}, std::nullopt, std::nullopt});
  ASSERT_TRUE(open.ok());
  EXPECT_EQ(open->size(), 2u);
  auto verified = store_->Verify();
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->ok) << verified->problems.front();
}

TEST_F(StoreTest, StoredFindingRoundTripsAndFiltersByTenant) {
  auto f = MakeFinding("user-1", "div-2", true);
  auto m = testing::MakeMultiTenantFinding("group-4");
  Commit(MakeOrg(), {f, m});
  auto by_tenant = store_->QueryFindings({{}, std::string("Tenant 2"), std::nullopt});
  ASSERT_TRUE(by_tenant.ok());
  ASSERT_EQ(by_tenant->size(), 1u);
  EXPECT_EQ((*by_tenant)[0].finding.fingerprint, m.fingerprint);
  auto all = store_->QueryFindings({{}, std::nullopt, audit::Rule::kCrossTenant});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  f.first_seen = FormatIso8601(FromUnixSeconds(kT0));
  EXPECT_EQ((*all)[0].finding, f);
  auto exceptions = store_->ExceptionsSeen();
  ASSERT_TRUE(exceptions.ok());
  ASSERT_EQ(exceptions->size(), 1u);
  EXPECT_EQ((*exceptions)[0].exception.reason, "break-glass");
  EXPECT_EQ((*exceptions)[0].fingerprints, std::vector<std::string>{f.fingerprint});
}

TEST_F(StoreTest, SnapshotAtRebuildsEveryCompleteSweepExactly) {
  testing::OrgShape shape;
  shape.users = 400;
  std::vector<audit::OrgSnapshot> committed;
  auto org = MakeOrg(shape);
  for (int i = 0; i < 5; ++i) {
    Commit(org, {});
    committed.push_back(org);
    // Mutate for the next sweep: moves, new users, dropped grants, renamed groups.
    org.users[static_cast<size_t>(i) * 7].home_division_id = "div-" + std::to_string(i);
    org.users.erase(org.users.begin() + 50 + i);
    org.users.push_back({"user-x" + std::to_string(i), "X", "x@example.com", "div-2", "active"});
    org.grants.erase(org.grants.begin() + ptrdiff_t{i} * 11,
                     org.grants.begin() + ptrdiff_t{i} * 11 + 3);
    org.groups[2].name += "!";
    org.groups[2].member_ids.push_back("user-x" + std::to_string(i));
    org.oauth_clients[1].role_divisions.push_back({"role-" + std::to_string(i), "div-9"});
    org.divisions.push_back({"div-new" + std::to_string(i), "New", "", false});
    audit::Canonicalize(org);
  }
  Commit(MakeOrg(), {}, SweepStatus::kPartial);  // must not disturb any past sweep
  for (size_t i = 0; i < committed.size(); ++i) {
    auto snap = store_->SnapshotAt(static_cast<int64_t>(i + 1));
    ASSERT_TRUE(snap.ok()) << snap.status().ToString();
    EXPECT_TRUE(*snap == committed[i]) << "sweep " << i + 1;
    // The divisions alone (a daemon's start) are the snapshot's, sweep by sweep.
    auto divisions = store_->DivisionsAt(static_cast<int64_t>(i + 1));
    ASSERT_TRUE(divisions.ok()) << divisions.status().ToString();
    EXPECT_EQ(*divisions, committed[i].divisions) << "sweep " << i + 1;
    // The counts (`findings --format json`) are the rebuilt snapshot's, without rebuilding it.
    auto counts = store_->CountsAt(static_cast<int64_t>(i + 1));
    ASSERT_TRUE(counts.ok()) << counts.status().ToString();
    EXPECT_EQ(*counts, audit::CountsOf(*snap)) << "sweep " << i + 1;
  }
  EXPECT_EQ(committed[0].divisions.size() + 4, committed[4].divisions.size());
  EXPECT_EQ(store_->SnapshotAt(99).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->DivisionsAt(99).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->DivisionsAt(6).status().code(), StatusCode::kFailedPrecondition);  // partial
  EXPECT_EQ(store_->CountsAt(99).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->CountsAt(6).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(StoreTest, DiffReportsGrantMembershipUserDivisionAndClientChanges) {
  auto org = MakeOrg();
  Commit(org, {});
  const audit::Grant removed = org.grants[0];
  org.grants.erase(org.grants.begin());
  org.grants.push_back({audit::SubjectType::kUser, "user-3", "role-1", "div-7"});
  const std::string moved = org.users[4].id;
  org.users[4].home_division_id = org.users[4].home_division_id == "div-11" ? "div-10" : "div-11";
  org.groups[0].member_ids.push_back("user-299");
  org.divisions.push_back({"div-99", "Fresh", "", false});
  org.oauth_clients[0].state = "disabled";
  audit::Canonicalize(org);
  Commit(org, {});
  Commit(org, {}, SweepStatus::kPartial);
  auto d = store_->Diff(1, 2);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_EQ(d->grants_removed.size(), 1u);
  EXPECT_EQ(d->grants_removed[0], removed);
  ASSERT_EQ(d->grants_added.size(), 1u);
  EXPECT_EQ(d->grants_added[0].subject_id, "user-3");
  ASSERT_EQ(d->users_moved.size(), 1u);
  EXPECT_EQ(d->users_moved[0].user_id, moved);
  EXPECT_EQ(d->users_moved[0].to_division_id, org.users[4].home_division_id);
  const auto base_members = MakeOrg().groups[0].member_ids;
  if (std::find(base_members.begin(), base_members.end(), "user-299") == base_members.end()) {
    ASSERT_EQ(d->memberships_added.size(), 1u);
    EXPECT_EQ(d->memberships_added[0].user_id, "user-299");
  }
  ASSERT_EQ(d->divisions_added.size(), 1u);
  ASSERT_EQ(d->clients_changed.size(), 1u);
  EXPECT_EQ(d->clients_changed[0].second.state, "disabled");
  EXPECT_EQ(d->names["user-4"], "User 4");
  EXPECT_EQ(d->names[moved], org.users[4].name);
  auto same = store_->Diff(2, 2);
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->empty());
  EXPECT_EQ(store_->Diff(1, 3).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(StoreTest, BusyDatabaseIsUnavailableNamingTheFile) {
  store_.reset();
  auto s = SqliteSnapshotStore::Open(path_, clock_, SqliteStoreOptions{0});
  ASSERT_TRUE(s.ok());
  RawDb other(path_);
  ASSERT_EQ(other.Exec("BEGIN IMMEDIATE"), SQLITE_OK);
  auto r = (*s)->CommitSweep(MakeInfo(kT0), MakeOrg(), {});
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find(path_), std::string::npos) << r.status().message();
  other.Exec("ROLLBACK");
  EXPECT_TRUE((*s)->CommitSweep(MakeInfo(kT0), MakeOrg(), {}).ok());
}

TEST_F(StoreTest, PruneKeepsChainVerifiableAndKeptSweepsReconstructible) {
  auto org = MakeOrg();
  const auto f1 = MakeFinding("user-1", "div-2");
  const auto f2 = MakeFinding("user-2", "div-3");
  std::vector<audit::OrgSnapshot> committed;
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(store_
                    ->CommitSweep(MakeInfo(kT0 + int64_t{i} * 86400), org,
                                  i < 2 ? std::vector<audit::Finding>{f1, f2}
                                        : std::vector<audit::Finding>{f1})
                    .ok());
    committed.push_back(org);
    org.users[static_cast<size_t>(i)].home_division_id = "div-" + std::to_string(i + 1);
    org.grants.erase(org.grants.begin() + i);
    audit::Canonicalize(org);
  }
  // Keep the last 2.5 days: sweeps 1..3 go (f2 was resolved by sweep 3, so it goes too).
  auto p = store_->Prune(std::chrono::hours(60), kT0 + int64_t{5} * 86400);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->sweeps_deleted, 3);
  EXPECT_EQ(p->anchor_sweep, 3);
  EXPECT_GT(p->rows_deleted, 0);
  EXPECT_GT(p->rows_rebased, 0);
  EXPECT_EQ(p->findings_deleted, 1);
  auto v = store_->Verify();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->problems.front();
  for (int64_t id = 4; id <= 6; ++id) {
    auto snap = store_->SnapshotAt(id);
    ASSERT_TRUE(snap.ok()) << snap.status().ToString();
    EXPECT_TRUE(*snap == committed[static_cast<size_t>(id - 1)]) << id;
  }
  EXPECT_EQ(store_->SnapshotAt(2).status().code(), StatusCode::kNotFound);
  FindingRecord rec = Get(f1.fingerprint);
  EXPECT_FALSE(rec.first_seen_sweep.has_value());
  EXPECT_EQ(rec.finding.first_seen, FormatIso8601(FromUnixSeconds(kT0)));
  // Commits continue the chain; tampering with a rebased row is caught by the anchor.
  ASSERT_TRUE(store_->CommitSweep(MakeInfo(kT0 + int64_t{6} * 86400), org, {f1}).ok());
  v = store_->Verify();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->problems.front();
  RawDb raw(path_);
  ASSERT_EQ(raw.Exec("UPDATE users SET name = 'x' WHERE row_id = (SELECT min(row_id) FROM users "
                     "WHERE valid_from_sweep IS NULL)"),
            SQLITE_OK);
  v = store_->Verify();
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->first_bad_sweep, 4);
}

TEST_F(StoreTest, IdDictionaryStoresEachValueOnceAcrossCloseAndReopen) {
  auto org = MakeOrg();
  Commit(org, {});
  RawDb raw(path_);
  const int64_t ids = raw.Int("SELECT count(*) FROM ids");
  EXPECT_EQ(ids, raw.Int("SELECT count(DISTINCT value) FROM ids"));
  EXPECT_EQ(raw.Text("SELECT typeof(role_id) FROM grants LIMIT 1"), "integer");
  const audit::Grant g = org.grants[7];
  auto without = org;
  without.grants.erase(without.grants.begin() + 7);
  EXPECT_EQ(Commit(without, {}).rows_closed, 1);
  const CommitResult back = Commit(org, {});
  EXPECT_EQ(back.rows_inserted, 1);
  EXPECT_EQ(back.rows_closed, 0);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM ids"), ids);  // the values were reused
  EXPECT_EQ(raw.Int("SELECT count(*) FROM grants_text WHERE subject_id = '" + g.subject_id.str() +
                    "' AND role_id = '" + g.role_id.str() + "' AND division_id = '" +
                    g.division_id.str() + "'"),
            2);
  // A duplicated grant in a (non-canonical) snapshot is stored once.
  auto dup = org;
  dup.grants.push_back(dup.grants.front());
  const CommitResult d = Commit(dup, {});
  EXPECT_EQ(d.rows_inserted + d.rows_closed, 0);
}

TEST_F(StoreTest, ARowWhoseIdsWereEditedIsReplacedByTheNextCompleteSweep) {
  const auto org = MakeOrg();
  Commit(org, {});
  {
    RawDb raw(path_);
    ASSERT_EQ(raw.Exec("UPDATE grants SET role_id = 'junk' WHERE row_id = 5; "
                       "UPDATE memberships SET user_id = 999999 WHERE row_id = 3"),
              SQLITE_OK);
  }
  // A partial sweep leaves them (it never closes); a complete one closes them and re-inserts
  // the rows the org has.
  const CommitResult partial = Commit(org, {}, SweepStatus::kPartial);
  EXPECT_EQ(partial.rows_closed, 0);
  const CommitResult r = Commit(org, {});
  EXPECT_EQ(r.rows_closed, 2);
  EXPECT_EQ(r.rows_inserted, 0);  // the partial sweep already re-inserted both
  EXPECT_EQ(partial.rows_inserted, 2);
  auto snap = store_->SnapshotAt(3);
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  EXPECT_TRUE(*snap == org);
  auto v = store_->Verify();
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->first_bad_sweep, 1);  // the sweep that wrote the edited rows
}

// With every stored grant unreadable there is no current grant to merge with, so the sweep's
// grants are all new (the writer skips sorting and merging them): a complete sweep still closes
// the unreadable rows; a partial one inserts the grants and closes nothing.
TEST_F(StoreTest, EveryGrantEditedLeavesNoCurrentGrantYetClosesThemOnACompleteSweep) {
  const auto org = MakeOrg();
  Commit(org, {});
  const auto grants = static_cast<int64_t>(org.grants.size());
  ASSERT_GT(grants, 1);
  auto edit_every_grant = [this] {
    RawDb raw(path_);
    ASSERT_EQ(raw.Exec("UPDATE grants SET role_id = 'junk' WHERE valid_to_sweep IS NULL"),
              SQLITE_OK);
  };
  edit_every_grant();
  const CommitResult complete = Commit(org, {});
  EXPECT_EQ(complete.rows_closed, grants);
  EXPECT_EQ(complete.rows_inserted, grants);
  auto snap = store_->SnapshotAt(2);
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  EXPECT_TRUE(*snap == org);
  edit_every_grant();
  const CommitResult partial = Commit(org, {}, SweepStatus::kPartial);
  EXPECT_EQ(partial.rows_closed, 0);
  EXPECT_EQ(partial.rows_inserted, grants);
}

}  // namespace
}  // namespace divaudit::storage
