// Differential test: the indexed engine against a deliberately naive, set-based reading of
// docs/rules.md, on random orgs with fixed seeds. The reference shares only TenantMap (tested on
// its own) and Summary(); the v2 rules (org_wide_permission, grant_guardrail_off,
// cross_tenant_queue) are read from the rules page too, without audit/permissions: the reference
// expands role policies against the catalog and matches the patterns itself.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <tuple>

#include "audit/engine.h"
#include "tests/audit/org_builder.h"

namespace divaudit::audit {
namespace {

using testing::Summary;

// A tiny deterministic generator (portable, unlike std::uniform_int_distribution).
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed * 0x9E3779B97F4A7C15ULL + 1) {}
  uint64_t Next() {
    s_ ^= s_ << 13;
    s_ ^= s_ >> 7;
    s_ ^= s_ << 17;
    return s_;
  }
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }
  bool Chance(int percent) { return Below(100) < static_cast<size_t>(percent); }

 private:
  uint64_t s_;
};

std::string Pick(Rng& rng, const std::vector<std::string>& v) { return v[rng.Below(v.size())]; }

const std::array<std::pair<const char*, const char*>, 12> kCatalogEntities = {{
    {"authorization", "grant"},
    {"authorization", "role"},
    {"authorization", "division"},
    {"directory", "organization"},
    {"directory", "group"},
    {"directory", "user"},
    {"routing", "queue"},
    {"recording", "recording"},
    {"oauth", "client"},
    {"analytics", "conversationDetail"},
    {"integrations", "integration"},
    {"architect", "flow"},
}};
const std::array<const char*, 5> kCatalogActions = {"add", "edit", "delete", "view", "admin"};

// v2 inputs: a small catalog (authorization:grant:add/delete always in it, with a random
// divisionAware flag the setting must override), role policies with wildcards in every part,
// narrowed policies and domains outside the catalog, role settings (sometimes not read), and
// routing queues (some in unlisted, shared or unmapped divisions) with direct and group members,
// unlisted users and rows differing only in `joined`. Drawn from their own stream.
void AddV2Inputs(uint64_t seed, const std::vector<std::string>& division_ids,
                 const std::vector<std::string>& group_ids,
                 const std::vector<std::string>& member_pool, OrgSnapshot& s) {
  Rng rng(seed + 7919);
  for (const auto& [domain, entity] : kCatalogEntities) {
    for (const char* action : kCatalogActions) {
      const bool grant_edit = std::string(domain) == "authorization" &&
                              std::string(entity) == "grant" &&
                              (std::string(action) == "add" || std::string(action) == "delete");
      if (!grant_edit && !rng.Chance(60)) continue;
      s.permissions.push_back({domain, entity, action, !rng.Chance(35)});
    }
  }
  for (Role& role : s.roles) {
    for (size_t k = 0, n = rng.Below(4); k < n; ++k) {
      const auto& [domain, entity] = kCatalogEntities[rng.Below(kCatalogEntities.size())];
      PermissionPolicy policy;
      policy.domain = rng.Chance(15) ? "*" : rng.Chance(5) ? "notInCatalog" : domain;
      policy.entity_name = rng.Chance(20) ? "*" : entity;
      if (rng.Chance(20)) {
        policy.action_set = {"*"};
      } else {
        std::set<std::string> actions;
        for (size_t a = 0, m = 1 + rng.Below(2); a < m; ++a) {
          actions.insert(kCatalogActions[rng.Below(kCatalogActions.size())]);
        }
        policy.action_set.assign(actions.begin(), actions.end());
      }
      policy.narrowed = rng.Chance(20);
      role.policies.push_back(policy);
    }
    std::sort(role.policies.begin(), role.policies.end());
    role.policies.erase(std::unique(role.policies.begin(), role.policies.end()),
                        role.policies.end());
  }
  if (!rng.Chance(15)) s.role_settings = RoleSettings{rng.Chance(50), rng.Chance(50)};

  std::vector<std::string> queue_divisions = division_ids;
  queue_divisions.push_back("d-gone1");
  std::vector<std::string> pullers = group_ids;
  pullers.push_back("team-1");
  const char* puller_types[] = {"GROUP", "TEAM", "SKILLGROUP"};
  for (size_t i = 0, n = rng.Below(6); i < n; ++i) {
    Queue q{"q" + std::to_string(i), "Queue " + std::to_string(i), Pick(rng, queue_divisions)};
    std::map<std::string, QueueMemberGroup> groups;
    for (size_t k = 0, m = rng.Below(3); k < m; ++k) {
      const std::string id = Pick(rng, pullers);
      groups[id] = {id, "Puller " + id, puller_types[rng.Below(3)]};
    }
    for (const auto& [id, g] : groups) q.member_groups.push_back(g);
    for (size_t k = 0, m = rng.Below(9); k < m; ++k) {
      QueueMember member{q.id, Pick(rng, member_pool), rng.Chance(40), rng.Chance(50)};
      s.queue_members.push_back(member);
      if (rng.Chance(10)) {  // the same listing row again, joined flipped
        member.joined = !member.joined;
        s.queue_members.push_back(member);
      }
    }
    s.queues.push_back(q);
  }
}

