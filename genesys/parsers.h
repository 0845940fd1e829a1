#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "audit/org_snapshot.h"
#include "common/status.h"

namespace divaudit::genesys {

// Where a response body came from, for error messages: "GET <endpoint> page <page>".
struct PageContext {
  std::string_view endpoint;  // path without query, e.g. "/api/v2/users"
  int64_t page = 0;           // 1-based page (or cursor page sequence number); 0 = not paged
};

// "GET /api/v2/users page 3" (or "GET /api/v2/oauth/clients" when page is 0).
std::string DescribePage(const PageContext& ctx);

// Paging fields of a page-number listing (`…EntityListing`).
struct PageInfo {
  int64_t entities = 0;     // entities on this page (as listed, duplicates included)
  int64_t total = -1;       // `total`; -1 when absent (only allowed where not required)
  int64_t page_count = -1;  // `pageCount`, or derived from total and pageSize when absent
  int64_t page_size = -1;
  int64_t page_number = -1;
  bool all_divs_permitted = false;  // DivsPermittedEntityListing.allDivsPermitted
  // Listings without a count (QueueMemberEntityListing): `nextUri` present and non-empty.
  bool has_next = false;
};

// Fields of a cursor listing (UserCursorEntityListing).
struct CursorPageInfo {
  int64_t entities = 0;
  std::string cursor;    // empty on the last page
  std::string next_uri;  // empty on the last page
};

// The fields of Organization (GET /api/v2/organizations/me) the sweep keeps.
struct OrganizationInfo {
  std::string id;
  std::string name;
};

// Where SubjectDivisionGrants entries go: one Grant per (subject, division) with the given
// role; trustee and unrecognised subject types are also added to `external_subjects`.
struct SubjectGrantsSink {
  std::vector<audit::Grant>* grants = nullptr;
  std::vector<audit::ExternalSubject>* external_subjects = nullptr;
};

// Parses Platform API listing bodies straight into the audit model with simdjson On-Demand
// (error-code API; never throws). Unknown fields are ignored; fields divaudit relies on are
// checked: a missing required field, a wrong type or truncated/malformed JSON is an error whose
// message names the endpoint, page and field path, e.g.
//   "GET /api/v2/users page 3: entities[17].division.id: missing".
// Codes: kInvalidArgument for shape errors, kDataLoss for truncated or malformed JSON.
// Every method appends to its output vectors; on error the outputs are left as they were.
// Page-number listings require `entities` and `total` (`pageCount` is derived when absent).
// Not thread-safe (it owns a reusable simdjson parser): one JsonPageParser per thread.
class JsonPageParser {
 public:
  JsonPageParser() = default;
  JsonPageParser(const JsonPageParser&) = delete;
  JsonPageParser& operator=(const JsonPageParser&) = delete;

  // AuthzDivisionEntityListing: id and name required (name may be absent only for "*").
  Result<PageInfo> Divisions(const std::string& body, const PageContext& ctx,
                             std::vector<audit::Division>& out);
  // OrganizationRoleEntityListing: id required. Each role's permissionPolicies
  // (DomainPermissionPolicy) become Role::policies (sorted, duplicates removed): domain and
  // entityName required; narrowed when resourceConditionNode is non-null or namedResources is
  // non-empty; legacy `permissions` strings are ignored.
  Result<PageInfo> Roles(const std::string& body, const PageContext& ctx,
                         std::vector<audit::Role>& out);
  // PermissionCollectionEntityListing (GET /api/v2/authorization/permissions): one
  // DomainPermissionCollection per entity (PageInfo::entities counts collections); every
  // DomainPermission of its permissionMap is appended to `out`. action and divisionAware are
  // required (divisionAware is never assumed); domain falls back to the collection's, entityType
  // to the permissionMap key.
  Result<PageInfo> Permissions(const std::string& body, const PageContext& ctx,
                               std::vector<audit::CatalogPermission>& out);
  // RoleSettings (GET /api/v2/authorization/roles/settings, not a listing):
  // authorizationGrantDivisionAware required (never assumed); backfillEnabled false when absent.
  Result<audit::RoleSettings> RoleSettings(const std::string& body, const PageContext& ctx);
  // SubjectDivisionGrantsEntityListing of role `role_id`: id and type required per subject,
  // id per division (a division "*" has no name).
  Result<PageInfo> SubjectGrants(const std::string& body, const PageContext& ctx,
                                 std::string_view role_id, SubjectGrantsSink out);
  // UserEntityListing: id required; division optional, but when present its id is required.
  Result<PageInfo> Users(const std::string& body, const PageContext& ctx,
                         std::vector<audit::User>& out);
  // UserCursorEntityListing (GET /api/v2/users/query).
  Result<CursorPageInfo> UsersCursor(const std::string& body, const PageContext& ctx,
                                     std::vector<audit::User>& out);
  // GroupEntityListing: id required; rolesEnabled defaults to true when absent.
  Result<PageInfo> Groups(const std::string& body, const PageContext& ctx,
                          std::vector<audit::Group>& out);
  // UserEntityListing of GET /api/v2/groups/{id}/members: appends member user ids.
  Result<PageInfo> GroupMembers(const std::string& body, const PageContext& ctx,
                                std::vector<std::string>& member_ids);
  // OAuthClientEntityListing (unpaged: `total` not required): id required, roleDivisions
  // entries need roleId and divisionId.
  Result<PageInfo> OAuthClients(const std::string& body, const PageContext& ctx,
                                std::vector<audit::OAuthClient>& out);
  // Organization (not a listing): id required, name optional (empty when absent or null).
  Result<OrganizationInfo> Organization(const std::string& body, const PageContext& ctx);
  // DivsPermittedEntityListing: division ids; `allDivsPermitted` in the returned PageInfo.
  Result<PageInfo> DivisionsPermitted(const std::string& body, const PageContext& ctx,
                                      std::vector<std::string>& division_ids);
  // QueueEntityListing (GET /api/v2/routing/queues): id required; division optional, but when
  // present its id is required; memberGroups entries need an id (name and type kept as sent).
  Result<PageInfo> Queues(const std::string& body, const PageContext& ctx,
                          std::vector<audit::Queue>& out);
  // QueueMemberEntityListing (GET /api/v2/routing/queues/{id}/members) of queue `queue_id`: the
  // member's user id is user.id (falling back to the row's id when user is absent); memberBy
  // "group" sets via_group; joined defaults to false. This listing carries no `total` or
  // `pageCount` (the SDK's model has none): `has_next` says whether `nextUri` names a next page.
  Result<PageInfo> QueueMembers(const std::string& body, const PageContext& ctx,
                                std::string_view queue_id, std::vector<audit::QueueMember>& out);

 private:
  // A view of `body` with simdjson's padding (in place when the capacity allows).
  simdjson::padded_string_view Padded(const std::string& body);

  simdjson::ondemand::parser parser_;
  std::string scratch_;
};

}  // namespace divaudit::genesys
