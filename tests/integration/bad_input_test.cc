// Bad input everywhere (issue 8): one clear line on stderr and a non-zero exit, never a crash —
// CLI arguments, configuration files, a database from the future, a corrupted database file.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>

#include "tests/integration/daemon_harness.h"
#include "tests/integration/it_util.h"

namespace divaudit::testing {
namespace {

using namespace std::chrono_literals;

void ExpectOneLineError(const CommandResult& r, int exit_code, const std::string& must_contain,
                        const std::string& what) {
  EXPECT_EQ(r.exit_code, exit_code) << what << ": " << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << what << ": " << r.err;
  EXPECT_NE(r.err.find(must_contain), std::string::npos) << what << ": " << r.err;
  EXPECT_TRUE(r.out.empty()) << what << ": " << r.out;
}

TEST(BadInputTest, CommandLineErrorsAreOneLineAndExit2) {
  const std::string bin = DivauditBinary();
  ExpectOneLineError(RunCommand({bin}), 2, "subcommand", "no subcommand");
  ExpectOneLineError(RunCommand({bin, "frobnicate"}), 2, "frobnicate", "unknown subcommand");
  ExpectOneLineError(RunCommand({bin, "sweep"}), 2, "--config", "missing --config");
  ExpectOneLineError(RunCommand({bin, "sweep", "--confg", "x.toml"}), 2,
                     "unknown option '--confg' (did you mean --config?)", "mistyped option");
  ExpectOneLineError(RunCommand({bin, "findings", "--config", "x", "--stat=open"}), 2,
                     "unknown option '--stat' (did you mean --state?)", "mistyped option with =");
  ExpectOneLineError(RunCommand({bin, "--verbose", "verify", "--config", "x"}), 2,
                     "unknown option '--verbose'", "unknown global option");
  ExpectOneLineError(RunCommand({bin, "findings", "--config", "x", "--state", "closed"}), 2,
                     "closed", "bad --state");
  ExpectOneLineError(RunCommand({bin, "findings", "--config", "x", "--format", "xml"}), 2, "xml",
                     "bad --format");
  ExpectOneLineError(RunCommand({bin, "diff", "--config", "x", "--from", "abc"}), 2, "abc",
                     "non-numeric --from");
  ExpectOneLineError(RunCommand({bin, "report", "--config", "x", "--out", "o"}), 2, "--tenant",
                     "report without a tenant");
  ExpectOneLineError(RunCommand({bin, "--log-level", "loud", "verify", "--config", "x"}), 2, "loud",
                     "bad --log-level");
  ExpectOneLineError(RunCommand({bin, "sweep", "--config", "/nonexistent/divaudit.toml"}), 2,
                     "/nonexistent/divaudit.toml", "missing config file");
  const auto help = RunCommand({bin, "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Exit codes"), std::string::npos);
}

TEST(BadInputTest, BrokenConfigFilesNameFileLineAndKey) {
  TempDir dir;
  const std::string path = dir.File("divaudit.toml");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[genesys\n", "divaudit.toml:1"},
      {"[genesys]\nclient_id = \"x\"\nmax_concurrency = 0\n", "max_concurrency"},
      {"[genesys]\nclient_id = \"x\"\nregion = \"mars-1\"\n", "region"},
      {"[genesys]\nclient_id = \"x\"\n[schedule]\ninterval = \"soon\"\n", "interval"},
      {"[genesys]\nclient_id = \"x\"\n[[tenant]]\nname = \"A\"\ndivisions = []\n", "divisions"},
      {"[genesys]\nclient_id = \"x\"\n[[exception]]\nrule = \"nope\"\n", "rule"},
      {"[genesys]\nclient_id = \"x\"\ncolour = \"blue\"\n", "colour"},
  };
  for (const auto& [text, needle] : cases) {
    std::ofstream(path, std::ios::trunc) << text;
    const auto r = RunCommand({DivauditBinary(), "check-config", "--config", path},
                              {{"DIVAUDIT_CLIENT_SECRET", "s"}});
    ExpectOneLineError(r, 2, needle, text);
    EXPECT_NE(r.err.find("divaudit.toml:"), std::string::npos) << r.err;
  }
}

TEST(BadInputTest, DatabaseFromTheFutureAndCorruptDatabaseAreRefusedCleanly) {
  RunningDaemon d;
  std::string error;
  ASSERT_TRUE(d.SetupOnly({}, &error)) << error;
  const auto first = d.Divaudit({"sweep", "--config", d.config_path()});
  ASSERT_EQ(first.exit_code, 0) << first.err;

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(d.db_path().c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 999", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  for (const char* cmd : {"sweep", "verify", "findings"}) {
    const auto r = d.Divaudit({cmd, "--config", d.config_path()});
    ExpectOneLineError(r, 1, "999", std::string("future schema: ") + cmd);
  }

  // Garbage over the database file.
  {
    std::ofstream(d.db_path() + "-wal", std::ios::trunc);
    std::ofstream(d.db_path() + "-shm", std::ios::trunc);
    std::ofstream out(d.db_path(), std::ios::trunc | std::ios::binary);
    for (int i = 0; i < 10000; ++i) out << "not a database ";
  }
  for (const char* cmd : {"sweep", "verify", "findings", "diff"}) {
    const auto r = d.Divaudit({cmd, "--config", d.config_path()});
    ExpectOneLineError(r, 1, d.db_path(), std::string("corrupt database: ") + cmd);
  }
}

}  // namespace
}  // namespace divaudit::testing