OrgSnapshot RandomOrg(uint64_t seed) {
  Rng rng(seed);
  OrgSnapshot s;
  const char* prefixes[] = {"Acme ", "Globex ", "Initech ", "Home", "Misc "};
  std::vector<std::string> division_ids;
  const size_t n_div = 3 + rng.Below(10);
  for (size_t i = 0; i < n_div; ++i) {
    const std::string id = "d" + std::to_string(i);
    // d1 is always "Misc 1": policy 2 maps it by id, which must not conflict with a glob.
    std::string name = i == 1 ? "Misc " : prefixes[rng.Below(5)];
    if (name != "Home") name += std::to_string(i);
    if (name == "Home" && i > 0) name = "Home " + std::to_string(i);
    s.divisions.push_back({id, name, "", false});
    division_ids.push_back(id);
  }
  std::vector<std::string> targets = division_ids;
  targets.push_back("*");
  targets.push_back("d-gone1");
  targets.push_back("d-gone2");
  std::vector<std::string> homes = division_ids;
  homes.push_back("d-gone1");
  homes.push_back("");

  std::vector<std::string> roles;
  for (size_t i = 0; i < 4; ++i) {
    roles.push_back("r" + std::to_string(i));
    if (i < 3) s.roles.push_back({roles.back(), "Role " + std::to_string(i)});
  }
  std::vector<std::string> user_ids;
  const size_t n_users = 5 + rng.Below(25);
  const char* states[] = {"active", "active", "active", "inactive", "deleted"};
  for (size_t i = 0; i < n_users; ++i) {
    const std::string id = "u" + std::to_string(i);
    s.users.push_back({id, "User " + id, "", Pick(rng, homes), states[rng.Below(5)]});
    user_ids.push_back(id);
  }
  std::vector<std::string> member_pool = user_ids;
  member_pool.push_back("u-ghost");
  std::vector<std::string> group_ids;
  for (size_t i = 0, n = rng.Below(6); i < n; ++i) {
    const std::string id = "g" + std::to_string(i);
    Group g{id, "Group " + id, rng.Chance(80), {}, true};
    for (size_t k = 0, m = rng.Below(8); k < m; ++k) g.member_ids.push_back(Pick(rng, member_pool));
    s.groups.push_back(g);
    group_ids.push_back(id);
  }
  group_ids.push_back("g-unlisted");
  std::vector<std::string> client_ids;
  for (size_t i = 0, n = rng.Below(4); i < n; ++i) {
    const std::string id = "c" + std::to_string(i);
    OAuthClient c{id, "Client " + id, "CLIENT-CREDENTIALS", "active", {}};
    for (size_t k = 0, m = rng.Below(4); k < m; ++k) {
      c.role_divisions.push_back({Pick(rng, roles), Pick(rng, targets)});
    }
    s.oauth_clients.push_back(c);
    client_ids.push_back(id);
  }
  s.external_subjects.push_back({"t0", "Trustee", SubjectType::kTrusteeUser, "PC_TRUSTEE_USER"});
  s.external_subjects.push_back({"t1", "Partner", SubjectType::kTrusteeGroup, "PC_TRUSTEE_GROUP"});
  s.external_subjects.push_back({"x0", "Robot", SubjectType::kUnknown, "PC_ROBOT"});

  std::vector<std::string> grant_users = user_ids;
  grant_users.push_back("u-ghost");
  for (size_t i = 0, n = rng.Below(80); i < n; ++i) {
    Grant g;
    g.role_id = Pick(rng, roles);
    g.division_id = Pick(rng, targets);
    switch (rng.Below(10)) {
      case 0:
      case 1:
      case 2:
      case 3:
        g.subject_type = SubjectType::kUser;
        g.subject_id = Pick(rng, grant_users);
        break;
      case 4:
      case 5:
      case 6:
        g.subject_type = SubjectType::kGroup;
        g.subject_id = Pick(rng, group_ids);
        break;
      case 7:
        if (client_ids.empty()) continue;
        g.subject_type = SubjectType::kOAuthClient;
        g.subject_id = Pick(rng, client_ids);
        break;
      case 8:
        g.subject_type = rng.Chance(50) ? SubjectType::kTrusteeUser : SubjectType::kTrusteeGroup;
        g.subject_id = g.subject_type == SubjectType::kTrusteeUser ? "t0" : "t1";
        break;
      default:
        g.subject_type = SubjectType::kUnknown;
        g.subject_id = "x0";
    }
    s.grants.push_back(g);
  }
  AddV2Inputs(seed, division_ids, group_ids, member_pool, s);
  Canonicalize(s);
  return s;
}

