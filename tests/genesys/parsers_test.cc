#include "genesys/parsers.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace divaudit::genesys {
namespace {

using audit::SubjectType;

std::string Listing(const std::string& entities, int64_t total, int64_t page_count,
                    int64_t page_number = 1, int64_t page_size = 500) {
  return R"({"entities":[)" + entities + R"(],"pageSize":)" + std::to_string(page_size) +
         R"(,"pageNumber":)" + std::to_string(page_number) + R"(,"total":)" +
         std::to_string(total) + R"(,"pageCount":)" + std::to_string(page_count) +
         R"(,"selfUri":"/api/v2/x?pageSize=500","firstUri":"/api/v2/x?pageNumber=1"})";
}

std::string UserJson(const std::string& id, const std::string& division_id,
                     const std::string& state = "active") {
  return R"({"id":")" + id + R"(","name":"User )" + id + R"(","division":{"id":")" + division_id +
         R"(","name":"Div","selfUri":"/api/v2/authorization/divisions/x"},"chat":{"jabberId":"j"},)"
         R"("email":")" +
         id +
         R"(@example.com","primaryContactInfo":[{"address":"a@b.c","mediaType":"EMAIL",)"
         R"("type":"PRIMARY"}],"addresses":[],"state":")" +
         state + R"(","username":"u","version":3,"acdAutoAnswer":false,"selfUri":"/api/v2/users/)" +
         id + R"("})";
}

const PageContext kUsersPage3{"/api/v2/users", 3};

TEST(JsonPageParserTest, DescribePageNamesEndpointAndPage) {
  EXPECT_EQ(DescribePage({"/api/v2/users", 3}), "GET /api/v2/users page 3");
  EXPECT_EQ(DescribePage({"/api/v2/oauth/clients", 0}), "GET /api/v2/oauth/clients");
}

TEST(JsonPageParserTest, ParsesDivisions) {
  JsonPageParser p;
  std::vector<audit::Division> out;
  auto r = p.Divisions(
      Listing(R"({"id":"d1","name":"Home","description":"","homeDivision":true,)"
              R"("objectCounts":{"users":3},"selfUri":"/x"},)"
              R"({"id":"d2","name":"Acme","description":"Acme tenant","homeDivision":false})",
              2, 1),
      {"/api/v2/authorization/divisions", 1}, out);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->entities, 2);
  EXPECT_EQ(r->total, 2);
  EXPECT_EQ(r->page_count, 1);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], (audit::Division{"d1", "Home", "", true}));
  EXPECT_EQ(out[1], (audit::Division{"d2", "Acme", "Acme tenant", false}));
}

// QueueMemberEntityListing carries no count (the SDK's model has no total/pageCount/lastUri):
// the page is complete without one, and nextUri alone says a next page exists.
TEST(JsonPageParserTest, QueueMembersNeedNoCountAndFollowNextUri) {
  JsonPageParser p;
  std::vector<audit::QueueMember> out;
  const PageContext ctx{"/api/v2/routing/queues/q1/members", 1};
  auto r = p.QueueMembers(
      R"({"entities":[{"id":"u1","user":{"id":"u1"},"joined":true,"memberBy":"user"},)"
      R"({"id":"u2","user":{"id":"u2"},"memberBy":"group"}],"pageNumber":1,"pageSize":2,)"
      R"("firstUri":"/x?pageNumber=1","selfUri":"/x?pageNumber=1",)"
      R"("nextUri":"/api/v2/routing/queues/q1/members?pageSize=2&pageNumber=2"})",
      ctx, "q1", out);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->entities, 2);
  EXPECT_TRUE(r->has_next);
  EXPECT_EQ(r->total, -1);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1], (audit::QueueMember{"q1", "u2", true, false}));
  auto last =
      p.QueueMembers(R"({"entities":[{"id":"u3","user":{"id":"u3"}}],"pageNumber":2,"pageSize":2,)"
                     R"("nextUri":null,"previousUri":"/x?pageNumber=1"})",
                     {"/api/v2/routing/queues/q1/members", 2}, "q1", out);
  ASSERT_TRUE(last.ok()) << last.status().ToString();
  EXPECT_FALSE(last->has_next);
  EXPECT_EQ(out.size(), 3u);
}

