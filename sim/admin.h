#pragma once

#include <string>
#include <string_view>

#include "audit/org_snapshot.h"
#include "common/status.h"
#include "sim/org_json.h"

namespace divaudit::sim {

// Org mutations behind the simulator's admin API (/sim/…). Each one changes the fixture the way
// the Genesys feature it stands for would, or returns an error and leaves it unchanged:
// kNotFound for unknown ids, kInvalidArgument for malformed bodies, kFailedPrecondition for
// forbidden changes (deleting the home division). Pure functions; thread-compatible.

// POST /sim/users/{id}/division {"divisionId"}: moves the user's home division (grants unchanged).
Status MoveUser(OrgFixture& fixture, std::string_view user_id, std::string_view division_id);

// POST /sim/grants and DELETE /sim/grants {"subjectType","subjectId","roleId","divisionId"}.
// subjectType is a Genesys type (PC_USER, …). The subject must exist (trustee subjects are
// created on first grant); the division may be "*" or an id the org lacks (an orphaned grant).
// For PC_OAUTH_CLIENT the client's role_divisions change with its grants. Adding an existing
// grant is a no-op; removing an absent one is kNotFound.
Result<audit::Grant> ParseGrantBody(std::string_view json);
Status AddGrant(OrgFixture& fixture, const audit::Grant& grant);
Status RemoveGrant(OrgFixture& fixture, const audit::Grant& grant);

// POST /sim/groups/{id}/members {"userId"}; DELETE /sim/groups/{id}/members/{userId}.
Status AddMember(OrgFixture& fixture, std::string_view group_id, std::string_view user_id);
Status RemoveMember(OrgFixture& fixture, std::string_view group_id, std::string_view user_id);

// DELETE /sim/divisions/{id}: removes the division and revokes every grant on it (client
// role_divisions included); users homed there move to the home division.
Status DeleteDivision(OrgFixture& fixture, std::string_view division_id);

// PUT /sim/oauth/clients/{id}: `json` is one element of the fixture's "oauthClients" array (its
// "id", when present, must equal `client_id`). Adds or replaces the client and makes its
// PC_OAUTH_CLIENT grants equal its roleDivisions.
Status PutClient(OrgFixture& fixture, std::string_view client_id, std::string_view json);

// POST /sim/queues/{id}/members {"userId", "memberBy": "user"|"group" (default user),
// "joined": bool (default true)} adds or replaces that user's row; DELETE
// /sim/queues/{id}/members/{userId} removes it. The queue and the user must exist.
Status AddQueueMember(OrgFixture& fixture, std::string_view queue_id, std::string_view user_id,
                      bool via_group, bool joined);
// POST /sim/conversations: one conversation in the fixture's "conversations" element shape
// (sim/org_json.h); adds it, or replaces the one with its conversationId. Errors name the field.
Status PutConversation(OrgFixture& fixture, std::string_view body);
Status RemoveQueueMember(OrgFixture& fixture, std::string_view queue_id, std::string_view user_id);
// v2. PUT /sim/roles/settings: `json` is the fixture's "roleSettings" object
// {"authorizationGrantDivisionAware","backfillEnabled"} (absent keys keep their value).
Status PutRoleSettings(OrgFixture& fixture, std::string_view json);
// v2. PUT /sim/roles/{id}/policies: `json` is {"permissionPolicies":[…]} in the fixture's shape
// ({"domain","entityName","actionSet","narrowed"}); replaces the role's policies.
Status PutRolePolicies(OrgFixture& fixture, std::string_view role_id, std::string_view json);

// Reads a string field of a JSON object body; kInvalidArgument naming the field if missing.
Result<std::string> JsonStringField(std::string_view json, std::string_view field);

}  // namespace divaudit::sim
