// `divaudit sweep` against divaudit-sim (issue 3): counts equal the served org for several
// seeds and sizes, faults are survived with an unchanged result, a hidden division makes the
// sweep partial and named, and the request count equals the documented minimum.
#include <gtest/gtest.h>
#include <simdjson.h>
#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "tests/integration/harness.h"
#include "tests/integration/it_util.h"

namespace divaudit::testing {
namespace {

struct OrgCounts {
  int64_t divisions = 0, users = 0, groups = 0, roles = 0, oauth_clients = 0, grants = 0;
};

OrgCounts CountServedOrg(const std::string& fixture_json) {
  OrgCounts c;
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(fixture_json);
  c.divisions = static_cast<int64_t>(doc["divisions"].get_array().size());
  for (auto u : doc["users"].get_array()) {
    if (std::string_view(u["state"].get_string()) != "deleted") ++c.users;
  }
  c.groups = static_cast<int64_t>(doc["groups"].get_array().size());
  c.roles = static_cast<int64_t>(doc["roles"].get_array().size());
  c.oauth_clients = static_cast<int64_t>(doc["oauthClients"].get_array().size());
  c.grants = static_cast<int64_t>(doc["grants"].get_array().size());
  return c;
}

struct SweepRun {
  CommandResult result;
  std::string truth;
  std::string org;
};

SweepRun SweepAgainst(const std::vector<std::string>& sim_args, int rpm = 100000) {
  SweepRun run;
  TempDir dir;
  SimProcess sim;
  std::string error;
  std::vector<std::string> args = sim_args;
  args.insert(args.end(),
              {"--write-config", dir.File("divaudit.toml"), "--truth", dir.File("truth.json")});
  if (!sim.Start(args, &error)) {
    run.result.err = error;
    return run;
  }
  MakeConfigFast(dir.File("divaudit.toml"), rpm);
  run.result =
      RunCommand({DivauditBinary(), "sweep", "--config", dir.File("divaudit.toml"), "--json"});
  run.truth = ReadWholeFile(dir.File("truth.json"));
  run.org = HttpRequest("GET", sim.base_url() + "/sim/org").body;
  return run;
}

class SweepCountsTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SweepCountsTest, CountsEqualTheServedOrg) {
  const SweepRun run = SweepAgainst({"--generate", GetParam()});
  ASSERT_EQ(run.result.exit_code, 0) << run.result.err;
  const OrgCounts want = CountServedOrg(run.org);
  const std::string& doc = run.result.out;
  EXPECT_EQ(SweepStatusOf(doc), "complete");
  EXPECT_EQ(SweepField(doc, "counts.divisions"), want.divisions);
  EXPECT_EQ(SweepField(doc, "counts.users"), want.users);
  EXPECT_EQ(SweepField(doc, "counts.groups"), want.groups);
  EXPECT_EQ(SweepField(doc, "counts.roles"), want.roles);
  EXPECT_EQ(SweepField(doc, "counts.oauth_clients"), want.oauth_clients);
  EXPECT_EQ(SweepField(doc, "counts.grants"), want.grants);
  std::printf("[ counts ] %s: %lld users, %lld grants, %lld requests\n", GetParam().c_str(),
              static_cast<long long>(want.users), static_cast<long long>(want.grants),
              static_cast<long long>(SweepField(doc, "api_requests")));
}

INSTANTIATE_TEST_SUITE_P(Orgs, SweepCountsTest,
                         ::testing::Values("divisions=10,users=150,seed=1",
                                           "divisions=30,users=1200,groups=50,seed=2",
                                           "divisions=60,users=5000,groups=80,roles=30,seed=3",
                                           "divisions=20,users=12000,groups=40,seed=4"));

TEST(SweepFaultsTest, SurvivesInjectedFaultsWithTheSameResult) {
  const SweepRun clean = SweepAgainst({"--generate", "divisions=20,users=800,seed=9"});
  const SweepRun faulty = SweepAgainst({"--generate", "divisions=20,users=800,seed=9", "--faults",
                                        "429=0.05,500=0.02,reset=0.01", "--seed", "7"});
  ASSERT_EQ(clean.result.exit_code, 0) << clean.result.err;
  ASSERT_EQ(faulty.result.exit_code, 0) << faulty.result.err;
  EXPECT_EQ(SweepStatusOf(faulty.result.out), "complete");
  EXPECT_EQ(*ReadFindingKeys(faulty.result.out), *ReadFindingKeys(clean.result.out));
  EXPECT_EQ(*ReadFindingKeys(faulty.result.out), *ReadFindingKeys(faulty.truth));
  for (const char* c : {"counts.users", "counts.grants", "counts.groups", "counts.divisions"}) {
    EXPECT_EQ(SweepField(faulty.result.out, c), SweepField(clean.result.out, c)) << c;
  }
  EXPECT_GT(SweepField(faulty.result.out, "retries"), 0);
  std::printf(
      "[ faults ] clean %lld requests; with faults %lld requests, %lld retries, %lld 429s\n",
      static_cast<long long>(SweepField(clean.result.out, "api_requests")),
      static_cast<long long>(SweepField(faulty.result.out, "api_requests")),
      static_cast<long long>(SweepField(faulty.result.out, "retries")),
      static_cast<long long>(SweepField(faulty.result.out, "throttled")));
}

TEST(SweepFaultsTest, ForbiddenDivisionMakesThePartialSweepNameIt) {
  // Find a division id of the generated org, then hide it from divaudit's client.
  const SweepRun probe = SweepAgainst({"--generate", "divisions=12,users=200,seed=4"});
  ASSERT_EQ(probe.result.exit_code, 0) << probe.result.err;
  simdjson::dom::parser parser;
  simdjson::dom::element org = parser.parse(probe.org);
  std::string hidden;
  for (auto d : org["divisions"].get_array()) {
    if (!d["homeDivision"].get_bool().value()) hidden = std::string(d["id"].get_string().value());
  }
  const SweepRun run = SweepAgainst(
      {"--generate", "divisions=12,users=200,seed=4", "--faults", "forbid_division=" + hidden});
  ASSERT_EQ(run.result.exit_code, 0) << run.result.err;
  EXPECT_EQ(SweepStatusOf(run.result.out), "partial");
  EXPECT_NE(run.result.out.find(hidden), std::string::npos)
      << "the incomplete list must name the hidden division";
}

// Each evidence entry as "conversation_id start tenants division_ids": the fields the truth,
// sweep --json and report --format json share, one string per conversation, sorted. `tenant`
// (when not empty) keeps the conversations that touched it.
std::vector<std::string> EvidenceLinesOf(simdjson::dom::array evidence,
                                         const std::string& tenant = "") {
  std::vector<std::string> lines;
  for (simdjson::dom::element e : evidence) {
    std::string line = std::string(e["conversation_id"].get_string().value()) + " " +
                       std::string(e["start"].get_string().value());
    bool touches = tenant.empty();
    for (auto t : e["tenants"].get_array()) {
      line += " t:" + std::string(t.get_string().value());
      touches |= t.get_string().value() == tenant;
    }
    for (auto d : e["division_ids"].get_array()) {
      line += " d:" + std::string(d.get_string().value());
    }
    if (touches) lines.push_back(std::move(line));
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

std::vector<std::string> EvidenceLines(const std::string& json, const std::string& tenant = "") {
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(json);
  simdjson::dom::array evidence;
  if (doc["evidence"].get(evidence) != simdjson::SUCCESS) return {"(no evidence array)"};
  return EvidenceLinesOf(evidence, tenant);
}

// [evidence] conversations = true against the simulator's conversations (planted foreign queue
// members answer calls, so their conversations carry two tenants' divisions): the first sweep
// records exactly the truth's evidence, the second records none (each conversation once), the
// plain sweep has no evidence array, and the status stays complete.
TEST(SweepEvidenceTest, RecordsExactlyTheTruthsEvidenceOnce) {
  TempDir dir;
  SimProcess sim;
  std::string error;
  ASSERT_TRUE(sim.Start({"--generate", "divisions=12,users=300,seed=3", "--write-config",
                         dir.File("divaudit.toml"), "--truth", dir.File("truth.json")},
                        &error))
      << error;
  MakeConfigFast(dir.File("divaudit.toml"), 100000);
  const CommandResult plain =
      RunCommand({DivauditBinary(), "sweep", "--config", dir.File("divaudit.toml"), "--json"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(plain.out.find("\"evidence\""), std::string::npos);
  {
    std::ofstream config(dir.File("divaudit.toml"), std::ios::app);
    config << "\n[evidence]\nconversations = true\nlag = \"5m\"\n";
  }
  const std::vector<std::string> want = EvidenceLines(ReadWholeFile(dir.File("truth.json")));
  ASSERT_GE(want.size(), 3u) << "the generator plants cross-tenant conversations";

  const CommandResult first =
      RunCommand({DivauditBinary(), "sweep", "--config", dir.File("divaudit.toml"), "--json"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(SweepStatusOf(first.out), "complete");
  EXPECT_EQ(EvidenceLines(first.out), want);
  EXPECT_GT(SweepField(first.out, "api_requests"), SweepField(plain.out, "api_requests"));

  const CommandResult second =
      RunCommand({DivauditBinary(), "sweep", "--config", dir.File("divaudit.toml"), "--json"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(SweepStatusOf(second.out), "complete");
  EXPECT_EQ(EvidenceLines(second.out), std::vector<std::string>{});

  // The tenant's report lists exactly the truth's conversations that touched it (all of them
  // started in the default 30-day period; the last `lag` of it is not read yet: partial).
  simdjson::dom::parser truth_parser;
  const std::string truth = ReadWholeFile(dir.File("truth.json"));
  const std::string tenant(
      truth_parser.parse(truth)["evidence"].at(0)["tenants"].at(0).get_string().value());
  const CommandResult report =
      RunCommand({DivauditBinary(), "report", "--config", dir.File("divaudit.toml"), "--tenant",
                  tenant, "--format", "json", "--out", "-"});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  simdjson::dom::parser report_parser;
  simdjson::dom::element section = report_parser.parse(report.out)["evidence"];
  EXPECT_EQ(std::string(section["status"].get_string().value()), "partial") << report.out;
  const std::vector<std::string> tenant_want = EvidenceLines(truth, tenant);
  ASSERT_FALSE(tenant_want.empty());
  EXPECT_EQ(EvidenceLinesOf(section["conversations"].get_array().value()), tenant_want);
  EXPECT_EQ(section["conversations_in_period"].get_int64().value(),
            static_cast<int64_t>(tenant_want.size()));
}

}  // namespace
}  // namespace divaudit::testing
