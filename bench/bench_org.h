#pragma once

// Generated orgs shared by the micro-benchmarks (built once per process, on first use).

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/generator.h"
#include "sim/org_json.h"

namespace divaudit::bench {

// divisions=200,users=50000,groups=300,roles=40,clients=50,seed=7 (≈500,000 grants).
inline const sim::OrgFixture& Org50k() {
  static const sim::OrgFixture* org = [] {
    sim::GenerateSpec spec;
    spec.divisions = 200;
    spec.users = 50000;
    spec.groups = 300;
    spec.roles = 40;
    spec.clients = 50;
    spec.seed = 7;
    return new sim::OrgFixture(sim::GenerateOrg(spec));
  }();
  return *org;
}

// Org50k() plus v2 inputs (issue 14's size): a 3,000-permission catalog over 80 domains (a fifth
// not division-aware; the real domains the default org_wide_permissions name among them), 30
// policies on each of the 40 roles (wildcards in every part, one in ten narrowed; only the
// last three roles reach the real domains), the grant guardrail off. Deterministic.
inline const sim::OrgFixture& Org50kWithPermissions() {
  static const sim::OrgFixture* org = [] {
    auto* fixture = new sim::OrgFixture(Org50k());
    audit::OrgSnapshot& s = fixture->org;
    uint64_t state = 11;
    const auto below = [&state](size_t n) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      return static_cast<size_t>((state >> 33) % n);
    };
    std::vector<std::string> domains = {"directory", "authorization", "recording",
                                        "analytics", "integrations",  "oauth"};
    while (domains.size() < 80) domains.push_back("domain" + std::to_string(domains.size()));
    const std::vector<std::string> entities = {
        "organization",       "group", "role", "grant", "client", "recording",
        "conversationDetail", "queue"};
    const std::vector<std::string> actions = {"view", "add", "edit", "delete", "admin"};
    s.permissions.clear();
    for (size_t i = 0; s.permissions.size() < 3000; ++i) {
      const std::string& d = domains[i % domains.size()];
      const std::string& e = entities[(i / domains.size()) % entities.size()];
      const std::string& a = actions[(i / (domains.size() * entities.size())) % actions.size()];
      std::string entity =
          i < domains.size() * entities.size() * actions.size() ? e : e + std::to_string(i);
      s.permissions.push_back({d, std::move(entity), a, below(5) != 0});
    }
    for (size_t r = 0; r < s.roles.size() && r < 40; ++r) {
      auto& policies = s.roles[r].policies;
      policies.clear();
      if (r == 0) policies.push_back({"*", "*", {"*"}, false});
      for (int k = 0; k < 30; ++k) {
        std::vector<std::string> set = below(3) == 0
                                           ? std::vector<std::string>{"*"}
                                           : std::vector<std::string>{"add", "edit", "view"};
        // Only three admin roles (the last ones) reach the real domains the default
        // org_wide_permissions name; the others carry synthetic domains, as most roles do.
        const size_t first = r + 3 >= std::min<size_t>(s.roles.size(), 40) ? 0 : 6;
        policies.push_back({domains[first + below(domains.size() - first)],
                            below(4) == 0 ? "*" : entities[below(entities.size())], std::move(set),
                            below(10) == 0});
      }
    }
    s.role_settings = audit::RoleSettings{false, true};
    audit::Canonicalize(s);
    return fixture;
  }();
  return *org;
}

}  // namespace divaudit::bench
