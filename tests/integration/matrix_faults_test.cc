// The fault matrix (issue 8): `divaudit run` against divaudit-sim under every fault we can
// produce on one machine. For each: the daemon keeps running (or restarts cleanly), the sweep is
// recorded with the right status, no finding is resolved by a sweep that was not complete, no
// partial data is committed, metrics say what happened, and `divaudit verify` passes.
// The matrix is printed at the end of the run.
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>
#include <sqlite3.h>

#include <fstream>
#include <random>
#include <set>

#include "tests/integration/daemon_harness.h"
#include "tests/integration/it_util.h"

namespace divaudit::testing {
namespace {

using namespace std::chrono_literals;

struct Row {
  std::string fault, expected, observed, metrics;
  bool alive = false, verify = false, no_bad_resolution = false;
};
std::vector<Row>& Matrix() {
  static std::vector<Row> rows;
  return rows;
}

class MatrixPrinter : public ::testing::Environment {
 public:
  void TearDown() override {
    std::printf(
        "\n| fault | expected | observed sweeps | daemon | verify | resolved only by "
        "complete | metrics |\n|---|---|---|---|---|---|---|\n");
    for (const auto& r : Matrix()) {
      std::printf("| %s | %s | %s | %s | %s | %s | %s |\n", r.fault.c_str(), r.expected.c_str(),
                  r.observed.c_str(), r.alive ? "running" : "DOWN", r.verify ? "ok" : "FAIL",
                  r.no_bad_resolution ? "yes" : "NO", r.metrics.c_str());
    }
  }
};
const auto* const kPrinter = ::testing::AddGlobalTestEnvironment(new MatrixPrinter);

struct DbFacts {
  std::map<std::string, int> sweeps;  // status → count
  int resolved_by_non_complete = 0;
  bool readable = false;
};

DbFacts ReadDb(const std::string& path) {
  DbFacts facts;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return facts;
  }
  sqlite3_busy_timeout(db, 10000);
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT status, count(*) FROM sweeps GROUP BY status", -1, &st,
                         nullptr) == SQLITE_OK) {
    facts.readable = true;
    while (sqlite3_step(st) == SQLITE_ROW) {
      facts.sweeps[reinterpret_cast<const char*>(sqlite3_column_text(st, 0))] =
          sqlite3_column_int(st, 1);
    }
  }
  sqlite3_finalize(st);
  const char* bad =
      "SELECT (SELECT count(*) FROM findings f JOIN sweeps s ON s.id = f.resolved_by_sweep "
      "        WHERE s.status != 'complete') + "
      "       (SELECT count(*) FROM findings_events e JOIN sweeps s ON s.id = e.sweep_id "
      "        WHERE e.event = 'resolved' AND s.status != 'complete')";
  if (sqlite3_prepare_v2(db, bad, -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    facts.resolved_by_non_complete = sqlite3_column_int(st, 0);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return facts;
}

std::string Describe(const DbFacts& f) {
  std::string s;
  for (const auto& [status, n] : f.sweeps)
    s += (s.empty() ? "" : ", ") + std::to_string(n) + " " + status;
  return s.empty() ? "none stored" : s;
}

// Checks the invariants every fault must keep and records the matrix row.
void Finish(RunningDaemon& d, const std::string& fault, const std::string& expected,
            const std::string& metrics_note) {
  Row row;
  row.fault = fault;
  row.expected = expected;
  row.alive = d.daemon().running();
  const DbFacts facts = ReadDb(d.db_path());
  row.observed = Describe(facts);
  row.no_bad_resolution = facts.resolved_by_non_complete == 0;
  const auto verify = d.Divaudit({"verify", "--config", d.config_path()});
  row.verify = verify.exit_code == 0;
  row.metrics = metrics_note;
  EXPECT_TRUE(row.alive) << row.fault << "\n" << d.Log();
  EXPECT_TRUE(row.verify) << row.fault << ": " << verify.out << verify.err;
  EXPECT_TRUE(row.no_bad_resolution) << row.fault;
  Matrix().push_back(row);
}

// The id of a division other than Home in a /sim/org fixture.
std::string NonHomeDivision(const std::string& org_json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(org_json).get(doc) != simdjson::SUCCESS) return "";
  std::string id;
  for (auto dv : doc["divisions"].get_array()) {
    if (!dv["homeDivision"].get_bool().value()) id = std::string(dv["id"].get_string().value());
  }
  return id;
}

RunningDaemon::Options Small(std::vector<std::string> extra_sim_args = {}) {
  RunningDaemon::Options o;
  o.sim_args = {"--generate", "divisions=10,users=300,seed=11"};
  o.sim_args.insert(o.sim_args.end(), extra_sim_args.begin(), extra_sim_args.end());
  o.interval = "1s";
  return o;
}

