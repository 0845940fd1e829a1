#include "daemon/service.h"

#include "common/logging.h"
#include "common/time_util.h"
#include "config/loader.h"
#include "config/regions.h"
#include "daemon/sweep_log.h"

namespace divaudit::daemon {
namespace {

std::shared_ptr<spdlog::logger> Log() { return GetLogger("sweep"); }

std::map<audit::Rule, int64_t> ByRule(const std::map<std::string, int64_t>& by_name) {
  std::map<audit::Rule, int64_t> out;
  for (const auto& [name, n] : by_name) {
    if (auto rule = audit::RuleFromName(name)) out[*rule] += n;
  }
  return out;
}

ScheduleOptions ScheduleOf(const config::Config& config) {
  ScheduleOptions s;
  s.interval = config.schedule.interval;
  s.jitter = config.schedule.jitter;
  s.max_backoff = std::min(s.max_backoff, config.schedule.interval);
  s.watch = config.schedule.watch;
  s.settle = config.schedule.settle;
  s.min_interval = config.schedule.min_interval;
  return s;
}

// The region label of divaudit_org_info: [genesys] region, or the API host when api_base_url
// points elsewhere than the region's (a simulator, a proxy).
std::string MetricsRegion(const config::GenesysConfig& genesys) {
  auto hosts = config::HostsForRegion(genesys.region);
  if (hosts.ok() && (genesys.api_base_url.empty() || genesys.api_base_url == hosts->api_base_url)) {
    return genesys.region;
  }
  std::string host = genesys.api_base_url.substr(genesys.api_base_url.find("://") + 3);
  return host.substr(0, host.find('/'));
}

// divaudit_changed_by_total for the findings this sweep opened (see SweepJobOutput::changed_by).
void RecordChangedByMetric(metrics::AuditMetrics& metrics, const genesys::ChangedByLookup& l) {
  using Outcome = genesys::ChangedByLookup::Outcome;
  switch (l.outcome) {
    case Outcome::kNotNeeded:
      return;
    case Outcome::kFirstSweep:
      metrics.AddChangedBy("first_sweep", l.unattributed);
      return;
    case Outcome::kLookedUp:
      metrics.AddChangedBy("attributed", l.attributed);
      metrics.AddChangedBy("no_event", l.unattributed);
      return;
    case Outcome::kForbidden:
      metrics.AddChangedBy("forbidden", l.unattributed);
      return;
    case Outcome::kFailed:
      metrics.AddChangedBy("error", l.unattributed);
      return;
  }
}

}  // namespace

std::string DescribeSweep(const SweepJobOutput& out) {
  int64_t open = 0, suppressed = 0;
  for (const auto& f : out.audit.findings) {
    (f.state == audit::FindingState::kSuppressed ? suppressed : open)++;
  }
  std::string s = "sweep #" + std::to_string(out.info.id) + " " +
                  std::string(audit::SweepStatusName(out.info.status)) + " at " +
                  FormatIso8601(FromUnixSeconds(out.info.finished_at_unix)) + ": " +
                  std::to_string(open) + " open, " + std::to_string(suppressed) + " suppressed";
  if (out.commit) {
    s += ", " +
         std::to_string(out.commit->new_findings.size() + out.commit->reopened_findings.size()) +
         " new, " + std::to_string(out.commit->resolved_findings.size()) + " resolved";
  }
  s += ", " + std::to_string(out.info.api_requests) + " API requests";
  if (!out.info.incomplete.empty()) s += "; incomplete: " + out.info.incomplete.front();
  return s;
}

std::vector<double> DetectionDelays(const std::vector<audit::Finding>& opened,
                                    const SweepTrigger& trigger, SystemTime opened_at) {
  std::vector<double> out;
  for (const audit::Finding& f : opened) {
    std::optional<SystemTime> changed;
    if (f.changed_by) {
      if (auto at = ParseIso8601(f.changed_by->at); at.ok()) changed = *at;
    }
    if (!changed && trigger.kind == SweepTrigger::Kind::kWatch) changed = trigger.first_event;
    if (!changed) continue;
    out.push_back(std::chrono::duration<double>(opened_at - *changed).count());
  }
  return out;
}

Service::Service(Options options, const Clock& clock, RandomSource& random,
                 CancellationToken cancel)
    : options_(std::move(options)), clock_(clock), random_(random), cancel_(std::move(cancel)) {}

Result<std::unique_ptr<Service>> Service::Create(Options options, const Clock& clock,
                                                 RandomSource& random, CancellationToken cancel) {
  std::unique_ptr<Service> s(new Service(std::move(options), clock, random, std::move(cancel)));
  DIVAUDIT_ASSIGN_OR_RETURN(config::Config loaded, config::LoadConfigFile(s->options_.config_path));
  for (const auto& warning : loaded.warnings) {
    GetLogger("config")->warn("event=config_warning {}", warning);
  }
  auto config = std::make_shared<const config::Config>(std::move(loaded));
  DIVAUDIT_ASSIGN_OR_RETURN(s->store_,
                            storage::SqliteSnapshotStore::Open(config->storage.path, clock));
  DIVAUDIT_ASSIGN_OR_RETURN(s->job_,
                            SweepJob::Create(config, *s->store_, clock, random, s->cancel_));
  std::vector<audit::Division> divisions;
  if (auto last = s->store_->LastCompleteSweep(); last.ok()) {
    if (auto read = s->store_->DivisionsAt(last->info.id); read.ok()) divisions = std::move(*read);
  }
  {
    MutexLock lock(s->mu_);
    s->config_ = config;
    s->last_divisions_ = std::move(divisions);
  }
  s->metrics_ = std::make_unique<metrics::AuditMetrics>(
      DIVAUDIT_VERSION_STRING, metrics::AuditMetricsOptions{MetricsRegion(config->genesys)});
  s->metrics_->SetSweepInterval(
      std::chrono::duration_cast<std::chrono::seconds>(config->schedule.interval));
  // Restore what the last complete sweep established, so a restart does not blank the gauges.
  if (auto last = s->store_->LastCompleteSweep(); last.ok()) {
    storage::FindingFilter filter;
    filter.states = {audit::FindingState::kOpen, audit::FindingState::kSuppressed};
    DIVAUDIT_ASSIGN_OR_RETURN(auto records, s->store_->QueryFindings(filter));
    std::vector<audit::Finding> findings;
    findings.reserve(records.size());
    for (auto& r : records) findings.push_back(std::move(r.finding));
    s->metrics_->RestoreLastComplete(last->info.finished_at_unix, findings);
    s->metrics_->SetOrgInfo(last->info.org_id, last->info.org_name);
  }
  metrics::MetricsServerOptions server;
  server.listen = s->options_.metrics_listen.value_or(config->metrics.listen);
  server.basic_auth_user = config->metrics.basic_auth_user;
  server.basic_auth_password_file = config->metrics.basic_auth_password_file;
  server.tls_cert_file = config->metrics.tls_cert_file;
  server.tls_key_file = config->metrics.tls_key_file;
  server.tls_client_ca_file = config->metrics.tls_client_ca_file;
  DIVAUDIT_ASSIGN_OR_RETURN(s->metrics_server_,
                            metrics::MetricsServer::Start(server, s->metrics_->Collectable()));
  GetLogger("metrics")->info("event=metrics_listening listen={} port={} tls={}", server.listen,
                             s->metrics_server_->port(), s->metrics_server_->tls());
  return s;
}

void Service::AddWatchHooks(DaemonLoop::Hooks& hooks) {
  if (!options_.audit_query) {
    if (config()->schedule.watch.count() > 0) {
      GetLogger("sched")->warn(
          "event=watch_unavailable reason=\"no realtime audit client in this build\" "
          "(sweeps run on the interval only)");
    }
    return;
  }
  hooks.poll_audit = [this](const AuditWindow& window) { return PollAudit(window); };
  hooks.on_poll_done = [this](const WatchPollReport& report) {
    for (const auto& q : report.queries) {
      if (q.skipped) continue;  // not sent: neither read nor failed
      if (q.status.ok()) {
        metrics_->AuditEventsRead(q.window.service, q.outcome.new_events);
      } else {
        metrics_->AuditPollFailed(q.window.service, AuditPollErrorReason(q.status));
      }
    }
  };
  hooks.on_sweep_starting = [this](const SweepTrigger& trigger) {
    MutexLock lock(mu_);
    trigger_ = trigger;
  };
  const Clock* clock = &clock_;
  hooks.now = [clock] { return clock->Now(); };
}

Result<std::vector<AuditEvent>> Service::PollAudit(const AuditWindow& window) {
  return options_.audit_query(job_->client(), window, AuditPollTimeout(config()->genesys.timeout));
}

std::shared_ptr<const config::Config> Service::config() const {
  MutexLock lock(mu_);
  return config_;
}

ScheduleOptions Service::schedule() const { return ScheduleOf(*config()); }

Result<ScheduleOptions> Service::Reload() {
  DIVAUDIT_ASSIGN_OR_RETURN(config::Config next, config::LoadConfigFile(options_.config_path));
  DIVAUDIT_RETURN_IF_ERROR(ResolveClientSecret(next.genesys).status());
  std::shared_ptr<const config::Config> current;
  std::vector<audit::Division> divisions;
  {
    MutexLock lock(mu_);
    current = config_;
    divisions = last_divisions_;
  }
  if (next.storage.path != current->storage.path) {
    return InvalidArgumentError(options_.config_path +
                                ": [storage] path cannot change on reload; restart divaudit");
  }
  DIVAUDIT_RETURN_IF_ERROR(CheckTenantMap(next, divisions));
  if (next.metrics.listen != current->metrics.listen && !options_.metrics_listen) {
    Log()->warn("event=reload_note [metrics] listen changed; it takes effect at restart");
  }
  for (const auto& warning : next.warnings) {
    GetLogger("config")->warn("event=config_warning {}", warning);
  }
  const ScheduleOptions schedule = ScheduleOf(next);
  metrics_->SetSweepInterval(
      std::chrono::duration_cast<std::chrono::seconds>(next.schedule.interval));
  MutexLock lock(mu_);
  pending_config_ = std::make_shared<const config::Config>(std::move(next));
  return schedule;
}

std::shared_ptr<const config::Config> Service::TakePendingConfig() {
  MutexLock lock(mu_);
  std::shared_ptr<const config::Config> pending = std::move(pending_config_);
  pending_config_.reset();
  return pending;
}

SweepReport Service::RunSweep() {
  // The configuration snapshot of this sweep: adopted once, here, and used throughout.
  if (std::shared_ptr<const config::Config> pending = TakePendingConfig()) {
    auto job = SweepJob::Create(pending, *store_, clock_, random_, cancel_);
    if (job.ok()) {
      job_ = std::move(job).value();
      MutexLock lock(mu_);
      config_ = std::move(pending);
    } else {
      Log()->error("event=reload_failed err=\"{}\" (keeping the old configuration)",
                   job.status().message());
    }
  }
  metrics_->SweepStarted();
  const int64_t started = ToUnixSeconds(clock_.Now());
  const SteadyTime steady_start = clock_.SteadyNow();  // durations: monotonic, sub-second
  SweepProgressLog progress(clock_, kSweepProgressLogInterval);
  auto out = job_->Run(std::ref(progress));
  const auto duration = clock_.SteadyNow() - steady_start;
  const double duration_seconds = std::chrono::duration<double>(duration).count();
  if (!out.ok()) {
    if (out.status().code() == StatusCode::kAborted) {
      return SweepReport{false, "sweep aborted at shutdown; nothing committed"};
    }
    // Nothing was committed (the store failed, or the tenant map no longer fits the org):
    // still count a failed sweep so alerts see it.
    Log()->error("event=sweep_failed err=\"{}\"", out.status().message());
    Log()->warn("event=sweep_done status=failed duration_ms={}", FormatMillis(duration));
    metrics::SweepOutcomeForMetrics failed;
    failed.sweep.status = audit::SweepStatus::kFailed;
    failed.sweep.started_at_unix = started;
    failed.sweep.finished_at_unix = ToUnixSeconds(clock_.Now());
    failed.duration_seconds = duration_seconds;
    metrics_->RecordSweep(failed);
    SweepReport report{false, "last sweep failed: " + out.status().message()};
    // The database refused the commit for good (another org's database, or the file was deleted
    // or replaced under this process): retrying cannot help; stop so that it is seen.
    if (out.status().code() == StatusCode::kFailedPrecondition ||
        out.status().code() == StatusCode::kDataLoss) {
      report.fatal_exit = 1;
    }
    return report;
  }
  metrics::SweepOutcomeForMetrics m;
  m.sweep = out->info;
  m.findings = out->audit.findings;
  if (out->commit) {
    m.newly_opened = ByRule(out->commit->new_by_rule);
    m.newly_resolved = ByRule(out->commit->resolved_by_rule);
    std::vector<audit::Finding> opened = out->commit->new_findings;
    opened.insert(opened.end(), out->commit->reopened_findings.begin(),
                  out->commit->reopened_findings.end());
    SweepTrigger trigger;
    {
      MutexLock lock(mu_);
      trigger = trigger_;
    }
    for (double delay : DetectionDelays(opened, trigger, clock_.Now())) {
      metrics_->ObserveDetection(delay);
    }
  }
  if (out->info.status == audit::SweepStatus::kComplete) {
    m.org_objects = metrics::CountOrgObjects(out->snapshot);
  }
  m.api_requests_by_route_and_code = out->api_stats.by_route_and_code;
  m.api_throttled_by_route = out->api_stats.throttled_by_route;
  if (out->info.status != audit::SweepStatus::kFailed) {
    int64_t active = 0, expired = 0;
    for (const auto& e : out->audit.exceptions) (e.active ? active : expired)++;
    m.exceptions_active = active;
    m.exceptions_expired = expired;
  }
  m.duration_seconds = duration_seconds;
  m.org_settings = out->snapshot.role_settings;
  metrics_->RecordSweep(m);
  RecordChangedByMetric(*metrics_, out->changed_by);
  if (out->evidence_available) metrics_->RecordEvidence(*out->evidence_available, out->evidence);
  const std::string summary = DescribeSweep(*out);
  if (out->info.status == audit::SweepStatus::kFailed) {
    // Authentication, network or API failures: committed as a failed sweep.
    Log()->error("event=sweep_failed sweep_id={} err=\"{}\"", out->info.id,
                 SweepFailureCause(out->info));
  }
  Log()->log(
      out->info.status == audit::SweepStatus::kComplete ? spdlog::level::info : spdlog::level::warn,
      "event=sweep_done {}", SweepDoneFields(*out, duration));
  if (out->info.status == audit::SweepStatus::kComplete) {
    MutexLock lock(mu_);
    last_divisions_ = out->snapshot.divisions;
  }
  if (on_sweep_) on_sweep_(*out);
  return SweepReport{out->info.status == audit::SweepStatus::kComplete, summary};
}

}  // namespace divaudit::daemon
