#include "audit/findings_document.h"

#include "audit/permissions.h"
#include "common/json_writer.h"
#include "common/time_util.h"

namespace divaudit::audit {

namespace {

void WriteNamedRef(JsonWriter& w, std::string_view key, const std::optional<NamedRef>& ref) {
  w.Key(key);
  if (!ref) {
    w.Null();
    return;
  }
  w.BeginObject().Field("id", ref->id).Field("name", ref->name).EndObject();
}

void WriteOptionalString(JsonWriter& w, std::string_view key,
                         const std::optional<std::string>& value) {
  w.Key(key);
  if (value) {
    w.String(*value);
  } else {
    w.Null();
  }
}

void WriteStringArrayOrNull(JsonWriter& w, std::string_view key, bool applies,
                            const std::vector<std::string>& values) {
  w.Key(key);
  if (!applies) {
    w.Null();
    return;
  }
  w.BeginArray();
  for (const std::string& v : values) w.String(v);
  w.EndArray();
}

void WriteQueue(JsonWriter& w, const std::optional<QueueRef>& q) {
  w.Key("queue");
  if (!q) {
    w.Null();
    return;
  }
  w.BeginObject().Field("id", q->id).Field("name", q->name);
  w.Key("division")
      .BeginObject()
      .Field("id", q->division.id)
      .Field("name", q->division.name)
      .EndObject();
  WriteOptionalString(w, "tenant", q->tenant);
  w.Key("member_groups").BeginArray();
  for (const QueueMemberGroup& g : q->member_groups) {
    w.BeginObject().Field("id", g.id).Field("name", g.name).Field("type", g.type).EndObject();
  }
  w.EndArray();
  w.EndObject();
}

void WriteChangedBy(JsonWriter& w, const std::optional<ChangedBy>& c) {
  w.Key("changed_by");
  if (!c) {
    w.Null();
    return;
  }
  w.BeginObject()
      .Field("actor_type", c->actor_type)
      .Field("actor_id", c->actor_id)
      .Field("actor_name", c->actor_name)
      .Field("at", c->at)
      .Field("service", c->service)
      .Field("action", c->action)
      .Field("entity_type", c->entity_type)
      .Field("entity_id", c->entity_id)
      .EndObject();
}

}  // namespace

void WriteFindingFields(JsonWriter& w, const Finding& f, std::string_view default_first_seen) {
  w.Field("fingerprint", f.fingerprint);
  w.Field("rule", RuleName(f.rule));
  w.Field("severity", SeverityName(f.severity));
  w.Field("state", FindingStateName(f.state));
  w.Key("subject");
  if (f.subject) {
    w.BeginObject()
        .Field("type", SubjectTypeName(f.subject->type))
        .Field("id", f.subject->id)
        .Field("name", f.subject->name)
        .EndObject();
  } else {
    w.Null();
  }
  WriteNamedRef(w, "home_division", f.home_division);
  WriteOptionalString(w, "home_tenant", f.home_tenant);
  WriteNamedRef(w, "role", f.role);
  WriteNamedRef(w, "division", f.division);
  WriteOptionalString(w, "tenant", f.tenant);
  if (f.rule == Rule::kMultiTenantSubject) {
    w.Key("tenants").BeginArray();
    for (const std::string& t : f.tenants) w.String(t);
    w.EndArray();
  }
  w.Key("via");
  if (!f.via) {
    w.Null();
  } else if (f.via->direct) {
    w.BeginObject().Field("type", "direct");
    w.Key("id").Null().Key("name").Null();
    w.EndObject();
  } else {
    w.BeginObject()
        .Field("type", "group")
        .Field("id", f.via->group_id)
        .Field("name", f.via->group_name)
        .EndObject();
  }
  w.Field("first_seen", f.first_seen.empty() ? default_first_seen : f.first_seen);
  w.Key("exception");
  if (f.exception) {
    w.BeginObject()
        .Field("reason", f.exception->reason)
        .Field("owner", f.exception->owner)
        .Field("expires", f.exception->expires)
        .EndObject();
  } else {
    w.Null();
  }
  const bool org_wide = f.rule == Rule::kOrgWidePermission;
  WriteStringArrayOrNull(w, "permissions", org_wide, f.permissions);
  WriteStringArrayOrNull(w, "divisions", org_wide, f.divisions);
  WriteQueue(w, f.queue);
  WriteChangedBy(w, f.changed_by);
}

namespace {

void WriteFinding(JsonWriter& w, const Finding& f, std::string_view default_first_seen) {
  w.BeginObject();
  WriteFindingFields(w, f, default_first_seen);
  w.EndObject();
}

}  // namespace

SnapshotCounts CountsOf(const OrgSnapshot& s) {
  SnapshotCounts c{
      static_cast<int64_t>(s.divisions.size()),     static_cast<int64_t>(s.users.size()),
      static_cast<int64_t>(s.groups.size()),        static_cast<int64_t>(s.roles.size()),
      static_cast<int64_t>(s.oauth_clients.size()), static_cast<int64_t>(s.grants.size())};
  c.queues = static_cast<int64_t>(s.queues.size());
  c.queue_members = static_cast<int64_t>(s.queue_members.size());
  c.permissions = static_cast<int64_t>(s.permissions.size());
  c.narrowed_policies = CountNarrowedPolicies(s);
  c.settings = s.role_settings;
  return c;
}

namespace {
void WriteStrings(JsonWriter& w, std::string_view key, const std::vector<std::string>& v) {
  w.Key(key).BeginArray();
  for (const std::string& s : v) w.String(s);
  w.EndArray();
}
}  // namespace

void WriteEvidence(JsonWriter& w, const std::vector<ConversationEvidence>& evidence) {
  w.Key("evidence").BeginArray();
  for (const ConversationEvidence& e : evidence) {
    const Conversation& c = e.conversation;
    w.BeginObject();
    w.Field("conversation_id", c.id);
    w.Field("start", FormatIsoMillis(c.start));
    if (c.end) {
      w.Field("end", FormatIsoMillis(*c.end));
    } else {
      w.Key("end").Null();
    }
    WriteStrings(w, "tenants", e.tenants);
    WriteStrings(w, "division_ids", c.division_ids);
    WriteStrings(w, "queue_ids", c.queue_ids);
    WriteStrings(w, "user_ids", c.user_ids);
    w.EndObject();
  }
  w.EndArray();
}

std::string RenderFindingsDocument(const SweepInfo& sweep, const SnapshotCounts& counts,
                                   const std::vector<Finding>& findings,
                                   const DocumentOptions& options) {
  JsonWriter w(options.pretty);
  const std::string started_at = FormatIso8601(FromUnixSeconds(sweep.started_at_unix));
  w.BeginObject();
  w.Key("sweep").BeginObject();
  w.Field("id", sweep.id);
  w.Field("started_at", started_at);
  w.Field("finished_at", FormatIso8601(FromUnixSeconds(sweep.finished_at_unix)));
  w.Field("status", SweepStatusName(sweep.status));
  w.Field("api_requests", sweep.api_requests);
  w.Key("counts").BeginObject();
  w.Field("divisions", counts.divisions);
  w.Field("users", counts.users);
  w.Field("groups", counts.groups);
  w.Field("roles", counts.roles);
  w.Field("oauth_clients", counts.oauth_clients);
  w.Field("grants", counts.grants);
  w.Field("queues", counts.queues);
  w.Field("queue_members", counts.queue_members);
  w.Field("permissions", counts.permissions);
  w.Field("narrowed_policies", counts.narrowed_policies);
  w.EndObject();
  w.Key("settings");
  if (counts.settings) {
    w.BeginObject()
        .Field("authorization_grant_division_aware",
               counts.settings->authorization_grant_division_aware)
        .Field("backfill_enabled", counts.settings->backfill_enabled)
        .EndObject();
  } else {
    w.Null();
  }
  if (options.sweep_extras) {
    w.Field("rule_set_version", kRuleSetVersion);
    w.Key("coverage_ratio").Double(sweep.coverage_ratio);
    w.Field("retries", sweep.retries);
    w.Field("throttled", sweep.throttled);
    w.Key("incomplete").BeginArray();
    for (const std::string& item : sweep.incomplete) w.String(item);
    w.EndArray();
    w.Key("unknown_subject_types").BeginObject();
    for (const auto& [type, n] : sweep.unknown_subject_types) w.Field(type, n);
    w.EndObject();
  }
  w.EndObject();

  w.Key("findings").BeginArray();
  for (const Finding& f : findings) WriteFinding(w, f, started_at);
  w.EndArray();

  if (options.exceptions != nullptr) {
    w.Key("exceptions").BeginArray();
    for (const ExceptionStatus& st : *options.exceptions) {
      w.BeginObject();
      w.Field("rule", RuleName(st.spec.rule));
      w.Field("subject_id", st.spec.subject_id);
      WriteOptionalString(w, "role_id", st.spec.role_id);
      WriteOptionalString(w, "division_id", st.spec.division_id);
      w.Field("reason", st.spec.reason);
      w.Field("owner", st.spec.owner);
      w.Field("expires", st.spec.expires);
      w.Field("state", st.active ? "active" : "expired");
      w.Field("matched", st.matched);
      w.Field("suppressed", st.suppressed);
      w.EndObject();
    }
    w.EndArray();
  }
  if (options.evidence != nullptr) WriteEvidence(w, *options.evidence);
  w.EndObject();
  std::string out = w.Take();
  out.push_back('\n');
  return out;
}

}  // namespace divaudit::audit
