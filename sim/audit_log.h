#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "sim/org_json.h"
#include "sim/query.h"

namespace divaudit::sim {

// The simulator's audit trail: every admin mutation records the AuditLogMessage the platform
// would, and POST /api/v2/audits/query/realtime reads them back (sim/README.md, "Audit trail").

// Where an event carries the ids of what changed besides entity.id. The platform's layout of
// grant and membership events is not documented, so tests run under each:
//   kEntity     — entity.name = "<changed ids joined by -->" (e.g. "userId--roleId--orgId"),
//                 no entityChanges / propertyChanges;
//   kChanges    — entity {id, name}, entityChanges [{entityId, entityType, newValues|oldValues}];
//   kProperties — entity {id, name}, propertyChanges [{property, oldValues, newValues}].
enum class AuditShape { kEntity, kChanges, kProperties };
// "entity", "changes", "properties"; kInvalidArgument for anything else.
Result<AuditShape> ParseAuditShape(std::string_view text);

// Who made an admin change: a named admin user of the org, an OAuth client, or a partner-org
// (trustee) user whose userHomeOrgId is another org.
struct AuditActor {
  enum class Kind { kUser, kClient, kPartner };
  Kind kind = Kind::kUser;
  std::string id = "sim-admin";
  std::string name = "Sim Admin";
  std::string home_org_id;  // kPartner: the partner org (default "partner-org")
};
// The actor of an admin request from its query parameters: actorType=user|client|partner,
// actorId, actorName, actorOrg; absent: the default admin user. kInvalidArgument for an unknown
// actorType.
Result<AuditActor> ActorFromQuery(const Target& target);

// One changed id of an event: which kind of object, its id, and the property it stands for.
struct AuditChange {
  std::string entity_type;  // "User", "Group", "Division", ...
  std::string property;     // "userId", "divisionId", "subjectId", ...
  std::string id;
  bool removed = false;  // an old value (removal) rather than a new one
};

// What one admin mutation did, in platform terms.
struct AuditRecord {
  std::string service;      // PeoplePermissions, Groups, Directory, OAuthClient, ...
  std::string entity_type;  // Role, DirectoryGroup, User, Division, OAuthClient
  std::string action;       // MemberAdd, MemberRemove, Update, Delete, Create
  std::string entity_id;
  std::string entity_name;
  std::vector<AuditChange> changes;
};

// The record of each admin mutation, from the fixture as it was BEFORE the change (names, the
// user's old division). Entity types as the SDK's enums name them.
// POST/DELETE /sim/grants: PeoplePermissions Role MemberAdd|MemberRemove, entity = the role,
// changes = the subject and the division.
AuditRecord GrantRecord(const OrgFixture& before, const audit::Grant& grant, bool add);
// POST/DELETE /sim/groups/{id}/members: Groups DirectoryGroup MemberAdd|MemberRemove, entity =
// the group, changes = the user.
AuditRecord MemberRecord(const OrgFixture& before, std::string_view group_id,
                         std::string_view user_id, bool add);
// POST /sim/users/{id}/division: Directory User Update, entity = the user, changes = the new
// and (removed) old division.
AuditRecord MoveUserRecord(const OrgFixture& before, std::string_view user_id,
                           std::string_view division_id);
// DELETE /sim/divisions/{id}: PeoplePermissions Division Delete, entity = the division.
AuditRecord DeleteDivisionRecord(const OrgFixture& before, std::string_view division_id);
// PUT /sim/oauth/clients/{id}: OAuthClient OAuthClient Create|Update, entity = the client.
AuditRecord PutClientRecord(const OrgFixture& before, std::string_view client_id);
// POST/DELETE /sim/queues/{id}/members: ContactCenter Queue MemberAdd|MemberRemove, entity =
// the queue, changes = the user.
AuditRecord QueueMemberRecord(const OrgFixture& before, std::string_view queue_id,
                              std::string_view user_id, bool add);

// The AuditLogMessage JSON of `record` made by `actor` at `at`, in layout `shape`, for org
// `org_id` (userHomeOrgId of a non-partner actor). `expand_user`: the user's name is included
// (the realtime query's expand=user); otherwise user is {id, selfUri} only. A client is always
// {id, selfUri} (AddressableEntityRef has no name: divaudit names it from its sweep).
std::string AuditMessageJson(const AuditRecord& record, const AuditActor& actor, AuditShape shape,
                             std::string_view org_id, std::string_view event_id, SystemTime at,
                             bool expand_user);

// The recorded events. Thread-safe (one mutex).
class AuditLog {
 public:
  void Record(AuditRecord record, AuditActor actor, AuditShape shape, std::string org_id,
              SystemTime at);
  size_t size() const;

  // POST /api/v2/audits/query/realtime: `body` an AuditRealtimeQueryRequest {interval
  // "from/to" (ISO 8601), serviceName, pageNumber (default 1), pageSize (default 25, at most
  // 500)}; events with from <= eventDate < to and (when given) that service, oldest first.
  // Returns {status, body}: 200 AuditRealtimeQueryResultsResponse; 400 for a missing or bad
  // interval, an interval starting more than 14 days before `now`, or a bad page.
  std::pair<int, std::string> Query(std::string_view body, bool expand_user, SystemTime now,
                                    std::string_view context_id) const;

 private:
  struct Stored {
    AuditRecord record;
    AuditActor actor;
    AuditShape shape;
    std::string org_id;
    std::string id;
    SystemTime at;
  };
  mutable std::mutex mu_;
  std::vector<Stored> events_;
};

}  // namespace divaudit::sim
