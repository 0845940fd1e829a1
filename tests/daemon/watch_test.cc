#include "daemon/watch.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/time_util.h"
#include "daemon/service.h"
#include "tests/fakes/scripted_api_client.h"

namespace divaudit::daemon {
namespace {

using namespace std::chrono_literals;

const SystemTime kT0 = FromUnixSeconds(1'800'000'000);

AuditEvent Event(std::string id, std::string service, std::string entity_type, std::string action,
                 SystemTime at, std::vector<std::string> properties = {}) {
  return AuditEvent{
      std::move(id),        std::move(service), std::move(entity_type), std::move(action), at,
      std::move(properties)};
}

struct RelevanceCase {
  const char* service;
  const char* entity_type;
  const char* action;
  std::vector<std::string> properties;
  bool relevant;
};

class RelevanceTest : public testing::TestWithParam<RelevanceCase> {};

TEST_P(RelevanceTest, OnlyTheChangesThatCanMoveAFinding) {
  const RelevanceCase& c = GetParam();
  EXPECT_EQ(IsRelevantEvent(Event("e", c.service, c.entity_type, c.action, kT0, c.properties)),
            c.relevant)
      << c.service << " " << c.entity_type << " " << c.action;
}

INSTANTIATE_TEST_SUITE_P(
    EveryClause, RelevanceTest,
    testing::Values(
        // PeoplePermissions: Role and RoleSettings, any action.
        RelevanceCase{"PeoplePermissions", "Role", "MemberAdd", {}, true},
        RelevanceCase{"PeoplePermissions", "Role", "Update", {}, true},
        RelevanceCase{"PeoplePermissions", "RoleSettings", "Update", {}, true},
        RelevanceCase{"peoplepermissions", "role", "memberremove", {}, true},
        RelevanceCase{"PeoplePermissions", "Division", "Create", {}, false},
        // Groups: membership or delete of directory groups, teams, skill groups.
        RelevanceCase{"Groups", "DirectoryGroup", "MemberAdd", {}, true},
        RelevanceCase{"Groups", "Team", "MemberRemove", {}, true},
        RelevanceCase{"Groups", "SkillGroup", "Delete", {}, true},
        RelevanceCase{"Groups", "DirectoryGroup", "Update", {"description"}, false},
        RelevanceCase{"Groups", "DirectoryGroup", "Create", {}, false},
        RelevanceCase{"Groups", "GroupProfile", "MemberAdd", {}, false},
        // Directory: users created, deleted, moved to another division.
        RelevanceCase{"Directory", "User", "Create", {}, true},
        RelevanceCase{"Directory", "User", "Delete", {}, true},
        RelevanceCase{"Directory", "User", "Move", {}, true},
        RelevanceCase{"Directory", "User", "Update", {"divisionId"}, true},
        RelevanceCase{"Directory", "User", "Update", {"Division"}, true},
        RelevanceCase{"Directory", "User", "Update", {"title", "email"}, false},
        RelevanceCase{"Directory", "Location", "Delete", {}, false},
        // ContactCenter: queue membership, create, delete, division change.
        RelevanceCase{"ContactCenter", "Queue", "MemberAdd", {}, true},
        RelevanceCase{"ContactCenter", "Queue", "MemberRemove", {}, true},
        RelevanceCase{"ContactCenter", "Queue", "Create", {}, true},
        RelevanceCase{"ContactCenter", "Queue", "Delete", {}, true},
        RelevanceCase{"ContactCenter", "Queue", "Update", {"division"}, true},
        RelevanceCase{"ContactCenter", "Queue", "Update", {"acwSettings"}, false},
        RelevanceCase{"ContactCenter", "Wrapupcode", "Create", {}, false},
        // OAuthClient: anything.
        RelevanceCase{"OAuthClient", "OAuthClient", "Update", {}, true},
        RelevanceCase{"OAuthClient", "OAuthClientAuthorization", "Create", {}, true},
        // Other services never.
        RelevanceCase{"Architect", "Flow", "Publish", {}, false},
        RelevanceCase{"", "", "", {}, false}));

WatchOptions Options() {
  WatchOptions o;
  o.watch = 5s;
  o.settle = 2s;
  o.min_interval = 2min;
  o.overlap = 2min;
  return o;
}

const AuditWindow& WindowOf(const std::vector<AuditWindow>& windows, const std::string& service) {
  for (const auto& w : windows) {
    if (w.service == service) return w;
  }
  ADD_FAILURE() << "no window for " << service;
  return windows.front();
}

TEST(WatchSchedulerTest, OneWindowPerWatchedService) {
  WatchScheduler w(Options());
  const auto windows = w.Windows(kT0);
  ASSERT_EQ(windows.size(), 5u);
  std::vector<std::string> services;
  for (const auto& win : windows) services.push_back(win.service);
  EXPECT_EQ(services, (std::vector<std::string>{"PeoplePermissions", "Groups", "Directory",
                                                "ContactCenter", "OAuthClient"}));
  // First poll: the overlap before now.
  EXPECT_EQ(windows[0].from, kT0 - 2min);
  EXPECT_EQ(windows[0].to, kT0);
}

TEST(WatchSchedulerTest, WindowsOverlapThePreviousByTwoMinutes) {
  WatchScheduler w(Options());
  for (const auto& win : w.Windows(kT0)) w.OnPolled(win, {});
  const auto next = w.Windows(kT0 + 5s);
  EXPECT_EQ(WindowOf(next, "Groups").from, kT0 - 2min);  // previous end (kT0) - overlap
  EXPECT_EQ(WindowOf(next, "Groups").to, kT0 + 5s);
}

TEST(WatchSchedulerTest, AFailedQueryReadsItsWindowAgain) {
  WatchScheduler w(Options());
  const auto first = w.Windows(kT0);
  for (const auto& win : first) {
    if (win.service == "Directory") {
      w.OnPollFailed(win);
    } else {
      w.OnPolled(win, {});
    }
  }
  const auto later = w.Windows(kT0 + 1h);
  // Directory never answered: its window still starts where the first one did.
  EXPECT_EQ(WindowOf(later, "Directory").from, kT0 - 2min);
  EXPECT_EQ(WindowOf(later, "Groups").from, kT0 - 2min + 0s);  // kT0 - overlap
  // A later success moves it on.
  w.OnPolled(WindowOf(later, "Directory"), {});
  EXPECT_EQ(WindowOf(w.Windows(kT0 + 2h), "Directory").from, kT0 + 1h - 2min);
}

TEST(WatchSchedulerTest, WindowsNeverReachPastTheRealtimeRetention) {
  WatchScheduler w(Options());
  const auto first = w.Windows(kT0);
  for (const auto& win : first) w.OnPollFailed(win);  // down for weeks
  const SystemTime now = kT0 + 30 * 24h;
  for (const auto& win : w.Windows(now)) {
    EXPECT_EQ(win.from, now - Options().max_lookback) << win.service;
  }
}

TEST(WatchSchedulerTest, EventsAlreadySeenAreDroppedById) {
  WatchScheduler w(Options());
  const auto windows = w.Windows(kT0);
  const auto grant = Event("ev-1", "PeoplePermissions", "Role", "MemberAdd", kT0 - 10s);
  PollOutcome first = w.OnPolled(WindowOf(windows, "PeoplePermissions"), {grant});
  EXPECT_EQ(first.new_events, 1);
  EXPECT_EQ(first.triggering, 1);
  w.OnSweepStarted(kT0 + 1s);  // swept (and its start covered the event)
  // The overlapping next window returns the same event again: dropped, no new sweep.
  PollOutcome again = w.OnPolled(WindowOf(w.Windows(kT0 + 5s), "PeoplePermissions"), {grant});
  EXPECT_EQ(again.duplicates, 1);
  EXPECT_EQ(again.new_events, 0);
  EXPECT_FALSE(w.SweepDueAt());
}

TEST(WatchSchedulerTest, IrrelevantEventsNeverTriggerASweep) {
  WatchScheduler w(Options());
  PollOutcome o = w.OnPolled(WindowOf(w.Windows(kT0), "Directory"),
                             {Event("e1", "Directory", "User", "Update", kT0, {"title"})});
  EXPECT_EQ(o.new_events, 1);
  EXPECT_EQ(o.relevant, 0);
  EXPECT_FALSE(w.SweepDueAt());
}

TEST(WatchSchedulerTest, SweepDueAtEventTimePlusSettle) {
  WatchScheduler w(Options());
  w.OnSweepStarted(kT0 - 1h);  // the last sweep is long past: min_interval does not bind
  w.OnPolled(WindowOf(w.Windows(kT0), "Groups"),
             {Event("e1", "Groups", "DirectoryGroup", "MemberAdd", kT0 - 1s)});
  ASSERT_TRUE(w.SweepDueAt());
  EXPECT_EQ(*w.SweepDueAt(), kT0 - 1s + 2s);
}

TEST(WatchSchedulerTest, SettleRunsFromTheFirstEventOfABurstNotSliding) {
  WatchScheduler w(Options());
  w.OnSweepStarted(kT0 - 1h);
  w.OnPolled(WindowOf(w.Windows(kT0), "Groups"),
             {Event("e1", "Groups", "DirectoryGroup", "MemberAdd", kT0 - 3s)});
  const auto due = w.SweepDueAt();
  // More events of the same burst, later, in another service and a later poll: same due time.
  w.OnPolled(WindowOf(w.Windows(kT0 + 1s), "PeoplePermissions"),
             {Event("e2", "PeoplePermissions", "Role", "MemberAdd", kT0),
              Event("e3", "PeoplePermissions", "Role", "MemberAdd", kT0 + 1s)});
  EXPECT_EQ(w.SweepDueAt(), due);
  // An event reported late but older than the burst's first moves the start back.
  w.OnPolled(WindowOf(w.Windows(kT0 + 2s), "Directory"),
             {Event("e0", "Directory", "User", "Create", kT0 - 4s)});
  EXPECT_EQ(*w.SweepDueAt(), kT0 - 4s + 2s);
}

TEST(WatchSchedulerTest, NeverCloserThanMinIntervalToThePreviousStart) {
  WatchScheduler w(Options());
  w.OnSweepStarted(kT0);
  w.OnPolled(WindowOf(w.Windows(kT0 + 5s), "OAuthClient"),
             {Event("e1", "OAuthClient", "OAuthClient", "Create", kT0 + 3s)});
  ASSERT_TRUE(w.SweepDueAt());
  EXPECT_EQ(*w.SweepDueAt(), kT0 + 2min);  // not kT0 + 5s
}

TEST(WatchSchedulerTest, ASweepStartCoversEveryEventKnownAtItsStart) {
  WatchScheduler w(Options());
  w.OnSweepStarted(kT0 - 1h);
  w.OnPolled(WindowOf(w.Windows(kT0), "Groups"),
             {Event("e1", "Groups", "Team", "MemberAdd", kT0 - 1s)});
  ASSERT_TRUE(w.SweepDueAt());
  // The regular sweep came first ("unless one is due sooner"): nothing left pending.
  w.OnSweepStarted(kT0);
  EXPECT_FALSE(w.SweepDueAt());
}

TEST(WatchSchedulerTest, AnEventLearntAfterASweepStartIsCoveredOnlyIfSettledBeforeIt) {
  WatchScheduler w(Options());
  w.OnSweepStarted(kT0);
  // Happened 5 s before the start (> settle): the sweep saw it.
  PollOutcome old = w.OnPolled(WindowOf(w.Windows(kT0 + 60s), "Directory"),
                               {Event("e1", "Directory", "User", "Delete", kT0 - 5s)});
  EXPECT_EQ(old.covered, 1);
  EXPECT_FALSE(w.SweepDueAt());
  // Happened 1 s before the start (< settle): the sweep may have read stale data.
  PollOutcome recent = w.OnPolled(WindowOf(w.Windows(kT0 + 65s), "Directory"),
                                  {Event("e2", "Directory", "User", "Delete", kT0 - 1s)});
  EXPECT_EQ(recent.triggering, 1);
  ASSERT_TRUE(w.SweepDueAt());
  EXPECT_EQ(*w.SweepDueAt(), kT0 + 2min);
}

TEST(WatchSchedulerTest, WatchOffNeverSchedulesAndDropsThePendingBurst) {
  WatchScheduler w(Options());
  w.OnPolled(WindowOf(w.Windows(kT0), "Groups"), {Event("e1", "Groups", "Team", "MemberAdd", kT0)});
  ASSERT_TRUE(w.SweepDueAt());
  WatchOptions off = Options();
  off.watch = 0s;
  w.set_options(off);
  EXPECT_FALSE(w.enabled());
  EXPECT_FALSE(w.SweepDueAt());
  // Reload with new values applies them to the next decision.
  WatchOptions slower = Options();
  slower.settle = 10s;
  w.set_options(slower);
  w.OnPolled(WindowOf(w.Windows(kT0 + 5s), "Groups"),
             {Event("e2", "Groups", "Team", "MemberAdd", kT0 + 4s)});
  EXPECT_EQ(*w.SweepDueAt(), kT0 + 14s);
}

TEST(WatchSchedulerTest, PollDelayBacksOffAfterFailuresAndResets) {
  WatchScheduler w(Options());
  EXPECT_EQ(w.NextPollDelay(), 5s);
  w.OnPollFinished(false);
  EXPECT_EQ(w.NextPollDelay(), 10s);
  w.OnPollFinished(false);
  EXPECT_EQ(w.NextPollDelay(), 20s);
  for (int i = 0; i < 20; ++i) w.OnPollFinished(false);
  EXPECT_EQ(w.NextPollDelay(), 5min);  // capped
  EXPECT_EQ(w.consecutive_poll_failures(), 22);
  w.OnPollFinished(true);
  EXPECT_EQ(w.NextPollDelay(), 5s);
}

TEST(WatchSchedulerTest, SeenIdsAreForgottenOnceNoWindowCanReturnThem) {
  WatchScheduler w(Options());
  for (const auto& win : w.Windows(kT0)) {
    w.OnPolled(win, {Event("old-" + win.service, win.service, "X", "Y", kT0 - 1min)});
  }
  EXPECT_EQ(w.seen_ids(), 5u);
  for (const auto& win : w.Windows(kT0 + 1h)) w.OnPolled(win, {});
  EXPECT_EQ(w.seen_ids(), 0u);
}

TEST(WatchSchedulerTest, EventsWithoutIdAreJudgedEachTime) {
  WatchScheduler w(Options());
  const auto e = Event("", "Groups", "Team", "MemberAdd", kT0);
  EXPECT_EQ(w.OnPolled(WindowOf(w.Windows(kT0), "Groups"), {e}).new_events, 1);
  EXPECT_EQ(w.OnPolled(WindowOf(w.Windows(kT0 + 5s), "Groups"), {e}).new_events, 1);
  EXPECT_EQ(w.seen_ids(), 0u);
}

TEST(RealtimeAuditQueryTest, ReadsTheWindowAndKeepsWhatTheWatchDecidesOn) {
  fakes::ScriptedApiClient client(
      [](const genesys::ApiRequest& r) -> fakes::ScriptedApiClient::Reply {
        EXPECT_NE(r.body.find(R"("serviceName":"Directory")"), std::string::npos) << r.body;
        EXPECT_EQ(r.max_attempts, 1);  // the next poll is the retry
        EXPECT_EQ(r.timeout, 2s);
        return genesys::ApiResponse{200, R"({"entities": [
          {"id": "ev-1", "serviceName": "Directory", "entityType": "User", "action": "Update",
           "eventDate": "2027-01-15T08:00:05.250Z", "entity": {"id": "u-1"},
           "propertyChanges": [{"property": "division", "oldValues": ["d-1"],
                                "newValues": ["d-2"]}]},
          {"id": "ev-2", "serviceName": "Directory", "entityType": "User", "action": "Create",
           "eventDate": "not a date"}],
          "pageNumber": 1, "pageSize": 100, "total": 2, "pageCount": 1})"};
      });
  const AuditWindow window{"Directory", kT0 - 2min, kT0};
  auto events = RealtimeAuditQuery()(client, window, 2s);
  ASSERT_TRUE(events.ok()) << events.status().message();
  ASSERT_EQ(events->size(), 2u);
  const AuditEvent& moved = (*events)[0];
  EXPECT_EQ(moved.id, "ev-1");
  EXPECT_EQ(moved.service, "Directory");
  EXPECT_EQ(moved.entity_type, "User");
  EXPECT_EQ(moved.action, "Update");
  EXPECT_EQ(moved.changed_properties, (std::vector<std::string>{"division"}));
  EXPECT_EQ(FormatIso8601(moved.at), "2027-01-15T08:00:05Z");
  EXPECT_TRUE(IsRelevantEvent(moved));
  EXPECT_EQ((*events)[1].at, kT0);  // undated: the window's end
  EXPECT_EQ(client.calls().size(), 1u);
}

TEST(RealtimeAuditQueryTest, ForbiddenIsAnErrorWithItsReason) {
  fakes::ScriptedApiClient client(
      [](const genesys::ApiRequest&) -> fakes::ScriptedApiClient::Reply {
        return genesys::ApiResponse{403, R"({"message": "Missing permission"})"};
      });
  auto events = RealtimeAuditQuery()(client, AuditWindow{"Groups", kT0 - 2min, kT0}, 2s);
  ASSERT_FALSE(events.ok());
  EXPECT_EQ(AuditPollErrorReason(events.status()), "forbidden");
}

TEST(AuditPollTimeoutTest, AtMostTenSecondsOrTheShorterRequestTimeout) {
  EXPECT_EQ(AuditPollTimeout(30s), 10s);
  EXPECT_EQ(AuditPollTimeout(3s), 3s);
  EXPECT_EQ(AuditPollTimeout(0ms), 10s);
}

TEST(AuditPollErrorReasonTest, BoundedReasons) {
  EXPECT_EQ(AuditPollErrorReason(ResourceExhaustedError("429")), "throttled");
  EXPECT_EQ(AuditPollErrorReason(PermissionDeniedError("403")), "forbidden");
  EXPECT_EQ(AuditPollErrorReason(DeadlineExceededError("t")), "timeout");
  EXPECT_EQ(AuditPollErrorReason(UnavailableError("500")), "unavailable");
  EXPECT_EQ(AuditPollErrorReason(InternalError("x")), "other");
}

TEST(DetectionDelaysTest, FromChangedByElseFromTheWatchBurst) {
  audit::Finding attributed;
  attributed.changed_by = audit::ChangedBy{};
  attributed.changed_by->at = FormatIso8601(kT0 - 40s);
  audit::Finding unattributed;
  const SystemTime opened_at = kT0;
  SweepTrigger scheduled;
  EXPECT_EQ(DetectionDelays({attributed, unattributed}, scheduled, opened_at),
            (std::vector<double>{40.0}));
  SweepTrigger watch{SweepTrigger::Kind::kWatch, kT0 - 9s};
  EXPECT_EQ(DetectionDelays({attributed, unattributed}, watch, opened_at),
            (std::vector<double>{40.0, 9.0}));
  EXPECT_TRUE(DetectionDelays({}, watch, opened_at).empty());
}

}  // namespace
}  // namespace divaudit::daemon
