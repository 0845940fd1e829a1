#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/evidence.h"
#include "audit/org_snapshot.h"
#include "audit/policy.h"
#include "common/status.h"

namespace divaudit::sim {

// The simulator's org: the audit model itself plus the tenant policy the truth is computed for.
// Value type; thread-compatible.
//
// Sim conventions on top of audit::OrgSnapshot (see sim/README.md, "Org generator and truth"):
// - users[].state is "active", "inactive" or "deleted";
// - every group's member_ids is its complete, sorted membership (members_read == true);
// - grants holds EVERY direct grant of every subject type; for an OAuth client its grants and
//   its role_divisions are the same set.
struct OrgFixture {
  audit::OrgSnapshot org;
  audit::Policy policy;
  // The organisation GET /api/v2/organizations/me answers with (fixture key "organization").
  // Empty: OrgIndex derives a stable one from the org (DefaultOrganizationId).
  std::string org_id;
  std::string org_name;
  // v2: the [policy] org_wide_permissions the simulated tenant config sets (fixture key
  // "policy.orgWidePermissions"). nullopt: not set — divaudit and --truth use their defaults.
  std::optional<std::vector<std::string>> org_wide_permissions = {};
  // Analytics conversations (fixture key "conversations"; issue 15 evidence), sorted by start
  // then id. Participants are kept as the ids they name (queue_ids, user_ids).
  std::vector<audit::Conversation> conversations;
};

// A version-4-shaped GUID derived from the org's division ids (FNV-1a): the same org always
// gets the same id. Used when the fixture names no organization.
std::string DefaultOrganizationId(const audit::OrgSnapshot& org);
inline constexpr std::string_view kDefaultOrganizationName = "divaudit-sim org";

// Parses the fixture format (documented in sim/README.md):
//   {"divisions":[{"id","name","description","homeDivision"}], "roles":[{"id","name"}],
//    "users":[{"id","name","email","divisionId","state"}],
//    "groups":[{"id","name","rolesEnabled","memberIds":[...]}],
//    "oauthClients":[{"id","name","authorizedGrantType","state",
//                     "roleDivisions":[{"roleId","divisionId"}]}],
//    "externalSubjects":[{"id","name","type"}],
//    "grants":[{"subjectType","subjectId","roleId","divisionId"}],
//    "policy":{"tenants":[{"name","divisions"}],"sharedDivisions":[...],
//              "exceptions":[{"rule","subjectId","roleId","divisionId","reason","owner",
//                             "expires"}],
//              "orgWidePermissions":["domain:entity:action",...]}}
// Every top-level key and "policy" are optional; unknown keys are errors. The result is
// canonical (audit::Canonicalize; member ids and role divisions sorted). Each OAuth client's
// roleDivisions and its PC_OAUTH_CLIENT grants are merged so that both hold their union.
// Exceptions get expires_at = the last nanosecond of the `expires` day (UTC).
// Errors: kInvalidArgument with a message naming the field path, e.g. "users[3].state: ...".
Result<OrgFixture> ParseOrgJson(std::string_view json);

// Serializes a fixture in canonical order with a fixed key order: the same fixture always gives
// the same bytes, and ParseOrgJson(OrgToJson(x)) reproduces a canonical x. One array element per
// line. "policy" is omitted when it is empty. Group members_read and ExceptionSpec::expires_at
// are not written (the first is always true in the sim, the second derives from `expires`).
std::string OrgToJson(const OrgFixture& fixture);

// One element of "conversations": {"conversationId", "conversationStart", "conversationEnd"?,
// "divisionIds":[…], "participants":[{"purpose", "userId"?, "sessions":[{"segments":
// [{"queueId"?}]}]}]} (the fields of the SDK's AnalyticsConversationWithoutAttributes the
// evidence reader uses). Times are ISO-8601 UTC with milliseconds. Id lists come back sorted and
// unique. Errors name the field under `path`.
Result<audit::Conversation> ParseConversationJson(std::string_view json,
                                                  const std::string& path = "conversation");
// Appends one conversation in that shape: a "customer" participant and one "agent" participant
// per user id, each with one session whose segments name every queue id. `api` adds the
// response-only fields the platform sends (originatingDirection, participantId, sessionId,
// mediaType, segmentStart/End, segmentType).
void AppendConversationJson(std::string& out, const audit::Conversation& conversation, bool api);
// Sorts conversations by start, then id (the fixture's canonical order).
void SortConversations(std::vector<audit::Conversation>& conversations);

}  // namespace divaudit::sim
