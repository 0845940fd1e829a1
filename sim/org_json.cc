#include "sim/org_json.h"

#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <unordered_set>
#include <utility>

#include "audit/finding.h"
#include "common/json_writer.h"
#include "common/time_util.h"

namespace divaudit::sim {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

Status FieldError(const std::string& path, std::string_view what) {
  return InvalidArgumentError("org fixture: " + path + ": " + std::string(what));
}

std::string Index(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

std::string Member(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

// Checks that `e` is an object whose keys are all in `allowed`.
Status AsObject(element e, const std::string& path, std::initializer_list<std::string_view> allowed,
                object& out) {
  if (e.get_object().get(out) != simdjson::SUCCESS) return FieldError(path, "expected an object");
  for (auto field : out) {
    if (std::find(allowed.begin(), allowed.end(), field.key) == allowed.end()) {
      return FieldError(Member(path, field.key), "unknown key");
    }
  }
  return Status::Ok();
}

// Looks `key` up; `found` false when it is missing or null.
Status Lookup(object o, std::string_view key, element& out, bool& found) {
  auto r = o.at_key(key);
  if (r.error() == simdjson::NO_SUCH_FIELD) {
    found = false;
    return Status::Ok();
  }
  if (r.get(out) != simdjson::SUCCESS) return InternalError("simdjson lookup failed");
  found = !out.is_null();
  return Status::Ok();
}

Status GetString(object o, const std::string& path, std::string_view key, bool required,
                 std::string& out) {
  element e;
  bool found = false;
  DIVAUDIT_RETURN_IF_ERROR(Lookup(o, key, e, found));
  if (!found) {
    return required ? FieldError(Member(path, key), "missing (a string is required)")
                    : Status::Ok();
  }
  std::string_view sv;
  if (e.get_string().get(sv) != simdjson::SUCCESS) {
    return FieldError(Member(path, key), "expected a string");
  }
  out.assign(sv);
  return Status::Ok();
}

Status GetOptionalString(object o, const std::string& path, std::string_view key,
                         std::optional<std::string>& out) {
  element e;
  bool found = false;
  DIVAUDIT_RETURN_IF_ERROR(Lookup(o, key, e, found));
  if (!found) return Status::Ok();
  std::string_view sv;
  if (e.get_string().get(sv) != simdjson::SUCCESS) {
    return FieldError(Member(path, key), "expected a string");
  }
  out = std::string(sv);
  return Status::Ok();
}

Status GetBool(object o, const std::string& path, std::string_view key, bool& out) {
  element e;
  bool found = false;
  DIVAUDIT_RETURN_IF_ERROR(Lookup(o, key, e, found));
  if (!found) return Status::Ok();
  if (e.get_bool().get(out) != simdjson::SUCCESS) {
    return FieldError(Member(path, key), "expected true or false");
  }
  return Status::Ok();
}

// `found` false (and `out` untouched) when the key is missing or null.
Status GetArray(object o, const std::string& path, std::string_view key, array& out, bool& found) {
  element e;
  DIVAUDIT_RETURN_IF_ERROR(Lookup(o, key, e, found));
  if (!found) return Status::Ok();
  if (e.get_array().get(out) != simdjson::SUCCESS) {
    return FieldError(Member(path, key), "expected an array");
  }
  return Status::Ok();
}

Status GetStringArray(object o, const std::string& path, std::string_view key,
                      std::vector<std::string>& out) {
  array a;
  bool found = false;
  DIVAUDIT_RETURN_IF_ERROR(GetArray(o, path, key, a, found));
  if (!found) return Status::Ok();
  const std::string here = Member(path, key);
  size_t i = 0;
  for (element e : a) {
    std::string_view sv;
    if (e.get_string().get(sv) != simdjson::SUCCESS) {
      return FieldError(Index(here, i), "expected a string");
    }
    out.emplace_back(sv);
    ++i;
  }
  return Status::Ok();
}

// Calls `parse(element, path)` for every element of the array at `key`.
template <typename F>
Status ForEach(object o, const std::string& path, std::string_view key, F&& parse) {
  array a;
  bool found = false;
  DIVAUDIT_RETURN_IF_ERROR(GetArray(o, path, key, a, found));
  if (!found) return Status::Ok();
  const std::string here = Member(path, key);
  size_t i = 0;
  for (element e : a) {
    DIVAUDIT_RETURN_IF_ERROR(parse(e, Index(here, i)));
    ++i;
  }
  return Status::Ok();
}

// Rejects empty and duplicate ids within one collection.
class IdSet {
 public:
  Status Add(const std::string& id, const std::string& path) {
    if (id.empty()) return FieldError(path + ".id", "must not be empty");
    if (!seen_.insert(id).second) return FieldError(path + ".id", "duplicate id '" + id + "'");
    return Status::Ok();
  }

 private:
  std::unordered_set<std::string> seen_;
};

Status ParsePolicy(element e, const std::string& path, audit::Policy& policy,
                   std::optional<std::vector<std::string>>& org_wide_permissions) {
  object o;
  DIVAUDIT_RETURN_IF_ERROR(
      AsObject(e, path, {"tenants", "sharedDivisions", "exceptions", "orgWidePermissions"}, o));
  element org_wide;
  bool has_org_wide = false;
  DIVAUDIT_RETURN_IF_ERROR(Lookup(o, "orgWidePermissions", org_wide, has_org_wide));
  if (has_org_wide) {
    std::vector<std::string> patterns;
    DIVAUDIT_RETURN_IF_ERROR(GetStringArray(o, path, "orgWidePermissions", patterns));
    org_wide_permissions = patterns;
    policy.org_wide_permissions = std::move(patterns);
  }
  if (Status st1 =
          ForEach(o, path, "tenants",
                  [&](element t, const std::string& p) {
                    object to;
                    DIVAUDIT_RETURN_IF_ERROR(AsObject(t, p, {"name", "divisions"}, to));
                    audit::TenantSpec spec;
                    DIVAUDIT_RETURN_IF_ERROR(GetString(to, p, "name", true, spec.name));
                    if (spec.name.empty()) return FieldError(p + ".name", "must not be empty");
                    DIVAUDIT_RETURN_IF_ERROR(GetStringArray(to, p, "divisions", spec.divisions));
                    policy.tenants.push_back(std::move(spec));
                    return Status::Ok();
                  });
      !st1.ok())
    return st1;
  DIVAUDIT_RETURN_IF_ERROR(GetStringArray(o, path, "sharedDivisions", policy.shared_divisions));
  return ForEach(o, path, "exceptions", [&](element x, const std::string& p) {
    object xo;
    DIVAUDIT_RETURN_IF_ERROR(AsObject(
        x, p, {"rule", "subjectId", "roleId", "divisionId", "reason", "owner", "expires"}, xo));
    audit::ExceptionSpec spec;
    std::string rule;
    DIVAUDIT_RETURN_IF_ERROR(GetString(xo, p, "rule", true, rule));
    const std::optional<audit::Rule> parsed = audit::RuleFromName(rule);
    if (!parsed) return FieldError(p + ".rule", "unknown rule '" + rule + "'");
    spec.rule = *parsed;
    DIVAUDIT_RETURN_IF_ERROR(GetString(xo, p, "subjectId", true, spec.subject_id));
    DIVAUDIT_RETURN_IF_ERROR(GetOptionalString(xo, p, "roleId", spec.role_id));
    DIVAUDIT_RETURN_IF_ERROR(GetOptionalString(xo, p, "divisionId", spec.division_id));
    DIVAUDIT_RETURN_IF_ERROR(GetString(xo, p, "reason", false, spec.reason));
    DIVAUDIT_RETURN_IF_ERROR(GetString(xo, p, "owner", false, spec.owner));
    DIVAUDIT_RETURN_IF_ERROR(GetString(xo, p, "expires", true, spec.expires));
    Result<SystemTime> day = ParseIso8601(spec.expires);
    if (spec.expires.size() != 10 || !day.ok()) {
      return FieldError(p + ".expires", "expected a date YYYY-MM-DD, got '" + spec.expires + "'");
    }
    spec.expires_at = *day + std::chrono::hours(24) - SystemTime::duration(1);
    policy.exceptions.push_back(std::move(spec));
    return Status::Ok();
  });
}

// roles[].permissionPolicies: [{"domain","entityName","actionSet":[…],"narrowed"}].
Status ParseRolePolicies(object role, const std::string& path,
                         std::vector<audit::PermissionPolicy>& out) {
  return ForEach(role, path, "permissionPolicies", [&](element e, const std::string& p) {
    object o;
    DIVAUDIT_RETURN_IF_ERROR(AsObject(e, p, {"domain", "entityName", "actionSet", "narrowed"}, o));
    audit::PermissionPolicy policy;
    DIVAUDIT_RETURN_IF_ERROR(GetString(o, p, "domain", true, policy.domain));
    DIVAUDIT_RETURN_IF_ERROR(GetString(o, p, "entityName", true, policy.entity_name));
    DIVAUDIT_RETURN_IF_ERROR(GetStringArray(o, p, "actionSet", policy.action_set));
    DIVAUDIT_RETURN_IF_ERROR(GetBool(o, p, "narrowed", policy.narrowed));
    if (policy.domain.empty() || policy.entity_name.empty() || policy.action_set.empty()) {
      return FieldError(p, "domain, entityName and actionSet must not be empty");
    }
    out.push_back(std::move(policy));
    return Status::Ok();
  });
}

// "permissions": [{"domain","entityType","action","divisionAware"}] (divisionAware required).
Status ParseCatalog(object top, std::vector<audit::CatalogPermission>& out) {
  return ForEach(top, "", "permissions", [&](element e, const std::string& p) {
    object o;
    DIVAUDIT_RETURN_IF_ERROR(
        AsObject(e, p, {"domain", "entityType", "action", "divisionAware"}, o));
    audit::CatalogPermission c;
    DIVAUDIT_RETURN_IF_ERROR(GetString(o, p, "domain", true, c.domain));
    DIVAUDIT_RETURN_IF_ERROR(GetString(o, p, "entityType", true, c.entity_type));
    DIVAUDIT_RETURN_IF_ERROR(GetString(o, p, "action", true, c.action));
    element aware;
    bool found = false;
    DIVAUDIT_RETURN_IF_ERROR(Lookup(o, "divisionAware", aware, found));
    if (!found) return FieldError(Member(p, "divisionAware"), "required");
    DIVAUDIT_RETURN_IF_ERROR(GetBool(o, p, "divisionAware", c.division_aware));
    if (c.domain.empty() || c.entity_type.empty() || c.action.empty()) {
      return FieldError(p, "domain, entityType and action must not be empty");
    }
    out.push_back(std::move(c));
    return Status::Ok();
  });
}

// "roleSettings": {"authorizationGrantDivisionAware","backfillEnabled"}; absent: nullopt (the
// server then answers the Genesys default, see sim/README.md).
Status ParseRoleSettings(object top, std::optional<audit::RoleSettings>& out) {
  element e;
  bool found = false;
  DIVAUDIT_RETURN_IF_ERROR(Lookup(top, "roleSettings", e, found));
  if (!found) return Status::Ok();
  object o;
  DIVAUDIT_RETURN_IF_ERROR(
      AsObject(e, "roleSettings", {"authorizationGrantDivisionAware", "backfillEnabled"}, o));
  audit::RoleSettings settings;
  DIVAUDIT_RETURN_IF_ERROR(GetBool(o, "roleSettings", "authorizationGrantDivisionAware",
                                   settings.authorization_grant_division_aware));
  DIVAUDIT_RETURN_IF_ERROR(
      GetBool(o, "roleSettings", "backfillEnabled", settings.backfill_enabled));
  out = settings;
  return Status::Ok();
}

// Direct emitters for the large arrays: one JsonWriter per element would cost an allocation per
// grant, and a 50,000-user org has half a million of them.
void Str(std::string& out, std::string_view key, std::string_view value, bool comma = true) {
  if (comma) out += ',';
  out += '"';
  out += key;
  out += "\":\"";
  AppendJsonEscaped(out, value);
  out += '"';
}

void Bool(std::string& out, std::string_view key, bool value) {
  out += ",\"";
  out += key;
  out += value ? "\":true" : "\":false";
}

void StrList(std::string& out, std::string_view key, const std::vector<std::string>& values) {
  out += ",\"";
  out += key;
  out += "\":[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    AppendJsonEscaped(out, values[i]);
    out += '"';
  }
  out += ']';
}

void WriteStrings(JsonWriter& w, std::string_view key, const std::vector<std::string>& values) {
  w.Key(key).BeginArray();
  for (const std::string& v : values) w.String(v);
  w.EndArray();
}

// Appends `"key":[\n<item>,\n<item>\n]`; `write(out, item)` appends one object.
template <typename T, typename F>
void AppendArray(std::string& out, std::string_view key, const std::vector<T>& items, F&& write) {
  out += '"';
  out += key;
  out += "\":[";
  bool first = true;
  for (const T& item : items) {
    out += first ? "\n" : ",\n";
    first = false;
    write(out, item);
  }
  out += first ? "]" : "\n]";
}

template <typename T, typename Less>
bool StrictlyIncreasing(const std::vector<T>& v, Less less) {
  for (size_t i = 1; i < v.size(); ++i) {
    if (!less(v[i - 1], v[i])) return false;
  }
  return true;
}

template <typename T>
bool SortedById(const std::vector<T>& v) {
  return StrictlyIncreasing(v, [](const T& a, const T& b) { return a.id < b.id; });
}

// True when audit::Canonicalize would change nothing (checked in one pass; sorting half a
// million grants that are already in order is the expensive part of a round trip).
bool IsCanonical(const audit::OrgSnapshot& s) {
  const auto less = [](const auto& a, const auto& b) { return a < b; };
  if (!SortedById(s.divisions) || !SortedById(s.roles) || !SortedById(s.users) ||
      !SortedById(s.groups) || !SortedById(s.oauth_clients) || !SortedById(s.external_subjects) ||
      !StrictlyIncreasing(s.grants, less) || !SortedById(s.queues) ||
      !StrictlyIncreasing(s.queue_members, less)) {
    return false;
  }
  for (const audit::Group& g : s.groups) {
    if (!StrictlyIncreasing(g.member_ids, less)) return false;
  }
  for (const audit::OAuthClient& c : s.oauth_clients) {
    if (!StrictlyIncreasing(c.role_divisions, less)) return false;
  }
  for (const audit::Role& r : s.roles) {
    if (!StrictlyIncreasing(r.policies, less)) return false;
    for (const audit::PermissionPolicy& p : r.policies) {
      if (!StrictlyIncreasing(p.action_set, less)) return false;
    }
  }
  if (!StrictlyIncreasing(s.permissions, less)) return false;
  return true;
}

void SortedUnique(std::vector<std::string>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

Status GetTime(object o, const std::string& path, std::string_view key, bool required,
               std::optional<SystemTime>& out) {
  std::optional<std::string> text;
  DIVAUDIT_RETURN_IF_ERROR(GetOptionalString(o, path, key, text));
  if (!text) {
    return required ? FieldError(Member(path, key), "missing (an ISO-8601 time is required)")
                    : Status::Ok();
  }
  Result<SystemTime> t = audit::ParseIsoMillis(*text);
  if (!t.ok()) return FieldError(Member(path, key), "not an ISO-8601 UTC time: '" + *text + "'");
  out = *t;
  return Status::Ok();
}

Status ParseConversation(element e, const std::string& p, audit::Conversation& c) {
  object o;
  DIVAUDIT_RETURN_IF_ERROR(AsObject(
      e, p,
      {"conversationId", "conversationStart", "conversationEnd", "divisionIds", "participants"},
      o));
  DIVAUDIT_RETURN_IF_ERROR(GetString(o, p, "conversationId", true, c.id));
  if (c.id.empty()) return FieldError(p + ".conversationId", "must not be empty");
  std::optional<SystemTime> start;
  DIVAUDIT_RETURN_IF_ERROR(GetTime(o, p, "conversationStart", true, start));
  c.start = *start;
  DIVAUDIT_RETURN_IF_ERROR(GetTime(o, p, "conversationEnd", false, c.end));
  if (c.end && *c.end < c.start) {
    return FieldError(p + ".conversationEnd", "before conversationStart");
  }
  DIVAUDIT_RETURN_IF_ERROR(GetStringArray(o, p, "divisionIds", c.division_ids));
  Status participants = ForEach(o, p, "participants", [&](element pe, const std::string& pp) {
    object po;
    if (Status st = AsObject(pe, pp, {"purpose", "userId", "sessions"}, po); !st.ok()) return st;
    std::string purpose;
    if (Status st = GetString(po, pp, "purpose", true, purpose); !st.ok()) return st;
    std::optional<std::string> user;
    if (Status st = GetOptionalString(po, pp, "userId", user); !st.ok()) return st;
    if (user && !user->empty()) c.user_ids.push_back(*user);
    return ForEach(po, pp, "sessions", [&](element se, const std::string& sp) {
      object so;
      if (Status sst = AsObject(se, sp, {"segments"}, so); !sst.ok()) return sst;
      return ForEach(so, sp, "segments", [&](element ge, const std::string& gp) {
        object go;
        if (Status gst = AsObject(ge, gp, {"queueId"}, go); !gst.ok()) return gst;
        std::optional<std::string> queue;
        if (Status gst = GetOptionalString(go, gp, "queueId", queue); !gst.ok()) return gst;
        if (queue && !queue->empty()) c.queue_ids.push_back(*queue);
        return Status::Ok();
      });
    });
  });
  if (!participants.ok()) return participants;
  SortedUnique(c.division_ids);
  SortedUnique(c.queue_ids);
  SortedUnique(c.user_ids);
  return Status::Ok();
}

}  // namespace

Result<OrgFixture> ParseOrgJson(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  element root;
  if (auto err = parser.parse(padded).get(root); err != simdjson::SUCCESS) {
    return InvalidArgumentError(std::string("org fixture: not valid JSON: ") +
                                simdjson::error_message(err));
  }
  object top;
  DIVAUDIT_RETURN_IF_ERROR(
      AsObject(root, "(root)",
               {"organization", "divisions", "roles", "users", "groups", "oauthClients",
                "externalSubjects", "grants", "policy", "queues", "queueMembers", "permissions",
                "roleSettings", "conversations"},
               top));
  OrgFixture fixture;
  audit::OrgSnapshot& org = fixture.org;
  const std::string root_path;

  element organization;
  bool has_organization = false;
  DIVAUDIT_RETURN_IF_ERROR(Lookup(top, "organization", organization, has_organization));
  if (has_organization) {
    object o;
    DIVAUDIT_RETURN_IF_ERROR(AsObject(organization, "organization", {"id", "name"}, o));
    DIVAUDIT_RETURN_IF_ERROR(GetString(o, "organization", "id", true, fixture.org_id));
    DIVAUDIT_RETURN_IF_ERROR(GetString(o, "organization", "name", false, fixture.org_name));
    if (fixture.org_id.empty()) return FieldError("organization.id", "must not be empty");
  }

  IdSet division_ids;
  if (Status st2 =
          ForEach(top, root_path, "divisions",
                  [&](element e, const std::string& p) {
                    object o;
                    DIVAUDIT_RETURN_IF_ERROR(
                        AsObject(e, p, {"id", "name", "description", "homeDivision"}, o));
                    audit::Division d;
                    DIVAUDIT_RETURN_IF_ERROR(GetString(o, p, "id", true, d.id));
                    DIVAUDIT_RETURN_IF_ERROR(division_ids.Add(d.id, p));
                    DIVAUDIT_RETURN_IF_ERROR(GetString(o, p, "name", true, d.name));
                    DIVAUDIT_RETURN_IF_ERROR(GetString(o, p, "description", false, d.description));
                    DIVAUDIT_RETURN_IF_ERROR(GetBool(o, p, "homeDivision", d.home_division));
                    org.divisions.push_back(std::move(d));
                    return Status::Ok();
                  });
      !st2.ok())
    return st2;

  IdSet role_ids;
  if (Status st3 = ForEach(
          top, root_path, "roles",
          [&](element e, const std::string& p) {
            object o;
            DIVAUDIT_RETURN_IF_ERROR(AsObject(e, p, {"id", "name", "permissionPolicies"}, o));
            audit::Role r;
            DIVAUDIT_RETURN_IF_ERROR(GetString(o, p, "id", true, r.id));
            DIVAUDIT_RETURN_IF_ERROR(role_ids.Add(r.id, p));
            DIVAUDIT_RETURN_IF_ERROR(GetString(o, p, "name", true, r.name));
            DIVAUDIT_RETURN_IF_ERROR(ParseRolePolicies(o, p, r.policies));
            org.roles.push_back(std::move(r));
            return Status::Ok();
          });
      !st3.ok())
    return st3;

  IdSet user_ids;
  if (Status st4 = ForEach(
          top, root_path, "users",
          [&](element e, const std::string& p) {
            object o;
            DIVAUDIT_RETURN_IF_ERROR(
                AsObject(e, p, {"id", "name", "email", "divisionId", "state"}, o));
            audit::User u;
            u.state = "active";
            DIVAUDIT_RETURN_IF_ERROR(GetString(o, p, "id", true, u.id));
            DIVAUDIT_RETURN_IF_ERROR(user_ids.Add(u.id, p));
            DIVAUDIT_RETURN_IF_ERROR(GetString(o, p, "name", true, u.name));
            DIVAUDIT_RETURN_IF_ERROR(GetString(o, p, "email", false, u.email));
            DIVAUDIT_RETURN_IF_ERROR(GetString(o, p, "divisionId", false, u.home_division_id));
            DIVAUDIT_RETURN_IF_ERROR(GetString(o, p, "state", false, u.state));
            if (u.state != "active" && u.state != "inactive" && u.state != "deleted") {
              return FieldError(p + ".state",
                                "expected active, inactive or deleted, got '" + u.state + "'");
            }
            org.users.push_back(std::move(u));
            return Status::Ok();
          });
      !st4.ok())
    return st4;

  IdSet group_ids;
  if (Status st5 =
          ForEach(top, root_path, "groups",
                  [&](element e, const std::string& p) {
                    object o;
                    DIVAUDIT_RETURN_IF_ERROR(
                        AsObject(e, p, {"id", "name", "rolesEnabled", "memberIds"}, o));
                    audit::Group g;
                    g.members_read = true;
                    DIVAUDIT_RETURN_IF_ERROR(GetString(o, p, "id", true, g.id));
                    DIVAUDIT_RETURN_IF_ERROR(group_ids.Add(g.id, p));
                    DIVAUDIT_RETURN_IF_ERROR(GetString(o, p, "name", true, g.name));
                    DIVAUDIT_RETURN_IF_ERROR(GetBool(o, p, "rolesEnabled", g.roles_enabled));
                    DIVAUDIT_RETURN_IF_ERROR(GetStringArray(o, p, "memberIds", g.member_ids));
                    std::sort(g.member_ids.begin(), g.member_ids.end());
                    g.member_ids.erase(std::unique(g.member_ids.begin(), g.member_ids.end()),
                                       g.member_ids.end());
                    org.groups.push_back(std::move(g));
                    return Status::Ok();
                  });
      !st5.ok())
    return st5;

  IdSet client_ids;
  if (Status st6 = ForEach(
          top, root_path, "oauthClients",
          [&](element e, const std::string& p) {
            object o;
            DIVAUDIT_RETURN_IF_ERROR(
                AsObject(e, p, {"id", "name", "authorizedGrantType", "state", "roleDivisions"}, o));
            audit::OAuthClient c;
            c.authorized_grant_type = "CLIENT-CREDENTIALS";
            c.state = "active";
            DIVAUDIT_RETURN_IF_ERROR(GetString(o, p, "id", true, c.id));
            DIVAUDIT_RETURN_IF_ERROR(client_ids.Add(c.id, p));
            DIVAUDIT_RETURN_IF_ERROR(GetString(o, p, "name", true, c.name));
            DIVAUDIT_RETURN_IF_ERROR(
                GetString(o, p, "authorizedGrantType", false, c.authorized_grant_type));
            DIVAUDIT_RETURN_IF_ERROR(GetString(o, p, "state", false, c.state));
            if (Status st7 = ForEach(
                    o, p, "roleDivisions",
                    [&](element r, const std::string& rp) {
                      object ro;
                      DIVAUDIT_RETURN_IF_ERROR(AsObject(r, rp, {"roleId", "divisionId"}, ro));
                      audit::RoleDivision rd;
                      DIVAUDIT_RETURN_IF_ERROR(GetString(ro, rp, "roleId", true, rd.role_id));
                      DIVAUDIT_RETURN_IF_ERROR(
                          GetString(ro, rp, "divisionId", true, rd.division_id));
                      if (rd.role_id.empty() || rd.division_id.empty()) {
                        return FieldError(rp, "roleId and divisionId must not be empty");
                      }
                      c.role_divisions.push_back(std::move(rd));
                      return Status::Ok();
                    });
                !st7.ok())
              return st7;
            org.oauth_clients.push_back(std::move(c));
            return Status::Ok();
          });
      !st6.ok())
    return st6;

  IdSet external_ids;
  if (Status st8 =
          ForEach(top, root_path, "externalSubjects",
                  [&](element e, const std::string& p) {
                    object o;
                    DIVAUDIT_RETURN_IF_ERROR(AsObject(e, p, {"id", "name", "type"}, o));
                    audit::ExternalSubject x;
                    DIVAUDIT_RETURN_IF_ERROR(GetString(o, p, "id", true, x.id));
                    DIVAUDIT_RETURN_IF_ERROR(external_ids.Add(x.id, p));
                    DIVAUDIT_RETURN_IF_ERROR(GetString(o, p, "name", true, x.name));
                    DIVAUDIT_RETURN_IF_ERROR(GetString(o, p, "type", true, x.genesys_type));
                    x.type = audit::SubjectTypeFromGenesys(x.genesys_type);
                    org.external_subjects.push_back(std::move(x));
                    return Status::Ok();
                  });
      !st8.ok())
    return st8;

  if (Status st9 = ForEach(
          top, root_path, "grants",
          [&](element e, const std::string& p) {
            object o;
            DIVAUDIT_RETURN_IF_ERROR(
                AsObject(e, p, {"subjectType", "subjectId", "roleId", "divisionId"}, o));
            audit::Grant g;
            std::string type;
            DIVAUDIT_RETURN_IF_ERROR(GetString(o, p, "subjectType", true, type));
            g.subject_type = audit::SubjectTypeFromGenesys(type);
            if (g.subject_type == audit::SubjectType::kUnknown) {
              return FieldError(p + ".subjectType",
                                "expected PC_USER, PC_GROUP, PC_OAUTH_CLIENT, PC_TRUSTEE_USER or "
                                "PC_TRUSTEE_GROUP, got '" +
                                    type + "'");
            }
            std::string subject_id, role_id, division_id;
            DIVAUDIT_RETURN_IF_ERROR(GetString(o, p, "subjectId", true, subject_id));
            DIVAUDIT_RETURN_IF_ERROR(GetString(o, p, "roleId", true, role_id));
            DIVAUDIT_RETURN_IF_ERROR(GetString(o, p, "divisionId", true, division_id));
            g.subject_id = subject_id;
            g.role_id = role_id;
            g.division_id = division_id;
            if (g.subject_id.empty() || g.role_id.empty() || g.division_id.empty()) {
              return FieldError(p, "subjectId, roleId and divisionId must not be empty");
            }
            org.grants.push_back(std::move(g));
            return Status::Ok();
          });
      !st9.ok())
    return st9;

  // v2 routing queues and their member rows.
  IdSet queue_ids;
  if (Status stq =
          ForEach(top, root_path, "queues",
                  [&](element e, const std::string& p) {
                    object o;
                    DIVAUDIT_RETURN_IF_ERROR(
                        AsObject(e, p, {"id", "name", "divisionId", "memberGroups"}, o));
                    audit::Queue q;
                    DIVAUDIT_RETURN_IF_ERROR(GetString(o, p, "id", true, q.id));
                    DIVAUDIT_RETURN_IF_ERROR(queue_ids.Add(q.id, p));
                    DIVAUDIT_RETURN_IF_ERROR(GetString(o, p, "name", true, q.name));
                    DIVAUDIT_RETURN_IF_ERROR(GetString(o, p, "divisionId", true, q.division_id));
                    if (Status stg = ForEach(
                            o, p, "memberGroups",
                            [&](element g, const std::string& gp) {
                              object go;
                              DIVAUDIT_RETURN_IF_ERROR(AsObject(g, gp, {"id", "name", "type"}, go));
                              audit::QueueMemberGroup mg;
                              DIVAUDIT_RETURN_IF_ERROR(GetString(go, gp, "id", true, mg.id));
                              DIVAUDIT_RETURN_IF_ERROR(GetString(go, gp, "name", false, mg.name));
                              DIVAUDIT_RETURN_IF_ERROR(GetString(go, gp, "type", true, mg.type));
                              q.member_groups.push_back(std::move(mg));
                              return Status::Ok();
                            });
                        !stg.ok())
                      return stg;
                    std::sort(q.member_groups.begin(), q.member_groups.end());
                    org.queues.push_back(std::move(q));
                    return Status::Ok();
                  });
      !stq.ok())
    return stq;
  if (Status stm = ForEach(
          top, root_path, "queueMembers",
          [&](element e, const std::string& p) {
            object o;
            DIVAUDIT_RETURN_IF_ERROR(
                AsObject(e, p, {"queueId", "userId", "memberBy", "joined"}, o));
            audit::QueueMember m;
            std::string member_by = "user";
            m.joined = true;
            DIVAUDIT_RETURN_IF_ERROR(GetString(o, p, "queueId", true, m.queue_id));
            DIVAUDIT_RETURN_IF_ERROR(GetString(o, p, "userId", true, m.user_id));
            DIVAUDIT_RETURN_IF_ERROR(GetString(o, p, "memberBy", false, member_by));
            DIVAUDIT_RETURN_IF_ERROR(GetBool(o, p, "joined", m.joined));
            if (member_by != "user" && member_by != "group") {
              return FieldError(p + ".memberBy", "expected user or group, got '" + member_by + "'");
            }
            m.via_group = member_by == "group";
            org.queue_members.push_back(std::move(m));
            return Status::Ok();
          });
      !stm.ok())
    return stm;
  DIVAUDIT_RETURN_IF_ERROR(ParseCatalog(top, org.permissions));
  DIVAUDIT_RETURN_IF_ERROR(ParseRoleSettings(top, org.role_settings));
  IdSet conversation_ids;
  Status conversations =
      ForEach(top, root_path, "conversations", [&](element e, const std::string& p) {
        audit::Conversation c;
        if (Status st = ParseConversation(e, p, c); !st.ok()) return st;
        if (!conversation_ids.Add(c.id, p).ok()) {
          return FieldError(p + ".conversationId", "duplicate id '" + c.id + "'");
        }
        fixture.conversations.push_back(std::move(c));
        return Status::Ok();
      });
  if (!conversations.ok()) return conversations;
  SortConversations(fixture.conversations);

  element policy;
  bool has_policy = false;
  DIVAUDIT_RETURN_IF_ERROR(Lookup(top, "policy", policy, has_policy));
  if (has_policy)
    DIVAUDIT_RETURN_IF_ERROR(
        ParsePolicy(policy, "policy", fixture.policy, fixture.org_wide_permissions));

  // An OAuth client's roleDivisions and its grants are one set: merge both ways.
  std::map<std::string, std::set<audit::RoleDivision>> client_grants;
  for (const audit::OAuthClient& c : org.oauth_clients) {
    client_grants[c.id].insert(c.role_divisions.begin(), c.role_divisions.end());
  }
  for (const audit::Grant& g : org.grants) {
    if (g.subject_type == audit::SubjectType::kOAuthClient) {
      client_grants[g.subject_id.str()].insert({g.role_id.str(), g.division_id.str()});
    }
  }
  std::set<std::pair<std::string, audit::RoleDivision>> granted;
  for (const audit::Grant& g : org.grants) {
    if (g.subject_type == audit::SubjectType::kOAuthClient) {
      granted.insert({g.subject_id.str(), {g.role_id.str(), g.division_id.str()}});
    }
  }
  for (audit::OAuthClient& c : org.oauth_clients) {
    const std::set<audit::RoleDivision>& all = client_grants[c.id];
    c.role_divisions.assign(all.begin(), all.end());
    for (const audit::RoleDivision& rd : all) {
      if (granted.count({c.id, rd}) == 0) {
        org.grants.push_back({audit::SubjectType::kOAuthClient, c.id, rd.role_id, rd.division_id});
      }
    }
  }
  if (!IsCanonical(org)) audit::Canonicalize(org);
  return fixture;
}

std::string DefaultOrganizationId(const audit::OrgSnapshot& org) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a over the sorted division ids
  std::vector<std::string_view> ids;
  for (const audit::Division& d : org.divisions) ids.push_back(d.id);
  std::sort(ids.begin(), ids.end());
  for (const std::string_view id : ids) {
    for (const unsigned char c : id) h = (h ^ c) * 1099511628211ull;
    h = (h ^ 0xffu) * 1099511628211ull;
  }
  const uint64_t lo = h * 0x9e3779b97f4a7c15ull;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-8%03x-%012llx", static_cast<unsigned>(h >> 32),
                static_cast<unsigned>((h >> 16) & 0xffffu), static_cast<unsigned>(h & 0xfffu),
                static_cast<unsigned>(lo >> 52),
                static_cast<unsigned long long>(lo & 0xffffffffffffull));
  return buf;
}

