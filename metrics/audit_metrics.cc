#include "metrics/audit_metrics.h"

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <set>

#include "common/display_text.h"
#include "metrics/process_collector.h"

namespace divaudit::metrics {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

// The registry plus the mutex that serializes updates against scrapes. Shared with exposers,
// which hold it weakly.
class AuditMetrics::LockedRegistry : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override {
    std::vector<prometheus::MetricFamily> families;
    {
      std::lock_guard<std::mutex> lock(mu);
      families = registry.Collect();
    }
    if (process) {
      for (auto& f : process->Collect()) families.push_back(std::move(f));
    }
    return families;
  }
  mutable std::mutex mu;
  prometheus::Registry registry;
  std::unique_ptr<ProcessCollector> process;  // set once, before sharing
};

namespace {

using audit::kAllRules;
constexpr audit::SweepStatus kAllStatuses[] = {
    audit::SweepStatus::kComplete, audit::SweepStatus::kPartial, audit::SweepStatus::kFailed};

std::string Str(std::string_view s) { return std::string(s); }

// The route templates the sweep requests (genesys/README.md): their throttling counters exist
// from the start at 0, so rate() and increase() see the first 429.
constexpr const char* kKnownApiRoutes[] = {"/api/v2/authorization/divisions",
                                           "/api/v2/authorization/divisionspermitted/paged/me",
                                           "/api/v2/authorization/roles",
                                           "/api/v2/authorization/roles/{roleId}/subjectgrants",
                                           "/api/v2/groups",
                                           "/api/v2/groups/{groupId}/members",
                                           "/api/v2/oauth/clients",
                                           "/api/v2/organizations/me",
                                           "/api/v2/users",
                                           "/api/v2/users/query",
                                           "/api/v2/authorization/permissions",
                                           "/api/v2/authorization/roles/settings"};

// Suited to sweeps from a tenth of a second (a small org, or the simulator) to two hours (a very
// large org paced at a low request budget).
const prometheus::Histogram::BucketBoundaries& DurationBuckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 900, 1800, 3600, 5400, 7200};
  return kBuckets;
}

// Audit event → finding opened: from a watch-triggered sweep of a small org (seconds) to the
// next regular sweep of a large one (hours).
const prometheus::Histogram::BucketBoundaries& DetectionBuckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600, 900, 1800, 3600, 7200, 14400};
  return kBuckets;
}

// The audit services the change watch polls (daemon/watch.h): series exist from the start.
constexpr const char* kAuditServices[] = {"PeoplePermissions", "Groups", "Directory",
                                          "ContactCenter", "OAuthClient"};

}  // namespace

std::string SanitizeLabelValue(std::string_view value) {
  constexpr size_t kMaxBytes = 256;
  std::string out;
  size_t i = 0;
  while (i < value.size()) {
    const auto b = static_cast<unsigned char>(value[i]);
    size_t len = b < 0x80           ? 1
                 : (b >> 5) == 0x6  ? 2
                 : (b >> 4) == 0xE  ? 3
                 : (b >> 3) == 0x1E ? 4
                                    : 0;
    uint32_t cp = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
    bool valid = len > 0 && i + len <= value.size();
    for (size_t k = 1; valid && k < len; ++k) {
      const auto c = static_cast<unsigned char>(value[i + k]);
      if ((c & 0xC0) != 0x80) valid = false;
      cp = (cp << 6) | (c & 0x3F);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are invalid too.
    if (valid &&
        ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
         (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))) {
      valid = false;
    }
    if (!valid) {
      ++i;  // drop one byte and resynchronise
      continue;
    }
    const bool control = cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F);
    const bool bidi = cp == 0x061C || cp == 0x200E || cp == 0x200F ||
                      (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
    if (!control && !bidi) {
      if (out.size() + len > kMaxBytes) break;
      out.append(value.substr(i, len));
    }
    i += len;
  }
  return out;
}

OrgObjectCounts CountOrgObjects(const audit::OrgSnapshot& snapshot) {
  OrgObjectCounts counts;
  counts.divisions = static_cast<int64_t>(snapshot.divisions.size());
  counts.users = static_cast<int64_t>(snapshot.users.size());
  counts.groups = static_cast<int64_t>(snapshot.groups.size());
  counts.roles = static_cast<int64_t>(snapshot.roles.size());
  counts.oauth_clients = static_cast<int64_t>(snapshot.oauth_clients.size());
  counts.grants = static_cast<int64_t>(snapshot.grants.size());
  return counts;
}

