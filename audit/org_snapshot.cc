#include "audit/org_snapshot.h"

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/address_index.h"

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
// Dense numbers of distinct interned ids (common/address_index.h), with the ids in that order.
class IdNumbers {
 public:
  uint32_t Intern(const Id& id) {
    const uint32_t n = index_.Intern(id.data());
    if (n == ids_.size()) ids_.push_back(id);
    return n;
  }
  const std::vector<Id>& ids() const { return ids_; }

 private:
  AddressIndex index_;
  std::vector<Id> ids_;
};

// rank[i] = the position of ids[i] in text order.
std::vector<uint32_t> RanksByText(const std::vector<Id>& ids) {
  std::vector<uint32_t> by_text(ids.size());
  for (uint32_t i = 0; i < by_text.size(); ++i) by_text[i] = i;
  std::sort(by_text.begin(), by_text.end(),
            [&ids](uint32_t a, uint32_t b) { return ids[a].view() < ids[b].view(); });
  std::vector<uint32_t> rank(ids.size());
  for (uint32_t r = 0; r < by_text.size(); ++r) rank[by_text[r]] = r;
  return rank;
}

// Sorts and de-duplicates grants in their <=> order. Comparing GUID texts made a plain sort
// the costliest step of assembling a 500,000-grant sweep, so no texts are compared per grant:
// each distinct id (a few hundred thousand at most, found by address) gets its rank in text
// order, and the grants sort as integers (type, subject rank, role rank, division rank) — the
// same order, since ranks follow the texts and equal texts share one rank. Equal integer keys
// are equal grants, which the copy back skips.
void SortUniqueGrants(std::vector<Grant>& grants) {
  // Sorted already (a snapshot read back), or beyond the 32-bit positions below: no ranks.
  if (const bool sorted = std::is_sorted(grants.begin(), grants.end());
      sorted || grants.size() >= UINT32_MAX) {
    if (!sorted) std::sort(grants.begin(), grants.end());
    grants.erase(std::unique(grants.begin(), grants.end()), grants.end());
    return;
  }
  // One numbering per column: the subjects (tens of thousands), the roles (one per run of a
  // role's listing: the last lookup answers) and the divisions (a few hundred: a table that
  // stays in cache).
  IdNumbers subjects;
  IdNumbers roles;
  IdNumbers divisions;
  struct Key {
    uint64_t high;  // type, subject rank
    uint64_t low;   // role rank, division rank
    uint32_t grant;
  };
  std::vector<Key> keys(grants.size());
  for (size_t i = 0; i < grants.size(); ++i) {
    const Grant& g = grants[i];
    keys[i] = {(static_cast<uint64_t>(g.subject_type) << 32) | subjects.Intern(g.subject_id),
               (uint64_t{roles.Intern(g.role_id)} << 32) | divisions.Intern(g.division_id),
               static_cast<uint32_t>(i)};
  }
  const std::vector<uint32_t> subject_rank = RanksByText(subjects.ids());
  const std::vector<uint32_t> role_rank = RanksByText(roles.ids());
  const std::vector<uint32_t> division_rank = RanksByText(divisions.ids());
  for (Key& k : keys) {
    k.high = (k.high & ~uint64_t{0xFFFFFFFFU}) | subject_rank[k.high & 0xFFFFFFFFU];
    k.low = (uint64_t{role_rank[k.low >> 32]} << 32) | division_rank[k.low & 0xFFFFFFFFU];
  }
  std::sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) {
    return a.high != b.high ? a.high < b.high : a.low < b.low;
  });
  std::vector<Grant> sorted;
  sorted.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i > 0 && keys[i].high == keys[i - 1].high && keys[i].low == keys[i - 1].low) continue;
    sorted.push_back(grants[keys[i].grant]);
  }
  grants = std::move(sorted);
}

}  // namespace

void CanonicalizeGrants(std::vector<Grant>& grants, std::vector<ExternalSubject>& external) {
  SortUniqueGrants(grants);
  SortById(external);
}

void Canonicalize(OrgSnapshot& s) {
  CanonicalizeExceptGrants(s);
  CanonicalizeGrants(s.grants, s.external_subjects);
}

void CanonicalizeExceptGrants(OrgSnapshot& s) {
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
  std::sort(s.permissions.begin(), s.permissions.end());
  s.permissions.erase(std::unique(s.permissions.begin(), s.permissions.end()), s.permissions.end());
  SortById(s.queues);
  for (auto& q : s.queues) std::sort(q.member_groups.begin(), q.member_groups.end());
  if (!std::is_sorted(s.queue_members.begin(), s.queue_members.end())) {
    std::sort(s.queue_members.begin(), s.queue_members.end());
  }
  s.queue_members.erase(std::unique(s.queue_members.begin(), s.queue_members.end()),
                        s.queue_members.end());
}

}  // namespace divaudit::audit
