// CLI behaviour against the simulator: check-config --online (coverage), --fail-on-findings,
// JSON logs, findings filters, diff after a change.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <sstream>

#include "tests/integration/daemon_harness.h"
#include "tests/integration/it_util.h"

namespace divaudit::testing {
namespace {

TEST(CliTest, CheckConfigOnlineReportsCoverage) {
  RunningDaemon d;
  std::string error;
  ASSERT_TRUE(d.SetupOnly({}, &error)) << error;
  const auto ok = d.Divaudit({"check-config", "--config", d.config_path(), "--online"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("coverage 100.0%"), std::string::npos) << ok.out;

  simdjson::dom::parser parser;
  simdjson::dom::element org = parser.parse(d.SimAdmin("GET", "/sim/org").body);
  std::string hidden;
  for (auto dv : org["divisions"].get_array()) {
    if (!dv["homeDivision"].get_bool().value()) hidden = std::string(dv["id"].get_string().value());
  }
  ASSERT_EQ(d.SimAdmin("POST", "/sim/faults", R"({"forbid_division":")" + hidden + "\"}").status,
            200);
  const auto partial = d.Divaudit({"check-config", "--config", d.config_path(), "--online"});
  EXPECT_EQ(partial.exit_code, 1);
  EXPECT_NE(partial.out.find(hidden), std::string::npos) << partial.out;
  EXPECT_NE(partial.out.find("All Divisions"), std::string::npos) << partial.out;
}

TEST(CliTest, FailOnFindingsExits3AndJsonLogsAreJsonLines) {
  RunningDaemon d;
  std::string error;
  ASSERT_TRUE(d.SetupOnly({}, &error)) << error;
  const auto r = d.Divaudit(
      {"--log-format", "json", "sweep", "--config", d.config_path(), "--fail-on-findings"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  std::istringstream lines(r.err);
  std::string line;
  int n = 0;
  simdjson::dom::parser parser;
  while (std::getline(lines, line)) {
    simdjson::dom::element e;
    ASSERT_EQ(parser.parse(line).get(e), simdjson::SUCCESS) << line;
    std::string_view level;
    EXPECT_EQ(e["level"].get(level), simdjson::SUCCESS) << line;
    ++n;
  }
  EXPECT_GT(n, 0);
}

TEST(CliTest, FindingsFiltersAndDiffAfterAChange) {
  RunningDaemon d;
  std::string error;
  ASSERT_TRUE(d.SetupOnly({}, &error)) << error;
  ASSERT_EQ(d.Divaudit({"sweep", "--config", d.config_path()}).exit_code, 0);
  const auto one_diff = d.Divaudit({"diff", "--config", d.config_path()});
  EXPECT_EQ(one_diff.exit_code, 1) << "diff needs two complete sweeps";
  EXPECT_NE(one_diff.err.find("two complete sweeps"), std::string::npos) << one_diff.err;

  simdjson::dom::parser parser;
  simdjson::dom::element org = parser.parse(d.SimAdmin("GET", "/sim/org").body);
  const std::string user(org["users"].at(0)["id"].get_string().value());
  const std::string role(org["roles"].at(0)["id"].get_string().value());
  ASSERT_EQ(d.SimAdmin("POST", "/sim/grants",
                       R"({"subjectType":"PC_USER","subjectId":")" + user + R"(","roleId":")" +
                           role + R"(","divisionId":"*"})")
                .status,
            200);
  ASSERT_EQ(d.Divaudit({"sweep", "--config", d.config_path()}).exit_code, 0);
  const auto diff = d.Divaudit({"diff", "--config", d.config_path(), "--format", "json"});
  ASSERT_EQ(diff.exit_code, 0) << diff.err;
  EXPECT_NE(diff.out.find(user), std::string::npos);
  const auto star = d.Divaudit(
      {"findings", "--config", d.config_path(), "--rule", "all_divisions", "--format", "csv"});
  EXPECT_NE(star.out.find(user), std::string::npos);
  const auto cross = d.Divaudit(
      {"findings", "--config", d.config_path(), "--rule", "cross_tenant", "--format", "csv"});
  EXPECT_EQ(cross.out.find("all_divisions"), std::string::npos);
  const auto bad = d.Divaudit({"findings", "--config", d.config_path(), "--rule", "nope"});
  EXPECT_EQ(bad.exit_code, 2);
}

}  // namespace
}  // namespace divaudit::testing
