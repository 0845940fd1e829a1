#include "genesys/sweeper.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tests/fakes/fake_api_client.h"

namespace divaudit::genesys {
namespace {

using audit::SubjectType;
using fakes::FakeApiClient;

std::string PagePath(std::string_view base, int64_t ps, int64_t page, std::string_view extra) {
  return std::string(base) + "?pageSize=" + std::to_string(ps) +
         "&pageNumber=" + std::to_string(page) + std::string(extra);
}

std::string ListingBody(const std::vector<std::string>& all, int64_t ps, int64_t page,
                        int64_t total, const std::string& extra_fields = "") {
  const int64_t page_count = (total + ps - 1) / ps;
  std::string e;
  const auto size = static_cast<int64_t>(all.size());
  for (int64_t i = (page - 1) * ps; i < std::min(page * ps, size); ++i) {
    if (!e.empty()) e += ",";
    e += all[static_cast<size_t>(i)];
  }
  return R"({"entities":[)" + e + R"(],"pageSize":)" + std::to_string(ps) + R"(,"pageNumber":)" +
         std::to_string(page) + R"(,"total":)" + std::to_string(total) + R"(,"pageCount":)" +
         std::to_string(page_count) + extra_fields + "}";
}

// Maps every page of a listing without a count (QueueMemberEntityListing): no total, pageCount
// or lastUri; nextUri on every page but the last.
void InstallNextUriPaged(FakeApiClient& f, std::string_view base,
                         const std::vector<std::string>& all, int64_t ps) {
  const int64_t total = static_cast<int64_t>(all.size());
  const int64_t pages = std::max<int64_t>(1, (total + ps - 1) / ps);
  for (int64_t p = 1; p <= pages; ++p) {
    std::string e;
    for (int64_t i = (p - 1) * ps; i < std::min<int64_t>(p * ps, total); ++i) {
      if (!e.empty()) e += ",";
      e += all[static_cast<size_t>(i)];
    }
    std::string body = R"({"entities":[)" + e + R"(],"pageNumber":)" + std::to_string(p) +
                       R"(,"pageSize":)" + std::to_string(ps);
    if (p < pages) body += R"(,"nextUri":")" + PagePath(base, ps, p + 1, "") + R"(")";
    f.SetOk(PagePath(base, ps, p, ""), body + "}");
  }
}

// Maps every page of a listing of `all` entities.
void InstallPaged(FakeApiClient& f, std::string_view base, std::string_view extra,
                  const std::vector<std::string>& all, int64_t ps,
                  const std::string& extra_fields = "") {
  const int64_t total = static_cast<int64_t>(all.size());
  const int64_t pages = std::max<int64_t>(1, (total + ps - 1) / ps);
  for (int64_t p = 1; p <= pages; ++p) {
    f.SetOk(PagePath(base, ps, p, extra), ListingBody(all, ps, p, total, extra_fields));
  }
}

std::string UserJson(const std::string& id, const std::string& division, const std::string& state) {
  return R"({"id":")" + id + R"(","name":"N )" + id + R"(","email":")" + id +
         R"(@x.com","division":{"id":")" + division + R"(","name":"D"},"state":")" + state +
         R"(","version":1})";
}

struct Subject {
  std::string id;
  std::string type;
  std::vector<std::string> divisions;
};

std::string SubjectJson(const Subject& s) {
  std::string d;
  for (const auto& id : s.divisions) {
    if (!d.empty()) d += ",";
    d += id == "*" ? R"({"id":"*"})" : R"({"id":")" + id + R"(","name":"D )" + id + R"("})";
  }
  return R"({"id":")" + s.id + R"(","name":"S )" + s.id + R"(","type":")" + s.type +
         R"(","divisions":[)" + d + "]}";
}

// A small org installed into a FakeApiClient exactly as the API would page it.
struct Org {
  int64_t ps = 500;
  int64_t inactive_limit = 10000;
  std::vector<std::string> divisions = {"d1", "d2", "d3"};
  std::vector<std::string> roles = {"r1", "r2"};
  std::map<std::string, std::vector<Subject>> subjects = {
      {"r1",
       {{"u1", "PC_USER", {"d1", "*"}},
        {"g1", "PC_GROUP", {"d2"}},
        {"c1", "PC_OAUTH_CLIENT", {"*"}},
        {"t1", "PC_TRUSTEE_USER", {"*"}}}},
      {"r2", {{"u2", "PC_USER", {"d3"}}, {"x1", "PC_ROBOT", {"d1"}}}},
  };
  std::vector<std::pair<std::string, std::string>> active = {{"u1", "d1"}, {"u2", "d2"}};
  std::vector<std::pair<std::string, std::string>> inactive = {{"u3", "d3"}};
  std::vector<std::string> groups = {"g1", "g2"};
  std::map<std::string, std::vector<std::string>> members = {{"g1", {"u1", "u3"}}};
  std::string clients =
      R"({"entities":[{"id":"c1","name":"Bot","authorizedGrantType":"CLIENT-CREDENTIALS",)"
      R"("state":"active","roleDivisions":[{"roleId":"r1","divisionId":"*"},)"
      R"({"roleId":"r2","divisionId":"d2"}]}]})";
  std::optional<std::vector<std::string>> permitted;  // nullopt: allDivsPermitted
  std::string organization = R"({"id":"org-1","name":"Acme BPO","version":3,"state":"active"})";
  // Routing queues: id → (division, member rows as (user id, memberBy, joined)).
  struct QueueMemberRow {
    std::string user;
    std::string member_by;
    bool joined;
  };
  struct QueueSpec {
    std::string id;
    std::string division;
    std::vector<QueueMemberRow> members;
  };
  std::vector<QueueSpec> queues = {
      {"q1", "d2", {{"u1", "user", true}, {"u3", "group", false}}},
  };
  int64_t queue_member_ps = 100;
  std::optional<std::vector<std::string>> queue_permitted;  // nullopt: allDivsPermitted
  // v2: the catalog, one DomainPermissionCollection per domain (entity type → actions, the
  // bool is divisionAware), and the role settings.
  std::map<std::string, std::map<std::string, std::vector<std::pair<std::string, bool>>>> catalog =
      {{"authorization", {{"grant", {{"add", false}, {"view", true}}}}},
       {"directory", {{"user", {{"view", true}}}, {"organization", {{"admin", false}}}}}};
  std::string role_settings =
      R"({"id":"s","authorizationGrantDivisionAware":true,"backfillEnabled":false})";
  std::map<std::string, std::string> policies;  // role id → permissionPolicies elements