Policy RandomPolicy(uint64_t seed) {
  Rng rng(seed + 1000);
  Policy p;
  switch (rng.Below(4)) {
    case 0:
      break;  // no tenants
    case 1:
      p.tenants = {{"Acme", {"Acme*"}}, {"Globex", {"Globex*"}}, {"Initech", {"Initech*"}}};
      break;
    case 2:
      p.tenants = {{"Acme", {"Acme*", "d1"}}, {"Globex", {"Globex*"}}};
      break;
    default:
      p.tenants = {{"Everyone", {"*"}}};
  }
  if (rng.Chance(75)) p.shared_divisions = {"Home*"};
  if (rng.Chance(30)) p.shared_divisions.push_back("d2");
  // v2: the default org_wide_permissions half the time, else patterns with "*" in each part.
  const std::vector<std::vector<std::string>> pattern_sets = {
      {"*:*:*"},
      {"authorization:grant:add", "authorization:grant:delete"},
      {"directory:*:*", "*:*:view"},
      {"*:queue:*", "recording:recording:view", "authorization:role:edit"},
      {"*:grant:*", "oauth:*:add"},
  };
  if (rng.Chance(50)) p.org_wide_permissions = pattern_sets[rng.Below(pattern_sets.size())];
  return p;
}

// ---- the reference: docs/rules.md read literally, with sets ----

// Which v2 rules the sweep's listings let the audit judge (docs/rules.md, "Partial sweeps").
struct Judged {
  bool org_wide = true;   // needs the catalog and the role settings
  bool guardrail = true;  // needs the role settings
};

// How often each case of the precedence was met (the coverage test asserts every one occurs).
using Cases = std::map<std::string, int>;

std::string Join(const std::set<std::string>& items) {
  std::string out = "[";
  for (const auto& i : items) out += (out.size() > 1 ? "," : "") + i;
  return out + "]";
}

