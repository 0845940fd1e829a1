#include "genesys/provenance.h"

#include <gtest/gtest.h>

#include <string>

#include "common/time_util.h"
#include "tests/fakes/scripted_api_client.h"

namespace divaudit::genesys {
namespace {

using fakes::ScriptedApiClient;

audit::Finding CrossTenant(std::string user, std::string group = "") {
  audit::Finding f;
  f.rule = audit::Rule::kCrossTenant;
  f.subject = audit::SubjectRef{audit::SubjectType::kUser, std::move(user), "Bob"};
  f.role = audit::NamedRef{"role-1", "Agent"};
  f.division = audit::NamedRef{"div-1", "Globex"};
  f.via = audit::Via{group.empty(), group, group.empty() ? "" : "Team"};
  return f;
}

AuditEvent Event(std::string id, std::string date) {
  AuditEvent e;
  e.id = std::move(id);
  e.event_date = std::move(date);
  e.service = "PeoplePermissions";
  e.action = "MemberAdd";
  e.entity_type = "Role";
  return e;
}

TEST(ProvenanceTest, WindowStartsTenMinutesBeforeThePreviousSweepAndIsClamped) {
  const SystemTime now = FromUnixSeconds(2'000'000'000);
  EXPECT_FALSE(ChangedByWindow(std::nullopt, now).has_value());
  auto w = ChangedByWindow(2'000'000'000 - 3600, now);
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(ToUnixSeconds(w->from), 2'000'000'000 - 3600 - 600);
  EXPECT_EQ(w->to, now);
  auto old = ChangedByWindow(1'000'000'000, now);
  EXPECT_EQ(now - old->from, std::chrono::hours(14 * 24));
}

TEST(ProvenanceTest, MatchesTheSubjectIdWhereverTheEventCarriesIt) {
  const audit::Finding f = CrossTenant("u-9");
  AuditEvent in_name = Event("1", "2026-11-20T08:00:00Z");
  in_name.entity = AuditRef{"role-x", "u-9--role-x--org-1"};
  EXPECT_TRUE(EventMatches(in_name, f));
  AuditEvent in_entity_changes = Event("2", "2026-11-20T08:00:00Z");
  in_entity_changes.entity_changes.push_back({"u-9", "", "User", {}, {}});
  EXPECT_TRUE(EventMatches(in_entity_changes, f));
  AuditEvent in_values = Event("3", "2026-11-20T08:00:00Z");
  in_values.property_changes.push_back({"members", {}, {"u-1", "u-9"}});
  EXPECT_TRUE(EventMatches(in_values, f));
  AuditEvent in_property_name = Event("4", "2026-11-20T08:00:00Z");
  in_property_name.property_changes.push_back({"u-9", {}, {}});
  EXPECT_TRUE(EventMatches(in_property_name, f));
  AuditEvent other = Event("5", "2026-11-20T08:00:00Z");
  other.entity = AuditRef{"u-8", "Alice"};
  EXPECT_FALSE(EventMatches(other, f));
}

TEST(ProvenanceTest, NeverMatchesOnActorFields) {
  const audit::Finding f = CrossTenant("u-9");
  AuditEvent e = Event("1", "2026-11-20T08:00:00Z");
  e.user = AuditRef{"u-9", "Bob"};
  e.client = AuditRef{"u-9", "x"};
  e.user_home_org_id = "u-9";
  e.entity = AuditRef{"role-1", "Agent"};
  EXPECT_FALSE(EventMatches(e, f));
}

TEST(ProvenanceTest, MatchIdsPerRule) {
  EXPECT_EQ(MatchIds(CrossTenant("u-9", "g-1")), (std::vector<std::string>{"g-1", "u-9"}));
  EXPECT_EQ(MatchIds(CrossTenant("u-9")), (std::vector<std::string>{"u-9"}));
  audit::Finding queue = CrossTenant("u-9");
  queue.rule = audit::Rule::kCrossTenantQueue;
  queue.queue = audit::QueueRef{};
  queue.queue->id = "q-1";
  EXPECT_EQ(MatchIds(queue), (std::vector<std::string>{"q-1", "u-9"}));
  audit::Finding wide = CrossTenant("u-9");
  wide.rule = audit::Rule::kOrgWidePermission;
  EXPECT_EQ(MatchIds(wide), (std::vector<std::string>{"role-1", "u-9"}));
  audit::Finding unmapped;
  unmapped.rule = audit::Rule::kUnmappedDivision;
  unmapped.division = audit::NamedRef{"div-7", "New"};
  EXPECT_EQ(MatchIds(unmapped), (std::vector<std::string>{"div-7"}));
  audit::Finding guardrail;
  guardrail.rule = audit::Rule::kGrantGuardrailOff;
  guardrail.subject = audit::SubjectRef{audit::SubjectType::kOrg, "org-1", "Org"};
  EXPECT_TRUE(MatchIds(guardrail).empty());
  AuditEvent settings = Event("1", "2026-11-20T08:00:00Z");
  settings.entity_type = "RoleSettings";
  EXPECT_TRUE(EventMatches(settings, guardrail));
  AuditEvent role = Event("2", "2026-11-20T08:00:00Z");
  role.entity = AuditRef{"org-1", "org-1"};
  EXPECT_FALSE(EventMatches(role, guardrail));
}

TEST(ProvenanceTest, ActorIsTrusteeThenUserThenClientThenSystem) {
  audit::OrgSnapshot snapshot;
  snapshot.users.push_back({"u-admin", "Ada Admin", "", "", "active"});
  audit::OAuthClient client;
  client.id = "c-1";
  client.name = "Provisioner";
  snapshot.oauth_clients.push_back(client);
  AuditEvent e = Event("1", "2026-11-20T08:00:00.123Z");
  e.entity = AuditRef{"role-1", ""};
  e.user = AuditRef{"u-partner", "Pat Partner"};
  e.client = AuditRef{"c-1", ""};
  e.user_home_org_id = "org-partner";
  audit::ChangedBy c = ChangedByOf(e, "org-1", snapshot);
  EXPECT_EQ(c.actor_type, "trustee");
  EXPECT_EQ(c.actor_id, "u-partner");
  EXPECT_EQ(c.actor_name, "Pat Partner");
  EXPECT_EQ(c.at, "2026-11-20T08:00:00Z");
  EXPECT_EQ(c.service, "PeoplePermissions");
  EXPECT_EQ(c.action, "MemberAdd");
  EXPECT_EQ(c.entity_type, "Role");
  EXPECT_EQ(c.entity_id, "role-1");

  e.user_home_org_id = "org-1";
  e.user = AuditRef{"u-admin", ""};
  c = ChangedByOf(e, "org-1", snapshot);
  EXPECT_EQ(c.actor_type, "user");
  EXPECT_EQ(c.actor_name, "Ada Admin");  // from the sweep's users

  e.user.reset();
  c = ChangedByOf(e, "org-1", snapshot);
  EXPECT_EQ(c.actor_type, "client");
  EXPECT_EQ(c.actor_id, "c-1");
  EXPECT_EQ(c.actor_name, "Provisioner");  // from the sweep's clients

  e.client.reset();
  e.user_home_org_id.clear();
  c = ChangedByOf(e, "org-1", snapshot);
  EXPECT_EQ(c.actor_type, "system");
  EXPECT_TRUE(c.actor_id.empty());
}

TEST(ProvenanceTest, LatestMatchingEventWins) {
  const audit::Finding f = CrossTenant("u-9");
  std::vector<AuditEvent> events;
  events.push_back(Event("late", "2026-11-20T09:00:00Z"));
  events.push_back(Event("early", "2026-11-20T08:00:00Z"));
  events.push_back(Event("unrelated", "2026-11-20T10:00:00Z"));
  events[0].entity = AuditRef{"u-9", ""};
  events[1].entity = AuditRef{"u-9", ""};
  events[2].entity = AuditRef{"u-1", ""};
  const AuditEvent* e = LatestMatch(events, f);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->id, "late");
  EXPECT_EQ(LatestMatch({}, f), nullptr);
}

std::string Body(const std::string& service) {
  if (service != "Groups") return R"({"entities": [], "pageNumber": 1, "pageCount": 0})";
  return R"({"entities": [{"id": "ev", "serviceName": "Groups", "eventDate":
      "2026-11-20T08:00:00Z", "action": "MemberAdd", "entityType": "DirectoryGroup",
      "entity": {"id": "g-1", "name": "Team"}, "client": {"id": "c-1", "name": "Bot"},
      "userHomeOrgId": "org-1"}], "pageNumber": 1, "pageCount": 1})";
}

std::string ServiceOf(const ApiRequest& r) {
  const auto at = r.body.find("\"serviceName\":\"") + 15;
  return r.body.substr(at, r.body.find('"', at) - at);
}

TEST(ProvenanceTest, LooksUpOncePerServiceAndAttachesOrLeavesNull) {
  ScriptedApiClient client([](const ApiRequest& r) -> ScriptedApiClient::Reply {
    return ApiResponse{200, Body(ServiceOf(r))};
  });
  audit::Finding via_group = CrossTenant("u-9", "g-1");
  audit::Finding unrelated = CrossTenant("u-3");
  unrelated.changed_by = audit::ChangedBy{"user", "x", "", "", "", "", "", ""};  // stale: reset
  const SystemTime now = FromUnixSeconds(2'000'000'000);
  auto result = LookUpChangedBy(client, {&via_group, &unrelated},
                                ChangedByWindow(2'000'000'000 - 60, now), "org-1", {});
  EXPECT_EQ(result.outcome, ChangedByLookup::Outcome::kLookedUp);
  EXPECT_EQ(result.queries, 5);
  EXPECT_EQ(result.events, 1);
  EXPECT_EQ(result.attributed, 1);
  EXPECT_EQ(result.unattributed, 1);
  ASSERT_EQ(client.calls().size(), 5u);
  std::vector<std::string> services;
  for (const auto& c : client.calls()) services.push_back(ServiceOf(c));
  EXPECT_EQ(services, (std::vector<std::string>{"PeoplePermissions", "Groups", "Directory",
                                                "ContactCenter", "OAuthClient"}));
  ASSERT_TRUE(via_group.changed_by.has_value());
  EXPECT_EQ(via_group.changed_by->actor_type, "client");
  EXPECT_EQ(via_group.changed_by->actor_name, "Bot");
  EXPECT_EQ(via_group.changed_by->entity_id, "g-1");
  EXPECT_FALSE(unrelated.changed_by.has_value());
}

TEST(ProvenanceTest, NoQueryOnAFirstSweepOrWhenNothingOpens) {
  int calls = 0;
  ScriptedApiClient client([&](const ApiRequest&) -> ScriptedApiClient::Reply {
    ++calls;
    return ApiResponse{200, "{}"};
  });
  audit::Finding f = CrossTenant("u-9");
  auto first = LookUpChangedBy(client, {&f}, std::nullopt, "org-1", {});
  EXPECT_EQ(first.outcome, ChangedByLookup::Outcome::kFirstSweep);
  EXPECT_EQ(first.unattributed, 1);
  const SystemTime now = FromUnixSeconds(2'000'000'000);
  auto none = LookUpChangedBy(client, {}, ChangedByWindow(1'999'999'000, now), "org-1", {});
  EXPECT_EQ(none.outcome, ChangedByLookup::Outcome::kNotNeeded);
  EXPECT_EQ(calls, 0);
  EXPECT_FALSE(f.changed_by.has_value());
}

TEST(ProvenanceTest, ForbiddenAndFailedLeaveEveryFindingNull) {
  ScriptedApiClient forbidden([](const ApiRequest&) -> ScriptedApiClient::Reply {
    return ApiResponse{403, "{}"};
  });
  audit::Finding f = CrossTenant("u-9");
  const SystemTime now = FromUnixSeconds(2'000'000'000);
  auto result = LookUpChangedBy(forbidden, {&f}, ChangedByWindow(1'999'999'000, now), "org-1", {});
  EXPECT_EQ(result.outcome, ChangedByLookup::Outcome::kForbidden);
  EXPECT_NE(result.error.find("audits:audit:view"), std::string::npos);
  EXPECT_EQ(result.queries, 1);
  EXPECT_EQ(result.unattributed, 1);

  // Groups fails after PeoplePermissions carried a matching event: still nothing attributed.
  ScriptedApiClient failing([](const ApiRequest& r) -> ScriptedApiClient::Reply {
    if (ServiceOf(r) == "Directory") return ApiResponse{500, "{}"};
    return ApiResponse{200, Body("Groups")};
  });
  audit::Finding g = CrossTenant("u-9", "g-1");
  auto failed = LookUpChangedBy(failing, {&g}, ChangedByWindow(1'999'999'000, now), "org-1", {});
  EXPECT_EQ(failed.outcome, ChangedByLookup::Outcome::kFailed);
  EXPECT_NE(failed.error.find("HTTP 500"), std::string::npos);
  EXPECT_FALSE(g.changed_by.has_value());
}

}  // namespace
}  // namespace divaudit::genesys
