// The partial-listing matrix at the engine level (issue 12, failure 1): for every listing a sweep
// reads, the snapshot a sweep would assemble when that listing is cut short (every element of it
// dropped in turn, all of it, and seeded random subsets), audited with the sweep's
// ListingCompleteness, yields only findings the complete snapshot yields — never one invented
// from what was not read. And the rules that could not judge say so.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <random>
#include <set>

#include "audit/engine.h"
#include "tests/audit/org_builder.h"

namespace divaudit::audit {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::IsSupersetOf;
using testing::OrgBuilder;

constexpr auto kUser = SubjectType::kUser;
constexpr auto kGroup = SubjectType::kGroup;
constexpr auto kClient = SubjectType::kOAuthClient;
constexpr auto kTrusteeUser = SubjectType::kTrusteeUser;

const SystemTime kNow = testing::At("2026-11-23T08:00:00Z");

Policy TenantPolicy() {
  Policy p;
  p.tenants = {{"Acme Retail", {"Acme Retail", "Acme Retail *"}},
               {"Globex Health", {"Globex*"}},
               {"Initech", {"dI"}}};
  p.shared_divisions = {"Home"};
  return p;
}

// Every rule fires, through every kind of subject and path:
//  dA, dA2 Acme; dG Globex; dI Initech (by id); dH Home (shared); dX Orphanage (unmapped).
//  uA (dA), uA2 (dA, inactive), uG (dG), uH (dH), uX (dX), uE (no home division), uD (home on a
//  division the listing lacks), uZ (no user record: named by a grant and a membership).
OrgSnapshot RichOrg() {
  OrgBuilder b;
  b.Division("dA", "Acme Retail")
      .Division("dA2", "Acme Retail EU")
      .Division("dG", "Globex Health")
      .Division("dI", "Initech Corp")
      .Division("dH", "Home")
      .Division("dX", "Orphanage")
      .Role("r1", "Agent")
      .Role("r2", "Admin")
      .Role("r3", "Supervisor")
      .User("uA", "dA")
      .User("uA2", "dA", "inactive")
      .User("uG", "dG")
      .User("uH", "dH")
      .User("uX", "dX")
      .User("uE", "")
      .User("uD", "dGone", "inactive")
      .Group("g1", {"uA", "uA2", "uH", "uZ"})  // Acme + Globex: multi; cross for uA, uA2
      .Group("g2", {"uG", "uE"})               // on "*"
      .Group("g3", {"uG"})                     // an orphaned grant
      .Group("g4", {"uA"})                     // Acme only: clean
      .Client("c1", {{"r1", "dA"}, {"r1", "dG"}})
      .Client("c2", {{"r2", "*"}})
      .Client("c3", {{"r1", "dA2"}})
      .External("t1", kTrusteeUser)
      .GroupGrant("g1", "r1", "dA")
      .GroupGrant("g1", "r1", "dG")
      .GroupGrant("g2", "r2", "*")
      .GroupGrant("g3", "r1", "dGone2")
      .GroupGrant("g4", "r3", "dA2")
      .UserGrant("uA", "r2", "dG")     // cross_tenant direct
      .UserGrant("uA", "r3", "dGone")  // orphaned
      .UserGrant("uA2", "r2", "dI")    // cross_tenant (inactive user)
      .UserGrant("uG", "r1", "*")      // all_divisions
      .UserGrant("uG", "r1", "dX")     // unmapped_division target
      .UserGrant("uG", "r3", "dG")     // clean
      .UserGrant("uH", "r1", "dA")     // multi (shared home) with dG
      .UserGrant("uH", "r1", "dG")
      .UserGrant("uX", "r1", "dA")  // multi (unmapped home) with dI
      .UserGrant("uX", "r1", "dI")
      .UserGrant("uE", "r3", "dA")  // multi (no home) with dG
      .UserGrant("uE", "r3", "dG")
      .UserGrant("uD", "r1", "dA")  // multi (home division unknown) with dI
      .UserGrant("uD", "r1", "dI")
      .UserGrant("uZ", "r3", "dI")  // multi (no user record) with g1's dA, dG
      .Grant(kClient, "c1", "r1", "dA")
      .Grant(kTrusteeUser, "t1", "r1", "dA")
      .Grant(kTrusteeUser, "t1", "r1", "dG")
      .Grant(kTrusteeUser, "t1", "r3", "dGone3");
  return b.Build();
}

AuditResult AuditOf(const OrgSnapshot& s, const ListingCompleteness& c = {}) {
  const Policy p = TenantPolicy();
  auto map = TenantMap::Build(p, s.divisions);
  EXPECT_TRUE(map.ok()) << map.status().ToString();
  return RunAudit(s, map.value(), p, kNow, c);
}

// Identity, state and tenants (a partial multi_tenant_subject may list fewer tenants).
std::map<std::string, const Finding*> ByFingerprint(const std::vector<Finding>& findings) {
  std::map<std::string, const Finding*> out;
  for (const Finding& f : findings) out[f.fingerprint] = &f;
  return out;
}

// The findings of `partial` that `complete` does not have (or has in another state, or with
// fewer tenants), as Summary strings.
std::vector<std::string> Invented(const std::vector<Finding>& complete,
                                  const std::vector<Finding>& partial) {
  const auto known = ByFingerprint(complete);
  std::vector<std::string> out;
  for (const Finding& f : partial) {
    const auto it = known.find(f.fingerprint);
    if (it == known.end() || it->second->state != f.state) {
      out.push_back(testing::Summary(f));
      continue;
    }
    const std::set<std::string> all(it->second->tenants.begin(), it->second->tenants.end());
    for (const auto& t : f.tenants) {
      if (!all.contains(t)) out.push_back(testing::Summary(f) + " (tenant " + t + ")");
    }
  }
  return out;
}

// One listing cut short: drops the chosen elements from the snapshot as a sweep would have
// assembled it, and marks the listing incomplete.
struct Listing {
  std::string name;
  // Number of elements the listing returns in the complete snapshot.
  std::function<size_t(const OrgSnapshot&)> size;
  // Drops element i (in the listing's own order) from `s`; called with descending i.
  std::function<void(OrgSnapshot& s, size_t i)> drop;
  std::function<void(ListingCompleteness&)> mark;
};

std::vector<size_t> IndicesOf(const std::vector<Grant>& grants,
                              const std::function<bool(const Grant&)>& pred) {
  std::vector<size_t> out;
  for (size_t i = 0; i < grants.size(); ++i) {
    if (pred(grants[i])) out.push_back(i);
  }
  return out;
}

template <typename T>
std::vector<size_t> IndicesWhere(const std::vector<T>& v, const std::function<bool(const T&)>& p) {
  std::vector<size_t> out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (p(v[i])) out.push_back(i);
  }
  return out;
}

