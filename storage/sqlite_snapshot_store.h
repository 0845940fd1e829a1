#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/clock.h"
#include "storage/db_file.h"
#include "storage/snapshot_store.h"
#include "storage/sqlite_db.h"

namespace divaudit::storage {

struct SqliteStoreOptions {
  // How long a write waits for another connection's lock before kUnavailable.
  int busy_timeout_ms = 5000;
  // Opens an existing database for reading only (findings, diff, report, verify): kNotFound
  // "no database at PATH" when it is missing; no file is created, migrated, chmodded or
  // written; CommitSweep and Prune fail. When no writer has the file open (no PATH-wal) it is
  // read as immutable, so read-only media work and no -wal/-shm is created.
  bool read_only = false;
  // Read-write opens hold an exclusive lock on PATH.lock for the store's lifetime (one writer
  // at a time; kUnavailable naming the holder's pid and command). Off only in tests that need
  // two writers on one file.
  bool writer_lock = true;
};

// SnapshotStore on one SQLite file (WAL, foreign keys on, synchronous=FULL, 32 MiB page cache,
// cached prepared statements, one BEGIN IMMEDIATE transaction per sweep). Schema:
// storage/schema.cc and storage/README.md. Thread-safe: every call holds an internal mutex. Several
// processes may open the same file (SQLite locking); writers wait up to busy_timeout_ms.
class SqliteSnapshotStore final : public SnapshotStore {
 public:
  // Opens or creates `path` (created 0600; an existing file's mode is never changed) and runs
  // pending migrations; with options.read_only see SqliteStoreOptions. A symbolic link or a
  // non-regular file at PATH, PATH-wal or PATH-shm is refused (kFailedPrecondition). Errors:
  // kFailedPrecondition for a schema newer than this build (or, read-only, older), kNotFound
  // (read-only, missing), kPermissionDenied naming the path and the missing access,
  // kUnavailable (locked by another writer, busy), kDataLoss naming the file.
  //
  // Every commit first checks that PATH still names the opened file (kDataLoss when it was
  // deleted or replaced), that no other writer committed a sweep since this store last looked
  // (kFailedPrecondition: a stale sweep never commits after a newer one), and that the sweep's
  // org (SweepInfo::org_id, when set) is the one the database audits (kFailedPrecondition
  // naming both).
  static Result<std::unique_ptr<SqliteSnapshotStore>> Open(const std::string& path,
                                                           const Clock& clock,
                                                           SqliteStoreOptions options = {});
  ~SqliteSnapshotStore() override = default;

  Result<CommitResult> CommitSweep(const audit::SweepInfo& info, const audit::OrgSnapshot& snapshot,
                                   const std::vector<audit::Finding>& findings) override;
  std::unique_ptr<PendingSweep> BeginSweep() override;
  Result<CommitResult> CommitPendingSweep(std::unique_ptr<PendingSweep> pending,
                                          const audit::SweepInfo& info,
                                          const audit::OrgSnapshot& snapshot,
                                          const std::vector<audit::Finding>& findings) override;
  Result<std::vector<SweepRecord>> ListSweeps(std::optional<int64_t> from_unix,
                                              std::optional<int64_t> to_unix) override;
  Result<SweepRecord> LastCompleteSweep() override;
  Result<audit::OrgSnapshot> SnapshotAt(int64_t sweep_id) override;
  Result<std::vector<audit::Division>> DivisionsAt(int64_t sweep_id) override;
  Result<audit::SnapshotCounts> CountsAt(int64_t sweep_id) override;
  Result<std::vector<FindingRecord>> QueryFindings(const FindingFilter& filter) override;
  Result<SnapshotDiff> Diff(int64_t from_sweep, int64_t to_sweep) override;
  Result<VerifyResult> Verify() override;
  Result<PruneResult> Prune(std::chrono::seconds retention, int64_t now_unix) override;
  Result<std::vector<FindingEvent>> FindingEvents(int64_t from_unix, int64_t to_unix) override;
  Result<std::vector<ExceptionSeen>> ExceptionsSeen() override;

  const std::string& path() const { return db_.path(); }

 private:
  explicit SqliteSnapshotStore(const Clock& clock) : clock_(clock) {}

  Result<CommitResult> CommitLocked(const audit::SweepInfo& info,
                                    const audit::OrgSnapshot& snapshot,
                                    const std::vector<audit::Finding>& findings);
  // kNotFound for an unknown sweep, kFailedPrecondition for a partial/failed one.
  Status CheckCompleteLocked(int64_t sweep_id);
  Result<audit::OrgSnapshot> SnapshotAtLocked(int64_t sweep_id, bool only_divisions = false);
  // `read()` (a Result) under the lock, in one read transaction: every point-in-time read.
  template <typename Read>
  auto InReadTransaction(const Read& read) -> decltype(read());
  // Runs `commit` and logs its outcome (event=sweep_committed or sweep_commit_failed).
  template <typename Commit>
  Result<CommitResult> LogCommit(const audit::SweepInfo& info, const Commit& commit);
  // kInvalidArgument unless every finding has a fingerprint and is open or suppressed.
  Status CheckFindings(const std::vector<audit::Finding>& findings) const;

  // Read-only stores refuse; kDataLoss when the path no longer names the opened file.
  Status CheckWritable();
  // kFailedPrecondition when another writer committed a sweep since this store last looked.
  Status CheckNotStale();

  const Clock& clock_;
  std::mutex mu_;
  SqliteStoreOptions options_;
  std::optional<WriterLock> lock_;
  FileIdentity identity_;
  int64_t known_head_ = 0;  // the newest sweep id this store has seen (sqlite_sequence)
  Db db_;
  // The last committed pending sweep, kept until the next BeginSweep or the store's end, so
  // that its worker frees the current rows it held (25 ms for a 50,000-user org) while the
  // caller goes on, instead of the committing thread. Holds no lock and no transaction.
  std::unique_ptr<PendingSweep> retired_;
};

}  // namespace divaudit::storage
