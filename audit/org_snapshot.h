#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/id.h"

namespace divaudit::audit {

// The literal division id Genesys uses for "All Divisions" (covers divisions created later).
// Match on the id, never on a name.
inline constexpr std::string_view kAllDivisionsId = "*";

// Who holds a grant. Maps 1:1 to SubjectDivisionGrants.type
// (PC_USER, PC_GROUP, PC_OAUTH_CLIENT, PC_TRUSTEE_USER, PC_TRUSTEE_GROUP, anything else).
// kOrg is never a grant holder: it is the subject of org-level findings (grant_guardrail_off).
enum class SubjectType { kUser, kGroup, kOAuthClient, kTrusteeUser, kTrusteeGroup, kUnknown, kOrg };

// "user", "group", "oauth_client", "trustee_user", "trustee_group", "unknown", "org" (the
// findings document and storage spelling).
std::string_view SubjectTypeName(SubjectType t);
// Inverse of SubjectTypeName; kUnknown for anything else.
SubjectType SubjectTypeFromName(std::string_view name);
// PC_USER → kUser, …; anything else → kUnknown.
SubjectType SubjectTypeFromGenesys(std::string_view pc_type);
std::string_view SubjectTypeGenesysName(SubjectType t);

struct Division {
  std::string id;
  std::string name;
  std::string description;
  bool home_division = false;  // the org's default ("Home") division
  friend bool operator==(const Division&, const Division&) = default;
};

// One DomainPermissionPolicy of a role (v2). `domain`, `entity_name` and entries of
// `action_set` may be "*" (matches everything). A policy with a resourceConditionNode or
// non-empty namedResources is `narrowed`: it reaches less than a division and grants no
// org-wide permission (docs/rules.md).
struct PermissionPolicy {
  std::string domain;
  std::string entity_name;
  std::vector<std::string> action_set;  // sorted, no duplicates
  bool narrowed = false;
  friend bool operator==(const PermissionPolicy&, const PermissionPolicy&) = default;
  friend auto operator<=>(const PermissionPolicy&, const PermissionPolicy&) = default;
};

struct Role {
  std::string id;
  std::string name;
  std::vector<PermissionPolicy> policies = {};  // sorted; empty when the listing had none
  friend bool operator==(const Role&, const Role&) = default;
};

// One permission of the catalog (GET /api/v2/authorization/permissions, DomainPermission).
// division_aware false: the permission acts org-wide whatever division its grant names.
struct CatalogPermission {
  std::string domain;
  std::string entity_type;
  std::string action;
  bool division_aware = true;
  friend bool operator==(const CatalogPermission&, const CatalogPermission&) = default;
  friend auto operator<=>(const CatalogPermission&, const CatalogPermission&) = default;
};

// GET /api/v2/authorization/roles/settings (RoleSettings).
struct RoleSettings {
  bool authorization_grant_division_aware = true;
  bool backfill_enabled = false;
  friend bool operator==(const RoleSettings&, const RoleSettings&) = default;
};

// A group, team or skill group a routing queue pulls members from (Queue.memberGroups).
struct QueueMemberGroup {
  std::string id;
  std::string name;
  std::string type;  // "GROUP", "TEAM", "SKILLGROUP" as the API sent it
  friend bool operator==(const QueueMemberGroup&, const QueueMemberGroup&) = default;
  friend auto operator<=>(const QueueMemberGroup&, const QueueMemberGroup&) = default;
};

// A routing queue (GET /api/v2/routing/queues).
struct Queue {
  std::string id;
  std::string name;
  std::string division_id;                           // Queue.division.id
  std::vector<QueueMemberGroup> member_groups = {};  // sorted by id
  friend bool operator==(const Queue&, const Queue&) = default;
};

// One row of GET /api/v2/routing/queues/{id}/members.
struct QueueMember {
  std::string queue_id;
  std::string user_id;     // QueueMember.user.id (falls back to QueueMember.id)
  bool via_group = false;  // memberBy == "group"
  bool joined = false;
  friend bool operator==(const QueueMember&, const QueueMember&) = default;
  friend auto operator<=>(const QueueMember&, const QueueMember&) = default;
};

struct User {
  std::string id;
  std::string name;
  std::string email;
  std::string home_division_id;  // User.division.id; may be empty if the API omitted it
  std::string state;             // "active" or "inactive" (deleted users are not audited)
  friend bool operator==(const User&, const User&) = default;
};

struct Group {
  std::string id;
  std::string name;
  bool roles_enabled = true;
  // Member user ids (individuals, owners and dynamic members as the API lists them), sorted.
  // Filled only for groups that hold grants (the sweep reads members of those only).
  std::vector<std::string> member_ids;
  bool members_read = false;  // true when member_ids is the complete membership
  friend bool operator==(const Group&, const Group&) = default;
};

struct RoleDivision {
  std::string role_id;
  std::string division_id;  // may be "*"
  friend bool operator==(const RoleDivision&, const RoleDivision&) = default;
  friend auto operator<=>(const RoleDivision&, const RoleDivision&) = default;
};

struct OAuthClient {
  std::string id;
  std::string name;
  std::string authorized_grant_type;  // CLIENT-CREDENTIALS, CODE, TOKEN, SAML2-BEARER, PASSWORD
  std::string state;                  // active, disabled, inactive
  std::vector<RoleDivision> role_divisions;  // sorted
  friend bool operator==(const OAuthClient&, const OAuthClient&) = default;
};

// A subject that is neither a user, group nor OAuth client of this org: trustee users/groups of
// a partner org, or a subject type the API added later (kept, never dropped).
struct ExternalSubject {
  std::string id;
  std::string name;
  SubjectType type = SubjectType::kUnknown;
  std::string genesys_type;  // the raw `type` string as the API sent it
  friend bool operator==(const ExternalSubject&, const ExternalSubject&) = default;
};

// One direct grant: subject holds role on division (division_id may be "*" or an id the
// division listing does not contain). Group-inherited grants are NOT expanded here: that is the
// audit engine's job.
struct Grant {
  SubjectType subject_type = SubjectType::kUnknown;
  Id subject_id;  // interned (audit/id.h): 8 bytes, not a std::string
  Id role_id;
  Id division_id;
  friend bool operator==(const Grant&, const Grant&) = default;
  friend auto operator<=>(const Grant&, const Grant&) = default;
};

// Everything one sweep read about an org. Value type; thread-compatible.
// Canonical form (see Canonicalize): every vector sorted by id (grants by
// subject_type, subject_id, role_id, division_id), no duplicates.
struct OrgSnapshot {
  std::vector<Division> divisions;
  std::vector<Role> roles;
  std::vector<User> users;
  std::vector<Group> groups;
  std::vector<OAuthClient> oauth_clients;
  std::vector<ExternalSubject> external_subjects;
  std::vector<Grant> grants;
  // v2 (empty / nullopt when not read, e.g. a snapshot stored before v2):
  std::vector<CatalogPermission> permissions = {};  // sorted by (domain, entity_type, action)
  std::optional<RoleSettings> role_settings = {};   // nullopt: not read — never assume a default
  std::vector<Queue> queues = {};                   // sorted by id
  std::vector<QueueMember> queue_members = {};      // sorted (queue_id, user_id, via_group)
  friend bool operator==(const OrgSnapshot&, const OrgSnapshot&) = default;
};

// Sorts every collection into canonical order and removes exact duplicate grants.
void Canonicalize(OrgSnapshot& snapshot);
// Canonicalize in two parts that touch disjoint members (so they may run on two threads): the
// grants (sorted, unique) with the external subjects they name, and everything else.
void CanonicalizeGrants(std::vector<Grant>& grants, std::vector<ExternalSubject>& external);
void CanonicalizeExceptGrants(OrgSnapshot& snapshot);

// The object counts of a snapshot: the findings document's sweep block, divaudit_org_objects{kind}
// (audit::CountsOf, audit/findings_document.h; storage's SnapshotStore::CountsAt).
struct SnapshotCounts {
  int64_t divisions = 0;
  int64_t users = 0;  // every listed user (deleted ones included, when the listing has them)
  int64_t groups = 0;
  int64_t roles = 0;
  int64_t oauth_clients = 0;
  int64_t grants = 0;  // snapshot.grants rows (direct grants as listed)
  // v2:
  int64_t queues = 0;
  int64_t queue_members = 0;      // member rows read
  int64_t permissions = 0;        // catalog permissions (domain:entity:action)
  int64_t narrowed_policies = 0;  // role policies with resource conditions / named resources
  std::optional<RoleSettings> settings = {};  // nullopt: not read
  friend bool operator==(const SnapshotCounts&, const SnapshotCounts&) = default;
};

// Which listings of one sweep were read completely: every page, consistent, no final error.
// genesys::Sweeper fills it; the audit engine judges a subject only from complete inputs for that
// subject (audit/README.md, "Partial sweeps"). The default says "everything complete" (a snapshot
// built by hand, from a fixture or from storage). Value type.
struct ListingCompleteness {
  bool divisions = true;       // GET /api/v2/authorization/divisions
  bool roles = true;           // GET /api/v2/authorization/roles
  bool active_users = true;    // GET /api/v2/users?state=active
  bool inactive_users = true;  // GET /api/v2/users?state=inactive (or the cursor listing)
  bool groups = true;          // GET /api/v2/groups
  bool oauth_clients = true;   // GET /api/v2/oauth/clients
  bool coverage = true;        // the coverage listing was read and every division is visible
  bool permissions = true;     // v2: GET /api/v2/authorization/permissions (the catalog)
  bool role_settings = true;   // v2: GET /api/v2/authorization/roles/settings
  bool queues = true;          // v2: GET /api/v2/routing/queues
  // Roles whose subject-grant listing, and granted groups whose member listing, was not read
  // completely (ids, sorted).
  std::vector<std::string> roles_without_grants;
  std::vector<std::string> groups_without_members;
  // v2: queues whose member listing was not read completely (ids, sorted).
  std::vector<std::string> queues_without_members = {};

