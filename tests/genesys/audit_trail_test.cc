#include "genesys/audit_trail.h"

#include <gtest/gtest.h>

#include <string>

#include "common/time_util.h"
#include "tests/fakes/scripted_api_client.h"

namespace divaudit::genesys {
namespace {

using fakes::ScriptedApiClient;

// One AuditLogMessage as the SDK models it, with every field divaudit reads.
constexpr char kFullEvent[] = R"({
  "id": "ev-1", "userHomeOrgId": "org-partner",
  "user": {"id": "u-admin", "name": "Ada Admin", "selfUri": "/api/v2/users/u-admin"},
  "client": {"id": "c-1", "name": "Provisioner"},
  "remoteIp": ["10.0.0.1"], "serviceName": "PeoplePermissions", "level": "USER",
  "eventDate": "2026-11-20T08:00:00.000Z", "action": "MemberAdd",
  "entity": {"id": "role-1", "name": "u-9--role-1--org-1"}, "entityType": "Role",
  "status": "SUCCESS", "context": {"k": "v"},
  "propertyChanges": [{"property": "divisionIds", "oldValues": [], "newValues": ["d-1", 7]}],
  "entityChanges": [{"entityId": "u-9", "entityName": "Bob", "entityType": "User",
                     "oldValues": ["a"], "newValues": ["b"]}]
})";

TEST(AuditTrailTest, ParsesEveryFieldOfAnAuditLogMessage) {
  auto page = ParseAuditPage(std::string(R"({"entities": [)") + kFullEvent +
                                 R"(], "pageNumber": 1, "pageSize": 100, "total": 1,
                                 "pageCount": 1})",
                             "PeoplePermissions", 1);
  ASSERT_TRUE(page.ok()) << page.status().message();
  ASSERT_EQ(page->events.size(), 1u);
  const AuditEvent& e = page->events[0];
  EXPECT_EQ(e.id, "ev-1");
  EXPECT_EQ(e.service, "PeoplePermissions");
  EXPECT_EQ(e.level, "USER");
  EXPECT_EQ(e.event_date, "2026-11-20T08:00:00.000Z");
  EXPECT_EQ(e.action, "MemberAdd");
  ASSERT_TRUE(e.entity.has_value());
  EXPECT_EQ(e.entity->id, "role-1");
  EXPECT_EQ(e.entity->name, "u-9--role-1--org-1");
  EXPECT_EQ(e.entity_type, "Role");
  ASSERT_TRUE(e.user.has_value());
  EXPECT_EQ(e.user->name, "Ada Admin");
  ASSERT_TRUE(e.client.has_value());
  EXPECT_EQ(e.client->id, "c-1");
  EXPECT_EQ(e.user_home_org_id, "org-partner");
  ASSERT_EQ(e.property_changes.size(), 1u);
  EXPECT_EQ(e.property_changes[0].property, "divisionIds");
  EXPECT_EQ(e.property_changes[0].new_values, (std::vector<std::string>{"d-1", "7"}));
  ASSERT_EQ(e.entity_changes.size(), 1u);
  EXPECT_EQ(e.entity_changes[0].entity_id, "u-9");
  EXPECT_EQ(e.entity_changes[0].entity_name, "Bob");
  EXPECT_EQ(e.entity_changes[0].old_values, (std::vector<std::string>{"a"}));
  EXPECT_EQ(page->page_count, 1);
}

TEST(AuditTrailTest, AbsentFieldsStayEmptyAndPageCountComesFromTotal) {
  auto page = ParseAuditPage(
      R"({"entities": [{"id": "e", "client": null}], "pageSize": 2, "total": 5})", "Groups", 1);
  ASSERT_TRUE(page.ok()) << page.status().message();
  EXPECT_FALSE(page->events[0].user.has_value());
  EXPECT_FALSE(page->events[0].client.has_value());
  EXPECT_TRUE(page->events[0].property_changes.empty());
  EXPECT_EQ(page->page_count, 3);
}

TEST(AuditTrailTest, ShapeErrorsNameTheQueryPageAndField) {
  auto bad = ParseAuditPage(R"({"entities": [{"id": "e", "propertyChanges": [{"newValues": 3}]}]})",
                            "Groups", 2);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("Groups page 2"), std::string::npos);
  EXPECT_NE(bad.status().message().find("entities[0].propertyChanges[0].newValues"),
            std::string::npos)
      << bad.status().message();
  auto truncated = ParseAuditPage(R"({"entities": [{"id": )", "Groups", 1);
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.status().code(), StatusCode::kDataLoss);
}

