#include "storage/schema.h"

#include <string>

namespace divaudit::storage {
namespace {

// Temporal columns shared by every snapshot table. valid_from_sweep is NULL for rows whose
// first sweep was pruned (they hold since before the chain anchor).
#define DIVAUDIT_TEMPORAL                            \
  "row_id INTEGER PRIMARY KEY, "                     \
  "valid_from_sweep INTEGER REFERENCES sweeps(id), " \
  "valid_to_sweep INTEGER REFERENCES sweeps(id), "

// Per temporal table: valid_from for the per-sweep hash and point-in-time reads; a partial
// index on the (few) closed rows for the per-sweep hash of closes.
#define DIVAUDIT_TEMPORAL_INDEXES(t) \
  "CREATE INDEX " t "_from ON " t    \
  "(valid_from_sweep);"              \
  "CREATE INDEX " t "_to ON " t "(valid_to_sweep) WHERE valid_to_sweep IS NOT NULL;"

constexpr std::string_view kMigration1 =
    "CREATE TABLE sweeps ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " started_at INTEGER NOT NULL,"
    " finished_at INTEGER NOT NULL,"
    " status TEXT NOT NULL CHECK (status IN ('complete','partial','failed')),"
    " incomplete TEXT NOT NULL DEFAULT '[]',"
    " requests INTEGER NOT NULL DEFAULT 0,"
    " retries INTEGER NOT NULL DEFAULT 0,"
    " throttled INTEGER NOT NULL DEFAULT 0,"
    " coverage REAL NOT NULL DEFAULT 1.0,"
    " rule_set_version INTEGER NOT NULL,"
    " content_hash TEXT NOT NULL);"
    "CREATE INDEX sweeps_started ON sweeps(started_at);"
    "CREATE INDEX sweeps_status ON sweeps(status, id);"
    "CREATE TABLE divisions (" DIVAUDIT_TEMPORAL
    " id TEXT NOT NULL, name TEXT NOT NULL, description TEXT NOT NULL,"
    " home_division INTEGER NOT NULL);" DIVAUDIT_TEMPORAL_INDEXES("divisions")
    "CREATE TABLE roles (" DIVAUDIT_TEMPORAL
    " id TEXT NOT NULL, name TEXT NOT NULL);" DIVAUDIT_TEMPORAL_INDEXES("roles")
    "CREATE TABLE users (" DIVAUDIT_TEMPORAL
    " id TEXT NOT NULL, name TEXT NOT NULL, email TEXT NOT NULL,"
    " home_division_id TEXT NOT NULL, state TEXT NOT NULL);" DIVAUDIT_TEMPORAL_INDEXES("users")
    "CREATE INDEX users_id ON users(id);"
    "CREATE TABLE org_groups (" DIVAUDIT_TEMPORAL
    " id TEXT NOT NULL, name TEXT NOT NULL, roles_enabled INTEGER NOT NULL,"
    " members_read INTEGER NOT NULL);" DIVAUDIT_TEMPORAL_INDEXES("org_groups")
    "CREATE TABLE memberships (" DIVAUDIT_TEMPORAL
    " group_id TEXT NOT NULL, user_id TEXT NOT NULL);" DIVAUDIT_TEMPORAL_INDEXES("memberships")
    "CREATE TABLE oauth_clients (" DIVAUDIT_TEMPORAL
    " id TEXT NOT NULL, name TEXT NOT NULL, grant_type TEXT NOT NULL,"
    " state TEXT NOT NULL);" DIVAUDIT_TEMPORAL_INDEXES("oauth_clients")
    "CREATE TABLE client_roles (" DIVAUDIT_TEMPORAL
    " client_id TEXT NOT NULL, role_id TEXT NOT NULL,"
    " division_id TEXT NOT NULL);" DIVAUDIT_TEMPORAL_INDEXES("client_roles")
    "CREATE TABLE external_subjects (" DIVAUDIT_TEMPORAL
    " id TEXT NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL,"
    " genesys_type TEXT NOT NULL);" DIVAUDIT_TEMPORAL_INDEXES("external_subjects")
    "CREATE TABLE grants (" DIVAUDIT_TEMPORAL
    " subject_type TEXT NOT NULL, subject_id TEXT NOT NULL, role_id TEXT NOT NULL,"
    " division_id TEXT NOT NULL);" DIVAUDIT_TEMPORAL_INDEXES("grants")
    "CREATE INDEX grants_division ON grants(division_id);"
    "CREATE TABLE findings ("
    " fingerprint TEXT PRIMARY KEY,"
    " rule TEXT NOT NULL, severity TEXT NOT NULL,"
    " subject_type TEXT, subject_id TEXT, subject_name TEXT,"
    " role_id TEXT, role_name TEXT,"
    " division_id TEXT, division_name TEXT,"
    " via_type TEXT, via_group_id TEXT, via_group_name TEXT,"
    " tenant TEXT, tenants TEXT NOT NULL DEFAULT '[]',"
    " home_division_id TEXT, home_division_name TEXT, home_tenant TEXT,"
    " first_seen_sweep INTEGER REFERENCES sweeps(id), first_seen_at INTEGER NOT NULL,"
    " last_seen_sweep INTEGER REFERENCES sweeps(id), last_seen_at INTEGER NOT NULL,"
    " resolved_by_sweep INTEGER REFERENCES sweeps(id), resolved_at INTEGER,"
    " reopened_count INTEGER NOT NULL DEFAULT 0,"
    " state TEXT NOT NULL CHECK (state IN ('open','suppressed','resolved')),"
    " exception_reason TEXT, exception_owner TEXT, exception_expires TEXT);"
    "CREATE INDEX findings_first ON findings(first_seen_sweep);"
    "CREATE INDEX findings_state ON findings(state);";

constexpr std::string_view kMigration2 =
    "ALTER TABLE sweeps ADD COLUMN unknown_subject_types TEXT NOT NULL DEFAULT '{}';"
    "CREATE TABLE findings_events ("
    " id INTEGER PRIMARY KEY,"
    " sweep_id INTEGER REFERENCES sweeps(id),"
    " fingerprint TEXT NOT NULL REFERENCES findings(fingerprint),"
    " event TEXT NOT NULL CHECK (event IN"
    "   ('opened','resolved','reopened','suppressed','unsuppressed')));"
    "CREATE INDEX findings_events_sweep ON findings_events(sweep_id);"
    "CREATE INDEX findings_events_fp ON findings_events(fingerprint);"
    "CREATE TABLE chain_anchor ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " last_pruned_sweep INTEGER NOT NULL,"
    " last_pruned_hash TEXT NOT NULL,"
    " base_digest TEXT NOT NULL,"
    " pruned_at INTEGER NOT NULL);";

// v3: the id columns of the three largest tables (grants, memberships, client_roles) hold
// integer ids into the `ids` dictionary instead of repeated GUID strings (a 50,000-user org:
// ~500,000 grants of three 36-character GUIDs each). Row ids, valid_from/valid_to and the
// hash chain are unchanged: the hash decodes ids back to their text (storage/README.md), so
// sweeps hashed before the migration still verify. grants_division and users_id (never
// queried; every insert paid for them) are gone.
// The *_text views show the tables as they were (for people with a sqlite3 shell).
#define DIVAUDIT_ID_TABLE(t, cols, select)                                                   \
  "CREATE TABLE " t "_v3 (" DIVAUDIT_TEMPORAL cols                                           \
  ");"                                                                                       \
  "INSERT INTO " t "_v3 SELECT row_id, valid_from_sweep, valid_to_sweep, " select " FROM " t \
  " ORDER BY row_id;"                                                                        \
  "DROP TABLE " t                                                                            \
  ";"                                                                                        \
  "ALTER TABLE " t "_v3 RENAME TO " t ";" DIVAUDIT_TEMPORAL_INDEXES(t)
#define DIVAUDIT_ID_OF(c) "(SELECT id FROM ids WHERE value = " c ")"
#define DIVAUDIT_JOIN_ID(alias, c) " LEFT JOIN ids " alias " ON " alias ".id = x." c

constexpr std::string_view kMigration3 =
    "DROP INDEX users_id;"
    "CREATE TABLE ids (id INTEGER PRIMARY KEY, value TEXT NOT NULL UNIQUE);"
    "INSERT INTO ids(value)"
    " SELECT subject_type FROM grants UNION SELECT subject_id FROM grants"
    " UNION SELECT role_id FROM grants UNION SELECT division_id FROM grants"
    " UNION SELECT group_id FROM memberships UNION SELECT user_id FROM memberships"
    " UNION SELECT client_id FROM client_roles UNION SELECT role_id FROM client_roles"
    " UNION SELECT division_id FROM client_roles;" DIVAUDIT_ID_TABLE(
        "grants",
        " subject_type INTEGER NOT NULL, subject_id INTEGER NOT NULL, role_id INTEGER NOT NULL,"
        " division_id INTEGER NOT NULL",
        DIVAUDIT_ID_OF("subject_type") ", " DIVAUDIT_ID_OF("subject_id") ", " DIVAUDIT_ID_OF(
            "role_id") ", " DIVAUDIT_ID_OF("division_id"))
        DIVAUDIT_ID_TABLE("memberships", " group_id INTEGER NOT NULL, user_id INTEGER NOT NULL",
                          DIVAUDIT_ID_OF("group_id") ", " DIVAUDIT_ID_OF("user_id"))
            DIVAUDIT_ID_TABLE("client_roles",
                              " client_id INTEGER NOT NULL, role_id INTEGER NOT NULL,"
                              " division_id INTEGER NOT NULL",
                              DIVAUDIT_ID_OF("client_id") ", " DIVAUDIT_ID_OF(
                                  "role_id") ", " DIVAUDIT_ID_OF("division_id"))
    "CREATE VIEW grants_text AS SELECT x.row_id, x.valid_from_sweep, x.valid_to_sweep,"
    " t.value AS subject_type, s.value AS subject_id, r.value AS role_id,"
    " d.value AS division_id FROM grants x" DIVAUDIT_JOIN_ID("t", "subject_type")
        DIVAUDIT_JOIN_ID("s", "subject_id") DIVAUDIT_JOIN_ID("r", "role_id")
            DIVAUDIT_JOIN_ID("d", "division_id") ";"
    "CREATE VIEW memberships_text AS SELECT x.row_id, x.valid_from_sweep, x.valid_to_sweep,"
    " g.value AS group_id, u.value AS user_id FROM memberships x" DIVAUDIT_JOIN_ID("g", "group_id")
        DIVAUDIT_JOIN_ID("u", "user_id") ";"
    "CREATE VIEW client_roles_text AS SELECT x.row_id, x.valid_from_sweep, x.valid_to_sweep,"
    " c.value AS client_id, r.value AS role_id, d.value AS division_id FROM client_roles x"
        DIVAUDIT_JOIN_ID("c", "client_id") DIVAUDIT_JOIN_ID("r", "role_id")
            DIVAUDIT_JOIN_ID("d", "division_id") ";";

// v4: the org the database audits (GET /api/v2/organizations/me), recorded by the first sweep
// that read it; a sweep of another org is refused. Not part of the hash chain.
constexpr std::string_view kMigration4 =
    "CREATE TABLE audited_org ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " org_id TEXT NOT NULL,"
    " recorded_at INTEGER NOT NULL);";

// v5: the v2 snapshot data as temporal tables (storage/tables.h): the permission catalog,
// role permission policies, role settings (at most one current row; none = not read), routing
// queues, their member groups and members (queue and user ids in the `ids` dictionary: an org
// can have 100,000 member rows). Findings gain the v2 fields (permissions, divisions, queue as
// JSON, queue_id as identity, changed_by) and each opened/reopened event the changed_by it
// was opened with (chained). Sweeps hashed before v5 keep their bytes: a v5 table enters a
// sweep's hash only when the sweep wrote or closed rows in it.
constexpr std::string_view kMigration5 =
    "CREATE TABLE catalog_permissions (" DIVAUDIT_TEMPORAL
    " domain TEXT NOT NULL, entity_type TEXT NOT NULL, action TEXT NOT NULL,"
    " division_aware INTEGER NOT NULL);" DIVAUDIT_TEMPORAL_INDEXES("catalog_permissions")
    "CREATE TABLE role_policies (" DIVAUDIT_TEMPORAL
    " role_id TEXT NOT NULL, domain TEXT NOT NULL, entity_name TEXT NOT NULL,"
    " action_set TEXT NOT NULL, narrowed INTEGER NOT NULL);" DIVAUDIT_TEMPORAL_INDEXES(
        "role_policies")
    "CREATE TABLE role_settings (" DIVAUDIT_TEMPORAL
    " grant_division_aware INTEGER NOT NULL,"
    " backfill_enabled INTEGER NOT NULL);" DIVAUDIT_TEMPORAL_INDEXES("role_settings")
    "CREATE TABLE queues (" DIVAUDIT_TEMPORAL
    " id TEXT NOT NULL, name TEXT NOT NULL,"
    " division_id TEXT NOT NULL);" DIVAUDIT_TEMPORAL_INDEXES("queues")
    "CREATE TABLE queue_member_groups (" DIVAUDIT_TEMPORAL
    " queue_id TEXT NOT NULL, group_id TEXT NOT NULL, name TEXT NOT NULL,"
    " type TEXT NOT NULL);" DIVAUDIT_TEMPORAL_INDEXES("queue_member_groups")
    "CREATE TABLE queue_members (" DIVAUDIT_TEMPORAL
    " queue_id INTEGER NOT NULL, user_id INTEGER NOT NULL, via_group INTEGER NOT NULL,"
    " joined INTEGER NOT NULL);" DIVAUDIT_TEMPORAL_INDEXES("queue_members")
    "CREATE VIEW queue_members_text AS SELECT x.row_id, x.valid_from_sweep, x.valid_to_sweep,"
    " q.value AS queue_id, u.value AS user_id, x.via_group, x.joined FROM queue_members x"
        DIVAUDIT_JOIN_ID("q", "queue_id") DIVAUDIT_JOIN_ID("u", "user_id") ";"
    "ALTER TABLE findings ADD COLUMN permissions TEXT NOT NULL DEFAULT '[]';"
    "ALTER TABLE findings ADD COLUMN divisions TEXT NOT NULL DEFAULT '[]';"
    "ALTER TABLE findings ADD COLUMN queue_id TEXT;"
    "ALTER TABLE findings ADD COLUMN queue TEXT;"
    "ALTER TABLE findings ADD COLUMN changed_by TEXT;"
    "ALTER TABLE findings_events ADD COLUMN changed_by TEXT;";

// v6: conversation evidence (storage/evidence_store.h). Evidence is history: a row per
// conversation, recorded once by the sweep that first saw it (sweep_id), never resolved, pruned
// with that sweep. The read cursor (end of the last window read completely) and the conversations
// that had not ended are the state the next sweep starts from. Times in Unix milliseconds; id
// lists are JSON arrays. Not part of the hash chain (docs/storage.md).
constexpr std::string_view kMigration6 =
    "CREATE TABLE evidence_conversations ("
    " conversation_id TEXT PRIMARY KEY,"
    " sweep_id INTEGER NOT NULL,"
    " start_ms INTEGER NOT NULL,"
    " end_ms INTEGER,"
    " division_ids TEXT NOT NULL,"
    " tenants TEXT NOT NULL,"
    " queue_ids TEXT NOT NULL,"
    " user_ids TEXT NOT NULL);"
    "CREATE INDEX evidence_conversations_by_sweep ON evidence_conversations (sweep_id);"
    "CREATE TABLE evidence_windows ("
    " start_ms INTEGER PRIMARY KEY,"
    " end_ms INTEGER NOT NULL,"
    " sweep_id INTEGER NOT NULL,"
    " conversations INTEGER NOT NULL,"
    " pages INTEGER NOT NULL);"
    "CREATE TABLE evidence_pending ("
    " conversation_id TEXT PRIMARY KEY,"
    " since_sweep INTEGER NOT NULL);"
    "CREATE TABLE evidence_state ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " read_until_ms INTEGER,"
    " sweep_id INTEGER NOT NULL,"
    " available INTEGER NOT NULL,"
    " stopped TEXT NOT NULL);";

// v7: where evidence stood after each sweep that read it (storage/evidence_store.h, StatusAt),
// so that a report or attestation as of an older sweep states what was read by then, not what
// has been read since. Rebuilt for older sweeps from what v6 kept: a sweep that recorded windows
// had read up to the end of the last window recorded by then (windows are read in order), and
// the last sweep's row is evidence_state itself. A v6 sweep refused the details that recorded
// no window is not known as such.
constexpr std::string_view kMigration7 =
    "CREATE TABLE evidence_sweeps ("
    " sweep_id INTEGER PRIMARY KEY,"
    " read_until_ms INTEGER,"
    " available INTEGER NOT NULL,"
    " stopped TEXT NOT NULL);"
    "INSERT INTO evidence_sweeps (sweep_id, read_until_ms, available, stopped)"
    " SELECT sweep_id, max(max(end_ms)) OVER (ORDER BY sweep_id), 1, ''"
    " FROM evidence_windows GROUP BY sweep_id;"
    "INSERT OR REPLACE INTO evidence_sweeps (sweep_id, read_until_ms, available, stopped)"
    " SELECT sweep_id, read_until_ms, available, stopped FROM evidence_state;";

// v8: evidence_state goes. Since v7 it repeats the newest evidence_sweeps row (which retention
// keeps), so the cursor is read from there: one place holds each sweep's evidence state. A row
// of evidence_state that v7 did not copy (none should exist) is copied before the drop.
constexpr std::string_view kMigration8 =
    "INSERT OR IGNORE INTO evidence_sweeps (sweep_id, read_until_ms, available, stopped)"
    " SELECT sweep_id, read_until_ms, available, stopped FROM evidence_state;"
    "DROP TABLE evidence_state;";

#undef DIVAUDIT_TEMPORAL
#undef DIVAUDIT_TEMPORAL_INDEXES
#undef DIVAUDIT_ID_TABLE
#undef DIVAUDIT_ID_OF
#undef DIVAUDIT_JOIN_ID

}  // namespace

std::string_view MigrationSql(int version) {
  switch (version) {
    case 1:
      return kMigration1;
    case 2:
      return kMigration2;
    case 3:
      return kMigration3;
    case 4:
      return kMigration4;
    case 5:
      return kMigration5;
    case 6:
      return kMigration6;
    case 7:
      return kMigration7;
    case 8:
      return kMigration8;
    default:
      return {};
  }
}

Status MigrateSchema(Db& db) {
  DIVAUDIT_ASSIGN_OR_RETURN(int64_t version, db.QueryInt("PRAGMA user_version"));
  if (version > kSchemaVersion) {
    return FailedPreconditionError(db.path() + ": database schema version " +
                                   std::to_string(version) +
                                   " is newer than this divaudit supports (version " +
                                   std::to_string(kSchemaVersion) + "); upgrade divaudit");
  }
  if (version < 0) {
    return DataLossError(db.path() + ": invalid schema version " + std::to_string(version));
  }
  for (int v = static_cast<int>(version) + 1; v <= kSchemaVersion; ++v) {
    DIVAUDIT_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
    // Another connection may have migrated while this one waited for the write lock.
    Result<int64_t> now = db.QueryInt("PRAGMA user_version");
    if (!now.ok() || *now >= v) {
      (void)db.Exec("ROLLBACK");
      if (!now.ok()) return now.status();
      if (*now > kSchemaVersion) return MigrateSchema(db);  // the precise "newer" error
      v = static_cast<int>(*now);
      continue;
    }
    Status s = db.Exec(MigrationSql(v));
    if (s.ok()) s = db.Exec("PRAGMA user_version = " + std::to_string(v));
    if (s.ok()) s = db.Exec("COMMIT");
    if (!s.ok()) {
      (void)db.Exec("ROLLBACK");
      return s.WithPrefix("migration to schema version " + std::to_string(v));
    }
  }
  return Status::Ok();
}

}  // namespace divaudit::storage
