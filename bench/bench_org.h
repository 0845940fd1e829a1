#pragma once

// Generated orgs shared by the micro-benchmarks (built once per process, on first use).

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

}  // namespace divaudit::bench
