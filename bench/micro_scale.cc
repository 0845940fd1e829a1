// Costs that used to sit as time budgets in ctest (a shared CI machine made them flaky, and
// performance belongs here): generating the bench's largest orgs, committing the 50kq org (50,000
// users, 2,000 queues of ~30 members) first and unchanged, and building + rendering a report of
// thousands of findings. The ctest cases of the same sizes (GeneratorScaleTest,
// V2DataScaleTest, ReportScaleTest) check only what comes out.

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "audit/engine.h"
#include "audit/tenant_map.h"
#include "common/clock.h"
#include "report/render.h"
#include "report/report.h"
#include "sim/generator.h"
#include "storage/sqlite_snapshot_store.h"

namespace divaudit::bench {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kOrg50k =
    "divisions=200,users=50000,groups=300,roles=40,clients=50,seed=7";
constexpr std::string_view kOrg50kq =
    "divisions=200,users=50000,groups=300,roles=40,clients=50,queues=2000,queue_members=30,seed=1";

sim::GenerateSpec Spec(std::string_view text) {
  Result<sim::GenerateSpec> spec = sim::ParseGenerateSpec(text);
  if (!spec.ok()) std::abort();
  return *spec;
}

fs::path TempDir(const std::string& name) {
  const char* t = std::getenv("TMPDIR");
  fs::path dir =
      fs::path(t ? t : "/tmp") / ("divaudit-bench-" + name + "-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

void Generate(benchmark::State& state, std::string_view text) {
  const sim::GenerateSpec spec = Spec(text);
  size_t grants = 0;
  size_t members = 0;
  for (auto _ : state) {
    const sim::OrgFixture f = sim::GenerateOrg(spec);
    grants = f.org.grants.size();
    members = f.org.queue_members.size();
    benchmark::DoNotOptimize(grants);
  }
  state.counters["grants"] = static_cast<double>(grants);
  state.counters["queue_members"] = static_cast<double>(members);
}
void BM_GenerateOrg50k(benchmark::State& state) { Generate(state, kOrg50k); }
void BM_GenerateOrg50kQueues(benchmark::State& state) { Generate(state, kOrg50kq); }
BENCHMARK(BM_GenerateOrg50k)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_GenerateOrg50kQueues)->Unit(benchmark::kMillisecond)->Iterations(3);

// The 50kq org with its audit's findings, built once.
struct QueuesSweep {
  sim::OrgFixture org;
  std::vector<audit::Finding> findings;
};
const QueuesSweep& Org50kQueues() {
  static const QueuesSweep* sweep = [] {
    auto* s = new QueuesSweep{sim::GenerateOrg(Spec(kOrg50kq)), {}};
    auto tenants = audit::TenantMap::Build(s->org.policy, s->org.org.divisions);
    if (!tenants.ok()) std::abort();
    s->findings = audit::RunAudit(s->org.org, *tenants, s->org.policy,
                                  SystemTime(std::chrono::seconds(1790000000)))
                      .findings;
    return s;
  }();
  return *sweep;
}

audit::SweepInfo Info(int64_t n) {
  audit::SweepInfo info;
  info.started_at_unix = 1790000000 + n * 900;
  info.finished_at_unix = info.started_at_unix + 60;
  info.status = audit::SweepStatus::kComplete;
  info.api_requests = 2796;
  return info;
}

// range(0) = 0: each iteration commits into an empty database; 1: one database, each iteration
// commits the same org again (unchanged: no row written or closed).
void BM_CommitSweep50kQueues(benchmark::State& state) {
  const QueuesSweep& sweep = Org50kQueues();
  const bool unchanged = state.range(0) == 1;
  SystemClock clock;
  const fs::path dir = TempDir("queues");
  std::unique_ptr<storage::SqliteSnapshotStore> store;
  int64_t n = 0;
  if (unchanged) {
    auto opened = storage::SqliteSnapshotStore::Open((dir / "unchanged.db").string(), clock);
    if (!opened.ok() || !(*opened)->CommitSweep(Info(n++), sweep.org.org, sweep.findings).ok()) {
      state.SkipWithError("first commit");
      return;
    }
    store = std::move(*opened);
  }
  for (auto _ : state) {
    if (!unchanged) {
      state.PauseTiming();
      store.reset();
      auto opened = storage::SqliteSnapshotStore::Open(
          (dir / ("first-" + std::to_string(n) + ".db")).string(), clock);
      if (!opened.ok()) {
        state.SkipWithError("open");
        break;
      }
      store = std::move(*opened);
      state.ResumeTiming();
    }
    auto r = store->CommitSweep(Info(n++), sweep.org.org, sweep.findings);
    if (!r.ok()) state.SkipWithError("commit");
  }
  store.reset();
  state.counters["queue_members"] = static_cast<double>(sweep.org.org.queue_members.size());
  if (std::getenv("DIVAUDIT_BENCH_KEEP_DB") == nullptr) fs::remove_all(dir);
}
BENCHMARK(BM_CommitSweep50kQueues)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->Iterations(3);

// BuildReportData + RenderHtml/Json/Csv for a tenant with thousands of findings: 3,000 users, each
// holding two roles on the other tenant's division; the second sweep drops half the grants, so
// the report lists open and resolved findings (the size of ReportScaleTest).
void BM_ReportThousandsOfFindings(benchmark::State& state) {
  const fs::path dir = TempDir("report");
  FakeClock clock;
  auto opened = storage::SqliteSnapshotStore::Open((dir / "report.db").string(), clock);
  if (!opened.ok()) {
    state.SkipWithError("open");
    return;
  }
  storage::SqliteSnapshotStore& store = **opened;
  audit::Policy policy;
  policy.tenants = {{"A", {"A"}}, {"B", {"B"}}};
  audit::OrgSnapshot s;
  s.divisions = {{"dA", "A", "", false}, {"dB", "B", "", false}};
  s.roles = {{"r1", "Role 1"}, {"r2", "Role 2"}};
  for (int i = 0; i < 3000; ++i) {
    const std::string id = "u" + std::to_string(i);
    s.users.push_back({id, "User " + std::to_string(i), "", i % 2 ? "dA" : "dB", "active"});
    s.grants.push_back({audit::SubjectType::kUser, id, "r1", i % 2 ? "dB" : "dA"});
    s.grants.push_back({audit::SubjectType::kUser, id, "r2", i % 2 ? "dB" : "dA"});
  }
  audit::Canonicalize(s);
  const auto commit = [&](int64_t n) {
    const audit::SweepInfo info = Info(n);
    clock.SetNow(SystemTime(std::chrono::seconds(info.started_at_unix)));
    auto map = audit::TenantMap::Build(policy, s.divisions);
    if (!map.ok()) return false;
    const auto findings =
        audit::RunAudit(s, *map, policy, SystemTime(std::chrono::seconds(info.started_at_unix)))
            .findings;
    return store.CommitSweep(info, s, findings).ok();
  };
  if (!commit(0)) {
    state.SkipWithError("commit 1");
    return;
  }
  s.grants.resize(s.grants.size() / 2);
  if (!commit(96)) {  // a day later
    state.SkipWithError("commit 2");
    return;
  }
  report::ReportRequest r;
  r.tenant = "A";
  r.policy = policy;
  r.from = SystemTime(std::chrono::seconds(1790000000 - 86400));
  r.to = SystemTime(std::chrono::seconds(1790000000 + 30 * 86400));
  r.generated_at = r.to;
  size_t findings = 0;
  size_t html_bytes = 0;
  for (auto _ : state) {
    auto d = report::BuildReportData(store, r);
    if (!d.ok()) {
      state.SkipWithError("report");
      break;
    }
    const std::string html = report::RenderHtml(*d);
    const std::string json = report::RenderJson(*d);
    const auto csv = report::RenderCsv(*d);
    findings = d->open_findings.size() + d->resolved_findings.size();
    html_bytes = html.size();
    benchmark::DoNotOptimize(json.size() + csv.size());
  }
  state.counters["findings"] = static_cast<double>(findings);
  state.counters["html_KiB"] = static_cast<double>(html_bytes) / 1024;
  opened->reset();
  if (std::getenv("DIVAUDIT_BENCH_KEEP_DB") == nullptr) fs::remove_all(dir);
}
BENCHMARK(BM_ReportThousandsOfFindings)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace divaudit::bench
