// Differential test: the indexed engine against a deliberately naive, set-based reading of
// docs/rules.md, on random orgs with fixed seeds. The reference shares only TenantMap (tested on
// its own) and Summary().

#include <gmock/gmock.h>
#include <gtest/gtest.h>

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
  return p;
}

// ---- the reference: docs/rules.md read literally, with sets ----

std::vector<std::string> Reference(const OrgSnapshot& s, const TenantMap& map) {
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
  }
  if (map.tenants_configured()) {
    for (const auto& d : unmapped_hit) out.insert("unmapped_division - - " + d + " -");
  }
  return {out.begin(), out.end()};
}

class EngineReferenceTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(EngineReferenceTest, AgreesWithNaiveReference) {
  const uint64_t seed = GetParam();
  const OrgSnapshot s = RandomOrg(seed);
  const Policy p = RandomPolicy(seed);
  auto map = TenantMap::Build(p, s.divisions);
  ASSERT_TRUE(map.ok()) << map.status().ToString();
  const auto findings = Audit(s, map.value(), p, testing::At("2026-11-23T08:00:00Z"));
  std::vector<std::string> got = testing::Summaries(findings);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(std::adjacent_find(got.begin(), got.end()), got.end()) << "duplicate findings";
  EXPECT_EQ(got, Reference(s, map.value())) << "seed " << seed;
  EXPECT_TRUE(std::is_sorted(findings.begin(), findings.end(), FindingLess));
  for (const Finding& f : findings) EXPECT_EQ(f.fingerprint, FingerprintOf(f));
}

// The random orgs exercise every rule (a differential test over empty outputs proves nothing).
TEST(EngineReferenceCoverageTest, RandomOrgsHitEveryRule) {
  std::map<Rule, int> by_rule;
  int conflicting_maps = 0;
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    const OrgSnapshot s = RandomOrg(seed);
    const Policy p = RandomPolicy(seed);
    auto map = TenantMap::Build(p, s.divisions);
    if (!map.ok()) {
      ++conflicting_maps;
      continue;
    }
    for (const Finding& f : Audit(s, map.value(), p, testing::At("2026-11-23T08:00:00Z"))) {
      ++by_rule[f.rule];
    }
  }
  EXPECT_EQ(conflicting_maps, 0);
  for (Rule r : {Rule::kAllDivisions, Rule::kCrossTenant, Rule::kMultiTenantSubject,
                 Rule::kUnmappedDivision, Rule::kOrphanedGrant}) {
    EXPECT_GT(by_rule[r], 50) << RuleName(r);
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, EngineReferenceTest, ::testing::Range<uint64_t>(1, 301));

}  // namespace
}  // namespace divaudit::audit