TEST(AuditTrailTest, QueryBodyHasIntervalServiceAndPage) {
  const SystemTime from = FromUnixSeconds(1'700'000'000);
  EXPECT_EQ(AuditQueryBody("Directory", from, from + std::chrono::hours(1), 2, 100),
            R"({"interval":"2023-11-14T22:13:20Z/2023-11-14T23:13:20Z","serviceName":"Directory",)"
            R"("pageNumber":2,"pageSize":100})");
  // The end rounds up: an event in the window's last (partial) second stays inside.
  EXPECT_NE(AuditQueryBody("Directory", from, from + std::chrono::milliseconds(1500), 1, 100)
                .find("/2023-11-14T22:13:22Z"),
            std::string::npos);
}

std::string Page(int n, int count) {
  return R"({"entities": [{"id": "ev-)" + std::to_string(n) + R"("}], "pageNumber": )" +
         std::to_string(n) + R"(, "pageCount": )" + std::to_string(count) + "}";
}

int PageOf(const ApiRequest& r) {
  const auto at = r.body.find("\"pageNumber\":");
  return std::stoi(r.body.substr(at + 13));
}

TEST(AuditTrailTest, ReadsEveryPageAsPostsThroughTheClient) {
  ScriptedApiClient client([](const ApiRequest& r) -> ScriptedApiClient::Reply {
    return ApiResponse{200, Page(PageOf(r), 3)};
  });
  const SystemTime to = FromUnixSeconds(1'700'000'000);
  auto result = QueryAuditTrail(client, "Groups", to - std::chrono::hours(1), to);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result->pages, 3);
  ASSERT_EQ(result->events.size(), 3u);
  EXPECT_EQ(result->events[2].id, "ev-3");
  ASSERT_EQ(client.calls().size(), 3u);
  for (const auto& c : client.calls()) {
    EXPECT_EQ(c.method, "POST");
    EXPECT_EQ(c.path_and_query, "/api/v2/audits/query/realtime?expand=user");
    EXPECT_EQ(c.route, "/api/v2/audits/query/realtime");
    EXPECT_NE(c.body.find(R"("serviceName":"Groups")"), std::string::npos);
  }
  EXPECT_EQ(client.Stats().requests, 3);
}

TEST(AuditTrailTest, ForbiddenIsPermissionDeniedNamingThePermission) {
  ScriptedApiClient client([](const ApiRequest&) -> ScriptedApiClient::Reply {
    return ApiResponse{403, R"({"code":"missing.any.permissions"})"};
  });
  const SystemTime to = FromUnixSeconds(1'700'000'000);
  auto result = QueryAuditTrail(client, "Groups", to - std::chrono::hours(1), to);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(result.status().message().find("audits:audit:view"), std::string::npos);
}

// A 429 given up on is kResourceExhausted (the watch counts it as reason "throttled").
TEST(AuditTrailTest, ThrottledIsResourceExhausted) {
  ScriptedApiClient client([](const ApiRequest&) -> ScriptedApiClient::Reply {
    return ApiResponse{429, "{}"};
  });
  const SystemTime to = FromUnixSeconds(1'700'000'000);
  auto result = QueryAuditTrail(client, "Groups", to - std::chrono::hours(1), to, 1);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(result.status().message().find("HTTP 429"), std::string::npos);
}

TEST(AuditTrailTest, ServerErrorsAndTransportErrorsAreNotPermissionDenied) {
  int n = 0;
  ScriptedApiClient client([&](const ApiRequest& r) -> ScriptedApiClient::Reply {
    ++n;
    if (PageOf(r) == 2) return ApiResponse{503, "{}"};
    return ApiResponse{200, Page(1, 2)};
  });
  const SystemTime to = FromUnixSeconds(1'700'000'000);
  auto result = QueryAuditTrail(client, "Directory", to - std::chrono::hours(1), to);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(result.status().message().find("HTTP 503"), std::string::npos);

  ScriptedApiClient down([](const ApiRequest&) -> ScriptedApiClient::Reply {
    return DeadlineExceededError("timeout");
  });
  auto timed_out = QueryAuditTrail(down, "Directory", to - std::chrono::hours(1), to);
  ASSERT_FALSE(timed_out.ok());
  EXPECT_EQ(timed_out.status().code(), StatusCode::kDeadlineExceeded);
}

TEST(AuditTrailTest, TooManyPagesIsResourceExhausted) {
  ScriptedApiClient client([](const ApiRequest&) -> ScriptedApiClient::Reply {
    return ApiResponse{200, Page(1, kAuditMaxPages + 1)};
  });
  const SystemTime to = FromUnixSeconds(1'700'000'000);
  auto result = QueryAuditTrail(client, "Groups", to - std::chrono::hours(1), to);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(client.calls().size(), 1u);
}

}  // namespace
}  // namespace divaudit::genesys
