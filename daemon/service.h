#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/cancellation.h"
#include "common/clock.h"
#include "common/random.h"
#include "common/status.h"
#include "common/thread_annotations.h"
#include "config/config.h"
#include "daemon/daemon_loop.h"
#include "daemon/schedule.h"
#include "daemon/sweep_job.h"
#include "metrics/audit_metrics.h"
#include "metrics/metrics_server.h"
#include "storage/sqlite_snapshot_store.h"

namespace divaudit::daemon {

// The parts of `divaudit run` wired together: configuration, database, metrics (+ endpoint)
// and the sweep job, exposed as the hooks DaemonLoop calls. Shared by `run` and `demo`.
// Thread-safety: RunSweep runs on the loop's worker thread, Reload and TickSkipped on the loop
// thread, config() on any thread. The configuration is an immutable snapshot
// (shared_ptr<const Config>): Reload validates a new one and leaves it pending; the next sweep
// takes it at its start, under mu_, and uses that one snapshot throughout. A sweep already
// running keeps the snapshot it started with.
class Service {
 public:
  struct Options {
    std::string config_path;
    std::optional<std::string> metrics_listen;  // overrides [metrics] listen (demo)
    // The realtime audit query for the change watch ([schedule] watch); unset: no watch (a
    // configured watch is then logged as unavailable).
    AuditQuery audit_query;
  };

  // Loads the configuration, opens the database, restores the metrics of the last complete
  // sweep and starts the metrics endpoint. Errors carry exit-code meaning: kInvalidArgument,
  // kNotFound, kPermissionDenied → configuration; anything else → runtime.
  static Result<std::unique_ptr<Service>> Create(Options options, const Clock& clock,
                                                 RandomSource& random, CancellationToken cancel);

  // One scheduled sweep; never throws, never crashes the daemon.
  SweepReport RunSweep() EXCLUDES(mu_);
  // SIGHUP: re-reads and validates the configuration (and its secret, and its tenant patterns
  // against the divisions of the last sweep that listed them: two tenants claiming one division
  // is rejected here, not by every later sweep); errors keep the old one.
  Result<ScheduleOptions> Reload() EXCLUDES(mu_);
  void TickSkipped() { metrics_->SweepTickSkipped(); }
  // Fills the change-watch hooks of `hooks` (poll through the sweep job's API client, metrics,
  // the trigger of each sweep for divaudit_detection_seconds). No-op without an audit query.
  void AddWatchHooks(DaemonLoop::Hooks& hooks);
  // One audit query on the sweep job's client. Worker thread, never during a sweep.
  Result<std::vector<AuditEvent>> PollAudit(const AuditWindow& window);

  ScheduleOptions schedule() const EXCLUDES(mu_);
  int metrics_port() const { return metrics_server_->port(); }
  // The configuration of the last sweep that started (or the initial one).
  std::shared_ptr<const config::Config> config() const EXCLUDES(mu_);
  storage::SnapshotStore& store() { return *store_; }
  metrics::AuditMetrics& metrics() { return *metrics_; }
  // Called after each committed sweep on the worker thread (the demo prints from it).
  void set_on_sweep(std::function<void(const SweepJobOutput&)> f) { on_sweep_ = std::move(f); }

 private:
  Service(Options options, const Clock& clock, RandomSource& random, CancellationToken cancel);

  Options options_;
  const Clock& clock_;
  RandomSource& random_;
  // The snapshot a starting sweep adopts: the pending one if Reload left one, else the current.
  std::shared_ptr<const config::Config> TakePendingConfig() EXCLUDES(mu_);

  CancellationToken cancel_;
  mutable Mutex mu_;
  std::shared_ptr<const config::Config> config_ GUARDED_BY(mu_);
  std::shared_ptr<const config::Config> pending_config_ GUARDED_BY(mu_);
  // Divisions of the last sweep that listed them (the tenant map of a reload is checked on them).
  std::vector<audit::Division> last_divisions_ GUARDED_BY(mu_);
  std::unique_ptr<storage::SqliteSnapshotStore> store_;
  std::unique_ptr<metrics::AuditMetrics> metrics_;
  std::unique_ptr<metrics::MetricsServer> metrics_server_;
  std::unique_ptr<SweepJob> job_;  // worker thread only (RunSweep), after Create
  std::function<void(const SweepJobOutput&)> on_sweep_;
  // Why the running sweep started (loop thread writes before the sweep, worker reads).
  SweepTrigger trigger_ GUARDED_BY(mu_);
};

// divaudit_detection_seconds for the findings a sweep opened (new or reopened), finished at
// `opened_at`: per finding, from its changed_by event time when it has one; else, for a
// watch-triggered sweep, from the first change of the burst that triggered it. Returns the
// delays observed (seconds).
std::vector<double> DetectionDelays(const std::vector<audit::Finding>& opened,
                                    const SweepTrigger& trigger, SystemTime opened_at);

// "sweep #12 complete at 2026-11-23T08:01:10Z: 45 open, 1 suppressed, 2 new, 1 resolved,
// 734 API requests" — for STATUS= and logs.
std::string DescribeSweep(const SweepJobOutput& out);

}  // namespace divaudit::daemon
