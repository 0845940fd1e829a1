#include "storage/evidence_store.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "storage/json_columns.h"

namespace divaudit::storage {
namespace {

int64_t ToMs(SystemTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
SystemTime FromMs(int64_t ms) { return SystemTime(std::chrono::milliseconds(ms)); }

}  // namespace

Result<std::unique_ptr<EvidenceStore>> EvidenceStore::Open(const std::string& path, Db::Mode mode) {
  std::unique_ptr<EvidenceStore> store(new EvidenceStore());
  DIVAUDIT_RETURN_IF_ERROR(store->db_.Open(path, mode));
  DIVAUDIT_RETURN_IF_ERROR(store->db_.Exec("PRAGMA busy_timeout = 5000"));
  DIVAUDIT_ASSIGN_OR_RETURN(
      int64_t tables,
      store->db_.QueryInt("SELECT count(*) FROM sqlite_master WHERE name = 'evidence_sweeps'"));
  if (tables == 0) {
    return FailedPreconditionError(path + ": no evidence tables (schema older than version 7)");
  }
  return store;
}

Result<audit::EvidenceCursor> EvidenceStore::Cursor() {
  audit::EvidenceCursor cursor;
  {
    DIVAUDIT_ASSIGN_OR_RETURN(
        Stmt st,
        db_.Prepare("SELECT read_until_ms FROM evidence_sweeps ORDER BY sweep_id DESC LIMIT 1"));
    DIVAUDIT_ASSIGN_OR_RETURN(bool row, st.Step());
    if (row && !st.IsNull(0)) cursor.read_until = FromMs(st.Int(0));
  }
  DIVAUDIT_ASSIGN_OR_RETURN(
      Stmt st,
      db_.Prepare("SELECT conversation_id FROM evidence_pending ORDER BY conversation_id"));
  while (true) {
    DIVAUDIT_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    cursor.pending.push_back(st.Text(0));
  }
  return cursor;
}

Result<EvidenceAsOf> EvidenceStore::StatusAt(int64_t sweep_id) {
  DIVAUDIT_ASSIGN_OR_RETURN(
      Stmt st, db_.Prepare("SELECT sweep_id, available, read_until_ms FROM evidence_sweeps WHERE "
                           "sweep_id <= ?1 ORDER BY sweep_id DESC LIMIT 1"));
  st.Bind(1, sweep_id);
  EvidenceAsOf status;
  DIVAUDIT_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return status;
  status.recorded_by_sweep = st.Int(0);
  status.available = st.Int(1) != 0;
  if (!st.IsNull(2)) status.read_until_ms = st.Int(2);
  return status;
}

Result<std::vector<audit::ConversationEvidence>> EvidenceStore::Record(const EvidenceSweep& sweep) {
  Transaction tx(db_);
  DIVAUDIT_RETURN_IF_ERROR(tx.Begin("BEGIN IMMEDIATE"));
  std::vector<audit::ConversationEvidence> recorded;
  {
    DIVAUDIT_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("INSERT OR IGNORE INTO evidence_conversations (conversation_id, "
                             "sweep_id, start_ms, end_ms, division_ids, tenants, queue_ids, "
                             "user_ids) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
    for (const audit::ConversationEvidence& e : sweep.evidence) {
      const audit::Conversation& c = e.conversation;
      st.Reset();
      st.Bind(1, c.id).Bind(2, sweep.sweep_id).Bind(3, ToMs(c.start));
      st.Bind(4, c.end ? std::optional<int64_t>(ToMs(*c.end)) : std::nullopt);
      st.Bind(5, StringArrayJson(c.division_ids)).Bind(6, StringArrayJson(e.tenants));
      st.Bind(7, StringArrayJson(c.queue_ids)).Bind(8, StringArrayJson(c.user_ids));
      DIVAUDIT_RETURN_IF_ERROR(st.Run());
      if (db_.Changes() == 1) recorded.push_back(e);
    }
  }
  {
    DIVAUDIT_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("INSERT OR REPLACE INTO evidence_windows (start_ms, end_ms, "
                             "sweep_id, conversations, pages) VALUES (?1, ?2, ?3, ?4, ?5)"));
    for (const audit::EvidenceWindow& w : sweep.windows) {
      st.Reset();
      st.Bind(1, ToMs(w.start)).Bind(2, ToMs(w.end)).Bind(3, sweep.sweep_id);
      st.Bind(4, w.conversations).Bind(5, w.pages);
      DIVAUDIT_RETURN_IF_ERROR(st.Run());
    }
  }
  // Pending: keep the sweep that first saw a conversation open.
  DIVAUDIT_RETURN_IF_ERROR(
      db_.Exec("CREATE TEMP TABLE IF NOT EXISTS evidence_pending_new "
               "(conversation_id TEXT PRIMARY KEY); "
               "DELETE FROM evidence_pending_new"));
  {
    DIVAUDIT_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("INSERT OR IGNORE INTO evidence_pending_new VALUES (?1)"));
    for (const std::string& id : sweep.cursor.pending) {
      st.Reset();
      st.Bind(1, id);
      DIVAUDIT_RETURN_IF_ERROR(st.Run());
    }
  }
  DIVAUDIT_RETURN_IF_ERROR(
      db_.Exec("DELETE FROM evidence_pending WHERE conversation_id NOT IN "
               "(SELECT conversation_id FROM evidence_pending_new)"));
  {
    DIVAUDIT_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("INSERT OR IGNORE INTO evidence_pending (conversation_id, "
                             "since_sweep) SELECT conversation_id, ?1 FROM evidence_pending_new"));
    st.Bind(1, sweep.sweep_id);
    DIVAUDIT_RETURN_IF_ERROR(st.Run());
  }
  {
    // This sweep's state; the newest row is also where the next sweep starts (Cursor).
    DIVAUDIT_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("INSERT OR REPLACE INTO evidence_sweeps (sweep_id, read_until_ms, "
                             "available, stopped) VALUES (?1, ?2, ?3, ?4)"));
    st.Bind(1, sweep.sweep_id);
    st.Bind(2, sweep.cursor.read_until ? std::optional<int64_t>(ToMs(*sweep.cursor.read_until))
                                       : std::nullopt);
    st.Bind(3, sweep.available).Bind(4, sweep.stopped);
    DIVAUDIT_RETURN_IF_ERROR(st.Run());
  }
  DIVAUDIT_RETURN_IF_ERROR(tx.Commit());
  return recorded;
}

