// Ground truth (issue 4): for generated orgs of many seeds and shapes, the findings of
// `divaudit sweep --json` against divaudit-sim equal the simulator's independently computed
// `--truth` exactly: no missing, no extra, same states.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "tests/integration/harness.h"
#include "tests/integration/it_util.h"

namespace divaudit::testing {
namespace {

struct Shape {
  int divisions, users, groups, roles, clients, tenants;
  uint64_t seed;
  int queues = 0, queue_members = 0;  // the bench's knobs; 0: the generator's default
};

std::string SpecOf(const Shape& s) {
  return "divisions=" + std::to_string(s.divisions) + ",users=" + std::to_string(s.users) +
         ",groups=" + std::to_string(s.groups) + ",roles=" + std::to_string(s.roles) +
         ",clients=" + std::to_string(s.clients) + ",tenants=" + std::to_string(s.tenants) +
         ",seed=" + std::to_string(s.seed) +
         (s.queues > 0 ? ",queues=" + std::to_string(s.queues) : "") +
         (s.queue_members > 0 ? ",queue_members=" + std::to_string(s.queue_members) : "");
}

// org_wide_permission's v2 fields, by finding identity: "divisions|permissions".
std::map<std::string, std::string> OrgWideFields(const std::string& json) {
  std::map<std::string, std::string> out;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json).get(doc) != simdjson::SUCCESS) return out;
  for (simdjson::dom::element f : doc["findings"].get_array()) {
    std::string_view rule;
    if (f["rule"].get(rule) != simdjson::SUCCESS || rule != "org_wide_permission") continue;
    std::string key = std::string(f["subject"]["id"].get_string().value()) + "/" +
                      std::string(f["role"]["id"].get_string().value()) + "/";
    std::string_view via;
    if (f["via"]["id"].get(via) == simdjson::SUCCESS) key += via;
    std::string value;
    for (auto d : f["divisions"].get_array()) value += std::string(d.get_string().value()) + ",";
    value += "|";
    for (auto p : f["permissions"].get_array()) value += std::string(p.get_string().value()) + ",";
    out[key] = value;
  }
  return out;
}

class GroundTruthTest : public ::testing::TestWithParam<Shape> {};

