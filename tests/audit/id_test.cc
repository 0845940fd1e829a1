#include "audit/id.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

#include "audit/org_snapshot.h"

namespace divaudit::audit {
namespace {

TEST(IdTest, DefaultIsEmptyAndEqualsInternedEmptyText) {
  const Id none;
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.size(), 0u);
  EXPECT_EQ(none.view(), "");
  EXPECT_EQ(none.str(), "");
  EXPECT_EQ(none, Id(""));
  EXPECT_EQ(none, Id(std::string()));
  EXPECT_EQ(none, "");
}

TEST(IdTest, EqualTextSharesOneString) {
  const std::string text = "3f2c9a4e-8d1b-4c6f-a2e7-5b9d0c1e7f48";
  const Id a(text);
  const Id b{std::string_view(text)};
  const Id c(text.c_str());
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, c);
  EXPECT_EQ(&a.str(), &b.str());  // interned: one copy
  EXPECT_EQ(a.data(), c.data());
  EXPECT_NE(a.data(), text.data());  // the Id does not point into the caller's buffer
  EXPECT_EQ(a.size(), text.size());
  EXPECT_FALSE(a.empty());
}

TEST(IdTest, DifferentTextIsNotEqual) {
  EXPECT_NE(Id("r1"), Id("r2"));
  EXPECT_NE(Id("r1"), Id());
  EXPECT_NE(Id("r1"), Id("r1 "));
}

TEST(IdTest, IsEightBytes) {
  static_assert(sizeof(Id) == sizeof(void*));
  static_assert(sizeof(Grant) <= 32);
}

TEST(IdTest, OrdersByTextNotByAddress) {
  // Intern in reverse order so that addresses (likely) disagree with text order.
  std::vector<std::string> texts;
  for (int i = 99; i >= 0; --i) texts.push_back("id-order-" + std::to_string(i));
  std::vector<Id> ids(texts.begin(), texts.end());
  std::sort(ids.begin(), ids.end());
  std::sort(texts.begin(), texts.end());
  ASSERT_EQ(ids.size(), texts.size());
  for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(ids[i].str(), texts[i]) << i;
  EXPECT_LT(Id(), Id("a"));
  EXPECT_LT(Id("*"), Id("0"));
  EXPECT_LT(Id("ab"), Id("b"));
  EXPECT_LT(Id("a"), Id("ab"));
  EXPECT_EQ(Id("x") <=> Id("x"), std::strong_ordering::equal);
}

TEST(IdTest, ComparesWithTextWithoutInterning) {
  const Id a("compare-with-text");
  const size_t before = Id::InternedCount();
  EXPECT_TRUE(a == "compare-with-text");
  EXPECT_TRUE("compare-with-text" == a);
  EXPECT_TRUE(a == std::string("compare-with-text"));
  EXPECT_TRUE(std::string("compare-with-text") == a);
  EXPECT_TRUE(a == std::string_view("compare-with-text"));
  EXPECT_TRUE(std::string_view("compare-with-text") == a);
  EXPECT_TRUE(a != "never-interned-text-1");
  EXPECT_TRUE(a < "never-interned-text-2");
  EXPECT_TRUE(std::string("a") < a);
  EXPECT_TRUE(a == kAllDivisionsId || a != kAllDivisionsId);
  EXPECT_EQ(Id::InternedCount(), before);
}

TEST(IdTest, ConvertsToStringViewAndPrints) {
  const Id a("printed-id");
  const std::string_view v = a;
  EXPECT_EQ(v, "printed-id");
  std::ostringstream os;
  os << a;
  EXPECT_EQ(os.str(), "printed-id");
  EXPECT_EQ(testing::PrintToString(a), "printed-id");
}

TEST(IdTest, HashesLikeText) {
  const Id a("hashed-id");
  EXPECT_EQ(std::hash<Id>()(a), std::hash<std::string_view>()("hashed-id"));
  std::unordered_set<Id> set{Id("h1"), Id("h2"), Id("h1")};
  EXPECT_EQ(set.size(), 2u);
  EXPECT_EQ(set.count(Id("h2")), 1u);
}

TEST(IdTest, GrantOrderMatchesStringOrder) {
  std::vector<Grant> grants = {
      {SubjectType::kUser, "u2", "r1", "d1"}, {SubjectType::kUser, "u1", "r2", "d1"},
      {SubjectType::kUser, "u1", "r1", "d2"}, {SubjectType::kGroup, "g1", "r1", "*"},
      {SubjectType::kUser, "u1", "r1", "d1"}, {SubjectType::kUser, "u1", "r1", "d1"},
  };
  OrgSnapshot org;
  org.grants = grants;
  Canonicalize(org);
  ASSERT_EQ(org.grants.size(), 5u);  // the exact duplicate removed
  EXPECT_EQ(org.grants[0], (Grant{SubjectType::kUser, "u1", "r1", "d1"}));
  EXPECT_EQ(org.grants[1], (Grant{SubjectType::kUser, "u1", "r1", "d2"}));
  EXPECT_EQ(org.grants[2], (Grant{SubjectType::kUser, "u1", "r2", "d1"}));
  EXPECT_EQ(org.grants[3], (Grant{SubjectType::kUser, "u2", "r1", "d1"}));
  EXPECT_EQ(org.grants[4], (Grant{SubjectType::kGroup, "g1", "r1", "*"}));
}

// Canonicalize sorts grants by integer ranks of their ids' texts: the order must be
// exactly std::sort's on random ids that share prefixes, are shorter than 8 bytes, empty, or
// carry bytes above 0x7f, with duplicates removed.
TEST(IdTest, CanonicalGrantOrderIsThePlainSortOnAwkwardIds) {
  std::mt19937 rng(20261127);
  const std::vector<std::string> stems = {"",
                                          "a",
                                          "ab",
                                          "abcdefg",
                                          "abcdefgh",
                                          "abcdefgh0",
                                          "abcdefgh1",
                                          "abcdefgg~",
                                          "\xff\x80",
                                          "\x7f",
                                          std::string("ab\0c", 4)};
  auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
  std::vector<Grant> grants;
  for (int i = 0; i < 5000; ++i) {
    std::string subject = pick(stems);
    if (rng() % 2 == 0) subject += std::to_string(rng() % 50);
    grants.push_back({static_cast<SubjectType>(rng() % 5), subject, "r" + std::to_string(rng() % 4),
                      rng() % 3 == 0 ? std::string("*") : "d" + std::to_string(rng() % 5)});
  }
  std::vector<Grant> expected = grants;
  std::sort(expected.begin(), expected.end());
  expected.erase(std::unique(expected.begin(), expected.end()), expected.end());
  OrgSnapshot org;
  org.grants = grants;
  Canonicalize(org);
  EXPECT_LT(expected.size(), grants.size());  // duplicates were there to remove
  EXPECT_TRUE(org.grants == expected);
}

TEST(IdTest, ConcurrentInterningYieldsOneStringPerText) {
  constexpr int kThreads = 4;
  constexpr int kTexts = 500;
  std::vector<std::vector<Id>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &seen] {
      for (int i = 0; i < kTexts; ++i) {
        // Each thread walks the texts in a different order.
        const int k = (i * (2 * t + 1)) % kTexts;
        seen[t].push_back(Id("concurrent-" + std::to_string(k)));
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kTexts; ++i) {
      const int k = (i * (2 * t + 1)) % kTexts;
      EXPECT_EQ(seen[t][i].data(), Id("concurrent-" + std::to_string(k)).data());
    }
  }
}

}  // namespace
}  // namespace divaudit::audit
