// JsonPageParser throughput on full 500-entity pages rendered by the simulator's own handlers
// (sim::HandleApi over the generated 50,000-user org): bytes/s via SetBytesProcessed.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <string>
#include <vector>

#include "bench/bench_org.h"
#include "genesys/parsers.h"
#include "sim/handlers.h"
#include "sim/org_index.h"

namespace divaudit::bench {
namespace {

const sim::OrgIndex& Index() {
  static const sim::OrgIndex* index = new sim::OrgIndex(Org50k());
  return *index;
}

std::string Page(int route, const std::string& target, std::vector<std::string> captures = {}) {
  sim::ApiRequest req;
  req.index = &Index();
  req.target = sim::ParseTarget(target);
  req.captures = std::move(captures);
  sim::HttpResult r = sim::HandleApi(route, req);
  if (r.status != 200) std::abort();
  return std::move(r.body);
}

// The role with the most subjects (a full 500-subject subject-grants page).
std::string BusiestRole() {
  std::string best;
  size_t most = 0;
  for (const auto& r : Index().org().roles) {
    size_t n = Index().RoleSubjectGrants(r.id).size();
    if (n > most) most = n, best = r.id;
  }
  return best;
}

std::string LargestGrantedGroup() {
  std::string best;
  size_t most = 0;
  for (const auto& g : Index().org().groups) {
    if (Index().SubjectGrants(g.id).empty()) continue;
    if (g.member_ids.size() > most) most = g.member_ids.size(), best = g.id;
  }
  return best;
}

void BM_ParseUsersPage(benchmark::State& state) {
  const std::string body =
      Page(sim::kUsers, "/api/v2/users?pageSize=500&pageNumber=2&state=active");
  genesys::JsonPageParser parser;
  std::vector<audit::User> out;
  for (auto _ : state) {
    out.clear();
    auto r = parser.Users(body, {"/api/v2/users", 2}, out);
    if (!r.ok()) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * out.size()));
  state.counters["page_bytes"] = static_cast<double>(body.size());
}
BENCHMARK(BM_ParseUsersPage);

void BM_ParseSubjectGrantsPage(benchmark::State& state) {
  const std::string role = BusiestRole();
  const std::string body = Page(
      sim::kRoleSubjectGrants,
      "/api/v2/authorization/roles/" + role + "/subjectgrants?pageSize=500&pageNumber=1", {role});
  genesys::JsonPageParser parser;
  std::vector<audit::Grant> grants;
  std::vector<audit::ExternalSubject> external;
  for (auto _ : state) {
    grants.clear();
    external.clear();
    auto r = parser.SubjectGrants(body, {"/api/v2/authorization/roles/{roleId}/subjectgrants", 1},
                                  role, {&grants, &external});
    if (!r.ok()) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(grants.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * grants.size()));
  state.counters["page_bytes"] = static_cast<double>(body.size());
}
BENCHMARK(BM_ParseSubjectGrantsPage);

void BM_ParseGroupMembersPage(benchmark::State& state) {
  const std::string group = LargestGrantedGroup();
  const std::string body =
      Page(sim::kGroupMembers, "/api/v2/groups/" + group + "/members?pageSize=500&pageNumber=1",
           {group});
  genesys::JsonPageParser parser;
  std::vector<std::string> out;
  for (auto _ : state) {
    out.clear();
    auto r = parser.GroupMembers(body, {"/api/v2/groups/{groupId}/members", 1}, out);
    if (!r.ok()) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * out.size()));
  state.counters["page_bytes"] = static_cast<double>(body.size());
}
BENCHMARK(BM_ParseGroupMembersPage);

void BM_ParseGroupsPage(benchmark::State& state) {
  const std::string body = Page(sim::kGroups, "/api/v2/groups?pageSize=500&pageNumber=1");
  genesys::JsonPageParser parser;
  std::vector<audit::Group> out;
  for (auto _ : state) {
    out.clear();
    auto r = parser.Groups(body, {"/api/v2/groups", 1}, out);
    if (!r.ok()) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * out.size()));
}
BENCHMARK(BM_ParseGroupsPage);

}  // namespace
}  // namespace divaudit::bench
