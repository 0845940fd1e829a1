// End to end (issue 7): the real Prometheus server from Debian's `prometheus` package, with the
// shipped alert rules, scraping a real `divaudit run` against divaudit-sim. Planting an
// All-Divisions grant through the simulator's admin API makes the critical alert fire; removing
// it clears the alert. Waits are bounded polls.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <regex>

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

  const std::string rules =
      std::string(DIVAUDIT_SOURCE_DIR) + "/monitoring/prometheus/divaudit.rules.yml";
  std::ofstream(d.dir().File("prometheus.yml"))
      << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
      << "rule_files:\n  - " << rules << "\n"
      << "scrape_configs:\n  - job_name: divaudit\n    static_configs:\n"
      << "      - targets: ['127.0.0.1:" << d.metrics_port() << "']\n";
  ChildProcess prometheus;
  const std::string log = d.dir().File("prometheus.log");
  ASSERT_TRUE(prometheus.Start(
      {"/usr/bin/prometheus", "--config.file=" + d.dir().File("prometheus.yml"),
       "--storage.tsdb.path=" + d.dir().File("tsdb"), "--web.listen-address=127.0.0.1:0"},
      log));
  std::string url;
  ASSERT_TRUE(WaitFor(
      [&] {
        std::smatch m;
        const std::string text = ReadWholeFile(log);
        static const std::regex re("msg=\"Listening on\" address=(127\\.0\\.0\\.1:\\d+)");
        if (!std::regex_search(text, m, re)) return false;
        url = "http://" + m[1].str();
        return true;
      },
      30s))
      << ReadWholeFile(log);
  // Prometheus scrapes divaudit and evaluates the rules: nothing critical yet.
  ASSERT_TRUE(WaitFor(
      [&] {
        const auto r = HttpRequest("GET", url + "/api/v1/query?query=divaudit_build_info");
        return r.body.find("\"version\"") != std::string::npos;
      },
      60s))
      << ReadWholeFile(log);
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
  prometheus.Signal(SIGTERM);
  prometheus.Wait(10s);
}

}  // namespace
}  // namespace divaudit::testing
