#include "audit/tenant_map.h"

#include <algorithm>
#include <map>

#include "common/strings.h"

namespace divaudit::audit {

namespace {

bool PatternMatches(std::string_view pattern, const Division& d) {
  return pattern == d.id || GlobMatch(pattern, d.name);
}

std::string Describe(const Division& d) { return "division \"" + d.name + "\" (id " + d.id + ")"; }

}  // namespace

Result<TenantMap> TenantMap::Build(const Policy& policy, const std::vector<Division>& divisions) {
  TenantMap map;
  map.tenants_configured_ = !policy.tenants.empty();

  std::vector<bool> shared_used(policy.shared_divisions.size(), false);
  std::vector<std::vector<bool>> tenant_used(policy.tenants.size());
  for (size_t t = 0; t < policy.tenants.size(); ++t) {
    tenant_used[t].assign(policy.tenants[t].divisions.size(), false);
  }

  // Division id → tenant name (before indices are assigned).
  std::vector<std::pair<const Division*, std::string>> mapped;
  std::vector<const Division*> shared;
  std::vector<const Division*> unmapped;
  mapped.reserve(divisions.size());

  for (const Division& d : divisions) {
    bool is_shared = false;
    for (size_t i = 0; i < policy.shared_divisions.size(); ++i) {
      if (PatternMatches(policy.shared_divisions[i], d)) {
        is_shared = true;
        shared_used[i] = true;
      }
    }
    if (!map.tenants_configured_) {
      if (is_shared) {
        shared.push_back(&d);
      } else {
        mapped.emplace_back(&d, d.name.empty() ? d.id : d.name);
      }
      continue;
    }
    const TenantSpec* owner = nullptr;
    for (size_t t = 0; t < policy.tenants.size(); ++t) {
      const TenantSpec& spec = policy.tenants[t];
      bool hit = false;
      for (size_t p = 0; p < spec.divisions.size(); ++p) {
        if (PatternMatches(spec.divisions[p], d)) {
          hit = true;
          tenant_used[t][p] = true;
        }
      }
      if (!hit) continue;
      // Shared wins: tenant patterns over a shared division neither map it nor conflict.
      if (!is_shared && owner != nullptr && owner->name != spec.name) {
        return InvalidArgumentError(Describe(d) + " matches tenant \"" + owner->name +
                                    "\" and tenant \"" + spec.name +
                                    "\"; a division may belong to one tenant only");
      }
      if (owner == nullptr) owner = &spec;
    }
    if (is_shared) {
      shared.push_back(&d);
    } else if (owner != nullptr) {
      mapped.emplace_back(&d, owner->name);
    } else {
      unmapped.push_back(&d);
    }
  }

  for (const auto& [d, name] : mapped) map.tenant_names_.push_back(name);
  std::sort(map.tenant_names_.begin(), map.tenant_names_.end());
  map.tenant_names_.erase(std::unique(map.tenant_names_.begin(), map.tenant_names_.end()),
                          map.tenant_names_.end());

  map.by_id_.reserve(divisions.size());
  for (const auto& [d, name] : mapped) {
    const auto it = std::lower_bound(map.tenant_names_.begin(), map.tenant_names_.end(), name);
    map.by_id_[d->id] = Entry{Kind::kMapped, static_cast<int32_t>(it - map.tenant_names_.begin())};
  }
  for (const Division* d : shared) map.by_id_[d->id] = Entry{Kind::kShared, -1};
  for (const Division* d : unmapped) map.by_id_[d->id] = Entry{Kind::kUnmapped, -1};
  // "*" is never a division, even if a listing were to contain it.
  map.by_id_.erase(std::string(kAllDivisionsId));

  for (size_t i = 0; i < shared_used.size(); ++i) {
    if (!shared_used[i]) {
      map.unmatched_patterns_.push_back("shared: " + policy.shared_divisions[i]);
    }
  }
  for (size_t t = 0; t < tenant_used.size(); ++t) {
    for (size_t p = 0; p < tenant_used[t].size(); ++p) {
      if (!tenant_used[t][p]) {
        map.unmatched_patterns_.push_back("tenant " + policy.tenants[t].name + ": " +
                                          policy.tenants[t].divisions[p]);
      }
    }
  }
  return map;
}

const TenantMap::Entry* TenantMap::Find(std::string_view division_id) const {
  const auto it = by_id_.find(std::string(division_id));
  return it == by_id_.end() ? nullptr : &it->second;
}

std::optional<std::string> TenantMap::TenantOf(std::string_view division_id) const {
  const int32_t t = TenantIndexOf(division_id);
  if (t < 0) return std::nullopt;
  return tenant_names_[static_cast<size_t>(t)];
}

int32_t TenantMap::TenantIndexOf(std::string_view division_id) const {
  const Entry* e = Find(division_id);
  return e == nullptr ? -1 : e->tenant;
}

TenantMap::Kind TenantMap::KindOf(std::string_view division_id) const {
  const Entry* e = Find(division_id);
  return e == nullptr ? Kind::kUnknown : e->kind;
}

bool TenantMap::IsShared(std::string_view division_id) const {
  return KindOf(division_id) == Kind::kShared;
}

bool TenantMap::IsKnownDivision(std::string_view division_id) const {
  return KindOf(division_id) != Kind::kUnknown;
}

bool TenantMap::IsUnmapped(std::string_view division_id) const {
  return KindOf(division_id) == Kind::kUnmapped;
}

std::optional<std::string> TenantMap::HomeTenantOf(const User& user) const {
  if (user.home_division_id.empty()) return std::nullopt;
  return TenantOf(user.home_division_id);
}

}  // namespace divaudit::audit