  std::vector<std::string> CatalogJson() const {
    std::vector<std::string> out;
    for (const auto& [domain, map] : catalog) {
      std::string m;
      for (const auto& [entity, actions] : map) {
        std::string a;
        for (const auto& [action, aware] : actions) {
          a += (a.empty() ? "" : ",") + std::string(R"({"domain":")") + domain +
               R"(","entityType":")" + entity + R"(","action":")" + action +
               R"(","label":"x","allowsConditions":false,"divisionAware":)" +
               (aware ? "true" : "false") + "}";
        }
        m += (m.empty() ? "" : ",") + std::string("\"") + entity + "\":[" + a + "]";
      }
      out.push_back(R"({"id":")" + domain + R"(","name":")" + domain + R"(","domain":")" + domain +
                    R"(","permissionMap":{)" + m + "}}");
    }
    return out;
  }

  std::vector<std::string> UsersJson(const std::vector<std::pair<std::string, std::string>>& us,
                                     const std::string& state) const {
    std::vector<std::string> out;
    out.reserve(us.size());
    for (const auto& [id, div] : us) out.push_back(UserJson(id, div, state));
    return out;
  }

  void Install(FakeApiClient& f) const {
    std::vector<std::string> d;
    for (const auto& id : divisions) {
      d.push_back(R"({"id":")" + id + R"(","name":"Div )" + id + R"(","description":"",)" +
                  R"("homeDivision":)" + (id == divisions.front() ? "true" : "false") + "}");
    }
    InstallPaged(f, "/api/v2/authorization/divisions", "", d, ps);
    std::vector<std::string> r;
    for (const auto& id : roles) {
      auto pol = policies.find(id);
      r.push_back(R"({"id":")" + id + R"(","name":"Role )" + id + "\"" +
                  (pol == policies.end() ? "" : R"(,"permissionPolicies":[)" + pol->second + "]") +
                  "}");
    }
    InstallPaged(f, "/api/v2/authorization/roles", "&userCount=false", r, ps);
    for (const auto& id : roles) {
      std::vector<std::string> s;
      auto it = subjects.find(id);
      if (it != subjects.end()) {
        for (const auto& sub : it->second) s.push_back(SubjectJson(sub));
      }
      InstallPaged(f, "/api/v2/authorization/roles/" + id + "/subjectgrants", "", s, ps);
    }
    InstallPaged(f, "/api/v2/users", "&state=active", UsersJson(active, "active"), ps);
    std::vector<std::string> in = UsersJson(inactive, "inactive");
    if (static_cast<int64_t>(in.size()) <= inactive_limit) {
      InstallPaged(f, "/api/v2/users", "&state=inactive", in, ps);
    } else {
      // Page 1 answers; any page past the limit answers 400 like the real API.
      f.SetOk(PagePath("/api/v2/users", ps, 1, "&state=inactive"),
              ListingBody(in, ps, 1, static_cast<int64_t>(in.size())));
      for (int64_t p = 2; p <= (static_cast<int64_t>(in.size()) + ps - 1) / ps; ++p) {
        f.Set(PagePath("/api/v2/users", ps, p, "&state=inactive"),
              p * ps > inactive_limit ? 400 : 200,
              p * ps > inactive_limit
                  ? R"({"message":"too many","code":"bad.request","status":400})"
                  : ListingBody(in, ps, p, static_cast<int64_t>(in.size())));
      }
      const std::string first = "/api/v2/users/query?state=inactive&pageSize=" + std::to_string(ps);
      for (size_t start = 0, k = 0; start < in.size(); start += ps, ++k) {
        std::string e;
        for (size_t i = start; i < std::min(in.size(), start + ps); ++i) {
          e += (e.empty() ? "" : ",") + in[i];
        }
        const bool last = start + ps >= in.size();
        const std::string path = k == 0 ? first : first + "&cursor=c" + std::to_string(k);
        f.SetOk(path, R"({"entities":[)" + e + "]" +
                          (last ? "" : R"(,"cursor":"c)" + std::to_string(k + 1) + "\"") + "}");
      }
    }
    std::vector<std::string> g;
    for (const auto& id : groups) {
      g.push_back(R"({"id":")" + id + R"(","name":"Group )" + id + R"(","rolesEnabled":true})");
    }
    InstallPaged(f, "/api/v2/groups", "", g, ps);
    for (const auto& [gid, ms] : members) {
      std::vector<std::string> m;
      for (const auto& id : ms) m.push_back(UserJson(id, "d1", "active"));
      InstallPaged(f, "/api/v2/groups/" + gid + "/members", "", m, ps);
    }
    f.SetOk("/api/v2/oauth/clients", clients);
    f.SetOk("/api/v2/organizations/me", organization);
    InstallPaged(f, "/api/v2/authorization/permissions", "", CatalogJson(), ps);
    f.SetOk("/api/v2/authorization/roles/settings", role_settings);
    std::vector<std::string> pd;
    for (const auto& id : permitted.value_or(std::vector<std::string>{})) {
      pd.push_back(R"({"id":")" + id + R"(","name":"x"})");
    }
    InstallPaged(f, "/api/v2/authorization/divisionspermitted/paged/me",
                 "&permission=authorization:grant:view", pd, ps,
                 permitted ? R"(,"allDivsPermitted":false)" : R"(,"allDivsPermitted":true)");
    std::vector<std::string> q;
    for (const auto& qs : queues) {
      q.push_back(R"({"id":")" + qs.id + R"(","name":"Queue )" + qs.id + R"(","division":{"id":")" +
                  qs.division +
                  R"(","name":"D"},"memberCount":3,"memberGroups":[{"id":"g1","name":"Group g1",)"
                  R"("type":"GROUP","memberCount":2},{"id":"t0","name":"Team","type":"TEAM"}]})");
      std::vector<std::string> m;
      for (const auto& row : qs.members) {
        m.push_back(R"({"id":")" + row.user + R"(","name":"N","user":{"id":")" + row.user +
                    R"(","name":"N"},"ringNumber":1,"joined":)" + (row.joined ? "true" : "false") +
                    R"(,"memberBy":")" + row.member_by + R"(","routingStatus":{}})");
      }
      InstallNextUriPaged(f, "/api/v2/routing/queues/" + qs.id + "/members", m, queue_member_ps);
    }
    InstallPaged(f, "/api/v2/routing/queues", "", q, ps);
    std::vector<std::string> qpd;
    for (const auto& id : queue_permitted.value_or(std::vector<std::string>{})) {
      qpd.push_back(R"({"id":")" + id + R"(","name":"x"})");
    }
    InstallPaged(f, "/api/v2/authorization/divisionspermitted/paged/me",
                 "&permission=routing:queue:view", qpd, ps,
                 queue_permitted ? R"(,"allDivsPermitted":false)" : R"(,"allDivsPermitted":true)");
  }

  OrgShape Shape() const {
    OrgShape s;
    s.divisions = static_cast<int64_t>(divisions.size());
    s.roles = static_cast<int64_t>(roles.size());
    for (const auto& r : roles) {
      auto it = subjects.find(r);
      s.subjects_per_role.push_back(it == subjects.end() ? 0
                                                         : static_cast<int64_t>(it->second.size()));
    }
    s.active_users = static_cast<int64_t>(active.size());
    s.inactive_users = static_cast<int64_t>(inactive.size());
    s.groups = static_cast<int64_t>(groups.size());
    for (const auto& [gid, ms] : members) {
      s.members_per_granted_group.push_back(static_cast<int64_t>(ms.size()));
    }
    s.all_divisions_permitted = !permitted.has_value();
    s.permitted_divisions = permitted ? static_cast<int64_t>(permitted->size()) : 0;
    s.queues = static_cast<int64_t>(queues.size());
    for (const auto& qs : queues) {
      s.members_per_queue.push_back(static_cast<int64_t>(qs.members.size()));
    }
    s.all_divisions_queue_permitted = !queue_permitted.has_value();
    s.queue_permitted_divisions =
        queue_permitted ? static_cast<int64_t>(queue_permitted->size()) : 0;
    s.permission_domains = static_cast<int64_t>(catalog.size());
    return s;
  }

  SweeperOptions Options() const {
    SweeperOptions o;
    o.page_size = ps;
    o.inactive_page_listing_limit = inactive_limit;
    o.progress_interval = std::chrono::milliseconds(0);  // progress after every response
    o.queue_member_page_size = queue_member_ps;
    return o;
  }
};

// Five inactive users at page size 2 against an inactive-listing limit of 4: past the limit,
// so the inactive users come from the cursor listing.
Org InactiveCursorOrg() {
  Org org;
  org.ps = 2;
  org.inactive_limit = 4;
  org.inactive = {{"i1", "d1"}, {"i2", "d1"}, {"i3", "d2"}, {"i4", "d2"}, {"i5", "d3"}};
  return org;
}

class SweeperTest : public ::testing::Test {
 protected:
  SweepResult Sweep(const Org& org) {
    Sweeper sweeper(api_, clock_, org.Options());
    return sweeper.Run(cancel_, [&](std::string_view phase, int64_t done, int64_t total) {
      progress_.push_back({std::string(phase), done, total});
    });
  }
  bool HasIncomplete(const SweepResult& r, std::string_view needle) {
    for (const auto& s : r.info.incomplete) {
      if (s.find(needle) != std::string::npos) return true;
    }
    return false;
  }
  std::string Incomplete(const SweepResult& r) {
    std::string s;
    for (const auto& i : r.info.incomplete) s += i + "\n";
    return s;
  }

  struct Progress {
    std::string phase;
    int64_t done;
    int64_t total;
  };
  FakeApiClient api_;
  FakeClock clock_;
  CancellationToken cancel_;
  std::vector<Progress> progress_;
};

