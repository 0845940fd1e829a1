#include "storage/sqlite_snapshot_store.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "common/logging.h"
#include "common/time_util.h"
#include "storage/findings_table.h"
#include "storage/hash_chain.h"
#include "storage/id_dict.h"
#include "storage/pending_sweep.h"
#include "storage/prune.h"
#include "storage/schema.h"
#include "storage/sweeps_table.h"
#include "storage/tables.h"
#include "storage/temporal.h"

namespace divaudit::storage {
namespace {

constexpr std::chrono::milliseconds kMaxWalRetryPause{50};

// Switching a new file to WAL needs an exclusive lock, and SQLite answers SQLITE_BUSY at once
// (without the busy handler) while another connection is creating or switching the same file:
// two first opens at once. Retry for up to the busy timeout, as the busy handler would.
Status SwitchToWal(Db& db, int busy_timeout_ms) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max(busy_timeout_ms, 0));
  Result<bool> stepped = false;
  std::optional<Stmt> wal;
  for (auto pause = std::chrono::milliseconds(1);; pause = std::min(pause * 2, kMaxWalRetryPause)) {
    DIVAUDIT_ASSIGN_OR_RETURN(Stmt attempt, db.Prepare("PRAGMA journal_mode = WAL"));
    stepped = attempt.Step();
    if (stepped.ok() || stepped.status().code() != StatusCode::kUnavailable ||
        std::chrono::steady_clock::now() + pause > deadline) {
      wal.emplace(std::move(attempt));
      break;
    }
    std::this_thread::sleep_for(pause);
  }
  if (!stepped.ok()) return stepped.status();
  const bool row = *stepped;
  Stmt& wal_stmt = *wal;
  if (!row || wal_stmt.Text(0) != "wal") {
    return UnavailableError(db.path() + ": cannot switch to WAL mode (journal_mode=" +
                            (row ? wal_stmt.Text(0) : std::string("?")) + ")");
  }
  return Status::Ok();
}

// A reader cannot migrate: the file must be at this build's schema.
Status CheckReadableSchema(const std::string& path, int64_t version) {
  if (version == 0) {
    return FailedPreconditionError(path + " is not a divaudit database (schema version 0)");
  }
  if (version < kSchemaVersion) {
    return FailedPreconditionError(
        path + ": database schema version " + std::to_string(version) +
        " is older than this divaudit's (" + std::to_string(kSchemaVersion) +
        "); a read-only command does not migrate it: run `divaudit sweep` on it (or on a copy)");
  }
  return Status::Ok();
}

// Read-only: with no -wal (no writer has the file open) read the main file as it is, creating
// nothing; otherwise read-only through the writer's WAL.
Db::Mode ReadOnlyMode(const std::string& path) {
  struct stat st {};
  return ::lstat((path + "-wal").c_str(), &st) == 0 ? Db::Mode::kReadOnly : Db::Mode::kImmutable;
}

Status SetUpConnection(Db& db, const SqliteStoreOptions& options) {
  sqlite3_busy_timeout(db.raw(), options.busy_timeout_ms);
  // Refuse a newer schema before changing anything in the file.
  DIVAUDIT_ASSIGN_OR_RETURN(int64_t version, db.QueryInt("PRAGMA user_version"));
  if (version > kSchemaVersion) return MigrateSchema(db);  // returns the precise error
  if (options.read_only) {
    DIVAUDIT_RETURN_IF_ERROR(CheckReadableSchema(db.path(), version));
    return db.Exec("PRAGMA query_only = ON; PRAGMA cache_size = -8192;");
  }
  DIVAUDIT_RETURN_IF_ERROR(SwitchToWal(db, options.busy_timeout_ms));
  DIVAUDIT_RETURN_IF_ERROR(SetWriterPragmas(db));
  return MigrateSchema(db);
}

}  // namespace

bool SnapshotDiff::empty() const {
  return grants_added.empty() && grants_removed.empty() && memberships_added.empty() &&
         memberships_removed.empty() && users_moved.empty() && users_added.empty() &&
         users_removed.empty() && divisions_added.empty() && divisions_removed.empty() &&
         divisions_changed.empty() && clients_added.empty() && clients_removed.empty() &&
         clients_changed.empty() && permissions_added.empty() && permissions_removed.empty() &&
         permissions_changed.empty() && role_policies_changed.empty() && !role_settings_changed &&
         queues_added.empty() && queues_removed.empty() && queues_changed.empty() &&
         queue_members_added.empty() && queue_members_removed.empty();
}

