// SqliteSnapshotStore::CommitSweep of the generated 50,000-user org: the first commit into an
// empty database and the commit of an unchanged sweep (the steady state of a daemon).
// The database lives in a fresh temporary directory ($TMPDIR or /tmp), removed afterwards
// unless DIVAUDIT_BENCH_KEEP_DB is set.

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "audit/engine.h"
#include "audit/tenant_map.h"
#include "bench/bench_org.h"
#include "common/clock.h"
#include "storage/sqlite_snapshot_store.h"

namespace divaudit::bench {
namespace {

namespace fs = std::filesystem;

struct Sweep {
  audit::SweepInfo info;
  std::vector<audit::Finding> findings;
};

Sweep AuditedSweep(int64_t n) {
  const sim::OrgFixture& org = Org50k();
  Sweep s;
  s.info.started_at_unix = 1790000000 + n * 900;
  s.info.finished_at_unix = s.info.started_at_unix + 60;
  s.info.status = audit::SweepStatus::kComplete;
  s.info.api_requests = 700;
  auto tenants = audit::TenantMap::Build(org.policy, org.org.divisions);
  s.findings = audit::RunAudit(org.org, *tenants, org.policy,
                               SystemTime(std::chrono::seconds(s.info.started_at_unix)))
                   .findings;
  return s;
}

fs::path TempDir() {
  const char* t = std::getenv("TMPDIR");
  fs::path dir = fs::path(t ? t : "/tmp") / ("divaudit-bench-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

void BM_CommitFirstSweep50k(benchmark::State& state) {
  const sim::OrgFixture& org = Org50k();
  const Sweep sweep = AuditedSweep(0);
  SystemClock clock;
  const fs::path dir = TempDir();
  int64_t i = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const std::string path = (dir / ("first-" + std::to_string(i++) + ".db")).string();
    auto store = storage::SqliteSnapshotStore::Open(path, clock);
    if (!store.ok()) {
      state.SkipWithError("open");
      break;
    }
    state.ResumeTiming();
    auto r = (*store)->CommitSweep(sweep.info, org.org, sweep.findings);
    if (!r.ok()) state.SkipWithError("commit");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * org.org.grants.size()));
  // Size of one committed file (closing the store checkpoints the WAL into it).
  state.counters["db_MiB"] = static_cast<double>(fs::file_size(dir / "first-0.db")) / (1 << 20);
  if (std::getenv("DIVAUDIT_BENCH_KEEP_DB") == nullptr) fs::remove_all(dir);
}
BENCHMARK(BM_CommitFirstSweep50k)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_CommitUnchangedSweep50k(benchmark::State& state) {
  const sim::OrgFixture& org = Org50k();
  Sweep sweep = AuditedSweep(0);
  SystemClock clock;
  const fs::path dir = TempDir();
  const std::string path = (dir / "unchanged.db").string();
  auto store = storage::SqliteSnapshotStore::Open(path, clock);
  if (!store.ok() || !(*store)->CommitSweep(sweep.info, org.org, sweep.findings).ok()) {
    state.SkipWithError("first commit");
    return;
  }
  (*store).reset();  // checkpoints the WAL
  const auto size_before = fs::file_size(path);
  store = storage::SqliteSnapshotStore::Open(path, clock);
  if (!store.ok()) {
    state.SkipWithError("reopen");
    return;
  }
  int64_t n = 1;
  for (auto _ : state) {
    state.PauseTiming();
    sweep.info.started_at_unix = 1790000000 + n * 900;
    sweep.info.finished_at_unix = sweep.info.started_at_unix + 60;
    ++n;
    state.ResumeTiming();
    auto r = (*store)->CommitSweep(sweep.info, org.org, sweep.findings);
    if (!r.ok()) state.SkipWithError("commit");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * org.org.grants.size()));
  (*store).reset();
  // Growth of the file per unchanged sweep (0 while the sweep rows fit in existing pages).
  state.counters["growth_B_per_sweep"] =
      (static_cast<double>(fs::file_size(path)) - static_cast<double>(size_before)) /
      static_cast<double>(state.iterations());
  if (std::getenv("DIVAUDIT_BENCH_KEEP_DB") == nullptr) fs::remove_all(dir);
}
BENCHMARK(BM_CommitUnchangedSweep50k)->Unit(benchmark::kMillisecond)->Iterations(5);

}  // namespace
}  // namespace divaudit::bench
