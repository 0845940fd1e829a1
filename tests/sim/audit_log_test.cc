#include "sim/audit_log.h"

#include <gtest/gtest.h>

#include "common/time_util.h"
#include "genesys/audit_trail.h"

namespace divaudit::sim {
namespace {

OrgFixture Fixture() {
  OrgFixture f;
  audit::Role role;
  role.id = "role-1";
  role.name = "Agent";
  f.org.roles.push_back(role);
  audit::Group group;
  group.id = "g-1";
  group.name = "Team";
  f.org.groups.push_back(group);
  audit::User user;
  user.id = "u-1";
  user.name = "Bob";
  user.home_division_id = "div-0";
  f.org.users.push_back(user);
  return f;
}

audit::Grant UserGrant() {
  audit::Grant g;
  g.subject_type = audit::SubjectType::kUser;
  g.subject_id = audit::Id("u-1");
  g.role_id = audit::Id("role-1");
  g.division_id = audit::Id("div-1");
  return g;
}

// Parses one recorded message back with divaudit's own parser.
genesys::AuditEvent RoundTrip(const std::string& json) {
  auto page = genesys::ParseAuditPage("{\"entities\":[" + json + "]}", "test", 1);
  EXPECT_TRUE(page.ok()) << page.status().message();
  return page.ok() && !page->events.empty() ? page->events[0] : genesys::AuditEvent{};
}

TEST(SimAuditLogTest, EachShapeCarriesTheChangedIdsInADifferentPlace) {
  const AuditRecord r = GrantRecord(Fixture(), UserGrant(), true);
  EXPECT_EQ(r.service, "PeoplePermissions");
  EXPECT_EQ(r.entity_type, "Role");
  EXPECT_EQ(r.action, "MemberAdd");
  const SystemTime at = FromUnixSeconds(1'800'000'000);
  AuditActor admin;
  auto entity = RoundTrip(AuditMessageJson(r, admin, AuditShape::kEntity, "org-1", "e1", at, true));
  EXPECT_EQ(entity.entity->id, "role-1");
  EXPECT_EQ(entity.entity->name, "u-1--div-1--role-1");
  EXPECT_TRUE(entity.entity_changes.empty());
  EXPECT_TRUE(entity.property_changes.empty());
  EXPECT_EQ(entity.user->name, "Sim Admin");
  EXPECT_EQ(entity.user_home_org_id, "org-1");

  auto changes =
      RoundTrip(AuditMessageJson(r, admin, AuditShape::kChanges, "org-1", "e2", at, false));
  EXPECT_EQ(changes.entity->name, "Agent");
  ASSERT_EQ(changes.entity_changes.size(), 2u);
  EXPECT_EQ(changes.entity_changes[0].entity_id, "u-1");
  EXPECT_TRUE(changes.user->name.empty());  // without expand=user

  auto props =
      RoundTrip(AuditMessageJson(r, admin, AuditShape::kProperties, "org-1", "e3", at, true));
  ASSERT_EQ(props.property_changes.size(), 2u);
  EXPECT_EQ(props.property_changes[0].property, "subjectId");
  EXPECT_EQ(props.property_changes[0].new_values, (std::vector<std::string>{"u-1"}));
}

TEST(SimAuditLogTest, ActorsFromTheAdminRequest) {
  auto partner = ActorFromQuery(ParseTarget("/sim/grants?actorType=partner&actorName=Pat"));
  ASSERT_TRUE(partner.ok());
  const AuditRecord r = MemberRecord(Fixture(), "g-1", "u-1", true);
  auto e = RoundTrip(AuditMessageJson(r, *partner, AuditShape::kChanges, "org-1", "e",
                                      FromUnixSeconds(1'800'000'000), true));
  EXPECT_EQ(e.user_home_org_id, "partner-org");
  EXPECT_EQ(e.user->name, "Pat");
  auto client = ActorFromQuery(ParseTarget("/sim/x?actorType=client&actorId=c-9"));
  ASSERT_TRUE(client.ok());
  e = RoundTrip(AuditMessageJson(r, *client, AuditShape::kChanges, "org-1", "e",
                                 FromUnixSeconds(1'800'000'000), true));
  EXPECT_FALSE(e.user.has_value());
  EXPECT_EQ(e.client->id, "c-9");
  EXPECT_FALSE(ActorFromQuery(ParseTarget("/sim/x?actorType=robot")).ok());
  EXPECT_FALSE(ParseAuditShape("json").ok());
}

TEST(SimAuditLogTest, QueueMembershipIsAContactCenterQueueEvent) {
  OrgFixture f = Fixture();
  audit::Queue queue;
  queue.id = "q-1";
  queue.name = "Acme Sales";
  f.org.queues.push_back(queue);
  const AuditRecord add = QueueMemberRecord(f, "q-1", "u-1", true);
  EXPECT_EQ(add.service, "ContactCenter");
  EXPECT_EQ(add.entity_type, "Queue");
  EXPECT_EQ(add.action, "MemberAdd");
  EXPECT_EQ(add.entity_name, "Acme Sales");
  EXPECT_EQ(QueueMemberRecord(f, "q-1", "u-1", false).action, "MemberRemove");
  auto e = RoundTrip(AuditMessageJson(add, AuditActor{}, AuditShape::kEntity, "org-1", "e",
                                      FromUnixSeconds(1'800'000'000), true));
  EXPECT_EQ(e.service, "ContactCenter");
  EXPECT_EQ(e.entity->id, "q-1");
  EXPECT_EQ(e.entity->name, "u-1--q-1");
}

TEST(SimAuditLogTest, QueryFiltersByIntervalAndServiceAndPages) {
  AuditLog log;
  const SystemTime t0 = FromUnixSeconds(1'800'000'000);
  for (int i = 0; i < 5; ++i) {
    log.Record(MemberRecord(Fixture(), "g-1", "u-1", true), AuditActor{}, AuditShape::kEntity,
               "org-1", t0 + std::chrono::minutes(i));
  }
  log.Record(GrantRecord(Fixture(), UserGrant(), true), AuditActor{}, AuditShape::kEntity, "org-1",
             t0);
  const std::string interval = FormatIso8601(t0 + std::chrono::minutes(1)) + "/" +
                               FormatIso8601(t0 + std::chrono::minutes(4));
  auto [status, body] = log.Query(
      R"({"interval":")" + interval + R"(","serviceName":"Groups","pageNumber":2,"pageSize":2})",
      true, t0 + std::chrono::hours(1), "ctx");
  ASSERT_EQ(status, 200) << body;
  auto page = genesys::ParseAuditPage(body, "Groups", 2);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->page_count, 2);  // minutes 1, 2, 3 (the end is exclusive)
  ASSERT_EQ(page->events.size(), 1u);
  EXPECT_EQ(page->events[0].event_date, FormatIso8601(t0 + std::chrono::minutes(3)));

  const std::string old = FormatIso8601(t0 - std::chrono::hours(15 * 24)) + "/" + FormatIso8601(t0);
  EXPECT_EQ(log.Query(R"({"interval":")" + old + R"("})", true, t0, "ctx").first, 400);
  EXPECT_EQ(log.Query(R"({"serviceName":"Groups"})", true, t0, "ctx").first, 400);
  EXPECT_EQ(log.Query("not json", true, t0, "ctx").first, 400);
}

}  // namespace
}  // namespace divaudit::sim