Result<std::vector<EvidenceRecord>> EvidenceStore::Query(const EvidenceQuery& q) {
  DIVAUDIT_ASSIGN_OR_RETURN(
      Stmt st, db_.Prepare("SELECT conversation_id, sweep_id, start_ms, end_ms, division_ids, "
                           "tenants, queue_ids, user_ids FROM evidence_conversations WHERE "
                           "(?1 IS NULL OR sweep_id >= ?1) AND (?2 IS NULL OR sweep_id <= ?2) "
                           "AND (?3 IS NULL OR start_ms >= ?3) AND (?4 IS NULL OR start_ms < ?4) "
                           "ORDER BY start_ms, conversation_id"));
  st.Bind(1, q.from_sweep).Bind(2, q.to_sweep).Bind(3, q.start_from_ms).Bind(4, q.start_before_ms);
  std::vector<EvidenceRecord> out;
  while (true) {
    DIVAUDIT_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    EvidenceRecord r;
    // The tenant filter first: a conversation of other tenants is not decoded further.
    r.evidence.tenants = ParseStringArray(st.Text(5));
    if (q.tenant && std::find(r.evidence.tenants.begin(), r.evidence.tenants.end(), *q.tenant) ==
                        r.evidence.tenants.end()) {
      continue;
    }
    audit::Conversation& c = r.evidence.conversation;
    c.id = st.Text(0);
    r.sweep_id = st.Int(1);
    c.start = FromMs(st.Int(2));
    if (!st.IsNull(3)) c.end = FromMs(st.Int(3));
    c.division_ids = ParseStringArray(st.Text(4));
    c.queue_ids = ParseStringArray(st.Text(6));
    c.user_ids = ParseStringArray(st.Text(7));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace divaudit::storage
