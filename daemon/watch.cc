#include "daemon/watch.h"

#include <algorithm>
#include <cctype>

#include "common/time_util.h"

namespace divaudit::daemon {

namespace {

using std::chrono::milliseconds;

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool ContainsNoCase(std::string_view haystack, std::string_view needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                     [](char x, char y) {
                       return std::tolower(static_cast<unsigned char>(x)) ==
                              std::tolower(static_cast<unsigned char>(y));
                     }) != haystack.end();
}

bool IsOneOf(std::string_view value, std::initializer_list<std::string_view> options) {
  return std::any_of(options.begin(), options.end(),
                     [&](std::string_view o) { return EqualsNoCase(value, o); });
}

// Membership actions: MemberAdd, MemberRemove, MemberUpdate, ... (the audit service mapping
// names more than one; any action about members counts).
bool IsMembership(const AuditEvent& e) { return ContainsNoCase(e.action, "member"); }

bool IsDivisionChange(const AuditEvent& e) {
  if (EqualsNoCase(e.action, "Move")) return true;
  return std::any_of(e.changed_properties.begin(), e.changed_properties.end(),
                     [](const std::string& p) { return ContainsNoCase(p, "division"); });
}

}  // namespace

bool IsRelevantEvent(const AuditEvent& e) {
  if (EqualsNoCase(e.service, "PeoplePermissions")) {
    return IsOneOf(e.entity_type, {"Role", "RoleSettings"});
  }
  if (EqualsNoCase(e.service, "Groups")) {
    return IsOneOf(e.entity_type, {"DirectoryGroup", "Team", "SkillGroup"}) &&
           (IsMembership(e) || EqualsNoCase(e.action, "Delete"));
  }
  if (EqualsNoCase(e.service, "Directory")) {
    return EqualsNoCase(e.entity_type, "User") &&
           (IsOneOf(e.action, {"Create", "Delete"}) || IsDivisionChange(e));
  }
  if (EqualsNoCase(e.service, "ContactCenter")) {
    return EqualsNoCase(e.entity_type, "Queue") &&
           (IsMembership(e) || IsOneOf(e.action, {"Create", "Delete"}) || IsDivisionChange(e));
  }
  return EqualsNoCase(e.service, "OAuthClient");
}

AuditEvent WatchEventOf(const genesys::AuditEvent& message, SystemTime fallback) {
  AuditEvent e;
  e.id = message.id;
  e.service = message.service;
  e.entity_type = message.entity_type;
  e.action = message.action;
  auto at = ParseIso8601(message.event_date);
  e.at = at.ok() ? *at : fallback;
  for (const auto& change : message.property_changes)
    e.changed_properties.push_back(change.property);
  return e;
}

std::chrono::milliseconds AuditPollTimeout(std::chrono::milliseconds request_timeout) {
  return request_timeout.count() > 0 ? std::min(request_timeout, kMaxAuditPollTimeout)
                                     : kMaxAuditPollTimeout;
}

AuditQuery RealtimeAuditQuery() {
  return [](genesys::ApiClient& client, const AuditWindow& window,
            std::chrono::milliseconds timeout) -> Result<std::vector<AuditEvent>> {
    DIVAUDIT_ASSIGN_OR_RETURN(
        genesys::AuditQueryResult result,
        genesys::QueryAuditTrail(client, window.service, window.from, window.to,
                                 /*max_attempts=*/1, timeout));
    std::vector<AuditEvent> events;
    events.reserve(result.events.size());
    for (const auto& m : result.events) events.push_back(WatchEventOf(m, window.to));
    return events;
  };
}

std::string AuditPollErrorReason(const Status& status) {
  switch (status.code()) {
    case StatusCode::kResourceExhausted:
      return "throttled";
    case StatusCode::kPermissionDenied:
    case StatusCode::kUnauthenticated:
      return "forbidden";
    case StatusCode::kDeadlineExceeded:
      return "timeout";
    case StatusCode::kUnavailable:
      return "unavailable";
    default:
      return "other";
  }
}

WatchScheduler::WatchScheduler(WatchOptions options) : options_(options) {}

void WatchScheduler::set_options(WatchOptions options) {
  options_ = options;
  if (!enabled()) burst_start_.reset();
}

std::vector<AuditWindow> WatchScheduler::Windows(SystemTime now) const {
  std::vector<AuditWindow> out;
  out.reserve(kWatchedServices.size());
  const SystemTime earliest = now - options_.max_lookback;
  for (std::string_view service : kWatchedServices) {
    AuditWindow w;
    w.service = std::string(service);
    const auto it = window_end_.find(w.service);
    w.from = (it == window_end_.end() ? now : it->second) - options_.overlap;
    w.from = std::max(w.from, earliest);
    w.to = now;
    out.push_back(std::move(w));
  }
  return out;
}

PollOutcome WatchScheduler::OnPolled(const AuditWindow& window,
                                     const std::vector<AuditEvent>& events) {
  PollOutcome outcome;
  SystemTime& end = window_end_[window.service];
  end = std::max(end, window.to);
  for (const AuditEvent& e : events) {
    // An event without an id cannot be deduplicated: it is judged every time it is read (a
    // repeat can only cause a sweep that min_interval already spaces out).
    if (!e.id.empty() && !seen_.emplace(e.id, e.at).second) {
      ++outcome.duplicates;
      continue;
    }
    ++outcome.new_events;
    if (!IsRelevantEvent(e)) continue;
    ++outcome.relevant;
    if (last_sweep_start_ && e.at + options_.settle <= *last_sweep_start_) {
      ++outcome.covered;
      continue;
    }
    ++outcome.triggering;
    if (enabled()) burst_start_ = burst_start_ ? std::min(*burst_start_, e.at) : e.at;
  }
  ForgetOldIds();
  return outcome;
}

void WatchScheduler::OnPollFailed(const AuditWindow& window) {
  // The service's window end stays, so the next poll reads this window again; a service that
  // never answered yet gets its first window pinned here, not moved on with the clock.
  window_end_.emplace(window.service, window.from + options_.overlap);
}

void WatchScheduler::OnPollFinished(bool all_ok) {
  poll_failures_ = all_ok ? 0 : poll_failures_ + 1;
}

milliseconds WatchScheduler::NextPollDelay() const {
  if (poll_failures_ == 0) return options_.watch;
  const milliseconds cap = std::max(options_.watch, options_.max_backoff);
  milliseconds delay = options_.watch;
  for (int i = 0; i < poll_failures_ && delay < cap; ++i) delay *= 2;
  return std::min(delay, cap);
}

void WatchScheduler::OnSweepStarted(SystemTime now) {
  last_sweep_start_ = now;
  burst_start_.reset();
}

std::optional<SystemTime> WatchScheduler::SweepDueAt() const {
  if (!burst_start_ || !enabled()) return std::nullopt;
  SystemTime due = *burst_start_ + options_.settle;
  if (last_sweep_start_) due = std::max(due, *last_sweep_start_ + options_.min_interval);
  return due;
}

void WatchScheduler::ForgetOldIds() {
  // An id can come back only while a window still reaches its time: keep ids younger than the
  // oldest window start (minus one more overlap for clock differences between event times).
  if (window_end_.empty()) return;
  SystemTime oldest = window_end_.begin()->second;
  for (const auto& [service, end] : window_end_) oldest = std::min(oldest, end);
  const SystemTime horizon = oldest - 2 * options_.overlap;
  for (auto it = seen_.begin(); it != seen_.end();) {
    it = it->second < horizon ? seen_.erase(it) : std::next(it);
  }
}

}  // namespace divaudit::daemon
