#include "present/findings.h"

#include <gtest/gtest.h>

#include "tests/storage/store_test_util.h"

namespace divaudit::present {
namespace {

using storage::SnapshotDiff;
namespace testing = storage::testing;

FindingRecord Record(audit::Finding f) {
  FindingRecord r;
  f.first_seen = "2026-11-20T08:00:00Z";
  r.finding = std::move(f);
  r.last_seen = "2026-11-23T08:00:00Z";
  r.first_seen_sweep = 1;
  r.last_seen_sweep = 4;
  return r;
}

TEST(RenderTest, CsvHasHeaderAndOneLinePerFinding) {
  auto f = testing::MakeFinding("user-1", "div-2", true);
  f.subject->name = "Doe, Jane";
  const std::string csv =
      RenderFindingsCsv({Record(f), Record(testing::MakeMultiTenantFinding("g"))});
  EXPECT_EQ(csv.rfind("fingerprint,rule,severity,state,", 0), 0u);
  EXPECT_NE(csv.find("\"Doe, Jane\""), std::string::npos);
  EXPECT_NE(csv.find("Tenant 1;Tenant 2"), std::string::npos);
  EXPECT_NE(csv.find("break-glass,secops@example.com,2027-06-30"), std::string::npos);
  size_t lines = 0;
  for (size_t p = 0; (p = csv.find("\r\n", p)) != std::string::npos; p += 2) ++lines;
  EXPECT_EQ(lines, 3u);
}

TEST(RenderTest, JsonFollowsTheFindingsDocument) {
  SweepRecord sweep;
  sweep.info.id = 12;
  sweep.info.started_at_unix = 1795420800;
  sweep.info.finished_at_unix = 1795420870;
  sweep.info.status = audit::SweepStatus::kComplete;
  sweep.info.api_requests = 734;
  const std::string json = RenderFindingsJson({Record(testing::MakeFinding("user-1", "div-2")),
                                               Record(testing::MakeMultiTenantFinding("g-1"))},
                                              sweep, {{"users", 5000}});
  EXPECT_NE(json.find("\"sweep\":{\"id\":12,\"started_at\":\"2026-11-23T08:00:00Z\""),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"status\":\"complete\",\"api_requests\":734,\"counts\":{\"users\":5000}"),
            std::string::npos);
  EXPECT_NE(json.find("\"rule\":\"cross_tenant\",\"severity\":\"high\",\"state\":\"open\""),
            std::string::npos);
  EXPECT_NE(json.find("\"via\":{\"type\":\"direct\""), std::string::npos);
  EXPECT_NE(json.find("\"tenants\":[\"Tenant 1\",\"Tenant 2\"]"), std::string::npos);
  EXPECT_NE(json.find("\"role\":null,\"division\":null"), std::string::npos);
  EXPECT_NE(json.find("\"exception\":null"), std::string::npos);
  EXPECT_NE(json.find("\"first_seen\":\"2026-11-20T08:00:00Z\""), std::string::npos);
  EXPECT_EQ(RenderFindingsJson({}), "{\"sweep\":null,\"findings\":[]}\n");
}

TEST(RenderTest, TableAlignsColumnsAndNeutralisesControlCharacters) {
  auto f = testing::MakeFinding("user-1", "div-2");
  f.subject->name = "Evil\x1b[2JName";
  const std::string table = RenderFindingsTable({Record(f)});
  EXPECT_EQ(table.rfind("STATE", 0), 0u);
  EXPECT_EQ(table.find('\x1b'), std::string::npos);
  EXPECT_NE(table.find("user:Evil?[2JName"), std::string::npos);
  EXPECT_NE(table.find("1 finding\n"), std::string::npos);
}

// v2 findings: org-wide permissions, a queue, who changed it — in the table, the CSV and JSON.
TEST(RenderTest, V2FieldsInTableCsvAndJson) {
  audit::Finding ow;
  ow.rule = audit::Rule::kOrgWidePermission;
  ow.severity = audit::Severity::kHigh;
  ow.subject = audit::SubjectRef{audit::SubjectType::kUser, "u1", "Sam"};
  ow.role = audit::NamedRef{"r1", "Group Admin"};
  ow.via = audit::Via{};
  ow.permissions = {"directory:group:add", "directory:group:edit"};
  ow.divisions = {"d1", "d2"};
  ow.changed_by =
      audit::ChangedBy{"user",   "a1",   "Ada Admin", "2026-11-23T07:55:00Z", "PeoplePermissions",
                       "Update", "Role", "r1"};
  ow.fingerprint = audit::FingerprintOf(ow);
  audit::Finding q;
  q.rule = audit::Rule::kCrossTenantQueue;
  q.severity = audit::Severity::kHigh;
  q.subject = audit::SubjectRef{audit::SubjectType::kUser, "u2", "Kim"};
  q.tenant = "Globex";
  q.via = audit::Via{false, "", ""};
  q.queue = audit::QueueRef{
      "q1", "Globex Support", {"dG", "Globex"}, "Globex", {{"g1", "Leads", "GROUP"}}};
  q.fingerprint = audit::FingerprintOf(q);
  audit::Finding guard;
  guard.rule = audit::Rule::kGrantGuardrailOff;
  guard.severity = audit::Severity::kCritical;
  guard.subject = audit::SubjectRef{audit::SubjectType::kOrg, "org-1", "Example BPO"};
  guard.fingerprint = audit::FingerprintOf(guard);

  const std::string table = RenderFindingsTable({Record(ow), Record(q), Record(guard)});
  EXPECT_NE(table.find("DETAIL"), std::string::npos);
  EXPECT_NE(table.find("directory:group:add,directory:group:edit"), std::string::npos);
  EXPECT_NE(table.find("d1,d2"), std::string::npos);
  EXPECT_NE(table.find("queue:Globex Support"), std::string::npos);
  EXPECT_NE(table.find("user:Ada Admin 2026-11-23T07:55:00Z"), std::string::npos);
  EXPECT_NE(table.find("org:Example BPO"), std::string::npos);

  const std::string csv = RenderFindingsCsv({Record(ow), Record(q)});
  EXPECT_NE(csv.find(",permissions,divisions,queue_id,"), std::string::npos);
  EXPECT_NE(csv.find("directory:group:add;directory:group:edit,d1;d2,"), std::string::npos);
  EXPECT_NE(csv.find("q1,Globex Support,dG,Globex,Globex,"), std::string::npos);
  EXPECT_NE(csv.find("user,a1,Ada Admin,2026-11-23T07:55:00Z,PeoplePermissions,Update"),
            std::string::npos);

  const std::string json = RenderFindingsJson({Record(ow), Record(q), Record(guard)});
  EXPECT_NE(json.find("\"permissions\":[\"directory:group:add\",\"directory:group:edit\"],"
                      "\"divisions\":[\"d1\",\"d2\"],\"queue\":null,\"changed_by\":{"
                      "\"actor_type\":\"user\""),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"queue\":{\"id\":\"q1\",\"name\":\"Globex Support\",\"division\":{"
                      "\"id\":\"dG\",\"name\":\"Globex\"},\"tenant\":\"Globex\","
                      "\"member_groups\":[{\"id\":\"g1\",\"name\":\"Leads\",\"type\":\"GROUP\"}]}"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"subject\":{\"type\":\"org\",\"id\":\"org-1\""), std::string::npos);
}

