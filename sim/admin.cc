#include "sim/admin.h"

#include <simdjson.h>

#include <algorithm>

namespace divaudit::sim {

namespace {

template <typename T>
T* FindById(std::vector<T>& v, std::string_view id) {
  auto it = std::find_if(v.begin(), v.end(), [&](const T& x) { return x.id == id; });
  return it == v.end() ? nullptr : &*it;
}

Status NotFound(std::string_view what, std::string_view id) {
  return NotFoundError(std::string(what) + " not found: " + std::string(id));
}

void SyncClientRoleDivisions(audit::OrgSnapshot& org, std::string_view client_id) {
  audit::OAuthClient* c = FindById(org.oauth_clients, client_id);
  if (c == nullptr) return;
  c->role_divisions.clear();
  for (const auto& g : org.grants) {
    if (g.subject_type == audit::SubjectType::kOAuthClient && g.subject_id == client_id) {
      c->role_divisions.push_back({g.role_id.str(), g.division_id.str()});
    }
  }
  std::sort(c->role_divisions.begin(), c->role_divisions.end());
}

}  // namespace

Result<std::string> JsonStringField(std::string_view json, std::string_view field) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS) {
    return InvalidArgumentError("body is not valid JSON");
  }
  std::string_view value;
  if (root[field].get_string().get(value) != simdjson::SUCCESS || value.empty()) {
    return InvalidArgumentError("body: missing string field '" + std::string(field) + "'");
  }
  return std::string(value);
}

Status MoveUser(OrgFixture& fixture, std::string_view user_id, std::string_view division_id) {
  auto& org = fixture.org;
  audit::User* u = FindById(org.users, user_id);
  if (u == nullptr) return NotFound("user", user_id);
  if (FindById(org.divisions, division_id) == nullptr) return NotFound("division", division_id);
  u->home_division_id = std::string(division_id);
  return Status::Ok();
}

Result<audit::Grant> ParseGrantBody(std::string_view json) {
  audit::Grant g;
  DIVAUDIT_ASSIGN_OR_RETURN(std::string type, JsonStringField(json, "subjectType"));
  DIVAUDIT_ASSIGN_OR_RETURN(g.subject_id, JsonStringField(json, "subjectId"));
  DIVAUDIT_ASSIGN_OR_RETURN(g.role_id, JsonStringField(json, "roleId"));
  DIVAUDIT_ASSIGN_OR_RETURN(g.division_id, JsonStringField(json, "divisionId"));
  g.subject_type = audit::SubjectTypeFromGenesys(type);
  if (g.subject_type == audit::SubjectType::kUnknown) {
    return InvalidArgumentError("body: unsupported subjectType '" + type + "'");
  }
  return g;
}

Status AddGrant(OrgFixture& fixture, const audit::Grant& grant) {
  auto& org = fixture.org;
  using audit::SubjectType;
  switch (grant.subject_type) {
    case SubjectType::kUser:
      if (FindById(org.users, grant.subject_id) == nullptr) {
        return NotFound("user", grant.subject_id);
      }
      break;
    case SubjectType::kGroup:
      if (FindById(org.groups, grant.subject_id) == nullptr) {
        return NotFound("group", grant.subject_id);
      }
      break;
    case SubjectType::kOAuthClient:
      if (FindById(org.oauth_clients, grant.subject_id) == nullptr) {
        return NotFound("OAuth client", grant.subject_id);
      }
      break;
    case SubjectType::kTrusteeUser:
    case SubjectType::kTrusteeGroup:
      if (FindById(org.external_subjects, grant.subject_id) == nullptr) {
        org.external_subjects.push_back(
            {grant.subject_id.str(), grant.subject_id.str(), grant.subject_type,
             std::string(audit::SubjectTypeGenesysName(grant.subject_type))});
      }
      break;
    case SubjectType::kUnknown:
    case SubjectType::kOrg:
      return InvalidArgumentError("unsupported subject type");
  }
  if (FindById(org.roles, grant.role_id) == nullptr) return NotFound("role", grant.role_id);
  if (std::find(org.grants.begin(), org.grants.end(), grant) == org.grants.end()) {
    org.grants.push_back(grant);
  }
  if (grant.subject_type == SubjectType::kOAuthClient) {
    SyncClientRoleDivisions(org, grant.subject_id);
  }
  audit::Canonicalize(org);
  return Status::Ok();
}