TEST(JsonPageParserTest, ParsesTheOrganization) {
  JsonPageParser p;
  const PageContext ctx{"/api/v2/organizations/me", 0};
  auto r = p.Organization(
      R"({"id":"o1","name":"Acme BPO","version":3,"features":{"x":true},"state":"active"})", ctx);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->id, "o1");
  EXPECT_EQ(r->name, "Acme BPO");
  auto unnamed = p.Organization(R"({"id":"o2","name":null,"version":1})", ctx);
  ASSERT_TRUE(unnamed.ok()) << unnamed.status().ToString();
  EXPECT_EQ(unnamed->name, "");
  auto no_id = p.Organization(R"({"name":"x","version":1})", ctx);
  ASSERT_FALSE(no_id.ok());
  EXPECT_EQ(no_id.status().message(), "GET /api/v2/organizations/me: id: missing");
  auto wrong = p.Organization(R"({"id":7})", ctx);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::kInvalidArgument);
  for (const char* bad : {R"({"id":"o1")", R"({"id":"o1"} x)", "[]", ""}) {
    EXPECT_FALSE(p.Organization(bad, ctx).ok()) << bad;
  }
}

TEST(JsonPageParserTest, DivisionWithoutNameIsAnErrorAndLeavesOutputUntouched) {
  JsonPageParser p;
  std::vector<audit::Division> out = {{"d0", "Old", "", false}};
  auto r = p.Divisions(Listing(R"({"id":"d1","name":"A"},{"id":"d2"})", 2, 1, 2),
                       {"/api/v2/authorization/divisions", 2}, out);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "GET /api/v2/authorization/divisions page 2: entities[1].name: missing");
  EXPECT_EQ(out.size(), 1u);
}

TEST(JsonPageParserTest, ParsesRoles) {
  JsonPageParser p;
  std::vector<audit::Role> out;
  auto r = p.Roles(Listing(R"({"id":"r1","name":"Admin","permissionPolicies":[{"domain":"x",)"
                           R"("entityName":"*","actionSet":["*"]}],"userCount":4},)"
                           R"({"id":"r2","name":"Agent","permissions":["legacy:ignored:all"]})",
                           2, 1),
                   {"/api/v2/authorization/roles", 1}, out);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], (audit::Role{"r1", "Admin", {{"x", "*", {"*"}, false}}}));
  EXPECT_EQ(out[1], (audit::Role{"r2", "Agent"}));
}

TEST(JsonPageParserTest, ParsesRolePermissionPoliciesSortedWithNarrowedOnes) {
  JsonPageParser p;
  std::vector<audit::Role> out;
  auto r = p.Roles(
      Listing(R"({"id":"r1","name":"Sup","permissionPolicies":[)"
              R"({"domain":"routing","entityName":"queue","policyName":"q","actionSet":["view",)"
              R"("edit","view"],"namedResources":[],"allowConditions":true,)"
              R"("resourceConditionNode":{"variableName":"queue.id","operator":"EQ",)"
              R"("operands":[{"type":"SCALAR","value":"q1"}]}},)"
              R"({"domain":"directory","entityName":"user","actionSet":["add"],)"
              R"("namedResources":["u1"],"resourceConditionNode":null},)"
              R"({"domain":"*","entityName":"*","actionSet":["*"],"namedResources":null},)"
              R"({"domain":"authorization","entityName":"grant","actionSet":["add","delete"]}]})",
              1, 1),
      {"/api/v2/authorization/roles", 1}, out);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].policies, (std::vector<audit::PermissionPolicy>{
                                 {"*", "*", {"*"}, false},
                                 {"authorization", "grant", {"add", "delete"}, false},
                                 {"directory", "user", {"add"}, true},
                                 {"routing", "queue", {"edit", "view"}, true},
                             }));
}