// Tenant labels may carry division names from the org (no tenant map configured): control and
// bidirectional-override characters become U+FFFD so that a name cannot disguise a series on a
// dashboard or in an alert.
std::string FindingTenantLabel(const audit::Finding& finding) {
  if (finding.tenant.has_value() && !finding.tenant->empty()) {
    return NeutraliseDisplayText(*finding.tenant);
  }
  if (finding.home_tenant.has_value() && !finding.home_tenant->empty()) {
    return NeutraliseDisplayText(*finding.home_tenant);
  }
  return "none";
}

AuditMetrics::AuditMetrics(std::string version, AuditMetricsOptions options)
    : locked_(std::make_shared<LockedRegistry>()),
      mu_(locked_->mu),
      registry_(locked_->registry),
      findings_(BuildGauge()
                    .Name("divaudit_findings")
                    .Help("Current findings by rule, severity, tenant and state (open or "
                          "suppressed); set only by complete sweeps")
                    .Register(registry_)),
      findings_new_(BuildCounter()
                        .Name("divaudit_findings_new_total")
                        .Help("Findings opened (first seen, or seen again after resolution)")
                        .Register(registry_)),
      findings_resolved_(BuildCounter()
                             .Name("divaudit_findings_resolved_total")
                             .Help("Findings resolved by a complete sweep")
                             .Register(registry_)),
      cross_tenant_users_(BuildGauge()
                              .Name("divaudit_cross_tenant_users")
                              .Help("Distinct users with an open cross_tenant finding, by the "
                                    "user's home tenant and the tenant reached")
                              .Register(registry_)),
      sweeps_(BuildCounter()
                  .Name("divaudit_sweeps_total")
                  .Help("Sweeps finished, by status (complete, partial, failed)")
                  .Register(registry_)),
      sweep_duration_(BuildHistogram()
                          .Name("divaudit_sweep_duration_seconds")
                          .Help("Wall-clock duration of sweeps (every status)")
                          .Register(registry_)),
      last_sweep_(BuildGauge()
                      .Name("divaudit_last_sweep_timestamp_seconds")
                      .Help("Unix time the last sweep (any status) finished; 0 before the first")
                      .Register(registry_)),
      last_complete_sweep_(BuildGauge()
                               .Name("divaudit_last_complete_sweep_timestamp_seconds")
                               .Help("Unix time the last complete sweep finished; 0 before the "
                                     "first")
                               .Register(registry_)),
      in_progress_(BuildGauge()
                       .Name("divaudit_sweep_in_progress")
                       .Help("1 while a sweep is running, else 0")
                       .Register(registry_)),
      coverage_(BuildGauge()
                    .Name("divaudit_coverage_ratio")
                    .Help("Divisions visible to divaudit's OAuth client / all divisions, from "
                          "the last complete or partial sweep")
                    .Register(registry_)),
      api_requests_(BuildCounter()
                        .Name("divaudit_api_requests_total")
                        .Help("Genesys Cloud API requests by route template and HTTP status "
                              "(\"error\": no response)")
                        .Register(registry_)),
      api_throttled_(BuildCounter()
                         .Name("divaudit_api_throttled_total")
                         .Help("HTTP 429 responses from the Genesys Cloud API by route template")
                         .Register(registry_)),
      org_objects_(BuildGauge()
                       .Name("divaudit_org_objects")
                       .Help("Objects read by the last complete sweep, by kind")
                       .Register(registry_)),
      exceptions_(BuildGauge()
                      .Name("divaudit_exceptions")
                      .Help("Configured exceptions by state (active, expired)")
                      .Register(registry_)),
      build_info_(BuildGauge()
                      .Name("divaudit_build_info")
                      .Help("Always 1; the version label names the running build")
                      .Register(registry_)),
      ticks_skipped_(BuildCounter()
                         .Name("divaudit_sweep_ticks_skipped_total")
                         .Help("Scheduled sweeps skipped because the previous one was still "
                               "running")
                         .Register(registry_)),
      sweep_interval_(BuildGauge()
                          .Name("divaudit_sweep_interval_seconds")
                          .Help("Configured interval between sweeps")
                          .Register(registry_)),
      org_info_(BuildGauge()
                    .Name("divaudit_org_info")
                    .Help("Always 1; the organisation this daemon audits (from "
                          "GET /api/v2/organizations/me) and the configured region")
                    .Register(registry_)),
      org_setting_(BuildGauge()
                       .Name("divaudit_org_setting")
                       .Help("Org role settings as the last sweep that read them saw them (1 on, "
                             "0 off): authorization_grant_division_aware, backfill_enabled")
                       .Register(registry_)),
      audit_events_(BuildCounter()
                        .Name("divaudit_audit_events_total")
                        .Help("Audit trail events read by the change watch (each event once), "
                              "by audit service")
                        .Register(registry_)),
      audit_poll_errors_(BuildCounter()
                             .Name("divaudit_audit_poll_errors_total")
                             .Help("Failed change-watch audit queries by audit service and reason "
                                   "(throttled, forbidden, timeout, unavailable, other)")
                             .Register(registry_)),
      detection_(BuildHistogram()
                     .Name("divaudit_detection_seconds")
                     .Help("Delay from an audit event (a change) to the finding it opened")
                     .Register(registry_)),
      region_(SanitizeLabelValue(options.region)) {
  if (!options.proc_root.empty()) {
    locked_->process = std::make_unique<ProcessCollector>(options.proc_root);
  }
  std::lock_guard<std::mutex> lock(mu_);
  // Series that exist from the start, so that rates and "never happened" alerts work.
  for (audit::Rule rule : kAllRules) {
    findings_new_.Add({{"rule", Str(audit::RuleName(rule))}});
    findings_resolved_.Add({{"rule", Str(audit::RuleName(rule))}});
  }
  for (audit::SweepStatus status : kAllStatuses) {
    sweeps_.Add({{"status", Str(audit::SweepStatusName(status))}});
  }
  sweep_duration_.Add({}, DurationBuckets());
  last_sweep_.Add({}).Set(0);
  last_complete_sweep_.Add({}).Set(0);
  in_progress_.Add({}).Set(0);
  exceptions_.Add({{"state", "active"}}).Set(0);
  exceptions_.Add({{"state", "expired"}}).Set(0);
  build_info_.Add({{"version", std::move(version)}}).Set(1);
  ticks_skipped_.Add({});
  for (const char* route : kKnownApiRoutes) api_throttled_.Add({{"endpoint", route}});
  // From the start, with empty org labels until a sweep reads the org: dashboards and alert
  // rules join on it, and a join with a missing series would hide the daemon's metrics.
  org_info_series_ = &org_info_.Add({{"org_id", ""}, {"org_name", ""}, {"region", region_}});
  org_info_series_->Set(1);
  changed_by_ = &BuildCounter()
                     .Name("divaudit_changed_by_total")
                     .Help(
                         "Findings opened, by whether the audit trail named who changed it "
                         "(attributed) or why changed_by is null (no_event, first_sweep, "
                         "forbidden, error)")
                     .Register(registry_);
  for (const char* result : {"attributed", "no_event", "first_sweep", "forbidden", "error"}) {
    changed_by_->Add({{"result", result}});
  }
  for (const char* service : kAuditServices) audit_events_.Add({{"service", service}});
  detection_.Add({}, DetectionBuckets());
  cross_tenant_conversations_ =
      &BuildCounter()
           .Name("divaudit_cross_tenant_conversations_total")
           .Help(
               "Conversations (analytics details) whose divisions touched both tenants of the "
               "pair, counted once each when first recorded")
           .Register(registry_);
  evidence_available_ = &BuildGauge()
                             .Name("divaudit_evidence_available")
                             .Help(
                                 "1 when the last sweep could read conversation evidence, 0 when "
                                 "the API refused it (analytics:conversationDetail:view missing)")
                             .Register(registry_);
}

