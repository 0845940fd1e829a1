// DaemonLoop with change watch: polls on the loop's schedule, sweeps after relevant events,
// errors that back off without touching the sweep schedule. Real Asio timers, short periods
// (the loop has no floor on `watch`; the 5 s floor is the configuration's).
#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "daemon/daemon_loop.h"

namespace divaudit::daemon {
namespace {

using namespace std::chrono_literals;

class QuietNotifier : public Notifier {
 public:
  void Ready() override {}
  void Status(std::string_view) override {}
  void Watchdog() override {}
  void Reloading() override {}
  void Stopping() override {}
  std::optional<std::chrono::microseconds> WatchdogInterval() const override {
    return std::nullopt;
  }
};

ScheduleOptions WatchSchedule() {
  ScheduleOptions s;
  s.interval = 1h;
  s.jitter = 0ms;
  s.watch = 20ms;
  s.settle = 150ms;
  s.min_interval = 0ms;
  return s;
}

// Records what the loop did, and checks that a poll never overlaps a sweep.
struct Recorder {
  std::mutex mu;
  std::vector<SweepTrigger> triggers;
  std::vector<std::chrono::steady_clock::time_point> sweep_starts;
  std::map<std::string, int> queries;
  std::atomic<int> sweeps{0};
  std::atomic<int> polls_done{0};
  std::atomic<int> busy{0};
  std::atomic<bool> overlapped{false};

  void Enter() {
    if (++busy > 1) overlapped = true;
  }
  void Leave() { --busy; }
};

DaemonLoop::Hooks RecordingHooks(Recorder& r) {
  DaemonLoop::Hooks hooks;
  hooks.run_sweep = [&r](const CancellationToken&) {
    r.Enter();
    {
      std::lock_guard lock(r.mu);
      r.sweep_starts.push_back(std::chrono::steady_clock::now());
    }
    ++r.sweeps;
    std::this_thread::sleep_for(10ms);
    r.Leave();
    return SweepReport{true, "ok"};
  };
  hooks.on_sweep_starting = [&r](const SweepTrigger& t) {
    std::lock_guard lock(r.mu);
    r.triggers.push_back(t);
  };
  hooks.on_poll_done = [&r](const WatchPollReport&) { ++r.polls_done; };
  return hooks;
}

// Each test builds its loop with Start() (a fresh notifier and seeded randomness) and runs it;
// hooks reach the running loop through Loop(), and `r` records what it did.
class DaemonLoopWatchTest : public ::testing::Test {
 protected:
  DaemonLoop& Start(const DaemonLoop::Hooks& hooks, const ScheduleOptions& schedule) {
    loop_.emplace(hooks, schedule, notifier_, random_);
    return *loop_;
  }
  DaemonLoop& Loop() { return *loop_; }

  Recorder r;

