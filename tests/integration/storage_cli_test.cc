// The database under an operator's hands, through the real binary: read-only commands on a
// missing path, a symlinked path and a read-only copy; verify --expect-head against the logged
// chain hash; one writer at a time; a database deleted under a running daemon.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "tests/integration/daemon_harness.h"
#include "tests/integration/it_util.h"

namespace divaudit::testing {
namespace {

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// A copy of the daemon's config whose [storage] path is `db`.
std::string ConfigWithDb(RunningDaemon& d, const std::string& name, const std::string& db) {
  std::string text = ReadWholeFile(d.config_path());
  size_t pos = text.find(d.db_path());
  EXPECT_NE(pos, std::string::npos);
  if (pos != std::string::npos) text.replace(pos, d.db_path().size(), db);
  const std::string path = d.dir().File(name);
  std::ofstream(path, std::ios::trunc) << text;
  return path;
}

std::vector<std::string> Listing(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(StorageCliTest, ReadOnlyCommandsOnAMissingDatabaseFailAndCreateNothing) {
  RunningDaemon d;
  std::string error;
  ASSERT_TRUE(d.SetupOnly({}, &error)) << error;
  const std::vector<std::vector<std::string>> commands = {
      {"verify", "--config", d.config_path()},
      {"findings", "--config", d.config_path()},
      {"diff", "--config", d.config_path()},
      {"report", "--config", d.config_path(), "--all-tenants", "--out", d.dir().File("r")},
  };
  for (const auto& args : commands) {
    const auto r = d.Divaudit(args);
    EXPECT_EQ(r.exit_code, 1) << args[0] << ": " << r.out << r.err;
    EXPECT_TRUE(Contains(r.err, "no database at " + d.db_path())) << args[0] << ": " << r.err;
    EXPECT_FALSE(std::filesystem::exists(d.db_path())) << args[0];
    EXPECT_FALSE(std::filesystem::exists(d.db_path() + ".lock")) << args[0];
  }
}

TEST(StorageCliTest, VerifyRefusesASymlinkedDatabaseAndLeavesItsTargetAlone) {
  RunningDaemon d;
  std::string error;
  ASSERT_TRUE(d.SetupOnly({}, &error)) << error;
  const std::string target = d.dir().File("elsewhere");
  std::ofstream(target) << "not yours";
  ASSERT_EQ(::chmod(target.c_str(), 0644), 0);
  ASSERT_EQ(::symlink(target.c_str(), d.db_path().c_str()), 0);
  for (const char* command : {"verify", "sweep"}) {
    const auto r = d.Divaudit({command, "--config", d.config_path()});
    EXPECT_EQ(r.exit_code, 1) << command << ": " << r.err;
    EXPECT_TRUE(Contains(r.err, "symbolic link")) << command << ": " << r.err;
    struct stat st {};
    ASSERT_EQ(::stat(target.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0644u) << command;
    EXPECT_EQ(ReadWholeFile(target), "not yours") << command;
  }
}

TEST(StorageCliTest, VerifyExpectHeadMatchesTheLoggedChainHash) {
  RunningDaemon d;
  std::string error;
  ASSERT_TRUE(d.SetupOnly({}, &error)) << error;
  const auto sweep = d.Divaudit({"sweep", "--config", d.config_path()});
  ASSERT_EQ(sweep.exit_code, 0) << sweep.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(sweep.err, m,
                                std::regex("event=sweep_committed .*content_hash=([0-9a-f]{64})")))
      << sweep.err;
  const std::string head = m[1];
  const auto ok = d.Divaudit({"verify", "--config", d.config_path(), "--expect-head", head});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_TRUE(Contains(ok.out, "head: " + head)) << ok.out;
  const auto bad =
      d.Divaudit({"verify", "--config", d.config_path(), "--expect-head", std::string(64, '0')});
  EXPECT_EQ(bad.exit_code, 1) << bad.out << bad.err;
  EXPECT_TRUE(Contains(bad.out, "expected " + std::string(64, '0'))) << bad.out;
}

// An auditor's copy in a directory nobody writes: read-only commands work and change nothing.
// (Tests may run as root, which ignores permission bits: what this proves is that no file in
// the directory is created or modified — the condition for read-only media — not the EROFS
// path itself.)
TEST(StorageCliTest, ReadOnlyCommandsWorkOnACopyAndChangeNothing) {
  RunningDaemon d;
  std::string error;
  ASSERT_TRUE(d.SetupOnly({}, &error)) << error;
  for (int i = 0; i < 2; ++i) {
    const auto sweep = d.Divaudit({"sweep", "--config", d.config_path()});
    ASSERT_EQ(sweep.exit_code, 0) << sweep.err;
  }
  const std::string copy_dir = d.dir().File("auditor");
  std::filesystem::create_directory(copy_dir);
  const std::string copy = copy_dir + "/divaudit.db";
  std::filesystem::copy_file(d.db_path(), copy);
  ASSERT_EQ(::chmod(copy.c_str(), 0444), 0);
  ASSERT_EQ(::chmod(copy_dir.c_str(), 0555), 0);
  struct stat before {};
  ASSERT_EQ(::stat(copy.c_str(), &before), 0);
  const std::string config = ConfigWithDb(d, "auditor.toml", copy);
  const std::vector<std::vector<std::string>> commands = {
      {"verify", "--config", config},
      {"findings", "--config", config, "--state", "all"},
      {"diff", "--config", config},
      {"report", "--config", config, "--all-tenants", "--out", d.dir().File("reports")},
  };
  for (const auto& args : commands) {
    const auto r = d.Divaudit(args);
    EXPECT_EQ(r.exit_code, 0) << args[0] << ": " << r.out << r.err;
    EXPECT_EQ(Listing(copy_dir), std::vector<std::string>{"divaudit.db"}) << args[0];
    struct stat after {};
    ASSERT_EQ(::stat(copy.c_str(), &after), 0);
    EXPECT_EQ(after.st_size, before.st_size) << args[0];
    EXPECT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec) << args[0];
    EXPECT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec) << args[0];
    EXPECT_EQ(after.st_mode & 07777, 0444u) << args[0];
  }
  ::chmod(copy_dir.c_str(), 0755);
}

TEST(StorageCliTest, ASecondWriterSaysWhoHoldsTheLockAndReadersStillWork) {
  RunningDaemon d;
  std::string error;
  ASSERT_TRUE(d.Start({}, &error)) << error;
  ASSERT_TRUE(d.WaitForSweeps("complete", 1, std::chrono::seconds(60))) << d.Log();
  const auto second = d.Divaudit({"sweep", "--config", d.config_path()});
  EXPECT_EQ(second.exit_code, 1) << second.err;
  EXPECT_TRUE(Contains(second.err, "database " + d.db_path() + " is locked by pid ")) << second.err;
  EXPECT_TRUE(Contains(second.err, "divaudit run")) << second.err;
  const auto reader = d.Divaudit({"verify", "--config", d.config_path()});
  EXPECT_EQ(reader.exit_code, 0) << reader.out << reader.err;
}

// Failure 2: the database deleted under a running daemon: the next sweep fails loudly naming
// the path, nothing is logged as committed after the deletion, and the daemon stops with exit
// 1 (no later sweep could commit into the unlinked file; systemd restarts it on a new file).
TEST(StorageCliTest, DatabaseDeletedUnderARunningDaemonFailsTheNextSweepLoudly) {
  RunningDaemon d;
  std::string error;
  ASSERT_TRUE(d.Start({}, &error)) << error;
  ASSERT_TRUE(d.WaitForSweeps("complete", 1, std::chrono::seconds(60))) << d.Log();
  std::filesystem::remove(d.db_path());
  ASSERT_TRUE(WaitFor([&] { return Contains(d.Log(), "was deleted while divaudit had it open"); },
                      std::chrono::seconds(60)))
      << d.Log();
  const std::optional<int> exit_code = d.daemon().Wait(std::chrono::seconds(60));
  ASSERT_TRUE(exit_code.has_value()) << "the daemon kept running: " << d.Log();
  EXPECT_EQ(*exit_code, 1) << d.Log();
  const std::string log = d.Log();
  EXPECT_TRUE(Contains(log, "event=stopping_fatal")) << log;
  const size_t failure = log.find("was deleted while divaudit had it open");
  EXPECT_TRUE(Contains(log.substr(failure > 300 ? failure - 300 : 0), d.db_path())) << log;
  // Nothing pretends to be committed after the deletion was noticed.
  EXPECT_EQ(log.find("event=sweep_committed", failure), std::string::npos) << log;
}

}  // namespace
}  // namespace divaudit::testing
