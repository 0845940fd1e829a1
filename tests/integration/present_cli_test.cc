// Presentation and operator-safety behaviour of the real binaries (issues 12, 13, 18): hostile
// names from the org through every output, `findings --tenant` typos, overlapping tenant patterns
// caught before use (check-config --online, reload), user signals, report periods and directory
// modes, `demo --dir` on a real installation.
#include <gtest/gtest.h>
#include <simdjson.h>
#include <sys/stat.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/integration/daemon_harness.h"
#include "tests/integration/it_util.h"

namespace divaudit::testing {
namespace {

using namespace std::chrono_literals;

// A user name (=HYPERLINK("http://evil")<U+202E>gpj.exe<BEL><script>alert(1)</script>) and a
// division/tenant name built to attack each output: a spreadsheet formula, a
// right-to-left override (U+202E) that reverses what follows, BEL and SOH control characters and
// an HTML script tag.
const std::string kHostileTenant = "@Globex\u202E\x01<script>t</script>";

std::string Fixture() {
  // JSON escapes of the hostile names (control characters as \u00XX).
  const std::string user =
      R"(=HYPERLINK(\"http://evil\")\u202egpj.exe\u0007<script>alert(1)</script>)";
  const std::string tenant = R"(@Globex\u202e\u0001<script>t</script>)";
  return R"({
 "divisions": [
  {"id": "d0000000-0000-4000-8000-000000000000", "name": "Home", "homeDivision": true},
  {"id": "d1111111-1111-4111-8111-111111111111", "name": "Acme Retail"},
  {"id": "d2222222-2222-4222-8222-222222222222", "name": ")" +
         tenant + R"("}],
 "roles": [{"id": "r1111111-1111-4111-8111-111111111111", "name": "Contact Center Agent"}],
 "users": [
  {"id": "u1111111-1111-4111-8111-111111111111", "name": ")" +
         user + R"(",
   "divisionId": "d1111111-1111-4111-8111-111111111111"}],
 "grants": [
  {"subjectType": "PC_USER", "subjectId": "u1111111-1111-4111-8111-111111111111",
   "roleId": "r1111111-1111-4111-8111-111111111111",
   "divisionId": "d2222222-2222-4222-8222-222222222222"}],
 "policy": {"tenants": [{"name": "Acme Retail", "divisions": ["Acme Retail"]},
                        {"name": ")" +
         tenant + R"(", "divisions": ["d2222222-2222-4222-8222-222222222222"]}],
            "sharedDivisions": ["Home"]}})";
}

// No character that changes how the text around it is displayed.
void ExpectDisplaySafe(const std::string& text, const std::string& what) {
  EXPECT_EQ(text.find("\u202E"), std::string::npos) << what << ": bidi override";
  EXPECT_EQ(text.find('\x07'), std::string::npos) << what << ": BEL";
  EXPECT_EQ(text.find('\x01'), std::string::npos) << what << ": SOH";
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << what << ": ESC";
}

// RFC 4180 cells of a CSV text.
std::vector<std::string> CsvCells(const std::string& csv) {
  std::vector<std::string> cells(1);
  bool quoted = false;
  for (size_t i = 0; i < csv.size(); ++i) {
    const char c = csv[i];
    if (quoted) {
      if (c == '"' && i + 1 < csv.size() && csv[i + 1] == '"') {
        cells.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cells.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',' || c == '\n') {
      cells.emplace_back();
    } else if (c != '\r') {
      cells.back() += c;
    }
  }
  return cells;
}

void ExpectSafeCsv(const std::string& csv, const std::string& what) {
  ExpectDisplaySafe(csv, what);
  bool saw_user = false;
  for (const auto& cell : CsvCells(csv)) {
    ASSERT_FALSE(!cell.empty() && (cell[0] == '=' || cell[0] == '+' || cell[0] == '-' ||
                                   cell[0] == '@' || cell[0] == '\t' || cell[0] == '\r'))
        << what << ": formula cell " << cell;
    saw_user = saw_user || cell.rfind("'=HYPERLINK", 0) == 0;
  }
  EXPECT_TRUE(saw_user) << what << " lacks the neutralised user name:\n" << csv;
}

void ExpectJsonKeepsTheName(const std::string& json, const std::string& what) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << what << ": " << json;
  for (unsigned char c : json) {
    ASSERT_TRUE(c >= 0x20 || c == '\n') << what << ": raw control character in JSON";
  }
  // JSON is data: the name reads back exactly as the org holds it.
  EXPECT_NE(json.find(R"(=HYPERLINK(\"http://evil\"))"), std::string::npos) << what;
  EXPECT_NE(json.find("gpj.exe\\u0007<script>alert(1)</script>"), std::string::npos) << what;
}

