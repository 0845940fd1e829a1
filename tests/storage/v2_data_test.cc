// Schema v5: the v2 snapshot data (catalog, role policies, role settings, queues, their member
// groups and members) and the v2 finding fields, through commit → read, the temporal rules,
// the hash chain and the migration from a v4 file.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "audit/findings_document.h"
#include "common/clock.h"
#include "storage/schema.h"
#include "storage/sqlite_snapshot_store.h"
#include "tests/storage/store_test_util.h"

namespace divaudit::storage {
namespace {

using audit::SweepStatus;
using testing::MakeInfo;
using testing::MakeOrg;
using testing::RawDb;
using testing::TempDir;

constexpr int64_t kT0 = 1790000000;

// MakeOrg plus every v2 field: catalog, policies (one narrowed, one with "*"), settings,
// queues with member groups, members direct and via group, joined and not.
audit::OrgSnapshot MakeV2Org(int queues = 6, int members_per_queue = 20) {
  audit::OrgSnapshot s = MakeOrg();
  s.permissions = {{"authorization", "grant", "add", false},
                   {"directory", "user", "view", true},
                   {"routing", "queue", "view", true},
                   {"recording", "recording", "view", false}};
  s.roles[0].policies = {{"authorization", "grant", {"add", "delete"}, false},
                         {"directory", "*", {"*"}, false}};
  s.roles[1].policies = {{"recording", "recording", {"view"}, true}};
  s.role_settings = audit::RoleSettings{false, true};
  for (int i = 0; i < queues; ++i) {
    audit::Queue q;
    q.id = "queue-" + std::to_string(i);
    q.name = "Queue " + std::to_string(i);
    q.division_id = "div-" + std::to_string(i % 5);
    if (i % 2 == 0) {
      q.member_groups = {{"group-0", "Group 0", "GROUP"},
                         {"team-" + std::to_string(i), "Team", "TEAM"}};
    }
    s.queues.push_back(q);
    for (int m = 0; m < members_per_queue; ++m) {
      s.queue_members.push_back(
          {q.id, "user-" + std::to_string((i * 7 + m) % 300), m % 3 == 0, m % 2 == 0});
    }
  }
  audit::Canonicalize(s);
  return s;
}

audit::Finding OrgWideFinding() {
  audit::Finding f;
  f.rule = audit::Rule::kOrgWidePermission;
  f.severity = audit::RuleSeverity(f.rule);
  f.subject = audit::SubjectRef{audit::SubjectType::kUser, "user-5", "User 5"};
  f.role = audit::NamedRef{"role-0", "Role 0"};
  f.via = audit::Via{};
  f.permissions = {"authorization:grant:add", "authorization:grant:delete"};
  f.divisions = {"div-2", "div-3"};
  f.changed_by = audit::ChangedBy{
      "user",   "admin-1", "Ada Admin", "2026-11-20T08:00:00Z", "PeoplePermissions",
      "Update", "Role",    "role-0"};
  f.fingerprint = audit::FingerprintOf(f);
  return f;
}

audit::Finding QueueFinding(bool via_group) {
  audit::Finding f;
  f.rule = audit::Rule::kCrossTenantQueue;
  f.severity = audit::RuleSeverity(f.rule);
  f.subject = audit::SubjectRef{audit::SubjectType::kUser, "user-9", "User 9"};
  f.home_division = audit::NamedRef{"div-1", "Tenant 1"};
  f.home_tenant = "Tenant 1";
  f.tenant = "Tenant 2";
  f.via = via_group ? audit::Via{false, "", ""} : audit::Via{};
  audit::QueueRef q;
  q.id = "queue-2";
  q.name = "Queue \"2\"";
  q.division = {"div-2", "Tenant 2"};
  q.tenant = "Tenant 2";
  if (via_group) q.member_groups = {{"group-0", "Group 0", "GROUP"}};
  f.queue = q;
  f.fingerprint = audit::FingerprintOf(f);
  return f;
}

audit::Finding GuardrailFinding() {
  audit::Finding f;
  f.rule = audit::Rule::kGrantGuardrailOff;
  f.severity = audit::RuleSeverity(f.rule);
  f.subject = audit::SubjectRef{audit::SubjectType::kOrg, "org-1", "Acme BPO"};
  f.fingerprint = audit::FingerprintOf(f);
  return f;
}

TEST(V2DataTest, EveryV2SnapshotFieldRoundTrips) {
  TempDir dir;
  FakeClock clock;
  auto s = SqliteSnapshotStore::Open(dir.File("v2.db"), clock);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const auto org = MakeV2Org();
  auto r = (*s)->CommitSweep(MakeInfo(kT0), org, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto snap = (*s)->SnapshotAt(r->sweep_id);
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  EXPECT_EQ(snap->permissions, org.permissions);
  EXPECT_EQ(snap->role_settings, org.role_settings);
  EXPECT_EQ(snap->queues, org.queues);
  EXPECT_EQ(snap->queue_members, org.queue_members);
  EXPECT_EQ(snap->roles, org.roles);
  EXPECT_TRUE(*snap == org);
  // Queue member ids are dictionary ids; the view shows the text.
  RawDb raw(dir.File("v2.db"));
  EXPECT_EQ(raw.Text("SELECT typeof(user_id) FROM queue_members LIMIT 1"), "integer");
  EXPECT_EQ(raw.Int("SELECT count(*) FROM queue_members_text WHERE user_id LIKE 'user-%'"),
            static_cast<int64_t>(org.queue_members.size()));
}

TEST(V2DataTest, SettingsNotReadAreStoredAsNoRowAndReadBackAsNotRead) {
  TempDir dir;
  FakeClock clock;
  auto s = SqliteSnapshotStore::Open(dir.File("v2.db"), clock);
  ASSERT_TRUE(s.ok());
  auto org = MakeV2Org();
  org.role_settings.reset();
  auto r = (*s)->CommitSweep(MakeInfo(kT0), org, {});
  ASSERT_TRUE(r.ok());
  auto snap = (*s)->SnapshotAt(r->sweep_id);
  ASSERT_TRUE(snap.ok());
  EXPECT_FALSE(snap->role_settings.has_value());
  EXPECT_TRUE(*snap == org);
}

// `diff` sees every kind of v2 change: catalog added/removed/flipped, role policies, role
// settings, queues added/removed/moved, queue members added/removed (a `joined` flip is no
// change; members of queues added or removed are not listed again).
TEST(V2DataTest, DiffReportsEveryV2Change) {
  TempDir dir;
  FakeClock clock;
  auto s = SqliteSnapshotStore::Open(dir.File("v2.db"), clock);
  ASSERT_TRUE(s.ok());
  auto org = MakeV2Org();
  ASSERT_TRUE((*s)->CommitSweep(MakeInfo(kT0), org, {}).ok());
  auto same = (*s)->Diff(1, 1);
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->empty());

  const audit::CatalogPermission flipped_before{"directory", "user", "view", true};
  const audit::CatalogPermission flipped_after{"directory", "user", "view", false};
  const audit::CatalogPermission removed_perm{"routing", "queue", "view", true};
  const audit::CatalogPermission added_perm{"oauth", "client", "add", false};
  std::erase(org.permissions, removed_perm);
  std::replace(org.permissions.begin(), org.permissions.end(), flipped_before, flipped_after);
  org.permissions.push_back(added_perm);
  const audit::Role role_before = org.roles[0];
  std::erase(org.roles[0].policies, audit::PermissionPolicy{"directory", "*", {"*"}, false});
  org.roles[0].policies.push_back({"oauth", "client", {"add"}, false});
  std::sort(org.roles[0].policies.begin(), org.roles[0].policies.end());
  org.role_settings = audit::RoleSettings{true, true};
  const audit::Queue moved_before = org.queues[0];
  org.queues[0].division_id = "div-4";
  const audit::Queue removed_queue = org.queues[5];
  org.queues.erase(org.queues.begin() + 5);
  std::erase_if(org.queue_members, [](const auto& m) { return m.queue_id == "queue-5"; });
  org.queues.push_back({"queue-9", "Queue 9", "div-1"});
  org.queue_members.push_back({"queue-9", "user-1", false, true});
  const audit::QueueMember removed_member{"queue-1", "user-7", true, true};
  std::erase(org.queue_members, removed_member);
  org.queue_members.push_back({"queue-1", "user-299", false, false});
  for (auto& m : org.queue_members) {
    if (m.queue_id == "queue-1" && m.user_id == "user-8") m.joined = !m.joined;
  }
  audit::Canonicalize(org);
  ASSERT_TRUE((*s)->CommitSweep(MakeInfo(kT0 + 900), org, {}).ok());

  auto d = (*s)->Diff(1, 2);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_FALSE(d->empty());
  using Perms = std::vector<audit::CatalogPermission>;
  EXPECT_EQ(d->permissions_added, Perms{added_perm});
  EXPECT_EQ(d->permissions_removed, Perms{removed_perm});
  ASSERT_EQ(d->permissions_changed.size(), 1u);
  EXPECT_EQ(d->permissions_changed[0].first, flipped_before);
  EXPECT_EQ(d->permissions_changed[0].second, flipped_after);
  ASSERT_EQ(d->role_policies_changed.size(), 1u);
  EXPECT_EQ(d->role_policies_changed[0].first, role_before);
  EXPECT_EQ(d->role_policies_changed[0].second, org.roles[0]);
  EXPECT_TRUE(d->role_settings_changed);
  EXPECT_EQ(d->role_settings_before, (audit::RoleSettings{false, true}));
  EXPECT_EQ(d->role_settings_after, (audit::RoleSettings{true, true}));
  ASSERT_EQ(d->queues_added.size(), 1u);
  EXPECT_EQ(d->queues_added[0].id, "queue-9");
  ASSERT_EQ(d->queues_removed.size(), 1u);
  EXPECT_EQ(d->queues_removed[0], removed_queue);
  ASSERT_EQ(d->queues_changed.size(), 1u);
  EXPECT_EQ(d->queues_changed[0].first, moved_before);
  EXPECT_EQ(d->queues_changed[0].second.division_id, "div-4");
  using Members = std::vector<audit::QueueMember>;
  EXPECT_EQ(d->queue_members_added, (Members{{"queue-1", "user-299", false, false}}));
  EXPECT_EQ(d->queue_members_removed, Members{removed_member});
  EXPECT_EQ(d->names["queue-9"], "Queue 9");

  // Settings read in one sweep and not in the other are a change too.
  org.role_settings.reset();
  ASSERT_TRUE((*s)->CommitSweep(MakeInfo(kT0 + 1800), org, {}).ok());
  auto unread = (*s)->Diff(2, 3);
  ASSERT_TRUE(unread.ok());
  EXPECT_TRUE(unread->role_settings_changed);
  EXPECT_FALSE(unread->role_settings_after.has_value());
  EXPECT_TRUE(unread->permissions_changed.empty());
}

TEST(V2DataTest, AnUnchangedSweepAddsOnlyItsSweepRow) {
  TempDir dir;
  FakeClock clock;
  auto s = SqliteSnapshotStore::Open(dir.File("v2.db"), clock);
  ASSERT_TRUE(s.ok());
  const auto org = MakeV2Org();
  ASSERT_TRUE((*s)->CommitSweep(MakeInfo(kT0), org, {}).ok());
  auto r = (*s)->CommitSweep(MakeInfo(kT0 + 900), org, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rows_inserted, 0);
  EXPECT_EQ(r->rows_closed, 0);
}

// Every kind of v2 change, each sweep reconstructed exactly afterwards.
TEST(V2DataTest, CompleteSweepsCloseChangedV2RowsAndEverySweepRebuildsExactly) {
  TempDir dir;
  FakeClock clock;
  auto s = SqliteSnapshotStore::Open(dir.File("v2.db"), clock);
  ASSERT_TRUE(s.ok());
  const auto org1 = MakeV2Org();
  auto org2 = org1;
  org2.permissions[0].division_aware = true;
  org2.permissions.pop_back();
  org2.roles[0].policies[1].action_set = {"view"};
  org2.role_settings->authorization_grant_division_aware = true;
  org2.queues[0].name = "Renamed";
  org2.queues[0].member_groups.pop_back();
  org2.queues[1].division_id = "div-9";
  org2.queues.pop_back();  // its members stay listed below only if we keep them: drop them too
  std::erase_if(org2.queue_members,
                [&](const audit::QueueMember& m) { return m.queue_id == org1.queues.back().id; });
  org2.queue_members[0].joined = !org2.queue_members[0].joined;
  org2.queue_members.erase(org2.queue_members.begin() + 3);
  org2.queue_members.push_back({"queue-1", "user-299", true, false});
  audit::Canonicalize(org2);
  auto org3 = org2;
  org3.role_settings.reset();
  org3.queues.clear();
  org3.queue_members.clear();
  org3.permissions.clear();
  for (auto& role : org3.roles) role.policies.clear();

  std::vector<std::pair<int64_t, const audit::OrgSnapshot*>> stored;
  int64_t t = kT0;
  for (const audit::OrgSnapshot* org :
       std::vector<const audit::OrgSnapshot*>{&org1, &org2, &org1, &org3, &org2}) {
    auto r = (*s)->CommitSweep(MakeInfo(t), *org, {});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    if (t != kT0) {
      EXPECT_GT(r->rows_inserted + r->rows_closed, 0);
    }
    stored.emplace_back(r->sweep_id, org);
    t += 3600;
  }
  for (const auto& [id, org] : stored) {
    auto snap = (*s)->SnapshotAt(id);
    ASSERT_TRUE(snap.ok()) << snap.status().ToString();
    EXPECT_TRUE(*snap == *org) << "sweep " << id;
    // Counted in SQL, equal to the committed snapshot's counts (settings read or not,
    // narrowed policies, queues and members as they change).
    auto counts = (*s)->CountsAt(id);
    ASSERT_TRUE(counts.ok()) << counts.status().ToString();
    EXPECT_EQ(*counts, audit::CountsOf(*org)) << "sweep " << id;
  }
  auto v = (*s)->Verify();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->problems.front();
}

TEST(V2DataTest, APartialSweepNeverClosesV2Rows) {
  TempDir dir;
  FakeClock clock;
  auto s = SqliteSnapshotStore::Open(dir.File("v2.db"), clock);
  ASSERT_TRUE(s.ok());
  const auto org = MakeV2Org();
  auto first = (*s)->CommitSweep(MakeInfo(kT0), org, {});
  ASSERT_TRUE(first.ok());
  // A partial sweep that read no queue members, no catalog, no settings and changed a queue.
  auto partial_org = org;
  partial_org.queue_members.clear();
  partial_org.permissions.clear();
  partial_org.role_settings.reset();
  partial_org.queues[0].name = "Changed";
  partial_org.queue_members.push_back({"queue-new", "user-1", false, true});
  auto p = (*s)->CommitSweep(MakeInfo(kT0 + 900, SweepStatus::kPartial), partial_org, {});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->rows_closed, 0);
  EXPECT_EQ(p->rows_inserted, 1);  // the new member only (a changed queue waits)
  // The next complete sweep of the original org closes only what the partial one added.
  auto next = (*s)->CommitSweep(MakeInfo(kT0 + 1800), org, {});
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->rows_closed, 1);
  EXPECT_EQ(next->rows_inserted, 0);
  auto snap = (*s)->SnapshotAt(next->sweep_id);
  ASSERT_TRUE(snap.ok());
  EXPECT_TRUE(*snap == org);
}

