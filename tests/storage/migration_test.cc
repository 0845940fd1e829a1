#include <gtest/gtest.h>

#include <chrono>
#include <map>

#include "common/clock.h"
#include "storage/schema.h"
#include "storage/sqlite_snapshot_store.h"
#include "tests/storage/store_test_util.h"

namespace divaudit::storage {
namespace {

using testing::RawDb;
using testing::TempDir;

// The schema as version 1 of divaudit created it. Frozen: never edit (it is what old
// databases in the field look like).
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE sweeps ( id INTEGER PRIMARY KEY AUTOINCREMENT, started_at INTEGER NOT NULL, finished_at INTEGER NOT NULL, status TEXT NOT NULL CHECK (status IN ('complete','partial','failed')), incomplete TEXT NOT NULL DEFAULT '[]', requests INTEGER NOT NULL DEFAULT 0, retries INTEGER NOT NULL DEFAULT 0, throttled INTEGER NOT NULL DEFAULT 0, coverage REAL NOT NULL DEFAULT 1.0, rule_set_version INTEGER NOT NULL, content_hash TEXT NOT NULL);
CREATE INDEX sweeps_started ON sweeps(started_at);
CREATE INDEX sweeps_status ON sweeps(status, id);
CREATE TABLE divisions (row_id INTEGER PRIMARY KEY, valid_from_sweep INTEGER REFERENCES sweeps(id), valid_to_sweep INTEGER REFERENCES sweeps(id),  id TEXT NOT NULL, name TEXT NOT NULL, description TEXT NOT NULL, home_division INTEGER NOT NULL);
CREATE INDEX divisions_from ON divisions(valid_from_sweep);
CREATE INDEX divisions_to ON divisions(valid_to_sweep) WHERE valid_to_sweep IS NOT NULL;
CREATE TABLE roles (row_id INTEGER PRIMARY KEY, valid_from_sweep INTEGER REFERENCES sweeps(id), valid_to_sweep INTEGER REFERENCES sweeps(id),  id TEXT NOT NULL, name TEXT NOT NULL);
CREATE INDEX roles_from ON roles(valid_from_sweep);
CREATE INDEX roles_to ON roles(valid_to_sweep) WHERE valid_to_sweep IS NOT NULL;
CREATE TABLE users (row_id INTEGER PRIMARY KEY, valid_from_sweep INTEGER REFERENCES sweeps(id), valid_to_sweep INTEGER REFERENCES sweeps(id),  id TEXT NOT NULL, name TEXT NOT NULL, email TEXT NOT NULL, home_division_id TEXT NOT NULL, state TEXT NOT NULL);
CREATE INDEX users_from ON users(valid_from_sweep);
CREATE INDEX users_to ON users(valid_to_sweep) WHERE valid_to_sweep IS NOT NULL;
CREATE INDEX users_id ON users(id);
CREATE TABLE org_groups (row_id INTEGER PRIMARY KEY, valid_from_sweep INTEGER REFERENCES sweeps(id), valid_to_sweep INTEGER REFERENCES sweeps(id),  id TEXT NOT NULL, name TEXT NOT NULL, roles_enabled INTEGER NOT NULL, members_read INTEGER NOT NULL);
CREATE INDEX org_groups_from ON org_groups(valid_from_sweep);
CREATE INDEX org_groups_to ON org_groups(valid_to_sweep) WHERE valid_to_sweep IS NOT NULL;
CREATE TABLE memberships (row_id INTEGER PRIMARY KEY, valid_from_sweep INTEGER REFERENCES sweeps(id), valid_to_sweep INTEGER REFERENCES sweeps(id),  group_id TEXT NOT NULL, user_id TEXT NOT NULL);
CREATE INDEX memberships_from ON memberships(valid_from_sweep);
CREATE INDEX memberships_to ON memberships(valid_to_sweep) WHERE valid_to_sweep IS NOT NULL;
CREATE TABLE oauth_clients (row_id INTEGER PRIMARY KEY, valid_from_sweep INTEGER REFERENCES sweeps(id), valid_to_sweep INTEGER REFERENCES sweeps(id),  id TEXT NOT NULL, name TEXT NOT NULL, grant_type TEXT NOT NULL, state TEXT NOT NULL);
CREATE INDEX oauth_clients_from ON oauth_clients(valid_from_sweep);
CREATE INDEX oauth_clients_to ON oauth_clients(valid_to_sweep) WHERE valid_to_sweep IS NOT NULL;
CREATE TABLE client_roles (row_id INTEGER PRIMARY KEY, valid_from_sweep INTEGER REFERENCES sweeps(id), valid_to_sweep INTEGER REFERENCES sweeps(id),  client_id TEXT NOT NULL, role_id TEXT NOT NULL, division_id TEXT NOT NULL);
CREATE INDEX client_roles_from ON client_roles(valid_from_sweep);
CREATE INDEX client_roles_to ON client_roles(valid_to_sweep) WHERE valid_to_sweep IS NOT NULL;
CREATE TABLE external_subjects (row_id INTEGER PRIMARY KEY, valid_from_sweep INTEGER REFERENCES sweeps(id), valid_to_sweep INTEGER REFERENCES sweeps(id),  id TEXT NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL, genesys_type TEXT NOT NULL);
CREATE INDEX external_subjects_from ON external_subjects(valid_from_sweep);
CREATE INDEX external_subjects_to ON external_subjects(valid_to_sweep) WHERE valid_to_sweep IS NOT NULL;
CREATE TABLE grants (row_id INTEGER PRIMARY KEY, valid_from_sweep INTEGER REFERENCES sweeps(id), valid_to_sweep INTEGER REFERENCES sweeps(id),  subject_type TEXT NOT NULL, subject_id TEXT NOT NULL, role_id TEXT NOT NULL, division_id TEXT NOT NULL);
CREATE INDEX grants_from ON grants(valid_from_sweep);
CREATE INDEX grants_to ON grants(valid_to_sweep) WHERE valid_to_sweep IS NOT NULL;
CREATE INDEX grants_division ON grants(division_id);
CREATE TABLE findings ( fingerprint TEXT PRIMARY KEY, rule TEXT NOT NULL, severity TEXT NOT NULL, subject_type TEXT, subject_id TEXT, subject_name TEXT, role_id TEXT, role_name TEXT, division_id TEXT, division_name TEXT, via_type TEXT, via_group_id TEXT, via_group_name TEXT, tenant TEXT, tenants TEXT NOT NULL DEFAULT '[]', home_division_id TEXT, home_division_name TEXT, home_tenant TEXT, first_seen_sweep INTEGER REFERENCES sweeps(id), first_seen_at INTEGER NOT NULL, last_seen_sweep INTEGER REFERENCES sweeps(id), last_seen_at INTEGER NOT NULL, resolved_by_sweep INTEGER REFERENCES sweeps(id), resolved_at INTEGER, reopened_count INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL CHECK (state IN ('open','suppressed','resolved')), exception_reason TEXT, exception_owner TEXT, exception_expires TEXT);
CREATE INDEX findings_first ON findings(first_seen_sweep);
CREATE INDEX findings_state ON findings(state);
PRAGMA user_version = 1;
)sql";

audit::OrgSnapshot OneDivisionOrg() {
  audit::OrgSnapshot s;
  s.divisions.push_back({"div-1", "Acme Retail", "retail", false});
  s.roles.push_back({"role-1", "Admin"});
  s.grants.push_back({audit::SubjectType::kUser, "u-1", "role-1", "div-1"});
  return s;
}

TEST(MigrationTest, EmptyFileGetsTheCurrentSchema) {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.File("new.db");
  auto s = SqliteSnapshotStore::Open(path, clock);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  RawDb raw(path);
  EXPECT_EQ(raw.Int("PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM sqlite_master WHERE name = 'findings_events'"), 1);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM sqlite_master WHERE name = 'chain_anchor'"), 1);
  // Reopening is a no-op.
  s->reset();
  EXPECT_TRUE(SqliteSnapshotStore::Open(path, clock).ok());
}

TEST(MigrationTest, UpgradesAVersion1DatabaseKeepingItsHistoryVerifiable) {
  TempDir dir;
  FakeClock clock;
  audit::SweepInfo info;
  info.started_at_unix = 1790000000;
  info.finished_at_unix = 1790000070;
  info.status = audit::SweepStatus::kComplete;
  info.api_requests = 12;
  // The content of a sweep a v1 build wrote, with the hash the current build computes for it
  // (taken from a fresh database; Verify accepts hash layout 1, what v1 wrote, or 2).
  std::string hash;
  {
    auto fresh = SqliteSnapshotStore::Open(dir.File("fresh.db"), clock);
    ASSERT_TRUE(fresh.ok());
    auto r = (*fresh)->CommitSweep(info, OneDivisionOrg(), {});
    ASSERT_TRUE(r.ok());
    hash = r->content_hash;
  }
  const std::string path = dir.File("v1.db");
  {
    RawDb v1(path);
    ASSERT_EQ(v1.Exec(kSchemaV1), SQLITE_OK) << sqlite3_errmsg(v1.raw());
    std::string data =
        "INSERT INTO sweeps(started_at, finished_at, status, incomplete, requests, "
        "retries, throttled, coverage, rule_set_version, content_hash) VALUES("
        "1790000000, 1790000070, 'complete', '[]', 12, 0, 0, 1.0, " +
        std::to_string(audit::kRuleSetVersion) + ", '" + hash +
        "');"
        "INSERT INTO divisions(valid_from_sweep, id, name, description, "
        "home_division) VALUES(1, 'div-1', 'Acme Retail', 'retail', 0);"
        "INSERT INTO roles(valid_from_sweep, id, name) VALUES(1, 'role-1', "
        "'Admin');"
        "INSERT INTO grants(valid_from_sweep, subject_type, subject_id, role_id, "
        "division_id) VALUES(1, 'user', 'u-1', 'role-1', 'div-1');";
    ASSERT_EQ(v1.Exec(data), SQLITE_OK) << sqlite3_errmsg(v1.raw());
  }
  auto s = SqliteSnapshotStore::Open(path, clock);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto& store = *s;
  {
    RawDb raw(path);
    EXPECT_EQ(raw.Int("PRAGMA user_version"), kSchemaVersion);
    EXPECT_EQ(raw.Text("SELECT unknown_subject_types FROM sweeps WHERE id = 1"), "{}");
  }
  auto v = store->Verify();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->problems.front();
  auto snap = store->SnapshotAt(1);
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  EXPECT_EQ(*snap, OneDivisionOrg());
  info.started_at_unix += 900;
  info.finished_at_unix += 900;
  auto r = store->CommitSweep(info, OneDivisionOrg(), {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->sweep_id, 2);
  EXPECT_EQ(r->rows_inserted, 0);
  v = store->Verify();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok);
  EXPECT_EQ(v->sweeps_checked, 2);
}

TEST(MigrationTest, RefusesADatabaseFromTheFuture) {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.File("future.db");
  {
    RawDb raw(path);
    ASSERT_EQ(
        raw.Exec("CREATE TABLE t(x); PRAGMA user_version = " + std::to_string(kSchemaVersion + 1)),
        SQLITE_OK);
  }
  auto s = SqliteSnapshotStore::Open(path, clock);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kFailedPrecondition);
  const std::string m = s.status().message();
  EXPECT_NE(m.find(path), std::string::npos) << m;
  EXPECT_NE(m.find(std::to_string(kSchemaVersion + 1)), std::string::npos) << m;
  EXPECT_NE(m.find(std::to_string(kSchemaVersion)), std::string::npos) << m;
  RawDb raw(path);
  EXPECT_EQ(raw.Int("PRAGMA user_version"), kSchemaVersion + 1);  // untouched
  EXPECT_EQ(raw.Text("PRAGMA journal_mode"), "delete");
}

