// cross_tenant_queue (docs/rules.md): a user with a home tenant who is a member of a routing
// queue whose division is mapped to another tenant.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "audit/engine.h"
#include "tests/audit/org_builder.h"

namespace divaudit::audit {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::OrgBuilder;

const SystemTime kNow = testing::At("2026-11-23T08:00:00Z");

// dA: tenant Acme; dG: tenant Globex; dH: shared; dX: unmapped. uA (home dA), uG (home dG),
// uI (home dG, inactive), uH (home dH: no home tenant), uD (home dG, deleted).
OrgSnapshot Base() {
  OrgSnapshot s = OrgBuilder()
                      .Division("dA", "Acme")
                      .Division("dG", "Globex")
                      .Division("dH", "Home")
                      .Division("dX", "Orphanage")
                      .Role("r1", "Agent")
                      .User("uA", "dA")
                      .User("uG", "dG")
                      .User("uI", "dG", "inactive")
                      .User("uH", "dH")
                      .User("uD", "dG", "deleted")
                      .Build();
  s.queues = {
      {"qA", "Acme Sales", "dA", {{"g1", "Globex agents", "GROUP"}, {"t1", "Team", "TEAM"}}},
  };
  return s;
}

Policy BasePolicy() {
  Policy p;
  p.tenants = {{"Acme", {"Acme"}}, {"Globex", {"Globex"}}};
  p.shared_divisions = {"Home"};
  return p;
}

AuditResult AuditQueues(OrgSnapshot s, const Policy& p = BasePolicy(),
                        const ListingCompleteness& c = ListingCompleteness{}) {
  Canonicalize(s);
  auto map = TenantMap::Build(p, s.divisions);
  EXPECT_TRUE(map.ok());
  return RunAudit(s, map.value(), p, kNow, c);
}

std::vector<Finding> OfRule(const AuditResult& r, Rule rule) {
  std::vector<Finding> out;
  for (const auto& f : r.findings) {
    if (f.rule == rule) out.push_back(f);
  }
  return out;
}

std::string Key(const Finding& f) {
  return f.subject->id + " " + (f.via->direct ? "direct" : "group") + " " + f.queue->id;
}

TEST(CrossTenantQueueTest, ForeignMembersDirectAndViaGroupJoinedOrNotInactiveIncluded) {
  OrgSnapshot s = Base();
  s.queue_members = {
      {"qA", "uA", false, true},       // own tenant: nothing
      {"qA", "uG", false, true},       // foreign, direct, joined
      {"qA", "uG", true, false},       // foreign, via group, unjoined: a second finding
      {"qA", "uI", true, false},       // inactive users count
      {"qA", "uH", false, true},       // no home tenant: not flagged
      {"qA", "uD", false, true},       // deleted: not audited
      {"qA", "uNobody", false, true},  // not a listed user (complete listing): nothing
  };
  AuditResult r = AuditQueues(s);
  auto found = OfRule(r, Rule::kCrossTenantQueue);
  std::vector<std::string> keys;
  for (const auto& f : found) keys.push_back(Key(f));
  EXPECT_THAT(keys, ElementsAre("uG direct qA", "uG group qA", "uI group qA"));
  EXPECT_TRUE(r.not_judged.empty());
  // Queues never feed multi_tenant_subject, and give no cross_tenant.
  EXPECT_THAT(OfRule(r, Rule::kMultiTenantSubject), IsEmpty());
  EXPECT_THAT(OfRule(r, Rule::kCrossTenant), IsEmpty());
}

TEST(CrossTenantQueueTest, FindingFieldsAndFingerprint) {
  OrgSnapshot s = Base();
  s.queue_members = {{"qA", "uG", false, true}, {"qA", "uG", true, true}};
  auto found = OfRule(AuditQueues(s), Rule::kCrossTenantQueue);
  ASSERT_EQ(found.size(), 2u);
  const Finding& direct = found[0].via->direct ? found[0] : found[1];
  const Finding& group = found[0].via->direct ? found[1] : found[0];
  EXPECT_EQ(direct.severity, Severity::kHigh);
  EXPECT_EQ(direct.subject, (SubjectRef{SubjectType::kUser, "uG", "User uG"}));
  EXPECT_EQ(direct.home_division, (NamedRef{"dG", "Globex"}));
  EXPECT_EQ(direct.home_tenant, "Globex");
  EXPECT_EQ(direct.tenant, "Acme");  // the queue's tenant
  EXPECT_FALSE(direct.division.has_value());
  EXPECT_FALSE(direct.role.has_value());
  ASSERT_TRUE(direct.queue.has_value());
  EXPECT_EQ(direct.queue->id, "qA");
  EXPECT_EQ(direct.queue->name, "Acme Sales");
  EXPECT_EQ(direct.queue->division, (NamedRef{"dA", "Acme"}));
  EXPECT_EQ(direct.queue->tenant, "Acme");
  EXPECT_THAT(direct.queue->member_groups, IsEmpty());
  EXPECT_EQ(group.via, (Via{false, "", ""}));
  EXPECT_EQ(
      group.queue->member_groups,
      (std::vector<QueueMemberGroup>{{"g1", "Globex agents", "GROUP"}, {"t1", "Team", "TEAM"}}));
  // Identity: rule, user, uG, "", "", via ("direct" | "group"), then the queue id.
  EXPECT_EQ(direct.fingerprint,
            Fingerprint(Rule::kCrossTenantQueue, "user", "uG", "", "", "direct", "qA"));
  EXPECT_EQ(group.fingerprint,
            Fingerprint(Rule::kCrossTenantQueue, "user", "uG", "", "", "group", "qA"));
  EXPECT_EQ(FingerprintOf(group), group.fingerprint);
  EXPECT_NE(direct.fingerprint, group.fingerprint);
}

TEST(CrossTenantQueueTest, SortAddsTheQueueId) {
  OrgSnapshot s = Base();
  s.queues.push_back({"qA2", "Acme Two", "dA", {}});
  s.queues.push_back({"qA0", "Acme Zero", "dA", {}});
  s.queue_members = {
      {"qA2", "uG", false, true}, {"qA", "uG", false, true}, {"qA0", "uG", false, true}};
  auto found = OfRule(AuditQueues(s), Rule::kCrossTenantQueue);
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[0].queue->id, "qA");
  EXPECT_EQ(found[1].queue->id, "qA0");
  EXPECT_EQ(found[2].queue->id, "qA2");
}

