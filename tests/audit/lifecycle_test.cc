// The finding lifecycle as tables: names, the state machine, and PlanLifecycle for every
// (stored state, seen state, sweep status) — no database.
#include "audit/lifecycle.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>

namespace divaudit::audit {
namespace {

using E = LifecycleEvent;
using K = LifecycleChange::Kind;
using S = LifecycleState;

Finding Seen(const std::string& fp, FindingState state = FindingState::kOpen) {
  Finding f;
  f.fingerprint = fp;
  f.state = state;
  return f;
}

TEST(LifecycleTest, EventNamesRoundTripAndUnknownNamesDoNotParse) {
  for (E e : {E::kOpened, E::kResolved, E::kReopened, E::kSuppressed, E::kUnsuppressed}) {
    EXPECT_EQ(LifecycleEventFromName(LifecycleEventName(e)), e);
  }
  EXPECT_EQ(LifecycleEventName(E::kUnsuppressed), "unsuppressed");
  for (const char* bad : {"", "open", "Opened", "resolved ", "deleted"}) {
    EXPECT_EQ(LifecycleEventFromName(bad), std::nullopt) << bad;
  }
}

TEST(LifecycleTest, StateMachineTable) {
  struct Row {
    E event;
    S after;
    S before_first;  // StateBefore
    std::vector<S> allowed_from;
  };
  const std::vector<Row> table = {
      {E::kOpened, S::kOpen, S::kAbsent, {S::kAbsent}},
      {E::kResolved, S::kResolved, S::kOpen, {S::kOpen, S::kSuppressed}},
      {E::kReopened, S::kOpen, S::kResolved, {S::kResolved}},
      {E::kSuppressed, S::kSuppressed, S::kOpen, {S::kOpen}},
      {E::kUnsuppressed, S::kOpen, S::kSuppressed, {S::kSuppressed}},
  };
  for (const Row& row : table) {
    const std::string name(LifecycleEventName(row.event));
    EXPECT_EQ(StateAfter(row.event), row.after) << name;
    EXPECT_EQ(StateBefore(row.event), row.before_first) << name;
    for (S from : {S::kAbsent, S::kOpen, S::kSuppressed, S::kResolved}) {
      const bool allowed = std::find(row.allowed_from.begin(), row.allowed_from.end(), from) !=
                           row.allowed_from.end();
      EXPECT_EQ(IsTransition(from, row.event), allowed)
          << name << " from " << static_cast<int>(from);
    }
    // StateBefore is a state the event is allowed from.
    EXPECT_TRUE(IsTransition(row.before_first, row.event)) << name;
  }
}

TEST(LifecycleTest, FindingStatesMapBothWays) {
  for (FindingState s : {FindingState::kOpen, FindingState::kSuppressed, FindingState::kResolved}) {
    EXPECT_EQ(FindingStateOf(LifecycleStateOf(s)), s);
  }
  EXPECT_EQ(FindingStateOf(S::kAbsent), std::nullopt);
}

// Every (stored, seen, status) combination for one finding.
TEST(LifecycleTest, PlanTableForOneFinding) {
  using FS = FindingState;
  struct Row {
    std::optional<FS> stored;  // nullopt: never stored
    std::optional<FS> seen;    // nullopt: not seen by the sweep
    SweepStatus status;
    std::optional<K> kind;  // nullopt: no change at all
    std::vector<E> events;
  };
  const SweepStatus C = SweepStatus::kComplete, P = SweepStatus::kPartial, F = SweepStatus::kFailed;
  const std::vector<Row> table = {
      // New findings.
      {std::nullopt, FS::kOpen, C, K::kNew, {E::kOpened}},
      {std::nullopt, FS::kSuppressed, C, K::kNew, {E::kOpened, E::kSuppressed}},
      {std::nullopt, FS::kOpen, P, K::kNew, {E::kOpened}},
      {std::nullopt, FS::kSuppressed, P, K::kNew, {E::kOpened, E::kSuppressed}},
      {std::nullopt, FS::kOpen, F, std::nullopt, {}},
      // Seen again in the same state.
      {FS::kOpen, FS::kOpen, C, K::kUnchanged, {}},
      {FS::kSuppressed, FS::kSuppressed, P, K::kUnchanged, {}},
      // Exception added or removed.
      {FS::kOpen, FS::kSuppressed, C, K::kStateChanged, {E::kSuppressed}},
      {FS::kSuppressed, FS::kOpen, C, K::kStateChanged, {E::kUnsuppressed}},
      {FS::kOpen, FS::kSuppressed, P, K::kStateChanged, {E::kSuppressed}},
      {FS::kSuppressed, FS::kOpen, F, std::nullopt, {}},
      // Resolved and seen again: reopened, by any sweep that saw it.
      {FS::kResolved, FS::kOpen, C, K::kReopened, {E::kReopened}},
      {FS::kResolved, FS::kSuppressed, C, K::kReopened, {E::kReopened, E::kSuppressed}},
      {FS::kResolved, FS::kOpen, P, K::kReopened, {E::kReopened}},
      {FS::kResolved, FS::kOpen, F, std::nullopt, {}},
      // Not seen: only a complete sweep resolves.
      {FS::kOpen, std::nullopt, C, K::kResolved, {E::kResolved}},
      {FS::kSuppressed, std::nullopt, C, K::kResolved, {E::kResolved}},
      {FS::kOpen, std::nullopt, P, std::nullopt, {}},
      {FS::kSuppressed, std::nullopt, P, std::nullopt, {}},
      {FS::kOpen, std::nullopt, F, std::nullopt, {}},
      {FS::kResolved, std::nullopt, C, std::nullopt, {}},
      {FS::kResolved, std::nullopt, P, std::nullopt, {}},
  };
  int n = 0;
  for (const Row& row : table) {
    SCOPED_TRACE("row " + std::to_string(n++));
    std::unordered_map<std::string, FS> stored;
    if (row.stored) stored["fp"] = *row.stored;
    std::vector<Finding> seen;
    if (row.seen) seen.push_back(Seen("fp", *row.seen));
    const LifecyclePlan plan = PlanLifecycle(stored, seen, row.status);
    if (!row.kind) {
      for (const auto& c : plan.changes) EXPECT_TRUE(c.events.empty());
      for (const auto& c : plan.changes) EXPECT_EQ(c.kind, K::kUnchanged);
      continue;
    }
    ASSERT_EQ(plan.changes.size(), 1u);
    const LifecycleChange& c = plan.changes[0];
    EXPECT_EQ(c.kind, *row.kind);
    EXPECT_EQ(c.events, row.events);
    EXPECT_EQ(c.fingerprint, "fp");
    EXPECT_EQ(c.after, row.seen ? *row.seen : FS::kResolved);
    EXPECT_EQ(c.seen != nullptr, row.seen.has_value());
    // Every planned event is a transition of the state machine, and the plan ends in `after`.
    S state = row.stored ? LifecycleStateOf(*row.stored) : S::kAbsent;
    for (E e : c.events) {
      EXPECT_TRUE(IsTransition(state, e)) << LifecycleEventName(e);
      state = StateAfter(e);
    }
    if (!c.events.empty()) {
      EXPECT_EQ(FindingStateOf(state), c.after);
    }
  }
}

TEST(LifecycleTest, PlanOrderIsSeenOrderThenResolvedByFingerprintAndDuplicatesCollapse) {
  const std::unordered_map<std::string, FindingState> stored = {
      {"z-gone", FindingState::kOpen},
      {"a-gone", FindingState::kSuppressed},
      {"m-kept", FindingState::kOpen},
      {"old", FindingState::kResolved},
  };
  const std::vector<Finding> seen = {Seen("new-2"), Seen("m-kept"),
                                     Seen("new-2", FindingState::kSuppressed), Seen("new-1")};
  const LifecyclePlan plan = PlanLifecycle(stored, seen, SweepStatus::kComplete);
  std::vector<std::string> order;
  for (const auto& c : plan.changes) order.push_back(c.fingerprint);
  EXPECT_EQ(order, (std::vector<std::string>{"new-2", "m-kept", "new-1", "a-gone", "z-gone"}));
  EXPECT_EQ(plan.changes[0].after, FindingState::kOpen);  // the first duplicate wins
  EXPECT_EQ(plan.changes[0].seen, &seen[0]);

  const LifecyclePlan partial = PlanLifecycle(stored, seen, SweepStatus::kPartial);
  for (const auto& c : partial.changes) EXPECT_NE(c.kind, K::kResolved) << c.fingerprint;
  EXPECT_EQ(partial.changes.size(), 3u);
  EXPECT_TRUE(PlanLifecycle(stored, seen, SweepStatus::kFailed).changes.empty());
}

}  // namespace
}  // namespace divaudit::audit
