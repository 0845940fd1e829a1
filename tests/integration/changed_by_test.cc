// "Who changed it" (issue 16) with the real binaries: sweep, change the org through the
// simulator's admin API as different actors, sweep again — every opened finding names the actor
// and time of the change, under each audit-event layout the simulator can record; a finding
// opened without an event, and every finding when the audit trail is forbidden, has none.
// The daemon's log line per opened finding (event=finding_opened) is what is checked here;
// the findings JSON and the store carry the same ChangedBy values.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>

#include "tests/integration/harness.h"
#include "tests/integration/it_util.h"

namespace divaudit::testing {
namespace {

constexpr char kHome[] = "d0000000-0000-4000-8000-000000000001";
constexpr char kAcme[] = "d0000000-0000-4000-8000-000000000002";
constexpr char kGlobex[] = "d0000000-0000-4000-8000-000000000003";
constexpr char kRole[] = "r0000000-0000-4000-8000-000000000001";
constexpr char kGroup[] = "g0000000-0000-4000-8000-000000000001";
constexpr char kBob[] = "u0000000-0000-4000-8000-000000000001";    // granted by a user
constexpr char kCarol[] = "u0000000-0000-4000-8000-000000000002";  // group member by a trustee
constexpr char kDave[] = "u0000000-0000-4000-8000-000000000003";   // granted by a client
constexpr char kErin[] = "u0000000-0000-4000-8000-000000000004";   // granted without an event
constexpr char kOrg[] = "o0000000-0000-4000-8000-000000000001";
constexpr char kQueue[] = "q0000000-0000-4000-8000-000000000001";  // Globex's queue, no members

std::string FixtureJson() {
  std::ostringstream j;
  j << R"({"organization": {"id": ")" << kOrg << R"(", "name": "Provenance BPO"},
  "divisions": [{"id": ")"
    << kHome << R"(", "name": "Home", "homeDivision": true},
                {"id": ")"
    << kAcme << R"(", "name": "Acme"},
                {"id": ")"
    << kGlobex << R"(", "name": "Globex"}],
  "roles": [{"id": ")"
    << kRole << R"(", "name": "Agent"}],
  "users": [{"id": ")"
    << kBob << R"(", "name": "Bob", "email": "b@x", "divisionId": ")" << kAcme << R"("}, {"id": ")"
    << kCarol << R"(", "name": "Carol", "email": "c@x", "divisionId": ")" << kAcme
    << R"("}, {"id": ")" << kDave << R"(", "name": "Dave", "email": "d@x", "divisionId": ")"
    << kAcme << R"("}, {"id": ")" << kErin
    << R"(", "name": "Erin", "email": "e@x", "divisionId": ")" << kAcme << R"("}],
  "groups": [{"id": ")"
    << kGroup << R"(", "name": "Globex Team", "rolesEnabled": true,
              "memberIds": []}],
  "oauthClients": [{"id": "c-prov", "name": "Provisioner", "authorizedGrantType":
                    "CLIENT-CREDENTIALS", "state": "active", "roleDivisions": []}],
  "grants": [{"subjectType": "PC_GROUP", "subjectId": ")"
    << kGroup << R"(", "roleId": ")" << kRole << R"(", "divisionId": ")" << kGlobex << R"("}],
  "queues": [{"id": ")"
    << kQueue << R"(", "name": "Globex Sales", "divisionId": ")" << kGlobex << R"("}],
  "policy": {"tenants": [{"name": "Acme", "divisions": ["Acme"]},
                         {"name": "Globex", "divisions": ["Globex"]}],
             "sharedDivisions": ["Home"]}})";
  return j.str();
}

// key=value fields of every "event=finding_opened" line, by subject id.
std::map<std::string, std::map<std::string, std::string>> OpenedLines(const std::string& log) {
  std::map<std::string, std::map<std::string, std::string>> out;
  std::istringstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    const auto at = line.find("event=finding_opened");
    if (at == std::string::npos) continue;
    std::map<std::string, std::string> fields;
    size_t i = at;
    while (i < line.size()) {
      const auto eq = line.find('=', i);
      if (eq == std::string::npos) break;
      const std::string key = line.substr(i, eq - i);
      std::string value;
      size_t end;
      if (eq + 1 < line.size() && line[eq + 1] == '"') {
        end = line.find('"', eq + 2);
        value = line.substr(eq + 2, end - eq - 2);
        ++end;
      } else {
        end = line.find(' ', eq);
        if (end == std::string::npos) end = line.size();
        value = line.substr(eq + 1, end - eq - 1);
      }
      fields[key] = value;
      i = end + 1;
    }
    out[fields["subject_id"]] = fields;
  }
  return out;
}