std::string OrgToJson(const OrgFixture& fixture) {
  std::optional<audit::OrgSnapshot> sorted;
  if (!IsCanonical(fixture.org)) {
    sorted = fixture.org;
    audit::Canonicalize(*sorted);
  }
  const audit::OrgSnapshot& org = sorted ? *sorted : fixture.org;

  std::string out;
  out.reserve(256 * (org.users.size() + org.grants.size()) / 2 + 4096);
  out += "{";
  if (!fixture.org_id.empty() || !fixture.org_name.empty()) {
    out += "\"organization\":{";
    Str(out, "id", fixture.org_id, false);
    Str(out, "name", fixture.org_name);
    out += "},\n";
  }
  AppendArray(out, "divisions", org.divisions, [](std::string& o, const audit::Division& d) {
    Str(o += '{', "id", d.id, false);
    Str(o, "name", d.name);
    Str(o, "description", d.description);
    Bool(o, "homeDivision", d.home_division);
    o += '}';
  });
  out += ",\n";
  AppendArray(out, "roles", org.roles, [](std::string& o, const audit::Role& r) {
    Str(o += '{', "id", r.id, false);
    Str(o, "name", r.name);
    if (!r.policies.empty()) {
      o += ",\"permissionPolicies\":[";
      for (size_t i = 0; i < r.policies.size(); ++i) {
        const audit::PermissionPolicy& p = r.policies[i];
        if (i > 0) o += ',';
        Str(o += '{', "domain", p.domain, false);
        Str(o, "entityName", p.entity_name);
        StrList(o, "actionSet", p.action_set);
        if (p.narrowed) Bool(o, "narrowed", true);
        o += '}';
      }
      o += ']';
    }
    o += '}';
  });
  out += ",\n";
  AppendArray(out, "users", org.users, [](std::string& o, const audit::User& u) {
    Str(o += '{', "id", u.id, false);
    Str(o, "name", u.name);
    Str(o, "email", u.email);
    Str(o, "divisionId", u.home_division_id);
    Str(o, "state", u.state);
    o += '}';
  });
  out += ",\n";
  AppendArray(out, "groups", org.groups, [](std::string& o, const audit::Group& g) {
    Str(o += '{', "id", g.id, false);
    Str(o, "name", g.name);
    Bool(o, "rolesEnabled", g.roles_enabled);
    StrList(o, "memberIds", g.member_ids);
    o += '}';
  });
  out += ",\n";
  AppendArray(out, "oauthClients", org.oauth_clients,
              [](std::string& o, const audit::OAuthClient& c) {
                Str(o += '{', "id", c.id, false);
                Str(o, "name", c.name);
                Str(o, "authorizedGrantType", c.authorized_grant_type);
                Str(o, "state", c.state);
                o += ",\"roleDivisions\":[";
                for (size_t i = 0; i < c.role_divisions.size(); ++i) {
                  if (i > 0) o += ',';
                  Str(o += '{', "roleId", c.role_divisions[i].role_id, false);
                  Str(o, "divisionId", c.role_divisions[i].division_id);
                  o += '}';
                }
                o += "]}";
              });
  out += ",\n";
  AppendArray(out, "externalSubjects", org.external_subjects,
              [](std::string& o, const audit::ExternalSubject& x) {
                Str(o += '{', "id", x.id, false);
                Str(o, "name", x.name);
                Str(o, "type",
                    x.genesys_type.empty() ? audit::SubjectTypeGenesysName(x.type)
                                           : std::string_view(x.genesys_type));
                o += '}';
              });
  out += ",\n";
  AppendArray(out, "grants", org.grants, [](std::string& o, const audit::Grant& g) {
    Str(o += '{', "subjectType", audit::SubjectTypeGenesysName(g.subject_type), false);
    Str(o, "subjectId", g.subject_id);
    Str(o, "roleId", g.role_id);
    Str(o, "divisionId", g.division_id);
    o += '}';
  });

  if (!org.queues.empty() || !org.queue_members.empty()) {
    out += ",\n";
    AppendArray(out, "queues", org.queues, [](std::string& o, const audit::Queue& q) {
      Str(o += '{', "id", q.id, false);
      Str(o, "name", q.name);
      Str(o, "divisionId", q.division_id);
      o += ",\"memberGroups\":[";
      for (size_t i = 0; i < q.member_groups.size(); ++i) {
        if (i > 0) o += ',';
        Str(o += '{', "id", q.member_groups[i].id, false);
        Str(o, "name", q.member_groups[i].name);
        Str(o, "type", q.member_groups[i].type);
        o += '}';
      }
      o += "]}";
    });
    out += ",\n";
    AppendArray(out, "queueMembers", org.queue_members,
                [](std::string& o, const audit::QueueMember& m) {
                  Str(o += '{', "queueId", m.queue_id, false);
                  Str(o, "userId", m.user_id);
                  Str(o, "memberBy", m.via_group ? "group" : "user");
                  Bool(o, "joined", m.joined);
                  o += '}';
                });
  }
  if (!org.permissions.empty()) {
    out += ",\n";
    AppendArray(out, "permissions", org.permissions,
                [](std::string& o, const audit::CatalogPermission& c) {
                  Str(o += '{', "domain", c.domain, false);
                  Str(o, "entityType", c.entity_type);
                  Str(o, "action", c.action);
                  Bool(o, "divisionAware", c.division_aware);
                  o += '}';
                });
  }
  if (org.role_settings) {
    out += ",\n\"roleSettings\":{\"authorizationGrantDivisionAware\":";
    out += org.role_settings->authorization_grant_division_aware ? "true" : "false";
    out += ",\"backfillEnabled\":";
    out += org.role_settings->backfill_enabled ? "true" : "false";
    out += '}';
  }

  if (!fixture.conversations.empty()) {
    out += ",\n";
    AppendArray(
        out, "conversations", fixture.conversations,
        [](std::string& o, const audit::Conversation& c) { AppendConversationJson(o, c, false); });
  }

  const audit::Policy& policy = fixture.policy;
  if (!policy.tenants.empty() || !policy.shared_divisions.empty() || !policy.exceptions.empty() ||
      fixture.org_wide_permissions) {
    JsonWriter w;
    w.BeginObject();
    w.Key("tenants").BeginArray();
    for (const audit::TenantSpec& t : policy.tenants) {
      w.BeginObject().Field("name", t.name);
      WriteStrings(w, "divisions", t.divisions);
      w.EndObject();
    }
    w.EndArray();
    WriteStrings(w, "sharedDivisions", policy.shared_divisions);
    w.Key("exceptions").BeginArray();
    for (const audit::ExceptionSpec& x : policy.exceptions) {
      w.BeginObject().Field("rule", audit::RuleName(x.rule)).Field("subjectId", x.subject_id);
      if (x.role_id) w.Field("roleId", *x.role_id);
      if (x.division_id) w.Field("divisionId", *x.division_id);
      w.Field("reason", x.reason).Field("owner", x.owner).Field("expires", x.expires);
      w.EndObject();
    }
    w.EndArray();
    if (fixture.org_wide_permissions) {
      WriteStrings(w, "orgWidePermissions", *fixture.org_wide_permissions);
    }
    w.EndObject();
    out += ",\n\"policy\":";
    out += w.str();
  }
  out += "}\n";
  return out;
}

