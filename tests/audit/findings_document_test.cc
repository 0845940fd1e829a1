#include "audit/findings_document.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "audit/engine.h"
#include "common/time_util.h"
#include "tests/audit/org_builder.h"

namespace divaudit::audit {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::OrgBuilder;

const char* const kGoldenPath = DIVAUDIT_SOURCE_DIR "/tests/audit/testdata/findings_document.json";

OrgSnapshot GoldenOrg() {
  return OrgBuilder()
      .Division("dA", "Acme Retail")
      .Division("dG", "Globex Health")
      .Division("dH", "Home")
      .Division("dX", "Orphanage")
      .Role("r1", "Agent")
      .Role("r2", "Admin \"super\"")
      .User("uA", "dA")
      .User("uH", "dH")
      .Group("g1", {"uA", "uH"})
      .GroupGrant("g1", "r1", "dA")
      .GroupGrant("g1", "r1", "dG")
      .UserGrant("uA", "r2", "*")
      .UserGrant("uA", "r1", "d-gone")
      .UserGrant("uH", "r1", "dX")
      .Client("c1", {{"r2", "*"}})
      .Build();
}

Policy GoldenPolicy() {
  Policy p;
  p.tenants = {{"Acme Retail", {"Acme Retail"}}, {"Globex Health", {"Globex*"}}};
  p.shared_divisions = {"Home"};
  ExceptionSpec e;
  e.rule = Rule::kAllDivisions;
  e.subject_id = "c1";
  e.reason = "break-glass administrator";
  e.owner = "secops@example.com";
  e.expires = "2027-06-30";
  e.expires_at = testing::At("2027-06-30T23:59:59Z");
  p.exceptions.push_back(e);
  e.subject_id = "uA";
  e.expires = "2026-01-31";
  e.expires_at = testing::At("2026-01-31T23:59:59Z");
  p.exceptions.push_back(e);
  return p;
}

SweepInfo GoldenSweep() {
  SweepInfo sweep;
  sweep.id = 12;
  sweep.started_at_unix = ToUnixSeconds(testing::At("2026-11-23T08:00:00Z"));
  sweep.finished_at_unix = ToUnixSeconds(testing::At("2026-11-23T08:01:10Z"));
  sweep.status = SweepStatus::kComplete;
  sweep.api_requests = 734;
  sweep.retries = 2;
  sweep.throttled = 1;
  sweep.unknown_subject_types = {{"PC_ROBOT", 3}};
  return sweep;
}

std::string ReadFile(const char* path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(FindingsDocumentTest, MatchesGolden) {
  const OrgSnapshot s = GoldenOrg();
  const Policy p = GoldenPolicy();
  auto map = TenantMap::Build(p, s.divisions);
  ASSERT_TRUE(map.ok());
  AuditResult r = RunAudit(s, map.value(), p, testing::At("2026-11-23T08:00:00Z"));
  // One finding already known to storage keeps its first_seen.
  for (Finding& f : r.findings) {
    if (f.rule == Rule::kCrossTenant) f.first_seen = "2026-11-20T08:00:00Z";
  }
  DocumentOptions options;
  options.exceptions = &r.exceptions;
  const std::string doc = RenderFindingsDocument(GoldenSweep(), CountsOf(s), r.findings, options);
  if (std::getenv("DIVAUDIT_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(kGoldenPath, std::ios::binary) << doc;
  }
  EXPECT_EQ(doc, ReadFile(kGoldenPath))
      << "run with DIVAUDIT_UPDATE_GOLDEN=1 to regenerate " << kGoldenPath;
}

TEST(FindingsDocumentTest, CountsOfSnapshot) {
  const SnapshotCounts c = CountsOf(GoldenOrg());
  EXPECT_EQ(c, (SnapshotCounts{4, 2, 1, 2, 1, 5}));
}

TEST(FindingsDocumentTest, CompactWithoutExtras) {
  SweepInfo sweep = GoldenSweep();
  sweep.status = SweepStatus::kPartial;
  sweep.incomplete = {"users (page 3: HTTP 500)"};
  Finding f;
  f.rule = Rule::kUnmappedDivision;
  f.severity = Severity::kMedium;
  f.division = NamedRef{"dX", "Orphanage"};
  f.fingerprint = FingerprintOf(f);
  DocumentOptions options;
  options.pretty = false;
  options.sweep_extras = false;
  const std::string doc = RenderFindingsDocument(sweep, SnapshotCounts{}, {f}, options);
  EXPECT_EQ(doc,
            "{\"sweep\":{\"id\":12,\"started_at\":\"2026-11-23T08:00:00Z\","
            "\"finished_at\":\"2026-11-23T08:01:10Z\",\"status\":\"partial\","
            "\"api_requests\":734,\"counts\":{\"divisions\":0,\"users\":0,\"groups\":0,"
            "\"roles\":0,\"oauth_clients\":0,\"grants\":0,\"queues\":0,\"queue_members\":0,"
            "\"permissions\":0,\"narrowed_policies\":0},\"settings\":null},"
            "\"findings\":[{\"fingerprint\":\"" +
                f.fingerprint +
                "\",\"rule\":\"unmapped_division\",\"severity\":\"medium\",\"state\":\"open\","
                "\"subject\":null,\"home_division\":null,\"home_tenant\":null,\"role\":null,"
                "\"division\":{\"id\":\"dX\",\"name\":\"Orphanage\"},\"tenant\":null,"
                "\"via\":null,\"first_seen\":\"2026-11-23T08:00:00Z\",\"exception\":null,"
                "\"permissions\":null,\"divisions\":null,\"queue\":null,\"changed_by\":null}]}\n");
  EXPECT_THAT(doc, Not(HasSubstr("incomplete")));
  EXPECT_THAT(doc, Not(HasSubstr("tenants")));
}

// sweep --json "evidence": the conversations first recorded in this sweep, after the findings.
TEST(FindingsDocumentTest, EvidenceArrayListsIdsAndTimesOnly) {
  ConversationEvidence e;
  e.conversation.id = "conv-1";
  e.conversation.start = FromUnixSeconds(1'795'000'000) + std::chrono::milliseconds(120);
  e.conversation.end = FromUnixSeconds(1'795'000'300);
  e.conversation.division_ids = {"dA", "dB"};
  e.conversation.queue_ids = {"q1"};
  e.conversation.user_ids = {"u1", "u2"};
  e.tenants = {"Acme", "Beta"};
  ConversationEvidence open = e;
  open.conversation.id = "conv-2";
  open.conversation.end.reset();
  open.conversation.queue_ids.clear();
  DocumentOptions options;
  options.pretty = false;
  options.sweep_extras = false;
  const std::vector<ConversationEvidence> evidence = {e, open};
  options.evidence = &evidence;
  const std::string doc = RenderFindingsDocument(GoldenSweep(), SnapshotCounts{}, {}, options);
  EXPECT_THAT(
      doc, HasSubstr("\"findings\":[],\"evidence\":[{\"conversation_id\":\"conv-1\","
                     "\"start\":\"2026-11-18T11:06:40.120Z\",\"end\":\"2026-11-18T11:11:40.000Z\","
                     "\"tenants\":[\"Acme\",\"Beta\"],\"division_ids\":[\"dA\",\"dB\"],"
                     "\"queue_ids\":[\"q1\"],\"user_ids\":[\"u1\",\"u2\"]},"
                     "{\"conversation_id\":\"conv-2\",\"start\":\"2026-11-18T11:06:40.120Z\","
                     "\"end\":null,\"tenants\":[\"Acme\",\"Beta\"],\"division_ids\":"
                     "[\"dA\",\"dB\"],\"queue_ids\":[],\"user_ids\":[\"u1\",\"u2\"]}]}\n"));
  options.evidence = nullptr;
  EXPECT_THAT(RenderFindingsDocument(GoldenSweep(), SnapshotCounts{}, {}, options),
              Not(HasSubstr("evidence")));
}

const char* const kV2GoldenPath =
    DIVAUDIT_SOURCE_DIR "/tests/audit/testdata/findings_document_v2.json";

// The v2 fields (docs/findings.md): sweep counts and settings, permissions/divisions of
// org_wide_permission, the org subject of grant_guardrail_off, queue and changed_by.
TEST(FindingsDocumentTest, V2FieldsMatchGolden) {
  OrgSnapshot s = OrgBuilder()
                      .Division("dA", "Acme Retail")
                      .Division("dG", "Globex Health")
                      .Permission("directory", "group", "add", false)
                      .Permission("authorization", "grant", "add", true)
                      .Role("r1", "Group Admin")
                      .Policy("r1", "directory", "*", {"*"})
                      .Policy("r1", "routing", "queue", {"view"}, /*narrowed=*/true)
                      .User("uA", "dA")
                      .UserGrant("uA", "r1", "dA")
                      .UserGrant("uA", "r1", "dG")
                      .Settings(false, true)
                      .Build();
  s.queues = {{"q1", "Globex Support", "dG", {{"g9", "Globex Agents", "GROUP"}}}};
  s.queue_members = {{"q1", "uA", true, false}};
  Policy policy;
  policy.tenants = {{"Acme Retail", {"Acme Retail"}}, {"Globex Health", {"Globex*"}}};
  auto map = TenantMap::Build(policy, s.divisions);
  ASSERT_TRUE(map.ok());
  AuditResult r = RunAudit(s, *map, policy, testing::At("2026-11-23T08:00:00Z"), {},
                           OrgRef{"org-1", "Example BPO"});
  // The queue finding as the queue rule must build it, with who opened it.
  Finding q;
  q.rule = Rule::kCrossTenantQueue;
  q.severity = Severity::kHigh;
  q.subject = SubjectRef{SubjectType::kUser, "uA", "User uA"};
  q.home_division = NamedRef{"dA", "Acme Retail"};
  q.home_tenant = "Acme Retail";
  q.tenant = "Globex Health";
  q.via = Via{false, "", ""};
  q.queue = QueueRef{"q1",
                     "Globex Support",
                     NamedRef{"dG", "Globex Health"},
                     "Globex Health",
                     {{"g9", "Globex Agents", "GROUP"}}};
  q.changed_by = ChangedBy{"user",          "admin-1", "Ada Admin", "2026-11-23T07:55:00Z",
                           "ContactCenter", "Update",  "Queue",     "q1"};
  q.fingerprint = FingerprintOf(q);
  // The engine's cross_tenant_queue finding is that one; who opened it comes from the audit
  // trail (set here as the sweep job would).
  ASSERT_EQ(r.findings.size(), 4U);  // cross_tenant, guardrail, org_wide, queue
  auto it = std::find_if(r.findings.begin(), r.findings.end(),
                         [](const Finding& f) { return f.rule == Rule::kCrossTenantQueue; });
  ASSERT_NE(it, r.findings.end());
  EXPECT_EQ(it->fingerprint, q.fingerprint);
  EXPECT_EQ(it->queue, q.queue);
  EXPECT_EQ(it->via, q.via);
  it->changed_by = q.changed_by;
  const std::string doc = RenderFindingsDocument(GoldenSweep(), CountsOf(s), r.findings);
  if (std::getenv("DIVAUDIT_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(kV2GoldenPath, std::ios::binary) << doc;
  }
  std::ifstream in(kV2GoldenPath, std::ios::binary);
  std::stringstream golden;
  golden << in.rdbuf();
  EXPECT_EQ(doc, golden.str()) << "run with DIVAUDIT_UPDATE_GOLDEN=1 to regenerate "
                               << kV2GoldenPath;
  EXPECT_THAT(doc, HasSubstr("\"narrowed_policies\": 1"));
  EXPECT_THAT(doc, HasSubstr("\"authorization_grant_division_aware\": false"));
  EXPECT_THAT(doc, HasSubstr("\"type\": \"org\""));
  EXPECT_THAT(doc, HasSubstr("\"directory:group:add\""));
  EXPECT_THAT(doc, HasSubstr("\"actor_name\": \"Ada Admin\""));
}

TEST(FindingsDocumentTest, PartialSweepListsWhatIsIncomplete) {
  SweepInfo sweep = GoldenSweep();
  sweep.status = SweepStatus::kPartial;
  sweep.coverage_ratio = 0.75;
  sweep.incomplete = {"coverage: division d-17 not visible"};
  const std::string doc = RenderFindingsDocument(sweep, SnapshotCounts{}, {});
  EXPECT_THAT(doc, HasSubstr("\"status\": \"partial\""));
  EXPECT_THAT(doc, HasSubstr("\"coverage_ratio\": 0.75"));
  EXPECT_THAT(doc, HasSubstr("\"coverage: division d-17 not visible\""));
  EXPECT_THAT(doc, HasSubstr("\"findings\": []"));
  EXPECT_THAT(doc, Not(HasSubstr("\"exceptions\"")));
}

}  // namespace
}  // namespace divaudit::audit