TEST_P(GroundTruthTest, SweepFindingsEqualSimulatorTruth) {
  const Shape shape = GetParam();
  TempDir dir;
  SimProcess sim;
  std::string error;
  ASSERT_TRUE(sim.Start({"--generate", SpecOf(shape), "--write-config", dir.File("divaudit.toml"),
                         "--truth", dir.File("truth.json")},
                        &error))
      << error;
  ASSERT_TRUE(MakeConfigFast(dir.File("divaudit.toml")));
  const auto run =
      RunCommand({DivauditBinary(), "sweep", "--config", dir.File("divaudit.toml"), "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.err;

  auto truth = ReadFindingKeys(ReadWholeFile(dir.File("truth.json")));
  auto swept = ReadFindingKeys(run.out);
  ASSERT_TRUE(truth.ok()) << truth.status().ToString();
  ASSERT_TRUE(swept.ok()) << swept.status().ToString();
  EXPECT_EQ(SweepStatusOf(run.out), "complete");
  // Every rule is planted, so the truth is never trivially empty.
  std::set<std::string> rules;
  for (const auto& k : *truth) rules.insert(std::get<0>(k));
  EXPECT_GE(rules.size(), 6u) << "generator planted violations of only " << rules.size()
                              << " rules";
  EXPECT_TRUE(rules.contains("org_wide_permission"));
  EXPECT_TRUE(rules.contains("cross_tenant_queue"));  // queue ids are part of the compared key
  EXPECT_EQ(rules.contains("grant_guardrail_off"), shape.seed % 3 != 0);
  EXPECT_EQ(OrgWideFields(ReadWholeFile(dir.File("truth.json"))), OrgWideFields(run.out));
  std::vector<FindingKey> missing, extra;
  std::set_difference(truth->begin(), truth->end(), swept->begin(), swept->end(),
                      std::back_inserter(missing));
  std::set_difference(swept->begin(), swept->end(), truth->begin(), truth->end(),
                      std::back_inserter(extra));
  for (const auto& k : missing) ADD_FAILURE() << "missing: " << Describe(k);
  for (const auto& k : extra) ADD_FAILURE() << "extra: " << Describe(k);
  EXPECT_EQ(truth->size(), swept->size());
  std::printf("[ ground truth ] %s: %zu findings, %zu rules, all equal\n", SpecOf(shape).c_str(),
              truth->size(), rules.size());
}

// --truth honours the [policy] org_wide_permissions of the tenant config the simulator reads
// (fixture key policy.orgWidePermissions), and so does the sweep that config drives.
TEST(GroundTruthOrgWideListTest, NonDefaultListSelectsTheSameFindingsInTruthAndSweep) {
  TempDir dir;
  std::string error;
  {
    SimProcess dump;
    ASSERT_TRUE(dump.Start({"--generate", SpecOf({12, 300, 12, 12, 6, 3, 3}), "--dump-org",
                            dir.File("org.json"), "--truth", dir.File("default.json")},
                           &error))
        << error;
  }
  std::string org = ReadWholeFile(dir.File("org.json"));
  const auto pos = org.find("\"policy\":{");
  ASSERT_NE(pos, std::string::npos);
  org.insert(pos + 10, R"("orgWidePermissions":["directory:*:admin","recording:*:*"],)");
  std::ofstream(dir.File("org2.json")) << org;
  SimProcess sim;
  ASSERT_TRUE(sim.Start({"--org", dir.File("org2.json"), "--write-config",
                         dir.File("divaudit.toml"), "--truth", dir.File("truth.json")},
                        &error))
      << error;
  ASSERT_TRUE(MakeConfigFast(dir.File("divaudit.toml")));
  EXPECT_NE(ReadWholeFile(dir.File("divaudit.toml")).find("org_wide_permissions = ["),
            std::string::npos);
  const auto run =
      RunCommand({DivauditBinary(), "sweep", "--config", dir.File("divaudit.toml"), "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string truth_json = ReadWholeFile(dir.File("truth.json"));
  const auto truth = OrgWideFields(truth_json);
  ASSERT_FALSE(truth.empty());
  EXPECT_NE(truth, OrgWideFields(ReadWholeFile(dir.File("default.json"))));
  for (const auto& [key, value] : truth) {
    const std::string perms = value.substr(value.find('|') + 1);
    EXPECT_TRUE(perms.rfind("directory:", 0) == 0 || perms.rfind("recording:", 0) == 0) << perms;
  }
  EXPECT_EQ(truth, OrgWideFields(run.out));
  EXPECT_EQ(*ReadFindingKeys(truth_json), *ReadFindingKeys(run.out));
}

// 24 orgs: small to mid-size, few to many tenants, different seeds, two with many queues.
INSTANTIATE_TEST_SUITE_P(
    Orgs, GroundTruthTest,
    ::testing::Values(Shape{8, 150, 8, 8, 4, 2, 1}, Shape{10, 200, 10, 10, 5, 2, 2},
                      Shape{12, 300, 12, 12, 6, 3, 3}, Shape{15, 400, 15, 12, 6, 3, 4},
                      Shape{20, 500, 20, 15, 8, 4, 5}, Shape{25, 700, 20, 15, 8, 5, 6},
                      Shape{30, 900, 25, 18, 10, 6, 7}, Shape{40, 1200, 30, 20, 12, 8, 8},
                      Shape{50, 1500, 40, 25, 12, 10, 9}, Shape{60, 2000, 40, 25, 15, 12, 10},
                      Shape{16, 250, 8, 30, 4, 4, 11}, Shape{18, 600, 60, 10, 20, 3, 12},
                      Shape{24, 1000, 15, 40, 5, 6, 13}, Shape{9, 800, 30, 9, 9, 2, 14},
                      Shape{45, 350, 10, 14, 25, 9, 15}, Shape{33, 1800, 50, 22, 4, 11, 16},
                      Shape{14, 120, 8, 6, 4, 7, 17}, Shape{70, 2500, 45, 30, 18, 14, 18},
                      Shape{28, 650, 35, 16, 11, 5, 19}, Shape{36, 1100, 20, 28, 14, 9, 20},
                      Shape{20, 3000, 30, 20, 10, 4, 21}, Shape{100, 1000, 25, 20, 30, 20, 22},
                      // queues=N, queue_members=M (the bench's queue-heavy orgs, smaller)
                      Shape{20, 1500, 20, 15, 8, 4, 23, 150, 30},
                      Shape{40, 1200, 30, 20, 12, 8, 24, 60, 120}),
    [](const ::testing::TestParamInfo<Shape>& param_info) {
      return "seed" + std::to_string(param_info.param.seed);
    });

}  // namespace
}  // namespace divaudit::testing