std::string NowIso() {
  char buf[32];
  // system_clock, as the simulator stamps events: time() reads the coarse clock, which can
  // still show the previous second just after the simulator's clock has passed into the next.
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

std::string GrantBody(const char* user, const char* division) {
  return std::string(R"({"subjectType":"PC_USER","subjectId":")") + user + R"(","roleId":")" +
         kRole + R"(","divisionId":")" + division + R"("})";
}

class ChangedByTest : public ::testing::Test {
 protected:
  bool StartSim(const std::vector<std::string>& extra) {
    std::ofstream(dir_.File("org.json")) << FixtureJson();
    std::vector<std::string> args = {"--org", dir_.File("org.json"), "--write-config",
                                     dir_.File("divaudit.toml")};
    args.insert(args.end(), extra.begin(), extra.end());
    std::string error;
    if (!sim_.Start(args, &error)) {
      ADD_FAILURE() << error;
      return false;
    }
    return MakeConfigFast(dir_.File("divaudit.toml"));
  }
  CommandResult Sweep() {
    return RunCommand(
        {DivauditBinary(), "sweep", "--config", dir_.File("divaudit.toml"), "--json"});
  }
  long Admin(const std::string& method, const std::string& path, const std::string& body) {
    return HttpRequest(method, sim_.base_url() + path, body).status;
  }

  TempDir dir_;
  SimProcess sim_;
};

class ChangedByShapeTest : public ChangedByTest,
                           public ::testing::WithParamInterface<std::string> {};

TEST_P(ChangedByShapeTest, EveryOpenedFindingNamesItsActorAndTime) {
  ASSERT_TRUE(StartSim({"--audit-shape", GetParam()}));
  const CommandResult first = Sweep();
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_TRUE(OpenedLines(first.err).empty()) << "a first sweep logs no attributions";

  const std::string before = NowIso();
  ASSERT_EQ(Admin("POST", "/sim/grants?actorType=user&actorId=adm-1&actorName=Ada%20Admin",
                  GrantBody(kBob, kGlobex)),
            200);
  ASSERT_EQ(Admin("POST",
                  "/sim/groups/" + std::string(kGroup) +
                      "/members?actorType=partner&actorName=Pat%20Partner",
                  std::string(R"({"userId":")") + kCarol + "\"}"),
            200);
  // The event names the client by id only (AddressableEntityRef): the name comes from the sweep.
  ASSERT_EQ(Admin("POST", "/sim/grants?actorType=client&actorId=c-prov", GrantBody(kDave, "*")),
            200);
  ASSERT_EQ(Admin("POST", "/sim/grants?audit=none", GrantBody(kErin, kGlobex)), 200);
  const std::string after = NowIso();

  const CommandResult second = Sweep();
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(SweepStatusOf(second.out), "complete");
  EXPECT_NE(second.err.find("event=changed_by outcome=looked_up"), std::string::npos) << second.err;
  auto opened = OpenedLines(second.err);
  ASSERT_TRUE(opened.count(kBob)) << second.err;
  ASSERT_TRUE(opened.count(kCarol)) << second.err;
  ASSERT_TRUE(opened.count(kDave)) << second.err;
  ASSERT_TRUE(opened.count(kErin)) << second.err;

  EXPECT_EQ(opened[kBob]["changed_by_type"], "user");
  EXPECT_EQ(opened[kBob]["changed_by_id"], "adm-1");
  EXPECT_EQ(opened[kBob]["changed_by_name"], "Ada Admin");
  EXPECT_EQ(opened[kBob]["changed_service"], "PeoplePermissions");
  EXPECT_EQ(opened[kBob]["changed_action"], "MemberAdd");
  EXPECT_EQ(opened[kCarol]["changed_by_type"], "trustee");
  EXPECT_EQ(opened[kCarol]["changed_by_name"], "Pat Partner");
  EXPECT_EQ(opened[kCarol]["changed_service"], "Groups");
  EXPECT_EQ(opened[kDave]["changed_by_type"], "client");
  EXPECT_EQ(opened[kDave]["changed_by_id"], "c-prov");
  EXPECT_EQ(opened[kDave]["changed_by_name"], "Provisioner");
  EXPECT_EQ(opened[kErin]["changed_by"], "null");
  for (const char* who : {kBob, kCarol, kDave}) {
    const std::string at = opened[who]["changed_at"];
    EXPECT_GE(at, before) << who;
    EXPECT_LE(at, after) << who;
  }
  // One query per service (5), no more: every service's events fit on one page.
  EXPECT_NE(second.err.find("queries=5 "), std::string::npos) << second.err;
}

