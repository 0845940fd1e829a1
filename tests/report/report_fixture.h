#pragma once

// A fixed findings database for the report tests: three tenants, five sweeps (complete,
// partial, complete, failed, complete) with changes between them, exceptions (one expiring
// mid-period) and hostile names (<script>, quotes, formula prefixes).

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "audit/engine.h"
#include "audit/org_snapshot.h"
#include "audit/policy.h"
#include "audit/tenant_map.h"
#include "common/clock.h"
#include "common/time_util.h"
#include "report/report.h"
#include "storage/sqlite_snapshot_store.h"

namespace divaudit::report::testing {

inline SystemTime At(const std::string& iso) { return ParseIso8601(iso).value(); }

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "divaudit-report-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline const std::string kScriptName = "<script>alert(1)</script>";
inline const std::string kQuoteGroup = "\"&' group";
inline const std::string kFormulaName = "=HYPERLINK(\"http://evil.example\",\"x\")";

inline audit::ExceptionSpec Exception(audit::Rule rule, std::string subject, std::string reason,
                                      std::string owner, std::string expires) {
  audit::ExceptionSpec e;
  e.rule = rule;
  e.subject_id = std::move(subject);
  e.reason = std::move(reason);
  e.owner = std::move(owner);
  e.expires = expires;
  e.expires_at = At(expires) + std::chrono::seconds(86399);
  return e;
}

inline audit::Policy FixturePolicy() {
  audit::Policy p;
  p.tenants = {{"Acme Retail", {"Acme Retail", "Acme Retail *"}},
               {"Globex Health", {"Globex Health"}},
               {"Initech", {"d-init"}}};
  p.shared_divisions = {"Home"};
  p.exceptions = {
      Exception(audit::Rule::kAllDivisions, "u-eve", "break-glass administrator",
                "secops@example.com", "2026-12-31"),
      Exception(audit::Rule::kCrossTenant, "u-script", "migration <temp> & 'cleanup'",
                "=owner@example.com", "2026-01-10"),
      Exception(audit::Rule::kAllDivisions, "u-nobody", "irrelevant", "x@example.com",
                "2026-12-31"),
  };
  return p;
}

// The org at a given stage (0: initial; 1: uC's cross grant removed and Alice granted on Globex;
// 2: Hank added with a grant into Acme).
inline audit::OrgSnapshot FixtureOrg(int stage) {
  audit::OrgSnapshot s;
  s.divisions = {{"d-home", "Home", "", true},
                 {"d-a1", "Acme Retail", "", false},
                 {"d-a2", "Acme Retail East", "", false},
                 {"d-g1", "Globex Health", "", false},
                 {"d-init", "Initech Main", "", false},
                 {"d-unm", "Unmapped Ops", "", false}};
  s.roles = {{"r-admin", "Admin"}, {"r-agent", "Agent"}};
  auto user = [&s](std::string id, std::string name, std::string home) {
    s.users.push_back({id, std::move(name), id + "@example.com", std::move(home), "active"});
  };
  auto grant = [&s](audit::SubjectType t, std::string who, std::string role, std::string div) {
    s.grants.push_back({t, std::move(who), std::move(role), std::move(div)});
  };
  using T = audit::SubjectType;
  user("u-alice", "Alice", "d-a1");
  user("u-script", kScriptName, "d-g1");
  grant(T::kUser, "u-script", "r-agent", "d-a1");
  user("u-carl", kFormulaName, "d-a2");
  if (stage == 0) grant(T::kUser, "u-carl", "r-admin", "d-g1");
  user("u-dora", "Dora", "d-home");
  grant(T::kUser, "u-dora", "r-agent", "d-a1");
  grant(T::kUser, "u-dora", "r-agent", "d-g1");
  user("u-eve", "Eve", "d-g1");
  grant(T::kUser, "u-eve", "r-admin", "*");
  user("u-frank", "Frank", "d-unm");
  user("u-gina", "Gina", "d-g1");
  grant(T::kUser, "u-gina", "r-agent", "d-gone");
  user("u-olga", "Olga", "d-a1");
  grant(T::kUser, "u-olga", "r-agent", "d-gone2");
  user("u-ivan", "Ivan", "d-init");
  grant(T::kUser, "u-ivan", "r-agent", "d-g1");
  if (stage >= 1) grant(T::kUser, "u-alice", "r-admin", "d-g1");
  if (stage >= 2) {
    user("u-hank", "Hank", "d-g1");
    grant(T::kUser, "u-hank", "r-admin", "d-a2");
  }
  audit::Group g;
  g.id = "g-quote";
  g.name = kQuoteGroup;
  g.member_ids = {"u-alice"};
  g.members_read = true;
  s.groups.push_back(g);
  grant(T::kGroup, "g-quote", "r-agent", "d-g1");
  audit::OAuthClient c;
  c.id = "c-int";
  c.name = "Integration";
  c.authorized_grant_type = "CLIENT-CREDENTIALS";
  c.state = "active";
  c.role_divisions = {{"r-admin", "d-a1"}, {"r-admin", "d-g1"}};
  s.oauth_clients.push_back(c);
  grant(T::kOAuthClient, "c-int", "r-admin", "d-a1");
  grant(T::kOAuthClient, "c-int", "r-admin", "d-g1");
  audit::Canonicalize(s);
  return s;
}

// Commits `snapshot` as a sweep started at `iso` with findings from RunAudit.
inline void Commit(storage::SnapshotStore& store, FakeClock& clock, const std::string& iso,
                   audit::SweepStatus status, const audit::OrgSnapshot& snapshot,
                   const audit::Policy& policy) {
  clock.SetNow(At(iso));
  audit::SweepInfo info;
  info.started_at_unix = ToUnixSeconds(At(iso));
  info.finished_at_unix = info.started_at_unix + 60;
  info.status = status;
  info.api_requests = 40;
  if (status != audit::SweepStatus::kComplete) info.incomplete = {"users (page 2: HTTP 500)"};
  std::vector<audit::Finding> findings;
  audit::OrgSnapshot empty;
  if (status != audit::SweepStatus::kFailed) {
    auto map = audit::TenantMap::Build(policy, snapshot.divisions).value();
    findings = audit::RunAudit(snapshot, map, policy, At(iso)).findings;
    // Hank's grant (stage 2) was made by an admin user, per the audit trail.
    for (auto& f : findings) {
      if (f.subject && f.subject->id == "u-hank") {
        f.changed_by = audit::ChangedBy{
            "user",      "u-ada", "Ada Admin", "2026-01-11T17:30:00Z", "PeoplePermissions",
            "MemberAdd", "Role",  "r-admin"};
      }
    }
  }
  auto r =
      store.CommitSweep(info, status == audit::SweepStatus::kFailed ? empty : snapshot, findings);
  if (!r.ok()) std::abort();
}

// The five-sweep history.
inline void FillFixture(storage::SnapshotStore& store, FakeClock& clock) {
  const audit::Policy policy = FixturePolicy();
  Commit(store, clock, "2026-01-02T08:00:00Z", audit::SweepStatus::kComplete, FixtureOrg(0),
         policy);
  Commit(store, clock, "2026-01-05T08:00:00Z", audit::SweepStatus::kPartial, FixtureOrg(1), policy);
  Commit(store, clock, "2026-01-08T08:00:00Z", audit::SweepStatus::kComplete, FixtureOrg(1),
         policy);
  Commit(store, clock, "2026-01-09T08:00:00Z", audit::SweepStatus::kFailed, FixtureOrg(1), policy);
  Commit(store, clock, "2026-01-12T08:00:00Z", audit::SweepStatus::kComplete, FixtureOrg(2),
         policy);
}

inline ReportRequest FixtureRequest(const std::string& tenant = "Acme Retail") {
  ReportRequest r;
  r.org_name = "bpo-prod";
  r.tenant = tenant;
  r.from = At("2026-01-01T00:00:00Z");
  r.to = At("2026-01-14T23:59:59Z");
  r.generated_at = At("2026-01-15T06:00:00Z");
  r.policy = FixturePolicy();
  r.new_window = std::chrono::hours(24 * 7);
  return r;
}

}  // namespace divaudit::report::testing
