#pragma once

#include <array>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "genesys/api_client.h"
#include "genesys/audit_trail.h"

namespace divaudit::daemon {

// Change watch ([schedule] watch/settle/min_interval; docs/operations.md "Change watch"): the
// daemon polls the realtime audit trail and sweeps soon after a relevant change. This header
// holds the pure part — which events matter and when to poll and sweep — with no clock, timer or
// I/O of its own: DaemonLoop feeds it the wall time and the poll results.

// One realtime audit event, reduced to what the watch decides on. The audit-trail client fills
// it from an AuditLogMessage.
struct AuditEvent {
  std::string id;           // AuditLogMessage.id: events already seen are dropped by it
  std::string service;      // serviceName: "PeoplePermissions", "Groups", ...
  std::string entity_type;  // "Role", "DirectoryGroup", "User", "Queue", ...
  std::string action;       // "MemberAdd", "Update", "Delete", ...
  SystemTime at{};          // eventDate
  std::vector<std::string> changed_properties;  // propertyChanges[].property
};

// The services polled, one query each per poll.
inline constexpr std::array<std::string_view, 5> kWatchedServices = {
    "PeoplePermissions", "Groups", "Directory", "ContactCenter", "OAuthClient"};

// True for the changes that can open or resolve a finding: PeoplePermissions Role/RoleSettings
// (any action); Groups DirectoryGroup/Team/SkillGroup membership or delete; Directory User
// create, delete or division change; ContactCenter Queue membership, create, delete or division
// change; OAuthClient anything. A division change is a `Move` or an update whose changed
// properties name a division. Service, entity type and action compare case-insensitively.
bool IsRelevantEvent(const AuditEvent& event);

// One audit query: the events of `service` with from < eventDate <= to.
struct AuditWindow {
  std::string service;
  SystemTime from{};
  SystemTime to{};
};

// Reads every page of one audit query (the seam to the audit-trail client). Errors carry the
// HTTP meaning in their code: kResourceExhausted (429), kPermissionDenied (403, no
// audits:audit:view), kUnavailable (5xx, transport), kDeadlineExceeded (timeout).
using AuditPoll = std::function<Result<std::vector<AuditEvent>>(const AuditWindow&)>;

// The audit-trail query itself, on a given API client (the sweep's: the watch shares its OAuth
// token and request budget), each request bounded by `timeout`. The composition root supplies it
// (the realtime audit client); without one the watch cannot run.
using AuditQuery = std::function<Result<std::vector<AuditEvent>>(
    genesys::ApiClient&, const AuditWindow&, std::chrono::milliseconds timeout)>;

// A poll holds the worker, and a sweep due meanwhile waits for it: each audit request gets at
// most this long (or [genesys] timeout when shorter), and a poll stops at its first timeout, 5xx
// or 429 (DaemonLoop), so a stalled audit endpoint delays a sweep by at most one such wait.
inline constexpr std::chrono::milliseconds kMaxAuditPollTimeout{10'000};
std::chrono::milliseconds AuditPollTimeout(std::chrono::milliseconds request_timeout);

// The watch's view of one AuditLogMessage: id, service, entity type, action, property names,
// and its eventDate (`fallback` when that does not parse: the window's end, so an undated event
// is never taken as already swept).
AuditEvent WatchEventOf(const genesys::AuditEvent& message, SystemTime fallback);

// The daemon's AuditQuery: genesys::QueryAuditTrail (every page, one attempt per request, the
// given timeout) for the window on the given client, each message through WatchEventOf.
AuditQuery RealtimeAuditQuery();

// The reason label of divaudit_audit_poll_errors_total for a failed query: throttled (429),
// forbidden (401/403: no audits:audit:view), timeout, unavailable (5xx, transport), other.
std::string AuditPollErrorReason(const Status& status);

struct WatchOptions {
  std::chrono::milliseconds watch{0};  // poll period; 0: watch off
  std::chrono::milliseconds settle{30'000};
  std::chrono::milliseconds min_interval{2 * 60'000};
  // Each window starts this long before the previous one ended (late-indexed events).
  std::chrono::milliseconds overlap{2 * 60'000};
  // Poll back-off after failed polls: watch * 2^failures, at most max(watch, max_backoff).
  std::chrono::milliseconds max_backoff{5 * 60'000};
  // The realtime query covers the last 14 days: a window never reaches further back.
  std::chrono::milliseconds max_lookback{14LL * 24 * 3'600'000 - 3'600'000};
};

// What one service's successful query changed.
struct PollOutcome {
  int new_events = 0;  // not seen before (relevant or not)
  int duplicates = 0;  // already seen in an earlier, overlapping window
  int relevant = 0;    // new and relevant
  int covered = 0;     // relevant, but a sweep started at least `settle` after them
  int triggering = 0;  // relevant and not covered: a sweep is due for them
};

// The watch's state machine. Thread-compatible (DaemonLoop uses it on its loop thread only).
//  - Polls: each service's window is (end of its last successful window - overlap, now], the
//    first one (now - overlap, now]; a failed query leaves its window where it was, so the next
//    poll reads it again; windows reach back at most max_lookback.
//  - Events are deduplicated by id across overlapping windows.
//  - A relevant event not covered by a sweep starts (or joins) a burst. A burst is due at
//    (its first event + settle), not sliding with later events, and never earlier than
//    min_interval after the previous sweep start: SweepDueAt.
//  - Any sweep that starts (regular, retry or watch-triggered) covers every event known at its
//    start; an event learnt later is covered when the sweep started at least `settle` after it.
class WatchScheduler {
 public:
  explicit WatchScheduler(WatchOptions options = {});

  // New options (SIGHUP). Windows, seen ids and the pending burst are kept; turning watch off
  // drops the pending burst.
  void set_options(WatchOptions options);
  const WatchOptions& options() const { return options_; }
  bool enabled() const { return options_.watch.count() > 0; }

  // The queries of a poll at `now`, one per watched service.
  std::vector<AuditWindow> Windows(SystemTime now) const;
  // A query of `window` succeeded with `events`.
  PollOutcome OnPolled(const AuditWindow& window, const std::vector<AuditEvent>& events);
  // A query of `window` failed: its window is kept.
  void OnPollFailed(const AuditWindow& window);
  // A poll (every query) finished; `all_ok` false when any query failed.
  void OnPollFinished(bool all_ok);
  // Delay from the end of a poll to the start of the next one.
  std::chrono::milliseconds NextPollDelay() const;
  int consecutive_poll_failures() const { return poll_failures_; }

  // A sweep starts at `now` (whatever started it).
  void OnSweepStarted(SystemTime now);
  // When the pending burst should be swept; nullopt when nothing is pending.
  std::optional<SystemTime> SweepDueAt() const;
  // Event time of the first event of the pending burst.
  std::optional<SystemTime> burst_start() const { return burst_start_; }
  std::optional<SystemTime> last_sweep_start() const { return last_sweep_start_; }
  size_t seen_ids() const { return seen_.size(); }

 private:
  void ForgetOldIds();

  WatchOptions options_;
  std::map<std::string, SystemTime> window_end_;      // service → end of last good window
  std::unordered_map<std::string, SystemTime> seen_;  // event id → event time
  std::optional<SystemTime> burst_start_;
  std::optional<SystemTime> last_sweep_start_;
  int poll_failures_ = 0;
};

}  // namespace divaudit::daemon
