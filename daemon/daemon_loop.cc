#include "daemon/daemon_loop.h"

#include <boost/asio/post.hpp>
#include <csignal>

#include "common/logging.h"
#include "common/time_util.h"

namespace divaudit::daemon {

namespace {
std::shared_ptr<spdlog::logger> Log() { return GetLogger("sched"); }

WatchOptions WatchOptionsOf(const ScheduleOptions& schedule) {
  WatchOptions o;
  o.watch = schedule.watch;
  o.settle = schedule.settle;
  o.min_interval = schedule.min_interval;
  return o;
}

const char* TriggerName(SweepTrigger::Kind kind) {
  switch (kind) {
    case SweepTrigger::Kind::kScheduled:
      return "schedule";
    case SweepTrigger::Kind::kRetry:
      return "retry";
    case SweepTrigger::Kind::kWatch:
      return "watch";
  }
  return "schedule";
}
}  // namespace

DaemonLoop::DaemonLoop(Hooks hooks, ScheduleOptions schedule, Notifier& notifier,
                       RandomSource& random, CancellationToken cancel)
    : hooks_(std::move(hooks)),
      schedule_(schedule),
      notifier_(notifier),
      random_(random),
      signals_(io_, SIGTERM, SIGINT, SIGHUP),
      tick_timer_(io_),
      watchdog_timer_(io_),
      poll_timer_(io_),
      trigger_timer_(io_),
      watch_(WatchOptionsOf(schedule_)),
      cancel_(std::move(cancel)) {
  // SIGUSR1/SIGUSR2 have no meaning for divaudit; their default action would end the daemon
  // without a word, so they are caught and logged instead.
  signals_.add(SIGUSR1);
  signals_.add(SIGUSR2);
}

DaemonLoop::~DaemonLoop() {
  cancel_.Cancel();
  if (worker_.joinable()) worker_.join();
}

int DaemonLoop::Run() {
  watchdog_interval_ = notifier_.WatchdogInterval();
  WaitSignals();
  ScheduleWatchdog();
  notifier_.Ready();
  notifier_.Status("starting first sweep");
  Log()->info("event=start interval_ms={} jitter_ms={}", schedule_.interval.count(),
              schedule_.jitter.count());
  boost::asio::post(io_, [this] { OnTick(); });
  if (WatchOn()) {
    Log()->info("event=watch_on watch_ms={} settle_ms={} min_interval_ms={}",
                schedule_.watch.count(), schedule_.settle.count(), schedule_.min_interval.count());
    ArmPoll(schedule_.watch);
  }
  io_.run();
  if (worker_.joinable()) worker_.join();
  Log()->info("event=stopped exit_code={}", exit_code_);
  return exit_code_;
}

void DaemonLoop::Stop() {
  boost::asio::post(io_, [this] { BeginShutdown(); });
}

void DaemonLoop::BeginShutdown() {
  if (stopping_) return;
  stopping_ = true;
  notifier_.Stopping();
  Log()->info("event=stopping sweep_running={}", gate_.running());
  cancel_.Cancel();
  tick_timer_.cancel();
  watchdog_timer_.cancel();
  poll_timer_.cancel();
  trigger_timer_.cancel();
  signals_.cancel();
  // With no sweep or poll running the loop has nothing left to wait for; otherwise OnSweepDone
  // (or OnPollDone) ends it.
  if (!gate_.running() && !polling_) io_.stop();
}

void DaemonLoop::WaitSignals() {
  signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
    if (ec) return;  // operation_aborted: shutting down
    if (sig == SIGHUP) {
      notifier_.Reloading();
      auto reloaded = hooks_.reload ? hooks_.reload() : Result<ScheduleOptions>(schedule_);
      if (reloaded.ok()) {
        const bool was_on = WatchOn();
        const auto old_period = schedule_.watch;
        schedule_ = *reloaded;
        Log()->info("event=reload status=ok interval_ms={} watch_ms={}", schedule_.interval.count(),
                    schedule_.watch.count());
        ApplyWatchOptions(was_on, old_period);
      } else {
        Log()->error("event=reload status=rejected err=\"{}\" (keeping the old configuration)",
                     reloaded.status().message());
      }
      notifier_.Ready();
      WaitSignals();
      return;
    }
    if (sig == SIGUSR1 || sig == SIGUSR2) {
      ++ignored_signals_;
      Log()->warn(
          "event=signal_ignored signal={} (no meaning for divaudit; SIGHUP reloads, "
          "SIGTERM stops)",
          sig == SIGUSR1 ? "SIGUSR1" : "SIGUSR2");
      WaitSignals();
      return;
    }
    Log()->info("event=signal signal={}", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    BeginShutdown();
  });
}

