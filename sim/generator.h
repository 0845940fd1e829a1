#pragma once

#include <cstdint>
#include <string_view>

#include "common/status.h"
#include "sim/org_json.h"

namespace divaudit::sim {

// Size and seed of a generated BPO org (see sim/README.md, "Org generator and truth").
struct GenerateSpec {
  int divisions = 40;
  int users = 2000;
  int groups = 40;
  int roles = 25;
  int clients = 12;
  int tenants = 0;  // 0: about divisions/5, at least 2
  uint64_t seed = 1;
  // Conversations (issue 15 evidence) start within the 23 hours before this instant (ms since
  // the Unix epoch) and end before it; divaudit-sim sets it to its start time. The default keeps
  // GenerateOrg pure: 2026-01-01T00:00:00Z.
  int64_t conversations_until_ms = 1'767'225'600'000;
  // Routing queues (bench sizes, issue 15). 0 (the default): one queue per tenant division.
  // N: N tenant queues, split evenly over the tenants (each tenant's over its divisions in
  // turn); the shared and unmapped queues come on top. At least the tenant count.
  int queues = 0;
  // 0 (the default): 10..~200 members per tenant queue. M: M ± M/4 (never more than the
  // tenant's active users), the same direct / via-group / unjoined mix.
  int queue_members = 0;
};

// Smallest sizes the generator accepts (every planted violation needs room).
inline constexpr int kMinDivisions = 6;
inline constexpr int kMinUsers = 100;
inline constexpr int kMinGroups = 8;
inline constexpr int kMinRoles = 6;
inline constexpr int kMinClients = 4;
inline constexpr int kMaxCount = 10'000'000;

// Parses "divisions=200,users=50000,groups=300,roles=40,clients=50,seed=7[,tenants=N]
// [,queues=N][,queue_members=M]". Every key is optional (defaults above); empty text gives the
// defaults. Errors (kInvalidArgument) name the key: unknown, duplicate, not a number, below the
// minimum, tenants too many for the divisions (tenants may be 0 or 2..divisions-4), queues below
// the tenant count (TenantCount), queue_members below 1.
Result<GenerateSpec> ParseGenerateSpec(std::string_view text);

// The number of tenants GenerateOrg makes for spec: tenants if set, else max(2, divisions/5),
// within 2..(tenant divisions). Pure.
int TenantCount(const GenerateSpec& spec);

// Generates an org with planted violations of every rule and its policy (tenants, shared
// divisions, one active and one expired exception). Deterministic: the same spec gives an
// identical fixture (and identical OrgToJson bytes) on every platform; ids are lower-case
// GUIDs derived from the seed. Sizes below the minimums are raised to them. Pure; thread-safe.
OrgFixture GenerateOrg(const GenerateSpec& spec);

}  // namespace divaudit::sim
