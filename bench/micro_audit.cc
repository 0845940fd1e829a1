// audit::RunAudit on the generated 50,000-user org (≈500,000 direct grants) with a
// 3,000-permission catalog and 40 roles with policies (Org50kWithPermissions): grants/s via
// SetItemsProcessed (direct grants of the snapshot per second); effective grants, findings and
// org_wide_permission findings as counters. Issue 14's budget: the whole audit < 0.5 CPU-s.

#include <benchmark/benchmark.h>

#include <chrono>

#include "audit/engine.h"
#include "audit/tenant_map.h"
#include "bench/bench_org.h"

namespace divaudit::bench {
namespace {

void BM_RunAudit50k(benchmark::State& state) {
  const sim::OrgFixture& org = Org50kWithPermissions();
  auto tenants = audit::TenantMap::Build(org.policy, org.org.divisions);
  if (!tenants.ok()) {
    state.SkipWithError("tenant map");
    return;
  }
  const SystemTime now = SystemTime(std::chrono::seconds(1790000000));
  audit::AuditResult result;
  for (auto _ : state) {
    result = audit::RunAudit(org.org, *tenants, org.policy, now, {}, audit::OrgRef{"org", "Org"});
    benchmark::DoNotOptimize(result.findings.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * org.org.grants.size()));
  state.counters["grants"] = static_cast<double>(org.org.grants.size());
  state.counters["effective_grants"] = static_cast<double>(result.stats.effective_grants);
  state.counters["findings"] = static_cast<double>(result.findings.size());
  int64_t org_wide = 0;
  for (const auto& f : result.findings) org_wide += f.rule == audit::Rule::kOrgWidePermission;
  state.counters["org_wide_permission"] = static_cast<double>(org_wide);
  state.counters["catalog"] = static_cast<double>(org.org.permissions.size());
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