// "domain:entity:action" split in three (the patterns the generator uses are well formed).
std::array<std::string, 3> Parts(const std::string& text) {
  const size_t a = text.find(':');
  const size_t b = text.find(':', a + 1);
  return {text.substr(0, a), text.substr(a + 1, b - a - 1), text.substr(b + 1)};
}

// A part of a policy or a pattern matches a name when it is "*" or equal to it.
bool PartMatches(const std::string& part, const std::string& name) {
  return part == "*" || part == name;
}

// role id -> the sorted org-wide permissions of that role that the patterns select.
std::map<std::string, std::set<std::string>> ReferenceRolePermissions(const OrgSnapshot& s,
                                                                      const Policy& policy,
                                                                      Cases& cases) {
  std::map<std::string, std::set<std::string>> out;
  for (const Role& role : s.roles) {
    for (const PermissionPolicy& pp : role.policies) {
      if (pp.narrowed) {
        ++cases["narrowed policy gives nothing"];
        continue;
      }
      for (const CatalogPermission& c : s.permissions) {
        if (!PartMatches(pp.domain, c.domain) || !PartMatches(pp.entity_name, c.entity_type)) {
          continue;
        }
        bool action = false;
        for (const auto& a : pp.action_set) action = action || PartMatches(a, c.action);
        if (!action) continue;
        const bool grant_edit = c.domain == "authorization" && c.entity_type == "grant" &&
                                (c.action == "add" || c.action == "delete");
        // The setting alone decides for grant:add/delete (unread: not org-wide).
        const bool org_wide = grant_edit ? s.role_settings.has_value() &&
                                               !s.role_settings->authorization_grant_division_aware
                                         : !c.division_aware;
        if (!org_wide) continue;
        for (const auto& pattern : policy.org_wide_permissions) {
          const auto p = Parts(pattern);
          if (PartMatches(p[0], c.domain) && PartMatches(p[1], c.entity_type) &&
              PartMatches(p[2], c.action)) {
            out[role.id].insert(c.domain + ":" + c.entity_type + ":" + c.action);
          }
        }
      }
    }
  }
  return out;
}

