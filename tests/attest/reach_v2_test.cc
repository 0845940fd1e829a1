// The v2 reach paths (`org_wide_permission`, `queue`) and `changed_by`, computed from stored
// sweeps: the fixture org plus routing queues, and hand-built v2 findings (the rules that make
// them are the audit engine's).
#include <gtest/gtest.h>

#include "attest/attestation.h"
#include "attest/render.h"
#include "tests/attest/attest_fixture.h"

namespace divaudit::attest {
namespace {

using namespace divaudit::attest::testing;

audit::ChangedBy Actor(const std::string& id) {
  return audit::ChangedBy{"user",          id,       "Admin " + id, "2026-11-02T05:55:00Z",
                          "ContactCenter", "Update", "Queue",       "q-acme"};
}

// Sweep n of the fixture org with queues: q-acme (Acme Retail) lists alice directly from sweep
// 1 and bob via its group from sweep 2; q-beta (Beta Bank) lists dave. q-moved is in Beta Bank
// in sweep 1 and 2, moved to Acme Retail Billing in sweep 3 (its member carol: first seen 3).
audit::OrgSnapshot V2Org(int n) {
  audit::OrgSnapshot s = FixtureOrg(n);
  audit::Queue acme{
      "q-acme", "Acme Inbound", "d-acme", {{"g-acme-sup", "Acme Supervisors", "GROUP"}}};
  s.queues = {acme,
              {"q-beta", "Beta Inbound", "d-beta"},
              {"q-moved", "Moved", n >= 3 ? "d-acme-bill" : "d-beta"}};
  s.queue_members = {{"q-acme", "u-alice", false, true},
                     {"q-beta", "u-dave", false, true},
                     {"q-moved", "u-carol", false, false}};
  if (n >= 2) s.queue_members.push_back({"q-acme", "u-bob", true, false});
  s.role_settings = audit::RoleSettings{true, false};
  audit::Canonicalize(s);
  return s;
}

audit::Finding QueueFinding() {
  audit::Finding f;
  f.rule = audit::Rule::kCrossTenantQueue;
  f.severity = audit::RuleSeverity(f.rule);
  f.subject = audit::SubjectRef{audit::SubjectType::kUser, "u-bob", "Bob Brown"};
  f.home_division = audit::NamedRef{"d-beta", "Beta Bank"};
  f.home_tenant = "Beta Bank";
  f.tenant = "Acme Retail";
  f.via = audit::Via{false, "", ""};
  f.queue = audit::QueueRef{"q-acme",
                            "Acme Inbound",
                            {"d-acme", "Acme Retail"},
                            "Acme Retail",
                            {{"g-acme-sup", "Acme Supervisors", "GROUP"}}};
  f.changed_by = Actor("u-admin");
  f.fingerprint = audit::FingerprintOf(f);
  return f;
}

audit::Finding OrgWideFinding() {
  audit::Finding f;
  f.rule = audit::Rule::kOrgWidePermission;
  f.severity = audit::RuleSeverity(f.rule);
  f.subject = audit::SubjectRef{audit::SubjectType::kUser, "u-frank", "Frank Fox"};
  f.home_division = audit::NamedRef{"d-beta", "Beta Bank"};
  f.home_tenant = "Beta Bank";
  f.role = audit::NamedRef{"r-agent", "Agent"};
  f.via = audit::Via{};
  f.permissions = {"authorization:grant:add"};
  f.divisions = {"d-beta"};
  f.changed_by = Actor("u-root");
  f.fingerprint = audit::FingerprintOf(f);
  return f;
}

class V2Fixture {
 public:
  V2Fixture() {
    db_path_ = dir_ / "divaudit.db";
    auto store = storage::SqliteSnapshotStore::Open(db_path_, clock_);
    EXPECT_TRUE(store.ok());
    store_ = std::move(*store);
    const audit::Policy policy = FixturePolicy();
    for (int n = 1; n <= 3; ++n) {
      const audit::OrgSnapshot org = V2Org(n);
      auto map = audit::TenantMap::Build(policy, org.divisions);
      EXPECT_TRUE(map.ok());
      audit::SweepInfo info;
      info.started_at_unix = SweepStart(n);
      info.finished_at_unix = SweepStart(n) + 90;
      info.status = audit::SweepStatus::kComplete;
      auto findings = audit::Audit(org, *map, policy, FromUnixSeconds(info.started_at_unix));
      if (n >= 2) {
        // As the sweep job does: the engine's finding, with who opened it (the engine finds the
        // queue finding itself; replace it rather than store it twice).
        for (const audit::Finding& extra : {QueueFinding(), OrgWideFinding()}) {
          std::erase_if(findings, [&](const audit::Finding& f) {
            return f.fingerprint == extra.fingerprint;
          });
          findings.push_back(extra);
        }
      }
      auto r = store_->CommitSweep(info, org, findings);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
    }
    EXPECT_TRUE(history_.Open(db_path_, storage::Db::Mode::kReadWrite).ok());
  }
  Result<AttestationData> Build(const std::string& tenant) {
    auto source = AttestationSource::Load(*store_, history_, FixturePolicy());
    if (!source.ok()) return source.status();
    AttestationOptions options;
    options.generated_at = *ParseIso8601("2026-11-04T09:30:00Z");
    return (*source)->Build(tenant, options);
  }

