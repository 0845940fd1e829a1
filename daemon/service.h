#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/cancellation.h"
#include "common/clock.h"
#include "common/random.h"
#include "common/status.h"
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
// thread; a reloaded configuration takes effect at the next sweep.
class Service {
 public:
  struct Options {
    std::string config_path;
    std::optional<std::string> metrics_listen;  // overrides [metrics] listen (demo)
  };

  // Loads the configuration, opens the database, restores the metrics of the last complete
  // sweep and starts the metrics endpoint. Errors carry exit-code meaning: kInvalidArgument,
  // kNotFound, kPermissionDenied → configuration; anything else → runtime.
  static Result<std::unique_ptr<Service>> Create(Options options, const Clock& clock,
                                                 RandomSource& random, CancellationToken cancel);

  // One scheduled sweep; never throws, never crashes the daemon.
  SweepReport RunSweep();
  // SIGHUP: re-reads and validates the configuration (and its secret); errors keep the old one.
  Result<ScheduleOptions> Reload();
  void TickSkipped() { metrics_->SweepTickSkipped(); }

  ScheduleOptions schedule() const;
  int metrics_port() const { return metrics_server_->port(); }
  const config::Config& config() const { return config_; }
  storage::SnapshotStore& store() { return *store_; }
  metrics::AuditMetrics& metrics() { return *metrics_; }
  // Called after each committed sweep on the worker thread (the demo prints from it).
  void set_on_sweep(std::function<void(const SweepJobOutput&)> f) { on_sweep_ = std::move(f); }

 private:
  Service(Options options, const Clock& clock, RandomSource& random, CancellationToken cancel);

  Options options_;
  const Clock& clock_;
  RandomSource& random_;
  CancellationToken cancel_;
  config::Config config_;
  std::unique_ptr<storage::SqliteSnapshotStore> store_;
  std::unique_ptr<metrics::AuditMetrics> metrics_;
  std::unique_ptr<metrics::MetricsServer> metrics_server_;
  std::unique_ptr<SweepJob> job_;
  std::mutex pending_mu_;
  std::optional<config::Config> pending_config_;
  std::function<void(const SweepJobOutput&)> on_sweep_;
};

// "sweep #12 complete at 2026-11-23T08:01:10Z: 45 open, 1 suppressed, 2 new, 1 resolved,
// 734 API requests" — for STATUS= and logs.
std::string DescribeSweep(const SweepJobOutput& out);

}  // namespace divaudit::daemon
