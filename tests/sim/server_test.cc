#include "sim/server.h"

// Boost 1.74 Asio under C++20 needs <utility> first.
#include <utility>

#include <gtest/gtest.h>
#include <simdjson.h>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <map>
#include <memory>
#include <set>
#include <string>

#include "common/strings.h"
#include "genesys/conversation_evidence.h"

namespace divaudit::sim {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

using audit::SubjectType;

// A small org: Home + two tenants' divisions, a group that inherits grants, a client on "*", a
// trustee, and seven inactive users (the inactive limit is lowered to 4 in tests).
OrgFixture SmallOrg() {
  OrgFixture f;
  auto& o = f.org;
  o.divisions = {
      {"d-a", "Acme", "", false}, {"d-b", "Globex", "", false}, {"d-home", "Home", "", true}};
  o.roles = {{"r-1", "Admin"}, {"r-2", "Agent"}};
  o.users = {{"u-1", "Ann", "ann@x", "d-a", "active"},
             {"u-2", "Bob", "bob@x", "d-b", "active"},
             {"u-3", "Cy", "cy@x", "d-a", "active"},
             {"u-del", "Dee", "dee@x", "d-home", "deleted"}};
  for (int i = 1; i <= 7; ++i) {
    std::string id = "u-i" + std::to_string(i);
    o.users.push_back({id, "Idle " + std::to_string(i), id + "@x", "d-a", "inactive"});
  }
  o.groups = {{"g-1", "Globex admins", true, {"u-1", "u-2"}, true}};
  o.oauth_clients = {{"c-1", "Integration", "CLIENT-CREDENTIALS", "active", {{"r-1", "*"}}}};
  o.external_subjects = {{"t-1", "Partner Pat", SubjectType::kTrusteeUser, "PC_TRUSTEE_USER"}};
  o.grants = {
      {SubjectType::kUser, "u-1", "r-2", "d-a"},
      {SubjectType::kUser, "u-1", "r-1", "d-b"},  // also inherited from g-1: a duplicate
      {SubjectType::kGroup, "g-1", "r-1", "d-b"},
      {SubjectType::kGroup, "g-1", "r-2", "d-b"},
      {SubjectType::kOAuthClient, "c-1", "r-1", "*"},
      {SubjectType::kTrusteeUser, "t-1", "r-2", "d-a"},
  };
  o.queues = {{"q-a", "Acme Sales", "d-a", {{"g-1", "Globex admins", "GROUP"}}},
              {"q-b", "Globex Care", "d-b", {}}};
  o.queue_members = {{"q-a", "u-1", false, true},
                     {"q-a", "u-2", true, false},
                     {"q-a", "u-del", false, true},
                     {"q-a", "u-i1", false, false}};
  return f;
}

struct Reply {
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
};

// A blocking keep-alive HTTP/1.1 client for one connection.
class Client {
 public:
  explicit Client(uint16_t port) : socket_(ioc_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }

  Result<Reply> Send(http::verb method, const std::string& target, const std::string& body = "",
                     const std::map<std::string, std::string>& headers = {}) {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.keep_alive(true);
    for (const auto& [k, v] : headers) req.set(k, v);
    if (!body.empty()) {
      req.body() = body;
      req.prepare_payload();
    }
    boost::system::error_code ec;
    http::write(socket_, req, ec);
    if (ec) return UnavailableError("write: " + ec.message());
    http::response<http::string_body> res;
    http::read(socket_, buffer_, res, ec);
    if (ec) return UnavailableError("read: " + ec.message());
    Reply r;
    r.status = static_cast<int>(res.result_int());
    for (const auto& h : res) {
      r.headers[std::string(h.name_string())] = std::string(h.value());
    }
    r.body = res.body();
    return r;
  }

 private:
  asio::io_context ioc_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

class SimServerTest : public ::testing::Test {
 protected:
  void StartServer(SimOptions options = {}) {
    options.clock = clock_;
    options.inactive_user_limit = 4;
    options.user_count_latency = std::chrono::milliseconds(0);
    auto s = SimServer::Start(options, SmallOrg());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value();
    client_ = std::make_unique<Client>(server_->port());
  }

  std::string Token(const std::string& id = "sim-client",
                    const std::string& secret = "sim-secret") {
    auto r = client_->Send(http::verb::post, "/oauth/token", "grant_type=client_credentials",
                           {{"Authorization", "Basic " + Base64Encode(id + ":" + secret)},
                            {"Content-Type", "application/x-www-form-urlencoded"}});
    EXPECT_TRUE(r.ok());
    if (!r.ok() || r->status != 200) return "";
    simdjson::dom::element e = parser_.parse(r->body);
    return std::string(std::string_view(e["access_token"]));
  }

