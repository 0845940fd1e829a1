#include "genesys/provenance.h"

#include <algorithm>

#include "common/time_util.h"

namespace divaudit::genesys {

namespace {

bool Carries(std::string_view text, std::string_view id) {
  return !text.empty() && text.find(id) != std::string_view::npos;
}

bool AnyCarries(const std::vector<std::string>& values, std::string_view id) {
  return std::any_of(values.begin(), values.end(),
                     [&](const std::string& v) { return Carries(v, id); });
}

// The event time for ordering; events whose date does not parse sort first.
SystemTime EventTime(const AuditEvent& e) {
  auto t = ParseIso8601(e.event_date);
  return t.ok() ? *t : SystemTime::min();
}

}  // namespace

std::optional<LookupWindow> ChangedByWindow(std::optional<int64_t> previous_sweep_start_unix,
                                            SystemTime now) {
  if (!previous_sweep_start_unix) return std::nullopt;
  SystemTime from = FromUnixSeconds(*previous_sweep_start_unix) - std::chrono::minutes(10);
  from = std::max(from, now - kAuditRealtimeRetention);
  from = std::min(from, now);
  return LookupWindow{from, now};
}

std::vector<std::string> MatchIds(const audit::Finding& f) {
  std::vector<std::string> ids;
  if (f.rule == audit::Rule::kGrantGuardrailOff) return ids;
  if (f.subject && !f.subject->id.empty()) ids.push_back(f.subject->id);
  if (f.via && !f.via->direct && !f.via->group_id.empty()) ids.push_back(f.via->group_id);
  if (f.queue && !f.queue->id.empty()) ids.push_back(f.queue->id);
  if (f.rule == audit::Rule::kOrgWidePermission && f.role && !f.role->id.empty()) {
    ids.push_back(f.role->id);
  }
  if (f.rule == audit::Rule::kUnmappedDivision && f.division && !f.division->id.empty() &&
      f.division->id != "*") {
    ids.push_back(f.division->id);
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

bool EventCarries(const AuditEvent& e, std::string_view id) {
  if (id.empty()) return false;
  if (e.entity && (Carries(e.entity->id, id) || Carries(e.entity->name, id))) return true;
  for (const auto& c : e.entity_changes) {
    if (Carries(c.entity_id, id) || Carries(c.entity_name, id) || AnyCarries(c.old_values, id) ||
        AnyCarries(c.new_values, id)) {
      return true;
    }
  }
  for (const auto& c : e.property_changes) {
    if (Carries(c.property, id) || AnyCarries(c.old_values, id) || AnyCarries(c.new_values, id)) {
      return true;
    }
  }
  return false;
}

bool EventMatches(const AuditEvent& event, const audit::Finding& f) {
  if (f.rule == audit::Rule::kGrantGuardrailOff) return event.entity_type == "RoleSettings";
  for (const auto& id : MatchIds(f)) {
    if (EventCarries(event, id)) return true;
  }
  return false;
}

audit::ChangedBy ChangedByOf(const AuditEvent& e, std::string_view org_id,
                             const audit::OrgSnapshot& snapshot) {
  audit::ChangedBy c;
  const bool has_user = e.user && (!e.user->id.empty() || !e.user->name.empty());
  const bool has_client = e.client && (!e.client->id.empty() || !e.client->name.empty());
  if (!e.user_home_org_id.empty() && !org_id.empty() && e.user_home_org_id != org_id) {
    c.actor_type = "trustee";
    if (has_user) {
      c.actor_id = e.user->id;
      c.actor_name = e.user->name;
    } else if (has_client) {
      c.actor_id = e.client->id;
      c.actor_name = e.client->name;
    }
  } else if (has_user) {
    c.actor_type = "user";
    c.actor_id = e.user->id;
    c.actor_name = e.user->name;
    if (c.actor_name.empty()) {
      for (const auto& u : snapshot.users) {
        if (u.id == c.actor_id) c.actor_name = u.name;
      }
    }
  } else if (has_client) {
    c.actor_type = "client";
    c.actor_id = e.client->id;
    c.actor_name = e.client->name;
    if (c.actor_name.empty()) {
      for (const auto& o : snapshot.oauth_clients) {
        if (o.id == c.actor_id) c.actor_name = o.name;
      }
    }
  } else {
    c.actor_type = "system";
  }
  auto t = ParseIso8601(e.event_date);
  c.at = t.ok() ? FormatIso8601(*t) : e.event_date;
  c.service = e.service;
  c.action = e.action;
  c.entity_type = e.entity_type;
  if (e.entity) c.entity_id = e.entity->id;
  return c;
}

const AuditEvent* LatestMatch(const std::vector<AuditEvent>& events, const audit::Finding& f) {
  const AuditEvent* best = nullptr;
  SystemTime best_at{};
  for (const auto& e : events) {
    if (!EventMatches(e, f)) continue;
    const SystemTime at = EventTime(e);
    if (best == nullptr || at >= best_at) {
      best = &e;
      best_at = at;
    }
  }
  return best;
}

std::string_view ChangedByOutcomeName(ChangedByLookup::Outcome o) {
  switch (o) {
    case ChangedByLookup::Outcome::kNotNeeded:
      return "not_needed";
    case ChangedByLookup::Outcome::kFirstSweep:
      return "first_sweep";
    case ChangedByLookup::Outcome::kLookedUp:
      return "looked_up";
    case ChangedByLookup::Outcome::kForbidden:
      return "forbidden";
    case ChangedByLookup::Outcome::kFailed:
      return "failed";
  }
  return "failed";
}

ChangedByLookup LookUpChangedBy(ApiClient& client, const std::vector<audit::Finding*>& opening,
                                const std::optional<LookupWindow>& window, std::string_view org_id,
                                const audit::OrgSnapshot& snapshot) {
  ChangedByLookup out;
  if (opening.empty()) return out;
  out.unattributed = static_cast<int64_t>(opening.size());
  if (!window) {
    out.outcome = ChangedByLookup::Outcome::kFirstSweep;
    return out;
  }
  std::vector<AuditEvent> events;
  for (const std::string_view service : kAuditServices) {
    const int64_t before = client.Stats().requests;
    auto result = QueryAuditTrail(client, service, window->from, window->to);
    out.queries += client.Stats().requests - before;
    if (!result.ok()) {
      out.outcome = result.status().code() == StatusCode::kPermissionDenied
                        ? ChangedByLookup::Outcome::kForbidden
                        : ChangedByLookup::Outcome::kFailed;
      out.error = result.status().message();
      return out;
    }
    for (auto& e : result->events) events.push_back(std::move(e));
  }
  out.outcome = ChangedByLookup::Outcome::kLookedUp;
  out.events = static_cast<int64_t>(events.size());
  out.unattributed = 0;
  for (audit::Finding* f : opening) {
    if (const AuditEvent* e = LatestMatch(events, *f)) {
      f->changed_by = ChangedByOf(*e, org_id, snapshot);
      ++out.attributed;
    } else {
      f->changed_by.reset();
      ++out.unattributed;
    }
  }
  return out;
}

}  // namespace divaudit::genesys