std::vector<std::string> Reference(const OrgSnapshot& s, const TenantMap& map, const Policy& policy,
                                   const std::string& org_id, Judged judged = {},
                                   Cases* cases_out = nullptr) {
  Cases scratch;
  Cases& cases = cases_out ? *cases_out : scratch;
  std::set<std::string> out;
  std::set<std::string> known;
  for (const auto& d : s.divisions) known.insert(d.id);
  std::map<std::string, const User*> users;
  for (const auto& u : s.users) users[u.id] = &u;
  const auto deleted = [&](const std::string& id) {
    auto it = users.find(id);
    return it != users.end() && it->second->state == "deleted";
  };
  // (type, id) → set of (role, division)
  using Key = std::pair<SubjectType, std::string>;
  std::map<Key, std::set<std::pair<std::string, std::string>>> direct;
  for (const auto& g : s.grants)
    direct[{g.subject_type, g.subject_id.str()}].insert({g.role_id.str(), g.division_id.str()});
  for (const auto& c : s.oauth_clients) {
    for (const auto& rd : c.role_divisions) {
      direct[{SubjectType::kOAuthClient, c.id}].insert({rd.role_id, rd.division_id});
    }
  }
  std::map<std::string, std::set<std::string>> groups_of;  // user → groups
  for (const auto& g : s.groups) {
    for (const auto& m : g.member_ids) groups_of[m].insert(g.id);
  }
  // every audited subject: listed users plus anyone holding a grant or membership
  std::set<Key> subjects;
  for (const auto& [k, v] : direct) subjects.insert(k);
  for (const auto& u : s.users) subjects.insert({SubjectType::kUser, u.id});
  for (const auto& [u, gs] : groups_of) subjects.insert({SubjectType::kUser, u});

  const auto role_perms = ReferenceRolePermissions(s, policy, cases);

  std::set<std::string> unmapped_hit;
  for (const auto& u : s.users) {
    if (u.state != "deleted" && map.IsUnmapped(u.home_division_id)) {
      unmapped_hit.insert(u.home_division_id);
    }
  }
  const auto tag = [](SubjectType t, const std::string& id) {
    return std::string(SubjectTypeName(t)) + ":" + id;
  };
  for (const auto& [type, id] : subjects) {
    if (type == SubjectType::kUser && deleted(id)) continue;
    // effective: (role, division, via)
    std::set<std::tuple<std::string, std::string, std::string>> eff;
    for (const auto& [r, d] : direct[{type, id}]) eff.insert({r, d, "direct"});
    if (type == SubjectType::kUser) {
      for (const auto& g : groups_of[id]) {
        for (const auto& [r, d] : direct[{SubjectType::kGroup, g}])
          eff.insert({r, d, "group:" + g});
      }
    }
    std::optional<std::string> home_tenant;
    if (type == SubjectType::kUser && users.count(id)) {
      home_tenant = map.HomeTenantOf(*users[id]);
    }
    std::set<std::string> reached;
    for (const auto& [r, d, via] : eff) {
      if (d == "*") {
        out.insert("all_divisions " + tag(type, id) + " " + r + " * " + via);
        continue;
      }
      if (!known.count(d)) {
        if (via == "direct")
          out.insert("orphaned_grant " + tag(type, id) + " " + r + " " + d + " direct");
        continue;
      }
      if (map.IsUnmapped(d)) unmapped_hit.insert(d);
      const auto t = map.TenantOf(d);
      if (!t) continue;
      if (home_tenant) {
        if (*t != *home_tenant) {
          out.insert("cross_tenant " + tag(type, id) + " " + r + " " + d + " " + via);
        }
      } else {
        reached.insert(*t);
      }
    }
    if (!home_tenant && reached.size() >= 2) {
      std::string line = "multi_tenant_subject " + tag(type, id) + " - - - [";
      bool first = true;
      for (const auto& t : reached) {
        if (!first) line += ',';
        line += t;
        first = false;
      }
      out.insert(line + "]");
    }
    if (!judged.org_wide) continue;
    // org_wide_permission: per path (via) and role, the listed divisions it is held on; a path
    // that holds the role on "*" gives nothing here, nor one whose divisions are all unknown.
    std::map<std::pair<std::string, std::string>, std::pair<bool, std::set<std::string>>> paths;
    for (const auto& [r, d, via] : eff) {
      if (!role_perms.count(r)) continue;
      auto& [on_all, listed] = paths[{via, r}];
      if (d == "*") on_all = true;
      if (known.count(d)) listed.insert(d);
    }
    for (const auto& [path, held] : paths) {
      const auto& [via, r] = path;
      const auto& [on_all, listed] = held;
      if (on_all) {
        ++cases["org-wide role on * gives only all_divisions"];
        continue;
      }
      if (listed.empty()) {
        ++cases["org-wide role only on unknown divisions gives nothing"];
        continue;
      }
      const auto& perms = role_perms.at(r);
      out.insert("org_wide_permission " + tag(type, id) + " " + r + " - " + via +
                 " perms=" + Join(perms) + " divs=" + Join(listed));
      ++cases["org_wide_permission " + std::string(SubjectTypeName(type)) + " " +
              (via == "direct" ? "direct" : "via group")];
      for (const auto& d : listed) {
        if (map.IsShared(d)) ++cases["org_wide_permission on a shared division"];
      }
      if (perms.count("authorization:grant:add")) ++cases["setting off, grant:add holder"];
    }
  }
  if (judged.guardrail && s.role_settings && !s.role_settings->authorization_grant_division_aware) {
    out.insert("grant_guardrail_off org:" + org_id + " - - -");
  }
  // cross_tenant_queue: every listed member row of a queue in a division mapped to a tenant
  // other than the (audited, homed) member's; a queue's listed division is "used".
  for (const Queue& q : s.queues) {
    if (!known.count(q.division_id)) continue;
    if (map.IsUnmapped(q.division_id)) unmapped_hit.insert(q.division_id);
    const auto queue_tenant = map.TenantOf(q.division_id);
    for (const QueueMember& m : s.queue_members) {
      if (m.queue_id != q.id) continue;
      const auto user = users.find(m.user_id);
      if (user == users.end() || user->second->state == "deleted") continue;
      const auto home = map.HomeTenantOf(*user->second);
      if (!queue_tenant) {
        if (map.IsShared(q.division_id) && home) ++cases["queue in a shared division"];
        continue;
      }
      if (!home) {
        ++cases["queue member without a home tenant"];
        continue;
      }
      if (*home == *queue_tenant) continue;
      std::set<std::string> pullers;
      if (m.via_group) {
        for (const auto& g : q.member_groups) pullers.insert(g.id + "/" + g.type);
      }
      out.insert("cross_tenant_queue user:" + m.user_id + " - - " +
                 (m.via_group ? "group:" : "direct") + " queue=" + q.id + "@" + q.division_id +
                 " tenant=" + *queue_tenant + " groups=" + Join(pullers));
      ++cases[std::string("cross_tenant_queue ") + (m.via_group ? "group" : "direct") + " " +
              user->second->state];
    }
  }
  if (map.tenants_configured()) {
    for (const auto& d : unmapped_hit) out.insert("unmapped_division - - " + d + " -");
  }
  return {out.begin(), out.end()};
}

