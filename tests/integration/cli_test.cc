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

// `findings --format json` reads the last complete sweep's counts and role settings back from
// storage: they equal what `sweep --json` printed for that sweep, and follow the org when the
// setting changes.
TEST(CliTest, FindingsJsonCarriesTheStoredSweepSettingsAndCounts) {
  RunningDaemon d;
  std::string error;
  ASSERT_TRUE(d.SetupOnly({}, &error)) << error;
  simdjson::dom::parser sweep_parser;
  simdjson::dom::parser findings_parser;
  for (const bool aware : {false, true}) {
    const std::string body = std::string(R"({"authorizationGrantDivisionAware":)") +
                             (aware ? "true" : "false") + R"(,"backfillEnabled":)" +
                             (aware ? "false" : "true") + "}";
    ASSERT_EQ(d.SimAdmin("PUT", "/sim/roles/settings", body).status, 200);
    const auto sweep = d.Divaudit({"sweep", "--config", d.config_path(), "--json"});
    ASSERT_EQ(sweep.exit_code, 0) << sweep.err;
    const auto findings = d.Divaudit({"findings", "--config", d.config_path(), "--format", "json"});
    ASSERT_EQ(findings.exit_code, 0) << findings.err;
    simdjson::dom::element swept = sweep_parser.parse(sweep.out)["sweep"];
    simdjson::dom::element stored = findings_parser.parse(findings.out)["sweep"];
    EXPECT_EQ(stored["id"].get_int64().value(), swept["id"].get_int64().value());
    simdjson::dom::object settings;
    ASSERT_EQ(stored["settings"].get(settings), simdjson::SUCCESS) << findings.out;
    EXPECT_EQ(settings["authorization_grant_division_aware"].get_bool().value(), aware);
    EXPECT_EQ(settings["backfill_enabled"].get_bool().value(), !aware);
    for (const char* key : {"divisions", "users", "groups", "roles", "oauth_clients", "grants",
                            "queues", "queue_members", "permissions", "narrowed_policies"}) {
      EXPECT_EQ(stored["counts"][key].get_int64().value(), swept["counts"][key].get_int64().value())
          << key;
    }
    EXPECT_GT(stored["counts"]["permissions"].get_int64().value(), 0);
  }
  // `diff` of those two sweeps shows the setting change (v2 tables are diffed).
  const auto diff = d.Divaudit({"diff", "--config", d.config_path()});
  ASSERT_EQ(diff.exit_code, 0) << diff.err;
  EXPECT_NE(diff.out.find("~ role settings: authorizationGrantDivisionAware false, "
                          "backfillEnabled true -> authorizationGrantDivisionAware true, "
                          "backfillEnabled false\n"),
            std::string::npos)
      << diff.out;
}

}  // namespace
}  // namespace divaudit::testing
