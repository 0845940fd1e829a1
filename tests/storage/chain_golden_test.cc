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
  std::vector<std::string> layout1 =
      testing::RecomputeHashes(path, 1, std::vector<HashLayout>(6, HashLayout::kV1), "");
  auto p = store->Prune(std::chrono::seconds(3 * 86400), t);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  auto r = store->CommitSweep(MakeInfo(t, SweepStatus::kComplete), org2, {b});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  hashes.push_back(r->content_hash);
  ASSERT_EQ(layout1.size(), 6u);
  for (const auto& h : testing::RecomputeHashes(path, 7, {HashLayout::kV1}, layout1.back())) {
    layout1.push_back(h);
  }
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
      "be0a92cfee7f0c2a70e71b059fc34bee0f2b5bb16a1460de5b26afa7407f86df",
      "2fd83c26fdb5c87da11507fbf576ac98cd039c6afe63262debac0f47c48c1478",
      "6397c254c992885d4232a42d03496a70863767d9ca19026ffea4db2ae59c437f",
      "3e960b2d4bd57ebf8ce2c4e56c467f8c90e742f126908eabffd6632f5f2a2180",
      "4a8ca74df60cce24de756058e8171d6b91ef05075625afacb79159fae6deaae9",
      "ed48cbf742a4731eda73a86573b2abf041af71d22ce98a67d9f4e2fdeb08e25e",
      "6ffe1f8ef873fb1d0e4bbca6f0d57b24442ee795403228c3d474657e14e6997c",
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

// Layout 2's row bytes: a kId value as its text the first time it appears in the table's
// part, then as 'b' and the ordinal of that first appearance; a kInt as 'i0;'/'i1;'.
TEST(LayoutTwoTest, IdRowsHashTheirTextOnceThenBackReferences) {
  const TableSpec& t = Tables()[kQueueMembers];  // queue_id, user_id (kId), via_group, joined
  const std::vector<std::vector<uint32_t>> rows = {{7, 9, 0, 1}, {7, 8, 1, 1}, {9, 7, 0, 0}};
  const auto text = [](int64_t id) {
    return std::string_view(id == 7 ? "q-1" : id == 8 ? "u-22" : "u-3");
  };
  const std::string digest = DigestIdRows(
      t, rows.size(), [](size_t r) { return static_cast<int64_t>(r) + 41; },
      [&rows](size_t r, size_t c) { return rows[r][c]; }, text);
  EXPECT_EQ(digest, Sha256Hex("[i41;t3:q-1t3:u-3i0;i1;][i42;b0;t4:u-22i1;i1;][i43;b1;b0;i0;i0;]"));
  // Text rows (no kId columns) hash every value.
  const TableSpec& q = Tables()[kQueues];  // id, name, division_id (text)
  const std::vector<std::vector<std::string>> qrows = {{"q-1", "Sales", "d-1"},
                                                       {"q-2", "Sales", "d-1"}};
  EXPECT_EQ(DigestTextRows(
                q, qrows.size(), [](size_t r) { return static_cast<int64_t>(r) + 1; },
                [&qrows](size_t r, size_t c) { return std::string_view(qrows[r][c]); }),
            Sha256Hex("[i1;t3:q-1t5:Salest3:d-1][i2;t3:q-2t5:Salest3:d-1]"));
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