TEST(CrossTenantQueueTest, SharedUnmappedAndUnlistedQueueDivisions) {
  OrgSnapshot s = Base();
  s.queues = {{"qH", "Shared", "dH", {}}, {"qX", "Unmapped", "dX", {}}, {"qZ", "Gone", "dZ", {}}};
  s.queue_members = {
      {"qH", "uG", false, true}, {"qX", "uG", false, true}, {"qZ", "uG", false, true}};
  AuditResult r = AuditQueues(s);
  EXPECT_THAT(OfRule(r, Rule::kCrossTenantQueue), IsEmpty());
  // The unmapped queue division is "used": unmapped_division, once.
  auto unmapped = OfRule(r, Rule::kUnmappedDivision);
  ASSERT_EQ(unmapped.size(), 1u);
  EXPECT_EQ(unmapped[0].division->id, "dX");
  // A queue in a division the (complete) listing lacks yields nothing, counted.
  EXPECT_EQ(r.stats.queues_division_unlisted, 1);
  EXPECT_THAT(OfRule(r, Rule::kOrphanedGrant), IsEmpty());
  // With no members at all, the unmapped queue division is still used.
  s.queue_members.clear();
  EXPECT_EQ(OfRule(AuditQueues(s), Rule::kUnmappedDivision).size(), 1u);
}

TEST(CrossTenantQueueTest, WithoutATenantMapEveryDivisionIsItsOwnTenant) {
  OrgSnapshot s = Base();
  s.queue_members = {{"qA", "uG", false, true}, {"qA", "uH", false, true}};
  Policy none;
  auto found = OfRule(AuditQueues(s, none), Rule::kCrossTenantQueue);
  ASSERT_EQ(found.size(), 2u);  // uH's home dH is its own tenant without a map
  EXPECT_EQ(found[0].tenant, "Acme");
}

TEST(CrossTenantQueueTest, IncompleteQueueInputsAreNamedAndUsersNotListedAreWithheld) {
  OrgSnapshot s = Base();
  s.queue_members = {{"qA", "uG", false, true}, {"qA", "uLater", false, true}};
  ListingCompleteness c;
  c.queues = false;
  c.queues_without_members = {"qB", "qC"};
  c.active_users = false;
  AuditResult r = AuditQueues(s, BasePolicy(), c);
  // What was read still opens findings.
  EXPECT_EQ(OfRule(r, Rule::kCrossTenantQueue).size(), 1u);
  std::vector<std::string> lines;
  for (const auto& l : r.not_judged) {
    if (l.find("cross_tenant_queue") != std::string::npos) lines.push_back(l);
  }
  EXPECT_THAT(lines, ElementsAre("rule cross_tenant_queue: not judged (queues)",
                                 "rule cross_tenant_queue: not judged (members of 2 queues)",
                                 "rule cross_tenant_queue: not judged (users) for 1 member"));
}

TEST(CrossTenantQueueTest, ExceptionMayNameTheQueue) {
  OrgSnapshot s = Base();
  s.queues.push_back({"qA2", "Acme Two", "dA", {}});
  s.queue_members = {{"qA", "uG", false, true}, {"qA2", "uG", false, true}};
  Policy p = BasePolicy();
  ExceptionSpec e;
  e.rule = Rule::kCrossTenantQueue;
  e.subject_id = "uG";
  e.queue_id = "qA2";
  e.reason = "overflow";
  e.owner = "ops";
  e.expires = "2027-01-01";
  e.expires_at = testing::At("2027-01-01T23:59:59Z");
  p.exceptions = {e};
  AuditResult r = AuditQueues(s, p);
  auto found = OfRule(r, Rule::kCrossTenantQueue);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].state, FindingState::kOpen);
  EXPECT_EQ(found[1].state, FindingState::kSuppressed);
  EXPECT_EQ(r.exceptions[0].matched, 1);
}

}  // namespace
}  // namespace divaudit::audit
