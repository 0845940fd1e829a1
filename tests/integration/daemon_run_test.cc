// `divaudit run` against divaudit-sim (issue 6): metrics equal findings and pass promtool,
// mutations move gauges and counters on the next complete sweep, a partial sweep moves only the
// health metrics, SIGHUP with a broken config keeps running, SIGTERM mid-sweep stops promptly.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <csignal>
#include <fstream>

#include "tests/integration/daemon_harness.h"
#include "tests/integration/it_util.h"

namespace divaudit::testing {
namespace {

using namespace std::chrono_literals;

struct OrgIds {
  std::string user_id, role_id, division_id;
};

// An active user, a role and a listed non-Home division of the simulator's current org.
OrgIds PickIds(RunningDaemon& d) {
  OrgIds ids;
  const std::string org = d.SimAdmin("GET", "/sim/org").body;
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(org);
  for (auto u : doc["users"].get_array()) {
    if (std::string_view(u["state"].get_string()) == "active") {
      ids.user_id = std::string(u["id"].get_string().value());
      break;
    }
  }
  for (auto r : doc["roles"].get_array()) {
    ids.role_id = std::string(r["id"].get_string().value());
  }
  for (auto dv : doc["divisions"].get_array()) {
    if (!dv["homeDivision"].get_bool().value()) {
      ids.division_id = std::string(dv["id"].get_string().value());
    }
  }
  return ids;
}

std::string GrantBody(const OrgIds& ids, const std::string& division) {
  return R"({"subjectType":"PC_USER","subjectId":")" + ids.user_id + R"(","roleId":")" +
         ids.role_id + R"(","divisionId":")" + division + R"("})";
}

TEST(DaemonRunTest, MetricsEqualFindingsAndPassPromtool) {
  RunningDaemon d;
  std::string error;
  ASSERT_TRUE(d.Start({}, &error)) << error;
  ASSERT_TRUE(d.WaitForSweeps("complete", 1, 60s)) << d.Log();
  const std::string metrics = d.Scrape();

  const auto findings =
      d.Divaudit({"findings", "--config", d.config_path(), "--format", "json", "--state", "all"});
  ASSERT_EQ(findings.exit_code, 0) << findings.err;
  auto keys = ReadFindingKeys(findings.out);
  ASSERT_TRUE(keys.ok());
  double open = 0, suppressed = 0, all_divisions_open = 0;
  for (const auto& k : *keys) {
    if (std::get<7>(k) == "open") ++open;
    if (std::get<7>(k) == "suppressed") ++suppressed;
    if (std::get<7>(k) == "open" && std::get<0>(k) == "all_divisions") ++all_divisions_open;
  }
  ASSERT_GT(open, 0);
  EXPECT_EQ(MetricSum(metrics, "divaudit_findings", {"state=\"open\""}), open);
  EXPECT_EQ(MetricSum(metrics, "divaudit_findings", {"state=\"suppressed\""}), suppressed);
  EXPECT_EQ(MetricSum(metrics, "divaudit_findings", {"rule=\"all_divisions\"", "state=\"open\""}),
            all_divisions_open);
  EXPECT_EQ(MetricValue(metrics, "divaudit_coverage_ratio{kind=\"divisions\"}"), 1.0);
  EXPECT_GT(MetricSum(metrics, "divaudit_api_requests_total"), 10);
  EXPECT_GT(MetricValue(metrics, "divaudit_last_complete_sweep_timestamp_seconds").value_or(0), 0);
  EXPECT_EQ(MetricSum(metrics, "divaudit_build_info"), 1);
  // No user ids or names leak into labels.
  const OrgIds ids = PickIds(d);
  EXPECT_EQ(metrics.find(ids.user_id), std::string::npos);

  if (std::system("command -v promtool >/dev/null 2>&1") == 0) {
    std::ofstream(d.dir().File("scrape.txt")) << metrics;
    const auto check = RunCommand(
        {"/bin/sh", "-c",
         "grep -v '^exposer_' " + d.dir().File("scrape.txt") + " | promtool check metrics"});
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  } else {
    GTEST_SKIP() << "promtool not installed: exposition format not checked";
  }
}

TEST(DaemonRunTest, MutationMovesGaugesAndCountersOnNextCompleteSweep) {
  RunningDaemon d;
  std::string error;
  ASSERT_TRUE(d.Start({}, &error)) << error;
  ASSERT_TRUE(d.WaitForSweeps("complete", 1, 60s)) << d.Log();
  const std::string before = d.Scrape();
  const double star_before =
      MetricSum(before, "divaudit_findings", {"rule=\"all_divisions\"", "state=\"open\""});
  const double new_before =
      MetricValue(before, "divaudit_findings_new_total{rule=\"all_divisions\"}").value_or(-1);

  const OrgIds ids = PickIds(d);
  ASSERT_EQ(d.SimAdmin("POST", "/sim/grants", GrantBody(ids, "*")).status, 200);
  const double complete_now = d.Sweeps("complete");
  ASSERT_TRUE(d.WaitForSweeps("complete", complete_now + 1, 60s)) << d.Log();
  const std::string after = d.Scrape();
  EXPECT_EQ(MetricSum(after, "divaudit_findings", {"rule=\"all_divisions\"", "state=\"open\""}),
            star_before + 1);
  EXPECT_EQ(MetricValue(after, "divaudit_findings_new_total{rule=\"all_divisions\"}"),
            new_before + 1);

  ASSERT_EQ(d.SimAdmin("DELETE", "/sim/grants", GrantBody(ids, "*")).status, 200);
  ASSERT_TRUE(d.WaitForSweeps("complete", d.Sweeps("complete") + 1, 60s)) << d.Log();
  const std::string resolved = d.Scrape();
  EXPECT_EQ(MetricSum(resolved, "divaudit_findings", {"rule=\"all_divisions\"", "state=\"open\""}),
            star_before);
  EXPECT_GE(
      MetricValue(resolved, "divaudit_findings_resolved_total{rule=\"all_divisions\"}").value_or(0),
      1);
}