TEST(MigrationTest, NotADatabaseIsDataLossNamingTheFile) {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.File("junk.db");
  FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  for (int i = 0; i < 200; ++i) std::fputs("this is not a database file at all ", f);
  std::fclose(f);
  auto s = SqliteSnapshotStore::Open(path, clock);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(s.status().message().find(path), std::string::npos);
}

TEST(MigrationTest, EveryMigrationHasSql) {
  for (int v = 1; v <= kSchemaVersion; ++v) EXPECT_FALSE(MigrationSql(v).empty()) << v;
  EXPECT_TRUE(MigrationSql(kSchemaVersion + 1).empty());
}

}  // namespace
}  // namespace divaudit::storage

namespace divaudit::storage {
namespace {

// "a, b, c": the columns of `table` in `db` (in table order).
std::string ColumnsOf(RawDb& db, const std::string& table) {
  return db.Text("SELECT group_concat(name, ', ') FROM pragma_table_info('" + table + "')");
}

// Undoes migrations 5 to 8 on a file this build wrote (what a v4 file looks like).
constexpr const char* kDropV5 =
    "DROP TABLE IF EXISTS evidence_conversations; DROP TABLE IF EXISTS evidence_windows;"
    "DROP TABLE IF EXISTS evidence_pending; DROP TABLE IF EXISTS evidence_sweeps;"
    "DROP VIEW queue_members_text;"
    "DROP TABLE catalog_permissions; DROP TABLE role_policies; DROP TABLE role_settings;"
    "DROP TABLE queues; DROP TABLE queue_member_groups; DROP TABLE queue_members;"
    "ALTER TABLE findings DROP COLUMN permissions; ALTER TABLE findings DROP COLUMN divisions;"
    "ALTER TABLE findings DROP COLUMN queue_id; ALTER TABLE findings DROP COLUMN queue;"
    "ALTER TABLE findings DROP COLUMN changed_by;"
    "ALTER TABLE findings_events DROP COLUMN changed_by;"
    "PRAGMA user_version = 4;";

// A history written by this build, copied into a version-2 file (the id columns as text, as v2
// stored them), then opened: the v2 -> v3 migration must keep every rebuild, the diff, the hash
// chain (with a prune anchor) and the next sweep's hash exactly as they were.
TEST(MigrationTest, UpgradesAVersion2DatabaseKeepingRebuildsAndTheChain) {
  TempDir dir;
  FakeClock clock;
  constexpr int64_t kT0 = 1790000000;
  auto org1 = testing::MakeOrg();
  auto org2 = org1;
  org2.grants.erase(org2.grants.begin() + 3);
  org2.groups[0].member_ids.erase(org2.groups[0].member_ids.begin());
  org2.oauth_clients[1].role_divisions[0].division_id = "div-2";
  org2.grants.push_back({audit::SubjectType::kUser, "user-new", "role-1", "div-3"});
  audit::Canonicalize(org2);
  auto org3 = org2;
  org3.users.pop_back();
  org3.grants.pop_back();
  audit::Canonicalize(org3);
  const std::vector<audit::Finding> findings = {testing::MakeFinding("user-1", "div-7")};

  const std::string fresh_path = dir.File("fresh.db");
  std::vector<int64_t> kept;
  std::map<int64_t, audit::OrgSnapshot> snapshots;
  {
    auto s = SqliteSnapshotStore::Open(fresh_path, clock);
    ASSERT_TRUE(s.ok());
    auto& store = *s;
    int64_t t = kT0;
    for (const auto* org : {&org1, &org2, &org1, &org3}) {
      auto r = store->CommitSweep(testing::MakeInfo(t), *org, findings);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      snapshots[r->sweep_id] = *org;
      t += 86400;
    }
    auto partial = store->CommitSweep(testing::MakeInfo(t, audit::SweepStatus::kPartial), org1, {});
    ASSERT_TRUE(partial.ok());
    // Prune the first sweep: an anchor and rows with valid_from_sweep NULL.
    auto p = store->Prune(std::chrono::seconds(4 * 86400 - 1), t);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    ASSERT_EQ(p->anchor_sweep, 1);
    snapshots.erase(1);
  }
  const std::string v2_path = dir.File("v2.db");
  {
    RawDb v2(v2_path);
    ASSERT_EQ(v2.Exec(kSchemaV1), SQLITE_OK) << sqlite3_errmsg(v2.raw());
    ASSERT_EQ(v2.Exec(std::string(MigrationSql(2)) + "PRAGMA user_version = 2;"), SQLITE_OK)
        << sqlite3_errmsg(v2.raw());
    std::string copy = "ATTACH '" + fresh_path + "' AS src; BEGIN;";
    for (const char* t : {"sweeps", "divisions", "roles", "users", "org_groups", "oauth_clients",
                          "external_subjects", "chain_anchor"}) {
      copy += std::string("INSERT INTO main.") + t + " SELECT * FROM src." + t + ";";
    }
    // findings and findings_events have v5 columns in the fresh file: copy the v2 ones.
    for (const char* t : {"findings", "findings_events"}) {
      copy += std::string("INSERT INTO main.") + t + " SELECT " + ColumnsOf(v2, t) + " FROM src." +
              t + ";";
    }
    for (const char* t : {"grants", "memberships", "client_roles"}) {
      copy += std::string("INSERT INTO main.") + t + " SELECT * FROM src." + t + "_text;";
    }
    copy += "COMMIT; DETACH src;";
    ASSERT_EQ(v2.Exec(copy), SQLITE_OK) << sqlite3_errmsg(v2.raw());
    EXPECT_EQ(v2.Text("SELECT typeof(subject_id) FROM grants LIMIT 1"), "text");
    EXPECT_GT(v2.Int("SELECT count(*) FROM grants WHERE valid_from_sweep IS NULL"), 0);
  }

  auto s = SqliteSnapshotStore::Open(v2_path, clock);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto& store = *s;
  {
    RawDb raw(v2_path);
    EXPECT_EQ(raw.Int("PRAGMA user_version"), kSchemaVersion);
    EXPECT_EQ(raw.Text("SELECT typeof(subject_id) FROM grants LIMIT 1"), "integer");
    EXPECT_EQ(raw.Int("SELECT count(*) FROM sqlite_master WHERE name = 'grants_division'"), 0);
    EXPECT_EQ(raw.Int("SELECT count(*) FROM sqlite_master WHERE name = 'users_id'"), 0);
    EXPECT_EQ(raw.Int("SELECT count(*) FROM sqlite_master WHERE name = 'grants_from'"), 1);
    RawDb fresh(fresh_path);
    for (const char* t : {"grants_text", "memberships_text", "client_roles_text"}) {
      const std::string q = std::string(
                                "SELECT group_concat(row_id || '|' || ifnull("
                                "valid_from_sweep, '-') || '|' || ifnull(valid_to_sweep, "
                                "'-'), ',') FROM (SELECT * FROM ") +
                            t + " ORDER BY row_id)";
      EXPECT_EQ(raw.Text(q), fresh.Text(q)) << t;
    }
    EXPECT_EQ(raw.Int("SELECT count(*) FROM grants_text WHERE subject_id IS NULL"), 0);
  }
  auto v = store->Verify();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->problems.front();
  EXPECT_EQ(v->sweeps_checked, 4);
  for (const auto& [id, org] : snapshots) {
    auto snap = store->SnapshotAt(id);
    ASSERT_TRUE(snap.ok()) << snap.status().ToString();
    EXPECT_TRUE(*snap == org) << "sweep " << id;
  }
  auto d = store->Diff(2, 4);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->users_removed.size(), 1u);
  EXPECT_EQ(d->grants_removed.size(), 1u);
  EXPECT_EQ(d->grants_added.size(), 0u);

