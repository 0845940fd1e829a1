// The partial-listing matrix (issue 12, failure 1): `divaudit sweep` against divaudit-sim with
// one listing made to fail at a time (`divaudit-sim --fail-path REGEX=STATUS`, every attempt, so
// retries cannot recover it). A sweep that could not read a listing must never invent a finding
// from what it did not read, nor resolve one:
//  - the partial sweep's findings are a subset of a complete sweep's findings of the same org
//    (same identity and state);
//  - storage records new=0 and resolved=0 for it (nothing opened, nothing resolved), and the
//    database holds exactly the complete sweep's findings, none resolved;
//  - the sweep is partial (failed where the contract says so) and its `incomplete` names the
//    listing, and the rules it could not judge ("rule <id>: not judged (<listing>)").
// The matrix is printed at the end of each case.
#include <gtest/gtest.h>
#include <simdjson.h>
#include <sqlite3.h>

#include <algorithm>
#include <map>
#include <regex>

#include "tests/integration/harness.h"
#include "tests/integration/it_util.h"

namespace divaudit::testing {
namespace {

// An org with three pages of active users (pageSize 500), one of inactive users, team groups
// holding grants, OAuth clients with roleDivisions, and every planted violation of the generator.
const std::vector<std::string> kOrg = {"--generate",
                                       "divisions=14,users=1200,groups=20,roles=10,seed=12"};

struct Case {
  std::string name;    // the listing that fails
  std::string fail;    // REGEX=STATUS; {role} / {group} are replaced by ids of the org
  std::string status;  // expected sweep status
  std::string names;   // a substring `incomplete` must contain ("" = no check)
  std::string judged;  // another one, e.g. a "rule …: not judged (…)" line ("" = no check)
};

std::ostream& operator<<(std::ostream& os, const Case& c) { return os << c.name; }

// Ids the patterns need: the role with the most grants and a granted group with members.
struct OrgIds {
  std::string role, group;
};

OrgIds PickIds(const std::string& org_json) {
  OrgIds ids;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(org_json).get(doc) != simdjson::SUCCESS) return ids;
  std::map<std::string, int> grants_per_role;
  std::map<std::string, int> granted_groups;
  for (auto g : doc["grants"].get_array()) {
    ++grants_per_role[std::string(g["roleId"].get_string().value())];
    if (std::string_view(g["subjectType"].get_string().value()) == "PC_GROUP") {
      ++granted_groups[std::string(g["subjectId"].get_string().value())];
    }
  }
  int best = 0;
  for (const auto& [role, n] : grants_per_role) {
    if (n > best) best = n, ids.role = role;
  }
  size_t most_members = 0;
  for (auto g : doc["groups"].get_array()) {
    const std::string id(g["id"].get_string().value());
    const size_t members = g["memberIds"].get_array().size();
    if (granted_groups.contains(id) && members > most_members) {
      most_members = members;
      ids.group = id;
    }
  }
  return ids;
}

std::string Substitute(std::string s, const OrgIds& ids) {
  s = std::regex_replace(s, std::regex("\\{role\\}"), ids.role);
  return std::regex_replace(s, std::regex("\\{group\\}"), ids.group);
}

// "new=N" / "resolved=N" of the sweep_done log line (-1 when absent).
int64_t LogCount(const std::string& log, const std::string& key) {
  std::smatch m;
  if (!std::regex_search(log, m, std::regex("event=sweep_done .* " + key + "=([0-9]+)"))) {
    return -1;
  }
  return std::stoll(m[1].str());
}

struct DbFindings {
  int64_t total = -1, resolved = -1;
};
DbFindings ReadDbFindings(const std::string& path) {
  DbFindings out;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    const char* sql =
        "SELECT count(*), coalesce(sum(state = 'resolved' OR resolved_by_sweep IS NOT NULL), 0) "
        "FROM findings";
    if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      out.total = sqlite3_column_int64(st, 0);
      out.resolved = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return out;
}

std::vector<std::string> IncompleteOf(const std::string& doc_json) {
  std::vector<std::string> out;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(doc_json).get(doc) != simdjson::SUCCESS) return out;
  simdjson::dom::array items;
  if (doc["sweep"]["incomplete"].get_array().get(items) != simdjson::SUCCESS) return out;
  for (auto i : items) out.emplace_back(i.get_string().value());
  return out;
}

bool AnyContains(const std::vector<std::string>& lines, const std::string& needle) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& l) { return l.find(needle) != std::string::npos; });
}

class PartialListingMatrixTest : public ::testing::TestWithParam<Case> {};

