// Crash safety (docs/storage.md): a writer SIGKILLed at random points never leaves a database
// that fails integrity_check or Verify, and the next commit works.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>

#include "common/clock.h"
#include "storage/sqlite_snapshot_store.h"
#include "tests/storage/store_test_util.h"

namespace divaudit::storage {
namespace {

using testing::MakeFinding;
using testing::MakeInfo;
using testing::MakeOrg;
using testing::RawDb;
using testing::TempDir;

void KillSelf(int) { ::kill(::getpid(), SIGKILL); }

// Child: commits mutating sweeps forever until the armed timer kills it.
[[noreturn]] void CommitForever(const std::string& path, int64_t usec, uint32_t seed) {
  struct sigaction sa {};
  sa.sa_handler = KillSelf;
  ::sigaction(SIGALRM, &sa, nullptr);
  itimerval timer{};
  timer.it_value.tv_sec = usec / 1000000;
  timer.it_value.tv_usec = usec % 1000000;
  ::setitimer(ITIMER_REAL, &timer, nullptr);
  FakeClock clock;
  auto store = SqliteSnapshotStore::Open(path, clock);
  if (!store.ok()) ::_exit(3);
  testing::OrgShape shape;
  shape.users = 200;
  shape.seed = seed;
  auto org = MakeOrg(shape);
  std::mt19937 rng(seed);
  for (int64_t i = 0;; ++i) {
    const auto status = i % 5 == 4 ? audit::SweepStatus::kPartial : audit::SweepStatus::kComplete;
    std::vector<audit::Finding> findings = {
        MakeFinding("user-" + std::to_string(rng() % 20), "div-2"),
        MakeFinding("user-" + std::to_string(rng() % 20), "div-3", rng() % 2 == 0)};
    if (!(*store)->CommitSweep(MakeInfo(1790000000 + i * 900, status), org, findings).ok()) {
      ::_exit(4);
    }
    org.users[rng() % org.users.size()].home_division_id = "div-" + std::to_string(rng() % 12);
    org.grants.erase(org.grants.begin() + static_cast<long>(rng() % org.grants.size()));
    org.grants.push_back({audit::SubjectType::kUser, "user-" + std::to_string(rng() % 200),
                          "role-" + std::to_string(rng() % 15), "div-" + std::to_string(i % 12)});
    audit::Canonicalize(org);
  }
}

TEST(CrashSafetyTest, SigkillAtRandomPointsLeavesAConsistentDatabase) {
  TempDir dir;
  const std::string path = dir.File("crash.db");
  std::mt19937 rng(20261123);
  int killed = 0;
  for (int round = 0; round < 30; ++round) {
    const int64_t usec = 1000 + static_cast<int64_t>(rng() % 60000);  // 1–61 ms
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) CommitForever(path, usec, static_cast<uint32_t>(round));
    int wstatus = 0;
    ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(wstatus)) << "child exited with " << WEXITSTATUS(wstatus);
    EXPECT_EQ(WTERMSIG(wstatus), SIGKILL);
    ++killed;

    FakeClock clock;
    auto store = SqliteSnapshotStore::Open(path, clock);
    ASSERT_TRUE(store.ok()) << "round " << round << ": " << store.status().ToString();
    {
      RawDb raw(path);
      EXPECT_EQ(raw.Text("PRAGMA integrity_check"), "ok") << "round " << round;
    }
    auto v = (*store)->Verify();
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    ASSERT_TRUE(v->ok) << "round " << round << ": " << v->problems.front();
  }
  EXPECT_EQ(killed, 30);
  FakeClock clock;
  auto store = SqliteSnapshotStore::Open(path, clock);
  ASSERT_TRUE(store.ok());
  auto sweeps = (*store)->ListSweeps(std::nullopt, std::nullopt);
  ASSERT_TRUE(sweeps.ok());
  std::cout << "[ crash    ] " << sweeps->size() << " sweeps survived 30 SIGKILLs\n";
  auto r = (*store)->CommitSweep(MakeInfo(1800000000), MakeOrg(), {MakeFinding("user-1", "div-2")});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->sweep_id, static_cast<int64_t>(sweeps->empty() ? 1 : sweeps->back().info.id + 1));
  auto v = (*store)->Verify();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok);
  if (!sweeps->empty()) {
    const int64_t last_complete = (*store)->LastCompleteSweep()->info.id;
    EXPECT_TRUE((*store)->SnapshotAt(last_complete).ok());
  }
}

}  // namespace
}  // namespace divaudit::storage