// The engine's finding in the reference's spelling: Summary() plus the v2 fields.
std::string Describe(const Finding& f) {
  std::string out = Summary(f);
  if (f.rule == Rule::kOrgWidePermission) {
    out += " perms=" + Join({f.permissions.begin(), f.permissions.end()}) +
           " divs=" + Join({f.divisions.begin(), f.divisions.end()});
  }
  if (f.rule == Rule::kCrossTenantQueue) {
    std::set<std::string> pullers;
    if (f.queue) {
      for (const auto& g : f.queue->member_groups) pullers.insert(g.id + "/" + g.type);
    }
    out += " queue=" + (f.queue ? f.queue->id + "@" + f.queue->division.id : "?") +
           " tenant=" + f.tenant.value_or("?") + " groups=" + Join(pullers);
    if (f.queue && f.queue->tenant != f.tenant) out += " (queue.tenant differs)";
  }
  return out;
}

std::vector<std::string> Describe(const std::vector<Finding>& findings) {
  std::vector<std::string> out;
  for (const Finding& f : findings) out.push_back(Describe(f));
  std::sort(out.begin(), out.end());
  return out;
}

const OrgRef kOrg{"org-1", "Org One"};

class EngineReferenceTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(EngineReferenceTest, AgreesWithNaiveReference) {
  const uint64_t seed = GetParam();
  const OrgSnapshot s = RandomOrg(seed);
  const Policy p = RandomPolicy(seed);
  auto map = TenantMap::Build(p, s.divisions);
  ASSERT_TRUE(map.ok()) << map.status().ToString();
  const AuditResult result =
      RunAudit(s, map.value(), p, testing::At("2026-11-23T08:00:00Z"), ListingCompleteness{}, kOrg);
  const auto& findings = result.findings;
  std::vector<std::string> got = Describe(findings);
  EXPECT_EQ(std::adjacent_find(got.begin(), got.end()), got.end()) << "duplicate findings";
  EXPECT_EQ(got, Reference(s, map.value(), p, kOrg.id)) << "seed " << seed;
  EXPECT_TRUE(std::is_sorted(findings.begin(), findings.end(), FindingLess));
  for (const Finding& f : findings) EXPECT_EQ(f.fingerprint, FingerprintOf(f));
  EXPECT_THAT(result.not_judged, ::testing::IsEmpty());
}

