#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "audit/org_snapshot.h"
#include "audit/policy.h"
#include "common/status.h"

namespace divaudit::audit {

// Which tenant each division of an org belongs to (docs/rules.md "Terms").
//
// Built once per sweep from the policy and the snapshot's division listing:
//  - a `[[tenant]]` pattern matches a division when it equals the division's id, or matches the
//    division's name as a glob (GlobMatch: '*', '?'; a pattern without glob characters is an
//    exact, case-sensitive name);
//  - a division matched by two different tenants is an error (kInvalidArgument) naming the
//    division and both tenants; two patterns of the same tenant matching it are fine;
//  - `shared_divisions` use the same matching; a shared division belongs to no tenant, and
//    SHARED WINS: a division that is shared and also matched by a tenant pattern is shared (so a
//    broad glob such as "Acme*" may coexist with shared_divisions = ["Acme Shared"]);
//  - with no tenants configured every non-shared division is its own tenant, named after the
//    division (its id when the name is empty);
//  - a division neither shared nor mapped is "unmapped" (only possible when tenants are
//    configured).
// `*` (All Divisions) and ids missing from the listing are not divisions: they have no tenant,
// are not shared and are not known.
//
// Immutable after Build; thread-safe for concurrent readers. Holds copies of what it needs (does
// not reference the snapshot).
class TenantMap {
 public:
  enum class Kind : uint8_t { kUnknown, kShared, kMapped, kUnmapped };

  // Errors: kInvalidArgument when a division matches two tenants.
  static Result<TenantMap> Build(const Policy& policy, const std::vector<Division>& divisions);

  // True when the policy configured [[tenant]] blocks.
  bool tenants_configured() const { return tenants_configured_; }

  // Tenant of a division id; nullopt for shared, unmapped, unknown ids and "*".
  std::optional<std::string> TenantOf(std::string_view division_id) const;
  bool IsShared(std::string_view division_id) const;
  // True when the id is in the division listing ("*" is not).
  bool IsKnownDivision(std::string_view division_id) const;
  // True for a known division that is neither shared nor mapped.
  bool IsUnmapped(std::string_view division_id) const;
  Kind KindOf(std::string_view division_id) const;
  // The tenant of the user's home division; nullopt when the home is shared, unmapped, unknown
  // or missing.
  std::optional<std::string> HomeTenantOf(const User& user) const;

  // Every tenant name with at least one division, sorted, unique. Tenant indices below index it.
  const std::vector<std::string>& tenant_names() const { return tenant_names_; }
  // Index into tenant_names() of a division's tenant; -1 when it has none.
  int32_t TenantIndexOf(std::string_view division_id) const;

  // Configured patterns (tenant and shared) that matched no division: worth a warning in
  // check-config, never an error (divisions come and go). "tenant <name>: <pattern>" or
  // "shared: <pattern>".
  const std::vector<std::string>& unmatched_patterns() const { return unmatched_patterns_; }

 private:
  struct Entry {
    Kind kind = Kind::kUnknown;
    int32_t tenant = -1;
  };
  const Entry* Find(std::string_view division_id) const;

  bool tenants_configured_ = false;
  std::vector<std::string> tenant_names_;
  std::unordered_map<std::string, Entry> by_id_;
  std::vector<std::string> unmatched_patterns_;
};

}  // namespace divaudit::audit