TEST(DaemonRunTest, PartialSweepMovesOnlyHealthMetricsAndResolvesNothing) {
  RunningDaemon d;
  std::string error;
  ASSERT_TRUE(d.Start({}, &error)) << error;
  ASSERT_TRUE(d.WaitForSweeps("complete", 1, 60s)) << d.Log();
  const OrgIds ids = PickIds(d);
  // Plant a finding, sweep it, then hide a division and remove the finding's grant: the partial
  // sweep must neither resolve it nor move the violation gauges.
  ASSERT_EQ(d.SimAdmin("POST", "/sim/grants", GrantBody(ids, "*")).status, 200);
  ASSERT_TRUE(d.WaitForSweeps("complete", d.Sweeps("complete") + 1, 60s)) << d.Log();
  const std::string before = d.Scrape();
  ASSERT_EQ(
      d.SimAdmin("POST", "/sim/faults", R"({"forbid_division":")" + ids.division_id + "\"}").status,
      200);
  ASSERT_EQ(d.SimAdmin("DELETE", "/sim/grants", GrantBody(ids, "*")).status, 200);
  ASSERT_TRUE(d.WaitForSweeps("partial", 1, 60s)) << d.Log();
  const std::string after = d.Scrape();
  EXPECT_EQ(MetricSum(after, "divaudit_findings", {"state=\"open\""}),
            MetricSum(before, "divaudit_findings", {"state=\"open\""}));
  EXPECT_EQ(MetricSum(after, "divaudit_findings_resolved_total"),
            MetricSum(before, "divaudit_findings_resolved_total"));
  EXPECT_LT(MetricValue(after, "divaudit_coverage_ratio{kind=\"divisions\"}").value_or(1), 1.0);
  EXPECT_EQ(MetricValue(after, "divaudit_last_complete_sweep_timestamp_seconds"),
            MetricValue(before, "divaudit_last_complete_sweep_timestamp_seconds"));
  // The stored finding is still open, and the partial sweep names the hidden division.
  const auto open = d.Divaudit(
      {"findings", "--config", d.config_path(), "--format", "csv", "--rule", "all_divisions"});
  EXPECT_NE(open.out.find(ids.user_id), std::string::npos);
  EXPECT_NE(d.Log().find(ids.division_id), std::string::npos);
}

TEST(DaemonRunTest, SighupWithBrokenConfigKeepsRunningAndOldConfig) {
  RunningDaemon d;
  std::string error;
  ASSERT_TRUE(d.Start({}, &error)) << error;
  ASSERT_TRUE(d.WaitForSweeps("complete", 1, 60s)) << d.Log();
  const std::string good = ReadWholeFile(d.config_path());
  std::ofstream(d.config_path(), std::ios::trunc) << "[genesys\nthis is not toml\n";
  ASSERT_TRUE(d.daemon().Signal(SIGHUP));
  ASSERT_TRUE(WaitFor(
      [&] { return d.Log().find("event=reload status=rejected") != std::string::npos; }, 10s))
      << d.Log();
  std::ofstream(d.config_path(), std::ios::trunc) << good;
  const double complete = d.Sweeps("complete");
  EXPECT_TRUE(d.WaitForSweeps("complete", complete + 1, 60s)) << d.Log();
  EXPECT_TRUE(d.daemon().running());
  ASSERT_TRUE(d.daemon().Signal(SIGHUP));
  EXPECT_TRUE(
      WaitFor([&] { return d.Log().find("event=reload status=ok") != std::string::npos; }, 10s));
}

TEST(DaemonRunTest, SigtermMidSweepExitsWithin5sAndCommitsNothingPartial) {
  RunningDaemon d;
  RunningDaemon::Options options;
  // Slow responses so the first sweep is still running when SIGTERM arrives.
  options.sim_args = {"--generate", "divisions=20,users=2000,seed=6", "--latency", "300"};
  std::string error;
  ASSERT_TRUE(d.Start(options, &error)) << error;
  ASSERT_TRUE(WaitFor(
      [&] { return MetricValue(d.Scrape(), "divaudit_sweep_in_progress").value_or(0) == 1; }, 30s));
  std::this_thread::sleep_for(500ms);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(d.daemon().Signal(SIGTERM));
  const auto code = d.daemon().Wait(5s);
  ASSERT_TRUE(code.has_value()) << "divaudit run did not stop within 5 s";
  EXPECT_EQ(*code, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  const auto verify = d.Divaudit({"verify", "--config", d.config_path()});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  // The aborted sweep left no trace: no findings, no sweep row.
  EXPECT_NE(verify.out.find("ok (0 sweeps"), std::string::npos) << verify.out;
}

}  // namespace
}  // namespace divaudit::testing
