#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "common/thread_annotations.h"
#include "storage/snapshot_store.h"

namespace divaudit::storage {

// A SnapshotStore for one read-only command that asks the same questions many times:
// `report --all-tenants` builds each tenant's report from the same sweep list, the same as-of
// divisions, every finding and every event (a whole snapshot, ≈ 0.4 CPU-s and 100 MB to read
// back at 50,000 users, is kept too when asked for). The first answer of each read (ListSweeps,
// LastCompleteSweep, SnapshotAt, DivisionsAt, QueryFindings, FindingEvents, ExceptionsSeen, per
// argument) is kept and returned again; errors are not kept. Everything else goes to `store`
// unchanged and forgets what was kept. Use it for one command's run only: it does not see what
// another process writes meanwhile. Thread-safe (calls are serialised); `store` must outlive it.
class CachedReads final : public SnapshotStore {
 public:
  explicit CachedReads(SnapshotStore& store) : store_(store) {}

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
  // The snapshot's divisions when SnapshotAt(sweep_id) was read, else the store's (kept).
  Result<std::vector<audit::Division>> DivisionsAt(int64_t sweep_id) override;
  // Not remembered: CountsOf the snapshot when SnapshotAt(sweep_id) was read, else the store's.
  Result<audit::SnapshotCounts> CountsAt(int64_t sweep_id) override;
  Result<std::vector<FindingRecord>> QueryFindings(const FindingFilter& filter) override;
  Result<SnapshotDiff> Diff(int64_t from_sweep, int64_t to_sweep) override;
  Result<VerifyResult> Verify() override;
  Result<PruneResult> Prune(std::chrono::seconds retention, int64_t now_unix) override;
  Result<std::vector<FindingEvent>> FindingEvents(int64_t from_unix, int64_t to_unix) override;
  Result<std::vector<ExceptionSeen>> ExceptionsSeen() override;

  // Calls that reached `store` (tests: a repeated read must not).
  int64_t store_calls() const;

 private:
  void Forget() REQUIRES(mu_);

  SnapshotStore& store_;
  mutable Mutex mu_;
  int64_t store_calls_ GUARDED_BY(mu_) = 0;
  std::map<std::pair<std::optional<int64_t>, std::optional<int64_t>>, std::vector<SweepRecord>>
      sweeps_ GUARDED_BY(mu_);
  std::optional<SweepRecord> last_complete_ GUARDED_BY(mu_);
  std::map<int64_t, audit::OrgSnapshot> snapshots_ GUARDED_BY(mu_);
  std::map<int64_t, std::vector<audit::Division>> divisions_ GUARDED_BY(mu_);
  std::vector<std::pair<FindingFilter, std::vector<FindingRecord>>> findings_ GUARDED_BY(mu_);
  std::map<std::pair<int64_t, int64_t>, std::vector<FindingEvent>> events_ GUARDED_BY(mu_);
  std::optional<std::vector<ExceptionSeen>> exceptions_ GUARDED_BY(mu_);
};

}  // namespace divaudit::storage