  Reply Get(const std::string& target, const std::string& token) {
    std::map<std::string, std::string> h;
    if (!token.empty()) h["Authorization"] = "Bearer " + token;
    auto r = client_->Send(http::verb::get, target, "", h);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.status().ToString());
    return r.ok() ? *r : Reply{};
  }

  Reply Admin(http::verb method, const std::string& target, const std::string& body = "") {
    auto r = client_->Send(method, target, body, {{"Content-Type", "application/json"}});
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : Reply{};
  }

  simdjson::dom::element Json(const std::string& body) {
    simdjson::dom::element e;
    auto error = parser_.parse(body).get(e);
    EXPECT_EQ(error, simdjson::SUCCESS) << body;
    return e;
  }

  std::set<std::string> Ids(simdjson::dom::element listing) {
    std::set<std::string> ids;
    for (auto e : listing["entities"].get_array()) ids.emplace(std::string_view(e["id"]));
    return ids;
  }

  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
  std::unique_ptr<SimServer> server_;
  std::unique_ptr<Client> client_;
  simdjson::dom::parser parser_;
};

TEST_F(SimServerTest, TokenFlowAndUnauthorizedShapes) {
  StartServer();
  // No token.
  Reply none = Get("/api/v2/authorization/divisions", "");
  EXPECT_EQ(none.status, 401);
  auto e = Json(none.body);
  EXPECT_EQ(std::string_view(e["code"]), "authentication.required");
  EXPECT_EQ(int64_t(e["status"]), 401);
  EXPECT_FALSE(std::string_view(e["message"]).empty());
  EXPECT_EQ(std::string_view(e["contextId"]), none.headers["inin-correlation-id"]);
  EXPECT_EQ(e["details"].get_array().size(), 0u);
  EXPECT_EQ(e["errors"].get_array().size(), 0u);
  // Unknown token.
  EXPECT_EQ(std::string_view(Json(Get("/api/v2/users", "nope").body)["code"]), "bad.credentials");

  // Wrong secret: OAuth-style error.
  auto bad = client_->Send(http::verb::post, "/oauth/token", "grant_type=client_credentials",
                           {{"Authorization", "Basic " + Base64Encode("sim-client:wrong")}});
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->status, 401);
  auto be = Json(bad->body);
  EXPECT_EQ(std::string_view(be["error"]), "invalid_client");
  EXPECT_EQ(bad->body.find("wrong"), std::string::npos);

  // Good credentials.
  auto ok = client_->Send(http::verb::post, "/oauth/token", "grant_type=client_credentials",
                          {{"Authorization", "Basic " + Base64Encode("sim-client:sim-secret")}});
  ASSERT_TRUE(ok.ok());
  ASSERT_EQ(ok->status, 200);
  auto te = Json(ok->body);
  EXPECT_EQ(std::string_view(te["token_type"]), "bearer");
  EXPECT_EQ(int64_t(te["expires_in"]), 86400);
  const std::string token{std::string_view(te["access_token"])};
  Reply divs = Get("/api/v2/authorization/divisions", token);
  EXPECT_EQ(divs.status, 200);
  EXPECT_EQ(divs.headers["Content-Type"], "application/json");
  EXPECT_TRUE(divs.headers.count("inin-ratelimit-allowed"));
  EXPECT_TRUE(divs.headers.count("inin-ratelimit-count"));
  EXPECT_TRUE(divs.headers.count("inin-ratelimit-reset"));
  EXPECT_FALSE(divs.headers["inin-correlation-id"].empty());

  // Expiry follows the injected clock.
  clock_->Advance(std::chrono::seconds(86401));
  Reply expired = Get("/api/v2/authorization/divisions", token);
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(std::string_view(Json(expired.body)["code"]), "credentials.expired");
}

