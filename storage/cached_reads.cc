#include "storage/cached_reads.h"

#include <utility>

#include "audit/findings_document.h"
namespace divaudit::storage {
namespace {

// The kept answer under `key` in `memo`, else `read()`'s answer, kept when it is a value.
template <typename Map, typename Key, typename Read>
auto Remember(Map& memo, const Key& key, int64_t& calls, Read read) -> decltype(read()) {
  if (auto it = memo.find(key); it != memo.end()) return it->second;
  ++calls;
  auto r = read();
  if (r.ok()) memo.emplace(key, *r);
  return r;
}

// The same for a read without arguments.
template <typename T, typename Read>
auto Remember(std::optional<T>& memo, int64_t& calls, Read read) -> decltype(read()) {
  if (memo) return *memo;
  ++calls;
  auto r = read();
  if (r.ok()) memo = *r;
  return r;
}

}  // namespace

Result<CommitResult> CachedReads::CommitSweep(const audit::SweepInfo& info,
                                              const audit::OrgSnapshot& snapshot,
                                              const std::vector<audit::Finding>& findings) {
  MutexLock lock(mu_);
  Forget();
  ++store_calls_;
  return store_.CommitSweep(info, snapshot, findings);
}

std::unique_ptr<PendingSweep> CachedReads::BeginSweep() {
  MutexLock lock(mu_);
  ++store_calls_;
  return store_.BeginSweep();
}

Result<CommitResult> CachedReads::CommitPendingSweep(std::unique_ptr<PendingSweep> pending,
                                                     const audit::SweepInfo& info,
                                                     const audit::OrgSnapshot& snapshot,
                                                     const std::vector<audit::Finding>& findings) {
  MutexLock lock(mu_);
  Forget();
  ++store_calls_;
  return store_.CommitPendingSweep(std::move(pending), info, snapshot, findings);
}

Result<std::vector<SweepRecord>> CachedReads::ListSweeps(std::optional<int64_t> from_unix,
                                                         std::optional<int64_t> to_unix) {
  MutexLock lock(mu_);
  return Remember(sweeps_, std::make_pair(from_unix, to_unix), store_calls_,
                  [&] { return store_.ListSweeps(from_unix, to_unix); });
}

Result<SweepRecord> CachedReads::LastCompleteSweep() {
  MutexLock lock(mu_);
  return Remember(last_complete_, store_calls_, [&] { return store_.LastCompleteSweep(); });
}

Result<audit::OrgSnapshot> CachedReads::SnapshotAt(int64_t sweep_id) {
  MutexLock lock(mu_);
  return Remember(snapshots_, sweep_id, store_calls_, [&] { return store_.SnapshotAt(sweep_id); });
}

Result<std::vector<audit::Division>> CachedReads::DivisionsAt(int64_t sweep_id) {
  MutexLock lock(mu_);
  if (auto it = snapshots_.find(sweep_id); it != snapshots_.end()) return it->second.divisions;
  return Remember(divisions_, sweep_id, store_calls_, [&] { return store_.DivisionsAt(sweep_id); });
}

Result<audit::SnapshotCounts> CachedReads::CountsAt(int64_t sweep_id) {
  MutexLock lock(mu_);
  if (auto it = snapshots_.find(sweep_id); it != snapshots_.end()) {
    return audit::CountsOf(it->second);
  }
  ++store_calls_;
  return store_.CountsAt(sweep_id);
}

Result<std::vector<FindingRecord>> CachedReads::QueryFindings(const FindingFilter& filter) {
  MutexLock lock(mu_);
  for (const auto& [kept, records] : findings_) {
    if (kept == filter) return records;
  }
  ++store_calls_;
  auto r = store_.QueryFindings(filter);
  if (r.ok()) findings_.emplace_back(filter, *r);
  return r;
}

Result<SnapshotDiff> CachedReads::Diff(int64_t from_sweep, int64_t to_sweep) {
  MutexLock lock(mu_);
  ++store_calls_;
  return store_.Diff(from_sweep, to_sweep);
}

Result<VerifyResult> CachedReads::Verify() {
  MutexLock lock(mu_);
  ++store_calls_;
  return store_.Verify();
}

Result<PruneResult> CachedReads::Prune(std::chrono::seconds retention, int64_t now_unix) {
  MutexLock lock(mu_);
  Forget();
  ++store_calls_;
  return store_.Prune(retention, now_unix);
}

Result<std::vector<FindingEvent>> CachedReads::FindingEvents(int64_t from_unix, int64_t to_unix) {
  MutexLock lock(mu_);
  return Remember(events_, std::make_pair(from_unix, to_unix), store_calls_,
                  [&] { return store_.FindingEvents(from_unix, to_unix); });
}

Result<std::vector<ExceptionSeen>> CachedReads::ExceptionsSeen() {
  MutexLock lock(mu_);
  return Remember(exceptions_, store_calls_, [&] { return store_.ExceptionsSeen(); });
}

int64_t CachedReads::store_calls() const {
  MutexLock lock(mu_);
  return store_calls_;
}

void CachedReads::Forget() {
  sweeps_.clear();
  last_complete_.reset();
  snapshots_.clear();
  divisions_.clear();
  findings_.clear();
  events_.clear();
  exceptions_.reset();
}

}  // namespace divaudit::storage