TEST(V2DataTest, EveryV2FindingFieldRoundTripsThroughCommitAndQuery) {
  TempDir dir;
  FakeClock clock;
  auto s = SqliteSnapshotStore::Open(dir.File("v2.db"), clock);
  ASSERT_TRUE(s.ok());
  const std::vector<audit::Finding> findings = {OrgWideFinding(), QueueFinding(false),
                                                QueueFinding(true), GuardrailFinding()};
  auto r = (*s)->CommitSweep(MakeInfo(kT0), MakeV2Org(), findings);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->new_findings.size(), 4u);
  auto q = (*s)->QueryFindings({});
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  ASSERT_EQ(q->size(), 4u);
  for (const auto& rec : *q) {
    auto want = std::find_if(findings.begin(), findings.end(), [&](const audit::Finding& f) {
      return f.fingerprint == rec.finding.fingerprint;
    });
    ASSERT_NE(want, findings.end());
    audit::Finding got = rec.finding;
    got.first_seen.clear();
    EXPECT_EQ(got, *want) << audit::RuleName(want->rule);
  }
  // The rule filter reads the v2 rules.
  FindingFilter only_queue;
  only_queue.rule = audit::Rule::kCrossTenantQueue;
  auto qq = (*s)->QueryFindings(only_queue);
  ASSERT_TRUE(qq.ok());
  EXPECT_EQ(qq->size(), 2u);
}

