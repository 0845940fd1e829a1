#include "audit/org_snapshot.h"

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <vector>

namespace divaudit::audit {

std::string_view SubjectTypeName(SubjectType t) {
  switch (t) {
    case SubjectType::kUser:
      return "user";
    case SubjectType::kGroup:
      return "group";
    case SubjectType::kOAuthClient:
      return "oauth_client";
    case SubjectType::kTrusteeUser:
      return "trustee_user";
    case SubjectType::kTrusteeGroup:
      return "trustee_group";
    case SubjectType::kUnknown:
      return "unknown";
    case SubjectType::kOrg:
      return "org";
  }
  return "unknown";
}

SubjectType SubjectTypeFromName(std::string_view name) {
  if (name == "user") return SubjectType::kUser;
  if (name == "group") return SubjectType::kGroup;
  if (name == "oauth_client") return SubjectType::kOAuthClient;
  if (name == "trustee_user") return SubjectType::kTrusteeUser;
  if (name == "trustee_group") return SubjectType::kTrusteeGroup;
  if (name == "org") return SubjectType::kOrg;
  return SubjectType::kUnknown;
}

SubjectType SubjectTypeFromGenesys(std::string_view pc_type) {
  if (pc_type == "PC_USER") return SubjectType::kUser;
  if (pc_type == "PC_GROUP") return SubjectType::kGroup;
  if (pc_type == "PC_OAUTH_CLIENT") return SubjectType::kOAuthClient;
  if (pc_type == "PC_TRUSTEE_USER") return SubjectType::kTrusteeUser;
  if (pc_type == "PC_TRUSTEE_GROUP") return SubjectType::kTrusteeGroup;
  return SubjectType::kUnknown;
}

std::string_view SubjectTypeGenesysName(SubjectType t) {
  switch (t) {
    case SubjectType::kUser:
      return "PC_USER";
    case SubjectType::kGroup:
      return "PC_GROUP";
    case SubjectType::kOAuthClient:
      return "PC_OAUTH_CLIENT";
    case SubjectType::kTrusteeUser:
      return "PC_TRUSTEE_USER";
    case SubjectType::kTrusteeGroup:
      return "PC_TRUSTEE_GROUP";
    case SubjectType::kUnknown:
    case SubjectType::kOrg:
      return "UNKNOWN";
  }
  return "UNKNOWN";
}

std::string_view SweepStatusName(SweepStatus s) {
  switch (s) {
    case SweepStatus::kComplete:
      return "complete";
    case SweepStatus::kPartial:
      return "partial";
    case SweepStatus::kFailed:
      return "failed";
  }
  return "failed";
}

namespace {
// A sweep hands over its lists sorted already: checking is linear, sorting is not.
template <typename T>
void SortById(std::vector<T>& v) {
  auto by_id = [](const T& a, const T& b) { return a.id < b.id; };
  if (!std::is_sorted(v.begin(), v.end(), by_id)) std::sort(v.begin(), v.end(), by_id);
}
// Sorts and de-duplicates grants in their <=> order. Comparing GUID texts made a plain sort
// the costliest step of assembling a 500,000-grant sweep, so the grants are first ordered by
// (subject type, the subject id's first 8 bytes read big-endian, zero-padded) — a monotone
// image of the <=> order, as integers — and only equal prefixes compare the texts.
void SortUniqueGrants(std::vector<Grant>& grants) {
  if (!std::is_sorted(grants.begin(), grants.end())) {
    struct Key {
      uint64_t type;
      uint64_t prefix;
      uint32_t index;
    };
    std::vector<Key> keys;
    keys.reserve(grants.size());
    for (uint32_t i = 0; i < grants.size(); ++i) {
      const std::string_view id = grants[i].subject_id.view();
      uint64_t prefix = 0;
      for (size_t b = 0; b < 8; ++b) {
        prefix = (prefix << 8) | (b < id.size() ? static_cast<unsigned char>(id[b]) : 0U);
      }
      keys.push_back({static_cast<uint64_t>(grants[i].subject_type), prefix, i});
    }
    std::sort(keys.begin(), keys.end(), [&grants](const Key& a, const Key& b) {
      if (a.type != b.type) return a.type < b.type;
      if (a.prefix != b.prefix) return a.prefix < b.prefix;
      return grants[a.index] < grants[b.index];
    });
    std::vector<Grant> sorted;
    sorted.reserve(grants.size());
    for (const Key& k : keys) sorted.push_back(grants[k.index]);
    grants = std::move(sorted);
  }
  grants.erase(std::unique(grants.begin(), grants.end()), grants.end());
}

}  // namespace

void Canonicalize(OrgSnapshot& s) {
  SortById(s.divisions);
  SortById(s.roles);
  for (auto& r : s.roles) {
    for (auto& p : r.policies) {
      std::sort(p.action_set.begin(), p.action_set.end());
      p.action_set.erase(std::unique(p.action_set.begin(), p.action_set.end()), p.action_set.end());
    }
    std::sort(r.policies.begin(), r.policies.end());
    r.policies.erase(std::unique(r.policies.begin(), r.policies.end()), r.policies.end());
  }
  SortById(s.users);
  SortById(s.groups);
  for (auto& g : s.groups) {
    std::sort(g.member_ids.begin(), g.member_ids.end());
    g.member_ids.erase(std::unique(g.member_ids.begin(), g.member_ids.end()), g.member_ids.end());
  }
  SortById(s.oauth_clients);
  for (auto& c : s.oauth_clients) {
    std::sort(c.role_divisions.begin(), c.role_divisions.end());
    c.role_divisions.erase(std::unique(c.role_divisions.begin(), c.role_divisions.end()),
                           c.role_divisions.end());
  }
  SortById(s.external_subjects);
  SortUniqueGrants(s.grants);
  std::sort(s.permissions.begin(), s.permissions.end());
  s.permissions.erase(std::unique(s.permissions.begin(), s.permissions.end()), s.permissions.end());
  SortById(s.queues);
  for (auto& q : s.queues) std::sort(q.member_groups.begin(), q.member_groups.end());
  std::sort(s.queue_members.begin(), s.queue_members.end());
  s.queue_members.erase(std::unique(s.queue_members.begin(), s.queue_members.end()),
                        s.queue_members.end());
}

}  // namespace divaudit::audit