TEST_F(SimServerTest, PagingFieldsOnUsers) {
  StartServer();
  const std::string t = Token();
  // state=any: 11 users; pageSize 4 → 3 pages.
  auto p1 = Json(Get("/api/v2/users?state=any&pageSize=4", t).body);
  EXPECT_EQ(int64_t(p1["total"]), 11);
  EXPECT_EQ(int64_t(p1["pageCount"]), 3);
  EXPECT_EQ(int64_t(p1["pageSize"]), 4);
  EXPECT_EQ(int64_t(p1["pageNumber"]), 1);
  EXPECT_EQ(p1["previousUri"].error(), simdjson::NO_SUCH_FIELD);
  EXPECT_EQ(std::string_view(p1["nextUri"]), "/api/v2/users?pageSize=4&pageNumber=2&state=any");
  EXPECT_EQ(std::string_view(p1["firstUri"]), "/api/v2/users?pageSize=4&pageNumber=1&state=any");
  EXPECT_EQ(std::string_view(p1["lastUri"]), "/api/v2/users?pageSize=4&pageNumber=3&state=any");
  EXPECT_EQ(p1["entities"].get_array().size(), 4u);
  auto p3 = Json(Get("/api/v2/users?state=any&pageSize=4&pageNumber=3", t).body);
  EXPECT_EQ(p3["entities"].get_array().size(), 3u);
  EXPECT_EQ(p3["nextUri"].error(), simdjson::NO_SUCH_FIELD);
  EXPECT_FALSE(std::string_view(p3["previousUri"]).empty());
  auto past = Json(Get("/api/v2/users?state=any&pageSize=4&pageNumber=9", t).body);
  EXPECT_EQ(past["entities"].get_array().size(), 0u);
  EXPECT_EQ(int64_t(past["total"]), 11);
  EXPECT_EQ(int64_t(past["pageCount"]), 3);

  // Default state is active and excludes deleted users; entity shape.
  auto active = Json(Get("/api/v2/users", t).body);
  EXPECT_EQ(Ids(active), (std::set<std::string>{"u-1", "u-2", "u-3"}));
  auto u1 = active["entities"].at(0);
  EXPECT_EQ(std::string_view(u1["division"]["id"]), "d-a");
  EXPECT_EQ(std::string_view(u1["division"]["name"]), "Acme");
  EXPECT_EQ(std::string_view(u1["state"]), "active");
  EXPECT_EQ(Ids(Json(Get("/api/v2/users?state=deleted", t).body)), std::set<std::string>{"u-del"});
  // id= bulk, clamps and validation.
  EXPECT_EQ(Ids(Json(Get("/api/v2/users?id=u-2&id=u-1", t).body)),
            (std::set<std::string>{"u-1", "u-2"}));
  EXPECT_EQ(int64_t(Json(Get("/api/v2/users?pageSize=9999", t).body)["pageSize"]), 500);
  EXPECT_EQ(Get("/api/v2/users?pageSize=0", t).status, 400);
  EXPECT_EQ(Get("/api/v2/users?state=bogus", t).status, 400);
  // expand=groups.
  auto expanded = Json(Get("/api/v2/users/u-1?expand=groups", t).body);
  EXPECT_EQ(std::string_view(expanded["groups"].at(0)["id"]), "g-1");
}

TEST_F(SimServerTest, InactiveUsersLimitAndCursorAlternative) {
  StartServer();  // limit lowered to 4
  const std::string t = Token();
  EXPECT_EQ(Get("/api/v2/users?state=inactive&pageSize=2&pageNumber=2", t).status, 200);
  Reply over = Get("/api/v2/users?state=inactive&pageSize=2&pageNumber=3", t);
  EXPECT_EQ(over.status, 400);
  EXPECT_EQ(int64_t(Json(over.body)["status"]), 400);
  EXPECT_EQ(Get("/api/v2/users?state=active&pageSize=2&pageNumber=3", t).status, 200);

  // The cursor listing walks all 7 inactive users.
  std::set<std::string> seen;
  std::string next = "/api/v2/users/query?state=inactive&pageSize=3";
  int pages = 0;
  while (!next.empty() && pages < 10) {
    auto page = Json(Get(next, t).body);
    for (auto u : page["entities"].get_array()) seen.emplace(std::string_view(u["id"]));
    std::string_view n;
    next = page["nextUri"].get(n) == simdjson::SUCCESS ? std::string(n) : "";
    ++pages;
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen.size(), 7u);
}

TEST_F(SimServerTest, SubjectIncludesGroupInheritedGrants) {
  StartServer();
  const std::string t = Token();
  auto s = Json(Get("/api/v2/authorization/subjects/u-1", t).body);
  EXPECT_EQ(std::string_view(s["id"]), "u-1");
  std::set<std::string> grants;
  for (auto g : s["grants"].get_array()) {
    grants.insert(std::string(std::string_view(g["subjectId"])) + "/" +
                  std::string(std::string_view(g["role"]["id"])) + "@" +
                  std::string(std::string_view(g["division"]["id"])));
  }
  // r-1@d-b is held directly and via g-1: one entry without includeDuplicates.
  EXPECT_EQ(grants, (std::set<std::string>{"u-1/r-2@d-a", "u-1/r-1@d-b", "g-1/r-2@d-b"}));
  auto dup = Json(Get("/api/v2/authorization/subjects/u-1?includeDuplicates=true", t).body);
  EXPECT_EQ(dup["grants"].get_array().size(), 4u);
  EXPECT_EQ(Get("/api/v2/authorization/subjects/nobody", t).status, 404);
}