TEST(V2DataTest, DisplayFieldsAreRefreshedAndChangedByIsKeptUntilAReopening) {
  TempDir dir;
  FakeClock clock;
  auto s = SqliteSnapshotStore::Open(dir.File("v2.db"), clock);
  ASSERT_TRUE(s.ok());
  const auto org = MakeV2Org();
  auto f = OrgWideFinding();
  ASSERT_TRUE((*s)->CommitSweep(MakeInfo(kT0), org, {f}).ok());
  // Seen again: new permissions/divisions, no changed_by (nothing was looked up): kept.
  auto again = f;
  again.permissions = {"authorization:grant:add"};
  again.divisions = {"div-2"};
  again.changed_by.reset();
  ASSERT_TRUE((*s)->CommitSweep(MakeInfo(kT0 + 900), org, {again}).ok());
  auto q = (*s)->QueryFindings({});
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->size(), 1u);
  EXPECT_EQ((*q)[0].finding.permissions, again.permissions);
  EXPECT_EQ((*q)[0].finding.divisions, again.divisions);
  EXPECT_EQ((*q)[0].finding.changed_by, f.changed_by);
  // Resolved, then reopened by someone else: the new changed_by.
  ASSERT_TRUE((*s)->CommitSweep(MakeInfo(kT0 + 1800), org, {}).ok());
  auto reopened = f;
  reopened.changed_by->actor_id = "client-7";
  reopened.changed_by->actor_type = "client";
  auto r = (*s)->CommitSweep(MakeInfo(kT0 + 2700), org, {reopened});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->reopened_findings.size(), 1u);
  q = (*s)->QueryFindings({});
  ASSERT_TRUE(q.ok());
  EXPECT_EQ((*q)[0].finding.changed_by, reopened.changed_by);
  EXPECT_EQ((*q)[0].reopened_count, 1);
  auto v = (*s)->Verify();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->problems.front();
}

