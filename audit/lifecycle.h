#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "audit/finding.h"
#include "audit/org_snapshot.h"

namespace divaudit::audit {

// The finding lifecycle, in one place: the events the store records, the state each leads to,
// and what one sweep does to the stored findings (PlanLifecycle). Pure: no I/O, no clock.
// storage/ executes the plan, report/ replays the events, `verify` checks the stored state
// against the last event — all through these functions (docs/storage.md, "Lifecycle").

// A stored lifecycle event (findings_events.event).
enum class LifecycleEvent : uint8_t { kOpened, kResolved, kReopened, kSuppressed, kUnsuppressed };

// "opened", "resolved", "reopened", "suppressed", "unsuppressed".
std::string_view LifecycleEventName(LifecycleEvent e);
// nullopt for any other text (callers report it as data loss, never default).
std::optional<LifecycleEvent> LifecycleEventFromName(std::string_view name);

// A finding's state in the lifecycle; kAbsent: not (yet) seen.
enum class LifecycleState : uint8_t { kAbsent, kOpen, kSuppressed, kResolved };

// The state every event leads to (an event names its target state).
LifecycleState StateAfter(LifecycleEvent e);
// The state a finding had before `first`, when `first` is the oldest event still stored (the
// history before it may have been pruned): opened ← absent, reopened ← resolved,
// unsuppressed ← suppressed, resolved/suppressed ← open.
LifecycleState StateBefore(LifecycleEvent first);
// Whether the state machine allows `e` from `from`: opened from absent; resolved from open or
// suppressed; reopened from resolved; suppressed from open; unsuppressed from suppressed.
bool IsTransition(LifecycleState from, LifecycleEvent e);

// Stored findings state <-> lifecycle state (kAbsent has no FindingState).
LifecycleState LifecycleStateOf(FindingState s);
std::optional<FindingState> FindingStateOf(LifecycleState s);

// What one sweep does to one finding.
struct LifecycleChange {
  enum class Kind : uint8_t {
    kNew,           // never stored: opened (then suppressed when it arrives suppressed)
    kReopened,      // stored resolved, seen again: reopened (then suppressed)
    kStateChanged,  // stored open/suppressed, seen in the other state: suppressed|unsuppressed
    kUnchanged,     // stored open/suppressed, seen in the same state: no event
    kResolved,      // stored open/suppressed, not seen by a complete sweep: resolved
  };
  Kind kind = Kind::kUnchanged;
  std::string fingerprint;
  const Finding* seen = nullptr;       // the sweep's finding (nullptr for kResolved)
  std::vector<LifecycleEvent> events;  // in the order they are recorded
  FindingState after = FindingState::kOpen;
};

// The plan for one sweep, in the order events are recorded: first every seen finding (in the
// order given, the first of duplicate fingerprints wins), then the resolved ones by fingerprint.
struct LifecyclePlan {
  std::vector<LifecycleChange> changes;
};

// The lifecycle of one sweep. `stored`: the state of every stored finding by fingerprint.
// `seen`: the sweep's findings (state open or suppressed; the caller's order, normally
// FindingLess). The invariant "only a complete sweep resolves" holds here and nowhere else: a
// partial sweep adds, reopens and changes what it saw and resolves nothing; a failed sweep
// changes nothing (an empty plan).
LifecyclePlan PlanLifecycle(const std::unordered_map<std::string, FindingState>& stored,
                            const std::vector<Finding>& seen, SweepStatus status);

}  // namespace divaudit::audit
