#pragma once

// A small BPO org committed as three complete sweeps, for the attestation tests:
//   tenants "Acme Retail" (divisions "Acme Retail", "Acme Retail Billing") and "Beta Bank";
//   "Home" is shared.
//   alice (Acme)  Agent on Acme Retail, direct, since sweep 1          own people
//   bob   (Beta)  Supervisor on Acme Retail, direct, since sweep 2     cross_tenant
//   group "Acme Supervisors": Supervisor on Acme Retail Billing since sweep 1;
//         dave (Acme) a member since sweep 1, carol (Beta) since sweep 2
//   erin  (Home)  Admin on All Divisions, since sweep 1                all_divisions (excepted)
//   gina  (Acme)  Supervisor on Acme Retail in sweeps 1 and 3, not 2   (first seen 3)
//   client "Integration": Admin on Acme Retail and Beta Bank           multi_tenant_subject
//   frank (Beta)  Agent on Beta Bank only                              never reaches Acme
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "audit/engine.h"
#include "audit/org_snapshot.h"
#include "audit/policy.h"
#include "audit/tenant_map.h"
#include "common/clock.h"
#include "common/time_util.h"
#include "storage/sqlite_snapshot_store.h"

namespace divaudit::attest::testing {

inline std::string SourcePath(const std::string& rel) {
  return std::string(DIVAUDIT_SOURCE_DIR) + "/" + rel;
}
inline std::string DivauditBinary() {
  return std::string(DIVAUDIT_BINARY_DIR) + "/daemon/divaudit";
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "attest-test-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
inline void WriteAll(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary) << data;
}

inline audit::Policy FixturePolicy() {
  audit::Policy p;
  p.tenants = {{"Acme Retail", {"Acme Retail", "Acme Retail *"}}, {"Beta Bank", {"Beta Bank"}}};
  p.shared_divisions = {"Home"};
  audit::ExceptionSpec e;
  e.rule = audit::Rule::kAllDivisions;
  e.subject_id = "u-erin";
  e.reason = "break-glass administrator";
  e.owner = "secops@example.com";
  e.expires = "2027-06-30";
  e.expires_at = *ParseIso8601("2027-06-30T23:59:59Z");
  p.exceptions.push_back(e);
  return p;
}

// The org as sweep `n` (1, 2 or 3) saw it.
inline audit::OrgSnapshot FixtureOrg(int n) {
  using audit::SubjectType;
  audit::OrgSnapshot s;
  s.divisions = {{"d-home", "Home", "", true},
                 {"d-acme", "Acme Retail", "", false},
                 {"d-acme-bill", "Acme Retail Billing", "", false},
                 {"d-beta", "Beta Bank", "", false}};
  s.roles = {{"r-admin", "Admin"}, {"r-agent", "Agent"}, {"r-sup", "Supervisor"}};
  s.users = {{"u-alice", "Alice Able", "alice@acme.example", "d-acme", "active"},
             {"u-bob", "Bob Brown", "bob@beta.example", "d-beta", "active"},
             {"u-carol", "Carol Cole", "carol@beta.example", "d-beta", "active"},
             {"u-dave", "Dave Dunn", "dave@acme.example", "d-acme", "active"},
             {"u-erin", "Erin Evans", "erin@bpo.example", "d-home", "active"},
             {"u-frank", "Frank Fox", "frank@beta.example", "d-beta", "active"},
             {"u-gina", "Gina Gray", "gina@acme.example", "d-acme", "inactive"}};
  audit::Group g;
  g.id = "g-acme-sup";
  g.name = "Acme Supervisors";
  g.members_read = true;
  g.member_ids =
      n >= 2 ? std::vector<std::string>{"u-carol", "u-dave"} : std::vector<std::string>{"u-dave"};
  s.groups = {g};
  audit::OAuthClient c;
  c.id = "c-int";
  c.name = "Integration";
  c.authorized_grant_type = "CLIENT-CREDENTIALS";
  c.state = "active";
  c.role_divisions = {{"r-admin", "d-acme"}, {"r-admin", "d-beta"}};
  s.oauth_clients = {c};
  s.grants = {{SubjectType::kUser, "u-alice", "r-agent", "d-acme"},
              {SubjectType::kUser, "u-erin", "r-admin", "*"},
              {SubjectType::kUser, "u-frank", "r-agent", "d-beta"},
              {SubjectType::kGroup, "g-acme-sup", "r-sup", "d-acme-bill"},
              {SubjectType::kOAuthClient, "c-int", "r-admin", "d-acme"},
              {SubjectType::kOAuthClient, "c-int", "r-admin", "d-beta"}};
  if (n >= 2) s.grants.push_back({SubjectType::kUser, "u-bob", "r-sup", "d-acme"});
  if (n != 2) s.grants.push_back({SubjectType::kUser, "u-gina", "r-sup", "d-acme"});
  audit::Canonicalize(s);
  return s;
}

// Sweep n starts at 2026-11-0n 06:00:00Z and takes 90 s.
inline int64_t SweepStart(int n) {
  return ToUnixSeconds(*ParseIso8601("2026-11-01T06:00:00Z")) + (n - 1) * 86400;
}

// Commits `sweeps` complete sweeps of the fixture org to a new database at `db_path`.
inline void CommitFixture(const std::string& db_path, int sweeps = 3) {
  FakeClock clock(FromUnixSeconds(SweepStart(1)));
  auto store = storage::SqliteSnapshotStore::Open(db_path, clock);
  if (!store.ok()) std::abort();
  const audit::Policy policy = FixturePolicy();
  for (int n = 1; n <= sweeps; ++n) {
    const audit::OrgSnapshot org = FixtureOrg(n);
    auto map = audit::TenantMap::Build(policy, org.divisions);
    if (!map.ok()) std::abort();
    audit::SweepInfo info;
    info.started_at_unix = SweepStart(n);
    info.finished_at_unix = SweepStart(n) + 90;
    info.status = audit::SweepStatus::kComplete;
    info.api_requests = 12;
    const auto findings = audit::Audit(org, *map, policy, FromUnixSeconds(info.started_at_unix));
    if (!(*store)->CommitSweep(info, org, findings).ok()) std::abort();
  }
}

// A config for the fixture database (offline commands only).
inline std::string WriteFixtureConfig(const std::string& dir, const std::string& db_path) {
  const std::string path = dir + "/divaudit.toml";
  WriteAll(path,
           "[genesys]\nclient_id = \"attest-test\"\napi_base_url = "
           "\"http://127.0.0.1:9\"\nlogin_base_url = \"http://127.0.0.1:9\"\n"
           "[storage]\npath = \"" +
               db_path +
               "\"\n[policy]\nshared_divisions = [\"Home\"]\n"
               "[[tenant]]\nname = \"Acme Retail\"\ndivisions = [\"Acme Retail\", "
               "\"Acme Retail *\"]\n[[tenant]]\nname = \"Beta Bank\"\ndivisions = "
               "[\"Beta Bank\"]\n[[exception]]\nrule = \"all_divisions\"\nsubject_id = "
               "\"u-erin\"\nreason = \"break-glass administrator\"\nowner = "
               "\"secops@example.com\"\nexpires = \"2027-06-30\"\n");
  return path;
}

// A copy of a testdata key with mode 0600 (git does not keep modes).
inline std::string PrivateKeyCopy(const std::string& dir, const std::string& testdata_name) {
  const std::string path = dir + "/" + testdata_name;
  WriteAll(path, ReadAll(SourcePath("tests/attest/testdata/" + testdata_name)));
  ::chmod(path.c_str(), 0600);
  return path;
}

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `command` with /bin/sh in `dir`, capturing stdout and stderr.
inline CommandResult Shell(const std::string& dir, const std::string& command) {
  const std::string out = dir + "/.stdout", err = dir + "/.stderr";
  const std::string full =
      "cd '" + dir + "' && { " + command + " ; } >'" + out + "' 2>'" + err + "'";
  const int status = std::system(full.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = ReadAll(out);
  r.err = ReadAll(err);
  return r;
}

}  // namespace divaudit::attest::testing