TEST_F(SimServerTest, SubjectGrantsTypesAndAllDivisions) {
  StartServer();
  const std::string t = Token();
  auto r1 = Json(Get("/api/v2/authorization/roles/r-1/subjectgrants", t).body);
  std::map<std::string, std::string> types;
  for (auto e : r1["entities"].get_array()) {
    types[std::string(std::string_view(e["id"]))] = std::string(std::string_view(e["type"]));
    if (std::string_view(e["id"]) == "c-1") {
      auto div = e["divisions"].at(0);
      EXPECT_EQ(std::string_view(div["id"]), "*");
      EXPECT_EQ(div["name"].error(), simdjson::NO_SUCH_FIELD);
    }
  }
  EXPECT_EQ(types, (std::map<std::string, std::string>{
                       {"c-1", "PC_OAUTH_CLIENT"}, {"g-1", "PC_GROUP"}, {"u-1", "PC_USER"}}));
  auto r2 = Json(Get("/api/v2/authorization/roles/r-2/subjectgrants", t).body);
  EXPECT_EQ(Ids(r2), (std::set<std::string>{"g-1", "t-1", "u-1"}));
  EXPECT_EQ(Get("/api/v2/authorization/roles/nope/subjectgrants", t).status, 404);

  // Division grants: paged without URIs.
  auto dg = Json(Get("/api/v2/authorization/divisions/d-b/grants", t).body);
  EXPECT_EQ(int64_t(dg["total"]), 3);
  EXPECT_EQ(dg["nextUri"].error(), simdjson::NO_SUCH_FIELD);
  EXPECT_EQ(dg["selfUri"].error(), simdjson::NO_SUCH_FIELD);

  // OAuth clients: one unpaged response.
  auto clients = Json(Get("/api/v2/oauth/clients", t).body);
  EXPECT_EQ(clients["pageCount"].error(), simdjson::NO_SUCH_FIELD);
  EXPECT_EQ(std::string_view(clients["entities"].at(0)["roleDivisions"].at(0)["divisionId"]), "*");

  // Roles, home division, permitted divisions.
  auto roles = Json(Get("/api/v2/authorization/roles?userCount=false", t).body);
  EXPECT_EQ(roles["entities"].at(0)["userCount"].error(), simdjson::NO_SUCH_FIELD);
  auto counted = Json(Get("/api/v2/authorization/roles", t).body);
  EXPECT_EQ(int64_t(counted["entities"].at(0)["userCount"]), 1);
  EXPECT_EQ(std::string_view(Json(Get("/api/v2/authorization/divisions/home", t).body)["id"]),
            "d-home");
  auto permitted =
      Json(Get("/api/v2/authorization/divisionspermitted/paged/me?permission=a:b:c", t).body);
  EXPECT_TRUE(bool(permitted["allDivsPermitted"]));
  EXPECT_EQ(int64_t(permitted["total"]), 3);
  EXPECT_EQ(Get("/api/v2/authorization/divisionspermitted/paged/me", t).status, 400);
  EXPECT_EQ(Ids(Json(Get("/api/v2/authorization/divisions?id=d-a&id=d-b", t).body)),
            (std::set<std::string>{"d-a", "d-b"}));
}

TEST_F(SimServerTest, UnknownRouteAndWrongMethod) {
  StartServer();
  const std::string t = Token();
  Reply missing = Get("/api/v2/nothing/here", t);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(std::string_view(Json(missing.body)["code"]), "not.found");
  auto wrong =
      client_->Send(http::verb::delete_, "/api/v2/users", "", {{"Authorization", "Bearer " + t}});
  ASSERT_TRUE(wrong.ok());
  EXPECT_EQ(wrong->status, 405);
}

