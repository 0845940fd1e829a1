// End to end (issue 7): the real Prometheus server from Debian's `prometheus` package, with the
// shipped alert rules, scraping a real `divaudit run` against divaudit-sim. Planting an
// All-Divisions grant through the simulator's admin API makes the critical alert fire; removing
// it clears the alert. Waits are bounded polls.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cctype>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <thread>

#include "tests/integration/daemon_harness.h"
#include "tests/integration/it_util.h"

namespace divaudit::testing {
namespace {

using namespace std::chrono_literals;

// Two tenants, no All-Divisions grant anywhere: the critical alert starts silent.
constexpr char kFixture[] = R"({
 "divisions": [
  {"id": "d0000000-0000-4000-8000-000000000000", "name": "Home", "homeDivision": true},
  {"id": "d1111111-1111-4111-8111-111111111111", "name": "Acme Retail"},
  {"id": "d2222222-2222-4222-8222-222222222222", "name": "Globex Health"}],
 "roles": [{"id": "r1111111-1111-4111-8111-111111111111", "name": "Contact Center Agent"},
           {"id": "r2222222-2222-4222-8222-222222222222", "name": "admin"}],
 "users": [
  {"id": "u1111111-1111-4111-8111-111111111111", "name": "Ann Agent",
   "divisionId": "d1111111-1111-4111-8111-111111111111"},
  {"id": "u2222222-2222-4222-8222-222222222222", "name": "Bob Agent",
   "divisionId": "d2222222-2222-4222-8222-222222222222"}],
 "grants": [
  {"subjectType": "PC_USER", "subjectId": "u1111111-1111-4111-8111-111111111111",
   "roleId": "r1111111-1111-4111-8111-111111111111",
   "divisionId": "d1111111-1111-4111-8111-111111111111"},
  {"subjectType": "PC_USER", "subjectId": "u2222222-2222-4222-8222-222222222222",
   "roleId": "r1111111-1111-4111-8111-111111111111",
   "divisionId": "d2222222-2222-4222-8222-222222222222"}],
 "policy": {"tenants": [{"name": "Acme Retail", "divisions": ["Acme Retail"]},
                        {"name": "Globex Health", "divisions": ["Globex Health"]}],
            "sharedDivisions": ["Home"]}})";

constexpr char kStarGrant[] =
    R"({"subjectType":"PC_USER","subjectId":"u1111111-1111-4111-8111-111111111111",)"
    R"("roleId":"r2222222-2222-4222-8222-222222222222","divisionId":"*"})";

// The state ("firing", "pending") of the named alert in Prometheus's /api/v1/alerts, or "".
std::string AlertState(const std::string& prometheus, const std::string& name) {
  const HttpResult r = HttpRequest("GET", prometheus + "/api/v1/alerts");
  if (r.status != 200) return "";
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(r.body).get(doc) != simdjson::SUCCESS) return "";
  simdjson::dom::array alerts;
  if (doc["data"]["alerts"].get(alerts) != simdjson::SUCCESS) return "";
  for (auto a : alerts) {
    std::string_view alertname, state;
    if (a["labels"]["alertname"].get(alertname) == simdjson::SUCCESS && alertname == name &&
        a["state"].get(state) == simdjson::SUCCESS) {
      return std::string(state);
    }
  }
  return "";
}

// Starts Debian's Prometheus with the shipped rules, scraping `d` every second, and waits until
// it has divaudit_build_info. Fills *url ("http://127.0.0.1:PORT").
void StartPrometheus(RunningDaemon& d, ChildProcess& prometheus, std::string* url) {
  const std::string rules =
      std::string(DIVAUDIT_SOURCE_DIR) + "/monitoring/prometheus/divaudit.rules.yml";
  std::ofstream(d.dir().File("prometheus.yml"))
      << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
      << "rule_files:\n  - " << rules << "\n"
      << "scrape_configs:\n  - job_name: divaudit\n    static_configs:\n"
      << "      - targets: ['127.0.0.1:" << d.metrics_port() << "']\n";
  const std::string log = d.dir().File("prometheus.log");
  ASSERT_TRUE(prometheus.Start(
      {"/usr/bin/prometheus", "--config.file=" + d.dir().File("prometheus.yml"),
       "--storage.tsdb.path=" + d.dir().File("tsdb"), "--web.listen-address=127.0.0.1:0"},
      log));
  ASSERT_TRUE(WaitFor(
      [&] {
        std::smatch m;
        const std::string text = ReadWholeFile(log);
        static const std::regex re("msg=\"Listening on\" address=(127\\.0\\.0\\.1:\\d+)");
        if (!std::regex_search(text, m, re)) return false;
        *url = "http://" + m[1].str();
        return true;
      },
      30s))
      << ReadWholeFile(log);
  ASSERT_TRUE(WaitFor(
      [&] {
        const auto r = HttpRequest("GET", *url + "/api/v1/query?query=divaudit_build_info");
        return r.body.find("\"version\"") != std::string::npos;
      },
      60s))
      << ReadWholeFile(log);
}