void DaemonLoop::ScheduleWatchdog() {
  if (!watchdog_interval_) return;
  notifier_.Watchdog();
  watchdog_timer_.expires_after(*watchdog_interval_ / 2);
  watchdog_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && !stopping_) ScheduleWatchdog();
  });
}

void DaemonLoop::ScheduleTick(std::chrono::milliseconds delay) {
  tick_timer_.expires_after(delay);
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && !stopping_) OnTick();
  });
}

void DaemonLoop::OnTick() {
  if (stopping_) return;
  const SweepTrigger trigger{
      retry_pending_ ? SweepTrigger::Kind::kRetry : SweepTrigger::Kind::kScheduled, std::nullopt};
  if (polling_) {
    // A poll holds the worker (and the API client): the sweep starts right after it.
    if (!sweep_waiting_) sweep_waiting_ = trigger;
    sweep_waiting_flag_ = true;
    return;
  }
  if (!gate_.TryStart()) {
    Log()->warn("event=tick_skipped reason=sweep_running skipped_total={}", gate_.skipped_ticks());
    if (hooks_.on_tick_skipped) hooks_.on_tick_skipped();
    ScheduleTick(NextTickDelay(schedule_, random_));
    return;
  }
  BeginSweep(trigger);
}

// The gate is taken. Every sweep, whatever started it, covers the changes known so far and
// restarts the interval.
void DaemonLoop::BeginSweep(SweepTrigger trigger) {
  retry_pending_ = false;
  watch_.OnSweepStarted(WallNow());
  trigger_timer_.cancel();
  if (trigger.kind == SweepTrigger::Kind::kWatch) {
    ++watch_sweeps_;
    Log()->info("event=watch_sweep first_event={}",
                trigger.first_event ? FormatIso8601(*trigger.first_event) : "");
  }
  if (hooks_.on_sweep_starting) hooks_.on_sweep_starting(trigger);
  Log()->debug("event=sweep_start trigger={}", TriggerName(trigger.kind));
  StartSweep();
  // The next regular tick is scheduled from the start of this one, not from its end.
  ScheduleTick(NextTickDelay(schedule_, random_));
}

bool DaemonLoop::WatchOn() const {
  return static_cast<bool>(hooks_.poll_audit) && schedule_.watch.count() > 0;
}

SystemTime DaemonLoop::WallNow() const {
  return hooks_.now ? hooks_.now() : std::chrono::system_clock::now();
}

void DaemonLoop::ApplyWatchOptions(bool was_on, std::chrono::milliseconds old_period) {
  watch_.set_options(WatchOptionsOf(schedule_));
  if (!WatchOn()) {
    if (was_on) Log()->info("event=watch_off");
    poll_timer_.cancel();
    trigger_timer_.cancel();
    poll_waiting_ = false;
    return;
  }
  if ((!was_on || old_period != schedule_.watch) && !polling_) ArmPoll(watch_.NextPollDelay());
  ArmTrigger();
}

void DaemonLoop::ArmPoll(std::chrono::milliseconds delay) {
  poll_timer_.expires_after(delay);
  poll_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && !stopping_) OnPollTimer();
  });
}

void DaemonLoop::OnPollTimer() {
  if (!WatchOn()) return;
  if (gate_.running()) {
    // Never during a sweep: the poll runs as soon as the sweep ends.
    poll_waiting_ = true;
    return;
  }
  StartPoll();
}

void DaemonLoop::StartPoll() {
  if (polling_ || stopping_) return;
  polling_ = true;
  ++polls_;
  std::vector<AuditWindow> windows = watch_.Windows(WallNow());
  if (worker_.joinable()) worker_.join();
  worker_ = std::thread([this, windows = std::move(windows)] {
    std::vector<WatchPollReport::Query> queries;
    auto events = std::make_shared<std::vector<std::vector<AuditEvent>>>();
    bool unwell = false;  // a query met a timeout, 5xx or 429: the rest wait for the next poll
    for (const AuditWindow& window : windows) {
      WatchPollReport::Query q;
      q.window = window;
      std::vector<AuditEvent> read;
      if (cancel_.cancelled()) {
        q.status = AbortedError("audit poll cancelled at shutdown");
      } else if (unwell || sweep_waiting_flag_) {
        q.skipped = true;
        q.status = AbortedError(unwell ? "not queried: an earlier query of this poll failed"
                                       : "not queried: a sweep is due");
      } else {
        try {
          auto result = hooks_.poll_audit(window);
          if (result.ok()) {
            read = std::move(result).value();
          } else {
            q.status = result.status();
            const StatusCode code = q.status.code();
            unwell = code == StatusCode::kDeadlineExceeded || code == StatusCode::kUnavailable ||
                     code == StatusCode::kResourceExhausted;
          }
        } catch (const std::exception& e) {
          q.status = InternalError(std::string("audit poll: unexpected error: ") + e.what());
        }
      }
      queries.push_back(std::move(q));
      events->push_back(std::move(read));
    }
    boost::asio::post(io_, [this, queries = std::move(queries), events]() mutable {
      for (size_t i = 0; i < queries.size(); ++i) {
        if (queries[i].status.ok()) {
          queries[i].outcome = watch_.OnPolled(queries[i].window, (*events)[i]);
        }
      }
      OnPollDone(std::move(queries));
    });
  });
}