std::vector<Listing> EveryListing() {
  std::vector<Listing> out;
  out.push_back({"divisions", [](const OrgSnapshot& s) { return s.divisions.size(); },
                 [](OrgSnapshot& s, size_t i) { s.divisions.erase(s.divisions.begin() + i); },
                 [](ListingCompleteness& c) { c.divisions = false; }});
  // An unlisted role: its subject grants are never asked for (clients' roleDivisions stay).
  out.push_back({"roles", [](const OrgSnapshot& s) { return s.roles.size(); },
                 [](OrgSnapshot& s, size_t i) {
                   const std::string role = s.roles[i].id;
                   s.roles.erase(s.roles.begin() + i);
                   std::erase_if(s.grants, [&](const Grant& g) { return g.role_id == role; });
                 },
                 [](ListingCompleteness& c) { c.roles = false; }});
  for (const char* role : {"r1", "r2", "r3"}) {
    const auto of_role = [role](const OrgSnapshot& s) {
      return IndicesOf(s.grants, [role](const Grant& g) { return g.role_id == role; });
    };
    out.push_back(
        {std::string("subject grants of ") + role,
         [of_role](const OrgSnapshot& s) { return of_role(s).size(); },
         [of_role](OrgSnapshot& s, size_t i) { s.grants.erase(s.grants.begin() + of_role(s)[i]); },
         [role](ListingCompleteness& c) { c.roles_without_grants = {role}; }});
  }
  for (const char* state : {"active", "inactive"}) {
    const auto of_state = [state](const OrgSnapshot& s) {
      return IndicesWhere<User>(s.users, [state](const User& u) { return u.state == state; });
    };
    out.push_back(
        {std::string("users (state=") + state + ")",
         [of_state](const OrgSnapshot& s) { return of_state(s).size(); },
         [of_state](OrgSnapshot& s, size_t i) { s.users.erase(s.users.begin() + of_state(s)[i]); },
         [state](ListingCompleteness& c) {
           (std::string(state) == "active" ? c.active_users : c.inactive_users) = false;
         }});
  }
  // A granted group the groups listing lacks is still kept by the sweep (its members were read
  // from its own listing), without a name.
  out.push_back({"groups", [](const OrgSnapshot& s) { return s.groups.size(); },
                 [](OrgSnapshot& s, size_t i) {
                   s.groups[i].name.clear();
                   s.groups[i].roles_enabled = true;
                 },
                 [](ListingCompleteness& c) { c.groups = false; }});
  for (const char* group : {"g1", "g2", "g4"}) {
    const auto members = [group](const OrgSnapshot& s) -> const std::vector<std::string>* {
      for (const Group& g : s.groups) {
        if (g.id == group) return &g.member_ids;
      }
      return nullptr;
    };
    out.push_back({std::string("members of ") + group,
                   [members](const OrgSnapshot& s) { return members(s)->size(); },
                   [group](OrgSnapshot& s, size_t i) {
                     for (Group& g : s.groups) {
                       if (g.id == group) g.member_ids.erase(g.member_ids.begin() + i);
                     }
                   },
                   [group](ListingCompleteness& c) { c.groups_without_members = {group}; }});
  }
  out.push_back(
      {"oauth clients", [](const OrgSnapshot& s) { return s.oauth_clients.size(); },
       [](OrgSnapshot& s, size_t i) { s.oauth_clients.erase(s.oauth_clients.begin() + i); },
       [](ListingCompleteness& c) { c.oauth_clients = false; }});
  // Coverage below 1.0: the grants on a division our client cannot see are not listed.
  out.push_back({"coverage", [](const OrgSnapshot& s) { return s.divisions.size(); },
                 [](OrgSnapshot& s, size_t i) {
                   const std::string hidden = s.divisions[i].id;
                   std::erase_if(s.grants, [&](const Grant& g) { return g.division_id == hidden; });
                 },
                 [](ListingCompleteness& c) { c.coverage = false; }});
  return out;
}