// Each edit of stored v2 data: the sweep that wrote it no longer verifies.
TEST(V2DataTest, VerifyDetectsEditsOfV2RowsAndFindingFields) {
  const std::vector<std::pair<std::string, std::string>> edits = {
      {"catalog",
       "UPDATE catalog_permissions SET division_aware = 1 - division_aware WHERE "
       "row_id = (SELECT min(row_id) FROM catalog_permissions)"},
      {"policies", "UPDATE role_policies SET action_set = '[\"*\"]' WHERE row_id = 1"},
      {"settings", "UPDATE role_settings SET grant_division_aware = 1"},
      {"queues", "UPDATE queues SET division_id = 'div-1' WHERE id = 'queue-2'"},
      {"groups", "DELETE FROM queue_member_groups WHERE row_id = 1"},
      {"members", "UPDATE queue_members SET joined = 1 - joined WHERE row_id = 3"},
      {"member_ids", "UPDATE queue_members SET user_id = user_id + 1 WHERE row_id = 3"},
      {"inserted",
       "INSERT INTO queues(valid_from_sweep, id, name, division_id) "
       "VALUES(1, 'queue-x', 'X', 'div-1')"},
      {"event_changed_by", "UPDATE findings_events SET changed_by = NULL"},
      {"finding_changed_by", "UPDATE findings SET changed_by = NULL"},
      {"queue_id", "UPDATE findings SET queue_id = 'queue-3' WHERE queue_id IS NOT NULL"},
  };
  for (const auto& [what, sql] : edits) {
    TempDir dir;
    FakeClock clock;
    const std::string path = dir.File("v2.db");
    auto s = SqliteSnapshotStore::Open(path, clock);
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE(
        (*s)->CommitSweep(MakeInfo(kT0), MakeV2Org(), {OrgWideFinding(), QueueFinding(true)}).ok());
    ASSERT_TRUE((*s)->CommitSweep(MakeInfo(kT0 + 900), MakeV2Org(), {}).ok());
    auto v = (*s)->Verify();
    ASSERT_TRUE(v.ok());
    ASSERT_TRUE(v->ok) << what << ": " << v->problems.front();
    {
      RawDb raw(path);
      ASSERT_EQ(raw.Exec(sql), SQLITE_OK) << what << ": " << sqlite3_errmsg(raw.raw());
    }
    v = (*s)->Verify();
    ASSERT_TRUE(v.ok());
    EXPECT_FALSE(v->ok) << what;
  }
}

