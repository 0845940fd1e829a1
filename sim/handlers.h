#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/org_index.h"
#include "sim/query.h"
#include "sim/router.h"

namespace divaudit::sim {

// Ids of the Platform API routes the simulator serves (see ApiRoutes()).
enum ApiRouteId : int {
  kDivisions = 1,
  kDivisionHome,
  kDivision,
  kDivisionGrants,
  kDivisionsPermitted,
  kRoles,
  kRole,
  kRoleSubjectGrants,
  kSubject,
  kUsers,
  kUsersQuery,
  kUser,
  kGroups,
  kGroup,
  kGroupMembers,
  kOAuthClients,
  kOAuthClient,
  kOrganizationMe,
  kRoutingQueues,             // v2
  kRoutingQueueMembers,       // v2
  kPermissions,               // v2
  kRoleSettings,              // v2
  kAuditQueryRealtime,        // POST; served by the server from its AuditLog (sim/audit_log.h)
  kConversationDetailsQuery,  // POST (issue 15 evidence)
  kConversationDetails,
};

// Every GET /api/v2/… route, literal segments before captures.
std::vector<Route> ApiRoutes();

// An answer before transport concerns (headers common to every response are added by the
// server).
struct HttpResult {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// One API request, already authenticated, with what the calling client may see.
struct ApiRequest {
  const OrgIndex* index = nullptr;
  Target target;
  std::vector<std::string> captures;
  std::string forbid_division;          // division hidden from the caller ("" = none)
  int64_t inactive_user_limit = 10000;  // GET /users?state=inactive: 400 past this many results
  std::string context_id;               // ErrorBody.contextId
  std::string body;                     // the request body (POST routes)
};

// Serves one matched API route (pure: reads only the index). Unknown ids → 404 ErrorBody, bad
// parameters → 400 ErrorBody, as the Platform API does.
HttpResult HandleApi(int route_id, const ApiRequest& request);

// True when GET /api/v2/authorization/roles computes userCount (the default; slow on Genesys).
bool RolesWantUserCount(const Target& target);

// {"message","code","status","contextId","details":[],"errors":[]}
std::string ErrorBodyJson(int status, std::string_view code, std::string_view message,
                          std::string_view context_id);
HttpResult ErrorResult(int status, std::string_view code, std::string_view message,
                       std::string_view context_id);

}  // namespace divaudit::sim