TEST(FaultMatrixTest, RateLimitStormWithRetryAfter) {
  RunningDaemon d;
  std::string error;
  // 30% of requests answered 429 + Retry-After, under a realistic 300/min server limit: divaudit
  // must wait as told and still finish the sweep.
  ASSERT_TRUE(
      d.Start(Small({"--rate-limit", "300/min", "--faults", "429=0.3", "--seed", "4"}), &error))
      << error;
  ASSERT_TRUE(d.WaitForSweeps("complete", 1, 120s)) << d.Log();
  const double throttled = MetricSum(d.Scrape(), "divaudit_api_throttled_total");
  EXPECT_GT(throttled, 0);
  Finish(d, "429 storm (30%, Retry-After; server 300/min)", "complete, throttled",
         "throttled_total=" + std::to_string(static_cast<int>(throttled)));
}

void RunTransientFault(const std::string& name, const std::string& faults,
                       const std::string& code_label) {
  RunningDaemon d;
  std::string error;
  ASSERT_TRUE(d.Start(Small({"--faults", faults, "--seed", "3"}), &error)) << error;
  ASSERT_TRUE(WaitFor([&] { return d.Sweeps("complete") + d.Sweeps("partial") >= 2; }, 120s))
      << d.Log();
  const std::string m = d.Scrape();
  const double faulted =
      code_label.empty() ? 0 : MetricSum(m, "divaudit_api_requests_total", {code_label});
  if (!code_label.empty()) {
    EXPECT_GT(faulted, 0) << name;
  }
  Finish(d, name, "complete (retried) or partial",
         code_label.empty() ? "" : code_label + " requests=" + std::to_string((int)faulted));
}

TEST(FaultMatrixTest, ServerErrorBursts) {
  RunTransientFault("5xx bursts (500, 503 at 15% each)", "500=0.15,503=0.15", "code=\"503\"");
}
TEST(FaultMatrixTest, ConnectionResets) {
  RunTransientFault("connection resets (15%)", "reset=0.15", "code=\"error\"");
}
TEST(FaultMatrixTest, TruncatedBodies) {
  RunTransientFault("truncated bodies (15%)", "truncate=0.15", "code=\"error\"");
}
TEST(FaultMatrixTest, MalformedJson) {
  RunTransientFault("malformed JSON (10%)", "badjson=0.1", "");
}

TEST(FaultMatrixTest, TokenExpiryMidSweep) {
  RunningDaemon d;
  std::string error;
  ASSERT_TRUE(d.Start(Small({"--faults", "expire_token=0.05", "--seed", "5"}), &error)) << error;
  ASSERT_TRUE(d.WaitForSweeps("complete", 2, 120s)) << d.Log();
  const double tokens =
      MetricSum(d.Scrape(), "divaudit_api_requests_total", {"endpoint=\"/oauth/token\""});
  EXPECT_GE(tokens, 2);
  Finish(d, "token expiry mid-sweep (5%)", "complete (token refreshed)",
         "token requests=" + std::to_string(static_cast<int>(tokens)));
}

TEST(FaultMatrixTest, ForbiddenDivision) {
  RunningDaemon d;
  std::string error;
  ASSERT_TRUE(d.Start(Small(), &error)) << error;
  ASSERT_TRUE(d.WaitForSweeps("complete", 1, 60s)) << d.Log();
  const std::string hidden = NonHomeDivision(d.SimAdmin("GET", "/sim/org").body);
  ASSERT_FALSE(hidden.empty());
  ASSERT_EQ(d.SimAdmin("POST", "/sim/faults", R"({"forbid_division":")" + hidden + "\"}").status,
            200);
  ASSERT_TRUE(d.WaitForSweeps("partial", 1, 60s)) << d.Log();
  const double coverage =
      MetricValue(d.Scrape(), "divaudit_coverage_ratio{kind=\"divisions\"}").value_or(1);
  EXPECT_LT(coverage, 1.0);
  Finish(d, "forbidden division", "partial, coverage < 1",
         "coverage=" + std::to_string(coverage).substr(0, 4));
}

TEST(FaultMatrixTest, LatencyPastTheTimeout) {
  RunningDaemon d;
  RunningDaemon::Options o = Small({"--latency", "1500"});
  o.extra_config = "";
  std::string error;
  ASSERT_TRUE(d.SetupOnly(o, &error)) << error;
  // [genesys] timeout = "1s": every request times out.
  std::string text = ReadWholeFile(d.config_path());
  text.insert(text.find("[genesys]\n") + 10, "timeout = \"1s\"\n");
  std::ofstream(d.config_path(), std::ios::trunc) << text;
  ASSERT_TRUE(d.StartDaemon(&error)) << error;
  ASSERT_TRUE(d.WaitForSweeps("failed", 1, 180s)) << d.Log();
  EXPECT_EQ(d.Sweeps("complete"), 0);
  Finish(d, "latency 1.5 s past a 1 s timeout", "failed, retried later",
         "failed_total=" + std::to_string(static_cast<int>(d.Sweeps("failed"))));
}