// A catalog or role settings listing that was not read completely: the rules that need it are
// not judged at all (no finding invented, none guessed from a default) and say so; every other
// rule is judged as before. An incomplete queue listing keeps the queue findings read.
TEST_P(EngineReferenceTest, IncompleteCatalogOrSettingsJudgeNothing) {
  const uint64_t seed = GetParam();
  const OrgSnapshot s = RandomOrg(seed);
  const Policy p = RandomPolicy(seed);
  auto map = TenantMap::Build(p, s.divisions);
  ASSERT_TRUE(map.ok()) << map.status().ToString();
  struct Variant {
    bool permissions, role_settings, queues;
    std::vector<std::string> not_judged;
  };
  const std::vector<Variant> variants = {
      {false, true, true, {"rule org_wide_permission: not judged (permissions)"}},
      {true,
       false,
       true,
       {"rule grant_guardrail_off: not judged (role settings)",
        "rule org_wide_permission: not judged (role settings)"}},
      {false,
       false,
       true,
       {"rule grant_guardrail_off: not judged (role settings)",
        "rule org_wide_permission: not judged (permissions)",
        "rule org_wide_permission: not judged (role settings)"}},
      {true, true, false, {"rule cross_tenant_queue: not judged (queues)"}},
  };
  for (const Variant& v : variants) {
    ListingCompleteness c;
    c.permissions = v.permissions;
    c.role_settings = v.role_settings;
    c.queues = v.queues;
    const Judged judged{v.permissions && v.role_settings, v.role_settings};
    const AuditResult result =
        RunAudit(s, map.value(), p, testing::At("2026-11-23T08:00:00Z"), c, kOrg);
    EXPECT_EQ(Describe(result.findings), Reference(s, map.value(), p, kOrg.id, judged))
        << "seed " << seed << " permissions " << v.permissions << " settings " << v.role_settings
        << " queues " << v.queues;
    EXPECT_EQ(result.not_judged, v.not_judged) << "seed " << seed;
  }
}

// The random orgs exercise every rule and every case of the v2 precedence (a differential test
// over empty outputs proves nothing).
TEST(EngineReferenceCoverageTest, RandomOrgsHitEveryRule) {
  std::map<Rule, int> by_rule;
  Cases cases;
  int conflicting_maps = 0;
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    const OrgSnapshot s = RandomOrg(seed);
    const Policy p = RandomPolicy(seed);
    auto map = TenantMap::Build(p, s.divisions);
    if (!map.ok()) {
      ++conflicting_maps;
      continue;
    }
    const auto now = testing::At("2026-11-23T08:00:00Z");
    for (const Finding& f : RunAudit(s, map.value(), p, now, {}, kOrg).findings) {
      ++by_rule[f.rule];
    }
    (void)Reference(s, map.value(), p, kOrg.id, {}, &cases);
  }
  EXPECT_EQ(conflicting_maps, 0);
  for (Rule r : kAllRules) EXPECT_GT(by_rule[r], 50) << RuleName(r);
  for (const char* c :
       {"narrowed policy gives nothing", "org-wide role on * gives only all_divisions",
        "org-wide role only on unknown divisions gives nothing", "org_wide_permission user direct",
        "org_wide_permission user via group", "org_wide_permission group direct",
        "org_wide_permission oauth_client direct", "org_wide_permission trustee_user direct",
        "org_wide_permission trustee_group direct", "org_wide_permission on a shared division",
        "setting off, grant:add holder", "queue in a shared division",
        "queue member without a home tenant", "cross_tenant_queue direct active",
        "cross_tenant_queue group active", "cross_tenant_queue direct inactive",
        "cross_tenant_queue group inactive"}) {
    EXPECT_GT(cases[c], 5) << c;
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, EngineReferenceTest, ::testing::Range<uint64_t>(1, 301));

}  // namespace
}  // namespace divaudit::audit
