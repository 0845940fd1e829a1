// Measures (prints, never asserts on time) the cost of a large org: DB size after the first
// commit, growth per unchanged sweep, commit times. Default 5,000 users / 50,000 grants to
// keep the unit suite fast; DIVAUDIT_STORAGE_SCALE_USERS=50000 gives the 50k / 500k figures.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <iostream>

#include "common/clock.h"
#include "storage/sqlite_snapshot_store.h"
#include "tests/storage/store_test_util.h"

namespace divaudit::storage {
namespace {

int64_t FileSize(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
}

double Ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

TEST(ScaleTest, LargeOrgCommitsAndUnchangedSweepsStaySmall) {
  testing::OrgShape shape;
  shape.users = 5000;
  if (const char* env = std::getenv("DIVAUDIT_STORAGE_SCALE_USERS")) shape.users = std::atoi(env);
  shape.grants_per_user = 10;
  shape.divisions = 200;
  shape.roles = 50;
  shape.groups = shape.users / 100;
  shape.clients = 20;
  const auto org = testing::MakeOrg(shape);
  std::vector<audit::Finding> findings;
  for (int i = 0; i < 500; ++i) {
    findings.push_back(testing::MakeFinding("user-" + std::to_string(i), "div-7"));
  }
  testing::TempDir dir;
  const std::string path = dir.File("scale.db");
  SystemClock clock;
  auto store = SqliteSnapshotStore::Open(path, clock);
  ASSERT_TRUE(store.ok());
  auto checkpoint = [&] {
    testing::RawDb raw(path);
    raw.Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  };

  auto t0 = std::chrono::steady_clock::now();
  auto first = (*store)->CommitSweep(testing::MakeInfo(1790000000), org, findings);
  const double first_ms = Ms(std::chrono::steady_clock::now() - t0);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  checkpoint();
  const int64_t size_first = FileSize(path);

  constexpr int kUnchanged = 20;
  double unchanged_ms_total = 0;
  for (int i = 1; i <= kUnchanged; ++i) {
    t0 = std::chrono::steady_clock::now();
    auto r = (*store)->CommitSweep(testing::MakeInfo(1790000000 + i * 900), org, findings);
    unchanged_ms_total += Ms(std::chrono::steady_clock::now() - t0);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->rows_inserted + r->rows_closed, 0);
  }
  checkpoint();
  const int64_t size_after = FileSize(path);
  const double growth = static_cast<double>(size_after - size_first) / kUnchanged;
  EXPECT_LT(growth, 8 * 1024);

  t0 = std::chrono::steady_clock::now();
  auto v = (*store)->Verify();
  const double verify_ms = Ms(std::chrono::steady_clock::now() - t0);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok);
  t0 = std::chrono::steady_clock::now();
  auto snap = (*store)->SnapshotAt(1);
  const double snapshot_ms = Ms(std::chrono::steady_clock::now() - t0);
  ASSERT_TRUE(snap.ok());
  EXPECT_TRUE(*snap == org);

  std::cout << "[ scale    ] users=" << org.users.size() << " grants=" << org.grants.size()
            << " memberships/groups=" << org.groups.size() << "\n"
            << "[ scale    ] first commit: " << first_ms << " ms, rows=" << first->rows_inserted
            << ", db size " << size_first / 1024 << " KiB\n"
            << "[ scale    ] unchanged commit: " << unchanged_ms_total / kUnchanged
            << " ms avg, growth " << growth << " bytes/sweep over " << kUnchanged << " sweeps\n"
            << "[ scale    ] verify (" << v->sweeps_checked << " sweeps): " << verify_ms
            << " ms, SnapshotAt: " << snapshot_ms << " ms\n";
}

}  // namespace
}  // namespace divaudit::storage