TEST(V2DataTest, AnUnreadableStoredQueueIsDataLossNamingTheRow) {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.File("v2.db");
  auto s = SqliteSnapshotStore::Open(path, clock);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE((*s)->CommitSweep(MakeInfo(kT0), MakeV2Org(), {QueueFinding(false)}).ok());
  {
    RawDb raw(path);
    ASSERT_EQ(raw.Exec("UPDATE findings SET queue = '{\"id\": 1}'"), SQLITE_OK);
  }
  auto q = (*s)->QueryFindings({});
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(q.status().message().find("unreadable queue"), std::string::npos);
  EXPECT_NE(q.status().message().find(QueueFinding(false).fingerprint), std::string::npos);
}

// A v4 file (this build's history with migration 5 undone) opens as v5: every old sweep still
// verifies byte for byte, the next sweep stores v2 data, and a tampered v2 row is detected.
TEST(V2DataTest, AVersion4DatabaseMigratesKeepingItsChainAndThenStoresV2Data) {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.File("v4.db");
  const auto v1_org = MakeOrg();
  std::vector<std::string> hashes;
  {
    auto s = SqliteSnapshotStore::Open(path, clock);
    ASSERT_TRUE(s.ok());
    int64_t t = kT0;
    for (auto status : {SweepStatus::kComplete, SweepStatus::kPartial, SweepStatus::kComplete}) {
      auto r =
          (*s)->CommitSweep(MakeInfo(t, status), v1_org, {testing::MakeFinding("user-1", "div-3")});
      ASSERT_TRUE(r.ok());
      hashes.push_back(r->content_hash);
      t += 900;
    }
  }
  {
    RawDb raw(path);
    ASSERT_EQ(raw.Exec("DROP TABLE evidence_conversations; DROP TABLE evidence_windows;"
                       "DROP TABLE evidence_pending; DROP TABLE evidence_sweeps;"
                       "DROP VIEW queue_members_text;"
                       "DROP TABLE catalog_permissions; DROP TABLE role_policies;"
                       "DROP TABLE role_settings; DROP TABLE queues;"
                       "DROP TABLE queue_member_groups; DROP TABLE queue_members;"
                       "ALTER TABLE findings DROP COLUMN permissions;"
                       "ALTER TABLE findings DROP COLUMN divisions;"
                       "ALTER TABLE findings DROP COLUMN queue_id;"
                       "ALTER TABLE findings DROP COLUMN queue;"
                       "ALTER TABLE findings DROP COLUMN changed_by;"
                       "ALTER TABLE findings_events DROP COLUMN changed_by;"
                       "PRAGMA user_version = 4;"),
              SQLITE_OK)
        << sqlite3_errmsg(raw.raw());
    ASSERT_EQ(raw.Int("SELECT count(*) FROM sqlite_master WHERE name = 'queues'"), 0);
  }
  auto s = SqliteSnapshotStore::Open(path, clock);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  {
    RawDb raw(path);
    EXPECT_EQ(raw.Int("PRAGMA user_version"), kSchemaVersion);
  }
  auto v = (*s)->Verify();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->problems.front();
  EXPECT_EQ(v->sweeps_checked, 3);
  EXPECT_EQ(v->head_hash, hashes.back());
  // Old findings read back with empty v2 fields; the old snapshot with none.
  auto q = (*s)->QueryFindings({});
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  ASSERT_EQ(q->size(), 1u);
  EXPECT_TRUE(q->front().finding.permissions.empty());
  EXPECT_FALSE(q->front().finding.queue.has_value());
  EXPECT_FALSE(q->front().finding.changed_by.has_value());
  auto old = (*s)->SnapshotAt(3);
  ASSERT_TRUE(old.ok());
  EXPECT_TRUE(*old == v1_org);
  // The next sweep stores v2 data and findings.
  const auto org = MakeV2Org();
  auto r = (*s)->CommitSweep(MakeInfo(kT0 + 3600), org, {OrgWideFinding(), QueueFinding(true)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto snap = (*s)->SnapshotAt(r->sweep_id);
  ASSERT_TRUE(snap.ok());
  EXPECT_TRUE(*snap == org);
  v = (*s)->Verify();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->problems.front();
  {
    RawDb raw(path);
    ASSERT_EQ(raw.Exec("UPDATE queue_members SET joined = 1 - joined WHERE row_id = 1"), SQLITE_OK);
  }
  v = (*s)->Verify();
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->first_bad_sweep, r->sweep_id);
}

// Pruning keeps v2 rows of the kept state under the anchor digest.
TEST(V2DataTest, PruneRebasesV2RowsUnderTheAnchor) {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.File("v2.db");
  auto s = SqliteSnapshotStore::Open(path, clock);
  ASSERT_TRUE(s.ok());
  const auto org = MakeV2Org();
  int64_t t = kT0;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE((*s)->CommitSweep(MakeInfo(t), org, {OrgWideFinding()}).ok());
    t += 86400;
  }
  auto p = (*s)->Prune(std::chrono::seconds(86400), t);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_TRUE(p->anchor_sweep.has_value());
  auto v = (*s)->Verify();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->problems.front();
  auto snap = (*s)->SnapshotAt(3);
  ASSERT_TRUE(snap.ok());
  EXPECT_TRUE(*snap == org);
  {
    RawDb raw(path);
    ASSERT_GT(raw.Int("SELECT count(*) FROM queue_members WHERE valid_from_sweep IS NULL"), 0);
    ASSERT_EQ(raw.Exec("UPDATE queue_members SET joined = 1 - joined WHERE row_id = 1"), SQLITE_OK);
  }
  v = (*s)->Verify();
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok);
}

}  // namespace
}  // namespace divaudit::storage

