#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "audit/finding.h"
#include "audit/org_snapshot.h"
#include "common/status.h"
#include "storage/id_dict.h"
#include "storage/snapshot_store.h"
#include "storage/sqlite_db.h"
#include "storage/temporal.h"

namespace divaudit::storage {

// The pragmas of a connection that writes sweeps (foreign keys, synchronous = FULL, a 32 MiB
// page cache, temporary data in memory). The file must already be in WAL mode and migrated.
Status SetWriterPragmas(Db& db);

// The end of every sweep's write, inside its transaction (sweep row `result.sweep_id` final):
// feeds the hash (header, `prev_hash`, the sweep row, each table's part from `writer` — empty
// parts for a failed sweep, `writer` nullptr — the findings), writes the findings of a sweep
// that is not failed, and stores the content hash in the sweep row and in `result`.
Status FinishSweepWrite(Db& db, const audit::SweepInfo& info, const std::string& prev_hash,
                        const SnapshotWriter* writer, const std::vector<audit::Finding>& findings,
                        CommitResult& result);

// PendingSweep on a second connection to the database (SqliteSnapshotStore::BeginSweep). A
// worker thread takes the write lock (BEGIN IMMEDIATE), checks that no sweep newer than the
// store's was committed, inserts the sweep's row as a placeholder (a failed sweep until Commit
// says otherwise), loads the dictionary and the current rows (SnapshotWriter::Preload); Seal
// then has it write the final snapshot (SnapshotWriter::Finish). The transaction stays open
// until Commit; the destructor interrupts the worker's statement, stops it and rolls
// everything back unless committed. Final grants and users handed over before Seal
// (AddFinalGrants, AddFinalUsers) are written as soon as the worker is free
// (SnapshotWriter::WriteGrantsEarly, WriteUsersEarly).
// The first error stops the work and is kept for Wait. Seal, Wait and Commit: one thread.
class SqlitePendingSweep final : public PendingSweep {
 public:
  // Opens `path` again (writable, `busy_timeout_ms`, the writer pragmas but foreign keys off:
  // its rows reference its own sweep row by construction) and starts the worker. `known_head`: the
  // store's newest sweep id (sqlite_sequence); a newer one makes the worker fail
  // (kFailedPrecondition).
  static Result<std::unique_ptr<SqlitePendingSweep>> Begin(const std::string& path,
                                                           int busy_timeout_ms, int64_t known_head);
  ~SqlitePendingSweep() override;
  SqlitePendingSweep(const SqlitePendingSweep&) = delete;
  SqlitePendingSweep& operator=(const SqlitePendingSweep&) = delete;

  void AddFinalGrants(std::vector<audit::Grant> grants) override;
  void AddFinalUsers(std::vector<audit::User> users) override;
  void Seal(const audit::OrgSnapshot& final, bool complete) override;

  // What Seal was given (nullptr before Seal).
  const audit::OrgSnapshot* sealed() const { return sealed_; }
  bool sealed_complete() const { return sealed_complete_; }

  // Waits until the worker has done everything asked of it: its first error, else Ok.
  Status Wait();
  // After Wait: whether the users handed over (AddFinalUsers) were written early
  // (SnapshotWriter::WriteUsersEarly returned true).
  bool users_written_early();
  // After Seal: waits, stores the sweep row from `info` (complete or partial, as sealed), the
  // findings and the content hash, and commits. The worker then frees what it held (the current
  // rows of every table) in the background; the destructor waits for that.
  Result<CommitResult> Commit(const audit::SweepInfo& info,
                              const std::vector<audit::Finding>& findings);

 private:
  enum class Task { kBegin, kGrants, kUsers, kSeal, kRelease };

  SqlitePendingSweep() = default;
  // AddFinalGrants and AddFinalUsers: before Seal and once (`added`), hands `items` to the
  // worker as `slot` and queues `task`.
  template <typename T>
  void HandOver(bool& added, std::vector<T>& slot, std::vector<T> items, Task task);
  void Work();
  Status Run(Task task);
  Status BeginTransaction();

  Db db_;
  int64_t known_head_ = 0;
  // The worker's until Wait returns, then the committing thread's.
  std::optional<Transaction> tx_;
  IdDict dict_;
  std::optional<SnapshotWriter> writer_;
  int64_t sweep_id_ = 0;
  std::string prev_hash_;
  CommitResult result_;
  const audit::OrgSnapshot* sealed_ = nullptr;
  bool sealed_complete_ = false;
  bool grants_added_ = false;
  // AddFinalGrants' grants: set under mu_ before their kGrants task is queued, then the worker's
  // (freed once written).
  std::vector<audit::Grant> grants_;
  // AddFinalUsers' users: as grants_ (the writer keeps them once written).
  bool users_added_ = false;
  std::vector<audit::User> users_;
  bool users_written_early_ = false;  // guarded by mu_
  bool committed_ = false;

  std::mutex mu_;
  std::condition_variable work_cv_;  // a task queued, or stop
  std::condition_variable idle_cv_;  // the worker ran out of tasks
  std::deque<Task> tasks_;           // guarded by mu_
  bool busy_ = false;                // guarded by mu_
  bool stop_ = false;                // guarded by mu_
  Status error_;                     // guarded by mu_
  std::thread worker_;
};

}  // namespace divaudit::storage