TEST_F(SimServerTest, AdminMutationsVisibleInNextRead) {
  StartServer();
  const std::string t = Token();
  // Add a grant to u-2.
  Reply add =
      Admin(http::verb::post, "/sim/grants",
            R"({"subjectType":"PC_USER","subjectId":"u-2","roleId":"r-2","divisionId":"d-a"})");
  EXPECT_EQ(add.status, 200) << add.body;
  auto s = Json(Get("/api/v2/authorization/subjects/u-2", t).body);
  bool found = false;
  for (auto g : s["grants"].get_array()) {
    found |=
        std::string_view(g["subjectId"]) == "u-2" && std::string_view(g["role"]["id"]) == "r-2";
  }
  EXPECT_TRUE(found);
  // Remove u-2 from g-1: the inherited grants go.
  EXPECT_EQ(Admin(http::verb::delete_, "/sim/groups/g-1/members/u-2").status, 200);
  auto s2 = Json(Get("/api/v2/authorization/subjects/u-2", t).body);
  for (auto g : s2["grants"].get_array()) EXPECT_NE(std::string_view(g["subjectId"]), "g-1");
  // Move a user.
  EXPECT_EQ(Admin(http::verb::post, "/sim/users/u-3/division", R"({"divisionId":"d-b"})").status,
            200);
  EXPECT_EQ(std::string_view(Json(Get("/api/v2/users/u-3", t).body)["division"]["id"]), "d-b");
  EXPECT_EQ(Admin(http::verb::post, "/sim/users/u-3/division", R"({"divisionId":"zz"})").status,
            404);
  // Client grants keep roleDivisions in sync.
  EXPECT_EQ(
      Admin(
          http::verb::post, "/sim/grants",
          R"({"subjectType":"PC_OAUTH_CLIENT","subjectId":"c-1","roleId":"r-2","divisionId":"d-a"})")
          .status,
      200);
  auto client = Json(Get("/api/v2/oauth/clients/c-1", t).body);
  EXPECT_EQ(client["roleDivisions"].get_array().size(), 2u);
  // Replace the client.
  EXPECT_EQ(
      Admin(
          http::verb::put, "/sim/oauth/clients/c-2",
          R"({"name":"New","authorizedGrantType":"CLIENT-CREDENTIALS","state":"active","roleDivisions":[{"roleId":"r-1","divisionId":"d-a"}]})")
          .status,
      200);
  EXPECT_EQ(Ids(Json(Get("/api/v2/oauth/clients", t).body)), (std::set<std::string>{"c-1", "c-2"}));
  EXPECT_EQ(Ids(Json(Get("/api/v2/authorization/roles/r-1/subjectgrants", t).body)).count("c-2"),
            1u);
  // Delete a division: its grants are revoked.
  EXPECT_EQ(Admin(http::verb::delete_, "/sim/divisions/d-b").status, 200);
  EXPECT_EQ(Get("/api/v2/authorization/divisions/d-b", t).status, 404);
  EXPECT_EQ(Ids(Json(Get("/api/v2/authorization/roles/r-1/subjectgrants", t).body)),
            (std::set<std::string>{"c-1", "c-2"}));
  EXPECT_EQ(Admin(http::verb::delete_, "/sim/divisions/d-home").status, 409);
  // The org dump reflects it all.
  Reply org = Admin(http::verb::get, "/sim/org");
  EXPECT_EQ(org.status, 200);
  EXPECT_EQ(org.body.find("\"d-b\""), std::string::npos);

  // Request counts per route template and status.
  auto counts = Json(Admin(http::verb::get, "/sim/requests").body);
  EXPECT_GE(int64_t(counts["routes"]["GET /api/v2/authorization/subjects/{subjectId}"]), 2);
  EXPECT_EQ(int64_t(counts["routes"]["POST /oauth/token"]), 1);
  EXPECT_GT(int64_t(counts["statuses"]["200"]), 5);
  Admin(http::verb::post, "/sim/requests/reset");
  EXPECT_EQ(int64_t(Json(Admin(http::verb::get, "/sim/requests").body)["total"]), 0);
}

TEST_F(SimServerTest, ForbiddenDivisionIsHiddenFromTheClient) {
  StartServer();
  const std::string t = Token();
  EXPECT_EQ(Admin(http::verb::post, "/sim/faults", R"({"forbid_division":"d-b"})").status, 200);
  auto permitted =
      Json(Get("/api/v2/authorization/divisionspermitted/paged/me?permission=x", t).body);
  EXPECT_FALSE(bool(permitted["allDivsPermitted"]));
  EXPECT_EQ(Ids(permitted), (std::set<std::string>{"d-a", "d-home"}));
  // g-1 holds r-1 only on d-b: omitted. u-1's r-1@d-b: omitted too.
  EXPECT_EQ(Ids(Json(Get("/api/v2/authorization/roles/r-1/subjectgrants", t).body)),
            std::set<std::string>{"c-1"});
  EXPECT_EQ(Admin(http::verb::post, "/sim/faults", "{}").status, 200);
  EXPECT_TRUE(bool(Json(Get("/api/v2/authorization/divisionspermitted/paged/me?permission=x", t)
                            .body)["allDivsPermitted"]));
}

