// The hash chain is a promise to every database already in the field: a fixed history (complete,
// partial and failed sweeps; findings opened, suppressed, unsuppressed, resolved and reopened;
// a prune) must hash to the same bytes in every build. The expected hashes of hash layout 1 were
// computed by the build before storage was split by concern, those of layout 2 by the build
// that introduced it; never update them to make a change pass.
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>

#include "common/clock.h"
#include "common/sha256.h"
#include "storage/hash_chain.h"
#include "storage/sqlite_snapshot_store.h"
#include "tests/storage/store_test_util.h"

namespace divaudit::storage {
namespace {

using audit::SweepStatus;
using testing::MakeFinding;
using testing::MakeInfo;
using testing::MakeMultiTenantFinding;
using testing::MakeOrg;
using testing::TempDir;

// Hash layout 1's content hashes of sweeps first..last as stored in `path`, chained from `prev`
// (what a build before layout 2 stored, and what Verify accepts for such sweeps).
std::vector<std::string> Layout1Hashes(const std::string& path, int64_t first, int64_t last,
                                       std::string prev) {
  Db db;
  EXPECT_TRUE(db.Open(path, Db::Mode::kReadOnly).ok());
  IdDict dict;
  EXPECT_TRUE(dict.Load(db).ok());
  std::vector<std::string> hashes;
  for (int64_t id = first; id <= last; ++id) {
    auto h = ComputeSweepHash(db, dict, id, prev, HashLayout::kV1);
    EXPECT_TRUE(h.ok()) << h.status().ToString();
    if (!h.ok()) break;
    hashes.push_back(*h);
    prev = *h;
  }
  return hashes;
}

TEST(ChainGoldenTest, AFixedHistoryHashesToTheSameBytesInEveryBuild) {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.File("golden.db");
  auto s = SqliteSnapshotStore::Open(path, clock);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto& store = *s;
  constexpr int64_t kT0 = 1790000000;
  auto org1 = MakeOrg();
  auto org2 = org1;
  org2.grants.erase(org2.grants.begin() + 5);
  org2.users[3].home_division_id = "div-4";
  org2.groups[0].member_ids.pop_back();
  audit::Canonicalize(org2);
  const auto a = MakeFinding("user-1", "div-3");
  const auto b = MakeFinding("user-2", "div-4");
  const auto b_suppressed = MakeFinding("user-2", "div-4", /*suppressed=*/true);
  const auto m = MakeMultiTenantFinding("group-2");
  struct Step {
    const audit::OrgSnapshot* org;
    SweepStatus status;
    std::vector<audit::Finding> findings;
  };
  const std::vector<Step> steps = {
      {&org1, SweepStatus::kComplete, {a, b, m}},
      {&org2, SweepStatus::kComplete, {a, b_suppressed}},  // m resolved, b suppressed
      {&org1, SweepStatus::kPartial, {m}},                 // m reopened by a partial sweep
      {&org1, SweepStatus::kFailed, {}},
      {&org2, SweepStatus::kComplete, {b, m}},  // a resolved, b unsuppressed
      {&org1, SweepStatus::kComplete, {a, b, m}},
  };
  std::vector<std::string> hashes;
  int64_t t = kT0;
  for (const Step& step : steps) {
    auto r = store->CommitSweep(MakeInfo(t, step.status), *step.org, step.findings);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    hashes.push_back(r->content_hash);
    t += 86400;
  }
  // Layout 1 of the same rows, before the prune rebases sweeps 1-3 onto the anchor.
  std::vector<std::string> layout1 = Layout1Hashes(path, 1, 6, "");
  auto p = store->Prune(std::chrono::seconds(3 * 86400), t);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  auto r = store->CommitSweep(MakeInfo(t, SweepStatus::kComplete), org2, {b});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  hashes.push_back(r->content_hash);
  ASSERT_EQ(layout1.size(), 6u);
  for (const auto& h : Layout1Hashes(path, 7, 7, layout1.back())) layout1.push_back(h);
  // Rule set version 1 (every database written before issue 14): the hashes of the build before
  // storage was split by concern.
  const std::vector<std::string> expected_v1 = {
      "f1523501982fca816e51c8627139a79ff7f8d58adf280ca80f3788f807c03c4f",
      "57af208b688abce2c7ce796076e5cb0afce11b9065786ef19c9ac22d67ebc951",
      "0f7c67d54d8462facc7eb5a71373acac898d66897ee06f74b8967b7cdbcff1b8",
      "61463db4f20fd853903b97fef02c941c41f6bf2dd2b01ef28b8308186c62401f",
      "ebcb822f2a1b5a01cdb937d23d3ca78eea7a891a7ef19bc8cc4562c344962e2c",
      "4e50d1bf4a7172384cd1cb5af02e2e0470099aa339887c59b1c1d47324cc81b3",
      "1ef6d9fd2107add344aa1e8597d6ecb84ac2ce73242f5efbd7647aa0ff611cbb",
  };
  // Rule set version 2 (issue 14): `rule_set_version` is part of each sweep's hashed content,
  // so the same history committed by a v2 build hashes differently; sweeps stored with version 1
  // keep their stored version and verify (MigrationTest, V2DataTest). Hash layout 1.
  const std::vector<std::string> expected_v2 = {
      "5064a2924ade1b37d9fca62350fbe2104c26f748b28e55b303999b6b53160752",
      "e808f2a3f22b5c9201cad1766a424aa66f78c852b308adeaf2921e2e445fabc0",
      "20f1ea82e9d7b640c877b14920e9c1715a413e5856fbdbd6aefda166444056a6",
      "430f5bb2ef8b0ed18070b0ff6effaacb2f04e3bb997ae2d80caf24d6efdfc02d",
      "486dc78779853521602055bf131ee5f0303509d72be7ab91e04ec00be6b29ae4",
      "bb61ff907cd165179386a4b481e4aa47b9db43278ef1208cbddff474991cca30",
      "2eb69e42c5cebb94d26b9c2908f40f4902602f19d3f775064bd993bd18f0f62c",
  };
  // Rule set version 2, hash layout 2 (each table's rows as their own SHA-256): what this
  // build writes.
  const std::vector<std::string> expected_v2_layout2 = {
      "0712c405c0ca9352a111fd5e5e9d7b46b31ca8a86185089c4a15b01820edab58",
      "ecb5b9b4120a524e81feba5b4484a6bfc5025db5ef45a230ab8fa6711e27a1d7",
      "cadfa2ec2c8c903820cdd5d2c5a09ea7ae2d303cc7df0ece557b2a7a992a8cc6",
      "d1bede58d810475b883f1e36c0e7e018dd705db1bebd2ff53cdc8340041a1e98",
      "14a282bad461b0a5c5af375c5657cdc6e243febeca76828ea72f637a9e9a68b4",
      "8a76c09612f2b5376a996324b7ddeb9b9996bc7c96612d03b3c6283970051d83",
      "a2725389aeb3ffc946f866707be8717ac6a390a99e72812a48b9ca6cc21e6d3e",
  };
  static_assert(audit::kRuleSetVersion == 2, "add the hashes of the new rule set version");
  static_assert(kCurrentHashLayout == HashLayout::kV2, "add the hashes of the new hash layout");
  EXPECT_EQ(hashes, expected_v2_layout2);
  EXPECT_EQ(layout1, expected_v2);
  EXPECT_EQ(expected_v1.size(), expected_v2.size());
  auto v = store->Verify();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->problems.front();
}

// The table serialization goes through internal::HashBuffer: pieces smaller and larger than its
// buffer, and numbers, give the digest of their concatenation.
TEST(HashBufferTest, GivesTheDigestOfTheBytes) {
  std::string all;
  Sha256 sha;
  {
    auto out = std::make_unique<internal::HashBuffer>(sha);
    std::mt19937 rng(7);
    for (int i = 0; i < 20000; ++i) {
      const size_t len = i % 997 == 0 ? 70000 : rng() % 40;  // a few longer than the buffer
      const std::string piece(len, static_cast<char>('a' + i % 26));
      const int64_t n = static_cast<int64_t>(rng()) - 1000000;
      out->Put(piece);
      out->Put(';');
      out->Number(n);
      all += piece + ";" + std::to_string(n);
    }
  }  // flushed
  EXPECT_EQ(sha.FinishHex(), Sha256Hex(all));
}

}  // namespace
}  // namespace divaudit::storage