 private:
  TempDir dir_;
  std::string db_path_;
  FakeClock clock_;
  std::unique_ptr<storage::SqliteSnapshotStore> store_;
  storage::Db history_;
};

const AttestedRow* Find(const AttestationData& d, const std::string& path,
                        const std::string& subject, const std::string& queue = "") {
  for (const auto& r : d.reach) {
    if (r.row.path == path && r.row.subject.id == subject &&
        (queue.empty() || (r.row.queue && r.row.queue->id == queue))) {
      return &r;
    }
  }
  return nullptr;
}

TEST(ReachV2Test, EveryPathIsCollected) {
  V2Fixture f;
  auto d = f.Build("Acme Retail");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->collected_paths,
            (std::vector<std::string>{"grant", "all_divisions", "org_wide_permission", "queue"}));
  EXPECT_TRUE(d->uncollected_paths.empty());
}

TEST(ReachV2Test, QueueRowsAreTheTenantsQueueMembersWithFirstSeenAndFinding) {
  V2Fixture f;
  auto d = f.Build("Acme Retail");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  const AttestedRow* alice = Find(*d, "queue", "u-alice", "q-acme");
  ASSERT_NE(alice, nullptr);
  EXPECT_EQ(alice->first_seen_sweep, 1);
  EXPECT_FALSE(alice->finding) << "own people in their own tenant's queue";
  EXPECT_FALSE(alice->changed_by);
  EXPECT_TRUE(alice->row.via.direct);
  EXPECT_TRUE(alice->row.queue->member_groups.empty());
  const AttestedRow* bob = Find(*d, "queue", "u-bob", "q-acme");
  ASSERT_NE(bob, nullptr);
  EXPECT_EQ(bob->first_seen_sweep, 2);
  EXPECT_FALSE(bob->row.via.direct);
  ASSERT_TRUE(bob->row.queue);
  EXPECT_EQ(bob->row.queue->division.name, "Acme Retail");
  EXPECT_EQ(bob->row.queue->tenant, std::optional<std::string>("Acme Retail"));
  ASSERT_EQ(bob->row.queue->member_groups.size(), 1u);
  EXPECT_EQ(bob->row.home_tenant, std::optional<std::string>("Beta Bank"));
  ASSERT_TRUE(bob->finding);
  EXPECT_EQ(bob->finding->rule, audit::Rule::kCrossTenantQueue);
  EXPECT_EQ(bob->finding->fingerprint, QueueFinding().fingerprint);
  EXPECT_EQ(bob->changed_by, QueueFinding().changed_by);
  // A queue of another tenant never reaches; a queue moved into the tenant counts from the move.
  EXPECT_EQ(Find(*d, "queue", "u-dave"), nullptr);
  const AttestedRow* carol = Find(*d, "queue", "u-carol", "q-moved");
  ASSERT_NE(carol, nullptr);
  EXPECT_EQ(carol->first_seen_sweep, 3);
}

TEST(ReachV2Test, OrgWidePermissionRowsReachEveryTenantWithTheirPermissions) {
  V2Fixture f;
  for (const std::string tenant : {"Acme Retail", "Beta Bank"}) {
    auto d = f.Build(tenant);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    const AttestedRow* frank = Find(*d, "org_wide_permission", "u-frank");
    ASSERT_NE(frank, nullptr) << tenant;
    EXPECT_EQ(frank->row.permissions, OrgWideFinding().permissions);
    EXPECT_EQ(frank->row.divisions, OrgWideFinding().divisions);
    EXPECT_EQ(frank->row.role->id, "r-agent");
    EXPECT_EQ(frank->first_seen_sweep, 2);
    ASSERT_TRUE(frank->finding);
    EXPECT_EQ(frank->finding->rule, audit::Rule::kOrgWidePermission);
    EXPECT_EQ(frank->changed_by, OrgWideFinding().changed_by);
    // The org-wide finding touches every tenant.
    EXPECT_EQ(d->findings_summary[static_cast<size_t>(audit::Rule::kOrgWidePermission)].open, 1);
  }
}

TEST(ReachV2Test, JsonAndHtmlCarryTheV2Fields) {
  V2Fixture f;
  auto d = f.Build("Acme Retail");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  const std::string json = RenderAttestationJson(*d);
  EXPECT_NE(json.find("\"path\": \"org_wide_permission\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"authorization:grant:add\""), std::string::npos);
  EXPECT_NE(json.find("\"Acme Inbound\""), std::string::npos);
  EXPECT_NE(json.find("\"actor_id\": \"u-admin\""), std::string::npos);
  EXPECT_NE(json.find("\"paths_not_collected\": []"), std::string::npos);
  EXPECT_NE(json.find("\"cross_tenant_queue\""), std::string::npos);
  const std::string html = RenderAttestationHtml(*d);
  EXPECT_NE(html.find("queue Acme Inbound"), std::string::npos);
  EXPECT_NE(html.find("Admin u-admin"), std::string::npos);
  EXPECT_NE(html.find("authorization:grant:add"), std::string::npos);
}

}  // namespace
}  // namespace divaudit::attest
