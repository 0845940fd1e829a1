#pragma once

#include <chrono>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "audit/evidence.h"
#include "audit/finding.h"
#include "audit/org_snapshot.h"

namespace prometheus {
class Registry;
class Collectable;
class Counter;
class Gauge;
class Histogram;
template <typename T>
class Family;
}  // namespace prometheus

namespace divaudit::metrics {

// Object counts of one sweep (the `counts` of the findings document, docs/findings.md).
struct OrgObjectCounts {
  int64_t divisions = 0;
  int64_t users = 0;
  int64_t groups = 0;
  int64_t roles = 0;
  int64_t oauth_clients = 0;
  int64_t grants = 0;
};
OrgObjectCounts CountOrgObjects(const audit::OrgSnapshot& snapshot);

// Everything one finished sweep contributes to the metrics. Pure data; the caller (the sweep
// loop in daemon/) fills it from the sweeper, the audit and storage.
struct SweepOutcomeForMetrics {
  // Status, start/finish times (Unix seconds), coverage ratio, request counts.
  audit::SweepInfo sweep;
  // Current findings (state open or suppressed; resolved ones are ignored). Read ONLY when
  // sweep.status is complete: partial and failed sweeps leave the violation gauges untouched.
  std::vector<audit::Finding> findings;
  // Findings storage opened / resolved in this sweep, per rule (added to the _total counters).
  std::map<audit::Rule, int64_t> newly_opened;
  std::map<audit::Rule, int64_t> newly_resolved;
  // Object counts; applied only for complete sweeps (a partial read would under-count).
  std::optional<OrgObjectCounts> org_objects;
  // Cumulative API accounting, as genesys::ApiStats reports it: (route template, code) → total
  // requests and route → total 429s since the client was created. The counters advance by the
  // difference to the previous totals; a total lower than before is taken as a new client
  // (counting restarts) and is added whole. Counters never go down.
  std::map<std::pair<std::string, std::string>, int64_t> api_requests_by_route_and_code;
  std::map<std::string, int64_t> api_throttled_by_route;
  // The sweep's duration in seconds, measured on the monotonic clock (sub-second). nullopt:
  // taken from finished_at_unix - started_at_unix (whole seconds; wall clock).
  std::optional<double> duration_seconds;
  // Exceptions of the configuration that are active / past their expiry date; nullopt keeps
  // the previous values.
  std::optional<int64_t> exceptions_active;
  std::optional<int64_t> exceptions_expired;
  // v2: the org's role settings when this sweep read them (any status): divaudit_org_setting.
  // nullopt (not read) leaves the gauge as it was.
  std::optional<audit::RoleSettings> org_settings = {};
};

// The tenant label of a finding on divaudit_findings: its tenant (the tenant of the division it
// is about), else the subject's home tenant, else "none". Never a user id or name. Control and
// bidirectional-override characters become U+FFFD (common/display_text.h).
std::string FindingTenantLabel(const audit::Finding& finding);

// A label value safe to show in a dashboard or an alert: control characters (C0, DEL, C1),
// bidirectional overrides/isolates/marks (U+061C, U+200E-F, U+202A-E, U+2066-9) and invalid
// UTF-8 removed; at most 256 bytes (cut at a character boundary). Used for org names, which come
// from the API.
std::string SanitizeLabelValue(std::string_view value);

struct AuditMetricsOptions {
  // The `region` label of divaudit_org_info ([genesys] region).
  std::string region;
  // Where the process_* metrics are read from (ProcessCollector); empty: no process_* metrics.
  std::string proc_root = "/proc";
};

// Owns a prometheus::Registry holding every divaudit_ metric of docs/metrics.md (listed in
// metrics/README.md) and turns sweep outcomes into metric values. No I/O.
// Thread-safe: every method may be called from any thread; updates and scrapes (Collectable())
// are serialized by one mutex, so a scrape never sees half of a sweep's update.
class AuditMetrics {
 public:
  // `version` is the label of divaudit_build_info.
  explicit AuditMetrics(std::string version, AuditMetricsOptions options = {});
  ~AuditMetrics();
  AuditMetrics(const AuditMetrics&) = delete;
  AuditMetrics& operator=(const AuditMetrics&) = delete;

  // A sweep began: divaudit_sweep_in_progress = 1.
  void SweepStarted();
  // A sweep ended (any status): in-progress 0, sweeps_total{status}, duration, timestamps,
  // coverage (complete/partial only), API counters, exceptions, divaudit_org_setting{setting}
  // (when the sweep read the role settings); for complete sweeps also
  // findings, cross-tenant users and org objects, removing series that no longer occur.
  void RecordSweep(const SweepOutcomeForMetrics& outcome);
  // divaudit_org_info{org_id, org_name, region} = 1 (labels sanitised); replaces the previous
  // series when the org changes. Both empty: no change. RecordSweep calls it with the sweep's
  // org_id/org_name. Until then the series exists with empty org_id and org_name.
  void SetOrgInfo(const std::string& org_id, const std::string& org_name);
  // A scheduled tick was skipped because the previous sweep was still running.
  void SweepTickSkipped();
  // Sets divaudit_exceptions{state} (e.g. at start-up or after a configuration reload).
  void SetExceptionCounts(int64_t active, int64_t expired);
  // divaudit_changed_by_total{result} += n: findings a sweep opened, by the outcome of their
  // changed_by lookup — "attributed", "no_event", "first_sweep", "forbidden", "error".
  void AddChangedBy(const std::string& result, int64_t n);