TEST_F(SimServerTest, RateLimitAnswers429WithRetryAfter) {
  SimOptions options;
  options.rate_limit_per_minute = 2;
  StartServer(options);
  const std::string t = Token();
  EXPECT_EQ(Get("/api/v2/groups", t).status, 200);
  EXPECT_EQ(Get("/api/v2/groups", t).status, 200);
  Reply limited = Get("/api/v2/groups", t);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.headers["Retry-After"], "30");
  EXPECT_EQ(limited.headers["inin-ratelimit-allowed"], "2");
  auto e = Json(limited.body);
  EXPECT_EQ(std::string_view(e["code"]), "too.many.requests.retry.after");
  EXPECT_EQ(std::string_view(e["message"]),
            "Rate limit exceeded the maximum. Retry the request in [30] seconds");
  clock_->Advance(std::chrono::seconds(30));
  EXPECT_EQ(Get("/api/v2/groups", t).status, 200);
  auto counts = Json(Admin(http::verb::get, "/sim/requests").body);
  EXPECT_EQ(int64_t(counts["routes"]["GET /api/v2/groups"]), 4);
  EXPECT_EQ(int64_t(counts["routeStatuses"]["GET /api/v2/groups"]["429"]), 1);
}

TEST_F(SimServerTest, FaultsBreakResponsesAsConfigured) {
  StartServer();
  const std::string t = Token();
  server_->SetFaults(*ParseFaultSpec("badjson=1"));
  Reply bad = Get("/api/v2/groups", t);
  EXPECT_EQ(bad.status, 200);
  simdjson::dom::element ignored;
  EXPECT_NE(parser_.parse(bad.body).get(ignored), simdjson::SUCCESS);

  server_->SetFaults(*ParseFaultSpec("503=1"));
  EXPECT_EQ(Get("/api/v2/groups", t).status, 503);

  server_->SetFaults(*ParseFaultSpec("expire_token=1"));
  Reply expired = Get("/api/v2/groups", t);
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(std::string_view(Json(expired.body)["code"]), "credentials.expired");
  server_->SetFaults(FaultConfig{});
  EXPECT_EQ(std::string_view(Json(Get("/api/v2/groups", t).body)["code"]), "credentials.expired");
  const std::string fresh = Token();
  EXPECT_EQ(Get("/api/v2/groups", fresh).status, 200);

  server_->SetFaults(*ParseFaultSpec("reset=1"));
  auto reset =
      client_->Send(http::verb::get, "/api/v2/groups", "", {{"Authorization", "Bearer " + fresh}});
  EXPECT_FALSE(reset.ok());

  server_->SetFaults(*ParseFaultSpec("truncate=1"));
  Client other(server_->port());
  auto truncated =
      other.Send(http::verb::get, "/api/v2/groups", "", {{"Authorization", "Bearer " + fresh}});
  EXPECT_FALSE(truncated.ok());  // the body ends before Content-Length says
  auto stats = server_->Stats();
  EXPECT_EQ(stats.statuses["reset"], 1);
  EXPECT_EQ(stats.statuses["truncate"], 1);
}

TEST_F(SimServerTest, FailPathFailsOnlyTheMatchingListing) {
  StartServer();
  const std::string t = Token();
  ASSERT_EQ(
      Admin(http::verb::post, "/sim/faults",
            R"({"fail_path":["/api/v2/users\\?.*state=inactive=500","/api/v2/groups\\?=reset"]})")
          .status,
      200);
  Reply failed = Get("/api/v2/users?pageSize=2&pageNumber=1&state=inactive", t);
  EXPECT_EQ(failed.status, 500);
  EXPECT_EQ(std::string_view(Json(failed.body)["code"]), "sim.fail.path");
  // Every attempt fails: retries cannot recover it.
  EXPECT_EQ(Get("/api/v2/users?pageSize=2&pageNumber=1&state=inactive", t).status, 500);
  EXPECT_EQ(Get("/api/v2/users?pageSize=2&pageNumber=1&state=active", t).status, 200);
  EXPECT_EQ(Get("/api/v2/groups/g-1/members", t).status, 200);  // "/groups?" only
  auto reset = client_->Send(http::verb::get, "/api/v2/groups?pageSize=2", "",
                             {{"Authorization", "Bearer " + t}});
  EXPECT_FALSE(reset.ok());
  client_ = std::make_unique<Client>(server_->port());  // the reset closed the connection
  EXPECT_EQ(Admin(http::verb::post, "/sim/faults", "{}").status, 200);
  Client other(server_->port());
  auto back = other.Send(http::verb::get, "/api/v2/groups?pageSize=2", "",
                         {{"Authorization", "Bearer " + t}});
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->status, 200);
}

