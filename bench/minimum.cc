// bench-minimum: prints the documented minimum number of requests (genesys::MinimumRequests,
// genesys/README.md) a sweep of a simulator org needs, and the org shape it was computed from.
//
// Usage: bench-minimum ORG.json [--inactive-limit N] [--json]
//   ORG.json is the sim's fixture (`divaudit-sim --dump-org FILE` or GET /sim/org).
// The shape is what divaudit-sim serves for that fixture (sim::OrgIndex, the same tables the
// server pages): subjects listed per role by /roles/{id}/subjectgrants, active and inactive
// users, every group, members (deleted users omitted) of each group holding a grant, one token.
// Exit 0; 2 on usage or fixture errors.

#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "common/file_util.h"
#include "genesys/sweeper.h"
#include "sim/org_index.h"
#include "sim/org_json.h"

namespace {

using divaudit::genesys::OrgShape;

OrgShape ShapeOf(const divaudit::sim::OrgIndex& index) {
  const divaudit::audit::OrgSnapshot& org = index.org();
  OrgShape s;
  s.divisions = static_cast<int64_t>(org.divisions.size());
  s.roles = static_cast<int64_t>(org.roles.size());
  for (const auto& r : org.roles) {
    s.subjects_per_role.push_back(static_cast<int64_t>(index.RoleSubjectGrants(r.id).size()));
  }
  s.active_users = static_cast<int64_t>(index.UsersInState("active").size());
  s.inactive_users = static_cast<int64_t>(index.UsersInState("inactive").size());
  s.groups = static_cast<int64_t>(org.groups.size());
  for (const auto& g : org.groups) {
    if (index.SubjectGrants(g.id).empty()) continue;
    int64_t members = 0;
    for (const auto& id : g.member_ids) {
      const divaudit::audit::User* u = index.FindUser(id);
      if (u != nullptr && u->state != "deleted") ++members;
    }
    s.members_per_granted_group.push_back(members);
  }
  s.all_divisions_permitted = true;  // the sim's client sees every division (no forbid fault)
  s.token_requests = 1;
  // v2: queues and their members as the sim lists them (deleted users are not members), the
  // catalog's domains (one entity per domain).
  s.queues = static_cast<int64_t>(org.queues.size());
  std::map<std::string_view, int64_t> members_of;  // one pass: 2,000 queues × 60,000 rows
  for (const auto& m : org.queue_members) {
    const divaudit::audit::User* u = index.FindUser(m.user_id);
    if (u == nullptr || u->state != "deleted") ++members_of[m.queue_id];
  }
  for (const auto& q : org.queues) {
    auto it = members_of.find(q.id);
    s.members_per_queue.push_back(it == members_of.end() ? 0 : it->second);
  }
  s.all_divisions_queue_permitted = true;
  std::set<std::string> domains;
  for (const auto& p : org.permissions) domains.insert(p.domain);
  s.permission_domains = static_cast<int64_t>(domains.size());
  return s;
}

int64_t Sum(const std::vector<int64_t>& v) {
  int64_t n = 0;
  for (int64_t x : v) n += x;
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path;
  bool json = false;
  divaudit::genesys::SweeperOptions options;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--json") {
      json = true;
    } else if (a == "--inactive-limit" && i + 1 < argc) {
      options.inactive_page_listing_limit = std::strtoll(argv[++i], nullptr, 10);
    } else if (path.empty() && !a.starts_with("--")) {
      path = a;
    } else {
      std::fprintf(stderr, "usage: bench-minimum ORG.json [--inactive-limit N] [--json]\n");
      return 2;
    }
  }
  if (path.empty()) {
    std::fprintf(stderr, "usage: bench-minimum ORG.json [--inactive-limit N] [--json]\n");
    return 2;
  }
  auto text = divaudit::ReadFile(path);
  if (!text.ok()) {
    std::fprintf(stderr, "bench-minimum: %s\n", text.status().ToString().c_str());
    return 2;
  }
  auto fixture = divaudit::sim::ParseOrgJson(*text);
  if (!fixture.ok()) {
    std::fprintf(stderr, "bench-minimum: %s: %s\n", path.c_str(),
                 fixture.status().ToString().c_str());
    return 2;
  }
  const int64_t grants = static_cast<int64_t>(fixture->org.grants.size());
  divaudit::sim::OrgIndex index(std::move(fixture).value());
  const OrgShape s = ShapeOf(index);
  const int64_t minimum = divaudit::genesys::MinimumRequests(s, options);
  if (json) {
    std::printf(
        "{\"minimum_requests\":%lld,\"divisions\":%lld,\"roles\":%lld,\"subjects\":%lld,"
        "\"active_users\":%lld,\"inactive_users\":%lld,\"groups\":%lld,\"granted_groups\":%zu,"
        "\"granted_group_members\":%lld,\"grants\":%lld,\"queues\":%lld,"
        "\"queue_members\":%lld,\"permission_domains\":%lld}\n",
        static_cast<long long>(minimum), static_cast<long long>(s.divisions),
        static_cast<long long>(s.roles), static_cast<long long>(Sum(s.subjects_per_role)),
        static_cast<long long>(s.active_users), static_cast<long long>(s.inactive_users),
        static_cast<long long>(s.groups), s.members_per_granted_group.size(),
        static_cast<long long>(Sum(s.members_per_granted_group)), static_cast<long long>(grants),
        static_cast<long long>(s.queues), static_cast<long long>(Sum(s.members_per_queue)),
        static_cast<long long>(s.permission_domains));
  } else {
    std::printf("%lld\n", static_cast<long long>(minimum));
  }
  return 0;
}