 private:
  QuietNotifier notifier_;
  SeededRandom random_{1};
  std::optional<DaemonLoop> loop_;  // last: destroyed before what it refers to
};

TEST_F(DaemonLoopWatchTest, QuietOrgCostsOneQueryPerServicePerPollAndNoSweep) {
  DaemonLoop::Hooks hooks = RecordingHooks(r);
  hooks.poll_audit = [&](const AuditWindow& w) -> Result<std::vector<AuditEvent>> {
    r.Enter();
    {
      std::lock_guard lock(r.mu);
      ++r.queries[w.service];
    }
    r.Leave();
    return std::vector<AuditEvent>{};
  };
  hooks.on_poll_done = [&](const WatchPollReport& report) {
    EXPECT_EQ(report.queries.size(), 5u);
    EXPECT_FALSE(report.sweep_due);
    if (++r.polls_done == 4) Loop().Stop();
  };
  DaemonLoop& loop = Start(hooks, WatchSchedule());
  EXPECT_EQ(loop.Run(), 0);
  EXPECT_EQ(r.sweeps.load(), 1);  // the first sweep at start only
  EXPECT_EQ(loop.polls(), 4);
  for (std::string_view service : kWatchedServices) {
    EXPECT_EQ(r.queries[std::string(service)], 4) << service;
  }
  EXPECT_FALSE(r.overlapped.load());
}

TEST_F(DaemonLoopWatchTest, RelevantEventSweepsAfterSettleOnceForABurst) {
  DaemonLoop::Hooks hooks = RecordingHooks(r);
  std::atomic<int> poll_number{0};
  std::optional<SystemTime> first_event;
  std::mutex mu;
  hooks.poll_audit = [&](const AuditWindow& w) -> Result<std::vector<AuditEvent>> {
    // Polls 2, 3 and 4 each report a new relevant change: one burst.
    const int n = poll_number.load();
    if (w.service != "PeoplePermissions" || n < 2 || n > 4) return std::vector<AuditEvent>{};
    AuditEvent e{"ev-" + std::to_string(n),
                 "PeoplePermissions",
                 "Role",
                 "MemberAdd",
                 std::chrono::system_clock::now(),
                 {}};
    std::lock_guard lock(mu);
    if (!first_event) first_event = e.at;
    return std::vector<AuditEvent>{e};
  };
  hooks.on_poll_done = [&](const WatchPollReport&) { ++poll_number; };
  hooks.on_sweep_done = [&](const SweepReport&) {
    if (r.sweeps.load() == 2) {
      // Leave time for a (wrong) second watch sweep to show up before stopping.
      std::thread([&] {
        std::this_thread::sleep_for(400ms);
        Loop().Stop();
      }).detach();
    }
  };
  // Polls start counting at 1 with the first completed poll.
  poll_number = 1;
  DaemonLoop& loop = Start(hooks, WatchSchedule());
  EXPECT_EQ(loop.Run(), 0);
  EXPECT_EQ(r.sweeps.load(), 2);
  EXPECT_EQ(loop.watch_sweeps(), 1);
  std::lock_guard lock(r.mu);
  ASSERT_EQ(r.triggers.size(), 2u);
  EXPECT_EQ(r.triggers[0].kind, SweepTrigger::Kind::kScheduled);
  EXPECT_EQ(r.triggers[1].kind, SweepTrigger::Kind::kWatch);
  ASSERT_TRUE(r.triggers[1].first_event);
  EXPECT_EQ(*r.triggers[1].first_event, *first_event);
  EXPECT_FALSE(r.overlapped.load());
}

TEST_F(DaemonLoopWatchTest, WatchSweepWaitsForSettleAndMinInterval) {
  ScheduleOptions schedule = WatchSchedule();
  schedule.settle = 0ms;
  schedule.min_interval = 500ms;
  DaemonLoop::Hooks hooks = RecordingHooks(r);
  std::atomic<bool> reported{false};
  hooks.poll_audit = [&](const AuditWindow& w) -> Result<std::vector<AuditEvent>> {
    if (w.service != "Groups" || reported.exchange(true)) return std::vector<AuditEvent>{};
    return std::vector<AuditEvent>{
        {"g1", "Groups", "DirectoryGroup", "MemberAdd", std::chrono::system_clock::now(), {}}};
  };
  hooks.on_sweep_done = [&](const SweepReport&) {
    if (r.sweeps.load() == 2) Loop().Stop();
  };
  DaemonLoop& loop = Start(hooks, schedule);
  EXPECT_EQ(loop.Run(), 0);
  std::lock_guard lock(r.mu);
  ASSERT_EQ(r.sweep_starts.size(), 2u);
  // settle 0 would allow at once; min_interval holds it 500 ms after the first start.
  EXPECT_GE(r.sweep_starts[1] - r.sweep_starts[0], 480ms);
}

TEST_F(DaemonLoopWatchTest, PollErrorsBackOffAndNeverDisturbScheduledSweeps) {
  ScheduleOptions schedule = WatchSchedule();
  schedule.interval = 1s;  // NextTickDelay's floor
  DaemonLoop::Hooks hooks = RecordingHooks(r);
  std::atomic<int> queries{0};
  std::vector<std::chrono::milliseconds> delays;
  hooks.poll_audit = [&](const AuditWindow&) -> Result<std::vector<AuditEvent>> {
    ++queries;
    return ResourceExhaustedError("POST /api/v2/audits/query/realtime: HTTP 429");
  };
  hooks.on_poll_done = [&](const WatchPollReport& report) {
    for (const auto& q : report.queries) EXPECT_FALSE(q.status.ok());
    delays.push_back(report.next_poll);
  };
  hooks.on_sweep_done = [&](const SweepReport&) {
    if (r.sweeps.load() == 3) Loop().Stop();
  };
  DaemonLoop& loop = Start(hooks, schedule);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(loop.Run(), 0);
  // Three sweeps at 0 s, 1 s, 2 s: the failing audit trail neither delays nor adds any.
  EXPECT_EQ(r.sweeps.load(), 3);
  EXPECT_EQ(loop.watch_sweeps(), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2800ms);
  // Back-off: 40, 80, 160, 320, 640 ms ... instead of a poll every 20 ms.
  ASSERT_GE(delays.size(), 3u);
  EXPECT_EQ(delays[0], 40ms);
  EXPECT_EQ(delays[1], 80ms);
  EXPECT_EQ(delays[2], 160ms);
  EXPECT_LE(queries.load(), 5 * 8);
  EXPECT_FALSE(r.overlapped.load());
}

TEST_F(DaemonLoopWatchTest, TickDuringAPollStartsRightAfterItNotLostNotDoubled) {
  ScheduleOptions schedule = WatchSchedule();
  schedule.interval = 1s;
  DaemonLoop::Hooks hooks = RecordingHooks(r);
  std::atomic<int> slow_polls{0};
  hooks.poll_audit = [&](const AuditWindow& w) -> Result<std::vector<AuditEvent>> {
    r.Enter();
    // One slow poll that spans the 1 s tick.
    if (w.service == "PeoplePermissions" && slow_polls++ == 3) std::this_thread::sleep_for(1200ms);
    r.Leave();
    return std::vector<AuditEvent>{};
  };
  hooks.on_sweep_done = [&](const SweepReport&) {
    if (r.sweeps.load() == 2) {
      std::thread([&] {
        std::this_thread::sleep_for(300ms);
        Loop().Stop();
      }).detach();
    }
  };
  DaemonLoop& loop = Start(hooks, schedule);
  EXPECT_EQ(loop.Run(), 0);
  EXPECT_EQ(r.sweeps.load(), 2);  // the tick that fell in the poll ran once, after it
  EXPECT_EQ(loop.skipped_ticks(), 0);
  EXPECT_FALSE(r.overlapped.load());
  std::lock_guard lock(r.mu);
  ASSERT_EQ(r.sweep_starts.size(), 2u);
  EXPECT_GE(r.sweep_starts[1] - r.sweep_starts[0], 1000ms);
}

// A stalled audit endpoint: the first query that times out ends the poll (each further one would
// hold the worker as long again); the others are not sent, not counted as errors, and their
// windows are read by the next poll from where they were.
TEST_F(DaemonLoopWatchTest, ATimedOutQueryEndsThePollAndTheRestAreReadNextPoll) {
  DaemonLoop::Hooks hooks = RecordingHooks(r);
  std::mutex mu;
  std::vector<AuditWindow> sent;
  std::vector<WatchPollReport> reports;
  hooks.poll_audit = [&](const AuditWindow& w) -> Result<std::vector<AuditEvent>> {
    std::lock_guard lock(mu);
    sent.push_back(w);
    if (sent.size() == 1)
      return DeadlineExceededError("POST /api/v2/audits/query/realtime: timeout");
    return std::vector<AuditEvent>{};
  };
  hooks.on_poll_done = [&](const WatchPollReport& report) {
    std::lock_guard lock(mu);
    reports.push_back(report);
    if (reports.size() == 2) Loop().Stop();
  };
  DaemonLoop& loop = Start(hooks, WatchSchedule());
  EXPECT_EQ(loop.Run(), 0);
  std::lock_guard lock(mu);
  ASSERT_EQ(reports.size(), 2u);
  // Poll 1: one query sent (timed out), four not sent.
  ASSERT_EQ(reports[0].queries.size(), kWatchedServices.size());
  EXPECT_EQ(reports[0].queries[0].status.code(), StatusCode::kDeadlineExceeded);
  EXPECT_FALSE(reports[0].queries[0].skipped);
  for (size_t i = 1; i < reports[0].queries.size(); ++i) {
    EXPECT_TRUE(reports[0].queries[i].skipped) << i;
    EXPECT_FALSE(reports[0].queries[i].status.ok()) << i;
  }
  EXPECT_EQ(reports[0].next_poll, 40ms);  // backs off: the poll failed
  // Poll 2: every service queried, each from where poll 1 would have started it.
  ASSERT_EQ(sent.size(), 1 + kWatchedServices.size());
  for (size_t i = 0; i < kWatchedServices.size(); ++i) {
    EXPECT_EQ(sent[1 + i].service, reports[0].queries[i].window.service);
    EXPECT_EQ(sent[1 + i].from, reports[0].queries[i].window.from) << sent[1 + i].service;
    EXPECT_TRUE(reports[1].queries[i].status.ok());
  }
}

// A tick that falls in a poll stops the poll at the next query boundary: the sweep waits for
// one query, not for all of them.
TEST_F(DaemonLoopWatchTest, ATickDuringAPollStopsItBetweenQueries) {
  ScheduleOptions schedule = WatchSchedule();
  schedule.interval = 1s;
  DaemonLoop::Hooks hooks = RecordingHooks(r);
  std::atomic<int> first_service_queries{0};
  std::atomic<int> slow_reports{0};
  hooks.poll_audit = [&](const AuditWindow& w) -> Result<std::vector<AuditEvent>> {
    r.Enter();
    // Every query takes 300 ms from the third poll on: a whole poll would take 1.5 s.
    if (w.service == kWatchedServices[0]) ++first_service_queries;
    if (first_service_queries >= 3) std::this_thread::sleep_for(300ms);
    r.Leave();
    return std::vector<AuditEvent>{};
  };
  hooks.on_poll_done = [&](const WatchPollReport& report) {
    int skipped = 0;
    for (const auto& q : report.queries) skipped += q.skipped ? 1 : 0;
    if (skipped > 0) {
      ++slow_reports;
      for (const auto& q : report.queries) {
        if (q.skipped) {
          EXPECT_EQ(q.status.code(), StatusCode::kAborted);
        }
      }
    }
  };
  hooks.on_sweep_done = [&](const SweepReport&) {
    if (r.sweeps.load() == 2) Loop().Stop();
  };
  DaemonLoop& loop = Start(hooks, schedule);
  EXPECT_EQ(loop.Run(), 0);
  EXPECT_EQ(r.sweeps.load(), 2);
  EXPECT_GE(slow_reports.load(), 1);  // the tick cut a poll short
  EXPECT_FALSE(r.overlapped.load());
  std::lock_guard lock(r.mu);
  ASSERT_EQ(r.sweep_starts.size(), 2u);
  // The second sweep started at most one 300 ms query after its 1 s tick (generous slack).
  EXPECT_LT(r.sweep_starts[1] - r.sweep_starts[0], 1000ms + 300ms + 250ms);
}

TEST_F(DaemonLoopWatchTest, SighupTurnsWatchOnAndOff) {
  ScheduleOptions off = WatchSchedule();
  off.watch = 0ms;
  DaemonLoop::Hooks hooks = RecordingHooks(r);
  std::atomic<int> queries{0};
  std::atomic<int> reloads{0};
  hooks.poll_audit = [&](const AuditWindow&) -> Result<std::vector<AuditEvent>> {
    ++queries;
    return std::vector<AuditEvent>{};
  };
  hooks.reload = [&]() -> Result<ScheduleOptions> {
    return ++reloads == 1 ? WatchSchedule() : off;
  };
  std::atomic<int> polls_after_off{-1};
  hooks.on_sweep_done = [&](const SweepReport&) {
    std::thread([&] {
      std::this_thread::sleep_for(150ms);
      EXPECT_EQ(queries.load(), 0);  // watch off: no poll
      std::raise(SIGHUP);            // → on
      std::this_thread::sleep_for(200ms);
      EXPECT_GT(queries.load(), 0);
      std::raise(SIGHUP);  // → off
      std::this_thread::sleep_for(100ms);
      polls_after_off = queries.load();
      std::this_thread::sleep_for(200ms);
      Loop().Stop();
    }).detach();
  };
  DaemonLoop& loop = Start(hooks, off);
  EXPECT_EQ(loop.Run(), 0);
  EXPECT_EQ(reloads.load(), 2);
  EXPECT_EQ(queries.load(), polls_after_off.load());  // none after it was turned off
}

}  // namespace
}  // namespace divaudit::daemon