// The subsets of a listing of n elements to drop: each one alone, all, none (the listing failed
// on its last page), and seeded random subsets.
std::vector<std::vector<size_t>> DropSets(size_t n) {
  std::vector<std::vector<size_t>> sets = {{}};
  std::vector<size_t> all;
  for (size_t i = 0; i < n; ++i) {
    sets.push_back({i});
    all.push_back(i);
  }
  sets.push_back(all);
  std::mt19937_64 rng(12);
  for (int k = 0; k < 40 && n > 1; ++k) {
    std::vector<size_t> subset;
    for (size_t i = 0; i < n; ++i) {
      if (rng() % 2 == 0) subset.push_back(i);
    }
    sets.push_back(subset);
  }
  return sets;
}

OrgSnapshot Cut(const OrgSnapshot& complete, const Listing& l, std::vector<size_t> drop) {
  OrgSnapshot s = complete;
  std::sort(drop.rbegin(), drop.rend());  // descending: indices stay valid
  for (const size_t i : drop) l.drop(s, i);
  Canonicalize(s);
  return s;
}

TEST(EnginePartialTest, TheRichOrgFiresEveryRule) {
  const AuditResult r = AuditOf(RichOrg());
  std::set<Rule> rules;
  for (const Finding& f : r.findings) rules.insert(f.rule);
  EXPECT_EQ(rules.size(), 5U) << ::testing::PrintToString(testing::Summaries(r.findings));
  EXPECT_THAT(r.not_judged, IsEmpty());
}