TEST(PresentCliTest, HostileNamesAreNeutralisedInEveryOutput) {
  RunningDaemon d;
  std::ofstream(d.dir().File("org.json")) << Fixture();
  RunningDaemon::Options options;
  options.sim_args = {"--org", d.dir().File("org.json")};
  std::string error;
  ASSERT_TRUE(d.SetupOnly(options, &error)) << error;
  const std::string& config = d.config_path();

  const auto sweep = d.Divaudit({"sweep", "--config", config, "--json"});
  ASSERT_EQ(sweep.exit_code, 0) << sweep.err;
  ExpectJsonKeepsTheName(sweep.out, "sweep --json");

  const auto table = d.Divaudit({"findings", "--config", config});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  ExpectDisplaySafe(table.out, "findings table");
  EXPECT_NE(table.out.find("user:=HYPERLINK(\"http://evil\")\uFFFDgpj..."), std::string::npos)
      << table.out;
  const auto csv = d.Divaudit({"findings", "--config", config, "--format", "csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  ExpectSafeCsv(csv.out, "findings csv");
  const auto json = d.Divaudit({"findings", "--config", config, "--format", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  ExpectJsonKeepsTheName(json.out, "findings json");

  const std::string html_path = d.dir().File("r.html");
  const auto html = d.Divaudit({"report", "--config", config, "--tenant", kHostileTenant,
                                "--format", "html", "--out", html_path});
  ASSERT_EQ(html.exit_code, 0) << html.err;
  const std::string page = ReadWholeFile(html_path);
  ExpectDisplaySafe(page, "report html");
  EXPECT_EQ(page.find("<script>"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(page.find("gpj.exe&#xFFFD;&lt;script&gt;"), std::string::npos);  // BEL → U+FFFD

  const std::string csv_dir = d.dir().File("r-csv");
  const auto rcsv = d.Divaudit({"report", "--config", config, "--tenant", kHostileTenant,
                                "--format", "csv", "--out", csv_dir});
  ASSERT_EQ(rcsv.exit_code, 0) << rcsv.err;
  std::string all_csv;
  for (const auto& e : std::filesystem::directory_iterator(csv_dir)) {
    const std::string text = ReadWholeFile(e.path().string());
    ExpectDisplaySafe(text, e.path().filename().string());
    for (const auto& cell : CsvCells(text)) {
      ASSERT_FALSE(!cell.empty() && (cell[0] == '=' || cell[0] == '+' || cell[0] == '-' ||
                                     cell[0] == '@' || cell[0] == '\t'))
          << e.path() << ": formula cell " << cell;
    }
    all_csv += text;
  }
  EXPECT_NE(all_csv.find("'=HYPERLINK"), std::string::npos) << all_csv;

  const std::string rjson_path = d.dir().File("r.json");
  const auto rjson = d.Divaudit({"report", "--config", config, "--tenant", kHostileTenant,
                                 "--format", "json", "--out", rjson_path});
  ASSERT_EQ(rjson.exit_code, 0) << rjson.err;
  ExpectJsonKeepsTheName(ReadWholeFile(rjson_path), "report json");

  // Metric label values (the tenant label carries the hostile tenant name).
  ASSERT_TRUE(d.StartDaemon(&error)) << error;
  ASSERT_TRUE(d.WaitForSweeps("complete", 1, 60s)) << d.Log();
  const std::string metrics = d.Scrape();
  ExpectDisplaySafe(metrics, "metrics");
  EXPECT_NE(metrics.find("tenant=\"@Globex\uFFFD\uFFFD<script>t</script>\""), std::string::npos)
      << metrics;
}

TEST(PresentCliTest, FindingsTenantTypoNamesTheClosestTenant) {
  RunningDaemon d;
  std::ofstream(d.dir().File("org.json")) << Fixture();
  RunningDaemon::Options options;
  options.sim_args = {"--org", d.dir().File("org.json")};
  std::string error;
  ASSERT_TRUE(d.SetupOnly(options, &error)) << error;
  ASSERT_EQ(d.Divaudit({"sweep", "--config", d.config_path()}).exit_code, 0);
  const auto typo =
      d.Divaudit({"findings", "--config", d.config_path(), "--tenant", "Acme Retial"});
  EXPECT_EQ(typo.exit_code, 2) << typo.out;
  EXPECT_TRUE(typo.out.empty()) << typo.out;
  EXPECT_NE(typo.err.find("unknown tenant \"Acme Retial\" (did you mean \"Acme Retail\"?)"),
            std::string::npos)
      << typo.err;
  EXPECT_EQ(std::count(typo.err.begin(), typo.err.end(), '\n'), 1) << typo.err;
  const auto right =
      d.Divaudit({"findings", "--config", d.config_path(), "--tenant", "Acme Retail"});
  EXPECT_EQ(right.exit_code, 0) << right.err;
  EXPECT_NE(right.out.find("1 finding"), std::string::npos) << right.out;
}

constexpr char kOverlap[] = "\n[[tenant]]\nname = \"Overlap\"\ndivisions = [\"Acme Retail\"]\n";

TEST(PresentCliTest, OverlappingTenantsAreRejectedByCheckConfigOnlineAndByReload) {
  RunningDaemon d;
  std::ofstream(d.dir().File("org.json")) << Fixture();
  RunningDaemon::Options options;
  options.sim_args = {"--org", d.dir().File("org.json")};
  std::string error;
  ASSERT_TRUE(d.Start(options, &error)) << error;
  ASSERT_TRUE(d.WaitForSweeps("complete", 1, 60s)) << d.Log();
  const std::string good = ReadWholeFile(d.config_path());

  // SIGUSR1/SIGUSR2 no longer end the daemon silently.
  ASSERT_TRUE(d.daemon().Signal(SIGUSR1));
  ASSERT_TRUE(d.daemon().Signal(SIGUSR2));
  ASSERT_TRUE(WaitFor([&] { return d.Log().find("signal=SIGUSR2") != std::string::npos; }, 10s))
      << d.Log();
  EXPECT_TRUE(d.daemon().running());
  EXPECT_NE(d.Log().find("event=signal_ignored signal=SIGUSR1"), std::string::npos);

  std::ofstream(d.config_path(), std::ios::app) << kOverlap;
  const auto check = d.Divaudit({"check-config", "--config", d.config_path(), "--online"});
  EXPECT_EQ(check.exit_code, 2) << check.out << check.err;
  EXPECT_NE(check.err.find("[[tenant]]"), std::string::npos) << check.err;
  EXPECT_NE(check.err.find("Overlap"), std::string::npos) << check.err;

  ASSERT_TRUE(d.daemon().Signal(SIGHUP));
  ASSERT_TRUE(WaitFor(
      [&] { return d.Log().find("event=reload status=rejected") != std::string::npos; }, 10s))
      << d.Log();
  EXPECT_NE(d.Log().find("[[tenant]]"), std::string::npos) << d.Log();
  // The old configuration stays in use: the next sweeps still complete.
  const double before = d.Sweeps("complete");
  ASSERT_TRUE(d.WaitForSweeps("complete", before + 1, 60s)) << d.Log();
  EXPECT_EQ(d.Sweeps("failed"), 0) << d.Log();
  std::ofstream(d.config_path(), std::ios::trunc) << good;
}

TEST(PresentCliTest, ReportPeriodInTheFutureIsAnErrorAndDirectoriesAre0750) {
  RunningDaemon d;
  std::ofstream(d.dir().File("org.json")) << Fixture();
  RunningDaemon::Options options;
  options.sim_args = {"--org", d.dir().File("org.json")};
  std::string error;
  ASSERT_TRUE(d.SetupOnly(options, &error)) << error;
  ASSERT_EQ(d.Divaudit({"sweep", "--config", d.config_path()}).exit_code, 0);
  const auto future = d.Divaudit({"report", "--config", d.config_path(), "--tenant", "Acme Retail",
                                  "--from", "2099-01-01", "--to", "2099-01-31", "--format", "json",
                                  "--out", d.dir().File("f.json")});
  EXPECT_EQ(future.exit_code, 2) << future.err;
  EXPECT_NE(future.err.find("in the future"), std::string::npos) << future.err;
  EXPECT_FALSE(std::filesystem::exists(d.dir().File("f.json")));

  const std::string out = d.dir().File("reports/nested");
  const auto r =
      RunCommand({"/bin/sh", "-c", "umask 000; exec \"$0\" \"$@\"", DivauditBinary(), "report",
                  "--config", d.config_path(), "--all-tenants", "--format", "csv", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::string& dir : {d.dir().File("reports"), out}) {
    struct stat st {};
    ASSERT_EQ(::stat(dir.c_str(), &st), 0) << dir;
    EXPECT_EQ(st.st_mode & 0777, 0750u) << dir;
  }
  for (const auto& e : std::filesystem::directory_iterator(out)) {
    struct stat st {};
    ASSERT_EQ(::stat(e.path().c_str(), &st), 0);
    if (S_ISDIR(st.st_mode)) {
      EXPECT_EQ(st.st_mode & 0777, 0750u) << e.path();
    }
  }
}

// Issue 12 failure 6: `divaudit demo --dir` on a real installation overwrote its config and
// client secret. Now it refuses, whatever the flags, and changes nothing.
TEST(PresentCliTest, DemoRefusesADirectoryItDidNotCreate) {
  TempDir dir;
  const std::string config = "[genesys]\nclient_id = \"production\"\n";
  std::ofstream(dir.File("divaudit.toml")) << config;
  std::ofstream(dir.File("client-secret")) << "real-secret\n";
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{}, std::vector<std::string>{"--keep-running"}}) {
    std::vector<std::string> argv = {DivauditBinary(), "demo", "--dir", dir.path(), "--port", "0"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    const auto r = RunCommand(argv, {}, 60s);
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find("refusing a directory the demo did not create"), std::string::npos)
        << r.err;
    EXPECT_EQ(ReadWholeFile(dir.File("divaudit.toml")), config);
    EXPECT_EQ(ReadWholeFile(dir.File("client-secret")), "real-secret\n");
    EXPECT_FALSE(std::filesystem::exists(dir.File("divaudit.db")));
  }
}

// The demo's org shows at least one finding of each v2 rule (issue 14).
TEST(PresentCliTest, DemoShowsEveryV2Finding) {
  TempDir dir;
  const auto r = RunCommand(
      {DivauditBinary(), "demo", "--dir", dir.File("demo"), "--port", "0", "--users", "200"}, {},
      120s);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* rule : {"grant_guardrail_off", "org_wide_permission", "cross_tenant_queue"}) {
    EXPECT_NE(r.out.find(std::string(rule) + " "), std::string::npos) << rule << "\n" << r.out;
  }
}

}  // namespace
}  // namespace divaudit::testing
