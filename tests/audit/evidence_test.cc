#include "audit/evidence.h"

#include <gtest/gtest.h>

#include <chrono>

#include "audit/policy.h"
#include "common/time_util.h"

namespace divaudit::audit {
namespace {

TenantMap Map() {
  Policy policy;
  policy.tenants = {{"Acme", {"acme"}}, {"Beta", {"beta"}}, {"Cargo", {"cargo"}}};
  policy.shared_divisions = {"home"};
  std::vector<Division> divisions;
  for (const char* id : {"acme", "beta", "cargo", "home", "loose"}) {
    Division d;
    d.id = id;
    d.name = id;
    divisions.push_back(d);
  }
  auto map = TenantMap::Build(policy, divisions);
  EXPECT_TRUE(map.ok());
  return *map;
}

Conversation With(std::vector<std::string> divisions) {
  Conversation c;
  c.id = "c1";
  c.division_ids = std::move(divisions);
  return c;
}

TEST(ClassifyConversationTest, TwoTenantsAreEvidenceSharedUnmappedAndUnknownIgnored) {
  const TenantMap map = Map();
  EXPECT_FALSE(ClassifyConversation(With({"acme"}), map));
  EXPECT_FALSE(ClassifyConversation(With({"acme", "home", "loose", "nope", "*"}), map));
  EXPECT_FALSE(ClassifyConversation(With({}), map));
  auto two = ClassifyConversation(With({"beta", "home", "acme"}), map);
  ASSERT_TRUE(two);
  EXPECT_EQ(two->tenants, (std::vector<std::string>{"Acme", "Beta"}));
  EXPECT_EQ(two->conversation.id, "c1");
}

TEST(ClassifyConversationTest, ATenantTouchedByTwoDivisionsCountsOnce) {
  Policy policy;
  policy.tenants = {{"Acme", {"a1", "a2"}}};
  std::vector<Division> divisions = {{}, {}};
  divisions[0].id = divisions[0].name = "a1";
  divisions[1].id = divisions[1].name = "a2";
  auto map = TenantMap::Build(policy, divisions);
  ASSERT_TRUE(map.ok());
  EXPECT_FALSE(ClassifyConversation(With({"a1", "a2"}), *map));
}

TEST(TenantPairsTest, NTenantsGiveNChooseTwoSortedPairs) {
  auto three = ClassifyConversation(With({"cargo", "acme", "beta"}), Map());
  ASSERT_TRUE(three);
  using P = std::pair<std::string, std::string>;
  EXPECT_EQ(TenantPairs(*three),
            (std::vector<P>{{"Acme", "Beta"}, {"Acme", "Cargo"}, {"Beta", "Cargo"}}));
}

// The period is [from, end): reading up to `from` read none of it, up to `end` all of it.
TEST(ClassifyEvidenceTest, ThePeriodsBoundsDecideNotReadPartialAndCollected) {
  constexpr int64_t kFrom = 1000000, kEnd = 2000000;
  EXPECT_EQ(ClassifyEvidence(true, std::nullopt, kFrom, kEnd), EvidenceStatus::kNotRead);
  EXPECT_EQ(ClassifyEvidence(true, kFrom - 1, kFrom, kEnd), EvidenceStatus::kNotRead);
  EXPECT_EQ(ClassifyEvidence(true, kFrom, kFrom, kEnd), EvidenceStatus::kNotRead);
  EXPECT_EQ(ClassifyEvidence(true, kFrom + 1, kFrom, kEnd), EvidenceStatus::kPartial);
  EXPECT_EQ(ClassifyEvidence(true, kEnd - 1, kFrom, kEnd), EvidenceStatus::kPartial);
  EXPECT_EQ(ClassifyEvidence(true, kEnd, kFrom, kEnd), EvidenceStatus::kCollected);
  EXPECT_EQ(ClassifyEvidence(true, kEnd + 86400000, kFrom, kEnd), EvidenceStatus::kCollected);
  // Refused the details: unavailable, whatever had been read before.
  EXPECT_EQ(ClassifyEvidence(false, kEnd, kFrom, kEnd), EvidenceStatus::kUnavailable);
  EXPECT_EQ(ClassifyEvidence(false, std::nullopt, kFrom, kEnd), EvidenceStatus::kUnavailable);
}

TEST(ClassifyEvidenceTest, NamesAreTheOnesReportsAndAttestationsPrint) {
  EXPECT_EQ(EvidenceStatusName(EvidenceStatus::kDisabled), "disabled");
  EXPECT_EQ(EvidenceStatusName(EvidenceStatus::kUnavailable), "unavailable");
  EXPECT_EQ(EvidenceStatusName(EvidenceStatus::kNotRead), "not_read");
  EXPECT_EQ(EvidenceStatusName(EvidenceStatus::kPartial), "partial");
  EXPECT_EQ(EvidenceStatusName(EvidenceStatus::kCollected), "collected");
}

TEST(IsoMillisTest, FormatsAndParsesMilliseconds) {
  const SystemTime t = FromUnixSeconds(1'795'000'000) + std::chrono::milliseconds(7);
  EXPECT_EQ(FormatIsoMillis(t), "2026-11-18T11:06:40.007Z");
  auto back = ParseIsoMillis("2026-11-18T11:06:40.007Z");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, t);
  auto whole = ParseIsoMillis("2026-11-18T11:06:40Z");
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(*whole, FromUnixSeconds(1'795'000'000));
  auto long_fraction = ParseIsoMillis("2026-11-18T11:06:40.1239Z");
  ASSERT_TRUE(long_fraction.ok());
  EXPECT_EQ(*long_fraction, FromUnixSeconds(1'795'000'000) + std::chrono::milliseconds(123));
  EXPECT_FALSE(ParseIsoMillis("yesterday").ok());
}

}  // namespace
}  // namespace divaudit::audit