  // The next sweep hashes the same on the migrated file as on the file written as v3.
  const auto info = testing::MakeInfo(kT0 + int64_t{10} * 86400);
  auto next = store->CommitSweep(info, org2, findings);
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  auto fresh = SqliteSnapshotStore::Open(fresh_path, clock);
  ASSERT_TRUE(fresh.ok());
  auto fresh_next = (*fresh)->CommitSweep(info, org2, findings);
  ASSERT_TRUE(fresh_next.ok());
  EXPECT_GT(next->rows_inserted + next->rows_closed, 0);
  EXPECT_EQ(next->rows_inserted, fresh_next->rows_inserted);
  EXPECT_EQ(next->rows_closed, fresh_next->rows_closed);
  EXPECT_EQ(next->content_hash, fresh_next->content_hash);
  v = store->Verify();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->problems.front();
  auto snap = store->SnapshotAt(next->sweep_id);
  ASSERT_TRUE(snap.ok());
  EXPECT_TRUE(*snap == org2);

  // Editing the dictionary rewrites every row using the value: detected.
  {
    RawDb raw(v2_path);
    ASSERT_EQ(raw.Exec("UPDATE ids SET value = 'div-x' WHERE value = 'div-3'"), SQLITE_OK);
  }
  v = store->Verify();
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok);
}