AuditMetrics::~AuditMetrics() = default;

void AuditMetrics::AuditEventsRead(const std::string& service, int64_t n) {
  if (n <= 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  audit_events_.Add({{"service", service}}).Increment(static_cast<double>(n));
}

void AuditMetrics::AuditPollFailed(const std::string& service, const std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  audit_poll_errors_.Add({{"service", service}, {"reason", reason}}).Increment();
}

void AuditMetrics::ObserveDetection(double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  detection_.Add({}, DetectionBuckets()).Observe(std::max(0.0, seconds));
}

void AuditMetrics::SweepStarted() {
  std::lock_guard<std::mutex> lock(mu_);
  in_progress_.Add({}).Set(1);
}

void AuditMetrics::SetOrgInfo(const std::string& org_id, const std::string& org_name) {
  std::lock_guard<std::mutex> lock(mu_);
  SetOrgInfoLocked(org_id, org_name);
}

void AuditMetrics::SetOrgInfoLocked(const std::string& org_id, const std::string& org_name) {
  if (org_id.empty() && org_name.empty()) return;
  const Labels labels = {{"org_id", SanitizeLabelValue(org_id)},
                         {"org_name", SanitizeLabelValue(org_name)},
                         {"region", region_}};
  if (org_info_series_ != nullptr && !org_info_.Has(labels)) {  // the org changed
    org_info_.Remove(org_info_series_);
    org_info_series_ = nullptr;
  }
  org_info_series_ = &org_info_.Add(labels);
  org_info_series_->Set(1);
}

void AuditMetrics::SweepTickSkipped() {
  std::lock_guard<std::mutex> lock(mu_);
  ticks_skipped_.Add({}).Increment();
}

void AuditMetrics::RecordEvidence(bool available,
                                  const std::vector<audit::ConversationEvidence>& recorded) {
  std::lock_guard<std::mutex> lock(mu_);
  evidence_available_->Add({}).Set(available ? 1 : 0);
  for (const audit::ConversationEvidence& e : recorded) {
    for (const auto& [a, b] : audit::TenantPairs(e)) {
      cross_tenant_conversations_
          ->Add({{"tenant_a", SanitizeLabelValue(a)}, {"tenant_b", SanitizeLabelValue(b)}})
          .Increment();
    }
  }
}

void AuditMetrics::AddChangedBy(const std::string& result, int64_t n) {
  if (n <= 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  changed_by_->Add({{"result", result}}).Increment(static_cast<double>(n));
}

void AuditMetrics::SetExceptionCounts(int64_t active, int64_t expired) {
  std::lock_guard<std::mutex> lock(mu_);
  exceptions_.Add({{"state", "active"}}).Set(static_cast<double>(active));
  exceptions_.Add({{"state", "expired"}}).Set(static_cast<double>(expired));
}

void AuditMetrics::SetGaugeSeries(prometheus::Family<prometheus::Gauge>& family,
                                  std::map<Labels, prometheus::Gauge*>& current,
                                  const std::map<Labels, double>& values) {
  for (auto it = current.begin(); it != current.end();) {
    if (values.count(it->first) == 0) {
      family.Remove(it->second);
      it = current.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [labels, value] : values) {
    prometheus::Gauge& gauge = family.Add(labels);
    gauge.Set(value);
    current[labels] = &gauge;
  }
}

void AuditMetrics::AddCumulative(prometheus::Family<prometheus::Counter>& family,
                                 const Labels& labels, int64_t total,
                                 std::map<Labels, int64_t>& last_totals) {
  int64_t& last = last_totals[labels];
  const int64_t delta = total >= last ? total - last : total;  // lower: a new client
  last = total;
  prometheus::Counter& counter = family.Add(labels);
  if (delta > 0) counter.Increment(static_cast<double>(delta));
}

void AuditMetrics::ViolationSeries(const std::vector<audit::Finding>& findings,
                                   std::map<Labels, double>& series,
                                   std::map<Labels, double>& cross_tenant) {
  std::map<std::pair<std::string, std::string>, std::set<std::string>> users_by_pair;
  for (const audit::Finding& f : findings) {
    if (f.state != audit::FindingState::kOpen && f.state != audit::FindingState::kSuppressed) {
      continue;
    }
    series[{{"rule", Str(audit::RuleName(f.rule))},
            {"severity", Str(audit::SeverityName(f.severity))},
            {"tenant", FindingTenantLabel(f)},
            {"state", Str(audit::FindingStateName(f.state))}}] += 1;
    if (f.rule == audit::Rule::kCrossTenant && f.state == audit::FindingState::kOpen &&
        f.subject.has_value() && f.subject->type == audit::SubjectType::kUser) {
      const std::string home = f.home_tenant.value_or("");
      const std::string reached = f.tenant.value_or("");
      users_by_pair[{home.empty() ? "none" : NeutraliseDisplayText(home),
                     reached.empty() ? "none" : NeutraliseDisplayText(reached)}]
          .insert(f.subject->id);
    }
  }
  for (const auto& [pair, users] : users_by_pair) {
    cross_tenant[{{"home_tenant", pair.first}, {"tenant", pair.second}}] =
        static_cast<double>(users.size());
  }
}

void AuditMetrics::RecordSweep(const SweepOutcomeForMetrics& outcome) {
  const audit::SweepInfo& sweep = outcome.sweep;
  const bool complete = sweep.status == audit::SweepStatus::kComplete;

  // Compute the violation series before taking the lock: the lock is shared with scrapes.
  std::map<Labels, double> findings;
  std::map<Labels, double> cross_tenant;
  if (complete) ViolationSeries(outcome.findings, findings, cross_tenant);

  std::lock_guard<std::mutex> lock(mu_);
  in_progress_.Add({}).Set(0);
  sweeps_.Add({{"status", Str(audit::SweepStatusName(sweep.status))}}).Increment();
  SetOrgInfoLocked(sweep.org_id, sweep.org_name);
  if (outcome.duration_seconds.has_value() && *outcome.duration_seconds >= 0) {
    sweep_duration_.Add({}, DurationBuckets()).Observe(*outcome.duration_seconds);
  } else if (sweep.finished_at_unix >= sweep.started_at_unix && sweep.started_at_unix > 0) {
    sweep_duration_.Add({}, DurationBuckets())
        .Observe(static_cast<double>(sweep.finished_at_unix - sweep.started_at_unix));
  }
  if (sweep.finished_at_unix > 0) {
    last_sweep_.Add({}).Set(static_cast<double>(sweep.finished_at_unix));
    if (complete) last_complete_sweep_.Add({}).Set(static_cast<double>(sweep.finished_at_unix));
  }
  if (sweep.status != audit::SweepStatus::kFailed) {
    coverage_.Add({{"kind", "divisions"}}).Set(sweep.coverage_ratio);
  }
  for (const auto& [key, total] : outcome.api_requests_by_route_and_code) {
    AddCumulative(api_requests_, {{"endpoint", key.first}, {"code", key.second}}, total,
                  api_request_totals_);
  }
  for (const auto& [route, total] : outcome.api_throttled_by_route) {
    AddCumulative(api_throttled_, {{"endpoint", route}}, total, api_throttled_totals_);
  }
  for (const auto& [rule, n] : outcome.newly_opened) {
    if (n > 0) findings_new_.Add({{"rule", Str(audit::RuleName(rule))}}).Increment(n);
  }
  for (const auto& [rule, n] : outcome.newly_resolved) {
    if (n > 0) findings_resolved_.Add({{"rule", Str(audit::RuleName(rule))}}).Increment(n);
  }
  if (outcome.exceptions_active.has_value()) {
    exceptions_.Add({{"state", "active"}}).Set(static_cast<double>(*outcome.exceptions_active));
  }
  if (outcome.exceptions_expired.has_value()) {
    exceptions_.Add({{"state", "expired"}}).Set(static_cast<double>(*outcome.exceptions_expired));
  }
  if (outcome.org_settings.has_value()) {
    org_setting_.Add({{"setting", "authorization_grant_division_aware"}})
        .Set(outcome.org_settings->authorization_grant_division_aware ? 1 : 0);
    org_setting_.Add({{"setting", "backfill_enabled"}})
        .Set(outcome.org_settings->backfill_enabled ? 1 : 0);
  }
  if (!complete) return;  // partial and failed sweeps never move the violation gauges

  SetGaugeSeries(findings_, findings_series_, findings);
  SetGaugeSeries(cross_tenant_users_, cross_tenant_series_, cross_tenant);
  if (outcome.org_objects.has_value()) {
    const OrgObjectCounts& c = *outcome.org_objects;
    const std::pair<const char*, int64_t> kinds[] = {{"divisions", c.divisions},
                                                     {"users", c.users},
                                                     {"groups", c.groups},
                                                     {"roles", c.roles},
                                                     {"oauth_clients", c.oauth_clients},
                                                     {"grants", c.grants}};
    for (const auto& [kind, n] : kinds) {
      org_objects_.Add({{"kind", kind}}).Set(static_cast<double>(n));
    }
  }
}

void AuditMetrics::SetSweepInterval(std::chrono::seconds interval) {
  std::lock_guard<std::mutex> lock(mu_);
  sweep_interval_.Add({}).Set(static_cast<double>(interval.count()));
}

void AuditMetrics::RestoreLastComplete(int64_t finished_at_unix,
                                       const std::vector<audit::Finding>& findings) {
  std::map<Labels, double> series;
  std::map<Labels, double> cross_tenant;
  ViolationSeries(findings, series, cross_tenant);
  std::lock_guard<std::mutex> lock(mu_);
  last_complete_sweep_.Add({}).Set(static_cast<double>(finished_at_unix));
  last_sweep_.Add({}).Set(static_cast<double>(finished_at_unix));
  SetGaugeSeries(findings_, findings_series_, series);
  SetGaugeSeries(cross_tenant_users_, cross_tenant_series_, cross_tenant);
}

std::shared_ptr<prometheus::Collectable> AuditMetrics::Collectable() const { return locked_; }

std::string AuditMetrics::ExpositionText() const {
  return prometheus::TextSerializer().Serialize(locked_->Collect());
}

}  // namespace divaudit::metrics
