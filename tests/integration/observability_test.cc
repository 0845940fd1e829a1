// Logs and the metrics endpoint of the real binaries, as an SRE ships and scrapes them:
// --log-format json lines with fields, millisecond timestamps, one sweep_done per sweep and a
// sweep_failed with its cause for every failed sweep; sub-second sweep durations; process_*
// metrics, the landing page and TLS on the daemon's endpoint.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <csignal>
#include <fstream>
#include <regex>
#include <sstream>

#include "tests/integration/daemon_harness.h"
#include "tests/integration/it_util.h"

namespace divaudit::testing {
namespace {

using namespace std::chrono_literals;

struct JsonLog {
  std::vector<std::string> lines;  // every line (each a JSON object)
  // The lines whose "event" is `event`, reparsed on demand by the caller.
  std::vector<std::string> Events(const std::string& event) const {
    std::vector<std::string> out;
    simdjson::dom::parser parser;
    for (const auto& line : lines) {
      simdjson::dom::element e;
      std::string_view ev;
      if (parser.parse(line).get(e) == simdjson::SUCCESS &&
          e["event"].get(ev) == simdjson::SUCCESS && ev == event) {
        out.push_back(line);
      }
    }
    return out;
  }
};

// Every stderr line must be a JSON object with ts (milliseconds), level, logger; none may carry
// the event vocabulary as one logfmt string in msg.
JsonLog ParseJsonLog(const std::string& stderr_text) {
  JsonLog log;
  std::istringstream in(stderr_text);
  std::string line;
  simdjson::dom::parser parser;
  static const std::regex ts_re(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  while (std::getline(in, line)) {
    // The command's own one-line error ("divaudit sweep: ...") is not a log record.
    if (line.empty() || line.rfind("divaudit ", 0) == 0) continue;
    simdjson::dom::element e;
    const auto parsed = parser.parse(line).get(e);
    EXPECT_EQ(parsed, simdjson::SUCCESS) << line;
    if (parsed != simdjson::SUCCESS) continue;
    std::string_view ts, level, logger, msg;
    EXPECT_EQ(e["ts"].get(ts), simdjson::SUCCESS) << line;
    EXPECT_TRUE(std::regex_match(std::string(ts), ts_re)) << line;
    EXPECT_EQ(e["level"].get(level), simdjson::SUCCESS) << line;
    EXPECT_EQ(e["logger"].get(logger), simdjson::SUCCESS) << line;
    if (e["msg"].get(msg) == simdjson::SUCCESS) {
      EXPECT_EQ(msg.find("event="), std::string_view::npos) << "logfmt left in msg: " << line;
    }
    log.lines.push_back(line);
  }
  return log;
}

// The sweep_done lines: exactly one per sweep, with its duration (genesys/'s sweeper logs
// `sweep_read` when it has read the org).
std::vector<std::string> DaemonSweepDone(const JsonLog& log) {
  std::vector<std::string> out = log.Events("sweep_done");
  for (const auto& line : out) {
    EXPECT_NE(line.find("\"duration_ms\":"), std::string::npos) << line;
  }
  return out;
}

TEST(ObservabilityTest, JsonLogOfASweepHasFieldsAndOneSweepDone) {
  RunningDaemon d;
  std::string error;
  ASSERT_TRUE(d.SetupOnly({}, &error)) << error;
  const auto r = d.Divaudit({"--log-format", "json", "sweep", "--config", d.config_path()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const JsonLog log = ParseJsonLog(r.err);
  const auto done = DaemonSweepDone(log);
  ASSERT_EQ(done.size(), 1u) << r.err;
  simdjson::dom::parser parser;
  simdjson::dom::element e = parser.parse(done.front());
  EXPECT_EQ(std::string_view(e["status"]), "complete");
  EXPECT_GE(int64_t(e["sweep_id"]), 1);
  EXPECT_GT(int64_t(e["requests"]), 0);
  // duration_ms: a number, sub-second resolution (the simulator sweep takes well under 60 s).
  double duration_ms = 0;
  ASSERT_EQ(e["duration_ms"].get(duration_ms), simdjson::SUCCESS) << done.front();
  EXPECT_GT(duration_ms, 0);
  EXPECT_LT(duration_ms, 60'000);
  EXPECT_TRUE(log.Events("sweep_failed").empty());
}

TEST(ObservabilityTest, EveryFailedSweepLogsSweepFailedWithItsCause) {
  RunningDaemon d;
  std::string error;
  ASSERT_TRUE(d.SetupOnly({}, &error)) << error;
  // The API is gone: the token request fails (a network failure, committed as a failed sweep).
  d.sim().process().Signal(SIGKILL);
  d.sim().process().Wait(10s);
  const auto r = d.Divaudit({"--log-format", "json", "sweep", "--config", d.config_path()});
  EXPECT_NE(r.exit_code, 0) << r.err;
  const JsonLog log = ParseJsonLog(r.err);
  const auto failed = log.Events("sweep_failed");
  ASSERT_EQ(failed.size(), 1u) << r.err;
  simdjson::dom::parser parser;
  simdjson::dom::element e = parser.parse(failed.front());
  std::string_view err;
  ASSERT_EQ(e["err"].get(err), simdjson::SUCCESS) << failed.front();
  EXPECT_FALSE(err.empty());
  EXPECT_NE(err, "unknown cause") << failed.front();
  const auto done = DaemonSweepDone(log);
  ASSERT_EQ(done.size(), 1u) << r.err;
  EXPECT_NE(done.front().find("\"status\":\"failed\""), std::string::npos) << done.front();
}

TEST(ObservabilityTest, DaemonLogsFailuresMeasuresSubSecondAndServesProcessMetrics) {
  RunningDaemon d;
  RunningDaemon::Options options;
  options.sim_args = {"--generate", "divisions=10,users=300,seed=11"};
  options.interval = "1s";
  std::string error;
  ASSERT_TRUE(d.Start(options, &error)) << error;
  ASSERT_TRUE(d.WaitForSweeps("complete", 2, 60s)) << d.Log();

  const std::string text = d.Scrape();
  const double count = MetricValue(text, "divaudit_sweep_duration_seconds_count").value_or(0);
  const double sum = MetricValue(text, "divaudit_sweep_duration_seconds_sum").value_or(0);
  EXPECT_GE(count, 2);
  EXPECT_GT(sum, 0) << "durations measured in whole seconds would sum to 0 here";
  EXPECT_LT(sum, count * 30);
  EXPECT_GT(MetricValue(text, "process_resident_memory_bytes").value_or(0), 1 << 20);
  EXPECT_GT(MetricValue(text, "process_open_fds").value_or(0), 2);
  EXPECT_EQ(text.find("exposer_"), std::string::npos);
  EXPECT_NE(text.find("divaudit_org_info{"), std::string::npos) << text;
  const auto landing =
      HttpRequest("GET", "http://127.0.0.1:" + std::to_string(d.metrics_port()) + "/");
  EXPECT_EQ(landing.status, 200);
  EXPECT_NE(landing.body.find("href=\"metrics\""), std::string::npos) << landing.body;

  // The API goes away: the next sweeps fail, each logged with its cause.
  d.sim().process().Signal(SIGKILL);
  d.sim().process().Wait(10s);
  ASSERT_TRUE(d.WaitForSweeps("failed", 1, 60s)) << d.Log();
  ASSERT_TRUE(WaitFor([&] { return d.Log().find("event=sweep_failed") != std::string::npos; }, 10s))
      << d.Log();
  const std::string log = d.Log();
  static const std::regex failed_re(R"(event=sweep_failed sweep_id=\d+ err="[^"]+")");
  EXPECT_TRUE(std::regex_search(log, failed_re)) << log;
}

TEST(ObservabilityTest, DaemonServesMetricsOverTls) {
  if (std::system("command -v openssl >/dev/null && command -v curl >/dev/null") != 0) {
    GTEST_SKIP() << "openssl or curl not installed";
  }
  RunningDaemon d;
  std::string error;
  ASSERT_TRUE(d.SetupOnly({}, &error)) << error;
  const std::string dir = d.dir().File("tls");
  const std::string make_cert =
      "set -e; mkdir -p " + dir + "; cd " + dir +
      "; openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 "
      "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null";
  ASSERT_EQ(std::system(make_cert.c_str()), 0);
  std::string text = ReadWholeFile(d.config_path());
  const std::string tls =
      "tls_cert_file = \"" + dir + "/cert.pem\"\ntls_key_file = \"" + dir + "/key.pem\"\n";
  const size_t metrics = text.find("[metrics]\n");
  if (metrics == std::string::npos) {
    text += "\n[metrics]\nlisten = \"127.0.0.1:0\"\n" + tls;
  } else {
    text.insert(metrics + 10, tls);
  }
  std::ofstream(d.config_path(), std::ios::trunc) << text;
  ASSERT_TRUE(d.StartDaemon(&error)) << error;
  EXPECT_NE(d.Log().find("tls=true"), std::string::npos) << d.Log();
  const std::string url = "https://127.0.0.1:" + std::to_string(d.metrics_port()) + "/metrics";
  const auto r = RunCommand({"/bin/sh", "-c", "exec \"$0\" \"$@\"", "curl", "-sS", "--max-time",
                             "10", "--cacert", dir + "/cert.pem", url});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("divaudit_build_info"), std::string::npos) << r.out;
  // Plain HTTP on the TLS port serves no metrics.
  EXPECT_EQ(d.Scrape().find("divaudit_build_info"), std::string::npos);
}

}  // namespace
}  // namespace divaudit::testing
