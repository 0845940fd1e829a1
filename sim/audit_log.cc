#include "sim/audit_log.h"

#include <simdjson.h>

#include <algorithm>
#include <utility>

#include "common/json_writer.h"
#include "common/time_util.h"
#include "sim/handlers.h"

namespace divaudit::sim {

Result<AuditShape> ParseAuditShape(std::string_view text) {
  if (text == "entity") return AuditShape::kEntity;
  if (text == "changes") return AuditShape::kChanges;
  if (text == "properties") return AuditShape::kProperties;
  return InvalidArgumentError("audit shape '" + std::string(text) +
                              "': want entity, changes or properties");
}

Result<AuditActor> ActorFromQuery(const Target& target) {
  AuditActor a;
  const std::string type = target.Get("actorType").value_or("user");
  if (type == "user") {
    a.kind = AuditActor::Kind::kUser;
  } else if (type == "client") {
    a.kind = AuditActor::Kind::kClient;
    a.id = "sim-admin-client";
    a.name = "Sim Admin Client";
  } else if (type == "partner") {
    a.kind = AuditActor::Kind::kPartner;
    a.id = "partner-admin";
    a.name = "Partner Admin";
    a.home_org_id = target.Get("actorOrg").value_or("partner-org");
  } else {
    return InvalidArgumentError("actorType '" + type + "': want user, client or partner");
  }
  if (auto id = target.Get("actorId")) a.id = *id;
  if (auto name = target.Get("actorName")) a.name = *name;
  return a;
}

namespace {

// DomainEntityRef {id, name, selfUri} (user, entity) or, with `name` nullopt,
// AddressableEntityRef {id, selfUri} (client: the SDK model has no name).
void WriteRef(JsonWriter& w, std::string_view key, std::string_view id,
              std::optional<std::string_view> name, std::string_view self_uri_prefix) {
  w.Key(key).BeginObject();
  w.Field("id", id);
  if (name) w.Field("name", *name);
  if (!self_uri_prefix.empty()) w.Field("selfUri", std::string(self_uri_prefix) + std::string(id));
  w.EndObject();
}

void WriteValues(JsonWriter& w, std::string_view key, const std::vector<std::string>& values) {
  w.Key(key).BeginArray();
  for (const auto& v : values) w.String(v);
  w.EndArray();
}

// [id] when `has`, else [].
std::vector<std::string> Values(bool has, const std::string& id) {
  return has ? std::vector<std::string>{id} : std::vector<std::string>{};
}

}  // namespace

namespace {

template <typename T>
std::string NameOf(const std::vector<T>& items, std::string_view id) {
  for (const auto& i : items) {
    if (i.id == id) return i.name;
  }
  return "";
}

std::string SubjectEntityType(audit::SubjectType t) {
  switch (t) {
    case audit::SubjectType::kGroup:
    case audit::SubjectType::kTrusteeGroup:
      return "Group";
    case audit::SubjectType::kOAuthClient:
      return "OAuthClient";
    default:
      return "User";
  }
}

}  // namespace

AuditRecord GrantRecord(const OrgFixture& before, const audit::Grant& grant, bool add) {
  AuditRecord r{"PeoplePermissions",
                "Role",
                add ? "MemberAdd" : "MemberRemove",
                grant.role_id.str(),
                NameOf(before.org.roles, grant.role_id.view()),
                {}};
  r.changes.push_back(
      {SubjectEntityType(grant.subject_type), "subjectId", grant.subject_id.str(), !add});
  r.changes.push_back({"Division", "divisionId", grant.division_id.str(), !add});
  return r;
}

AuditRecord MemberRecord(const OrgFixture& before, std::string_view group_id,
                         std::string_view user_id, bool add) {
  AuditRecord r{"Groups",
                "DirectoryGroup",
                add ? "MemberAdd" : "MemberRemove",
                std::string(group_id),
                NameOf(before.org.groups, group_id),
                {}};
  r.changes.push_back({"User", "userId", std::string(user_id), !add});
  return r;
}

AuditRecord MoveUserRecord(const OrgFixture& before, std::string_view user_id,
                           std::string_view division_id) {
  AuditRecord r{
      "Directory", "User", "Update", std::string(user_id), NameOf(before.org.users, user_id), {}};
  r.changes.push_back({"Division", "divisionId", std::string(division_id), false});
  for (const auto& u : before.org.users) {
    if (u.id == user_id && !u.home_division_id.empty()) {
      r.changes.push_back({"Division", "divisionId", u.home_division_id, true});
    }
  }
  return r;
}

AuditRecord DeleteDivisionRecord(const OrgFixture& before, std::string_view division_id) {
  return AuditRecord{"PeoplePermissions",
                     "Division",
                     "Delete",
                     std::string(division_id),
                     NameOf(before.org.divisions, division_id),
                     {}};
}

AuditRecord PutClientRecord(const OrgFixture& before, std::string_view client_id) {
  const std::string name = NameOf(before.org.oauth_clients, client_id);
  bool exists = false;
  for (const auto& c : before.org.oauth_clients) exists |= c.id == client_id;
  return AuditRecord{"OAuthClient",          "OAuthClient", exists ? "Update" : "Create",
                     std::string(client_id), name,          {}};
}

AuditRecord QueueMemberRecord(const OrgFixture& before, std::string_view queue_id,
                              std::string_view user_id, bool add) {
  AuditRecord r{"ContactCenter",
                "Queue",
                add ? "MemberAdd" : "MemberRemove",
                std::string(queue_id),
                NameOf(before.org.queues, queue_id),
                {}};
  r.changes.push_back({"User", "userId", std::string(user_id), !add});
  return r;
}

std::string AuditMessageJson(const AuditRecord& record, const AuditActor& actor, AuditShape shape,
                             std::string_view org_id, std::string_view event_id, SystemTime at,
                             bool expand_user) {
  JsonWriter w;
  w.BeginObject();
  w.Field("id", event_id);
  w.Field("userHomeOrgId",
          actor.kind == AuditActor::Kind::kPartner ? std::string_view(actor.home_org_id) : org_id);
  if (actor.kind == AuditActor::Kind::kClient) {
    WriteRef(w, "client", actor.id, std::nullopt, "/api/v2/oauth/clients/");
  } else {
    WriteRef(w, "user", actor.id,
             expand_user ? std::optional<std::string_view>(actor.name) : std::nullopt,
             "/api/v2/users/");
    // A person acting through an app: the platform names the app too.
    WriteRef(w, "client", "sim-admin-ui", std::nullopt, "/api/v2/oauth/clients/");
  }
  w.Key("remoteIp").BeginArray().String("127.0.0.1").EndArray();
  w.Field("serviceName", record.service);
  w.Field("level", "USER");
  w.Field("eventDate", FormatIso8601(at));
  w.Field("action", record.action);
  std::string name = record.entity_name;
  if (shape == AuditShape::kEntity && !record.changes.empty()) {
    name.clear();
    for (const auto& c : record.changes) name += (name.empty() ? "" : "--") + c.id;
    name += "--" + record.entity_id;
  }
  WriteRef(w, "entity", record.entity_id, std::string_view(name), "");
  w.Field("entityType", record.entity_type);
  w.Field("status", "SUCCESS");
  w.Key("propertyChanges").BeginArray();
  if (shape == AuditShape::kProperties) {
    for (const auto& c : record.changes) {
      w.BeginObject();
      w.Field("property", c.property);
      WriteValues(w, "oldValues", Values(c.removed, c.id));
      WriteValues(w, "newValues", Values(!c.removed, c.id));
      w.EndObject();
    }
  }
  w.EndArray();
  w.Key("context").BeginObject().EndObject();
  w.Key("entityChanges").BeginArray();
  if (shape == AuditShape::kChanges) {
    for (const auto& c : record.changes) {
      w.BeginObject();
      w.Field("entityId", c.id);
      w.Field("entityType", c.entity_type);
      WriteValues(w, "oldValues", Values(c.removed, c.id));
      WriteValues(w, "newValues", Values(!c.removed, c.id));
      w.EndObject();
    }
  }
  w.EndArray();
  w.EndObject();
  return w.Take();
}

void AuditLog::Record(AuditRecord record, AuditActor actor, AuditShape shape, std::string org_id,
                      SystemTime at) {
  std::lock_guard lock(mu_);
  const std::string id = "sim-audit-" + std::to_string(events_.size() + 1);
  events_.push_back({std::move(record), std::move(actor), shape, std::move(org_id), id, at});
}

size_t AuditLog::size() const {
  std::lock_guard lock(mu_);
  return events_.size();
}

std::pair<int, std::string> AuditLog::Query(std::string_view body, bool expand_user, SystemTime now,
                                            std::string_view context_id) const {
  auto bad = [&](std::string_view message) {
    return std::pair<int, std::string>{400, ErrorBodyJson(400, "bad.request", message, context_id)};
  };
  simdjson::dom::parser parser;
  simdjson::dom::object req;
  simdjson::padded_string padded(body);
  if (parser.parse(padded).get_object().get(req) != simdjson::SUCCESS) {
    return bad("The request body must be an AuditRealtimeQueryRequest object");
  }
  std::string_view interval, service;
  if (req["interval"].get_string().get(interval) != simdjson::SUCCESS) {
    return bad("interval is required");
  }
  const bool has_service = req["serviceName"].get_string().get(service) == simdjson::SUCCESS;
  int64_t page_number = 1, page_size = 25;
  if (auto v = req["pageNumber"]; v.error() == simdjson::SUCCESS) {
    if (v.get_int64().get(page_number) != simdjson::SUCCESS || page_number < 1) {
      return bad("pageNumber must be a positive integer");
    }
  }
  if (auto v = req["pageSize"]; v.error() == simdjson::SUCCESS) {
    if (v.get_int64().get(page_size) != simdjson::SUCCESS || page_size < 1 || page_size > 500) {
      return bad("pageSize must be 1..500");
    }
  }
  const auto slash = interval.find('/');
  if (slash == std::string_view::npos) return bad("interval must be 'from/to'");
  auto from = ParseIso8601(interval.substr(0, slash));
  auto to = ParseIso8601(interval.substr(slash + 1));
  if (!from.ok() || !to.ok() || *to < *from) return bad("interval must be 'from/to' (ISO 8601)");
  if (*from < now - std::chrono::hours(14 * 24)) {
    return bad("The realtime audit query covers the last 14 days only");
  }
  std::vector<const Stored*> hits;
  {
    std::lock_guard lock(mu_);
    for (const auto& e : events_) {
      if (e.at < *from || e.at >= *to) continue;
      if (has_service && e.record.service != service) continue;
      hits.push_back(&e);
    }
    std::stable_sort(hits.begin(), hits.end(),
                     [](const Stored* a, const Stored* b) { return a->at < b->at; });
    const int64_t total = static_cast<int64_t>(hits.size());
    JsonWriter w;
    w.BeginObject();
    w.Key("entities").BeginArray();
    for (int64_t i = (page_number - 1) * page_size; i < std::min(total, page_number * page_size);
         ++i) {
      const Stored& e = *hits[static_cast<size_t>(i)];
      w.Raw(AuditMessageJson(e.record, e.actor, e.shape, e.org_id, e.id, e.at, expand_user));
    }
    w.EndArray();
    w.Field("pageSize", page_size);
    w.Field("pageNumber", page_number);
    w.Field("total", total);
    w.Field("pageCount", (total + page_size - 1) / page_size);
    w.EndObject();
    return {200, w.Take()};
  }
}

}  // namespace divaudit::sim
