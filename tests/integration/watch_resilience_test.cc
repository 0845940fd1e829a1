// Change watch under audit-trail faults (issue 16), with the real binaries: while every realtime
// audit query fails (500, then 429; the simulator's `fail_path`), the scheduled sweeps keep their
// interval — none lost, none doubled, none started by the watch — and the polls back off and are
// counted. Once the faults are cleared (POST /sim/faults {}), the watch resumes: a later change
// still triggers a sweep of its own, with an hour-long interval that cannot explain it. A stalled
// audit endpoint (no answer at all) costs a sweep at most one poll timeout, once per poll.
#include <gtest/gtest.h>

#include <cmath>
#include <csignal>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/integration/daemon_harness.h"
#include "tests/integration/it_util.h"

namespace divaudit::testing {
namespace {

using namespace std::chrono_literals;

constexpr char kFixture[] = R"({
 "divisions": [
  {"id": "d0000000-0000-4000-8000-000000000000", "name": "Home", "homeDivision": true},
  {"id": "d1111111-1111-4111-8111-111111111111", "name": "Acme Retail"},
  {"id": "d2222222-2222-4222-8222-222222222222", "name": "Globex Health"}],
 "roles": [{"id": "r1111111-1111-4111-8111-111111111111", "name": "Contact Center Agent"}],
 "users": [
  {"id": "u1111111-1111-4111-8111-111111111111", "name": "Ann Agent",
   "divisionId": "d1111111-1111-4111-8111-111111111111"}],
 "grants": [
  {"subjectType": "PC_USER", "subjectId": "u1111111-1111-4111-8111-111111111111",
   "roleId": "r1111111-1111-4111-8111-111111111111",
   "divisionId": "d1111111-1111-4111-8111-111111111111"}],
 "policy": {"tenants": [{"name": "Acme Retail", "divisions": ["Acme Retail"]},
                        {"name": "Globex Health", "divisions": ["Globex Health"]}],
            "sharedDivisions": ["Home"]}})";

constexpr char kCrossGrant[] =
    R"({"subjectType":"PC_USER","subjectId":"u1111111-1111-4111-8111-111111111111",)"
    R"("roleId":"r1111111-1111-4111-8111-111111111111",)"
    R"("divisionId":"d2222222-2222-4222-8222-222222222222"})";

int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

double PollErrors(RunningDaemon& d, const std::string& reason) {
  return MetricSum(d.Scrape(), "divaudit_audit_poll_errors_total", {"reason=\"" + reason + "\""});
}

// The audit faults are cleared and the interval made an hour (SIGHUP): only the watch can sweep
// now, and one planted cross-tenant grant gives exactly one watch sweep that opens its finding.
void ExpectTheWatchResumes(RunningDaemon& d) {
  std::string config = ReadWholeFile(d.config_path());
  config = std::regex_replace(config, std::regex("\ninterval = \"3s\""), "\ninterval = \"1h\"");
  std::ofstream(d.config_path(), std::ios::trunc) << config;
  ASSERT_TRUE(d.daemon().Signal(SIGHUP));
  ASSERT_TRUE(WaitFor(
      [&] {
        return d.Log().find("event=reload status=ok interval_ms=3600000") != std::string::npos;
      },
      10s))
      << d.Log();
  ASSERT_EQ(d.SimAdmin("POST", "/sim/faults", "{}").status, 200);
  // The tick scheduled before the reload may still run: let it pass.
  std::this_thread::sleep_for(3500ms);
  const double before_change = d.Sweeps("complete");
  ASSERT_EQ(d.SimAdmin("POST", "/sim/grants", kCrossGrant).status, 200);
  // The back-off after failed polls is at most 20 s here; then settle and one sweep.
  ASSERT_TRUE(WaitFor([&] { return Count(d.Log(), "event=watch_sweep") >= 1; }, 60s)) << d.Log();
  ASSERT_TRUE(WaitFor([&] { return d.Sweeps("complete") >= before_change + 1; }, 30s)) << d.Log();
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(d.Sweeps("complete"), before_change + 1) << "one change, one sweep\n" << d.Log();
  const std::string log = d.Log();
  EXPECT_NE(log.find("event=finding_opened rule=cross_tenant"), std::string::npos) << log;
  EXPECT_GE(MetricSum(d.Scrape(), "divaudit_audit_events_total"), 1);
}