// v3 -> v4 adds audited_org and nothing else: a history written before it keeps every hash.
TEST(MigrationTest, UpgradesAVersion3DatabaseKeepingItsChainAndRecordingTheOrgAfterwards) {
  TempDir dir;
  FakeClock clock;
  constexpr int64_t kT0 = 1790000000;
  const std::string path = dir.File("v3.db");
  std::string head;
  {
    auto s = SqliteSnapshotStore::Open(path, clock);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    auto r = (*s)->CommitSweep(testing::MakeInfo(kT0), testing::MakeOrg(),
                               {testing::MakeFinding("user-1", "div-3")});
    ASSERT_TRUE(r.ok());
    head = r->content_hash;
  }
  {
    RawDb raw(path);  // what a v3 file looks like: no v5/v6 tables and columns, no audited_org
    ASSERT_EQ(raw.Exec(kDropV5), SQLITE_OK) << sqlite3_errmsg(raw.raw());
    ASSERT_EQ(raw.Exec("DROP TABLE audited_org; PRAGMA user_version = 3;"), SQLITE_OK);
  }
  auto s = SqliteSnapshotStore::Open(path, clock);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  {
    RawDb raw(path);
    EXPECT_EQ(raw.Int("PRAGMA user_version"), kSchemaVersion);
    EXPECT_EQ(raw.Int("SELECT count(*) FROM audited_org"), 0);
  }
  auto v = (*s)->Verify();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->problems.front();
  EXPECT_EQ(v->head_hash, head);
  auto info = testing::MakeInfo(kT0 + 900);
  info.org_id = "org-1";
  ASSERT_TRUE((*s)->CommitSweep(info, testing::MakeOrg(), {}).ok());
  RawDb raw(path);
  EXPECT_EQ(raw.Text("SELECT org_id FROM audited_org"), "org-1");
}

}  // namespace
}  // namespace divaudit::storage
