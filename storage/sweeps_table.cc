#include "storage/sweeps_table.h"

#include "audit/finding.h"
#include "storage/json_columns.h"

namespace divaudit::storage {
namespace {

constexpr const char* kSweepCols =
    "id, started_at, finished_at, status, incomplete, requests, retries, throttled, coverage, "
    "rule_set_version, unknown_subject_types, content_hash";

Result<audit::SweepStatus> StatusFromName(const std::string& name, const std::string& path,
                                          int64_t id) {
  for (auto s :
       {audit::SweepStatus::kComplete, audit::SweepStatus::kPartial, audit::SweepStatus::kFailed}) {
    if (audit::SweepStatusName(s) == name) return s;
  }
  return DataLossError(path + ": table sweeps, id " + std::to_string(id) + ": unknown status '" +
                       name + "'");
}

Result<SweepRecord> ReadSweepRow(const Stmt& st, const std::string& path) {
  SweepRecord r;
  r.info.id = st.Int(0);
  r.info.started_at_unix = st.Int(1);
  r.info.finished_at_unix = st.Int(2);
  DIVAUDIT_ASSIGN_OR_RETURN(r.info.status, StatusFromName(st.Text(3), path, r.info.id));
  r.info.incomplete = ParseStringArray(st.Text(4));
  r.info.api_requests = st.Int(5);
  r.info.retries = st.Int(6);
  r.info.throttled = st.Int(7);
  r.info.coverage_ratio = st.Double(8);
  r.rule_set_version = static_cast<int>(st.Int(9));
  r.info.unknown_subject_types = ParseCountMap(st.Text(10));
  r.content_hash = st.Text(11);
  return r;
}

// Binds ?1..?10 of the sweep columns (InsertSweep, UpdateSweep).
void BindSweep(Stmt& st, const audit::SweepInfo& info) {
  st.Bind(1, info.started_at_unix)
      .Bind(2, info.finished_at_unix)
      .Bind(3, audit::SweepStatusName(info.status))
      .Bind(4, StringArrayJson(info.incomplete))
      .Bind(5, info.api_requests)
      .Bind(6, info.retries)
      .Bind(7, info.throttled)
      .Bind(8, info.coverage_ratio)
      .Bind(9, audit::kRuleSetVersion)
      .Bind(10, CountMapJson(info.unknown_subject_types));
}

}  // namespace

Result<int64_t> InsertSweep(Db& db, const audit::SweepInfo& info) {
  DIVAUDIT_ASSIGN_OR_RETURN(
      Stmt st,
      db.Prepare("INSERT INTO sweeps(started_at, finished_at, status, incomplete, requests, "
                 "retries, throttled, coverage, rule_set_version, unknown_subject_types, "
                 "content_hash) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, '')"));
  BindSweep(st, info);
  DIVAUDIT_RETURN_IF_ERROR(st.Run());
  return static_cast<int64_t>(sqlite3_last_insert_rowid(db.raw()));
}

Status UpdateSweep(Db& db, int64_t id, const audit::SweepInfo& info) {
  DIVAUDIT_ASSIGN_OR_RETURN(
      Stmt st, db.Prepare("UPDATE sweeps SET started_at = ?1, finished_at = ?2, status = ?3, "
                          "incomplete = ?4, requests = ?5, retries = ?6, throttled = ?7, "
                          "coverage = ?8, rule_set_version = ?9, unknown_subject_types = ?10, "
                          "content_hash = '' WHERE id = ?11"));
  BindSweep(st, info);
  return st.Bind(11, id).Run();
}

Status SetSweepHash(Db& db, int64_t id, const std::string& hash) {
  DIVAUDIT_ASSIGN_OR_RETURN(Stmt st,
                            db.Prepare("UPDATE sweeps SET content_hash = ?2 WHERE id = ?1"));
  return st.Bind(1, id).Bind(2, hash).Run();
}

Result<int64_t> SweepHead(Db& db) {
  return db.QueryInt("SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'sweeps'), 0)");
}

Result<SweepRecord> ReadSweep(Db& db, int64_t id) {
  DIVAUDIT_ASSIGN_OR_RETURN(
      Stmt st, db.Prepare(std::string("SELECT ") + kSweepCols + " FROM sweeps WHERE id = ?1"));
  st.Bind(1, id);
  DIVAUDIT_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return NotFoundError(db.path() + ": no sweep " + std::to_string(id));
  return ReadSweepRow(st, db.path());
}

Result<std::vector<SweepRecord>> ListSweeps(Db& db, std::optional<int64_t> from_unix,
                                            std::optional<int64_t> to_unix) {
  DIVAUDIT_ASSIGN_OR_RETURN(
      Stmt st, db.Prepare(std::string("SELECT ") + kSweepCols +
                          " FROM sweeps WHERE started_at >= ?1 AND started_at <= ?2 ORDER BY id"));
  st.Bind(1, from_unix.value_or(INT64_MIN)).Bind(2, to_unix.value_or(INT64_MAX));
  std::vector<SweepRecord> out;
  while (true) {
    DIVAUDIT_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    DIVAUDIT_ASSIGN_OR_RETURN(SweepRecord r, ReadSweepRow(st, db.path()));
    out.push_back(std::move(r));
  }
  return out;
}

Result<SweepRecord> LastCompleteSweep(Db& db) {
  DIVAUDIT_ASSIGN_OR_RETURN(
      Stmt st, db.Prepare(std::string("SELECT ") + kSweepCols +
                          " FROM sweeps WHERE status = 'complete' ORDER BY id DESC LIMIT 1"));
  DIVAUDIT_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return NotFoundError(db.path() + ": no complete sweep stored");
  return ReadSweepRow(st, db.path());
}

Status CheckAuditedOrg(Db& db, const std::string& org_id, int64_t at_unix) {
  if (org_id.empty()) return Status::Ok();  // the sweep did not read the org
  DIVAUDIT_ASSIGN_OR_RETURN(Stmt st, db.Prepare("SELECT org_id FROM audited_org WHERE id = 1"));
  DIVAUDIT_ASSIGN_OR_RETURN(bool row, st.Step());
  if (row) {
    const std::string recorded = st.Text(0);
    if (recorded == org_id) return Status::Ok();
    return FailedPreconditionError("database " + db.path() + " audits org " + recorded +
                                   "; this sweep read org " + org_id +
                                   "; refusing to commit (one database per org: give this org "
                                   "its own [storage] path)");
  }
  DIVAUDIT_ASSIGN_OR_RETURN(
      Stmt ins, db.Prepare("INSERT INTO audited_org(id, org_id, recorded_at) VALUES(1, ?1, ?2)"));
  return ins.Bind(1, org_id).Bind(2, at_unix).Run();
}

}  // namespace divaudit::storage