TEST(JsonPageParserTest, PolicyWithoutDomainOrEntityNameIsAnErrorNamingIt) {
  JsonPageParser p;
  std::vector<audit::Role> out;
  auto r = p.Roles(Listing(R"({"id":"r1","permissionPolicies":[{"domain":"x","entityName":"y"},)"
                           R"({"entityName":"y","actionSet":["view"]}]})",
                           1, 1),
                   {"/api/v2/authorization/roles", 1}, out);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "GET /api/v2/authorization/roles page 1: entities[0].permissionPolicies[1].domain: "
            "missing");
  EXPECT_TRUE(out.empty());
}

TEST(JsonPageParserTest, ParsesThePermissionCatalog) {
  JsonPageParser p;
  std::vector<audit::CatalogPermission> out;
  auto r = p.Permissions(
      Listing(R"({"id":"authorization","name":"authorization","domain":"authorization",)"
              R"("permissionMap":{"grant":[{"domain":"authorization","entityType":"grant",)"
              R"("action":"add","label":"Add","allowsConditions":false,"divisionAware":false},)"
              R"({"action":"view","divisionAware":true}],"role":[]}},)"
              R"({"permissionMap":{"user":[{"domain":"directory","entityType":"user",)"
              R"("action":"edit","divisionAware":true}]},"domain":"directory"})",
              2, 1),
      {"/api/v2/authorization/permissions", 1}, out);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->entities, 2);  // collections, not permissions
  EXPECT_EQ(r->total, 2);
  EXPECT_EQ(out, (std::vector<audit::CatalogPermission>{
                     {"authorization", "grant", "add", false},
                     {"authorization", "grant", "view", true},
                     {"directory", "user", "edit", true},
                 }));
}

TEST(JsonPageParserTest, CatalogPermissionWithoutDivisionAwareIsAnErrorNeverADefault) {
  JsonPageParser p;
  std::vector<audit::CatalogPermission> out = {{"a", "b", "c", true}};
  auto r =
      p.Permissions(Listing(R"({"domain":"oauth","permissionMap":{"client":[{"action":"add",)"
                            R"("divisionAware":false},{"action":"edit","divisionAware":null}]}})",
                            1, 1),
                    {"/api/v2/authorization/permissions", 2}, out);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "GET /api/v2/authorization/permissions page 2: "
            "entities[0].permissionMap.client[1].divisionAware: missing");
  EXPECT_EQ(out.size(), 1u);  // rolled back
}

TEST(JsonPageParserTest, ParsesRoleSettingsAndNeverAssumesTheGuardrail) {
  JsonPageParser p;
  const PageContext ctx{"/api/v2/authorization/roles/settings", 0};
  auto off = p.RoleSettings(
      R"({"id":"x","backfillEnabled":true,"authorizationGrantDivisionAware":false,"selfUri":"/s"})",
      ctx);
  ASSERT_TRUE(off.ok()) << off.status().ToString();
  EXPECT_EQ(*off, (audit::RoleSettings{false, true}));
  auto on = p.RoleSettings(R"({"authorizationGrantDivisionAware":true})", ctx);
  ASSERT_TRUE(on.ok());
  EXPECT_EQ(*on, (audit::RoleSettings{true, false}));
  auto missing = p.RoleSettings(R"({"backfillEnabled":true})", ctx);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "GET /api/v2/authorization/roles/settings: authorizationGrantDivisionAware: missing");
  EXPECT_FALSE(p.RoleSettings(R"({"authorizationGrantDivisionAware":"no"})", ctx).ok());
  EXPECT_FALSE(p.RoleSettings(R"({"authorizationGrantDivisionAware":true)", ctx).ok());
}