Status RemoveGrant(OrgFixture& fixture, const audit::Grant& grant) {
  auto& org = fixture.org;
  auto it = std::find(org.grants.begin(), org.grants.end(), grant);
  if (it == org.grants.end()) return NotFoundError("grant not found");
  org.grants.erase(it);
  if (grant.subject_type == audit::SubjectType::kOAuthClient) {
    SyncClientRoleDivisions(org, grant.subject_id);
  }
  return Status::Ok();
}

Status AddMember(OrgFixture& fixture, std::string_view group_id, std::string_view user_id) {
  auto& org = fixture.org;
  audit::Group* g = FindById(org.groups, group_id);
  if (g == nullptr) return NotFound("group", group_id);
  if (FindById(org.users, user_id) == nullptr) return NotFound("user", user_id);
  auto it = std::lower_bound(g->member_ids.begin(), g->member_ids.end(), user_id);
  if (it == g->member_ids.end() || *it != user_id) g->member_ids.insert(it, std::string(user_id));
  return Status::Ok();
}

Status RemoveMember(OrgFixture& fixture, std::string_view group_id, std::string_view user_id) {
  audit::Group* g = FindById(fixture.org.groups, group_id);
  if (g == nullptr) return NotFound("group", group_id);
  auto it = std::find(g->member_ids.begin(), g->member_ids.end(), user_id);
  if (it == g->member_ids.end()) return NotFound("member", user_id);
  g->member_ids.erase(it);
  return Status::Ok();
}

Status DeleteDivision(OrgFixture& fixture, std::string_view division_id) {
  auto& org = fixture.org;
  auto it = std::find_if(org.divisions.begin(), org.divisions.end(),
                         [&](const audit::Division& d) { return d.id == division_id; });
  if (it == org.divisions.end()) return NotFound("division", division_id);
  if (it->home_division) {
    return FailedPreconditionError("the home division cannot be deleted");
  }
  org.divisions.erase(it);
  std::erase_if(org.grants, [&](const audit::Grant& g) { return g.division_id == division_id; });
  for (auto& c : org.oauth_clients) {
    std::erase_if(c.role_divisions,
                  [&](const audit::RoleDivision& rd) { return rd.division_id == division_id; });
  }
  std::string home;
  for (const auto& d : org.divisions) {
    if (d.home_division) home = d.id;
  }
  for (auto& u : org.users) {
    if (u.home_division_id == division_id) u.home_division_id = home;
  }
  for (auto& q : org.queues) {  // v2: its routing queues move to Home too
    if (q.division_id == division_id) q.division_id = home;
  }

  return Status::Ok();
}

Status PutRoleSettings(OrgFixture& fixture, std::string_view json) {
  // The fixture parser checks the shape (known keys, booleans); absent keys keep their value.
  auto parsed = ParseOrgJson("{\"roleSettings\":" + std::string(json) + "}");
  if (!parsed.ok()) return parsed.status().WithPrefix("body");
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(json.data(), json.size()).get(obj) != simdjson::SUCCESS) {
    return InvalidArgumentError("body must be a JSON object");
  }
  audit::RoleSettings settings = fixture.org.role_settings.value_or(audit::RoleSettings{});
  bool value = false;
  if (obj["authorizationGrantDivisionAware"].get_bool().get(value) == simdjson::SUCCESS) {
    settings.authorization_grant_division_aware = value;
  }
  if (obj["backfillEnabled"].get_bool().get(value) == simdjson::SUCCESS) {
    settings.backfill_enabled = value;
  }
  fixture.org.role_settings = settings;
  return Status::Ok();
}