TEST(FaultMatrixTest, SimulatorKilledMidSweepAndRestarted) {
  RunningDaemon d;
  std::string error;
  RunningDaemon::Options o = Small({"--latency", "150"});
  o.sim_args = {"--generate", "divisions=20,users=3000,seed=12", "--latency", "150"};
  ASSERT_TRUE(d.Start(o, &error)) << error;
  ASSERT_TRUE(WaitFor(
      [&] { return MetricValue(d.Scrape(), "divaudit_sweep_in_progress").value_or(0) == 1; }, 30s));
  std::this_thread::sleep_for(300ms);
  const int port = d.sim().port();
  d.sim().process().Signal(SIGKILL);
  d.sim().process().Wait(5s);
  ASSERT_TRUE(WaitFor([&] { return d.Sweeps("failed") + d.Sweeps("partial") >= 1; }, 120s))
      << d.Log();
  SimProcess restarted;
  ASSERT_TRUE(restarted.Start({"--listen", "127.0.0.1:" + std::to_string(port), "--generate",
                               "divisions=20,users=3000,seed=12"},
                              &error))
      << error;
  ASSERT_TRUE(d.WaitForSweeps("complete", 1, 180s)) << d.Log();
  Finish(d, "simulator killed mid-sweep, restarted", "failed/partial, then complete",
         "failed+partial=" +
             std::to_string(static_cast<int>(d.Sweeps("failed") + d.Sweeps("partial"))));
}

TEST(FaultMatrixTest, DatabaseBusy) {
  RunningDaemon d;
  std::string error;
  ASSERT_TRUE(d.Start(Small(), &error)) << error;
  ASSERT_TRUE(d.WaitForSweeps("complete", 1, 60s)) << d.Log();
  // Another process holds the write lock for 20 s: longer than a sweep's two 5 s busy waits
  // (when it begins its write, and again at its commit, which retries without the pending
  // write).
  ChildProcess locker;
  ASSERT_TRUE(locker.Start({"/usr/bin/python3", "-c",
                            "import sqlite3,sys,time\n"
                            "c=sqlite3.connect(sys.argv[1],isolation_level=None,timeout=30)\n"
                            "c.execute('BEGIN IMMEDIATE')\nprint('locked',flush=True)\n"
                            "time.sleep(20)\nc.execute('COMMIT')\n",
                            d.db_path()}));
  ASSERT_TRUE(locker.ReadLine(30s).has_value());
  const double failed_before = d.Sweeps("failed");
  ASSERT_TRUE(d.WaitForSweeps("failed", failed_before + 1, 60s)) << d.Log();
  EXPECT_NE(d.Log().find(d.db_path()), std::string::npos) << "the error must name the database";
  locker.Wait(30s);
  const double complete = d.Sweeps("complete");
  ASSERT_TRUE(d.WaitForSweeps("complete", complete + 1, 60s)) << d.Log();
  Finish(d, "SQLite busy (writer lock held 20 s)", "failed (not stored), then complete",
         "failed_total=" + std::to_string(static_cast<int>(d.Sweeps("failed"))));
}

TEST(FaultMatrixTest, DiskFull) {
  RunningDaemon d;
  std::string error;
  RunningDaemon::Options o = Small();
  o.sim_args = {"--generate", "divisions=20,users=2000,seed=13"};
  ASSERT_TRUE(d.SetupOnly(o, &error)) << error;
  // The file size limit (RLIMIT_FSIZE, 1 MiB) stands in for a full disk: the first sweep's
  // data cannot be written. SIGXFSZ is ignored so the write fails instead of killing us.
  ASSERT_TRUE(d.StartDaemon(
      &error, {"/bin/bash", "-c", "trap '' XFSZ; ulimit -f 1024; exec \"$@\"", "divaudit-limited"}))
      << error;
  ASSERT_TRUE(d.WaitForSweeps("failed", 1, 60s)) << d.Log();
  EXPECT_EQ(d.Sweeps("complete"), 0);
  Finish(d, "disk full (file size limit)", "failed, nothing stored",
         "failed_total=" + std::to_string(static_cast<int>(d.Sweeps("failed"))));
}

TEST(FaultMatrixTest, SigkillDuringCommit) {
  RunningDaemon d;
  std::string error;
  RunningDaemon::Options o = Small();
  o.sim_args = {"--generate", "divisions=30,users=6000,seed=14"};
  ASSERT_TRUE(d.SetupOnly(o, &error)) << error;
  std::mt19937 rng(14);
  int kills = 0;
  for (int round = 0; round < 4; ++round) {
    ASSERT_TRUE(d.StartDaemon(&error)) << error;
    // Kill while a sweep is running or committing, at a seeded random moment.
    ASSERT_TRUE(WaitFor(
        [&] { return MetricValue(d.Scrape(), "divaudit_sweep_in_progress").value_or(0) == 1; },
        60s));
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 900));
    d.daemon().Signal(SIGKILL);
    d.daemon().Wait(10s);
    ++kills;
    const auto verify = d.Divaudit({"verify", "--config", d.config_path()});
    EXPECT_EQ(verify.exit_code, 0) << "after kill " << kills << ": " << verify.out;
  }
  ASSERT_TRUE(d.StartDaemon(&error)) << error;
  ASSERT_TRUE(d.WaitForSweeps("complete", 1, 120s)) << d.Log();
  Finish(d, "SIGKILL of divaudit during sweep/commit (x4)", "restart cleanly, then complete",
         std::to_string(kills) + " kills");
}

}  // namespace
}  // namespace divaudit::testing
