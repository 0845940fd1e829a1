#include "daemon/daemon_loop.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <thread>

namespace divaudit::daemon {
namespace {

using namespace std::chrono_literals;

class RecordingNotifier : public Notifier {
 public:
  void Ready() override { ++ready; }
  void Status(std::string_view text) override {
    std::lock_guard lock(mu);
    last_status = std::string(text);
  }
  void Watchdog() override { ++watchdog; }
  void Reloading() override { ++reloading; }
  void Stopping() override { ++stopping; }
  std::optional<std::chrono::microseconds> WatchdogInterval() const override {
    return watchdog_interval;
  }
  std::atomic<int> ready{0}, watchdog{0}, reloading{0}, stopping{0};
  std::mutex mu;
  std::string last_status;
  std::optional<std::chrono::microseconds> watchdog_interval;
};

TEST(DaemonLoopTest, FirstSweepAtStartThenStopsCleanly) {
  RecordingNotifier notifier;
  SeededRandom random(1);
  ScheduleOptions schedule;
  schedule.interval = 1h;
  schedule.jitter = 0ms;
  DaemonLoop* loop_ptr = nullptr;
  std::atomic<int> sweeps{0};
  DaemonLoop::Hooks hooks;
  hooks.run_sweep = [&](const CancellationToken&) {
    ++sweeps;
    return SweepReport{true, "complete: 3 findings"};
  };
  hooks.on_sweep_done = [&](const SweepReport&) { loop_ptr->Stop(); };
  DaemonLoop loop(hooks, schedule, notifier, random);
  loop_ptr = &loop;
  EXPECT_EQ(loop.Run(), 0);
  EXPECT_EQ(sweeps.load(), 1);
  EXPECT_EQ(notifier.ready.load(), 1);
  EXPECT_EQ(notifier.stopping.load(), 1);
  EXPECT_EQ(notifier.last_status, "complete: 3 findings");
}

TEST(DaemonLoopTest, FatalSweepStopsTheLoopWithItsExitCode) {
  RecordingNotifier notifier;
  SeededRandom random(1);
  ScheduleOptions schedule;
  schedule.interval = 1h;
  schedule.jitter = 0ms;
  std::atomic<int> sweeps{0};
  DaemonLoop::Hooks hooks;
  hooks.run_sweep = [&](const CancellationToken&) {
    ++sweeps;
    SweepReport report{false, "last sweep failed: database audits another org"};
    report.fatal_exit = 1;
    return report;
  };
  DaemonLoop loop(hooks, schedule, notifier, random);
  EXPECT_EQ(loop.Run(), 1);  // no Stop(): the fatal sweep ends the loop, no retry
  EXPECT_EQ(sweeps.load(), 1);
  EXPECT_EQ(notifier.stopping.load(), 1);
}

TEST(DaemonLoopTest, StopCancelsInFlightSweepPromptly) {
  RecordingNotifier notifier;
  SeededRandom random(1);
  ScheduleOptions schedule;
  schedule.interval = 1h;
  std::atomic<bool> saw_cancel{false};
  DaemonLoop* loop_ptr = nullptr;
  DaemonLoop::Hooks hooks;
  hooks.run_sweep = [&](const CancellationToken& cancel) {
    loop_ptr->Stop();
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!cancel.cancelled() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(5ms);
    }
    saw_cancel = cancel.cancelled();
    return SweepReport{false, "failed: cancelled"};
  };
  DaemonLoop loop(hooks, schedule, notifier, random);
  loop_ptr = &loop;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(loop.Run(), 0);
  EXPECT_TRUE(saw_cancel.load());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(DaemonLoopTest, RejectedReloadKeepsRunningAndWatchdogPings) {
  RecordingNotifier notifier;
  notifier.watchdog_interval = 20ms;
  SeededRandom random(1);
  ScheduleOptions schedule;
  schedule.interval = 1h;
  std::atomic<int> reloads{0};
  std::atomic<int> sweeps{0};
  DaemonLoop* loop_ptr = nullptr;
  DaemonLoop::Hooks hooks;
  hooks.run_sweep = [&](const CancellationToken&) {
    ++sweeps;
    return SweepReport{true, "ok"};
  };
  hooks.reload = [&]() -> Result<ScheduleOptions> {
    ++reloads;
    return InvalidArgumentError("bad.toml:3:1: [schedule] interval: bad duration");
  };
  hooks.on_sweep_done = [&](const SweepReport&) {
    std::raise(SIGHUP);
    std::thread([&] {
      std::this_thread::sleep_for(200ms);
      loop_ptr->Stop();
    }).detach();
  };
  DaemonLoop loop(hooks, schedule, notifier, random);
  loop_ptr = &loop;
  EXPECT_EQ(loop.Run(), 0);
  EXPECT_EQ(reloads.load(), 1);
  EXPECT_EQ(notifier.reloading.load(), 1);
  EXPECT_EQ(sweeps.load(), 1);
  EXPECT_GE(notifier.watchdog.load(), 3);
}

// SIGUSR1/SIGUSR2 used to end the daemon silently (their default action).
TEST(DaemonLoopTest, UserSignalsAreIgnoredNotFatal) {
  RecordingNotifier notifier;
  SeededRandom random(1);
  ScheduleOptions schedule;
  schedule.interval = 1h;
  DaemonLoop* loop_ptr = nullptr;
  DaemonLoop::Hooks hooks;
  hooks.run_sweep = [&](const CancellationToken&) { return SweepReport{true, "ok"}; };
  hooks.on_sweep_done = [&](const SweepReport&) {
    std::raise(SIGUSR1);
    std::raise(SIGUSR2);
    // Bounded poll: stop once both were handled (or after 10 s, and the test fails).
    std::thread([&] {
      const auto deadline = std::chrono::steady_clock::now() + 10s;
      while (loop_ptr->ignored_signals() < 2 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(5ms);
      }
      loop_ptr->Stop();
    }).detach();
  };
  DaemonLoop loop(hooks, schedule, notifier, random);
  loop_ptr = &loop;
  EXPECT_EQ(loop.Run(), 0);
  EXPECT_EQ(loop.ignored_signals(), 2);
}

TEST(DaemonLoopTest, FailedSweepIsRetriedWithBackoffAndNeverCrashes) {
  RecordingNotifier notifier;
  SeededRandom random(1);
  ScheduleOptions schedule;
  schedule.interval = 1h;
  schedule.base_backoff = 1s;  // RetryDelay floors at 1 s
  std::atomic<int> sweeps{0};
  DaemonLoop* loop_ptr = nullptr;
  DaemonLoop::Hooks hooks;
  hooks.run_sweep = [&](const CancellationToken&) -> SweepReport {
    if (++sweeps == 1) throw std::runtime_error("boom");
    return SweepReport{true, "ok"};
  };
  hooks.on_sweep_done = [&](const SweepReport& r) {
    if (r.complete) loop_ptr->Stop();
  };
  DaemonLoop loop(hooks, schedule, notifier, random);
  loop_ptr = &loop;
  EXPECT_EQ(loop.Run(), 0);
  EXPECT_EQ(sweeps.load(), 2);
}

}  // namespace
}  // namespace divaudit::daemon
