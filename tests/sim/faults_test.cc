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

TEST(FaultsTest, ParsesFailPaths) {
  auto f = ParsePathFault("/api/v2/users\\?.*state=inactive=503");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->pattern, "/api/v2/users\\?.*state=inactive");  // split at the last '='
  EXPECT_EQ(f->status, 503);
  EXPECT_TRUE(f->Matches("/api/v2/users?pageSize=500&pageNumber=1&state=inactive"));
  EXPECT_FALSE(f->Matches("/api/v2/users?pageSize=500&pageNumber=1&state=active"));
  EXPECT_FALSE(f->Matches("/api/v2/users/query?state=inactive"));
  auto reset = ParsePathFault("/members=reset");
  ASSERT_TRUE(reset.ok());
  EXPECT_EQ(reset->status, PathFault::kResetStatus);
  auto stall = ParsePathFault("^/api/v2/audits/=stall");
  ASSERT_TRUE(stall.ok());
  EXPECT_EQ(stall->status, PathFault::kStallStatus);
  for (const char* bad : {"/x", "=500", "/x=200", "/x=600", "/x=abc", "(=500"}) {
    EXPECT_FALSE(ParsePathFault(bad).ok()) << bad;
  }
  EXPECT_NE(ParsePathFault("/x=200").status().message().find("'/x=200'"), std::string::npos);

  auto c = ParseFaultJson(R"({"fail_path":["/groups\\?=403","/groups=500"],"500":0.1})");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->fail_paths.size(), 2U);
  const PathFault* first = FindFailPath(*c, "/api/v2/groups?pageSize=500");
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->status, 403);  // the first match wins
  EXPECT_EQ(FindFailPath(*c, "/api/v2/groups/g1/members")->status, 500);
  EXPECT_EQ(FindFailPath(*c, "/api/v2/users"), nullptr);
  EXPECT_FALSE(ParseFaultJson(R"({"fail_path":"/x=500"})").ok());
  EXPECT_FALSE(ParseFaultJson(R"({"fail_path":[3]})").ok());
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
