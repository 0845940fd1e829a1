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

// SweepStream on a second connection to the database (SqliteSnapshotStore::BeginSweep). One
// worker thread takes the write lock (BEGIN IMMEDIATE), inserts the sweep's row as a
// placeholder (its id is the sweep's, so streamed rows can name it) and then writes, in order,
// what Add and Seal hand it (SnapshotWriter::Stream, then Finish). The transaction stays open
// until Commit; the destructor stops the worker and rolls everything back unless committed.
// The first error stops the writing and is kept for Wait. Add and Seal: one thread at a time;
// Wait and Commit: the thread that commits, after Seal.
class SqliteSweepStream final : public SweepStream {
 public:
  // Opens `path` again (writable, `busy_timeout_ms`) and starts the worker. The worker's first
  // task fails with kFailedPrecondition when a sweep newer than `known_head` (the store's
  // sqlite_sequence) was committed meanwhile.
  static Result<std::unique_ptr<SqliteSweepStream>> Begin(const std::string& path,
                                                          int busy_timeout_ms, int64_t known_head);
  ~SqliteSweepStream() override;
  SqliteSweepStream(const SqliteSweepStream&) = delete;
  SqliteSweepStream& operator=(const SqliteSweepStream&) = delete;

  void Add(audit::OrgSnapshot part) override;
  void Seal(const audit::OrgSnapshot& final, bool complete) override;

  // What Seal was given (nullptr before Seal).
  const audit::OrgSnapshot* sealed() const { return sealed_; }
  bool sealed_complete() const { return sealed_complete_; }

  // Waits until everything handed over is written: the first error, else Ok.
  Status Wait();
  // After a successful Wait: stores the sweep row from `info`, the findings and the content
  // hash, and commits. `info` must be complete or partial with the status given to Seal.
  Result<CommitResult> Commit(const audit::SweepInfo& info,
                              const std::vector<audit::Finding>& findings);

  int64_t streamed_rows() const;

 private:
  struct Task {
    enum class Kind { kBegin, kPart, kSeal } kind;
    audit::OrgSnapshot part;
  };

  SqliteSweepStream() = default;
  void Work();
  Status Run(Task& task);
  Status BeginTransaction();

  Db db_;
  int64_t known_head_ = 0;
  // Worker-owned until Wait returns.
  std::optional<Transaction> tx_;
  IdDict dict_;
  std::optional<SnapshotWriter> writer_;
  int64_t sweep_id_ = 0;
  std::string prev_hash_;
  CommitResult result_;
  const audit::OrgSnapshot* sealed_ = nullptr;
  bool sealed_complete_ = false;
  bool committed_ = false;

  std::mutex mu_;
  std::condition_variable work_cv_;  // tasks queued or stop
  std::condition_variable idle_cv_;  // the worker ran out of tasks
  std::deque<Task> tasks_;           // guarded by mu_
  bool busy_ = false;                // guarded by mu_
  bool stop_ = false;                // guarded by mu_
  Status error_;                     // guarded by mu_
  std::thread worker_;
};

}  // namespace divaudit::storage
