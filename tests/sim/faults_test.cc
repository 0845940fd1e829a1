#include "sim/faults.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

namespace divaudit::sim {
namespace {

std::vector<Fault> Draw(FaultInjector& f, int n) {
  std::vector<Fault> out;
  for (int i = 0; i < n; ++i) out.push_back(f.Next());
  return out;
}

TEST(FaultsTest, SameSeedSameSequence) {
  auto config = ParseFaultSpec("429=0.1,500=0.1,503=0.1,reset=0.1,truncate=0.1,badjson=0.1");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  FaultInjector a(*config, 42), b(*config, 42), c(*config, 43);
  auto sa = Draw(a, 500);
  EXPECT_EQ(sa, Draw(b, 500));
  EXPECT_NE(sa, Draw(c, 500));
  std::map<Fault, int> counts;
  for (Fault f : sa) ++counts[f];
  EXPECT_GT(counts[Fault::kNone], 150);  // ~40 %
  EXPECT_GT(counts[Fault::k429], 20);    // ~10 % each
  EXPECT_GT(counts[Fault::kBadJson], 20);
  EXPECT_EQ(counts[Fault::kExpireToken], 0);
}

TEST(FaultsTest, CertainAndNoFaults) {
  FaultInjector always(*ParseFaultSpec("reset=1"), 1);
  for (Fault f : Draw(always, 50)) EXPECT_EQ(f, Fault::kReset);
  FaultInjector never(FaultConfig{}, 1);
  for (Fault f : Draw(never, 50)) EXPECT_EQ(f, Fault::kNone);
}

TEST(FaultsTest, ParsesSpecAndJson) {
  auto spec = ParseFaultSpec("429=0.25, expire_token=0.5,forbid_division=d-1");
  ASSERT_TRUE(spec.ok());
  EXPECT_DOUBLE_EQ(spec->p429, 0.25);
  EXPECT_DOUBLE_EQ(spec->expire_token, 0.5);
  EXPECT_EQ(spec->forbid_division, "d-1");
  auto json = ParseFaultJson(R"({"429":0.25,"expire_token":0.5,"forbid_division":"d-1"})");
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  EXPECT_EQ(*spec, *json);
  EXPECT_EQ(ParseFaultJson("{}").value(), FaultConfig{});
  EXPECT_TRUE(ParseFaultSpec("").ok());
  EXPECT_FALSE(ParseFaultSpec("418=0.1").ok());
  EXPECT_FALSE(ParseFaultSpec("500=1.5").ok());
  EXPECT_FALSE(ParseFaultSpec("500=0.6,503=0.6").ok());
  EXPECT_FALSE(ParseFaultSpec("500").ok());
  EXPECT_FALSE(ParseFaultJson("[1]").ok());
  EXPECT_FALSE(ParseFaultJson(R"({"500":"x"})").ok());
}

TEST(FaultsTest, SetConfigKeepsSequencePosition) {
  FaultConfig none;
  FaultInjector a(none, 7), b(none, 7);
  Draw(a, 10);
  Draw(b, 10);
  a.SetConfig(*ParseFaultSpec("500=0.5"));
  b.SetConfig(*ParseFaultSpec("500=0.5"));
  EXPECT_EQ(Draw(a, 100), Draw(b, 100));
}

}  // namespace
}  // namespace divaudit::sim