TEST(JsonPageParserTest, ParsesSubjectGrantsOfEveryType) {
  JsonPageParser p;
  std::vector<audit::Grant> grants;
  std::vector<audit::ExternalSubject> externals;
  const std::string body = Listing(
      // divisions before type: field order must not matter; "*" carries no name.
      R"({"id":"u1","name":"Ann","divisions":[{"id":"*","selfUri":"/x"},{"id":"d1","name":"A"}],)"
      R"("type":"PC_USER","selfUri":"/api/v2/users/u1"},)"
      R"({"id":"g1","name":"Grp","type":"PC_GROUP","divisions":[{"id":"d2","name":"B"}]},)"
      R"({"id":"c1","name":"Cli","type":"PC_OAUTH_CLIENT","divisions":[{"id":"d1","name":"A"}]},)"
      R"({"id":"tu","name":"Partner","type":"PC_TRUSTEE_USER","divisions":[{"id":"*"}]},)"
      R"({"id":"tg","name":"PGroup","type":"PC_TRUSTEE_GROUP","divisions":[]},)"
      R"({"id":"x1","name":"Who","type":"UNKNOWN","divisions":[{"id":"d3","name":"C"}]},)"
      R"({"id":"x2","name":"New","type":"PC_ROBOT","divisions":null})",
      7, 1);
  auto r = p.SubjectGrants(body, {"/api/v2/authorization/roles/r1/subjectgrants", 1}, "r1",
                           {&grants, &externals});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->entities, 7);
  std::vector<audit::Grant> want = {
      {SubjectType::kUser, "u1", "r1", "*"},        {SubjectType::kUser, "u1", "r1", "d1"},
      {SubjectType::kGroup, "g1", "r1", "d2"},      {SubjectType::kOAuthClient, "c1", "r1", "d1"},
      {SubjectType::kTrusteeUser, "tu", "r1", "*"}, {SubjectType::kUnknown, "x1", "r1", "d3"},
  };
  EXPECT_EQ(grants, want);
  std::vector<audit::ExternalSubject> want_ext = {
      {"tu", "Partner", SubjectType::kTrusteeUser, "PC_TRUSTEE_USER"},
      {"tg", "PGroup", SubjectType::kTrusteeGroup, "PC_TRUSTEE_GROUP"},
      {"x1", "Who", SubjectType::kUnknown, "UNKNOWN"},
      {"x2", "New", SubjectType::kUnknown, "PC_ROBOT"},
  };
  EXPECT_EQ(externals, want_ext);
}

TEST(JsonPageParserTest, SubjectGrantErrorsNameThePath) {
  JsonPageParser p;
  std::vector<audit::Grant> grants;
  std::vector<audit::ExternalSubject> externals;
  const PageContext ctx{"/api/v2/authorization/roles/r1/subjectgrants", 2};
  auto r = p.SubjectGrants(
      Listing(R"({"id":"u1","type":"PC_USER","divisions":[{"id":"d1"},{"name":"B"}]})", 1, 1), ctx,
      "r1", {&grants, &externals});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "GET /api/v2/authorization/roles/r1/subjectgrants page 2: "
            "entities[0].divisions[1].id: missing");
  EXPECT_TRUE(grants.empty());
  r = p.SubjectGrants(Listing(R"({"id":"u1","divisions":[]})", 1, 1), ctx, "r1",
                      {&grants, &externals});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "GET /api/v2/authorization/roles/r1/subjectgrants page 2: entities[0].type: missing");
  r = p.SubjectGrants(Listing(R"({"id":"u1","type":7,"divisions":[]})", 1, 1), ctx, "r1",
                      {&grants, &externals});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "GET /api/v2/authorization/roles/r1/subjectgrants page 2: entities[0].type: "
            "expected string, got number");
}