  bool users() const { return active_users && inactive_users; }
  bool subject_grants() const { return roles_without_grants.empty(); }
  bool group_members() const { return groups_without_members.empty(); }
  bool queue_members() const { return queues_without_members.empty(); }
  bool all() const {
    return divisions && roles && users() && groups && oauth_clients && coverage &&
           subject_grants() && group_members() && permissions && role_settings && queues &&
           queue_members();
  }
  friend bool operator==(const ListingCompleteness&, const ListingCompleteness&) = default;
};

// Outcome of a sweep as a whole.
enum class SweepStatus { kComplete, kPartial, kFailed };
std::string_view SweepStatusName(SweepStatus s);  // "complete", "partial", "failed"

// Metadata about one sweep, produced by genesys/ and stored by storage/.
struct SweepInfo {
  int64_t id = 0;  // assigned by storage; 0 until stored
  // The organisation the sweep read (GET /api/v2/organizations/me); empty when it was not read.
  std::string org_id;
  std::string org_name;
  int64_t started_at_unix = 0;   // seconds
  int64_t finished_at_unix = 0;  // seconds
  SweepStatus status = SweepStatus::kFailed;
  // Human-readable names of what could not be read, e.g. "users (page 3: HTTP 500)",
  // "coverage: division d-17 not visible". Empty for complete sweeps.
  std::vector<std::string> incomplete;
  int64_t api_requests = 0;  // every HTTP request made, retries included
  int64_t retries = 0;
  int64_t throttled = 0;        // 429 responses
  double coverage_ratio = 1.0;  // divisions visible to our client / all divisions
  // Subjects whose type the sweep did not recognise, by raw type (reported, never dropped).
  std::map<std::string, int64_t> unknown_subject_types;
  // v2 (perm-sweep): role permission policies whose domain, or domain:entityName, the (complete)
  // catalog does not list ("*" parts match anything). Counted and logged once, not an error.
  int64_t policies_outside_catalog = 0;
};

}  // namespace divaudit::audit