TEST_F(SimServerTest, StopIsIdempotent) {
  StartServer();
  server_->Stop();
  server_->Stop();
  SimOptions wildcard;
  wildcard.listen_host = "0.0.0.0";
  EXPECT_FALSE(SimServer::Start(wildcard, SmallOrg()).ok());
}

// Routing queues: Queue with division and memberGroups; members with user.id, memberBy and
// joined (deleted users omitted); pageSize above 100 is a 400 as on the platform; a queue in the
// forbidden division is hidden.
TEST_F(SimServerTest, RoutingQueuesAndMembers) {
  StartServer();
  const std::string t = Token();
  auto queues = Json(Get("/api/v2/routing/queues?pageSize=500", t).body);
  EXPECT_EQ(Ids(queues), (std::set<std::string>{"q-a", "q-b"}));
  auto qa = queues["entities"].at(0);
  EXPECT_EQ(std::string_view(qa["division"]["id"]), "d-a");
  EXPECT_EQ(std::string_view(qa["division"]["name"]), "Acme");
  EXPECT_EQ(std::string_view(qa["memberGroups"].at(0)["type"]), "GROUP");
  EXPECT_EQ(int64_t(qa["memberCount"]), 4);
  auto members = Json(Get("/api/v2/routing/queues/q-a/members?pageSize=100", t).body);
  // QueueMemberEntityListing has no count: no total, pageCount or lastUri; nextUri when more.
  for (const char* absent : {"total", "pageCount", "lastUri", "nextUri"}) {
    EXPECT_EQ(members[absent].error(), simdjson::NO_SUCH_FIELD) << absent;
  }
  EXPECT_EQ(int64_t(members["pageNumber"]), 1);
  EXPECT_EQ(Ids(members), (std::set<std::string>{"u-1", "u-2", "u-i1"}));
  auto m2 = members["entities"].at(1);
  EXPECT_EQ(std::string_view(m2["user"]["id"]), "u-2");
  EXPECT_EQ(std::string_view(m2["memberBy"]), "group");
  EXPECT_FALSE(bool(m2["joined"]));
  EXPECT_EQ(std::string_view(members["entities"].at(0)["memberBy"]), "user");
  // Paging by nextUri (one Json document at a time: the parser is shared).
  {
    auto first = Json(Get("/api/v2/routing/queues/q-a/members?pageSize=2&pageNumber=1", t).body);
    EXPECT_EQ(std::string_view(first["nextUri"]),
              "/api/v2/routing/queues/q-a/members?pageSize=2&pageNumber=2");
  }
  {
    auto second = Json(Get("/api/v2/routing/queues/q-a/members?pageSize=2&pageNumber=2", t).body);
    EXPECT_EQ(second["entities"].get_array().size(), 1u);
    EXPECT_EQ(second["nextUri"].error(), simdjson::NO_SUCH_FIELD);
  }
  EXPECT_EQ(Get("/api/v2/routing/queues/q-a/members?pageSize=101", t).status, 400);
  EXPECT_EQ(Get("/api/v2/routing/queues/q-none/members", t).status, 404);
  EXPECT_EQ(Json(Get("/api/v2/routing/queues/q-b/members", t).body)["entities"].get_array().size(),
            0u);
  // Admin API: add (via a group, unjoined) and remove a member; unknown ids are 404.
  EXPECT_EQ(Admin(http::verb::post, "/sim/queues/q-b/members",
                  R"({"userId":"u-1","memberBy":"group","joined":false})")
                .status,
            200);
  auto added = Json(Get("/api/v2/routing/queues/q-b/members", t).body);
  EXPECT_EQ(Ids(added), std::set<std::string>{"u-1"});
  EXPECT_EQ(std::string_view(added["entities"].at(0)["memberBy"]), "group");
  EXPECT_FALSE(bool(added["entities"].at(0)["joined"]));
  EXPECT_EQ(Admin(http::verb::delete_, "/sim/queues/q-b/members/u-1").status, 200);
  EXPECT_EQ(Json(Get("/api/v2/routing/queues/q-b/members", t).body)["entities"].get_array().size(),
            0u);
  EXPECT_EQ(Admin(http::verb::delete_, "/sim/queues/q-b/members/u-1").status, 404);
  EXPECT_EQ(Admin(http::verb::post, "/sim/queues/q-x/members", R"({"userId":"u-1"})").status, 404);
}