Result<std::unique_ptr<SqliteSnapshotStore>> SqliteSnapshotStore::Open(const std::string& path,
                                                                       const Clock& clock,
                                                                       SqliteStoreOptions options) {
  std::unique_ptr<SqliteSnapshotStore> store(new SqliteSnapshotStore(clock));
  store->options_ = options;
  Db::Mode mode = Db::Mode::kReadWrite;
  if (options.read_only) {
    DIVAUDIT_RETURN_IF_ERROR(CheckReadableFile(path));
    mode = ReadOnlyMode(path);
  } else {
    DIVAUDIT_RETURN_IF_ERROR(PrepareWritableFile(path));
    if (options.writer_lock) {
      DIVAUDIT_ASSIGN_OR_RETURN(WriterLock lock, WriterLock::Acquire(path));
      store->lock_.emplace(std::move(lock));
    }
  }
  DIVAUDIT_ASSIGN_OR_RETURN(store->identity_, IdentityOf(path));
  DIVAUDIT_RETURN_IF_ERROR(store->db_.Open(path, mode));
  DIVAUDIT_RETURN_IF_ERROR(SetUpConnection(store->db_, options));
  DIVAUDIT_ASSIGN_OR_RETURN(store->known_head_, SweepHead(store->db_));
  return store;
}

Status SqliteSnapshotStore::CheckWritable() {
  if (options_.read_only) {
    return FailedPreconditionError(db_.path() + ": opened read-only; nothing can be written");
  }
  return CheckStillOpenedFile(db_.path(), identity_);
}

Status SqliteSnapshotStore::CheckNotStale() {
  DIVAUDIT_ASSIGN_OR_RETURN(const int64_t head, SweepHead(db_));
  if (head == known_head_) return Status::Ok();
  const int64_t seen = known_head_;
  known_head_ = head;  // the next sweep starts after this refusal, from the newest state
  return FailedPreconditionError(
      "database " + db_.path() + ": sweep " + std::to_string(head) +
      " was committed by another writer after this sweep began (this divaudit had seen up to "
      "sweep " +
      std::to_string(seen) + "); refusing to commit a stale sweep over a newer one");
}

Result<CommitResult> SqliteSnapshotStore::CommitSweep(const audit::SweepInfo& info,
                                                      const audit::OrgSnapshot& snapshot,
                                                      const std::vector<audit::Finding>& findings) {
  std::lock_guard<std::mutex> lock(mu_);
  return LogCommit(info, [&] { return CommitLocked(info, snapshot, findings); });
}

std::unique_ptr<PendingSweep> SqliteSnapshotStore::BeginSweep() {
  std::lock_guard<std::mutex> lock(mu_);
  retired_.reset();
  if (options_.read_only || !CheckWritable().ok()) return nullptr;  // the commit says why
  // The pending sweep's connection has its own page cache: hand back what this one holds from
  // earlier reads (the daemon reads the last snapshot when it starts).
  sqlite3_db_release_memory(db_.raw());
  auto pending = SqlitePendingSweep::Begin(db_.path(), options_.busy_timeout_ms, known_head_);
  if (!pending.ok()) {
    GetLogger("storage")->warn("event=sweep_begin_failed err=\"{}\" (committing at the end)",
                               pending.status().ToString());
    return nullptr;
  }
  return std::move(pending).value();
}

Result<CommitResult> SqliteSnapshotStore::CommitPendingSweep(
    std::unique_ptr<PendingSweep> pending, const audit::SweepInfo& info,
    const audit::OrgSnapshot& snapshot, const std::vector<audit::Finding>& findings) {
  auto* p = dynamic_cast<SqlitePendingSweep*>(pending.get());
  const bool complete = info.status == audit::SweepStatus::kComplete;
  if (p != nullptr && info.status != audit::SweepStatus::kFailed) {
    if (p->sealed() == nullptr) p->Seal(snapshot, complete);
    if (p->sealed() != &snapshot || p->sealed_complete() != complete) {
      GetLogger("storage")->warn(
          "event=sweep_pending_discarded err=\"sealed with another snapshot or status\"");
      p = nullptr;
    }
  } else {
    p = nullptr;
  }
  std::lock_guard<std::mutex> lock(mu_);
  return LogCommit(info, [&]() -> Result<CommitResult> {
    if (p != nullptr) {
      if (Status st = p->Wait(); !st.ok()) {
        GetLogger("storage")->warn("event=sweep_pending_failed err=\"{}\" (committing without it)",
                                   st.ToString());
        p = nullptr;
      }
    }
    if (p == nullptr) {
      pending.reset();  // rolls back what it wrote and releases the write lock
      return CommitLocked(info, snapshot, findings);
    }
    DIVAUDIT_RETURN_IF_ERROR(CheckFindings(findings));
    DIVAUDIT_RETURN_IF_ERROR(CheckWritable());
    DIVAUDIT_ASSIGN_OR_RETURN(CommitResult r, p->Commit(info, findings));
    known_head_ = r.sweep_id;
    retired_ = std::move(pending);  // frees its rows in the background (see retired_)
    return r;
  });
}

