#pragma once

// Helpers shared by the storage tests: synthetic orgs, findings, raw SQL access, temp dirs.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "audit/finding.h"
#include "audit/org_snapshot.h"
#include "storage/hash_chain.h"
#include "storage/id_dict.h"
#include "storage/sqlite_db.h"

namespace divaudit::storage::testing {

struct OrgShape {
  int users = 300;
  int divisions = 12;
  int roles = 15;
  int groups = 20;
  int clients = 4;
  int grants_per_user = 2;
  uint32_t seed = 42;
};

// A generated-looking org: users homed across divisions, groups with read members (those that
// hold grants), OAuth clients with role divisions, two trustee subjects, grants on divisions,
// on "*" and on an unknown division. Canonical.
inline audit::OrgSnapshot MakeOrg(const OrgShape& shape = {}) {
  std::mt19937 rng(shape.seed);
  auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); };
  audit::OrgSnapshot s;
  for (int i = 0; i < shape.divisions; ++i) {
    s.divisions.push_back({"div-" + std::to_string(i),
                           i == 0 ? "Home" : "Tenant " + std::to_string(i),
                           "division " + std::to_string(i), i == 0});
  }
  for (int i = 0; i < shape.roles; ++i) {
    s.roles.push_back({"role-" + std::to_string(i), "Role " + std::to_string(i)});
  }
  for (int i = 0; i < shape.users; ++i) {
    const std::string id = "user-" + std::to_string(i);
    s.users.push_back({id, "User " + std::to_string(i), id + "@example.com",
                       "div-" + std::to_string(pick(shape.divisions)),
                       i % 17 == 0 ? "inactive" : "active"});
    for (int g = 0; g < shape.grants_per_user; ++g) {
      s.grants.push_back({audit::SubjectType::kUser, id,
                          "role-" + std::to_string(pick(shape.roles)),
                          "div-" + std::to_string(pick(shape.divisions))});
    }
  }
  for (int i = 0; i < shape.groups; ++i) {
    audit::Group g;
    g.id = "group-" + std::to_string(i);
    g.name = "Group " + std::to_string(i);
    g.roles_enabled = i % 5 != 0;
    g.members_read = i % 2 == 0;  // only groups holding grants get their members read
    if (g.members_read) {
      for (int m = 0; m < 8; ++m)
        g.member_ids.push_back("user-" + std::to_string(pick(shape.users)));
      s.grants.push_back({audit::SubjectType::kGroup, g.id,
                          "role-" + std::to_string(pick(shape.roles)),
                          "div-" + std::to_string(pick(shape.divisions))});
    }
    s.groups.push_back(std::move(g));
  }
  for (int i = 0; i < shape.clients; ++i) {
    audit::OAuthClient c;
    c.id = "client-" + std::to_string(i);
    c.name = "Client " + std::to_string(i);
    c.authorized_grant_type = "CLIENT-CREDENTIALS";
    c.state = "active";
    c.role_divisions.push_back({"role-1", i == 0 ? "*" : "div-" + std::to_string(i)});
    s.grants.push_back({audit::SubjectType::kOAuthClient, c.id, "role-1",
                        i == 0 ? "*" : "div-" + std::to_string(i)});
    s.oauth_clients.push_back(std::move(c));
  }
  s.external_subjects.push_back(
      {"trustee-1", "Partner Admin", audit::SubjectType::kTrusteeUser, "PC_TRUSTEE_USER"});
  s.external_subjects.push_back({"odd-1", "", audit::SubjectType::kUnknown, "PC_SOMETHING_NEW"});
  s.grants.push_back({audit::SubjectType::kTrusteeUser, "trustee-1", "role-0", "*"});
  s.grants.push_back({audit::SubjectType::kUser, "user-0", "role-2", "div-gone"});
  audit::Canonicalize(s);
  return s;
}

