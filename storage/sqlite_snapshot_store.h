#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "common/clock.h"
#include "storage/snapshot_store.h"
#include "storage/sqlite_db.h"

namespace divaudit::storage {

struct SqliteStoreOptions {
  // How long a write waits for another connection's lock before kUnavailable.
  int busy_timeout_ms = 5000;
};

// SnapshotStore on one SQLite file (WAL, foreign keys on, synchronous=FULL, 8 MiB page cache,
// cached prepared statements, one BEGIN IMMEDIATE transaction per sweep). Schema:
// storage/schema.cc and storage/README.md. Thread-safe: every call holds an internal mutex. Several
// processes may open the same file (SQLite locking); writers wait up to busy_timeout_ms.
class SqliteSnapshotStore final : public SnapshotStore {
 public:
  // Opens or creates `path` (created 0600; an existing file or -wal/-shm readable by others is
  // tightened to 0600) and runs pending migrations. Errors: kFailedPrecondition for a schema
  // newer than this build, kPermissionDenied/kUnavailable/kDataLoss naming the file.
  static Result<std::unique_ptr<SqliteSnapshotStore>> Open(const std::string& path,
                                                           const Clock& clock,
                                                           SqliteStoreOptions options = {});
  ~SqliteSnapshotStore() override = default;

  Result<CommitResult> CommitSweep(const audit::SweepInfo& info, const audit::OrgSnapshot& snapshot,
                                   const std::vector<audit::Finding>& findings) override;
  Result<std::vector<SweepRecord>> ListSweeps(std::optional<int64_t> from_unix,
                                              std::optional<int64_t> to_unix) override;
  Result<SweepRecord> LastCompleteSweep() override;
  Result<audit::OrgSnapshot> SnapshotAt(int64_t sweep_id) override;
  Result<std::vector<FindingRecord>> QueryFindings(const FindingFilter& filter) override;
  Result<SnapshotDiff> Diff(int64_t from_sweep, int64_t to_sweep) override;
  Result<VerifyResult> Verify() override;
  Result<PruneResult> Prune(std::chrono::seconds retention, int64_t now_unix) override;
  Result<std::vector<DayFindings>> FindingsHistoryByDay(
      int64_t from_unix, int64_t to_unix, const std::optional<std::string>& tenant) override;
  Result<std::vector<FindingEvent>> FindingEvents(int64_t from_unix, int64_t to_unix) override;
  Result<std::vector<ExceptionSeen>> ExceptionsSeen() override;

  const std::string& path() const { return db_.path(); }

 private:
  explicit SqliteSnapshotStore(const Clock& clock) : clock_(clock) {}

  Result<CommitResult> CommitLocked(const audit::SweepInfo& info,
                                    const audit::OrgSnapshot& snapshot,
                                    const std::vector<audit::Finding>& findings);
  Result<SweepRecord> ReadSweep(int64_t id);
  Result<audit::OrgSnapshot> SnapshotAtLocked(int64_t sweep_id);

  const Clock& clock_;
  std::mutex mu_;
  Db db_;
};

}  // namespace divaudit::storage