// The value of a one-element instant query, or nullopt.
std::optional<double> QueryValue(const std::string& prometheus, const std::string& expr) {
  std::string encoded;
  for (const unsigned char c : expr) {
    char buf[4];
    std::snprintf(buf, sizeof buf, "%%%02X", c);
    encoded += std::isalnum(c) ? std::string(1, static_cast<char>(c)) : std::string(buf);
  }
  const HttpResult r = HttpRequest("GET", prometheus + "/api/v1/query?query=" + encoded);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (r.status != 200 || parser.parse(r.body).get(doc) != simdjson::SUCCESS) return std::nullopt;
  simdjson::dom::array result;
  if (doc["data"]["result"].get(result) != simdjson::SUCCESS || result.size() != 1) {
    return std::nullopt;
  }
  std::string_view value;
  if (result.at(0)["value"].at(1).get(value) != simdjson::SUCCESS) return std::nullopt;
  return std::stod(std::string(value));
}

TEST(PrometheusEndToEndTest, AllDivisionsGrantFiresAndClearsTheCriticalAlert) {
  if (std::system("command -v prometheus >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "prometheus not installed (apt-get install prometheus)";
  }
  RunningDaemon d;
  std::ofstream(d.dir().File("org.json")) << kFixture;
  RunningDaemon::Options options;
  options.sim_args = {"--org", d.dir().File("org.json")};
  options.interval = "1s";
  std::string error;
  ASSERT_TRUE(d.Start(options, &error)) << error;
  ASSERT_TRUE(d.WaitForSweeps("complete", 1, 60s)) << d.Log();

  std::string url;
  ChildProcess prometheus;
  ASSERT_NO_FATAL_FAILURE(StartPrometheus(d, prometheus, &url));
  // Prometheus scrapes divaudit and evaluates the rules: nothing critical yet.
  EXPECT_EQ(AlertState(url, "DivauditAllDivisionsGrant"), "");

  const auto planted = std::chrono::steady_clock::now();
  ASSERT_EQ(d.SimAdmin("POST", "/sim/grants", kStarGrant).status, 200);
  ASSERT_TRUE(
      WaitFor([&] { return AlertState(url, "DivauditAllDivisionsGrant") == "firing"; }, 60s))
      << "critical alert did not fire; divaudit log:\n"
      << d.Log();
  std::printf("[ e2e ] DivauditAllDivisionsGrant firing %.1f s after the grant was planted\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - planted).count());

  const auto removed = std::chrono::steady_clock::now();
  ASSERT_EQ(d.SimAdmin("DELETE", "/sim/grants", kStarGrant).status, 200);
  ASSERT_TRUE(WaitFor([&] { return AlertState(url, "DivauditAllDivisionsGrant").empty(); }, 60s))
      << "critical alert did not clear";
  std::printf("[ e2e ] DivauditAllDivisionsGrant cleared %.1f s after the grant was removed\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - removed).count());

  // Planted again, then the daemon is killed: the critical alert keeps firing from the last
  // reported value while the target is down, and DivauditTargetDown starts (pending for 5m).
  ASSERT_EQ(d.SimAdmin("POST", "/sim/grants", kStarGrant).status, 200);
  ASSERT_TRUE(
      WaitFor([&] { return AlertState(url, "DivauditAllDivisionsGrant") == "firing"; }, 60s));
  d.daemon().Signal(SIGKILL);
  d.daemon().Wait(10s);
  ASSERT_TRUE(WaitFor([&] { return QueryValue(url, "up{job=\"divaudit\"}") == 0.0; }, 30s));
  ASSERT_TRUE(WaitFor([&] { return AlertState(url, "DivauditTargetDown") == "pending"; }, 30s));
  const auto down = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - down < 8s) {  // past the 5 s staleness of a scrape
    ASSERT_EQ(AlertState(url, "DivauditAllDivisionsGrant"), "firing")
        << "the critical alert resolved when its daemon stopped reporting";
    std::this_thread::sleep_for(500ms);
  }
  EXPECT_EQ(QueryValue(url, "divaudit_findings{rule=\"all_divisions\",state=\"open\"}"),
            std::nullopt)
      << "the daemon's own series went stale; the alert lives on the latched recording";
  prometheus.Signal(SIGTERM);
  prometheus.Wait(10s);
}

// Change watch (issue 16): with interval 1h only the audit-trail watch can sweep in time. The
// issue asks for watch 1 s; the configuration's floor is 5 s (`[schedule] watch` "0s" or at
// least 5s), so the watch polls every 5 s and a change waits up to one poll longer. The planted
// grant's critical alert must fire within settle (2 s) + up to one poll (5 s) + one sweep + one
// scrape and evaluation (1 s each) + slack: asserted under 25 s, the measured figure printed.
// The finding it opens names the admin user who planted it.
TEST(PrometheusEndToEndTest, WatchDetectsAPlantedGrantWithinSecondsAndNamesWhoMadeIt) {
  if (std::system("command -v prometheus >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "prometheus not installed (apt-get install prometheus)";
  }
  RunningDaemon d;
  std::ofstream(d.dir().File("org.json")) << kFixture;
  RunningDaemon::Options options;
  options.sim_args = {"--org", d.dir().File("org.json")};
  options.interval = "1h";
  options.schedule_extra = "watch = \"5s\"\nsettle = \"2s\"\nmin_interval = \"1s\"";
  std::string error;
  ASSERT_TRUE(d.Start(options, &error)) << error;
  ASSERT_TRUE(d.WaitForSweeps("complete", 1, 60s)) << d.Log();
  ASSERT_NE(d.Log().find("event=watch_on"), std::string::npos) << d.Log();

  std::string url;
  ChildProcess prometheus;
  ASSERT_NO_FATAL_FAILURE(StartPrometheus(d, prometheus, &url));
  EXPECT_EQ(AlertState(url, "DivauditAllDivisionsGrant"), "");

  const auto planted = std::chrono::steady_clock::now();
  ASSERT_EQ(d.SimAdmin("POST", "/sim/grants?actorType=user&actorId=adm-e2e&actorName=Ada%20Admin",
                       kStarGrant)
                .status,
            200);
  ASSERT_TRUE(
      WaitFor([&] { return AlertState(url, "DivauditAllDivisionsGrant") == "firing"; }, 40s))
      << "critical alert did not fire; divaudit log:\n"
      << d.Log();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - planted).count();
  std::printf(
      "[ e2e ] watch: DivauditAllDivisionsGrant firing %.1f s after the grant was planted "
      "(interval 1h, watch 5s, settle 2s, scrape/evaluation 1s)\n",
      seconds);
  EXPECT_LT(seconds, 25.0) << d.Log();
  // Only the watch can have swept: exactly one sweep besides the one at start.
  EXPECT_EQ(d.Sweeps("complete"), 2) << d.Log();
  const std::string log = d.Log();
  EXPECT_NE(log.find("event=watch_sweep"), std::string::npos) << log;
  const std::string text = d.Scrape();
  const double detections = MetricSum(text, "divaudit_detection_seconds_count");
  EXPECT_GE(detections, 1) << text;
  if (detections > 0) {
    std::printf("[ e2e ] watch: divaudit_detection_seconds (event to finding) %.1f s\n",
                MetricSum(text, "divaudit_detection_seconds_sum") / detections);
  }

  // Who made it: the opened all_divisions finding names the admin user of the request.
  std::string opened;
  for (size_t at = log.find("event=finding_opened rule=all_divisions"); at != std::string::npos;
       at = log.find("event=finding_opened rule=all_divisions", at + 1)) {
    opened = log.substr(at, log.find('\n', at) - at);
  }
  EXPECT_NE(opened.find("changed_by_type=user"), std::string::npos) << log;
  EXPECT_NE(opened.find("changed_by_id=\"adm-e2e\""), std::string::npos) << opened;
  EXPECT_NE(opened.find("changed_by_name=\"Ada Admin\""), std::string::npos) << opened;
  const auto findings = d.Divaudit(
      {"findings", "--config", d.config_path(), "--rule", "all_divisions", "--format", "json"});
  ASSERT_EQ(findings.exit_code, 0) << findings.err;
  EXPECT_NE(findings.out.find("Ada Admin"), std::string::npos) << findings.out;
  prometheus.Signal(SIGTERM);
  prometheus.Wait(10s);
}

// Ann (Acme Retail) gets a role on Globex Health's division: a cross-tenant finding.
constexpr char kCrossGrant[] =
    R"({"subjectType":"PC_USER","subjectId":"u1111111-1111-4111-8111-111111111111",)"
    R"("roleId":"r1111111-1111-4111-8111-111111111111",)"
    R"("divisionId":"d2222222-2222-4222-8222-222222222222"})";

// Every panel and variable query of monitoring/grafana/divaudit.json against a real Prometheus
// scraping a real daemon that has findings of several rules: no query error, no panel empty
// while its metric has data (tests/monitoring/check_dashboard.py --prometheus).
TEST(PrometheusEndToEndTest, EveryDashboardQueryWorksOnRealData) {
  if (std::system("command -v prometheus >/dev/null 2>&1") != 0 ||
      std::system("command -v python3 >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "prometheus or python3 not installed";
  }
  RunningDaemon d;
  std::ofstream(d.dir().File("org.json")) << kFixture;
  RunningDaemon::Options options;
  options.sim_args = {"--org", d.dir().File("org.json")};
  options.interval = "1s";
  std::string error;
  ASSERT_TRUE(d.Start(options, &error)) << error;
  ASSERT_TRUE(d.WaitForSweeps("complete", 1, 60s)) << d.Log();
  std::string url;
  ChildProcess prometheus;
  ASSERT_NO_FATAL_FAILURE(StartPrometheus(d, prometheus, &url));

  // A clean org: the findings stats show 0, not "No data".
  simdjson::dom::parser parser;
  simdjson::dom::element dash;
  ASSERT_EQ(
      parser.load(std::string(DIVAUDIT_SOURCE_DIR) + "/monitoring/grafana/divaudit.json").get(dash),
      simdjson::SUCCESS);
  int zero_stats = 0;
  for (simdjson::dom::element panel : dash["panels"].get_array()) {
    if (std::string_view(panel["type"]) != "stat") continue;
    std::string expr(std::string_view(panel["targets"].at(0)["expr"]));
    if (expr.find("divaudit_findings{") == std::string::npos) continue;
    for (const char* var : {"$job", "$instance", "$org", "$tenant"}) {
      for (size_t at; (at = expr.find(var)) != std::string::npos;)
        expr.replace(at, strlen(var), ".*");
    }
    EXPECT_EQ(QueryValue(url, expr), 0.0) << panel["title"] << ": " << expr;
    ++zero_stats;
  }
  EXPECT_EQ(zero_stats, 3);

  ASSERT_EQ(d.SimAdmin("POST", "/sim/grants", kStarGrant).status, 200);
  ASSERT_EQ(d.SimAdmin("POST", "/sim/grants", kCrossGrant).status, 200);
  ASSERT_TRUE(WaitFor(
      [&] {
        const std::string text = d.Scrape();
        return MetricSum(text, "divaudit_findings", {"rule=\"all_divisions\""}) > 0 &&
               MetricSum(text, "divaudit_cross_tenant_users") > 0;
      },
      60s))
      << d.Log();
  // Rates and increases need two samples of every counter; the recording rules one evaluation;
  // the panels need Prometheus (not only the endpoint) to have scraped the new findings — on a
  // slow (sanitizer) build that can take several scrapes.
  ASSERT_TRUE(WaitFor(
      [&] {
        const auto positive = [&](const std::string& expr) {
          const auto v = QueryValue(url, expr);
          return v.has_value() && *v > 0;
        };
        return QueryValue(url, "count(rate(divaudit_sweep_duration_seconds_count[1m]) > 0)")
                   .has_value() &&
               positive("sum(divaudit_findings{state=\"open\"})") &&
               positive("sum(divaudit_cross_tenant_users)");
      },
      60s));

  const std::string check = std::string("python3 ") + DIVAUDIT_SOURCE_DIR +
                            "/tests/monitoring/check_dashboard.py " + DIVAUDIT_SOURCE_DIR +
                            "/monitoring/grafana/divaudit.json --prometheus " + url;
  const std::string instance = "127.0.0.1:" + std::to_string(d.metrics_port());
  for (const std::string& vars : {std::string(), " --var instance=" + instance}) {
    const auto all = RunCommand({"/bin/sh", "-c", check + vars + " 2>&1"});
    EXPECT_EQ(all.exit_code, 0) << all.out;
    std::printf("[ e2e ] dashboard%s: %s", vars.c_str(), all.out.c_str());
  }
  // The check can fail: scoped to an instance that does not exist, every panel is empty while
  // its metrics have data.
  const auto none = RunCommand({"/bin/sh", "-c", check + " --var instance=nowhere:1 2>&1"});
  EXPECT_NE(none.exit_code, 0) << none.out;
  EXPECT_NE(none.out.find("empty although"), std::string::npos) << none.out;
  prometheus.Signal(SIGTERM);
  prometheus.Wait(10s);
}

}  // namespace
}  // namespace divaudit::testing