TEST(JsonPageParserTest, ParsesUsers) {
  JsonPageParser p;
  std::vector<audit::User> out;
  auto r = p.Users(Listing(UserJson("u1", "d1") + "," + UserJson("u2", "d2", "inactive") +
                               R"(,{"id":"u3","name":"No Division"})",
                           1203, 3, 3),
                   kUsersPage3, out);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->entities, 3);
  EXPECT_EQ(r->total, 1203);
  EXPECT_EQ(r->page_count, 3);
  EXPECT_EQ(r->page_number, 3);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], (audit::User{"u1", "User u1", "u1@example.com", "d1", "active"}));
  EXPECT_EQ(out[1], (audit::User{"u2", "User u2", "u2@example.com", "d2", "inactive"}));
  EXPECT_EQ(out[2], (audit::User{"u3", "No Division", "", "", ""}));
}

TEST(JsonPageParserTest, UserDivisionWithoutIdNamesEndpointPageAndField) {
  JsonPageParser p;
  std::string entities;
  for (int i = 0; i < 17; ++i) entities += UserJson("u" + std::to_string(i), "d1") + ",";
  entities += R"({"id":"u17","division":{"name":"Acme"}})";
  std::vector<audit::User> out;
  auto r = p.Users(Listing(entities, 1018, 3, 3), kUsersPage3, out);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "GET /api/v2/users page 3: entities[17].division.id: missing");
  EXPECT_TRUE(out.empty());
}

TEST(JsonPageParserTest, WrongTypesAreNamed) {
  JsonPageParser p;
  std::vector<audit::User> out;
  auto r = p.Users(Listing(R"({"id":12})", 1, 1), kUsersPage3, out);
  EXPECT_EQ(r.status().message(),
            "GET /api/v2/users page 3: entities[0].id: expected string, got number");
  r = p.Users(Listing(R"({"id":"u1","division":"d1"})", 1, 1), kUsersPage3, out);
  EXPECT_EQ(r.status().message(),
            "GET /api/v2/users page 3: entities[0].division: expected object, got string");
  r = p.Users(R"({"entities":{},"total":1,"pageCount":1})", kUsersPage3, out);
  EXPECT_EQ(r.status().message(), "GET /api/v2/users page 3: entities: expected array, got object");
  r = p.Users(R"({"entities":[],"total":"7","pageCount":1})", kUsersPage3, out);
  EXPECT_EQ(r.status().message(), "GET /api/v2/users page 3: total: expected integer, got string");
  r = p.Users(R"([1,2])", kUsersPage3, out);
  EXPECT_EQ(r.status().message(), "GET /api/v2/users page 3: expected object, got array");
  r = p.Users(R"({"entities":[7],"total":1,"pageCount":1})", kUsersPage3, out);
  EXPECT_EQ(r.status().message(),
            "GET /api/v2/users page 3: entities[0]: expected object, got number");
  EXPECT_TRUE(out.empty());
}

TEST(JsonPageParserTest, MissingPagingFieldsAreErrors) {
  JsonPageParser p;
  std::vector<audit::User> out;
  auto r = p.Users(R"({"entities":[],"pageCount":0})", kUsersPage3, out);
  EXPECT_EQ(r.status().message(), "GET /api/v2/users page 3: total: missing");
  r = p.Users(R"({"total":0,"pageCount":0})", kUsersPage3, out);
  EXPECT_EQ(r.status().message(), "GET /api/v2/users page 3: entities: missing");
  r = p.Users(R"({"entities":[],"total":3})", kUsersPage3, out);
  EXPECT_EQ(r.status().message(), "GET /api/v2/users page 3: pageCount: missing");
  // pageCount is derived from total and pageSize when absent.
  r = p.Users(R"({"entities":[],"total":1001,"pageSize":500})", kUsersPage3, out);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->page_count, 3);
}