inline audit::SweepInfo MakeInfo(int64_t started,
                                 audit::SweepStatus status = audit::SweepStatus::kComplete) {
  audit::SweepInfo info;
  info.started_at_unix = started;
  info.finished_at_unix = started + 70;
  info.status = status;
  info.api_requests = 734;
  info.retries = 3;
  info.throttled = 1;
  info.coverage_ratio = status == audit::SweepStatus::kComplete ? 1.0 : 0.875;
  if (status != audit::SweepStatus::kComplete) info.incomplete = {"users (page 3: HTTP 500)"};
  return info;
}

// A cross_tenant finding for `user` on `division` (open unless `suppressed`).
inline audit::Finding MakeFinding(const std::string& user, const std::string& division,
                                  bool suppressed = false) {
  audit::Finding f;
  f.rule = audit::Rule::kCrossTenant;
  f.severity = audit::RuleSeverity(f.rule);
  f.state = suppressed ? audit::FindingState::kSuppressed : audit::FindingState::kOpen;
  f.subject = audit::SubjectRef{audit::SubjectType::kUser, user, "Name of " + user};
  f.home_division = audit::NamedRef{"div-1", "Tenant 1"};
  f.home_tenant = "Tenant 1";
  f.role = audit::NamedRef{"role-3", "Role 3"};
  f.division = audit::NamedRef{division, "Division " + division};
  f.tenant = "Tenant of " + division;
  f.via = audit::Via{};
  if (suppressed)
    f.exception = audit::ExceptionRef{"break-glass", "secops@example.com", "2027-06-30"};
  f.fingerprint = audit::FingerprintOf(f);
  return f;
}

inline audit::Finding MakeMultiTenantFinding(const std::string& group) {
  audit::Finding f;
  f.rule = audit::Rule::kMultiTenantSubject;
  f.severity = audit::RuleSeverity(f.rule);
  f.subject = audit::SubjectRef{audit::SubjectType::kGroup, group, "Group " + group};
  f.tenants = {"Tenant 1", "Tenant 2"};
  f.fingerprint = audit::FingerprintOf(f);
  return f;
}

// A raw connection for inspecting and tampering with the file behind the store's back.
class RawDb {
 public:
  explicit RawDb(const std::string& path) { sqlite3_open(path.c_str(), &db_); }
  ~RawDb() { sqlite3_close(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;
  // Returns the sqlite3_exec result code.
  int Exec(const std::string& sql) {
    return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  }
  int64_t Int(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return v;
  }
  std::string Text(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    std::string v;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != nullptr) {
      v = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return v;
  }
  std::vector<std::string> Tables() {
    std::vector<std::string> out;
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db_, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", -1,
                       &st, nullptr);
    while (sqlite3_step(st) == SQLITE_ROW) {
      out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
    }
    sqlite3_finalize(st);
    return out;
  }
  sqlite3* raw() { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

// A fresh temporary directory, removed at destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "divaudit-storage-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The content hashes of sweeps first, first + 1, ... in layouts[0], layouts[1], ..., recomputed
// from the rows stored in `path` and chained from `prev`: what a build writing those layouts
// would have stored. Empty (and a test failure) when a sweep cannot be hashed.
inline std::vector<std::string> RecomputeHashes(const std::string& path, int64_t first,
                                                const std::vector<HashLayout>& layouts,
                                                std::string prev) {
  Db db;
  EXPECT_TRUE(db.Open(path, Db::Mode::kReadOnly).ok());
  IdDict dict;
  EXPECT_TRUE(dict.Load(db).ok());
  std::vector<std::string> hashes;
  for (size_t i = 0; i < layouts.size(); ++i) {
    auto h = ComputeSweepHash(db, dict, first + static_cast<int64_t>(i), prev, layouts[i]);
    EXPECT_TRUE(h.ok()) << h.status().ToString();
    if (!h.ok()) return {};
    hashes.push_back(prev = *h);
  }
  return hashes;
}

}  // namespace divaudit::storage::testing