TEST_P(PartialListingMatrixTest, NeverInventsNorResolves) {
  const Case& c = GetParam();
  TempDir dir;
  SimProcess sim;
  std::string error;
  std::vector<std::string> args = kOrg;
  args.insert(args.end(), {"--write-config", dir.File("divaudit.toml")});
  ASSERT_TRUE(sim.Start(args, &error)) << error;
  ASSERT_TRUE(MakeConfigFast(dir.File("divaudit.toml")));
  const std::vector<std::string> sweep = {DivauditBinary(), "sweep", "--config",
                                          dir.File("divaudit.toml"), "--json"};

  // The complete sweep: the findings of this org.
  const CommandResult full = RunCommand(sweep);
  ASSERT_EQ(full.exit_code, 0) << full.err;
  ASSERT_EQ(SweepStatusOf(full.out), "complete") << full.out.substr(0, 2000);
  const auto complete = ReadFindingKeys(full.out);
  ASSERT_TRUE(complete.ok()) << complete.status().ToString();
  ASSERT_GT(complete->size(), 20U);

  // The same org, one listing failing.
  const OrgIds ids = PickIds(HttpRequest("GET", sim.base_url() + "/sim/org").body);
  ASSERT_FALSE(ids.role.empty());
  ASSERT_FALSE(ids.group.empty());
  const std::string fail = Substitute(c.fail, ids);
  std::string body = "{\"fail_path\":[\"";
  for (const char ch : fail) {
    if (ch == '\\' || ch == '"') body.push_back('\\');
    body.push_back(ch);
  }
  body += "\"]}";
  const HttpResult set = HttpRequest("POST", sim.base_url() + "/sim/faults", body);
  ASSERT_EQ(set.status, 200) << set.body;
  const CommandResult part = RunCommand(sweep);
  ASSERT_EQ(part.exit_code, c.status == "failed" ? 1 : 0) << part.err;
  const std::vector<std::string> incomplete = IncompleteOf(part.out);

  int invented = 0;
  std::string invented_list;
  int64_t partial_count = 0;
  if (c.status != "failed") {
    EXPECT_EQ(SweepStatusOf(part.out), c.status);
    const auto partial = ReadFindingKeys(part.out);
    ASSERT_TRUE(partial.ok()) << partial.status().ToString();
    partial_count = static_cast<int64_t>(partial->size());
    std::map<std::string, int> by_rule;
    for (const FindingKey& k : *partial) {
      if (complete->contains(k)) continue;
      ++invented;
      ++by_rule[std::get<0>(k)];
      if (invented <= 5) invented_list += "\n  " + Describe(k);
    }
    for (const auto& [rule, n] : by_rule) {
      invented_list = " " + std::to_string(n) + " " + rule + invented_list;
    }
  }
  const int64_t opened = LogCount(part.err, "new");
  const int64_t resolved = LogCount(part.err, "resolved");
  const DbFindings db = ReadDbFindings(dir.File("divaudit.db"));
  std::printf("| %s | %s | %s | %zu | %lld | %d | %lld | %lld | %lld/%lld |\n", c.name.c_str(),
              fail.c_str(), c.status == "failed" ? "failed" : SweepStatusOf(part.out).c_str(),
              complete->size(), static_cast<long long>(partial_count), invented,
              static_cast<long long>(opened), static_cast<long long>(resolved),
              static_cast<long long>(db.total), static_cast<long long>(db.resolved));

  EXPECT_EQ(invented, 0) << c.name
                         << ": findings the complete sweep does not have:" << invented_list;
  if (c.status != "failed") {
    EXPECT_EQ(opened, 0) << part.err;
    EXPECT_EQ(resolved, 0) << part.err;
  }
  EXPECT_EQ(db.total, static_cast<int64_t>(complete->size()));
  EXPECT_EQ(db.resolved, 0);
  if (!c.names.empty() && c.status != "failed") {
    EXPECT_TRUE(AnyContains(incomplete, c.names)) << c.name << ": " << part.out.substr(0, 3000);
  }
  if (!c.judged.empty()) {
    EXPECT_TRUE(AnyContains(incomplete, c.judged)) << c.name << ": " << part.out.substr(0, 3000);
  }
  if (c.status == "failed") {
    EXPECT_NE(part.err.find(c.names), std::string::npos) << part.err;
  }
}

// Every listing of the sweep (genesys/README.md, "The call plan"). 403 is final at once; 500
// and reset are retried by the client until it gives up (slower: a few back-offs).
INSTANTIATE_TEST_SUITE_P(
    EveryListing, PartialListingMatrixTest,
    ::testing::Values(
        Case{"divisions", "/authorization/divisions\\?=403", "failed", "divisions", ""},
        Case{"roles", "/authorization/roles\\?=403", "failed", "roles", ""},
        Case{"organization", "/api/v2/organizations/me=403", "failed", "organization", ""},
        Case{"subject grants of one role", "/roles/{role}/subjectgrants=403", "partial",
             "subject grants of role", "rule cross_tenant: not judged (subject grants of 1 role)"},
        Case{"subject grants of every role", "/subjectgrants=403", "partial",
             "subject grants of role", "rule all_divisions: not judged (subject grants of"},
        Case{"active users", "/api/v2/users\\?.*state=active=403", "partial",
             "users (state=active)", "rule multi_tenant_subject: not judged (users) for"},
        Case{"active users, page 2 (reset)", "/api/v2/users\\?.*pageNumber=2&state=active=reset",
             "partial", "users (state=active)", "rule cross_tenant: not judged (users) for"},
        Case{"inactive users (500)", "/api/v2/users\\?.*state=inactive=500", "partial",
             "users (state=inactive)", "rule multi_tenant_subject: not judged (users) for"},
        Case{"groups", "/api/v2/groups\\?=403", "partial", "groups", ""},
        Case{"members of one group", "/groups/{group}/members=403", "partial", "members of group",
             "rule cross_tenant: not judged (members of 1 group)"},
        Case{"members of every group", "/members\\?=403", "partial", "members of group",
             "rule multi_tenant_subject: not judged (members of"},
        Case{"oauth clients", "/api/v2/oauth/clients=403", "partial", "oauth clients",
             "rule multi_tenant_subject: not judged (oauth clients)"},
        Case{"coverage", "/divisionspermitted/=403", "partial", "coverage",
             "rule cross_tenant: not judged (coverage)"},
        Case{"permission catalog", "/authorization/permissions=403", "partial",
             "permission catalog: GET /api/v2/authorization/permissions page 1: HTTP 403", ""},
        Case{"role settings", "/authorization/roles/settings=403", "partial",
             "role settings: GET /api/v2/authorization/roles/settings: HTTP 403", ""}),
    [](const ::testing::TestParamInfo<Case>& param_info) {
      std::string name;
      for (const char ch : param_info.param.name) {
        name.push_back(std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_');
      }
      return name;
    });

}  // namespace
}  // namespace divaudit::testing
