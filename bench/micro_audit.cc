// audit::RunAudit on the generated 50,000-user org (≈500,000 direct grants): grants/s via
// SetItemsProcessed (direct grants of the snapshot per second); effective grants as a counter.

#include <benchmark/benchmark.h>

#include <chrono>

#include "audit/engine.h"
#include "audit/tenant_map.h"
#include "bench/bench_org.h"

namespace divaudit::bench {
namespace {

void BM_RunAudit50k(benchmark::State& state) {
  const sim::OrgFixture& org = Org50k();
  auto tenants = audit::TenantMap::Build(org.policy, org.org.divisions);
  if (!tenants.ok()) {
    state.SkipWithError("tenant map");
    return;
  }
  const SystemTime now = SystemTime(std::chrono::seconds(1790000000));
  audit::AuditResult result;
  for (auto _ : state) {
    result = audit::RunAudit(org.org, *tenants, org.policy, now);
    benchmark::DoNotOptimize(result.findings.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * org.org.grants.size()));
  state.counters["grants"] = static_cast<double>(org.org.grants.size());
  state.counters["effective_grants"] = static_cast<double>(result.stats.effective_grants);
  state.counters["findings"] = static_cast<double>(result.findings.size());
}
BENCHMARK(BM_RunAudit50k)->Unit(benchmark::kMillisecond);

void BM_TenantMapBuild(benchmark::State& state) {
  const sim::OrgFixture& org = Org50k();
  for (auto _ : state) {
    auto tenants = audit::TenantMap::Build(org.policy, org.org.divisions);
    benchmark::DoNotOptimize(tenants.ok());
  }
}
BENCHMARK(BM_TenantMapBuild)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace divaudit::bench