Status PutRolePolicies(OrgFixture& fixture, std::string_view role_id, std::string_view json) {
  audit::Role* role = FindById(fixture.org.roles, role_id);
  if (role == nullptr) return NotFoundError("role not found: " + std::string(role_id));
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(json.data(), json.size()).get(obj) != simdjson::SUCCESS) {
    return InvalidArgumentError("body must be a JSON object");
  }
  simdjson::dom::element policies;
  if (obj["permissionPolicies"].get(policies) != simdjson::SUCCESS) {
    return InvalidArgumentError("body: permissionPolicies: missing");
  }
  // Reuse the fixture parser so the body has exactly the fixture's role shape.
  auto parsed = ParseOrgJson("{\"roles\":[{\"id\":\"r\",\"name\":\"r\",\"permissionPolicies\":" +
                             simdjson::minify(policies) + "}]}");
  if (!parsed.ok()) return parsed.status().WithPrefix("body");
  role->policies = std::move(parsed->org.roles[0].policies);
  return Status::Ok();
}

Status PutClient(OrgFixture& fixture, std::string_view client_id, std::string_view json) {
  // Reuse the fixture parser so the body has exactly the fixture's "oauthClients" shape.
  std::string wrapped;
  {
    simdjson::dom::parser parser;
    simdjson::dom::object obj;
    if (parser.parse(json.data(), json.size()).get(obj) != simdjson::SUCCESS) {
      return InvalidArgumentError("body must be a JSON object");
    }
    std::string_view id;
    if (obj["id"].get_string().get(id) == simdjson::SUCCESS) {
      if (id != client_id) return InvalidArgumentError("body: id does not match the path");
      wrapped = "{\"oauthClients\":[" + std::string(json) + "]}";
    } else {
      // Insert the id from the path.
      std::string body(json);
      size_t brace = body.find('{');
      std::string id_field = "\"id\":\"" + std::string(client_id) + "\"";
      bool empty = body.find_first_not_of(" \t\r\n", brace + 1) == body.find('}', brace);
      body.insert(brace + 1, empty ? id_field : id_field + ",");
      wrapped = "{\"oauthClients\":[" + body + "]}";
    }
  }
  auto parsed = ParseOrgJson(wrapped);
  if (!parsed.ok()) return parsed.status().WithPrefix("body");
  if (parsed->org.oauth_clients.size() != 1) return InvalidArgumentError("body: expected a client");
  audit::OAuthClient client = parsed->org.oauth_clients[0];
  auto& org = fixture.org;
  if (audit::OAuthClient* existing = FindById(org.oauth_clients, client_id)) {
    *existing = client;
  } else {
    org.oauth_clients.push_back(client);
  }
  std::erase_if(org.grants, [&](const audit::Grant& g) {
    return g.subject_type == audit::SubjectType::kOAuthClient && g.subject_id == client_id;
  });
  for (const auto& rd : client.role_divisions) {
    org.grants.push_back({audit::SubjectType::kOAuthClient, client.id, rd.role_id, rd.division_id});
  }
  audit::Canonicalize(org);
  return Status::Ok();
}

Status AddQueueMember(OrgFixture& fixture, std::string_view queue_id, std::string_view user_id,
                      bool via_group, bool joined) {
  auto& org = fixture.org;
  if (FindById(org.queues, queue_id) == nullptr) return NotFound("queue", queue_id);
  if (FindById(org.users, user_id) == nullptr) return NotFound("user", user_id);
  std::erase_if(org.queue_members, [&](const audit::QueueMember& m) {
    return m.queue_id == queue_id && m.user_id == user_id;
  });
  org.queue_members.push_back({std::string(queue_id), std::string(user_id), via_group, joined});
  std::sort(org.queue_members.begin(), org.queue_members.end());
  return Status::Ok();
}

Status RemoveQueueMember(OrgFixture& fixture, std::string_view queue_id, std::string_view user_id) {
  auto& org = fixture.org;
  if (FindById(org.queues, queue_id) == nullptr) return NotFound("queue", queue_id);
  const size_t removed = std::erase_if(org.queue_members, [&](const audit::QueueMember& m) {
    return m.queue_id == queue_id && m.user_id == user_id;
  });
  if (removed == 0) return NotFound("queue member", user_id);
  return Status::Ok();
}

Status PutConversation(OrgFixture& fixture, std::string_view body) {
  DIVAUDIT_ASSIGN_OR_RETURN(audit::Conversation c, ParseConversationJson(body));
  std::erase_if(fixture.conversations, [&](const audit::Conversation& x) { return x.id == c.id; });
  fixture.conversations.push_back(std::move(c));
  SortConversations(fixture.conversations);
  return Status::Ok();
}

}  // namespace divaudit::sim