template <typename Commit>
Result<CommitResult> SqliteSnapshotStore::LogCommit(const audit::SweepInfo& info,
                                                    const Commit& commit) {
  const SteadyTime start = clock_.SteadyNow();
  Result<CommitResult> r = commit();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.SteadyNow() - start).count();
  auto log = GetLogger("storage");
  if (!r.ok()) {
    log->error("event=sweep_commit_failed status={} err=\"{}\"",
               audit::SweepStatusName(info.status), r.status().ToString());
  } else {
    log->info(
        "event=sweep_committed sweep_id={} status={} inserted={} closed={} new={} resolved={} "
        "reopened={} duration_ms={} content_hash={}",
        r->sweep_id, audit::SweepStatusName(info.status), r->rows_inserted, r->rows_closed,
        r->new_findings.size(), r->resolved_findings.size(), r->reopened_findings.size(), ms,
        r->content_hash);
  }
  return r;
}

Status SqliteSnapshotStore::CheckFindings(const std::vector<audit::Finding>& findings) const {
  for (const audit::Finding& f : findings) {
    if (f.fingerprint.empty() || f.state == audit::FindingState::kResolved) {
      return InvalidArgumentError(db_.path() +
                                  ": findings must carry a fingerprint and be open or suppressed");
    }
  }
  return Status::Ok();
}

Result<CommitResult> SqliteSnapshotStore::CommitLocked(
    const audit::SweepInfo& info, const audit::OrgSnapshot& snapshot,
    const std::vector<audit::Finding>& findings) {
  DIVAUDIT_RETURN_IF_ERROR(CheckFindings(findings));
  DIVAUDIT_RETURN_IF_ERROR(CheckWritable());
  Transaction tx(db_);
  DIVAUDIT_RETURN_IF_ERROR(tx.Begin("BEGIN IMMEDIATE"));
  DIVAUDIT_RETURN_IF_ERROR(CheckWritable());  // deleted or replaced while we waited
  DIVAUDIT_RETURN_IF_ERROR(CheckNotStale());
  DIVAUDIT_RETURN_IF_ERROR(CheckAuditedOrg(db_, info.org_id, info.started_at_unix));
  DIVAUDIT_ASSIGN_OR_RETURN(const std::string prev_hash, PreviousHash(db_));
  CommitResult result;
  DIVAUDIT_ASSIGN_OR_RETURN(result.sweep_id, InsertSweep(db_, info));
  IdDict dict;
  DIVAUDIT_RETURN_IF_ERROR(dict.Load(db_));
  std::optional<SnapshotWriter> writer;
  if (info.status != audit::SweepStatus::kFailed) {  // a failed sweep stores its row only
    writer.emplace(db_, dict, result.sweep_id);
    DIVAUDIT_RETURN_IF_ERROR(
        writer->Finish(snapshot, info.status == audit::SweepStatus::kComplete, result));
  }
  DIVAUDIT_RETURN_IF_ERROR(
      FinishSweepWrite(db_, info, prev_hash, writer ? &*writer : nullptr, findings, result));
  DIVAUDIT_RETURN_IF_ERROR(tx.Commit());
  known_head_ = result.sweep_id;
  return result;
}

Result<std::vector<SweepRecord>> SqliteSnapshotStore::ListSweeps(std::optional<int64_t> from_unix,
                                                                 std::optional<int64_t> to_unix) {
  std::lock_guard<std::mutex> lock(mu_);
  return storage::ListSweeps(db_, from_unix, to_unix);
}

Result<SweepRecord> SqliteSnapshotStore::LastCompleteSweep() {
  std::lock_guard<std::mutex> lock(mu_);
  return storage::LastCompleteSweep(db_);
}

template <typename Read>
auto SqliteSnapshotStore::InReadTransaction(const Read& read) -> decltype(read()) {
  std::lock_guard<std::mutex> lock(mu_);
  Transaction tx(db_);
  DIVAUDIT_RETURN_IF_ERROR(tx.Begin("BEGIN"));
  auto r = read();
  if (!r.ok()) return r;
  DIVAUDIT_RETURN_IF_ERROR(tx.Commit());
  return r;
}

Result<audit::OrgSnapshot> SqliteSnapshotStore::SnapshotAt(int64_t sweep_id) {
  return InReadTransaction([&] { return SnapshotAtLocked(sweep_id); });
}

Result<std::vector<audit::Division>> SqliteSnapshotStore::DivisionsAt(int64_t sweep_id) {
  return InReadTransaction([&]() -> Result<std::vector<audit::Division>> {
    DIVAUDIT_ASSIGN_OR_RETURN(audit::OrgSnapshot s,
                              SnapshotAtLocked(sweep_id, /*only_divisions=*/true));
    return std::move(s.divisions);
  });
}