TEST(JsonPageParserTest, TruncatedJsonIsDataLossNamingEndpointAndPage) {
  JsonPageParser p;
  const std::string full = Listing(UserJson("u1", "d1") + "," + UserJson("u2", "d2"), 2, 1);
  for (size_t cut : {full.size() - 1, full.size() - 30, full.size() / 2, size_t{10}}) {
    std::vector<audit::User> out;
    auto r = p.Users(full.substr(0, cut), kUsersPage3, out);
    ASSERT_FALSE(r.ok()) << "cut at " << cut;
    EXPECT_EQ(r.status().message().rfind("GET /api/v2/users page 3: ", 0), 0u)
        << r.status().message();
    EXPECT_TRUE(out.empty()) << "cut at " << cut;
  }
  std::vector<audit::User> out;
  auto r = p.Users(full.substr(0, full.size() - 1), kUsersPage3, out);
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  r = p.Users(full + "garbage", kUsersPage3, out);
  EXPECT_FALSE(r.ok());
  r = p.Users("", kUsersPage3, out);
  EXPECT_FALSE(r.ok());
}

TEST(JsonPageParserTest, ParsesCursorListing) {
  JsonPageParser p;
  std::vector<audit::User> out;
  auto r = p.UsersCursor(R"({"entities":[)" + UserJson("u1", "d1", "inactive") +
                             R"(],"nextUri":"/api/v2/users/query?cursor=abc","cursor":"abc",)"
                             R"("selfUri":"/api/v2/users/query"})",
                         {"/api/v2/users/query", 1}, out);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->entities, 1);
  EXPECT_EQ(r->cursor, "abc");
  EXPECT_EQ(r->next_uri, "/api/v2/users/query?cursor=abc");
  r = p.UsersCursor(R"({"entities":[]})", {"/api/v2/users/query", 2}, out);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->cursor.empty());
  EXPECT_TRUE(r->next_uri.empty());
}

TEST(JsonPageParserTest, ParsesGroupsAndMembers) {
  JsonPageParser p;
  std::vector<audit::Group> groups;
  auto r =
      p.Groups(Listing(R"({"id":"g1","name":"Sup","rolesEnabled":false,"type":"official",)"
                       R"("memberCount":4,"owners":[{"id":"u9"}]},{"id":"g2","name":"Agents"})",
                       2, 1),
               {"/api/v2/groups", 1}, groups);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].id, "g1");
  EXPECT_FALSE(groups[0].roles_enabled);
  EXPECT_TRUE(groups[1].roles_enabled);
  std::vector<std::string> members;
  r = p.GroupMembers(Listing(UserJson("u1", "d1") + "," + UserJson("u2", "d1"), 2, 1),
                     {"/api/v2/groups/g1/members", 1}, members);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(members, (std::vector<std::string>{"u1", "u2"}));
  r = p.GroupMembers(Listing(R"({"name":"x"})", 1, 1), {"/api/v2/groups/g1/members", 1}, members);
  EXPECT_EQ(r.status().message(), "GET /api/v2/groups/g1/members page 1: entities[0].id: missing");
  EXPECT_EQ(members.size(), 2u);
}

TEST(JsonPageParserTest, ParsesUnpagedOAuthClients) {
  JsonPageParser p;
  std::vector<audit::OAuthClient> out;
  auto r = p.OAuthClients(
      R"({"entities":[{"id":"c1","name":"Bot","authorizedGrantType":"CLIENT-CREDENTIALS",)"
      R"("state":"active","roleIds":["r1"],"roleDivisions":[{"roleId":"r1","divisionId":"*"},)"
      R"({"roleId":"r2","divisionId":"d1"}],"scope":[]},{"id":"c2","name":"Web",)"
      R"("authorizedGrantType":"CODE","state":"disabled"}]})",
      {"/api/v2/oauth/clients", 0}, out);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].authorized_grant_type, "CLIENT-CREDENTIALS");
  EXPECT_EQ(out[0].state, "active");
  EXPECT_EQ(out[0].role_divisions, (std::vector<audit::RoleDivision>{{"r1", "*"}, {"r2", "d1"}}));
  EXPECT_TRUE(out[1].role_divisions.empty());
  r = p.OAuthClients(R"({"entities":[{"id":"c1","roleDivisions":[{"roleId":"r1"}]}]})",
                     {"/api/v2/oauth/clients", 0}, out);
  EXPECT_EQ(r.status().message(),
            "GET /api/v2/oauth/clients: entities[0].roleDivisions[0].divisionId: missing");
  EXPECT_EQ(out.size(), 2u);
}