// The watch's audit queries make one attempt each (ApiRequest::max_attempts = 1; the next poll
// is the retry): with the client's full retry policy a poll of five failing queries held the
// worker ~50 s and the 3 s ticks waited behind it (measured before the fix: no sweep for 25 s).
TEST(WatchResilienceTest, AuditFaultsNeitherLoseNorDoubleSweepsAndTheWatchResumes) {
  RunningDaemon d;
  std::ofstream(d.dir().File("org.json")) << kFixture;
  RunningDaemon::Options options;
  options.sim_args = {"--org", d.dir().File("org.json"), "--fail-path", "^/api/v2/audits/=500"};
  options.interval = "3s";
  options.schedule_extra = "watch = \"5s\"\nsettle = \"1s\"\nmin_interval = \"1s\"";
  std::string error;
  ASSERT_TRUE(d.Start(options, &error)) << error;
  ASSERT_TRUE(d.WaitForSweeps("complete", 1, 60s)) << d.Log();

  // Faults: 500 on every audit query until one poll has failed with it, then 429.
  const auto start = std::chrono::steady_clock::now();
  const double sweeps_at_start = d.Sweeps("complete");
  ASSERT_TRUE(WaitFor([&] { return PollErrors(d, "unavailable") >= 1; }, 30s)) << d.Log();
  ASSERT_EQ(d.SimAdmin("POST", "/sim/faults", R"({"fail_path":["^/api/v2/audits/=429"]})").status,
            200);
  ASSERT_TRUE(WaitFor([&] { return PollErrors(d, "throttled") >= 1; }, 40s)) << d.Log();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double swept = d.Sweeps("complete") - sweeps_at_start;
  std::printf(
      "[ watch faults ] %.0f sweeps in %.1f s with interval 3 s while audit queries failed\n",
      swept, elapsed);
  // A sweep every 3 s: none lost (at most one tick in flight at either end), none doubled.
  EXPECT_GE(swept, std::floor(elapsed / 3.0) - 1) << d.Log();
  EXPECT_LE(swept, std::ceil(elapsed / 3.0) + 1) << d.Log();
  std::string log = d.Log();
  EXPECT_EQ(Count(log, "event=watch_sweep"), 0) << log;
  EXPECT_EQ(Count(log, "event=tick_skipped"), 0) << log;
  EXPECT_LE(d.Sweeps("failed"), 0) << log;  // -1: no failed sweep series at all
  EXPECT_GE(Count(log, "event=audit_poll_failed"), 2) << log;

  ExpectTheWatchResumes(d);
}

// The audit endpoint accepts the connection and never answers (`stall`): each poll sends one
// query, which times out after the poll timeout ([genesys] timeout 2 s here; 10 s at most), and
// the other four wait for the next poll. Scheduled sweeps are delayed by at most that wait:
// none lost, none doubled, none failed. Then the endpoint answers again and the watch resumes.
TEST(WatchResilienceTest, AStalledAuditEndpointDelaysSweepsByOnePollTimeoutAtMost) {
  RunningDaemon d;
  std::ofstream(d.dir().File("org.json")) << kFixture;
  RunningDaemon::Options options;
  options.sim_args = {"--org", d.dir().File("org.json"), "--fail-path", "^/api/v2/audits/=stall"};
  options.interval = "3s";
  options.schedule_extra = "watch = \"5s\"\nsettle = \"1s\"\nmin_interval = \"1s\"";
  std::string error;
  ASSERT_TRUE(d.SetupOnly(options, &error)) << error;
  std::string config = ReadWholeFile(d.config_path());
  config =
      std::regex_replace(config, std::regex("\\[genesys\\]\n"), "[genesys]\ntimeout = \"2s\"\n");
  std::ofstream(d.config_path(), std::ios::trunc) << config;
  ASSERT_TRUE(d.StartDaemon(&error)) << error;
  ASSERT_TRUE(d.WaitForSweeps("complete", 1, 60s)) << d.Log();

  const auto start = std::chrono::steady_clock::now();
  const double sweeps_at_start = d.Sweeps("complete");
  ASSERT_TRUE(WaitFor([&] { return PollErrors(d, "timeout") >= 2; }, 60s)) << d.Log();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double swept = d.Sweeps("complete") - sweeps_at_start;
  const double timeouts = PollErrors(d, "timeout");
  std::printf("[ watch stall ] %.0f sweeps in %.1f s with interval 3 s, %.0f stalled polls\n",
              swept, elapsed, timeouts);
  // Each stalled poll held the worker ~2 s once; every other tick ran on time.
  EXPECT_GE(swept, std::floor((elapsed - 2.5 * timeouts) / 3.0) - 1) << d.Log();
  EXPECT_LE(swept, std::ceil(elapsed / 3.0) + 1) << d.Log();
  std::string log = d.Log();
  // One query per stalled poll, counted once; the four not sent are neither errors nor lines.
  EXPECT_EQ(Count(log, "event=audit_poll_failed"), static_cast<int>(timeouts)) << log;
  EXPECT_EQ(PollErrors(d, "unavailable") + PollErrors(d, "other"), 0) << log;
  EXPECT_EQ(Count(log, "event=watch_sweep"), 0) << log;
  EXPECT_EQ(Count(log, "event=tick_skipped"), 0) << log;
  EXPECT_LE(d.Sweeps("failed"), 0) << log;

  ExpectTheWatchResumes(d);
}

}  // namespace
}  // namespace divaudit::testing