  // What an exposer serves: the registry behind this object's mutex. Stays valid (returns
  // nothing) after this object is destroyed if someone still holds it.
  // divaudit_sweep_interval_seconds: the configured interval (the stale-sweep alert compares
  // the age of the last complete sweep with 3 intervals).
  void SetSweepInterval(std::chrono::seconds interval);
  // At daemon start: the state of the database's last complete sweep (its finish time and the
  // findings currently open or suppressed), so a restart does not blank the violation gauges.
  // Counts no sweep.
  void RestoreLastComplete(int64_t finished_at_unix, const std::vector<audit::Finding>& findings);
  std::shared_ptr<prometheus::Collectable> Collectable() const;
  // The current exposition in the Prometheus text format (what /metrics returns).
  std::string ExpositionText() const;

  // Change watch. divaudit_audit_events_total{service} += n (audit events read, each id once);
  // divaudit_audit_poll_errors_total{service, reason} + 1 (reason: throttled, forbidden,
  // timeout, unavailable, other); divaudit_detection_seconds observes the delay from an audit
  // event to the finding it opened. `service` is one of the watched audit services.
  void AuditEventsRead(const std::string& service, int64_t n);
  void AuditPollFailed(const std::string& service, const std::string& reason);
  void ObserveDetection(double seconds);

  // Conversation evidence (docs/evidence.md), after a sweep that read it:
  // divaudit_evidence_available = 1 (read) or 0 (HTTP 403: the client may not read analytics);
  // divaudit_cross_tenant_conversations_total{tenant_a, tenant_b} + 1 for every tenant pair
  // (sorted, a < b; audit::TenantPairs) of each conversation in `recorded` — the evidence this
  // sweep stored first, so a conversation counts once. Both absent until the first call.
  void RecordEvidence(bool available, const std::vector<audit::ConversationEvidence>& recorded);

 private:
  class LockedRegistry;
  using Labels = std::map<std::string, std::string>;

  // The findings and cross-tenant-users series of a set of findings (open and suppressed only).
  static void ViolationSeries(const std::vector<audit::Finding>& findings,
                              std::map<Labels, double>& series,
                              std::map<Labels, double>& cross_tenant);
  void SetGaugeSeries(prometheus::Family<prometheus::Gauge>& family,
                      std::map<Labels, prometheus::Gauge*>& current,
                      const std::map<Labels, double>& values);
  void AddCumulative(prometheus::Family<prometheus::Counter>& family, const Labels& labels,
                     int64_t total, std::map<Labels, int64_t>& last_totals);
  void SetOrgInfoLocked(const std::string& org_id, const std::string& org_name);

  std::shared_ptr<LockedRegistry> locked_;
  std::mutex& mu_;  // locked_->mu
  prometheus::Registry& registry_;

  prometheus::Family<prometheus::Gauge>& findings_;
  prometheus::Family<prometheus::Counter>& findings_new_;
  prometheus::Family<prometheus::Counter>& findings_resolved_;
  prometheus::Family<prometheus::Gauge>& cross_tenant_users_;
  prometheus::Family<prometheus::Counter>& sweeps_;
  prometheus::Family<prometheus::Histogram>& sweep_duration_;
  prometheus::Family<prometheus::Gauge>& last_sweep_;
  prometheus::Family<prometheus::Gauge>& last_complete_sweep_;
  prometheus::Family<prometheus::Gauge>& in_progress_;
  prometheus::Family<prometheus::Gauge>& coverage_;
  prometheus::Family<prometheus::Counter>& api_requests_;
  prometheus::Family<prometheus::Counter>& api_throttled_;
  prometheus::Family<prometheus::Gauge>& org_objects_;
  prometheus::Family<prometheus::Gauge>& exceptions_;
  prometheus::Family<prometheus::Gauge>& build_info_;
  prometheus::Family<prometheus::Counter>& ticks_skipped_;
  prometheus::Family<prometheus::Gauge>& sweep_interval_;
  prometheus::Family<prometheus::Gauge>& org_info_;
  prometheus::Family<prometheus::Gauge>& org_setting_;  // v2
  // Change watch (appended).
  prometheus::Family<prometheus::Counter>& audit_events_;
  prometheus::Family<prometheus::Counter>& audit_poll_errors_;
  prometheus::Family<prometheus::Histogram>& detection_;

  std::string region_;
  prometheus::Gauge* org_info_series_ = nullptr;

  std::map<Labels, prometheus::Gauge*> findings_series_;
  std::map<Labels, prometheus::Gauge*> cross_tenant_series_;
  std::map<Labels, int64_t> api_request_totals_;
  std::map<Labels, int64_t> api_throttled_totals_;
  prometheus::Family<prometheus::Counter>* changed_by_ = nullptr;  // added by provenance
  // Conversation evidence (issue 15), registered by the constructor.
  prometheus::Family<prometheus::Counter>* cross_tenant_conversations_ = nullptr;
  prometheus::Family<prometheus::Gauge>* evidence_available_ = nullptr;
};

}  // namespace divaudit::metrics