namespace divaudit::storage {
namespace {

// 100,000 queue members (1,000 queues of 100): committed, committed again unchanged (no row
// written or closed) and read back equal. The commit times are measured by bench/
// BM_CommitQueueMembers100k, not here.
TEST(V2DataScaleTest, HundredThousandQueueMembersCommitAndRebuild) {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.File("v2.db");
  auto s = SqliteSnapshotStore::Open(path, clock);
  ASSERT_TRUE(s.ok());
  audit::OrgSnapshot org = testing::MakeOrg();
  for (int q = 0; q < 1000; ++q) {
    const std::string id = "queue-" + std::to_string(100000 + q);
    org.queues.push_back({id, "Queue " + std::to_string(q), "div-" + std::to_string(q % 12)});
    for (int m = 0; m < 100; ++m) {
      org.queue_members.push_back({id,
                                   "0f8c1a2e-user-" + std::to_string(100000 + (q * 37 + m) % 20000),
                                   m % 4 == 0, m % 3 != 0});
    }
  }
  audit::Canonicalize(org);
  ASSERT_EQ(org.queue_members.size(), 100000u);
  Result<CommitResult> first = (*s)->CommitSweep(MakeInfo(kT0), org, {});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_GT(first->rows_inserted, 101'000);  // the members and queues, with the base org
  Result<CommitResult> again = (*s)->CommitSweep(MakeInfo(kT0 + 900), org, {});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->rows_inserted + again->rows_closed, 0);
  Result<audit::OrgSnapshot> snap = (*s)->SnapshotAt(again->sweep_id);
  ASSERT_TRUE(snap.ok());
  EXPECT_TRUE(*snap == org);
}

}  // namespace
}  // namespace divaudit::storage
