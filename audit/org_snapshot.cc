#include "audit/org_snapshot.h"

#include <algorithm>

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
template <typename T>
void SortById(std::vector<T>& v) {
  std::sort(v.begin(), v.end(), [](const T& a, const T& b) { return a.id < b.id; });
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
  std::sort(s.grants.begin(), s.grants.end());
  s.grants.erase(std::unique(s.grants.begin(), s.grants.end()), s.grants.end());
  std::sort(s.permissions.begin(), s.permissions.end());
  s.permissions.erase(std::unique(s.permissions.begin(), s.permissions.end()), s.permissions.end());
  SortById(s.queues);
  for (auto& q : s.queues) std::sort(q.member_groups.begin(), q.member_groups.end());
  std::sort(s.queue_members.begin(), s.queue_members.end());
  s.queue_members.erase(std::unique(s.queue_members.begin(), s.queue_members.end()),
                        s.queue_members.end());
}

}  // namespace divaudit::audit