// The sweep object carries the stored role settings (docs/findings.md): an object when the
// sweep read them, null when it did not (a sweep stored before v2, or a 403).
TEST(RenderTest, JsonSweepCarriesTheRoleSettings) {
  SweepRecord sweep;
  sweep.info.id = 3;
  sweep.info.status = audit::SweepStatus::kComplete;
  const std::string off = RenderFindingsJson({}, sweep, {{"users", 2}}, /*pretty=*/false,
                                             audit::RoleSettings{false, true});
  EXPECT_NE(off.find("\"counts\":{\"users\":2},\"settings\":{"
                     "\"authorization_grant_division_aware\":false,\"backfill_enabled\":true}},"),
            std::string::npos)
      << off;
  const std::string on = RenderFindingsJson({}, sweep, {}, false, audit::RoleSettings{true, false});
  EXPECT_NE(on.find("\"settings\":{\"authorization_grant_division_aware\":true,"
                    "\"backfill_enabled\":false}"),
            std::string::npos)
      << on;
  const std::string unread = RenderFindingsJson({}, sweep);
  EXPECT_NE(unread.find("\"counts\":{},\"settings\":null}"), std::string::npos) << unread;
  EXPECT_EQ(RenderFindingsJson({}, std::nullopt, {}, false, audit::RoleSettings{}),
            "{\"sweep\":null,\"findings\":[]}\n");
}

