#pragma once

#include <utility>  // before Asio (Boost 1.74 under C++20)

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/cancellation.h"
#include "common/random.h"
#include "common/status.h"
#include "daemon/notifier.h"
#include "daemon/schedule.h"
#include "daemon/watch.h"

namespace divaudit::daemon {

// What one scheduled sweep reports back to the loop.
struct SweepReport {
  bool complete = false;  // false for partial and failed sweeps (retried with back-off)
  std::string summary;    // one line for STATUS= and the log
  // Set when no later sweep can succeed in this process (the database holds another org, or was
  // deleted or replaced under it): the loop stops and Run returns this exit code.
  std::optional<int> fatal_exit = std::nullopt;
};

// Why a sweep starts (handed to Hooks::on_sweep_starting).
struct SweepTrigger {
  enum class Kind { kScheduled, kRetry, kWatch };
  Kind kind = Kind::kScheduled;
  // kWatch: event time of the first change of the burst that triggered it.
  std::optional<SystemTime> first_event;
};

// One change-watch poll: each audit query's window, status and outcome.
struct WatchPollReport {
  struct Query {
    AuditWindow window;
    Status status;        // ok, or why the query failed (its window is read again next poll)
    PollOutcome outcome;  // when ok
    // Not sent (status kAborted, window read again next poll, not an error of its own): an
    // earlier query of this poll met a timeout, 5xx or 429 — the endpoint is unwell, and each
    // further query would hold the worker as long again — or a sweep became due meanwhile.
    bool skipped = false;
  };
  std::vector<Query> queries;
  std::chrono::milliseconds next_poll{0};  // delay until the next poll (backs off on errors)
  std::optional<SystemTime> sweep_due;     // a watch sweep is due then
};

// The long-running event loop of `divaudit run` (Boost.Asio, one thread):
//  - first sweep at start, then every interval ± jitter; a tick that finds a sweep running is
//    counted and skipped; failed or partial sweeps retry with back-off;
//  - sweeps run on a worker thread so the loop keeps answering signals and the watchdog;
//  - SIGHUP calls `reload` (an error keeps the old configuration; logged once);
//  - SIGUSR1 and SIGUSR2 are ignored with a warning line (their default action would kill it);
//  - SIGTERM/SIGINT cancel an in-flight sweep (its CancellationToken) and return once it has
//    wound down; the sweep job must not commit after cancellation;
//  - change watch (ScheduleOptions::watch > 0 and a poll_audit hook): every `watch` the loop
//    reads the audit trail (each query through poll_audit, on the worker thread: never during a
//    sweep, never two at once) and starts a sweep when WatchScheduler says one is due; a sweep
//    started so restarts the interval. A tick or watch sweep due during a poll starts right
//    after it (never lost, never doubled); a poll due during a sweep runs right after it.
//    Failed polls back off (WatchScheduler::NextPollDelay) and never touch the sweep schedule;
//  - sd_notify: READY=1 once Run starts (the caller starts the metrics endpoint first),
//    STATUS= after each sweep, WATCHDOG=1 at half the watchdog period, RELOADING=1, STOPPING=1.
// Run() blocks; Stop() may be called from any thread.
class DaemonLoop {
 public:
  struct Hooks {
    // Runs one sweep; called on the worker thread.
    std::function<SweepReport(const CancellationToken&)> run_sweep;
    // Re-reads the configuration; returns the new schedule or an error (old one kept).
    std::function<Result<ScheduleOptions>()> reload;
    // Called on the loop thread after each sweep (e.g. to count skipped ticks).
    std::function<void(const SweepReport&)> on_sweep_done;
    // Called on the loop thread when a tick is skipped because a sweep is running.
    std::function<void()> on_tick_skipped;
    // Change watch: reads one audit query (worker thread, never during a sweep). Unset: no watch.
    AuditPoll poll_audit;
    // Called on the loop thread after each change-watch poll.
    std::function<void(const WatchPollReport&)> on_poll_done;
    // Called on the loop thread just before a sweep starts on the worker thread.
    std::function<void(const SweepTrigger&)> on_sweep_starting;
    // Wall time for the watch's decisions (audit events carry wall time). Unset: system clock.
    std::function<SystemTime()> now;
  };

  // `cancel` is cancelled at shutdown and handed to every sweep (share it with the sweep job's
  // HTTP client so in-flight requests abort too).
  DaemonLoop(Hooks hooks, ScheduleOptions schedule, Notifier& notifier, RandomSource& random,
             CancellationToken cancel = CancellationToken());
  ~DaemonLoop();
  DaemonLoop(const DaemonLoop&) = delete;
  DaemonLoop& operator=(const DaemonLoop&) = delete;

  // Runs until a stop signal, Stop() or a fatal sweep; returns 0 on a clean stop, else the
  // sweep's fatal_exit.
  int Run();
  void Stop();
  int64_t skipped_ticks() const { return gate_.skipped_ticks(); }
  // SIGUSR1/SIGUSR2 received and ignored. Any thread.
  int ignored_signals() const { return ignored_signals_.load(); }
  // Sweeps started because of a change-watch event; polls run. Any thread.
  int64_t watch_sweeps() const { return watch_sweeps_.load(); }
  int64_t polls() const { return polls_.load(); }

 private:
  void ScheduleTick(std::chrono::milliseconds delay);
  void OnTick();
  void BeginSweep(SweepTrigger trigger);
  void StartSweep();
  bool WatchOn() const;
  SystemTime WallNow() const;
  void ArmPoll(std::chrono::milliseconds delay);
  void OnPollTimer();
  void StartPoll();
  void OnPollDone(std::vector<WatchPollReport::Query> queries);
  void ArmTrigger();
  void OnTrigger();
  void ApplyWatchOptions(bool was_on, std::chrono::milliseconds old_period);
  void OnSweepDone(SweepReport report);
  void WaitSignals();
  void ScheduleWatchdog();
  void BeginShutdown();

  Hooks hooks_;
  ScheduleOptions schedule_;
  Notifier& notifier_;
  RandomSource& random_;
  boost::asio::io_context io_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer tick_timer_;
  boost::asio::steady_timer watchdog_timer_;
  boost::asio::steady_timer poll_timer_;
  boost::asio::steady_timer trigger_timer_;
  SweepGate gate_;
  WatchScheduler watch_;
  bool polling_ = false;
  bool poll_waiting_ = false;  // a poll fell due during a sweep: run it after
  // A tick (or watch sweep) fell due during a poll: start it after the poll.
  std::optional<SweepTrigger> sweep_waiting_;
  // sweep_waiting_ is set; read by the poll on the worker thread to stop between queries.
  std::atomic<bool> sweep_waiting_flag_{false};
  bool retry_pending_ = false;  // the armed tick is a retry after a failed/partial sweep
  std::atomic<int64_t> watch_sweeps_{0};
  std::atomic<int64_t> polls_{0};
  CancellationToken cancel_;
  std::thread worker_;
  bool stopping_ = false;
  int exit_code_ = 0;
  std::atomic<int> ignored_signals_{0};
  std::optional<std::chrono::microseconds> watchdog_interval_;
};

}  // namespace divaudit::daemon