void DaemonLoop::OnPollDone(std::vector<WatchPollReport::Query> queries) {
  polling_ = false;
  if (stopping_) {
    if (!gate_.running()) io_.stop();
    return;
  }
  bool all_ok = true;
  int triggering = 0;
  for (auto& q : queries) {
    if (!q.status.ok()) {
      if (!q.skipped) all_ok = false;
      watch_.OnPollFailed(q.window);
    }
    triggering += q.outcome.triggering;
  }
  watch_.OnPollFinished(all_ok);
  WatchPollReport report;
  report.queries = std::move(queries);
  report.next_poll = watch_.NextPollDelay();
  report.sweep_due = watch_.SweepDueAt();
  for (const auto& q : report.queries) {
    if (!q.status.ok() && !q.skipped) {
      Log()->warn(
          "event=audit_poll_failed service={} err=\"{}\" consecutive_failures={} next_poll_ms={}",
          q.window.service, q.status.message(), watch_.consecutive_poll_failures(),
          report.next_poll.count());
    }
  }
  if (triggering > 0 && report.sweep_due) {
    Log()->info("event=watch_change events={} sweep_due={}", triggering,
                FormatIso8601(*report.sweep_due));
  }
  if (hooks_.on_poll_done) hooks_.on_poll_done(report);
  if (WatchOn()) ArmPoll(report.next_poll);
  if (sweep_waiting_) {
    SweepTrigger trigger = *sweep_waiting_;
    sweep_waiting_.reset();
    sweep_waiting_flag_ = false;
    if (trigger.kind == SweepTrigger::Kind::kWatch) trigger.first_event = watch_.burst_start();
    if (gate_.TryStart()) BeginSweep(trigger);
    return;
  }
  ArmTrigger();
}

void DaemonLoop::ArmTrigger() {
  const std::optional<SystemTime> due = WatchOn() ? watch_.SweepDueAt() : std::nullopt;
  if (!due) {
    trigger_timer_.cancel();
    return;
  }
  const auto delay = std::max(std::chrono::milliseconds(0),
                              std::chrono::ceil<std::chrono::milliseconds>(*due - WallNow()));
  trigger_timer_.expires_after(delay);
  trigger_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && !stopping_) OnTrigger();
  });
}

void DaemonLoop::OnTrigger() {
  // A running sweep covered the burst when it started; after it, ArmTrigger looks again.
  if (gate_.running() || !watch_.SweepDueAt()) return;
  const SweepTrigger trigger{SweepTrigger::Kind::kWatch, watch_.burst_start()};
  if (polling_) {
    if (!sweep_waiting_) sweep_waiting_ = trigger;
    sweep_waiting_flag_ = true;
    return;
  }
  if (gate_.TryStart()) BeginSweep(trigger);
}

void DaemonLoop::StartSweep() {
  if (worker_.joinable()) worker_.join();
  notifier_.Status("sweep in progress");
  worker_ = std::thread([this] {
    SweepReport report;
    try {
      report = hooks_.run_sweep(cancel_);
    } catch (const std::exception& e) {
      // A sweep never takes the daemon down: record it as failed and go on.
      report.complete = false;
      report.summary = std::string("sweep failed: unexpected error: ") + e.what();
    }
    boost::asio::post(
        io_, [this, report = std::move(report)]() mutable { OnSweepDone(std::move(report)); });
  });
}

void DaemonLoop::OnSweepDone(SweepReport report) {
  gate_.Finish(report.complete);
  notifier_.Status(report.summary);
  if (hooks_.on_sweep_done) hooks_.on_sweep_done(report);
  if (report.fatal_exit && !stopping_) {
    Log()->error("event=stopping_fatal exit_code={} err=\"{}\"", *report.fatal_exit,
                 report.summary);
    exit_code_ = *report.fatal_exit;
    BeginShutdown();
    return;
  }
  if (stopping_) {
    io_.stop();
    return;
  }
  if (!report.complete) {
    const auto delay = RetryDelay(schedule_, gate_.consecutive_failures(), random_);
    Log()->warn("event=retry_scheduled consecutive_failures={} delay_ms={}",
                gate_.consecutive_failures(), delay.count());
    ScheduleTick(delay);
    retry_pending_ = true;
  }
  if (poll_waiting_ && WatchOn()) {
    poll_waiting_ = false;
    StartPoll();
  }
  ArmTrigger();
}

}  // namespace divaudit::daemon