TEST(RenderTest, DiffTextAndJson) {
  SnapshotDiff d;
  d.from_sweep = 3;
  d.to_sweep = 7;
  d.grants_added.push_back({audit::SubjectType::kUser, "u-1", "r-1", "*"});
  d.memberships_removed.push_back({"g-1", "u-2"});
  d.users_moved.push_back({"u-3", "Carol", "d-1", "d-2"});
  d.names = {{"u-1", "Alice"}, {"r-1", "Admin"}, {"d-2", "Globex"}};
  const std::string text = RenderDiffText(d);
  EXPECT_NE(text.find("+ grant user Alice (u-1) role Admin (r-1) on * (All Divisions)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("- membership u-2 in group g-1"), std::string::npos);
  EXPECT_NE(text.find("~ user u-3 moved from d-1 to Globex (d-2)"), std::string::npos);
  const std::string json = RenderDiffJson(d);
  EXPECT_NE(json.find("\"from_sweep\":3,\"to_sweep\":7"), std::string::npos);
  EXPECT_NE(json.find("\"division_id\":\"*\""), std::string::npos);
  EXPECT_EQ(RenderDiffText(SnapshotDiff{}), "diff sweep 0 -> sweep 0\nno changes\n");
  const std::string empty_json = RenderDiffJson(SnapshotDiff{});
  EXPECT_NE(empty_json.find("\"permissions_added\":[],\"permissions_removed\":[],"
                            "\"permissions_changed\":[],\"role_policies_changed\":[],"
                            "\"role_settings_changed\":null,\"queues_added\":[],"
                            "\"queues_removed\":[],\"queues_changed\":[],"
                            "\"queue_members_added\":[],\"queue_members_removed\":[]}"),
            std::string::npos)
      << empty_json;
}

// The v2 part of `divaudit diff`: catalog, role policies, role settings, queues and members.
TEST(RenderTest, DiffShowsV2Changes) {
  SnapshotDiff d;
  d.from_sweep = 1;
  d.to_sweep = 2;
  d.names = {{"r1", "Supervisor"}, {"q1", "Globex Support"}, {"dA", "Acme"}, {"dG", "Globex"},
             {"u1", "Ada"},        {"q2", "Acme Sales"}};
  d.permissions_added = {{"oauth", "client", "add", false}};
  d.permissions_removed = {{"routing", "queue", "view", true}};
  d.permissions_changed = {
      {{"directory", "user", "edit", true}, {"directory", "user", "edit", false}}};
  audit::Role before{"r1", "Supervisor", {{"directory", "*", {"*"}, false}}};
  audit::Role after{"r1", "Supervisor", {{"recording", "recording", {"view"}, true}}};
  d.role_policies_changed = {{before, after}};
  d.role_settings_changed = true;
  d.role_settings_before = audit::RoleSettings{true, false};
  d.role_settings_after = audit::RoleSettings{false, false};
  d.queues_added = {{"q2", "Acme Sales", "dA"}};
  audit::Queue q_before{"q1", "Globex Support", "dA"};
  audit::Queue q_after{"q1", "Globex Support", "dG", {{"g1", "Leads", "GROUP"}}};
  d.queues_changed = {{q_before, q_after}};
  d.queue_members_added = {{"q1", "u1", true, false}};
  d.queue_members_removed = {{"q1", "u2", false, true}};
  EXPECT_FALSE(d.empty());
  const std::string text = RenderDiffText(d);
  for (const char* line : {
           "+ permission oauth:client:add (org-wide)\n",
           "- permission routing:queue:view (division-aware)\n",
           "~ permission directory:user:edit: division-aware -> org-wide\n",
           "~ role Supervisor (r1): + policy recording:recording:[view] (narrowed)\n",
           "~ role Supervisor (r1): - policy directory:*:[*]\n",
           "~ role settings: authorizationGrantDivisionAware true, backfillEnabled false -> "
           "authorizationGrantDivisionAware false, backfillEnabled false\n",
           "+ queue Acme Sales (q2) in division Acme (dA)\n",
           "~ queue Globex Support (q1): division Acme (dA) -> Globex (dG); member groups [] -> "
           "[g1]\n",
           "+ queue member Ada (u1) in queue Globex Support (q1) (group)\n",
           "- queue member u2 in queue Globex Support (q1) (direct)\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
  EXPECT_EQ(text.find("no changes"), std::string::npos);
  const std::string json = RenderDiffJson(d);
  for (
      const char* part : {
          R"("permissions_added":[{"permission":"oauth:client:add","division_aware":false}])",
          R"("permissions_changed":[{"permission":"directory:user:edit","old_division_aware":true,"new_division_aware":false}])",
          R"("role_policies_changed":[{"id":"r1","name":"Supervisor","policies_added":[{"domain":"recording","entity_name":"recording","action_set":["view"],"narrowed":true}],"policies_removed":[{"domain":"directory","entity_name":"*","action_set":["*"],"narrowed":false}]}])",
          R"("role_settings_changed":{"old":{"authorization_grant_division_aware":true,"backfill_enabled":false},"new":{"authorization_grant_division_aware":false,"backfill_enabled":false}})",
          R"("queues_changed":[{"id":"q1","old_name":"Globex Support","new_name":"Globex Support","old_division_id":"dA","new_division_id":"dG","member_groups_changed":true}])",
          R"("queue_members_added":[{"queue_id":"q1","user_id":"u1","member_by":"group"}])",
      }) {
    EXPECT_NE(json.find(part), std::string::npos) << part << "\n" << json;
  }
}

}  // namespace
}  // namespace divaudit::present