// The matrix: every listing × every way of cutting it short → no invented finding.
TEST(EnginePartialTest, AListingCutShortNeverInventsAFinding) {
  const OrgSnapshot complete = RichOrg();
  const std::vector<Finding> want = AuditOf(complete).findings;
  int cases = 0;
  for (const Listing& l : EveryListing()) {
    ListingCompleteness c;
    l.mark(c);
    ASSERT_FALSE(c.all()) << l.name;
    for (const auto& drop : DropSets(l.size(complete))) {
      const OrgSnapshot partial = Cut(complete, l, drop);
      const AuditResult got = AuditOf(partial, c);
      EXPECT_THAT(Invented(want, got.findings), IsEmpty())
          << l.name << " without elements " << ::testing::PrintToString(drop);
      ++cases;
    }
  }
  EXPECT_GT(cases, 500);
}

// The same matrix audited as if every listing were complete (the engine before completeness):
// the users and divisions listings invent findings. This is what the test above guards against.
TEST(EnginePartialTest, WithoutCompletenessAShortUsersListingInventsFindings) {
  const OrgSnapshot complete = RichOrg();
  const std::vector<Finding> want = AuditOf(complete).findings;
  std::map<std::string, size_t> invented;
  for (const Listing& l : EveryListing()) {
    for (const auto& drop : DropSets(l.size(complete))) {
      invented[l.name] += Invented(want, AuditOf(Cut(complete, l, drop)).findings).size();
    }
  }
  EXPECT_GT(invented["users (state=active)"], 0U);
  EXPECT_GT(invented["users (state=inactive)"], 0U);
  EXPECT_GT(invented["divisions"], 0U);
}

// What a partial sweep still opens: positive evidence that missing data cannot contradict.
TEST(EnginePartialTest, PositiveEvidenceStillOpens) {
  const OrgSnapshot complete = RichOrg();
  // No user, no division listed beyond dA, dG: uG's grant on "*" and the trustee's two tenants
  // stand; uA's cross-tenant grant stands (home and target listed).
  OrgSnapshot s = complete;
  std::erase_if(s.users, [](const User& u) { return u.id != "uA"; });
  std::erase_if(s.divisions, [](const Division& d) { return d.id != "dA" && d.id != "dG"; });
  ListingCompleteness c;
  c.active_users = c.inactive_users = c.divisions = false;
  const auto summaries = testing::Summaries(AuditOf(s, c).findings);
  EXPECT_THAT(summaries, Contains("all_divisions user:uG r1 * direct"));
  EXPECT_THAT(summaries, Contains("all_divisions user:uG r2 * group:g2"));
  EXPECT_THAT(summaries, Contains("cross_tenant user:uA r2 dG direct"));
  EXPECT_THAT(summaries, Contains("cross_tenant user:uA r1 dG group:g1"));
  EXPECT_THAT(summaries,
              Contains("multi_tenant_subject trustee_user:t1 - - - [Acme Retail,Globex Health]"));
  EXPECT_THAT(summaries,
              Contains("multi_tenant_subject group:g1 - - - [Acme Retail,Globex Health]"));
  // …and no verdict from absence: no orphaned grant, no user without a known home judged.
  for (const auto& f : summaries) {
    EXPECT_EQ(f.find("orphaned_grant"), std::string::npos) << f;
    EXPECT_EQ(f.find("multi_tenant_subject user:"), std::string::npos) << f;
  }
}

