#include "audit/findings_document.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

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
            "\"roles\":0,\"oauth_clients\":0,\"grants\":0}},\"findings\":[{\"fingerprint\":\"" +
                f.fingerprint +
                "\",\"rule\":\"unmapped_division\",\"severity\":\"medium\",\"state\":\"open\","
                "\"subject\":null,\"home_division\":null,\"home_tenant\":null,\"role\":null,"
                "\"division\":{\"id\":\"dX\",\"name\":\"Orphanage\"},\"tenant\":null,"
                "\"via\":null,\"first_seen\":\"2026-11-23T08:00:00Z\",\"exception\":null}]}\n");
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
