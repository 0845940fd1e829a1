#include "common/flat_string_map.h"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace divaudit {
namespace {

TEST(FlatStringMapTest, EmplaceKeepsTheFirstValueAndFindSeesIt) {
  FlatStringMap<int> m;
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(m.find("a"), nullptr);
  auto [a, inserted] = m.emplace("a", 1);
  EXPECT_TRUE(inserted);
  EXPECT_EQ(*a, 1);
  auto [again, inserted_again] = m.emplace("a", 2);
  EXPECT_FALSE(inserted_again);
  EXPECT_EQ(*again, 1);
  m.emplace("", 7);  // the empty key is a key like any other
  ASSERT_NE(m.find(""), nullptr);
  EXPECT_EQ(*m.find(""), 7);
  *m.find("a") = 5;
  EXPECT_EQ(*m.find("a"), 5);
  EXPECT_EQ(m.size(), 2u);
}

// Against std::map on many keys that share prefixes, differ only in length or in a late byte,
// contain NUL or bytes above 0x7f; grown from the default size and from a reserve.
TEST(FlatStringMapTest, AgreesWithStdMapOnAwkwardKeys) {
  for (const size_t reserve : {size_t{0}, size_t{3000}}) {
    std::mt19937 rng(20261128);
    std::deque<std::string> texts;  // stable addresses: the map borrows its keys
    std::map<std::string, int> want;
    FlatStringMap<int> m;
    if (reserve > 0) m.reserve(reserve);
    const std::vector<std::string> stems = {"",          "a",
                                            "ab",        "abcdefgh",
                                            "abcdefgh0", std::string("x\0y", 3),
                                            "\xff\x80",  "9d1c3f7e-5b0a-4c2e-8f11-2a6b0c9d4e7f"};
    std::vector<std::string> order;
    for (int i = 0; i < 20000; ++i) {
      std::string key = stems[rng() % stems.size()];
      if (rng() % 4 != 0) key += std::to_string(rng() % 4000);
      const int value = static_cast<int>(rng() % 1000);
      const std::string& stored = texts.emplace_back(key);
      const auto [v, inserted] = m.emplace(stored, value);
      const auto [it, want_inserted] = want.emplace(key, value);
      ASSERT_EQ(inserted, want_inserted) << key;
      ASSERT_EQ(*v, it->second) << key;
      if (inserted) order.push_back(key);
    }
    EXPECT_EQ(m.size(), want.size());
    for (const auto& [k, v] : want) {
      ASSERT_NE(m.find(k), nullptr) << k;
      EXPECT_EQ(*m.find(k), v) << k;
    }
    for (int i = 0; i < 2000; ++i) {
      const std::string absent = "absent-" + std::to_string(i);
      EXPECT_EQ(m.find(absent), nullptr);
    }
    std::vector<std::string> seen;
    m.ForEach([&seen](std::string_view k, int) { seen.emplace_back(k); });
    EXPECT_EQ(seen, order);  // insertion order
  }
}

}  // namespace
}  // namespace divaudit
