// Point-in-time reads of the temporal tables and the diff of two snapshots (storage/temporal.h).
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "storage/json_columns.h"
#include "storage/tables.h"
#include "storage/temporal.h"

namespace divaudit::storage {
namespace {

using Row = std::vector<std::string>;
using TableRows = std::array<std::vector<Row>, kTableCount>;

void AddGroups(TableRows& r, audit::OrgSnapshot& s) {
  std::unordered_map<std::string, std::vector<std::string>> members;
  for (auto& x : r[kMemberships]) members[x[0]].push_back(std::move(x[1]));
  for (auto& x : r[kGroups]) {
    audit::Group g;
    g.id = std::move(x[0]);
    g.name = std::move(x[1]);
    g.roles_enabled = x[2] == "1";
    g.members_read = x[3] == "1";
    // Memberships of unread groups stay open (never closed by a sweep that did not read
    // them), so they are not evidence of the membership at this sweep.
    if (g.members_read) {
      auto it = members.find(g.id);
      if (it != members.end()) g.member_ids = std::move(it->second);
    }
    s.groups.push_back(std::move(g));
  }
}

void AddClients(TableRows& r, audit::OrgSnapshot& s) {
  std::unordered_map<std::string, std::vector<audit::RoleDivision>> client_roles;
  for (auto& x : r[kClientRoles]) {
    client_roles[x[0]].push_back({std::move(x[1]), std::move(x[2])});
  }
  for (auto& x : r[kClients]) {
    audit::OAuthClient c;
    c.id = std::move(x[0]);
    c.name = std::move(x[1]);
    c.authorized_grant_type = std::move(x[2]);
    c.state = std::move(x[3]);
    auto it = client_roles.find(c.id);
    if (it != client_roles.end()) c.role_divisions = std::move(it->second);
    s.oauth_clients.push_back(std::move(c));
  }
}

// Roles with their permission policies (schema v5; none for sweeps stored before it).
void AddRoles(TableRows& r, audit::OrgSnapshot& s) {
  std::unordered_map<std::string, std::vector<audit::PermissionPolicy>> policies;
  for (auto& x : r[kRolePolicies]) {
    policies[x[0]].push_back(
        {std::move(x[1]), std::move(x[2]), ParseStringArray(x[3]), x[4] == "1"});
  }
  for (auto& x : r[kRoles]) {
    audit::Role role{std::move(x[0]), std::move(x[1])};
    auto it = policies.find(role.id);
    if (it != policies.end()) role.policies = std::move(it->second);
    s.roles.push_back(std::move(role));
  }
}

// The v2 data of schema v5: catalog, role settings (nullopt when the sweep stored none),
// queues with their member groups, queue members.
void AddV2(TableRows& r, audit::OrgSnapshot& s) {
  for (auto& x : r[kCatalog]) {
    s.permissions.push_back({std::move(x[0]), std::move(x[1]), std::move(x[2]), x[3] == "1"});
  }
  if (!r[kRoleSettings].empty()) {
    const Row& x = r[kRoleSettings].front();
    s.role_settings = audit::RoleSettings{x[0] == "1", x[1] == "1"};
  }
  std::unordered_map<std::string, std::vector<audit::QueueMemberGroup>> groups;
  for (auto& x : r[kQueueGroups]) {
    groups[x[0]].push_back({std::move(x[1]), std::move(x[2]), std::move(x[3])});
  }
  for (auto& x : r[kQueues]) {
    audit::Queue q{std::move(x[0]), std::move(x[1]), std::move(x[2])};
    auto it = groups.find(q.id);
    if (it != groups.end()) q.member_groups = std::move(it->second);
    s.queues.push_back(std::move(q));
  }
  s.queue_members.reserve(r[kQueueMembers].size());
  for (auto& x : r[kQueueMembers]) {
    s.queue_members.push_back({std::move(x[0]), std::move(x[1]), x[2] == "1", x[3] == "1"});
  }
}

audit::OrgSnapshot RowsToSnapshot(TableRows& r, std::vector<audit::Grant> grants) {
  audit::OrgSnapshot s;
  for (auto& x : r[kDivisions]) {
    s.divisions.push_back({std::move(x[0]), std::move(x[1]), std::move(x[2]), x[3] == "1"});
  }
  AddRoles(r, s);
  for (auto& x : r[kUsers]) {
    s.users.push_back(
        {std::move(x[0]), std::move(x[1]), std::move(x[2]), std::move(x[3]), std::move(x[4])});
  }
  AddGroups(r, s);
  AddClients(r, s);
  for (auto& x : r[kExternal]) {
    s.external_subjects.push_back(
        {std::move(x[0]), std::move(x[1]), audit::SubjectTypeFromName(x[2]), std::move(x[3])});
  }
  s.grants = std::move(grants);
  AddV2(r, s);
  audit::Canonicalize(s);
  return s;
}

// id → object of every element of `vec`.
template <typename T>
std::map<std::string, const T*> ById(const std::vector<T>& vec) {
  std::map<std::string, const T*> m;
  for (const auto& x : vec) m[x.id] = &x;
  return m;
}

// Added, removed and (with `changed`) changed objects between `a` and `b`, by id.
template <typename T>
void DiffById(const std::vector<T>& a, const std::vector<T>& b, std::vector<T>& added,
              std::vector<T>& removed, std::vector<std::pair<T, T>>* changed) {
  const auto ma = ById(a);
  const auto mb = ById(b);
  for (const auto& [id, x] : mb) {
    auto it = ma.find(id);
    if (it == ma.end()) {
      added.push_back(*x);
    } else if (changed != nullptr && !(*it->second == *x)) {
      changed->emplace_back(*it->second, *x);
    }
  }
  for (const auto& [id, x] : ma) {
    if (mb.count(id) == 0) removed.push_back(*x);
  }
}

// Memberships compared only for groups whose members were read in both snapshots.
void DiffMemberships(const audit::OrgSnapshot& a, const audit::OrgSnapshot& b, SnapshotDiff& d) {
  auto members_of = [](const audit::OrgSnapshot& s) {
    std::map<std::string, const audit::Group*> read;
    for (const auto& g : s.groups) {
      if (g.members_read) read[g.id] = &g;
    }
    return read;
  };
  const auto ma = members_of(a);
  const auto mb = members_of(b);
  std::set<Membership> sa, sb;
  for (const auto& [id, g] : ma) {
    if (mb.count(id) == 0) continue;
    for (const auto& m : g->member_ids) sa.insert({id, m});
  }
  for (const auto& [id, g] : mb) {
    if (ma.count(id) == 0) continue;
    for (const auto& m : g->member_ids) sb.insert({id, m});
  }
  std::set_difference(sb.begin(), sb.end(), sa.begin(), sa.end(),
                      std::back_inserter(d.memberships_added));
  std::set_difference(sa.begin(), sa.end(), sb.begin(), sb.end(),
                      std::back_inserter(d.memberships_removed));
}

void DiffUsers(const audit::OrgSnapshot& a, const audit::OrgSnapshot& b, SnapshotDiff& d) {
  const auto ua = ById(a.users);
  const auto ub = ById(b.users);
  for (const auto& [id, u] : ub) {
    auto it = ua.find(id);
    if (it == ua.end()) {
      d.users_added.push_back(*u);
    } else if (it->second->home_division_id != u->home_division_id) {
      d.users_moved.push_back({id, u->name, it->second->home_division_id, u->home_division_id});
    }
  }
  for (const auto& [id, u] : ua) {
    if (ub.count(id) == 0) d.users_removed.push_back(*u);
  }
}

// v2: the catalog by domain:entity:action (a flipped divisionAware is a change).
void DiffPermissions(const audit::OrgSnapshot& a, const audit::OrgSnapshot& b, SnapshotDiff& d) {
  using Key = std::tuple<std::string, std::string, std::string>;
  auto by_key = [](const audit::OrgSnapshot& s) {
    std::map<Key, const audit::CatalogPermission*> m;
    for (const auto& p : s.permissions) m[{p.domain, p.entity_type, p.action}] = &p;
    return m;
  };
  const auto pa = by_key(a);
  const auto pb = by_key(b);
  for (const auto& [key, p] : pb) {
    auto it = pa.find(key);
    if (it == pa.end()) {
      d.permissions_added.push_back(*p);
    } else if (it->second->division_aware != p->division_aware) {
      d.permissions_changed.emplace_back(*it->second, *p);
    }
  }
  for (const auto& [key, p] : pa) {
    if (pb.count(key) == 0) d.permissions_removed.push_back(*p);
  }
}

// v2: role policies of roles in both snapshots, the role settings, queues and their members.
void DiffV2(const audit::OrgSnapshot& a, const audit::OrgSnapshot& b, SnapshotDiff& d) {
  DiffPermissions(a, b, d);
  const auto ra = ById(a.roles);
  for (const auto& r : b.roles) {
    auto it = ra.find(r.id);
    if (it != ra.end() && it->second->policies != r.policies) {
      d.role_policies_changed.emplace_back(*it->second, r);
    }
  }
  d.role_settings_before = a.role_settings;
  d.role_settings_after = b.role_settings;
  d.role_settings_changed = a.role_settings != b.role_settings;
  DiffById(a.queues, b.queues, d.queues_added, d.queues_removed, &d.queues_changed);
  using Key = std::tuple<std::string, std::string, bool>;
  auto members_of = [](const audit::OrgSnapshot& s, const audit::OrgSnapshot& other) {
    std::set<std::string> in_other;
    for (const auto& q : other.queues) in_other.insert(q.id);
    std::map<Key, const audit::QueueMember*> m;
    for (const auto& x : s.queue_members) {
      if (in_other.count(x.queue_id) != 0) m[{x.queue_id, x.user_id, x.via_group}] = &x;
    }
    return m;
  };
  const auto ma = members_of(a, b);
  const auto mb = members_of(b, a);
  for (const auto& [key, m] : mb) {
    if (ma.count(key) == 0) d.queue_members_added.push_back(*m);
  }
  for (const auto& [key, m] : ma) {
    if (mb.count(key) == 0) d.queue_members_removed.push_back(*m);
  }
}

}  // namespace

// A row of table alias `x` live at sweep ?1 (opened at or before it, not closed by then).
constexpr std::string_view kLiveAtSweep =
    "(x.valid_from_sweep IS NULL OR x.valid_from_sweep <= ?1) AND "
    "(x.valid_to_sweep IS NULL OR x.valid_to_sweep > ?1)";

Result<audit::OrgSnapshot> ReadSnapshotAt(Db& db, int64_t sweep_id, bool only_divisions) {
  IdDict dict;
  // The divisions table has no id columns: it needs no dictionary.
  if (!only_divisions) DIVAUDIT_RETURN_IF_ERROR(dict.Load(db));
  TableRows rows;
  std::vector<audit::Grant> grants;
  for (size_t ti = 0; ti < kTableCount; ++ti) {
    if (only_divisions && ti != kDivisions) continue;
    const TableSpec& t = Tables()[ti];
    DIVAUDIT_ASSIGN_OR_RETURN(
        Stmt st, db.Prepare("SELECT " + ColumnList(t) + " FROM " + t.name + " x WHERE " +
                            std::string(kLiveAtSweep) + " ORDER BY row_id"));
    st.Bind(1, sweep_id);
    while (true) {
      DIVAUDIT_ASSIGN_OR_RETURN(bool has, st.Step());
      if (!has) break;
      if (ti == kGrants) {  // straight to interned ids: no four strings per row for 500,000 rows
        auto col = [&](int c) { return ReadIdOrText(st.raw(), c, true, dict); };
        grants.push_back({audit::SubjectTypeFromName(col(0)), col(1), col(2), col(3)});
        continue;
      }
      Row row(t.cols.size());
      for (size_t c = 0; c < row.size(); ++c) {
        row[c] = ReadIdOrText(st.raw(), static_cast<int>(c), t.cols[c].kind == Kind::kId, dict);
      }
      rows[ti].push_back(std::move(row));
    }
  }
  return RowsToSnapshot(rows, std::move(grants));
}

Result<audit::SnapshotCounts> CountRowsAt(Db& db, int64_t sweep_id) {
  const std::string live(kLiveAtSweep);
  auto count = [&](TableIndex ti) {
    return db.QueryInt(
        std::string("SELECT count(*) FROM ") + Tables()[ti].name + " x WHERE " + live, sweep_id);
  };
  audit::SnapshotCounts c;
  DIVAUDIT_ASSIGN_OR_RETURN(c.divisions, count(kDivisions));
  DIVAUDIT_ASSIGN_OR_RETURN(c.users, count(kUsers));
  DIVAUDIT_ASSIGN_OR_RETURN(c.groups, count(kGroups));
  DIVAUDIT_ASSIGN_OR_RETURN(c.roles, count(kRoles));
  DIVAUDIT_ASSIGN_OR_RETURN(c.oauth_clients, count(kClients));
  DIVAUDIT_ASSIGN_OR_RETURN(c.grants, count(kGrants));
  DIVAUDIT_ASSIGN_OR_RETURN(c.queues, count(kQueues));
  DIVAUDIT_ASSIGN_OR_RETURN(c.queue_members, count(kQueueMembers));
  DIVAUDIT_ASSIGN_OR_RETURN(c.permissions, count(kCatalog));
  // The rebuild attaches policies to the roles live at the sweep: count only those (the inner
  // `x` is roles).
  DIVAUDIT_ASSIGN_OR_RETURN(
      c.narrowed_policies,
      db.QueryInt("SELECT count(*) FROM role_policies x WHERE " + live +
                      " AND x.narrowed = 1 AND x.role_id IN (SELECT x.id FROM roles x WHERE " +
                      live + ")",
                  sweep_id));
  // At most one live row, the first by row_id as the rebuild takes it; none: not read.
  DIVAUDIT_ASSIGN_OR_RETURN(
      Stmt st,
      db.Prepare("SELECT grant_division_aware, backfill_enabled FROM role_settings x WHERE " +
                 live + " ORDER BY row_id LIMIT 1"));
  st.Bind(1, sweep_id);
  DIVAUDIT_ASSIGN_OR_RETURN(bool has, st.Step());
  if (has) c.settings = audit::RoleSettings{st.Text(0) == "1", st.Text(1) == "1"};
  return c;
}

SnapshotDiff DiffSnapshots(const audit::OrgSnapshot& a, const audit::OrgSnapshot& b,
                           int64_t from_sweep, int64_t to_sweep) {
  SnapshotDiff d;
  d.from_sweep = from_sweep;
  d.to_sweep = to_sweep;
  for (const auto* s : {&a, &b}) {
    for (const auto& x : s->divisions) d.names[x.id] = x.name;
    for (const auto& x : s->roles) d.names[x.id] = x.name;
    for (const auto& x : s->users) d.names[x.id] = x.name;
    for (const auto& x : s->groups) d.names[x.id] = x.name;
    for (const auto& x : s->oauth_clients) d.names[x.id] = x.name;
    for (const auto& x : s->external_subjects) d.names[x.id] = x.name;
    for (const auto& x : s->queues) d.names[x.id] = x.name;
  }
  std::set_difference(b.grants.begin(), b.grants.end(), a.grants.begin(), a.grants.end(),
                      std::back_inserter(d.grants_added));
  std::set_difference(a.grants.begin(), a.grants.end(), b.grants.begin(), b.grants.end(),
                      std::back_inserter(d.grants_removed));
  DiffMemberships(a, b, d);
  DiffUsers(a, b, d);
  DiffById(a.divisions, b.divisions, d.divisions_added, d.divisions_removed, &d.divisions_changed);
  DiffById(a.oauth_clients, b.oauth_clients, d.clients_added, d.clients_removed,
           &d.clients_changed);
  DiffV2(a, b, d);
  return d;
}

}  // namespace divaudit::storage