TEST(JsonPageParserTest, ParsesDivisionsPermitted) {
  JsonPageParser p;
  std::vector<std::string> ids;
  auto r = p.DivisionsPermitted(
      R"({"entities":[{"id":"d1","name":"A"},{"id":"d2","name":"B"}],"pageSize":500,)"
      R"("pageNumber":1,"total":2,"pageCount":1,"allDivsPermitted":false})",
      {"/api/v2/authorization/divisionspermitted/paged/me", 1}, ids);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->all_divs_permitted);
  EXPECT_EQ(ids, (std::vector<std::string>{"d1", "d2"}));
  r = p.DivisionsPermitted(R"({"entities":[],"total":0,"pageCount":0,"allDivsPermitted":true})",
                           {"/api/v2/authorization/divisionspermitted/paged/me", 1}, ids);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->all_divs_permitted);
}

TEST(JsonPageParserTest, HandlesEscapedStrings) {
  JsonPageParser p;
  std::vector<audit::Division> out;
  auto r = p.Divisions(Listing(R"({"id":"d1","name":"Acme \"Retail\" \u00e9"})", 1, 1),
                       {"/api/v2/authorization/divisions", 1}, out);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(out[0].name, "Acme \"Retail\" \xC3\xA9");
}

// 50,000 users and 500,000 grants: every entity arrives (sizes at the scale of issue 1; the
// parse speed is measured by bench/ BM_Parse*, not here).
TEST(JsonPageParserScaleTest, ParsesALargeOrg) {
  std::vector<std::string> user_pages;
  for (int page = 0; page < 100; ++page) {
    std::string e;
    for (int i = 0; i < 500; ++i) {
      if (i > 0) e += ",";
      e += UserJson(
          "5f1c2a3e-0000-4000-8000-" + std::to_string(100000000000 + int64_t{page} * 500 + i),
          "7a1c2a3e-0000-4000-8000-000000000001");
    }
    user_pages.push_back(Listing(e, 50000, 100, page + 1));
  }
  std::vector<std::string> grant_pages;  // 500 pages × 500 subjects × 2 divisions
  for (int page = 0; page < 500; ++page) {
    std::string e;
    for (int i = 0; i < 500; ++i) {
      if (i > 0) e += ",";
      e += R"({"id":"5f1c2a3e-0000-4000-8000-)" + std::to_string(100000000000 + i) +
           R"(","name":"Some User","type":"PC_USER","divisions":[)"
           R"({"id":"7a1c2a3e-0000-4000-8000-000000000001","name":"Acme","selfUri":"/x"},)"
           R"({"id":"7a1c2a3e-0000-4000-8000-000000000002","name":"Globex","selfUri":"/y"}],)"
           R"("selfUri":"/api/v2/users/x"})";
    }
    grant_pages.push_back(Listing(e, 250000, 500, page + 1));
  }
  JsonPageParser p;
  std::vector<audit::User> users;
  std::vector<audit::Grant> grants;
  std::vector<audit::ExternalSubject> externals;
  for (size_t i = 0; i < user_pages.size(); ++i) {
    ASSERT_TRUE(p.Users(user_pages[i], {"/api/v2/users", int64_t(i + 1)}, users).ok());
  }
  for (size_t i = 0; i < grant_pages.size(); ++i) {
    ASSERT_TRUE(p.SubjectGrants(grant_pages[i],
                                {"/api/v2/authorization/roles/r/subjectgrants", int64_t(i + 1)},
                                "0c1c2a3e-0000-4000-8000-000000000009", {&grants, &externals})
                    .ok());
  }
  EXPECT_EQ(users.size(), 50000u);
  EXPECT_EQ(grants.size(), 500000u);
  EXPECT_EQ(externals.size(), 0u);
}

}  // namespace
}  // namespace divaudit::genesys