Result<audit::Conversation> ParseConversationJson(std::string_view json, const std::string& path) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  element root;
  if (auto err = parser.parse(padded).get(root); err != simdjson::SUCCESS) {
    return InvalidArgumentError(path + ": not valid JSON: " + simdjson::error_message(err));
  }
  audit::Conversation c;
  DIVAUDIT_RETURN_IF_ERROR(ParseConversation(root, path, c));
  return c;
}

void SortConversations(std::vector<audit::Conversation>& conversations) {
  std::sort(conversations.begin(), conversations.end(),
            [](const audit::Conversation& a, const audit::Conversation& b) {
              return std::tie(a.start, a.id) < std::tie(b.start, b.id);
            });
}

void AppendConversationJson(std::string& out, const audit::Conversation& c, bool api) {
  const std::string start = audit::FormatIsoMillis(c.start);
  const std::string end = c.end ? audit::FormatIsoMillis(*c.end) : std::string();
  Str(out += '{', "conversationId", c.id, false);
  Str(out, "conversationStart", start);
  if (c.end) Str(out, "conversationEnd", end);
  StrList(out, "divisionIds", c.division_ids);
  if (api) Str(out, "originatingDirection", "inbound");
  out += ",\"participants\":[";
  auto participant = [&](std::string_view purpose, const std::string* user, size_t n) {
    if (n > 0) out += ',';
    Str(out += '{', "purpose", purpose, false);
    if (user != nullptr) Str(out, "userId", *user);
    if (api) Str(out, "participantId", c.id + "-p" + std::to_string(n));
    out += ",\"sessions\":[{";
    if (api) {
      Str(out, "sessionId", c.id + "-s" + std::to_string(n), false);
      Str(out, "mediaType", "voice");
      out += ',';
    }
    out += "\"segments\":[";
    for (size_t i = 0; i < c.queue_ids.size(); ++i) {
      if (i > 0) out += ',';
      Str(out += '{', "queueId", c.queue_ids[i], false);
      if (api) {
        Str(out, "segmentStart", start);
        if (c.end) Str(out, "segmentEnd", end);
        Str(out, "segmentType", "interact");
      }
      out += '}';
    }
    out += "]}]}";
  };
  participant("customer", nullptr, 0);
  for (size_t i = 0; i < c.user_ids.size(); ++i) participant("agent", &c.user_ids[i], i + 1);
  out += "]}";
}

}  // namespace divaudit::sim