TEST(EnginePartialTest, UsersMissingFromAShortListingAreNotJudgedAndCounted) {
  OrgSnapshot s = RichOrg();
  // The inactive listing failed: uA2 and uD were not read.
  std::erase_if(s.users, [](const User& u) { return u.state == "inactive"; });
  ListingCompleteness c;
  c.inactive_users = false;
  const AuditResult r = AuditOf(s, c);
  // uA2 (cross_tenant via g1 and direct) and uD (multi) are not judged; uZ has no record in any
  // listing either and is now unknown too (it might be an inactive user with a home).
  EXPECT_THAT(r.not_judged,
              ElementsAre("rule cross_tenant: not judged (users) for 3 subjects",
                          "rule multi_tenant_subject: not judged (users) for 3 subjects",
                          "rule unmapped_division: not judged (users)"));
  for (const auto& f : testing::Summaries(r.findings)) {
    EXPECT_EQ(f.find("user:uA2"), std::string::npos) << f;
    EXPECT_EQ(f.find("multi_tenant_subject user:uD"), std::string::npos) << f;
    EXPECT_EQ(f.find("multi_tenant_subject user:uZ"), std::string::npos) << f;
  }
}

TEST(EnginePartialTest, AShortDivisionsListingJudgesNoOrphanAndNoUnknownHome) {
  OrgSnapshot s = RichOrg();
  // dI was not read: uA2's grant on it and uX/uD's grants on it name an id the listing lacks.
  std::erase_if(s.divisions, [](const Division& d) { return d.id == "dI"; });
  ListingCompleteness c;
  c.divisions = false;
  const AuditResult r = AuditOf(s, c);
  const auto summaries = testing::Summaries(r.findings);
  for (const auto& f : summaries) EXPECT_EQ(f.find("orphaned_grant"), std::string::npos) << f;
  // uD's home (dGone) is missing from an incomplete listing: not judged (it was multi before).
  EXPECT_THAT(summaries,
              ::testing::Not(Contains(::testing::StartsWith("multi_tenant_subject user:uD"))));
  // Orphan candidates: uA→dGone, g3→dGone2, t1→dGone3, uA2/uX/uD/uZ→dI.
  EXPECT_THAT(r.not_judged,
              ElementsAre("rule cross_tenant: not judged (divisions) for 1 subject",
                          "rule multi_tenant_subject: not judged (divisions) for 1 subject",
                          "rule unmapped_division: not judged (divisions)",
                          "rule orphaned_grant: not judged (divisions) for 7 grants"));
}

TEST(EnginePartialTest, GrantListingsNameEveryRuleThatReadsThem) {
  ListingCompleteness c;
  c.roles_without_grants = {"r1", "r2"};
  c.groups_without_members = {"g1"};
  c.coverage = false;
  const AuditResult r = AuditOf(RichOrg(), c);
  EXPECT_THAT(r.not_judged,
              IsSupersetOf({"rule all_divisions: not judged (subject grants of 2 roles)",
                            "rule all_divisions: not judged (members of 1 group)",
                            "rule cross_tenant: not judged (coverage)",
                            "rule orphaned_grant: not judged (coverage)"}));
  // Members never feed orphaned_grant (found on the holder only), nor unmapped_division.
  EXPECT_THAT(r.not_judged, ::testing::Not(Contains("rule orphaned_grant: not judged (members of "
                                                    "1 group)")));
  // The snapshot is the complete one: the findings are unchanged (nothing was missing).
  EXPECT_EQ(testing::Summaries(r.findings), testing::Summaries(AuditOf(RichOrg()).findings));
}

TEST(EnginePartialTest, AShortGroupsListingChangesNoFinding) {
  OrgSnapshot s = RichOrg();
  for (Group& g : s.groups) g.name.clear();
  ListingCompleteness c;
  c.groups = false;
  const AuditResult r = AuditOf(s, c);
  std::vector<std::string> want, got;
  for (const Finding& f : AuditOf(RichOrg()).findings) want.push_back(f.fingerprint);
  for (const Finding& f : r.findings) got.push_back(f.fingerprint);
  EXPECT_EQ(got, want);
  EXPECT_THAT(r.not_judged, IsEmpty());  // the groups listing gives names only
}

}  // namespace
}  // namespace divaudit::audit
