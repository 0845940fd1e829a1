#include "storage/prune.h"

#include <string>

#include "common/logging.h"
#include "storage/hash_chain.h"
#include "storage/id_dict.h"
#include "storage/tables.h"

namespace divaudit::storage {
namespace {

// The newest sweep to prune (0: nothing safe to prune). The oldest kept sweep is the first
// one started at/after the cutoff, but never past the last complete sweep (the current state
// must stay reconstructible).
Result<int64_t> LastSweepToPrune(Db& db, int64_t cutoff) {
  DIVAUDIT_ASSIGN_OR_RETURN(
      int64_t first_recent,
      db.QueryInt("SELECT coalesce(min(id), 0) FROM sweeps WHERE started_at >= " +
                  std::to_string(cutoff)));
  DIVAUDIT_ASSIGN_OR_RETURN(
      int64_t last_complete,
      db.QueryInt("SELECT coalesce(max(id), 0) FROM sweeps WHERE status = 'complete'"));
  int64_t keep = first_recent;
  if (keep == 0 || (last_complete != 0 && last_complete < keep)) keep = last_complete;
  if (keep == 0) return int64_t{0};
  return db.QueryInt("SELECT coalesce(max(id), 0) FROM sweeps WHERE id < " + std::to_string(keep));
}

Status PruneTemporalRows(Db& db, const std::string& p, PruneResult& r) {
  for (const TableSpec& t : Tables()) {
    DIVAUDIT_RETURN_IF_ERROR(
        db.Exec(std::string("DELETE FROM ") + t.name + " WHERE valid_to_sweep <= " + p));
    r.rows_deleted += db.Changes();
    DIVAUDIT_RETURN_IF_ERROR(
        db.Exec(std::string("UPDATE ") + t.name +
                " SET valid_from_sweep = NULL WHERE valid_from_sweep <= " + p));
    r.rows_rebased += db.Changes();
  }
  return Status::Ok();
}

// Findings resolved within the pruned range go; the others keep only their latest pruned
// event (rebased onto the anchor) so that their state stays checkable.
Status PruneFindings(Db& db, const std::string& p, PruneResult& r) {
  DIVAUDIT_RETURN_IF_ERROR(db.Exec(
      "DELETE FROM findings_events WHERE fingerprint IN (SELECT fingerprint FROM findings WHERE "
      "state = 'resolved' AND resolved_by_sweep <= " +
      p + ")"));
  DIVAUDIT_RETURN_IF_ERROR(
      db.Exec("DELETE FROM findings WHERE state = 'resolved' AND resolved_by_sweep <= " + p));
  r.findings_deleted = db.Changes();
  DIVAUDIT_RETURN_IF_ERROR(
      db.Exec("DELETE FROM findings_events WHERE (sweep_id IS NULL OR sweep_id <= " + p +
              ") AND id NOT IN (SELECT max(id) FROM findings_events WHERE sweep_id IS NULL OR "
              "sweep_id <= " +
              p + " GROUP BY fingerprint)"));
  DIVAUDIT_RETURN_IF_ERROR(
      db.Exec("UPDATE findings_events SET sweep_id = NULL WHERE sweep_id <= " + p));
  return db.Exec("UPDATE findings SET first_seen_sweep = NULL WHERE first_seen_sweep <= " + p +
                 "; UPDATE findings SET last_seen_sweep = NULL WHERE last_seen_sweep <= " + p +
                 "; UPDATE findings SET resolved_by_sweep = NULL WHERE resolved_by_sweep <= " + p);
}

Status WriteAnchor(Db& db, int64_t last_pruned, const std::string& last_pruned_hash,
                   int64_t pruned_at) {
  IdDict dict;
  DIVAUDIT_RETURN_IF_ERROR(dict.Load(db));
  DIVAUDIT_ASSIGN_OR_RETURN(std::string digest, ComputeAnchorDigest(db, dict));
  DIVAUDIT_ASSIGN_OR_RETURN(
      Stmt st, db.Prepare("INSERT OR REPLACE INTO chain_anchor(id, last_pruned_sweep, "
                          "last_pruned_hash, base_digest, pruned_at) VALUES(1, ?1, ?2, ?3, ?4)"));
  return st.Bind(1, last_pruned).Bind(2, last_pruned_hash).Bind(3, digest).Bind(4, pruned_at).Run();
}

}  // namespace

Result<PruneResult> PruneSweeps(Db& db, std::chrono::seconds retention, int64_t now_unix,
                                int64_t pruned_at) {
  PruneResult r;
  Transaction tx(db);
  DIVAUDIT_RETURN_IF_ERROR(tx.Begin("BEGIN IMMEDIATE"));
  DIVAUDIT_ASSIGN_OR_RETURN(int64_t last_pruned,
                            LastSweepToPrune(db, now_unix - retention.count()));
  if (last_pruned == 0) {
    DIVAUDIT_RETURN_IF_ERROR(tx.Commit());
    return r;
  }
  const std::string p = std::to_string(last_pruned);
  std::string last_pruned_hash;
  {
    DIVAUDIT_ASSIGN_OR_RETURN(Stmt st, db.Prepare("SELECT content_hash FROM sweeps WHERE id = ?1"));
    st.Bind(1, last_pruned);
    DIVAUDIT_ASSIGN_OR_RETURN(bool row, st.Step());
    if (row) last_pruned_hash = st.Text(0);
  }
  DIVAUDIT_RETURN_IF_ERROR(PruneTemporalRows(db, p, r));
  DIVAUDIT_RETURN_IF_ERROR(PruneFindings(db, p, r));
  // Conversation evidence is history: it goes with the sweep that recorded it. Of the
  // per-sweep states, the last one up to the anchor stays: it is the state of the kept sweeps
  // that read no evidence before one that did.
  DIVAUDIT_RETURN_IF_ERROR(db.Exec(
      "DELETE FROM evidence_conversations WHERE sweep_id <= " + p +
      "; DELETE FROM evidence_windows WHERE sweep_id <= " + p +
      "; DELETE FROM evidence_sweeps WHERE sweep_id < (SELECT max(sweep_id) FROM evidence_sweeps "
      "WHERE sweep_id <= " +
      p + ")"));
  DIVAUDIT_RETURN_IF_ERROR(db.Exec("DELETE FROM sweeps WHERE id <= " + p));
  r.sweeps_deleted = db.Changes();
  DIVAUDIT_RETURN_IF_ERROR(WriteAnchor(db, last_pruned, last_pruned_hash, pruned_at));
  DIVAUDIT_RETURN_IF_ERROR(tx.Commit());
  r.anchor_sweep = last_pruned;
  GetLogger("storage")->info(
      "event=pruned anchor_sweep={} sweeps_deleted={} rows_deleted={} rows_rebased={}", last_pruned,
      r.sweeps_deleted, r.rows_deleted, r.rows_rebased);
  return r;
}

}  // namespace divaudit::storage