TEST_F(SweeperTest, SmallOrgIsCompleteWithTheMinimumRequestsInThreeRoundTrips) {
  Org org;
  org.Install(api_);
  api_.count_token_request = true;
  SweepResult r = Sweep(org);
  ASSERT_EQ(r.info.status, audit::SweepStatus::kComplete) << Incomplete(r);
  EXPECT_TRUE(api_.unmapped().empty());
  EXPECT_EQ(r.info.api_requests, MinimumRequests(org.Shape(), org.Options()));
  EXPECT_EQ(r.info.api_requests, 17);  // token + divisions + roles + 2 subject grants + 2 users
                                       // + groups + members + clients + coverage + organization
                                       // + queues + queue coverage + members of q1
                                       // + permission catalog + role settings
  EXPECT_EQ(r.info.coverage_ratio, 1.0);
  EXPECT_TRUE(r.info.incomplete.empty());
  // Round 1: every independent first page; round 2: subject grants and queue members; round 3:
  // group members.
  ASSERT_EQ(api_.batches().size(), 3u);
  std::vector<std::string> first = api_.batches()[0];
  std::sort(first.begin(), first.end());
  // Two URLs are split over two lines each (adjacent literals, not a missing comma).
  // NOLINTNEXTLINE(bugprone-suspicious-missing-comma)
  EXPECT_EQ(first, (std::vector<std::string>{
                       "/api/v2/authorization/divisions?pageSize=500&pageNumber=1",
                       "/api/v2/authorization/divisionspermitted/paged/me?pageSize=500&pageNumber=1"
                       "&permission=authorization:grant:view",
                       "/api/v2/authorization/divisionspermitted/paged/me?pageSize=500&pageNumber=1"
                       "&permission=routing:queue:view",
                       "/api/v2/authorization/permissions?pageSize=500&pageNumber=1",
                       "/api/v2/authorization/roles/settings",
                       "/api/v2/authorization/roles?pageSize=500&pageNumber=1&userCount=false",
                       "/api/v2/groups?pageSize=500&pageNumber=1",
                       "/api/v2/oauth/clients",
                       "/api/v2/organizations/me",
                       "/api/v2/routing/queues?pageSize=500&pageNumber=1",
                       "/api/v2/users?pageSize=500&pageNumber=1&state=active",
                       "/api/v2/users?pageSize=500&pageNumber=1&state=inactive",
                   }));
  EXPECT_EQ(api_.batches()[1].size(), 3u);
  EXPECT_EQ(api_.batches()[2],
            (std::vector<std::string>{"/api/v2/groups/g1/members?pageSize=500&pageNumber=1"}));
  for (const auto& c : api_.calls()) {
    if (c.path_and_query.find("subjectgrants") != std::string::npos) {
      EXPECT_EQ(c.route, "/api/v2/authorization/roles/{roleId}/subjectgrants");
    }
  }

  const audit::OrgSnapshot& s = r.snapshot;
  ASSERT_EQ(s.divisions.size(), 3u);
  EXPECT_TRUE(s.divisions[0].home_division);
  EXPECT_EQ(s.roles.size(), 2u);
  ASSERT_EQ(s.users.size(), 3u);
  EXPECT_EQ(s.users[2], (audit::User{"u3", "N u3", "u3@x.com", "d3", "inactive"}));
  ASSERT_EQ(s.groups.size(), 2u);
  EXPECT_TRUE(s.groups[0].members_read);
  EXPECT_EQ(s.groups[0].member_ids, (std::vector<std::string>{"u1", "u3"}));
  EXPECT_FALSE(s.groups[1].members_read);  // g2 holds no grant: members not read
  ASSERT_EQ(s.oauth_clients.size(), 1u);
  // Subject grants and the client's roleDivisions, united (c1/r1/* appears in both).
  std::vector<audit::Grant> want = {
      {SubjectType::kUser, "u1", "r1", "*"},        {SubjectType::kUser, "u1", "r1", "d1"},
      {SubjectType::kUser, "u2", "r2", "d3"},       {SubjectType::kGroup, "g1", "r1", "d2"},
      {SubjectType::kOAuthClient, "c1", "r1", "*"}, {SubjectType::kOAuthClient, "c1", "r2", "d2"},
      {SubjectType::kTrusteeUser, "t1", "r1", "*"}, {SubjectType::kUnknown, "x1", "r2", "d1"},
  };
  std::sort(want.begin(), want.end());
  EXPECT_EQ(s.grants, want);
  ASSERT_EQ(s.external_subjects.size(), 2u);
  EXPECT_EQ(s.external_subjects[0].type, SubjectType::kTrusteeUser);
  EXPECT_EQ(s.external_subjects[1].genesys_type, "PC_ROBOT");
  EXPECT_EQ(r.info.unknown_subject_types, (std::map<std::string, int64_t>{{"PC_ROBOT", 1}}));
  EXPECT_EQ(r.info.started_at_unix, 1767225600);  // FakeClock's 2026-01-01
  // Progress after every response (progress_interval 0), done == total at the end.
  ASSERT_EQ(progress_.size(), 16u);
  for (size_t i = 0; i < progress_.size(); ++i) {
    EXPECT_EQ(progress_[i].done, static_cast<int64_t>(i) + 1);
    EXPECT_LE(progress_[i].done, progress_[i].total);
  }
  // Dependencies, whatever order the independent listings answer in: the subject grants and the
  // queue members follow their listings' first pages, the group members follow the grants.
  std::vector<std::string> phases;
  for (const auto& p : progress_) phases.push_back(p.phase);
  auto first_of = [&](const std::string& phase) {
    return std::find(phases.begin(), phases.end(), phase) - phases.begin();
  };
  auto last_of = [&](const std::string& phase) {
    return phases.rend() - std::find(phases.rbegin(), phases.rend(), phase) - 1;
  };
  EXPECT_EQ(std::count(phases.begin(), phases.end(), "subject grants"), 2);
  EXPECT_EQ(std::count(phases.begin(), phases.end(), "queue members"), 1);
  EXPECT_EQ(std::count(phases.begin(), phases.end(), "group members"), 1);
  EXPECT_LT(first_of("roles"), first_of("subject grants"));
  EXPECT_LT(first_of("queues"), first_of("queue members"));
  EXPECT_LT(last_of("subject grants"), first_of("group members"));
  EXPECT_EQ(r.info.org_id, "org-1");
  EXPECT_EQ(r.info.org_name, "Acme BPO");
  EXPECT_EQ(progress_.back().done, progress_.back().total);
  // v2: the catalog and the settings.
  EXPECT_EQ(s.permissions,
            (std::vector<audit::CatalogPermission>{{"authorization", "grant", "add", false},
                                                   {"authorization", "grant", "view", true},
                                                   {"directory", "organization", "admin", false},
                                                   {"directory", "user", "view", true}}));
  ASSERT_TRUE(s.role_settings.has_value());
  EXPECT_EQ(*s.role_settings, (audit::RoleSettings{true, false}));
  EXPECT_TRUE(r.completeness.permissions);
  EXPECT_TRUE(r.completeness.role_settings);
  EXPECT_EQ(r.info.policies_outside_catalog, 0);
}

TEST_F(SweeperTest, UnknownSubjectTypeInTwoRolesIsKeptAndCountedOnce) {
  Org org;
  org.subjects["r1"].push_back({"x1", "PC_ROBOT", {"d2"}});
  org.subjects["r2"].push_back({"x2", "UNKNOWN", {}});
  org.Install(api_);
  SweepResult r = Sweep(org);
  EXPECT_EQ(r.info.status, audit::SweepStatus::kComplete) << Incomplete(r);
  EXPECT_EQ(r.info.unknown_subject_types,
            (std::map<std::string, int64_t>{{"PC_ROBOT", 1}, {"UNKNOWN", 1}}));
  EXPECT_EQ(std::count_if(r.snapshot.grants.begin(), r.snapshot.grants.end(),
                          [](const audit::Grant& g) { return g.subject_id == "x1"; }),
            2);
}

TEST_F(SweeperTest, PagingEdgeCasesUseEveryRemainingPageInOneBatch) {
  Org org;
  org.ps = 2;
  org.divisions = {"d1", "d2", "d3", "d4"};  // exact multiple: 2 pages
  org.active = {{"u1", "d1"}, {"u2", "d1"}, {"u4", "d2"}, {"u5", "d2"}, {"u6", "d3"}};  // 3 pages
  org.inactive = {};  // empty: 1 page
  org.groups = {"g1"};
  org.members = {{"g1", {"u1", "u2", "u4"}}};
  org.subjects["r1"].push_back({"u5", "PC_USER", {"d4"}});  // 5 subjects: 3 pages
  org.Install(api_);
  api_.count_token_request = true;
  SweepResult r = Sweep(org);
  ASSERT_EQ(r.info.status, audit::SweepStatus::kComplete) << Incomplete(r);
  EXPECT_TRUE(api_.unmapped().empty());
  EXPECT_EQ(r.info.api_requests, MinimumRequests(org.Shape(), org.Options()));
  EXPECT_EQ(r.snapshot.divisions.size(), 4u);
  EXPECT_EQ(r.snapshot.users.size(), 5u);
  EXPECT_EQ(r.snapshot.groups[0].member_ids.size(), 3u);
  EXPECT_TRUE(r.snapshot.groups[0].members_read);
  const auto& second = api_.batches()[1];
  for (const std::string& p : {PagePath("/api/v2/authorization/divisions", 2, 2, ""),
                               PagePath("/api/v2/users", 2, 2, "&state=active"),
                               PagePath("/api/v2/users", 2, 3, "&state=active")}) {
    EXPECT_NE(std::find(second.begin(), second.end(), p), second.end()) << p;
  }
  EXPECT_EQ(api_.CallCount(PagePath("/api/v2/users", 2, 2, "&state=inactive")), 0);
}

TEST_F(SweeperTest, TotalChangingMidSweepIsReReadOnce) {
  Org org;
  org.ps = 2;
  org.active = {{"u1", "d1"}, {"u2", "d1"}, {"u4", "d2"}};
  org.Install(api_);
  // The first read of page 2 already sees a fourth user (total 4); the re-read is consistent.
  std::vector<std::string> four =
      org.UsersJson({{"u1", "d1"}, {"u2", "d1"}, {"u4", "d2"}, {"u7", "d3"}}, "active");
  const std::string p1 = PagePath("/api/v2/users", 2, 1, "&state=active");
  const std::string p2 = PagePath("/api/v2/users", 2, 2, "&state=active");
  api_.SetSequence(p1, {genesys::ApiResponse{200, ListingBody(four, 2, 1, 3)},
                        genesys::ApiResponse{200, ListingBody(four, 2, 1, 4)}});
  api_.SetOk(p2, ListingBody(four, 2, 2, 4));
  SweepResult r = Sweep(org);
  ASSERT_EQ(r.info.status, audit::SweepStatus::kComplete) << Incomplete(r);
  EXPECT_EQ(api_.CallCount(p1), 2);
  EXPECT_EQ(api_.CallCount(p2), 2);
  EXPECT_EQ(std::count_if(r.snapshot.users.begin(), r.snapshot.users.end(),
                          [](const audit::User& u) { return u.state == "active"; }),
            4);
}