TEST_F(SimServerTest, RoutingQueuesOfAForbiddenDivisionAreHidden) {
  StartServer();
  const std::string t = Token();
  EXPECT_EQ(Admin(http::verb::post, "/sim/faults", R"({"forbid_division":"d-b"})").status, 200);
  EXPECT_EQ(Ids(Json(Get("/api/v2/routing/queues", t).body)), std::set<std::string>{"q-a"});
  EXPECT_EQ(Get("/api/v2/routing/queues/q-b/members", t).status, 404);
}

// Analytics conversation details (issue 15 evidence): admin-added conversations are served by
// POST details/query (half-open interval on conversationStart, oldest first, pageSize ≤ 100,
// totalHits, 400 past the first 10,000 results) and GET by id, in the shape the evidence reader
// parses back to the same conversation.
TEST_F(SimServerTest, ConversationDetailsQueryAndById) {
  StartServer();
  const std::string t = Token();
  const std::string c1 =
      R"({"conversationId":"c-1","conversationStart":"2026-11-01T10:00:00.000Z",)"
      R"("conversationEnd":"2026-11-01T10:05:00.250Z","divisionIds":["d-b","d-a"],)"
      R"("participants":[{"purpose":"customer","sessions":[{"segments":[{"queueId":"q-a"}]}]},)"
      R"({"purpose":"agent","userId":"u-2","sessions":[{"segments":[{"queueId":"q-a"}]}]}]})";
  EXPECT_EQ(Admin(http::verb::post, "/sim/conversations", c1).status, 200);
  EXPECT_EQ(Admin(http::verb::post, "/sim/conversations",
                  R"({"conversationId":"c-2","conversationStart":"2026-11-01T10:59:59.999Z",)"
                  R"("divisionIds":["d-a"]})")
                .status,
            200);
  EXPECT_EQ(Admin(http::verb::post, "/sim/conversations",
                  R"({"conversationId":"c-3","conversationStart":"2026-11-01T11:00:00.000Z",)"
                  R"("conversationEnd":"2026-11-01T11:01:00.000Z","divisionIds":["d-a"]})")
                .status,
            200);
  EXPECT_EQ(Admin(http::verb::post, "/sim/conversations", R"({"conversationId":"c-4"})").status,
            400);
  auto query = [&](const std::string& interval, int size, int number) {
    return client_
        ->Send(http::verb::post, "/api/v2/analytics/conversations/details/query",
               R"({"interval":")" + interval +
                   R"(","order":"asc","orderBy":"conversationStart","paging":{"pageSize":)" +
                   std::to_string(size) + R"(,"pageNumber":)" + std::to_string(number) + "}}",
               {{"Authorization", "Bearer " + t}, {"Content-Type", "application/json"}})
        .value();
  };
  const std::string hour = "2026-11-01T10:00:00.000Z/2026-11-01T11:00:00.000Z";
  const Reply p1 = query(hour, 1, 1);
  ASSERT_EQ(p1.status, 200) << p1.body;
  std::vector<audit::Conversation> read;
  auto hits = genesys::ParseDetailsQueryPage(p1.body, read);
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  EXPECT_EQ(*hits, 2);
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].id, "c-1");
  EXPECT_EQ(read[0].division_ids, (std::vector<std::string>{"d-a", "d-b"}));
  EXPECT_EQ(read[0].queue_ids, std::vector<std::string>{"q-a"});
  EXPECT_EQ(read[0].user_ids, std::vector<std::string>{"u-2"});
  ASSERT_TRUE(read[0].end.has_value());
  EXPECT_EQ(audit::FormatIsoMillis(*read[0].end), "2026-11-01T10:05:00.250Z");
  const Reply p2 = query(hour, 1, 2);
  read.clear();
  ASSERT_TRUE(genesys::ParseDetailsQueryPage(p2.body, read).ok()) << p2.body;
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].id, "c-2");
  EXPECT_FALSE(read[0].end.has_value());
  const Reply p3 = query(hour, 1, 3);
  EXPECT_EQ(p3.body, R"({"totalHits":2})");
  EXPECT_EQ(query(hour, 101, 1).status, 400);
  EXPECT_EQ(query(hour, 100, 100).status, 200);
  EXPECT_EQ(query(hour, 100, 101).status, 400) << "the query pages no further than 10,000";
  EXPECT_EQ(query("2026-11-01T10:00:00.000Z", 100, 1).status, 400);

  const Reply one = Get("/api/v2/analytics/conversations/c-1/details", t);
  ASSERT_EQ(one.status, 200);
  auto parsed = genesys::ParseConversationDetails(one.body);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->user_ids, std::vector<std::string>{"u-2"});
  EXPECT_EQ(Get("/api/v2/analytics/conversations/c-9/details", t).status, 404);
}

}  // namespace
}  // namespace divaudit::sim
