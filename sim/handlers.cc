#include "sim/handlers.h"

#include <algorithm>
#include <functional>
#include <set>
#include <string>

#include <simdjson.h>

#include "audit/evidence.h"
#include "common/json_writer.h"
#include "common/strings.h"
#include "sim/org_json.h"
#include "sim/paging.h"

namespace divaudit::sim {

namespace {

constexpr std::string_view kGrantMadeAt = "2024-01-01T00:00:00Z";
constexpr std::string_view kDivisionsUri = "/api/v2/authorization/divisions/";

std::string SelfUri(std::string_view prefix, std::string_view id) {
  std::string s(prefix);
  s += UrlEncode(id);
  return s;
}

// Division reference {id,name,selfUri}; no name for "*" or ids the org does not have.
void WriteDivisionRef(JsonWriter& w, const OrgIndex& index, std::string_view id) {
  if (const std::string* json = index.DivisionRefJson(id)) {
    w.Raw(*json);
    return;
  }
  w.BeginObject();
  w.Field("id", id);
  if (id != audit::kAllDivisionsId) {
    if (const auto* d = index.FindDivision(id)) w.Field("name", d->name);
  }
  w.Field("selfUri", SelfUri(kDivisionsUri, id));
  w.EndObject();
}

// AuthzDivision.
void WriteDivision(JsonWriter& w, const audit::Division& d) {
  w.BeginObject();
  w.Field("id", d.id);
  w.Field("name", d.name);
  w.Field("description", d.description);
  w.Field("homeDivision", d.home_division);
  w.Field("selfUri", SelfUri(kDivisionsUri, d.id));
  w.EndObject();
}

// AuthzDivision inside an AuthzGrant; "*" and unknown ids carry only id and selfUri.
void WriteGrantDivision(JsonWriter& w, const OrgIndex& index, std::string_view id) {
  const audit::Division* d = id == audit::kAllDivisionsId ? nullptr : index.FindDivision(id);
  if (d != nullptr) {
    WriteDivision(w, *d);
    return;
  }
  w.BeginObject();
  w.Field("id", id);
  w.Field("selfUri", SelfUri(kDivisionsUri, id));
  w.EndObject();
}

// DomainOrganizationRole.permissions (legacy strings, which divaudit must not use) and
// permissionPolicies (DomainPermissionPolicy). A narrowed policy carries a resourceConditionNode.
void WritePermissionPolicies(JsonWriter& w, const audit::Role& r) {
  w.Key("permissions").BeginArray();
  for (const auto& p : r.policies) {
    for (const auto& a : p.action_set) w.String(p.domain + ":" + p.entity_name + ":" + a);
  }
  w.EndArray();
  w.Key("permissionPolicies").BeginArray();
  for (const auto& p : r.policies) {
    w.BeginObject();
    w.Field("domain", p.domain);
    w.Field("entityName", p.entity_name);
    w.Field("policyName", p.domain + "-" + p.entity_name);
    w.Field("policyDescription", "");
    w.Key("actionSet").BeginArray();
    for (const auto& a : p.action_set) w.String(a);
    w.EndArray();
    w.Key("namedResources").BeginArray().EndArray();
    w.Field("allowConditions", p.narrowed);
    if (p.narrowed) {
      w.Key("resourceConditionNode").BeginObject();
      w.Field("variableName", "Queue.id");
      w.Field("operator", "EQ");
      w.Key("operands").BeginArray().BeginObject();
      w.Field("type", "SCALAR");
      w.Field("value", "condition-" + r.id);
      w.EndObject().EndArray();
      w.EndObject();
    }
    w.EndObject();
  }
  w.EndArray();
}

// DomainPermissionCollection (one domain of the catalog).
void WriteCatalogDomain(JsonWriter& w, const CatalogDomain& d) {
  w.BeginObject();
  w.Field("id", d.domain);
  w.Field("name", d.domain);
  w.Field("domain", d.domain);
  w.Key("permissionMap").BeginObject();
  for (size_t i = 0; i < d.permissions.size(); ++i) {
    const audit::CatalogPermission& p = *d.permissions[i];
    if (i == 0 || d.permissions[i - 1]->entity_type != p.entity_type) {
      if (i > 0) w.EndArray();
      w.Key(p.entity_type).BeginArray();
    }
    w.BeginObject();
    w.Field("domain", p.domain);
    w.Field("entityType", p.entity_type);
    w.Field("action", p.action);
    w.Field("label", p.entity_type + " " + p.action);
    w.Field("allowsConditions", false);
    w.Field("divisionAware", p.division_aware);
    w.EndObject();
  }
  if (!d.permissions.empty()) w.EndArray();
  w.EndObject();
  w.EndObject();
}

// DomainOrganizationRole.
void WriteRole(JsonWriter& w, const OrgIndex& index, const audit::Role& r, bool user_count) {
  w.BeginObject();
  w.Field("id", r.id);
  w.Field("name", r.name);
  w.Field("description", "");
  w.Field("default", false);
  w.Field("base", false);
  WritePermissionPolicies(w, r);
  if (user_count) w.Key("userCount").Int(index.RoleUserCount(r.id));
  w.Field("selfUri", SelfUri("/api/v2/authorization/roles/", r.id));
  w.EndObject();
}

// User.
void WriteUser(JsonWriter& w, const OrgIndex& index, const audit::User& u, bool expand_groups) {
  w.BeginObject();
  w.Field("id", u.id);
  w.Field("name", u.name);
  if (!u.home_division_id.empty()) {
    w.Key("division");
    WriteDivisionRef(w, index, u.home_division_id);
  }
  w.Field("email", u.email);
  w.Field("state", u.state);
  w.Field("username", u.email);
  w.Field("version", 1);
  if (expand_groups) {
    w.Key("groups").BeginArray();
    for (const auto* g : index.UserGroups(u.id)) {
      w.BeginObject();
      w.Field("id", g->id);
      w.Field("selfUri", SelfUri("/api/v2/groups/", g->id));
      w.EndObject();
    }
    w.EndArray();
  }
  w.Field("selfUri", SelfUri("/api/v2/users/", u.id));
  w.EndObject();
}

// Group.
void WriteGroup(JsonWriter& w, const audit::Group& g) {
  w.BeginObject();
  w.Field("id", g.id);
  w.Field("name", g.name);
  w.Field("description", "");
  w.Key("memberCount").Int(static_cast<int64_t>(g.member_ids.size()));
  w.Field("state", "active");
  w.Field("version", 1);
  w.Field("type", "official");
  w.Field("rulesVisible", true);
  w.Field("visibility", "public");
  w.Field("rolesEnabled", g.roles_enabled);
  w.Field("selfUri", SelfUri("/api/v2/groups/", g.id));
  w.EndObject();
}

// OAuthClient.
void WriteClient(JsonWriter& w, const audit::OAuthClient& c) {
  w.BeginObject();
  w.Field("id", c.id);
  w.Field("name", c.name);
  w.Field("description", "");
  w.Field("accessTokenValiditySeconds", 86400);
  w.Field("authorizedGrantType", c.authorized_grant_type);
  w.Key("roleDivisions").BeginArray();
  for (const auto& rd : c.role_divisions) {
    w.BeginObject();
    w.Field("roleId", rd.role_id);
    w.Field("divisionId", rd.division_id);
    w.EndObject();
  }
  w.EndArray();
  w.Field("state", c.state);
  w.Field("selfUri", SelfUri("/api/v2/oauth/clients/", c.id));
  w.EndObject();
}

// AuthzGrant.
void WriteGrant(JsonWriter& w, const OrgIndex& index, const audit::Grant& g) {
  w.BeginObject();
  w.Field("subjectId", g.subject_id);
  w.Key("division");
  WriteGrantDivision(w, index, g.division_id);
  w.Key("role").BeginObject();
  w.Field("id", g.role_id);
  if (const auto* r = index.FindRole(g.role_id)) w.Field("name", r->name);
  w.Field("selfUri", SelfUri("/api/v2/authorization/roles/", g.role_id));
  w.EndObject();
  w.Field("grantMadeAt", kGrantMadeAt);
  w.EndObject();
}

HttpResult Ok(std::string body) {
  HttpResult r;
  r.body = std::move(body);
  return r;
}

HttpResult BadRequest(const ApiRequest& req, std::string_view message) {
  return ErrorResult(400, "bad.request", message, req.context_id);
}

HttpResult NotFound(const ApiRequest& req, std::string_view what, std::string_view id) {
  return ErrorResult(404, "not.found",
                     "Unable to find a " + std::string(what) + " with id " + std::string(id),
                     req.context_id);
}

// Renders a paged listing of `items` with `write` for each item on the page.
template <typename Vec, typename Fn>
HttpResult PagedListing(const ApiRequest& req, const Vec& items, Fn write,
                        PageUris uris = PageUris::kAll,
                        const std::function<void(JsonWriter&)>& extra = nullptr) {
  auto page = ParsePageRequest(req.target);
  if (!page.ok()) return BadRequest(req, page.status().message());
  const PageWindow window = ComputePage(static_cast<int64_t>(items.size()), *page);
  JsonWriter w;
  w.BeginObject();
  w.Key("entities").BeginArray();
  for (int64_t i = window.begin; i < window.end; ++i) write(w, items[static_cast<size_t>(i)]);
  w.EndArray();
  WritePagingFields(w, req.target, window, uris);
  if (extra) extra(w);
  w.EndObject();
  return Ok(w.Take());
}

// Items of a sorted-by-id collection restricted to the `id=` parameters, if any were given.
template <typename T, typename Find>
std::vector<const T*> FilterByIds(const ApiRequest& req, const std::vector<const T*>& all,
                                  Find find) {
  auto ids = req.target.GetAll("id");
  if (ids.empty()) return all;
  std::set<std::string> wanted;
  for (const auto& id : ids) {
    for (const auto& part : Split(id, ',')) wanted.insert(std::string(Trim(part)));
  }
  std::vector<const T*> out;
  for (const auto& id : wanted) {
    const T* item = find(id);
    if (item != nullptr && std::find(all.begin(), all.end(), item) != all.end()) {
      out.push_back(item);
    }
  }
  return out;  // std::set keeps ids sorted
}

template <typename T>
std::vector<const T*> Pointers(const std::vector<T>& v) {
  std::vector<const T*> out;
  out.reserve(v.size());
  for (const auto& x : v) out.push_back(&x);
  return out;
}

HttpResult Divisions(const ApiRequest& req) {
  const OrgIndex& index = *req.index;
  auto items =
      FilterByIds<audit::Division>(req, Pointers(index.org().divisions),
                                   [&](const std::string& id) { return index.FindDivision(id); });
  return PagedListing(req, items,
                      [](JsonWriter& w, const audit::Division* d) { WriteDivision(w, *d); });
}

HttpResult DivisionsPermitted(const ApiRequest& req) {
  if (!req.target.Get("permission")) {
    return BadRequest(req, "The query parameter 'permission' is required");
  }
  std::vector<const audit::Division*> visible;
  for (const auto& d : req.index->org().divisions) {
    if (d.id != req.forbid_division) visible.push_back(&d);
  }
  const bool all = visible.size() == req.index->org().divisions.size();
  return PagedListing(
      req, visible, [](JsonWriter& w, const audit::Division* d) { WriteDivision(w, *d); },
      PageUris::kAll, [all](JsonWriter& w) { w.Field("allDivsPermitted", all); });
}

HttpResult DivisionGrants(const ApiRequest& req) {
  const std::string& id = req.captures[0];
  if (req.index->FindDivision(id) == nullptr && id != audit::kAllDivisionsId) {
    return NotFound(req, "division", id);
  }
  std::vector<const audit::Grant*> grants;
  if (id != req.forbid_division) grants = req.index->DivisionGrants(id);
  return PagedListing(
      req, grants, [&](JsonWriter& w, const audit::Grant* g) { WriteGrant(w, *req.index, *g); },
      PageUris::kNone);
}

HttpResult Roles(const ApiRequest& req) {
  const OrgIndex& index = *req.index;
  const bool user_count = RolesWantUserCount(req.target);
  auto items = FilterByIds<audit::Role>(req, Pointers(index.org().roles),
                                        [&](const std::string& id) { return index.FindRole(id); });
  return PagedListing(req, items, [&](JsonWriter& w, const audit::Role* r) {
    WriteRole(w, index, *r, user_count);
  });
}

HttpResult RoleSubjectGrants(const ApiRequest& req) {
  const OrgIndex& index = *req.index;
  const std::string& role_id = req.captures[0];
  if (index.FindRole(role_id) == nullptr) return NotFound(req, "role", role_id);
  const auto& all = index.RoleSubjectGrants(role_id);
  const std::string& forbid = req.forbid_division;
  auto write = [&](JsonWriter& w, const SubjectGrantsEntry* e) {
    w.BeginObject();
    w.Field("id", e->first->subject_id);
    if (!e->name.empty()) w.Field("name", e->name);
    w.Field("type", e->genesys_type);
    w.Key("divisions").BeginArray();
    for (auto div : e->division_ids) {
      if (!forbid.empty() && div == forbid) continue;
      WriteDivisionRef(w, index, div);
    }
    w.EndArray();
    w.EndObject();
  };
  std::vector<const SubjectGrantsEntry*> entries;
  entries.reserve(all.size());
  for (const auto& e : all) {
    if (!forbid.empty() && std::all_of(e.division_ids.begin(), e.division_ids.end(),
                                       [&](std::string_view d) { return d == forbid; })) {
      continue;  // every grant of this entity is on the hidden division
    }
    entries.push_back(&e);
  }
  return PagedListing(req, entries, write);
}

HttpResult Subject(const ApiRequest& req) {
  const OrgIndex& index = *req.index;
  const std::string& id = req.captures[0];
  std::string_view name;
  const audit::User* user = index.FindUser(id);
  if (user != nullptr) {
    name = user->name;
  } else if (const auto* g = index.FindGroup(id)) {
    name = g->name;
  } else if (const auto* c = index.FindClient(id)) {
    name = c->name;
  } else if (const auto* e = index.FindExternal(id)) {
    name = e->name;
  } else {
    return NotFound(req, "subject", id);
  }
  const bool duplicates = req.target.Get("includeDuplicates").value_or("false") == "true";
  std::vector<const audit::Grant*> grants = index.SubjectGrants(id);
  if (user != nullptr) {
    for (const auto* group : index.UserGroups(id)) {
      const auto& inherited = index.SubjectGrants(group->id);
      grants.insert(grants.end(), inherited.begin(), inherited.end());
    }
  }
  std::set<std::pair<std::string_view, std::string_view>> seen;
  JsonWriter w;
  w.BeginObject();
  w.Field("id", id);
  w.Field("name", name);
  w.Key("grants").BeginArray();
  for (const auto* g : grants) {
    if (!req.forbid_division.empty() && g->division_id == req.forbid_division) continue;
    if (!duplicates && !seen.emplace(g->role_id, g->division_id).second) continue;
    WriteGrant(w, index, *g);
  }
  w.EndArray();
  w.Field("version", 1);
  w.Field("selfUri", SelfUri("/api/v2/authorization/subjects/", id));
  w.EndObject();
  return Ok(w.Take());
}

Result<std::string> UserState(const ApiRequest& req) {
  std::string state = req.target.Get("state").value_or("active");
  if (state != "active" && state != "inactive" && state != "deleted" && state != "any") {
    return InvalidArgumentError("Invalid value for state: " + state);
  }
  return state;
}

bool ExpandGroups(const Target& target) {
  for (const auto& e : target.GetAll("expand")) {
    for (const auto& part : Split(e, ',')) {
      if (Trim(part) == "groups") return true;
    }
  }
  return false;
}

HttpResult Users(const ApiRequest& req) {
  const OrgIndex& index = *req.index;
  auto state = UserState(req);
  if (!state.ok()) return BadRequest(req, state.status().message());
  if (*state == "inactive") {
    auto page = ParsePageRequest(req.target);
    if (page.ok() && (page->page_number > req.inactive_user_limit / page->page_size ||
                      page->page_number * page->page_size > req.inactive_user_limit)) {
      return BadRequest(req, "The requested page exceeds the maximum of " +
                                 std::to_string(req.inactive_user_limit) +
                                 " results for inactive users; use GET /api/v2/users/query");
    }
  }
  auto items = FilterByIds<audit::User>(req, index.UsersInState(*state),
                                        [&](const std::string& id) { return index.FindUser(id); });
  const bool expand = ExpandGroups(req.target);
  return PagedListing(
      req, items, [&](JsonWriter& w, const audit::User* u) { WriteUser(w, index, *u, expand); });
}

std::string HexEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

Result<std::string> HexDecode(std::string_view s) {
  if (s.size() % 2 != 0) return InvalidArgumentError("Invalid cursor");
  std::string out;
  for (size_t i = 0; i < s.size(); i += 2) {
    auto v = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    int hi = v(s[i]), lo = v(s[i + 1]);
    if (hi < 0 || lo < 0) return InvalidArgumentError("Invalid cursor");
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

HttpResult UsersQuery(const ApiRequest& req) {
  const OrgIndex& index = *req.index;
  auto state = UserState(req);
  if (!state.ok()) return BadRequest(req, state.status().message());
  auto page = ParsePageRequest(req.target);
  if (!page.ok()) return BadRequest(req, page.status().message());
  const auto& users = index.UsersInState(*state);
  auto it = users.begin();
  if (auto cursor = req.target.Get("cursor"); cursor && !cursor->empty()) {
    auto after = HexDecode(*cursor);
    if (!after.ok()) return BadRequest(req, after.status().message());
    it = std::upper_bound(users.begin(), users.end(), *after,
                          [](const std::string& id, const audit::User* u) { return id < u->id; });
  }
  auto end = users.end() - it > page->page_size ? it + page->page_size : users.end();
  const bool expand = ExpandGroups(req.target);
  JsonWriter w;
  w.BeginObject();
  w.Key("entities").BeginArray();
  for (auto i = it; i != end; ++i) WriteUser(w, index, **i, expand);
  w.EndArray();
  std::string self = req.target.path;
  for (size_t i = 0; i < req.target.params.size(); ++i) {
    self += (i == 0 ? "?" : "&") + UrlEncode(req.target.params[i].first) + "=" +
            UrlEncode(req.target.params[i].second);
  }
  w.Field("selfUri", self);
  if (end != users.end()) {
    const std::string next_cursor = HexEncode((*(end - 1))->id);
    std::string next =
        req.target.path + "?cursor=" + next_cursor + "&pageSize=" + std::to_string(page->page_size);
    if (auto s = req.target.Get("state")) next += "&state=" + UrlEncode(*s);
    if (expand) next += "&expand=groups";
    w.Field("nextUri", next);
    w.Field("cursor", next_cursor);
  }
  w.EndObject();
  return Ok(w.Take());
}

HttpResult GroupMembers(const ApiRequest& req) {
  const OrgIndex& index = *req.index;
  const audit::Group* g = index.FindGroup(req.captures[0]);
  if (g == nullptr) return NotFound(req, "group", req.captures[0]);
  std::vector<const audit::User*> members;
  members.reserve(g->member_ids.size());
  for (const auto& id : g->member_ids) {
    const audit::User* u = index.FindUser(id);
    if (u != nullptr && u->state != "deleted") members.push_back(u);
  }
  return PagedListing(req, members,
                      [&](JsonWriter& w, const audit::User* u) { WriteUser(w, index, *u, false); });
}

// The largest pageSize GET /api/v2/routing/queues/{id}/members accepts (the API answers 400
// above it; docs/simulator.md).
constexpr int64_t kMaxQueueMemberPageSize = 100;

const audit::Queue* FindQueue(const OrgIndex& index, std::string_view id) {
  const auto& qs = index.org().queues;
  auto it = std::lower_bound(qs.begin(), qs.end(), id,
                             [](const audit::Queue& q, std::string_view v) { return q.id < v; });
  return it != qs.end() && it->id == id ? &*it : nullptr;
}

// Queue (the SDK's model, the fields a sweep and the SDK read).
void WriteQueue(JsonWriter& w, const OrgIndex& index, const audit::Queue& q) {
  const auto& ms = index.org().queue_members;
  auto lo = std::lower_bound(
      ms.begin(), ms.end(), q.id,
      [](const audit::QueueMember& m, std::string_view v) { return m.queue_id < v; });
  int64_t members = 0;
  int64_t joined = 0;
  int64_t users = 0;
  for (auto it = lo; it != ms.end() && it->queue_id == q.id; ++it) {
    ++members;
    joined += it->joined ? 1 : 0;
    users += it->via_group ? 0 : 1;
  }
  w.BeginObject();
  w.Field("id", q.id);
  w.Field("name", q.name);
  w.Key("division");
  WriteDivisionRef(w, index, q.division_id);
  w.Field("description", "");
  w.Field("dateCreated", kGrantMadeAt);
  w.Key("memberCount").Int(members);
  w.Key("userMemberCount").Int(users);
  w.Key("joinedMemberCount").Int(joined);
  w.Key("memberGroups").BeginArray();
  for (const auto& g : q.member_groups) {
    w.BeginObject();
    w.Field("id", g.id);
    w.Field("name", g.name);
    w.Field("type", g.type);
    w.Field("selfUri", SelfUri(g.type == "TEAM"         ? "/api/v2/teams/"
                               : g.type == "SKILLGROUP" ? "/api/v2/routing/skillgroups/"
                                                        : "/api/v2/groups/",
                               g.id));
    w.EndObject();
  }
  w.EndArray();
  w.Field("selfUri", SelfUri("/api/v2/routing/queues/", q.id));
  w.EndObject();
}

HttpResult RoutingQueues(const ApiRequest& req) {
  const OrgIndex& index = *req.index;
  std::vector<const audit::Queue*> visible;
  for (const auto& q : index.org().queues) {
    if (req.forbid_division.empty() || q.division_id != req.forbid_division) visible.push_back(&q);
  }
  return PagedListing(req, visible,
                      [&](JsonWriter& w, const audit::Queue* q) { WriteQueue(w, index, *q); });
}

HttpResult RoutingQueueMembers(const ApiRequest& req) {
  const OrgIndex& index = *req.index;
  const audit::Queue* q = FindQueue(index, req.captures[0]);
  if (q == nullptr || (!req.forbid_division.empty() && q->division_id == req.forbid_division)) {
    return NotFound(req, "queue", req.captures[0]);
  }
  if (auto size = req.target.Get("pageSize")) {
    auto v = ParseInt(*size);
    if (v.ok() && *v > kMaxQueueMemberPageSize) {
      return BadRequest(req, "Value [" + std::string(*size) +
                                 "] is not valid for field type [pageSize]. Allowable values "
                                 "are: 1-100");
    }
  }
  const auto& ms = index.org().queue_members;
  auto lo = std::lower_bound(
      ms.begin(), ms.end(), q->id,
      [](const audit::QueueMember& m, std::string_view v) { return m.queue_id < v; });
  std::vector<const audit::QueueMember*> rows;
  for (auto it = lo; it != ms.end() && it->queue_id == q->id; ++it) {
    const audit::User* u = index.FindUser(it->user_id);
    if (u != nullptr && u->state == "deleted") continue;
    rows.push_back(&*it);
  }
  return PagedListing(
      req, rows,
      [&](JsonWriter& w, const audit::QueueMember* m) {
        const audit::User* u = index.FindUser(m->user_id);
        const std::string_view name = u != nullptr ? std::string_view(u->name) : std::string_view();
        w.BeginObject();
        w.Field("id", m->user_id);
        w.Field("name", name);
        w.Key("user").BeginObject();
        w.Field("id", m->user_id);
        w.Field("name", name);
        if (u != nullptr) w.Field("state", u->state);
        w.Field("selfUri", SelfUri("/api/v2/users/", m->user_id));
        w.EndObject();
        w.Key("ringNumber").Int(1);
        w.Field("joined", m->joined);
        w.Field("memberBy", m->via_group ? "group" : "user");
        w.Key("routingStatus").BeginObject().Field("status", "OFF_QUEUE").EndObject();
        w.Field("selfUri", SelfUri("/api/v2/users/", m->user_id));
        w.EndObject();
      },
      PageUris::kNoCount);
}

// The analytics conversation details query (docs/simulator.md): the synchronous query pages at
// most 100 conversations and no further than its first 10,000 results.
constexpr int64_t kMaxConversationPageSize = 100;
constexpr int64_t kMaxConversationResults = 10'000;

HttpResult ConversationDetailsQuery(const ApiRequest& req) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(req.body);
  simdjson::dom::element root;
  if (parser.parse(padded).get(root) != simdjson::SUCCESS || !root.is_object()) {
    return BadRequest(req, "The request body is not a valid ConversationQuery.");
  }
  std::string_view interval;
  if (root["interval"].get(interval) != simdjson::SUCCESS) {
    return BadRequest(req, "interval is required.");
  }
  const size_t slash = interval.find('/');
  if (slash == std::string_view::npos) return BadRequest(req, "interval is not valid.");
  Result<SystemTime> from = audit::ParseIsoMillis(interval.substr(0, slash));
  Result<SystemTime> to = audit::ParseIsoMillis(interval.substr(slash + 1));
  if (!from.ok() || !to.ok() || *to < *from) return BadRequest(req, "interval is not valid.");
  int64_t page_size = 25;
  int64_t page_number = 1;
  simdjson::dom::element paging;
  if (root["paging"].get(paging) == simdjson::SUCCESS) {
    if (paging["pageSize"].get(page_size) == simdjson::INCORRECT_TYPE ||
        paging["pageNumber"].get(page_number) == simdjson::INCORRECT_TYPE) {
      return BadRequest(req, "paging is not valid.");
    }
  }
  if (page_size < 1 || page_size > kMaxConversationPageSize) {
    return BadRequest(req, "paging.pageSize must be between 1 and 100.");
  }
  if (page_number < 1) return BadRequest(req, "paging.pageNumber must be at least 1.");
  if (page_number * page_size > kMaxConversationResults) {
    return BadRequest(req,
                      "The query can not page past 10000 results; narrow the interval or use an "
                      "asynchronous job.");
  }
  std::string_view order = "asc";
  if (root["order"].get(order) != simdjson::SUCCESS) order = "asc";
  const auto& all = req.index->fixture().conversations;  // sorted by start, id
  std::vector<const audit::Conversation*> hits;
  for (const audit::Conversation& c : all) {
    if (c.start >= *from && c.start < *to) hits.push_back(&c);
  }
  if (order == "desc") std::reverse(hits.begin(), hits.end());
  const size_t first = static_cast<size_t>((page_number - 1) * page_size);
  std::string out = "{";
  if (first < hits.size()) {
    out += "\"conversations\":[";
    const size_t last = std::min(hits.size(), first + static_cast<size_t>(page_size));
    for (size_t i = first; i < last; ++i) {
      if (i > first) out += ',';
      AppendConversationJson(out, *hits[i], true);
    }
    out += "],";
  }
  out += "\"totalHits\":" + std::to_string(hits.size()) + "}";
  HttpResult r;
  r.body = std::move(out);
  return r;
}

HttpResult ConversationDetails(const ApiRequest& req) {
  for (const audit::Conversation& c : req.index->fixture().conversations) {
    if (c.id == req.captures[0]) {
      HttpResult r;
      AppendConversationJson(r.body, c, true);
      return r;
    }
  }
  return NotFound(req, "conversation", req.captures[0]);
}

template <typename Fn>
HttpResult Single(Fn write) {
  JsonWriter w;
  write(w);
  return Ok(w.Take());
}

}  // namespace

std::vector<Route> ApiRoutes() {
  return {
      {"GET", "/api/v2/authorization/divisions", kDivisions},
      {"GET", "/api/v2/authorization/divisions/home", kDivisionHome},
      {"GET", "/api/v2/authorization/divisions/{divisionId}", kDivision},
      {"GET", "/api/v2/authorization/divisions/{divisionId}/grants", kDivisionGrants},
      {"GET", "/api/v2/authorization/divisionspermitted/paged/me", kDivisionsPermitted},
      {"GET", "/api/v2/authorization/roles", kRoles},
      {"GET", "/api/v2/authorization/roles/settings", kRoleSettings},
      {"GET", "/api/v2/authorization/permissions", kPermissions},
      {"GET", "/api/v2/authorization/roles/{roleId}", kRole},
      {"GET", "/api/v2/authorization/roles/{roleId}/subjectgrants", kRoleSubjectGrants},
      {"GET", "/api/v2/authorization/subjects/{subjectId}", kSubject},
      {"GET", "/api/v2/users", kUsers},
      {"GET", "/api/v2/users/query", kUsersQuery},
      {"GET", "/api/v2/users/{userId}", kUser},
      {"GET", "/api/v2/groups", kGroups},
      {"GET", "/api/v2/groups/{groupId}", kGroup},
      {"GET", "/api/v2/groups/{groupId}/members", kGroupMembers},
      {"GET", "/api/v2/oauth/clients", kOAuthClients},
      {"GET", "/api/v2/oauth/clients/{clientId}", kOAuthClient},
      {"GET", "/api/v2/organizations/me", kOrganizationMe},
      {"GET", "/api/v2/routing/queues", kRoutingQueues},
      {"GET", "/api/v2/routing/queues/{queueId}/members", kRoutingQueueMembers},
      {"POST", "/api/v2/audits/query/realtime", kAuditQueryRealtime},
      {"POST", "/api/v2/analytics/conversations/details/query", kConversationDetailsQuery},
      {"GET", "/api/v2/analytics/conversations/{conversationId}/details", kConversationDetails},
  };
}

bool RolesWantUserCount(const Target& target) {
  return target.Get("userCount").value_or("true") != "false";
}

std::string ErrorBodyJson(int status, std::string_view code, std::string_view message,
                          std::string_view context_id) {
  JsonWriter w;
  w.BeginObject();
  w.Field("message", message);
  w.Field("code", code);
  w.Field("status", status);
  w.Field("contextId", context_id);
  w.Key("details").BeginArray().EndArray();
  w.Key("errors").BeginArray().EndArray();
  w.EndObject();
  return w.Take();
}

HttpResult ErrorResult(int status, std::string_view code, std::string_view message,
                       std::string_view context_id) {
  HttpResult r;
  r.status = status;
  r.body = ErrorBodyJson(status, code, message, context_id);
  return r;
}

HttpResult HandleApi(int route_id, const ApiRequest& req) {
  const OrgIndex& index = *req.index;
  switch (route_id) {
    case kDivisions:
      return Divisions(req);
    case kDivisionHome:
      if (index.HomeDivision() == nullptr) return NotFound(req, "division", "home");
      return Single([&](JsonWriter& w) { WriteDivision(w, *index.HomeDivision()); });
    case kDivision: {
      const auto* d = index.FindDivision(req.captures[0]);
      if (d == nullptr) return NotFound(req, "division", req.captures[0]);
      return Single([&](JsonWriter& w) { WriteDivision(w, *d); });
    }
    case kDivisionGrants:
      return DivisionGrants(req);
    case kDivisionsPermitted:
      return DivisionsPermitted(req);
    case kRoles:
      return Roles(req);
    case kRole: {
      const auto* r = index.FindRole(req.captures[0]);
      if (r == nullptr) return NotFound(req, "role", req.captures[0]);
      return Single([&](JsonWriter& w) { WriteRole(w, index, *r, true); });
    }
    case kRoleSubjectGrants:
      return RoleSubjectGrants(req);
    case kSubject:
      return Subject(req);
    case kUsers:
      return Users(req);
    case kUsersQuery:
      return UsersQuery(req);
    case kUser: {
      const auto* u = index.FindUser(req.captures[0]);
      if (u == nullptr) return NotFound(req, "user", req.captures[0]);
      const bool expand = ExpandGroups(req.target);
      return Single([&](JsonWriter& w) { WriteUser(w, index, *u, expand); });
    }
    case kGroups: {
      auto items =
          FilterByIds<audit::Group>(req, Pointers(index.org().groups),
                                    [&](const std::string& id) { return index.FindGroup(id); });
      return PagedListing(req, items,
                          [](JsonWriter& w, const audit::Group* g) { WriteGroup(w, *g); });
    }
    case kGroup: {
      const auto* g = index.FindGroup(req.captures[0]);
      if (g == nullptr) return NotFound(req, "group", req.captures[0]);
      return Single([&](JsonWriter& w) { WriteGroup(w, *g); });
    }
    case kGroupMembers:
      return GroupMembers(req);
    case kOAuthClients:
      return Single([&](JsonWriter& w) {
        w.BeginObject();
        w.Key("entities").BeginArray();
        for (const auto& c : index.org().oauth_clients) WriteClient(w, c);
        w.EndArray();
        w.EndObject();
      });
    case kOAuthClient: {
      const auto* c = index.FindClient(req.captures[0]);
      if (c == nullptr) return NotFound(req, "OAuth client", req.captures[0]);
      return Single([&](JsonWriter& w) { WriteClient(w, *c); });
    }
    case kOrganizationMe:
      // Organization (the SDK's model): `version` is its only required field.
      return Single([&](JsonWriter& w) {
        w.BeginObject();
        w.Field("id", index.org_id());
        w.Field("name", index.org_name());
        w.Field("defaultLanguage", "en-us");
        w.Field("defaultCountryCode", "US");
        w.Field("thirdPartyOrgName", "divaudit-sim");
        w.Field("domain", "divaudit-sim.local");
        w.Field("version", 1);
        w.Field("state", "active");
        w.Field("productPlatform", "PureCloud");
        w.Field("selfUri", "/api/v2/organizations/" + index.org_id());
        w.EndObject();
      });
    case kConversationDetailsQuery:
      return ConversationDetailsQuery(req);
    case kConversationDetails:
      return ConversationDetails(req);
    case kRoutingQueues:
      return RoutingQueues(req);
    case kRoutingQueueMembers:
      return RoutingQueueMembers(req);
    case kPermissions: {
      std::vector<const CatalogDomain*> domains;
      for (const auto& d : index.CatalogDomains()) domains.push_back(&d);
      return PagedListing(req, domains,
                          [](JsonWriter& w, const CatalogDomain* d) { WriteCatalogDomain(w, *d); });
    }
    case kRoleSettings:
      return Single([&](JsonWriter& w) {
        const audit::RoleSettings s = index.RoleSettings();
        w.BeginObject();
        w.Field("id", index.org_id());
        w.Field("backfillEnabled", s.backfill_enabled);
        w.Field("authorizationGrantDivisionAware", s.authorization_grant_division_aware);
        w.Field("selfUri", "/api/v2/authorization/roles/settings");
        w.EndObject();
      });
    default:
      return ErrorResult(404, "not.found", "The requested resource was not found.", req.context_id);
  }
}

}  // namespace divaudit::sim
