#include "audit/lifecycle.h"

#include <algorithm>
#include <array>
#include <unordered_set>

namespace divaudit::audit {
namespace {

constexpr std::array<std::string_view, 5> kEventNames = {"opened", "resolved", "reopened",
                                                         "suppressed", "unsuppressed"};

LifecycleChange SeenChange(const Finding& f, const FindingState* stored) {
  LifecycleChange c;
  c.fingerprint = f.fingerprint;
  c.seen = &f;
  c.after = f.state;
  const bool suppressed = f.state == FindingState::kSuppressed;
  if (stored == nullptr || *stored == FindingState::kResolved) {
    c.kind = stored == nullptr ? LifecycleChange::Kind::kNew : LifecycleChange::Kind::kReopened;
    c.events.push_back(stored == nullptr ? LifecycleEvent::kOpened : LifecycleEvent::kReopened);
    if (suppressed) c.events.push_back(LifecycleEvent::kSuppressed);
  } else if (*stored != f.state) {
    c.kind = LifecycleChange::Kind::kStateChanged;
    c.events.push_back(suppressed ? LifecycleEvent::kSuppressed : LifecycleEvent::kUnsuppressed);
  } else {
    c.kind = LifecycleChange::Kind::kUnchanged;
  }
  return c;
}

}  // namespace

std::string_view LifecycleEventName(LifecycleEvent e) {
  return kEventNames[static_cast<size_t>(e)];
}

std::optional<LifecycleEvent> LifecycleEventFromName(std::string_view name) {
  for (size_t i = 0; i < kEventNames.size(); ++i) {
    if (kEventNames[i] == name) return static_cast<LifecycleEvent>(i);
  }
  return std::nullopt;
}

LifecycleState StateAfter(LifecycleEvent e) {
  switch (e) {
    case LifecycleEvent::kResolved:
      return LifecycleState::kResolved;
    case LifecycleEvent::kSuppressed:
      return LifecycleState::kSuppressed;
    case LifecycleEvent::kOpened:
    case LifecycleEvent::kReopened:
    case LifecycleEvent::kUnsuppressed:
      break;
  }
  return LifecycleState::kOpen;
}

LifecycleState StateBefore(LifecycleEvent first) {
  switch (first) {
    case LifecycleEvent::kOpened:
      return LifecycleState::kAbsent;
    case LifecycleEvent::kReopened:
      return LifecycleState::kResolved;
    case LifecycleEvent::kUnsuppressed:
      return LifecycleState::kSuppressed;
    case LifecycleEvent::kResolved:
    case LifecycleEvent::kSuppressed:
      break;
  }
  return LifecycleState::kOpen;
}

bool IsTransition(LifecycleState from, LifecycleEvent e) {
  switch (e) {
    case LifecycleEvent::kOpened:
      return from == LifecycleState::kAbsent;
    case LifecycleEvent::kResolved:
      return from == LifecycleState::kOpen || from == LifecycleState::kSuppressed;
    case LifecycleEvent::kReopened:
      return from == LifecycleState::kResolved;
    case LifecycleEvent::kSuppressed:
      return from == LifecycleState::kOpen;
    case LifecycleEvent::kUnsuppressed:
      return from == LifecycleState::kSuppressed;
  }
  return false;
}

LifecycleState LifecycleStateOf(FindingState s) {
  switch (s) {
    case FindingState::kOpen:
      return LifecycleState::kOpen;
    case FindingState::kSuppressed:
      return LifecycleState::kSuppressed;
    case FindingState::kResolved:
      break;
  }
  return LifecycleState::kResolved;
}

std::optional<FindingState> FindingStateOf(LifecycleState s) {
  switch (s) {
    case LifecycleState::kOpen:
      return FindingState::kOpen;
    case LifecycleState::kSuppressed:
      return FindingState::kSuppressed;
    case LifecycleState::kResolved:
      return FindingState::kResolved;
    case LifecycleState::kAbsent:
      break;
  }
  return std::nullopt;
}

LifecyclePlan PlanLifecycle(const std::unordered_map<std::string, FindingState>& stored,
                            const std::vector<Finding>& seen, SweepStatus status) {
  LifecyclePlan plan;
  if (status == SweepStatus::kFailed) return plan;  // a failed sweep changes no finding
  std::unordered_set<std::string_view> seen_fps;
  for (const Finding& f : seen) {
    if (!seen_fps.insert(f.fingerprint).second) continue;  // duplicate: the first one wins
    auto it = stored.find(f.fingerprint);
    plan.changes.push_back(SeenChange(f, it == stored.end() ? nullptr : &it->second));
  }
  // Only a complete sweep resolves: it read everything, so what it did not see is gone.
  if (status != SweepStatus::kComplete) return plan;
  std::vector<std::string_view> gone;
  for (const auto& [fp, state] : stored) {
    if (state != FindingState::kResolved && seen_fps.count(fp) == 0) gone.push_back(fp);
  }
  std::sort(gone.begin(), gone.end());
  for (std::string_view fp : gone) {
    LifecycleChange c;
    c.kind = LifecycleChange::Kind::kResolved;
    c.fingerprint = std::string(fp);
    c.events = {LifecycleEvent::kResolved};
    c.after = FindingState::kResolved;
    plan.changes.push_back(std::move(c));
  }
  return plan;
}

}  // namespace divaudit::audit