TEST_F(SweeperTest, TotalThatKeepsChangingMarksTheListingIncompleteAndKeepsEveryPage) {
  Org org;
  org.ps = 2;
  org.active = {{"u1", "d1"}, {"u2", "d1"}, {"u4", "d2"}};
  org.Install(api_);
  std::vector<std::string> four =
      org.UsersJson({{"u1", "d1"}, {"u2", "d1"}, {"u4", "d2"}, {"u7", "d3"}}, "active");
  api_.SetOk(PagePath("/api/v2/users", 2, 1, "&state=active"), ListingBody(four, 2, 1, 3));
  api_.SetOk(PagePath("/api/v2/users", 2, 2, "&state=active"), ListingBody(four, 2, 2, 4));
  SweepResult r = Sweep(org);
  EXPECT_EQ(r.info.status, audit::SweepStatus::kPartial);
  EXPECT_TRUE(HasIncomplete(r, "users (state=active): total changed during the sweep"))
      << Incomplete(r);
  EXPECT_EQ(std::count_if(r.snapshot.users.begin(), r.snapshot.users.end(),
                          [](const audit::User& u) { return u.state == "active"; }),
            4);
}

TEST_F(SweeperTest, PageShortOfTheTotalIsReReadThenIncomplete) {
  Org org;
  org.ps = 2;
  org.groups = {"g1", "g2", "g3"};
  org.Install(api_);
  std::vector<std::string> g = {R"({"id":"g1"})", R"({"id":"g2"})"};
  api_.SetOk(PagePath("/api/v2/groups", 2, 2, ""), ListingBody(g, 2, 2, 3));  // empty page 2
  SweepResult r = Sweep(org);
  EXPECT_EQ(r.info.status, audit::SweepStatus::kPartial);
  EXPECT_TRUE(HasIncomplete(r, "groups: pages held 2 entities, total promised 3")) << Incomplete(r);
  EXPECT_EQ(api_.CallCount(PagePath("/api/v2/groups", 2, 2, "")), 2);
}