Result<audit::SnapshotCounts> SqliteSnapshotStore::CountsAt(int64_t sweep_id) {
  return InReadTransaction([&]() -> Result<audit::SnapshotCounts> {
    DIVAUDIT_RETURN_IF_ERROR(CheckCompleteLocked(sweep_id));
    return CountRowsAt(db_, sweep_id);
  });
}

Status SqliteSnapshotStore::CheckCompleteLocked(int64_t sweep_id) {
  DIVAUDIT_ASSIGN_OR_RETURN(SweepRecord sweep, ReadSweep(db_, sweep_id));
  if (sweep.info.status != audit::SweepStatus::kComplete) {
    return FailedPreconditionError(db_.path() + ": sweep " + std::to_string(sweep_id) + " is " +
                                   std::string(audit::SweepStatusName(sweep.info.status)) +
                                   "; only complete sweeps can be reconstructed");
  }
  return Status::Ok();
}

Result<audit::OrgSnapshot> SqliteSnapshotStore::SnapshotAtLocked(int64_t sweep_id,
                                                                 bool only_divisions) {
  DIVAUDIT_RETURN_IF_ERROR(CheckCompleteLocked(sweep_id));
  return ReadSnapshotAt(db_, sweep_id, only_divisions);
}

Result<std::vector<FindingRecord>> SqliteSnapshotStore::QueryFindings(const FindingFilter& filter) {
  std::lock_guard<std::mutex> lock(mu_);
  return storage::QueryFindings(db_, filter);
}

Result<SnapshotDiff> SqliteSnapshotStore::Diff(int64_t from_sweep, int64_t to_sweep) {
  std::lock_guard<std::mutex> lock(mu_);
  Transaction tx(db_);
  DIVAUDIT_RETURN_IF_ERROR(tx.Begin("BEGIN"));
  DIVAUDIT_ASSIGN_OR_RETURN(audit::OrgSnapshot a, SnapshotAtLocked(from_sweep));
  DIVAUDIT_ASSIGN_OR_RETURN(audit::OrgSnapshot b, SnapshotAtLocked(to_sweep));
  DIVAUDIT_RETURN_IF_ERROR(tx.Commit());
  return DiffSnapshots(a, b, from_sweep, to_sweep);
}

Result<VerifyResult> SqliteSnapshotStore::Verify() {
  std::lock_guard<std::mutex> lock(mu_);
  VerifyResult v;
  Transaction tx(db_);
  DIVAUDIT_RETURN_IF_ERROR(tx.Begin("BEGIN"));
  {
    DIVAUDIT_ASSIGN_OR_RETURN(Stmt st, db_.Prepare("PRAGMA integrity_check"));
    while (true) {
      DIVAUDIT_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      if (st.Text(0) != "ok") AddProblem(v, "integrity_check: " + st.Text(0), std::nullopt);
    }
  }
  {
    DIVAUDIT_ASSIGN_OR_RETURN(Stmt st, db_.Prepare("PRAGMA foreign_key_check"));
    while (true) {
      DIVAUDIT_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      AddProblem(v,
                 "foreign_key_check: table " + st.Text(0) + " row " + st.Text(1) +
                     " references a missing row of " + st.Text(2),
                 std::nullopt);
    }
  }
  IdDict dict;
  DIVAUDIT_RETURN_IF_ERROR(dict.Load(db_));
  DIVAUDIT_RETURN_IF_ERROR(VerifyChain(db_, dict, v));
  DIVAUDIT_RETURN_IF_ERROR(VerifyFindingStates(db_, v));
  DIVAUDIT_RETURN_IF_ERROR(tx.Commit());
  return v;
}

Result<PruneResult> SqliteSnapshotStore::Prune(std::chrono::seconds retention, int64_t now_unix) {
  std::lock_guard<std::mutex> lock(mu_);
  DIVAUDIT_RETURN_IF_ERROR(CheckWritable());
  return PruneSweeps(db_, retention, now_unix, ToUnixSeconds(clock_.Now()));
}

Result<std::vector<FindingEvent>> SqliteSnapshotStore::FindingEvents(int64_t from_unix,
                                                                     int64_t to_unix) {
  std::lock_guard<std::mutex> lock(mu_);
  return storage::FindingEvents(db_, from_unix, to_unix);
}

Result<std::vector<ExceptionSeen>> SqliteSnapshotStore::ExceptionsSeen() {
  std::lock_guard<std::mutex> lock(mu_);
  return storage::ExceptionsSeen(db_);
}

}  // namespace divaudit::storage