INSTANTIATE_TEST_SUITE_P(Shapes, ChangedByShapeTest,
                         ::testing::Values("entity", "changes", "properties"));

// Queue membership (ContactCenter Queue MemberAdd) added by an OAuth client: the
// cross_tenant_queue finding names the client, by the name the sweep read.
TEST_F(ChangedByTest, QueueMembershipAddedByAClientNamesTheClient) {
  ASSERT_TRUE(StartSim({}));
  ASSERT_EQ(Sweep().exit_code, 0);
  const std::string before = NowIso();
  ASSERT_EQ(Admin("POST",
                  "/sim/queues/" + std::string(kQueue) + "/members?actorType=client&actorId=c-prov",
                  std::string(R"({"userId":")") + kBob + "\"}"),
            200);
  const std::string after = NowIso();
  const CommandResult second = Sweep();
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(SweepStatusOf(second.out), "complete");
  auto opened = OpenedLines(second.err);
  ASSERT_TRUE(opened.count(kBob)) << second.err;
  EXPECT_EQ(opened[kBob]["rule"], "cross_tenant_queue");
  EXPECT_EQ(opened[kBob]["changed_by_type"], "client");
  EXPECT_EQ(opened[kBob]["changed_by_id"], "c-prov");
  EXPECT_EQ(opened[kBob]["changed_by_name"], "Provisioner");
  EXPECT_EQ(opened[kBob]["changed_service"], "ContactCenter");
  EXPECT_EQ(opened[kBob]["changed_action"], "MemberAdd");
  EXPECT_GE(opened[kBob]["changed_at"], before);
  EXPECT_LE(opened[kBob]["changed_at"], after);
  // The findings JSON carries the same attribution.
  EXPECT_NE(second.out.find("\"Provisioner\""), std::string::npos) << second.out;
}

TEST_F(ChangedByTest, ForbiddenAuditTrailLeavesChangedByNullAndTheSweepComplete) {
  ASSERT_TRUE(StartSim({"--fail-path", "^/api/v2/audits/.*=403"}));
  const CommandResult first = Sweep();
  ASSERT_EQ(first.exit_code, 0) << first.err;
  ASSERT_EQ(Admin("POST", "/sim/grants", GrantBody(kBob, kGlobex)), 200);
  const CommandResult second = Sweep();
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(SweepStatusOf(second.out), "complete");
  EXPECT_NE(second.err.find("event=changed_by outcome=forbidden"), std::string::npos) << second.err;
  EXPECT_NE(second.err.find("audits:audit:view"), std::string::npos) << second.err;
  auto opened = OpenedLines(second.err);
  ASSERT_TRUE(opened.count(kBob)) << second.err;
  EXPECT_EQ(opened[kBob]["changed_by"], "null");
}

TEST_F(ChangedByTest, ASweepThatOpensNothingQueriesNothing) {
  ASSERT_TRUE(StartSim({}));
  ASSERT_EQ(Sweep().exit_code, 0);
  ASSERT_EQ(Admin("POST", "/sim/requests/reset", ""), 200);
  const CommandResult second = Sweep();
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const std::string stats = HttpRequest("GET", sim_.base_url() + "/sim/requests").body;
  EXPECT_EQ(stats.find("/api/v2/audits"), std::string::npos) << stats;
  EXPECT_EQ(second.err.find("event=changed_by"), std::string::npos) << second.err;
}

}  // namespace
}  // namespace divaudit::testing
