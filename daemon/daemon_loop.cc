#include "daemon/daemon_loop.h"

#include <boost/asio/post.hpp>
#include <csignal>

#include "common/logging.h"

namespace divaudit::daemon {

namespace {
std::shared_ptr<spdlog::logger> Log() { return GetLogger("sched"); }
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
  signals_.cancel();
  // With no sweep running the loop has nothing left to wait for; otherwise OnSweepDone ends it.
  if (!gate_.running()) io_.stop();
}

void DaemonLoop::WaitSignals() {
  signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
    if (ec) return;  // operation_aborted: shutting down
    if (sig == SIGHUP) {
      notifier_.Reloading();
      auto reloaded = hooks_.reload ? hooks_.reload() : Result<ScheduleOptions>(schedule_);
      if (reloaded.ok()) {
        schedule_ = *reloaded;
        Log()->info("event=reload status=ok interval_ms={}", schedule_.interval.count());
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
  if (!gate_.TryStart()) {
    Log()->warn("event=tick_skipped reason=sweep_running skipped_total={}", gate_.skipped_ticks());
    if (hooks_.on_tick_skipped) hooks_.on_tick_skipped();
    ScheduleTick(NextTickDelay(schedule_, random_));
    return;
  }
  StartSweep();
  // The next regular tick is scheduled from the start of this one, not from its end.
  ScheduleTick(NextTickDelay(schedule_, random_));
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
  }
}

}  // namespace divaudit::daemon