TEST_F(SweeperTest, PageCountGrowingOnALaterPageFetchesTheNewPage) {
  Org org;
  org.ps = 2;
  org.divisions = {"d1", "d2", "d3"};
  org.Install(api_);
  std::vector<std::string> d;
  for (const char* id : {"d1", "d2", "d3", "d4", "d5"}) {
    d.push_back(std::string(R"({"id":")") + id + R"(","name":"Div"})");
  }
  const std::string base = "/api/v2/authorization/divisions";
  api_.SetSequence(PagePath(base, 2, 1, ""), {genesys::ApiResponse{200, ListingBody(d, 2, 1, 3)},
                                              genesys::ApiResponse{200, ListingBody(d, 2, 1, 5)}});
  api_.SetOk(PagePath(base, 2, 2, ""), ListingBody(d, 2, 2, 5));
  api_.SetOk(PagePath(base, 2, 3, ""), ListingBody(d, 2, 3, 5));
  SweepResult r = Sweep(org);
  EXPECT_GE(api_.CallCount(PagePath(base, 2, 3, "")), 1);
  EXPECT_EQ(r.snapshot.divisions.size(), 5u);
  EXPECT_TRUE(r.info.incomplete.empty()) << Incomplete(r);
}

TEST_F(SweeperTest, DuplicateEntitiesAcrossPagesAreDeduped) {
  Org org;
  org.ps = 2;
  org.Install(api_);
  std::vector<std::string> dup =
      org.UsersJson({{"u1", "d1"}, {"u2", "d1"}, {"u2", "d1"}}, "active");
  api_.SetOk(PagePath("/api/v2/users", 2, 1, "&state=active"), ListingBody(dup, 2, 1, 3));
  api_.SetOk(PagePath("/api/v2/users", 2, 2, "&state=active"), ListingBody(dup, 2, 2, 3));
  SweepResult r = Sweep(org);
  EXPECT_EQ(r.info.status, audit::SweepStatus::kComplete) << Incomplete(r);
  EXPECT_EQ(std::count_if(r.snapshot.users.begin(), r.snapshot.users.end(),
                          [](const audit::User& u) { return u.id == "u2"; }),
            1);
}

TEST_F(SweeperTest, ForbiddenListingIsPartialAndNamed) {
  Org org;
  org.Install(api_);
  api_.Set("/api/v2/groups?pageSize=500&pageNumber=1", 403,
           R"({"message":"no","code":"missing.permissions","status":403})");
  SweepResult r = Sweep(org);
  EXPECT_EQ(r.info.status, audit::SweepStatus::kPartial);
  EXPECT_TRUE(HasIncomplete(r, "groups: GET /api/v2/groups page 1: HTTP 403 (missing.permissions)"))
      << Incomplete(r);
  EXPECT_FALSE(r.snapshot.users.empty());
}

// The completeness record the audit engine judges from: each listing failing in turn is the only
// one marked incomplete; a complete sweep marks none.
TEST_F(SweeperTest, CompletenessNamesExactlyTheListingThatFailed) {
  {
    Org org;
    org.Install(api_);
    SweepResult r = Sweep(org);
    ASSERT_EQ(r.info.status, audit::SweepStatus::kComplete) << Incomplete(r);
    EXPECT_TRUE(r.completeness.all());
  }
  const auto forbid = [](FakeApiClient& f, const std::string& path) {
    f.Set(path, 403, R"({"message":"no","code":"missing.permissions","status":403})");
  };
  const auto page1 = [](std::string_view base, std::string_view extra = "") {
    return PagePath(base, 500, 1, extra);
  };
  struct Case {
    std::string path;
    std::function<bool(const audit::ListingCompleteness&)> marked;
  };
  const std::vector<Case> cases = {
      {page1("/api/v2/authorization/divisions"), [](const auto& c) { return !c.divisions; }},
      {page1("/api/v2/authorization/roles", "&userCount=false"),
       [](const auto& c) { return !c.roles; }},
      {page1("/api/v2/authorization/roles/r2/subjectgrants"),
       [](const auto& c) { return c.roles_without_grants == std::vector<std::string>{"r2"}; }},
      {page1("/api/v2/users", "&state=active"), [](const auto& c) { return !c.active_users; }},
      {page1("/api/v2/users", "&state=inactive"), [](const auto& c) { return !c.inactive_users; }},
      {page1("/api/v2/groups"), [](const auto& c) { return !c.groups; }},
      {page1("/api/v2/groups/g1/members"),
       [](const auto& c) { return c.groups_without_members == std::vector<std::string>{"g1"}; }},
      {"/api/v2/oauth/clients", [](const auto& c) { return !c.oauth_clients; }},
      {page1("/api/v2/authorization/divisionspermitted/paged/me",
             "&permission=authorization:grant:view"),
       [](const auto& c) { return !c.coverage; }},
  };
  for (const Case& c : cases) {
    FakeApiClient api;
    Org org;
    org.Install(api);
    forbid(api, c.path);
    Sweeper sweeper(api, clock_, org.Options());
    SweepResult r = sweeper.Run(cancel_);
    EXPECT_NE(r.info.status, audit::SweepStatus::kComplete) << c.path;
    EXPECT_TRUE(c.marked(r.completeness)) << c.path;
    // Exactly one listing marked.
    const audit::ListingCompleteness& m = r.completeness;
    const int marks = !m.divisions + !m.roles + !m.active_users + !m.inactive_users + !m.groups +
                      !m.oauth_clients + !m.coverage + !m.subject_grants() + !m.group_members();
    EXPECT_EQ(marks, 1) << c.path;
  }
  // The cursor listing of inactive users counts for inactive users.
  FakeApiClient api;
  Org org = InactiveCursorOrg();
  org.Install(api);
  forbid(api, "/api/v2/users/query?state=inactive&pageSize=2&cursor=c2");
  Sweeper sweeper(api, clock_, org.Options());
  SweepResult r = sweeper.Run(cancel_);
  EXPECT_EQ(r.info.status, audit::SweepStatus::kPartial);
  EXPECT_FALSE(r.completeness.inactive_users);
  EXPECT_TRUE(r.completeness.active_users);
}

// The grants go to the FinalGrantsCallback once (here as soon as the grant listings are done,
// while 125 pages of queue members are left), and the snapshot holds exactly them: the subject
// grants and the OAuth client's roleDivisions (c1 holds r1 on * both ways: once in the
// snapshot), in canonical order.
TEST_F(SweeperTest, FinalGrantsAreHandedOverOnceAndAreTheSnapshots) {
  Org org;
  org.ps = 2;
  org.queues = {{"q1", "d2", {}}};
  for (int i = 0; i < 250; ++i) {
    org.queues[0].members.push_back({"m" + std::to_string(i), "user", true});
  }
  org.Install(api_);
  std::vector<std::vector<audit::Grant>> handed;  // the callback's thread, until Run returns
  Sweeper sweeper(api_, clock_, org.Options());
  SweepResult r = sweeper.Run(cancel_, nullptr, [&](std::span<const audit::Grant> grants) {
    handed.emplace_back(grants.begin(), grants.end());
  });
  ASSERT_EQ(r.info.status, audit::SweepStatus::kComplete) << Incomplete(r);
  ASSERT_EQ(handed.size(), 1u);
  EXPECT_EQ(handed[0], r.snapshot.grants);
  audit::OrgSnapshot canonical = r.snapshot;
  audit::Canonicalize(canonical);
  EXPECT_EQ(canonical.grants, handed[0]);
  const auto client_grants = std::count_if(handed[0].begin(), handed[0].end(), [](const auto& g) {
    return g.subject_type == audit::SubjectType::kOAuthClient;
  });
  EXPECT_EQ(client_grants, 2);  // r1 on * (subject grant and roleDivision), r2 on d2
}

// A grant listing that failed: no handover (the sweep is partial, its grants are not final).
TEST_F(SweeperTest, NoFinalGrantsAreHandedOverWhenAGrantListingFailed) {
  for (const std::string& path :
       {PagePath("/api/v2/authorization/roles/r2/subjectgrants", 500, 1, ""),
        std::string("/api/v2/oauth/clients")}) {
    FakeApiClient api;
    Org org;
    org.Install(api);
    api.Set(path, 403, R"({"message":"no","code":"missing.permissions","status":403})");
    int handed = 0;
    Sweeper sweeper(api, clock_, org.Options());
    SweepResult r = sweeper.Run(cancel_, nullptr, [&](std::span<const audit::Grant>) { ++handed; });
    EXPECT_EQ(r.info.status, audit::SweepStatus::kPartial) << path;
    EXPECT_EQ(handed, 0) << path;
    EXPECT_FALSE(r.snapshot.grants.empty()) << path;
  }
}

// The users go to the FinalUsersCallback once, as soon as the user listings are done: their
// pages are read before what is left of the queue-member lane, so here most of its 125 pages are
// still to come. The snapshot holds exactly them (deduplicated: u2 is listed active and
// inactive).
TEST_F(SweeperTest, FinalUsersAreHandedOverOnceBeforeTheQueueMembersAndAreTheSnapshots) {
  Org org;
  org.ps = 2;
  org.queue_member_ps = 2;
  org.active = {{"u4", "d1"}, {"u1", "d1"}, {"u2", "d2"}, {"u6", "d3"}, {"u5", "d2"}};
  org.inactive = {{"u3", "d3"}, {"u2", "d2"}, {"u7", "d1"}};
  org.queues = {{"q1", "d2", {}}};
  for (int i = 0; i < 250; ++i) {
    org.queues[0].members.push_back({"m" + std::to_string(i), "user", true});
  }
  org.Install(api_);
  std::vector<std::vector<audit::User>> handed;
  size_t queue_pages_before = 0;
  auto queue_pages = [this] {
    return static_cast<size_t>(
        std::count_if(api_.calls().begin(), api_.calls().end(), [](const genesys::ApiRequest& c) {
          return c.path_and_query.starts_with("/api/v2/routing/queues/q1/members");
        }));
  };
  Sweeper sweeper(api_, clock_, org.Options());
  SweepResult r = sweeper.Run(cancel_, nullptr, nullptr, [&](std::span<const audit::User> users) {
    handed.emplace_back(users.begin(), users.end());
    queue_pages_before = queue_pages();
  });
  ASSERT_EQ(r.info.status, audit::SweepStatus::kComplete) << Incomplete(r);
  ASSERT_EQ(handed.size(), 1u);
  EXPECT_EQ(handed[0], r.snapshot.users);
  EXPECT_EQ(handed[0].size(), 7u);
  audit::OrgSnapshot canonical = r.snapshot;
  audit::Canonicalize(canonical);
  EXPECT_EQ(canonical.users, handed[0]);
  EXPECT_EQ(queue_pages(), 125u);
  EXPECT_LT(queue_pages_before, 100u);
}

// Past the inactive page listing's limit the cursor listing's users are part of the handover.
TEST_F(SweeperTest, FinalUsersIncludeTheInactiveCursorListing) {
  Org org = InactiveCursorOrg();
  org.Install(api_);
  std::vector<std::vector<audit::User>> handed;
  Sweeper sweeper(api_, clock_, org.Options());
  SweepResult r = sweeper.Run(cancel_, nullptr, nullptr, [&](std::span<const audit::User> users) {
    handed.emplace_back(users.begin(), users.end());
  });
  ASSERT_EQ(r.info.status, audit::SweepStatus::kComplete) << Incomplete(r);
  ASSERT_EQ(handed.size(), 1u);
  EXPECT_EQ(handed[0], r.snapshot.users);
  EXPECT_TRUE(std::any_of(handed[0].begin(), handed[0].end(),
                          [](const audit::User& u) { return u.id == "i5"; }));
}

// A user listing that failed: no handover (the sweep is partial, its users are not final).
TEST_F(SweeperTest, NoFinalUsersAreHandedOverWhenAUserListingFailed) {
  for (const std::string& path : {PagePath("/api/v2/users", 500, 1, "&state=active"),
                                  PagePath("/api/v2/users", 500, 1, "&state=inactive")}) {
    FakeApiClient api;
    Org org;
    org.Install(api);
    api.Set(path, 403, R"({"message":"no","code":"missing.permissions","status":403})");
    int handed = 0;
    Sweeper sweeper(api, clock_, org.Options());
    SweepResult r =
        sweeper.Run(cancel_, nullptr, nullptr, [&](std::span<const audit::User>) { ++handed; });
    EXPECT_EQ(r.info.status, audit::SweepStatus::kPartial) << path;
    EXPECT_EQ(handed, 0) << path;
  }
}

TEST_F(SweeperTest, EveryRequestCarriesTheCapOfItsEndpointKindAndAnOversizedPageIsNamed) {
  Org org;
  org.Install(api_);
  SweeperOptions options = org.Options();
  options.max_page_bytes = 1000;
  options.max_unpaged_bytes = 5000;
  api_.SetError(PagePath("/api/v2/users", 500, 1, "&state=inactive"),
                ResourceExhaustedError("GET http://sim/api/v2/users: response body exceeds 1000 "
                                       "bytes (the limit for this request)"));
  Sweeper sweeper(api_, clock_, options);
  SweepResult r = sweeper.Run(cancel_);
  for (const auto& c : api_.calls()) {
    const bool unpaged = c.route == "/api/v2/oauth/clients" ||
                         c.route == "/api/v2/organizations/me" ||
                         c.route == "/api/v2/authorization/roles/settings";
    EXPECT_EQ(c.max_response_bytes, unpaged ? 5000u : 1000u) << c.path_and_query;
  }
  EXPECT_EQ(r.info.status, audit::SweepStatus::kPartial);
  EXPECT_TRUE(HasIncomplete(r, "users (state=inactive): GET /api/v2/users page 1: "))
      << Incomplete(r);
  EXPECT_TRUE(HasIncomplete(r, "response body exceeds 1000 bytes")) << Incomplete(r);
  EXPECT_FALSE(r.completeness.inactive_users);
}

TEST_F(SweeperTest, FinalServerErrorOnAPageIsPartialNamingThePage) {
  Org org;
  org.ps = 2;
  org.active = {{"u1", "d1"}, {"u2", "d1"}, {"u4", "d2"}};
  org.Install(api_);
  api_.Set(PagePath("/api/v2/users", 2, 2, "&state=active"), 500, "{}");
  SweepResult r = Sweep(org);
  EXPECT_EQ(r.info.status, audit::SweepStatus::kPartial);
  EXPECT_TRUE(HasIncomplete(r, "users (state=active): GET /api/v2/users page 2: HTTP 500"))
      << Incomplete(r);
  EXPECT_EQ(r.snapshot.users.size(), 3u);  // page 1 (2 users) + the inactive one are kept
}

TEST_F(SweeperTest, MalformedPageIsReReadOnceThenNamed) {
  Org org;
  org.Install(api_);
  const std::string path = "/api/v2/groups?pageSize=500&pageNumber=1";
  api_.SetSequence(path, {genesys::ApiResponse{200, R"({"entities":[{"id":"g1"},)"},
                          genesys::ApiResponse{200, ListingBody({R"({"id":"g1"})"}, 500, 1, 1)}});
  SweepResult r = Sweep(org);
  EXPECT_EQ(r.info.status, audit::SweepStatus::kComplete) << Incomplete(r);
  EXPECT_EQ(api_.CallCount(path), 2);

  FakeApiClient api2;
  org.Install(api2);
  api2.SetOk(path, R"({"entities":[{"name":"x"}],"total":1,"pageCount":1})");
  Sweeper sweeper(api2, clock_, org.Options());
  SweepResult r2 = sweeper.Run(cancel_);
  EXPECT_EQ(r2.info.status, audit::SweepStatus::kPartial);
  EXPECT_TRUE(HasIncomplete(r2, "groups: GET /api/v2/groups page 1: entities[0].id: missing"))
      << Incomplete(r2);
}

TEST_F(SweeperTest, CoverageBelowOneIsPartialNamingTheInvisibleDivision) {
  Org org;
  org.permitted = std::vector<std::string>{"d1", "d2"};
  org.Install(api_);
  SweepResult r = Sweep(org);
  EXPECT_EQ(r.info.status, audit::SweepStatus::kPartial);
  EXPECT_DOUBLE_EQ(r.info.coverage_ratio, 2.0 / 3.0);
  EXPECT_TRUE(HasIncomplete(r, "coverage: division d3 (Div d3) not visible")) << Incomplete(r);
  EXPECT_EQ(r.info.incomplete.size(), 1u);
}

TEST_F(SweeperTest, ManyInactiveUsersUseTheCursorListingWithoutProvokingThe400) {
  Org org = InactiveCursorOrg();
  org.Install(api_);
  api_.count_token_request = true;
  SweepResult r = Sweep(org);
  ASSERT_EQ(r.info.status, audit::SweepStatus::kComplete) << Incomplete(r);
  EXPECT_TRUE(api_.unmapped().empty());
  for (int64_t p = 2; p <= 3; ++p) {
    EXPECT_EQ(api_.CallCount(PagePath("/api/v2/users", 2, p, "&state=inactive")), 0);
  }
  EXPECT_EQ(api_.CallCount("/api/v2/users/query?state=inactive&pageSize=2"), 1);
  EXPECT_EQ(api_.CallCount("/api/v2/users/query?state=inactive&pageSize=2&cursor=c2"), 1);
  EXPECT_EQ(std::count_if(r.snapshot.users.begin(), r.snapshot.users.end(),
                          [](const audit::User& u) { return u.state == "inactive"; }),
            5);
  EXPECT_EQ(r.info.api_requests, MinimumRequests(org.Shape(), org.Options()));
  for (const auto& c : api_.calls()) {
    if (c.path_and_query.rfind("/api/v2/users/query", 0) == 0) {
      EXPECT_EQ(c.route, "/api/v2/users/query");
    }
  }
}

TEST_F(SweeperTest, CancelledBeforeOrDuringTheSweepFails) {
  Org org;
  org.Install(api_);
  api_.OnBatch([&](int batch) {
    if (batch == 1) cancel_.Cancel();
  });
  SweepResult r = Sweep(org);
  EXPECT_EQ(r.info.status, audit::SweepStatus::kFailed);
  ASSERT_FALSE(r.info.incomplete.empty());
  EXPECT_EQ(r.info.incomplete[0], "cancelled");
  EXPECT_EQ(api_.batches().size(), 2u);  // no batch after the cancel

  FakeApiClient api2;
  CancellationToken cancelled;
  cancelled.Cancel();
  Sweeper sweeper(api2, clock_, org.Options());
  SweepResult r2 = sweeper.Run(cancelled);
  EXPECT_EQ(r2.info.status, audit::SweepStatus::kFailed);
  EXPECT_TRUE(api2.calls().empty());
}

TEST_F(SweeperTest, AbortedRequestsMeanCancelled) {
  Org org;
  org.Install(api_);
  api_.SetError("/api/v2/oauth/clients", AbortedError("GET /api/v2/oauth/clients: cancelled"));
  SweepResult r = Sweep(org);
  EXPECT_EQ(r.info.status, audit::SweepStatus::kFailed);
  EXPECT_EQ(r.info.incomplete[0], "cancelled");
}

TEST_F(SweeperTest, AuthenticationFailureFails) {
  Org org;
  org.Install(api_);
  api_.SetError("/api/v2/authorization/divisions?pageSize=500&pageNumber=1",
                UnauthenticatedError("POST /oauth/token: HTTP 401 (bad.credentials)"));
  SweepResult r = Sweep(org);
  EXPECT_EQ(r.info.status, audit::SweepStatus::kFailed);
  EXPECT_TRUE(HasIncomplete(r, "authentication failed")) << Incomplete(r);
  EXPECT_EQ(api_.batches().size(), 1u);
}

TEST_F(SweeperTest, UnreadableOrganizationFailsTheSweepAndIsNamed) {
  Org org;
  org.Install(api_);
  api_.Set("/api/v2/organizations/me", 500, R"({"message":"x","code":"internal","status":500})");
  SweepResult r = Sweep(org);
  EXPECT_EQ(r.info.status, audit::SweepStatus::kFailed);
  EXPECT_TRUE(HasIncomplete(r, "organization: GET /api/v2/organizations/me: HTTP 500"))
      << Incomplete(r);
  EXPECT_TRUE(r.info.org_id.empty());

  FakeApiClient api2;
  org.organization = R"({"name":"no id","version":1})";
  org.Install(api2);
  Sweeper sweeper(api2, clock_, org.Options());
  SweepResult r2 = sweeper.Run(cancel_);
  EXPECT_EQ(r2.info.status, audit::SweepStatus::kFailed);
  EXPECT_TRUE(HasIncomplete(r2, "GET /api/v2/organizations/me: id: missing")) << Incomplete(r2);
}

TEST_F(SweeperTest, UnreadableRolesFail) {
  Org org;
  org.Install(api_);
  api_.Set("/api/v2/authorization/roles?pageSize=500&pageNumber=1&userCount=false", 403, "{}");
  SweepResult r = Sweep(org);
  EXPECT_EQ(r.info.status, audit::SweepStatus::kFailed);
  EXPECT_TRUE(HasIncomplete(r, "roles: GET /api/v2/authorization/roles page 1: HTTP 403"))
      << Incomplete(r);
}

TEST_F(SweeperTest, GrantedGroupMissingFromTheGroupListingIsKept) {
  Org org;
  org.groups = {"g2"};
  org.Install(api_);
  SweepResult r = Sweep(org);
  EXPECT_EQ(r.info.status, audit::SweepStatus::kComplete) << Incomplete(r);
  ASSERT_EQ(r.snapshot.groups.size(), 2u);
  EXPECT_EQ(r.snapshot.groups[0].id, "g1");
  EXPECT_TRUE(r.snapshot.groups[0].members_read);
}

TEST_F(SweeperTest, StatsAreDeltasOfTheClientCounters) {
  Org org;
  org.Install(api_);
  api_.AddRetries(5);  // before the sweep: must not be counted
  api_.OnBatch([&](int batch) {
    if (batch == 0) api_.AddRetries(2);
  });
  SweepResult r = Sweep(org);
  EXPECT_EQ(r.info.retries, 2);
  EXPECT_EQ(r.info.api_requests, MinimumRequests(org.Shape(), org.Options()) - 1 + 2);
}

// Streaming: follow-ups go out as soon as the response that reveals them arrives, not when
// every request of its "round" has finished. The users listing is slow (1 s a page); the
// subject grants and the group members it does not depend on are read long before.
TEST_F(SweeperTest, FollowUpsStartBeforeTheSlowestRequestOfTheirRoundFinishes) {
  Org org;
  org.ps = 2;
  org.active = {{"u1", "d1"}, {"u2", "d1"}, {"u4", "d2"}, {"u5", "d2"}, {"u6", "d3"}};
  org.Install(api_);
  api_.count_token_request = true;
  api_.SetLatency(&clock_, [](const ApiRequest& r) {
    return r.path_and_query.find("state=active") != std::string::npos
               ? std::chrono::milliseconds(1000)
               : std::chrono::milliseconds(10);
  });
  const SteadyTime t0 = clock_.SteadyNow();
  SweepResult r = Sweep(org);
  ASSERT_EQ(r.info.status, audit::SweepStatus::kComplete) << Incomplete(r);
  EXPECT_EQ(r.info.api_requests, MinimumRequests(org.Shape(), org.Options()));
  const auto& calls = api_.calls();
  const auto& timings = api_.timings();
  ASSERT_EQ(calls.size(), timings.size());
  bool saw_members = false;
  for (size_t i = 0; i < calls.size(); ++i) {
    const std::string& path = calls[i].path_and_query;
    if (path.find("/subjectgrants") != std::string::npos &&
        path.find("pageNumber=1") != std::string::npos) {
      EXPECT_EQ(timings[i].sent_at - t0, std::chrono::milliseconds(10)) << path;
    }
    if (path.find("/groups/g1/members") != std::string::npos) {
      saw_members = true;
      EXPECT_EQ(timings[i].sent_at - t0, std::chrono::milliseconds(20)) << path;
    }
    if (path.find("state=active") != std::string::npos &&
        path.find("pageNumber=1") == std::string::npos) {
      EXPECT_EQ(timings[i].sent_at - t0, std::chrono::milliseconds(1000)) << path;
    }
  }
  EXPECT_TRUE(saw_members);
  // Two dependent steps of the slow listing: 2 s, not 3 rounds of 1 s plus the rest.
  EXPECT_EQ(clock_.SteadyNow() - t0, std::chrono::milliseconds(2000));
}

// With few slots, the slots never idle while work is queued, and pages that reveal more
// requests (page 1s, subject grants) go before the remaining pages of long listings: the
// subject grants are sent before users page 2 although users page 2 was known first.
TEST_F(SweeperTest, SlotsStayFullAndRevealingPagesGoFirst) {
  Org org;
  org.ps = 1;
  org.active = {{"u1", "d1"}, {"u2", "d1"}, {"u4", "d2"}, {"u5", "d2"}, {"u6", "d3"}};
  org.Install(api_);
  api_.count_token_request = true;
  api_.SetMaxInFlight(2);
  api_.SetLatency(&clock_, [](const ApiRequest& r) {
    return r.path_and_query.find("/roles?") != std::string::npos ? std::chrono::milliseconds(30)
                                                                 : std::chrono::milliseconds(10);
  });
  const SteadyTime t0 = clock_.SteadyNow();
  SweepResult r = Sweep(org);
  ASSERT_EQ(r.info.status, audit::SweepStatus::kComplete) << Incomplete(r);
  EXPECT_EQ(r.info.api_requests, MinimumRequests(org.Shape(), org.Options()));
  EXPECT_EQ(api_.max_in_flight_seen(), 2u);
  const auto& calls = api_.calls();
  const auto& timings = api_.timings();
  std::optional<size_t> first_grants;
  std::optional<size_t> users_page2;
  for (size_t i = 0; i < calls.size(); ++i) {
    const std::string& path = calls[i].path_and_query;
    if (!first_grants && path.find("/subjectgrants") != std::string::npos) first_grants = i;
    if (path == PagePath("/api/v2/users", 1, 2, "&state=active")) users_page2 = i;
  }
  ASSERT_TRUE(first_grants && users_page2);
  EXPECT_LT(*first_grants, *users_page2);
  // Busy slots: 26 requests of 10 ms and the 30 ms roles page over two slots take at least
  // 145 ms; the dependency chain (roles → subject grants → members) leaves a short tail.
  ASSERT_EQ(calls.size(), 30u);
  // (140 ms before organizations/me added one more 10 ms request, 150 ms before the queues
  // listing, its coverage page and q1's members added three, and the two catalog pages and the
  // role settings three more.)
  EXPECT_LE(clock_.SteadyNow() - t0, std::chrono::milliseconds(185));
  for (size_t i = 0; i < calls.size(); ++i) {
    if (calls[i].path_and_query.find("/roles?") != std::string::npos) {
      EXPECT_EQ(timings[i].done_at - timings[i].sent_at, std::chrono::milliseconds(30));
    }
  }
}

TEST_F(SweeperTest, ForbiddenCatalogIsPartialNamedAndNotComplete) {
  Org org;
  org.Install(api_);
  api_.Set(PagePath("/api/v2/authorization/permissions", 500, 1, ""), 403,
           R"({"message":"no","code":"missing.permissions","status":403})");
  SweepResult r = Sweep(org);
  EXPECT_EQ(r.info.status, audit::SweepStatus::kPartial);
  EXPECT_TRUE(HasIncomplete(r,
                            "permission catalog: GET /api/v2/authorization/permissions page 1: "
                            "HTTP 403 (missing.permissions)"))
      << Incomplete(r);
  EXPECT_FALSE(r.completeness.permissions);
  EXPECT_TRUE(r.completeness.role_settings);
  EXPECT_TRUE(r.snapshot.permissions.empty());
  ASSERT_TRUE(r.snapshot.role_settings.has_value());
}

TEST_F(SweeperTest, ForbiddenOrBrokenRoleSettingsAreNeverDefaulted) {
  {
    Org org;
    org.Install(api_);
    api_.Set("/api/v2/authorization/roles/settings", 403,
             R"({"message":"no","code":"missing.permissions","status":403})");
    SweepResult r = Sweep(org);
    EXPECT_EQ(r.info.status, audit::SweepStatus::kPartial);
    EXPECT_TRUE(HasIncomplete(r,
                              "role settings: GET /api/v2/authorization/roles/settings: HTTP "
                              "403 (missing.permissions)"))
        << Incomplete(r);
    EXPECT_FALSE(r.completeness.role_settings);
    EXPECT_TRUE(r.completeness.permissions);
    EXPECT_FALSE(r.snapshot.role_settings.has_value());
  }
  {
    FakeApiClient api;
    Org org;
    org.role_settings = R"({"backfillEnabled":true})";  // the guardrail missing: read twice
    org.Install(api);
    Sweeper sweeper(api, clock_, org.Options());
    SweepResult r = sweeper.Run(cancel_);
    EXPECT_EQ(r.info.status, audit::SweepStatus::kPartial);
    EXPECT_EQ(api.CallCount("/api/v2/authorization/roles/settings"), 2);
    EXPECT_TRUE(HasIncomplete(r, "authorizationGrantDivisionAware: missing")) << Incomplete(r);
    EXPECT_FALSE(r.snapshot.role_settings.has_value());
  }
}

TEST_F(SweeperTest, SettingOffAndRolePoliciesAreRead) {
  Org org;
  org.role_settings = R"({"authorizationGrantDivisionAware":false,"backfillEnabled":true})";
  org.policies["r1"] =
      R"({"domain":"directory","entityName":"*","actionSet":["*"]},)"
      R"({"domain":"routing","entityName":"queue","actionSet":["edit"],"namedResources":["q1"]})";
  org.Install(api_);
  api_.count_token_request = true;
  SweepResult r = Sweep(org);
  ASSERT_EQ(r.info.status, audit::SweepStatus::kComplete) << Incomplete(r);
  EXPECT_EQ(r.info.api_requests, MinimumRequests(org.Shape(), org.Options()));
  ASSERT_TRUE(r.snapshot.role_settings.has_value());
  EXPECT_EQ(*r.snapshot.role_settings, (audit::RoleSettings{false, true}));
  ASSERT_EQ(r.snapshot.roles.size(), 2u);
  EXPECT_EQ(r.snapshot.roles[0].policies,
            (std::vector<audit::PermissionPolicy>{{"directory", "*", {"*"}, false},
                                                  {"routing", "queue", {"edit"}, true}}));
  EXPECT_TRUE(r.snapshot.roles[1].policies.empty());
  // routing is not in this catalog: counted (and logged once), not an error.
  EXPECT_EQ(r.info.policies_outside_catalog, 1);
}

TEST_F(SweeperTest, PoliciesOutsideTheCatalogAreCountedNotErrors) {
  Org org;
  org.ps = 1;  // the catalog in two pages
  org.policies["r2"] = R"({"domain":"*","entityName":"*","actionSet":["*"]},)"
                       R"({"domain":"authorization","entityName":"*","actionSet":["add"]},)"
                       R"({"domain":"authorization","entityName":"grant","actionSet":["add"]},)"
                       R"({"domain":"authorization","entityName":"nosuch","actionSet":["add"]},)"
                       R"({"domain":"nosuch","entityName":"*","actionSet":["view"]})";
  org.Install(api_);
  api_.count_token_request = true;
  SweepResult r = Sweep(org);
  ASSERT_EQ(r.info.status, audit::SweepStatus::kComplete) << Incomplete(r);
  EXPECT_EQ(r.info.api_requests, MinimumRequests(org.Shape(), org.Options()));
  EXPECT_EQ(r.snapshot.permissions.size(), 4u);
  EXPECT_EQ(r.info.policies_outside_catalog, 2);
}

TEST(MinimumRequestsTest, FollowsTheFormula) {
  OrgShape s;
  s.divisions = 40;                            // 1
  s.roles = 501;                               // 2
  s.subjects_per_role = {0, 500, 501, 1200};   // 1 + 1 + 2 + 3
  s.active_users = 5000;                       // 10
  s.inactive_users = 10000;                    // 20 (at the limit: page listing)
  s.groups = 60;                               // 1
  s.members_per_granted_group = {3, 0, 1000};  // 1 + 1 + 2
  s.all_divisions_permitted = true;            // 1, + 1 clients + 1 token + 1 organization
  EXPECT_EQ(MinimumRequests(s), 1 + 2 + 7 + 10 + 20 + 1 + 4 + 1 + 1 + 1 + 1 + 2 + 1 + 1);
  s.inactive_users = 10001;  // probe page + 21 cursor pages
  s.all_divisions_permitted = false;
  s.permitted_divisions = 0;
  EXPECT_EQ(MinimumRequests(s), 1 + 2 + 7 + 10 + 22 + 1 + 4 + 1 + 1 + 1 + 1 + 2 + 1 + 1);
  s.permission_domains = 501;  // catalog: 2 pages (+ 1 settings)
  EXPECT_EQ(MinimumRequests(s), 1 + 2 + 7 + 10 + 22 + 1 + 4 + 1 + 1 + 1 + 1 + 2 + 2 + 1);
  s.queues = 1001;                          // 3 pages of 500
  s.members_per_queue = {0, 100, 101, 30};  // members at 100 a page: 1 + 1 + 2 + 1
  s.all_divisions_queue_permitted = false;
  s.queue_permitted_divisions = 501;  // 2
  EXPECT_EQ(MinimumRequests(s), 1 + 2 + 7 + 10 + 22 + 1 + 4 + 1 + 1 + 1 + 1 + 3 + 5 + 2 + 2 + 1);
}

// Routing queues (issue 15): every listed queue's members are read at 100 a page, whatever the
// queue's division; the rows keep user.id, memberBy and joined; memberGroups are kept sorted.
TEST_F(SweeperTest, EveryQueueAndEveryQueuesMembersAreRead) {
  Org org;
  org.ps = 2;
  org.queues = {
      {"q1", "d2", {{"u1", "user", true}, {"u3", "group", false}}},
      {"q2", "d1", {}},  // empty: still read
      {"q3", "d3", {}},
  };
  for (int i = 0; i < 250; ++i) {
    org.queues[2].members.push_back(
        {"m" + std::to_string(1000 + i), i % 2 ? "group" : "user", i % 3 == 0});
  }
  org.Install(api_);
  api_.count_token_request = true;
  SweepResult r = Sweep(org);
  ASSERT_EQ(r.info.status, audit::SweepStatus::kComplete) << Incomplete(r);
  EXPECT_TRUE(api_.unmapped().empty());
  EXPECT_EQ(r.info.api_requests, MinimumRequests(org.Shape(), org.Options()));
  EXPECT_EQ(api_.CallCount("/api/v2/routing/queues/q3/members?pageSize=100&pageNumber=3"), 1);
  EXPECT_EQ(api_.CallCount("/api/v2/routing/queues/q2/members?pageSize=100&pageNumber=1"), 1);
  for (const auto& c : api_.calls()) {
    if (c.path_and_query.find("/members") != std::string::npos &&
        c.path_and_query.find("/routing/queues/") != std::string::npos) {
      EXPECT_EQ(c.route, "/api/v2/routing/queues/{queueId}/members");
    }
  }
  const audit::OrgSnapshot& s = r.snapshot;
  ASSERT_EQ(s.queues.size(), 3u);
  EXPECT_EQ(s.queues[0].id, "q1");
  EXPECT_EQ(s.queues[0].name, "Queue q1");
  EXPECT_EQ(s.queues[0].division_id, "d2");
  EXPECT_EQ(s.queues[0].member_groups, (std::vector<audit::QueueMemberGroup>{
                                           {"g1", "Group g1", "GROUP"}, {"t0", "Team", "TEAM"}}));
  ASSERT_EQ(s.queue_members.size(), 252u);
  EXPECT_EQ(s.queue_members[0], (audit::QueueMember{"q1", "u1", false, true}));
  EXPECT_EQ(s.queue_members[1], (audit::QueueMember{"q1", "u3", true, false}));
  EXPECT_EQ(s.queue_members[2], (audit::QueueMember{"q3", "m1000", false, true}));
  EXPECT_EQ(s.queue_members[3], (audit::QueueMember{"q3", "m1001", true, false}));
  EXPECT_TRUE(r.completeness.queues);
  EXPECT_TRUE(r.completeness.queue_members());
}

TEST_F(SweeperTest, QueueWhoseMembersCouldNotBeReadIsPartialNamingTheQueue) {
  Org org;
  org.queues.push_back({"q2", "d1", {{"u2", "user", true}}});
  org.Install(api_);
  api_.Set("/api/v2/routing/queues/q2/members?pageSize=100&pageNumber=1", 403,
           R"({"message":"no","code":"missing.permissions","status":403})");
  SweepResult r = Sweep(org);
  EXPECT_EQ(r.info.status, audit::SweepStatus::kPartial);
  EXPECT_TRUE(HasIncomplete(r, "members of queue q2")) << Incomplete(r);
  EXPECT_EQ(r.completeness.queues_without_members, std::vector<std::string>{"q2"});
  EXPECT_TRUE(r.completeness.queues);
  // Everything else complete; q1's members are kept.
  EXPECT_TRUE(r.completeness.subject_grants() && r.completeness.coverage);
  EXPECT_EQ(r.snapshot.queue_members.size(), 2u);
}

TEST_F(SweeperTest, UnreadableQueueListingOrQueueCoverageMarksQueuesIncomplete) {
  {
    FakeApiClient api;
    Org org;
    org.Install(api);
    api.Set("/api/v2/routing/queues?pageSize=500&pageNumber=1", 403,
            R"({"message":"no","code":"missing.permissions","status":403})");
    Sweeper sweeper(api, clock_, org.Options());
    SweepResult r = sweeper.Run(cancel_);
    EXPECT_EQ(r.info.status, audit::SweepStatus::kPartial);
    EXPECT_FALSE(r.completeness.queues);
    EXPECT_TRUE(HasIncomplete(r, "routing queues: GET /api/v2/routing/queues page 1: HTTP 403"))
        << Incomplete(r);
  }
  {
    FakeApiClient api;
    Org org;
    org.queue_permitted = std::vector<std::string>{"d1", "d2"};
    org.Install(api);
    api.count_token_request = true;
    Sweeper sweeper(api, clock_, org.Options());
    SweepResult r = sweeper.Run(cancel_);
    EXPECT_EQ(r.info.status, audit::SweepStatus::kPartial);
    EXPECT_FALSE(r.completeness.queues);
    EXPECT_TRUE(r.completeness.coverage);  // authorization:grant:view sees everything
    EXPECT_EQ(r.info.coverage_ratio, 1.0);
    EXPECT_TRUE(HasIncomplete(r, "coverage (routing:queue:view): division d3 (Div d3) not visible"))
        << Incomplete(r);
    EXPECT_EQ(r.info.api_requests, MinimumRequests(org.Shape(), org.Options()));
  }
}

// The queue-member lane and the grant chain take turns: 40 queues' member pages do not hold back
// the subject grants, and 12 roles' subject grants do not hold back the queue members.
TEST_F(SweeperTest, QueueMemberPagesNeverStallTheGrantChainAndViceVersa) {
  Org org;
  org.roles.clear();
  org.subjects.clear();
  for (int i = 0; i < 12; ++i) {
    const std::string id = "r" + std::to_string(10 + i);
    org.roles.push_back(id);
    org.subjects[id] = {{"g1", "PC_GROUP", {"d2"}}};
  }
  org.queues.clear();
  for (int i = 0; i < 40; ++i) {
    org.queues.push_back({"q" + std::to_string(10 + i), "d1", {{"u1", "user", true}}});
  }
  org.Install(api_);
  api_.count_token_request = true;
  api_.SetMaxInFlight(2);
  // The queues page arrives first: its 40 member listings are queued before any subject grant.
  api_.SetLatency(&clock_, [](const ApiRequest& r) {
    return r.path_and_query.find("/roles?") != std::string::npos ? std::chrono::milliseconds(30)
                                                                 : std::chrono::milliseconds(10);
  });
  SweepResult r = Sweep(org);
  ASSERT_EQ(r.info.status, audit::SweepStatus::kComplete) << Incomplete(r);
  EXPECT_EQ(r.info.api_requests, MinimumRequests(org.Shape(), org.Options()));
  std::vector<size_t> grants;
  std::vector<size_t> queue_members;
  std::optional<size_t> group_members;
  const auto& calls = api_.calls();
  for (size_t i = 0; i < calls.size(); ++i) {
    const std::string& path = calls[i].path_and_query;
    if (path.find("/subjectgrants") != std::string::npos) grants.push_back(i);
    if (path.find("/routing/queues/") != std::string::npos) queue_members.push_back(i);
    if (path.find("/groups/g1/members") != std::string::npos) group_members = i;
  }
  ASSERT_EQ(grants.size(), 12u);
  ASSERT_EQ(queue_members.size(), 40u);
  ASSERT_TRUE(group_members);
  // Grants do not wait for the 40 queue listings: all 12 go out among the first ~24 after the
  // first queue member, and the group members right after them.
  // (The catalog and the role settings are two more independent first requests: +2.)
  EXPECT_LT(grants.back(), queue_members[14]) << "grant chain stalled behind queue members";
  EXPECT_LT(*group_members, queue_members[16]);
  // And the queue members do not wait for the whole grant chain.
  EXPECT_LT(queue_members.front(), grants[1]);
}

}  // namespace
}  // namespace divaudit::genesys
