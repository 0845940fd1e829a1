#include "metrics/audit_metrics.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <optional>
#include <sstream>
#include <string>

namespace divaudit::metrics {
namespace {

using audit::Finding;
using audit::FindingState;
using audit::Rule;
using audit::SubjectType;
using audit::SweepStatus;

Finding MakeFinding(Rule rule, FindingState state, SubjectType subject_type,
                    const std::string& subject_id, std::optional<std::string> home_tenant,
                    std::optional<std::string> tenant, const std::string& role_id = "r1") {
  Finding f;
  f.rule = rule;
  f.severity = audit::RuleSeverity(rule);
  f.state = state;
  f.subject = audit::SubjectRef{subject_type, subject_id, "Name of " + subject_id};
  f.home_tenant = std::move(home_tenant);
  f.tenant = std::move(tenant);
  f.role = audit::NamedRef{role_id, "Role " + role_id};
  return f;
}

SweepOutcomeForMetrics Outcome(SweepStatus status, int64_t started, int64_t finished) {
  SweepOutcomeForMetrics o;
  o.sweep.status = status;
  o.sweep.started_at_unix = started;
  o.sweep.finished_at_unix = finished;
  o.sweep.coverage_ratio = 1.0;
  return o;
}

// The value of one series ("name{labels}" exactly as exposed), or nullopt when absent.
std::optional<double> Sample(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

constexpr char kCrossOpen[] =
    "divaudit_findings{rule=\"cross_tenant\",severity=\"high\",state=\"open\",tenant=\"Globex\"}";

// A complete sweep: user u1 reaches Globex from Acme twice (two roles), u2 once; a group holds
// All Divisions (no tenant at all); a suppressed all_divisions finding on a user homed in Acme.
SweepOutcomeForMetrics FullOutcome() {
  SweepOutcomeForMetrics o = Outcome(SweepStatus::kComplete, 1'000, 1'070);
  o.sweep.coverage_ratio = 1.0;
  o.findings = {
      MakeFinding(Rule::kCrossTenant, FindingState::kOpen, SubjectType::kUser, "u1", "Acme",
                  "Globex", "r1"),
      MakeFinding(Rule::kCrossTenant, FindingState::kOpen, SubjectType::kUser, "u1", "Acme",
                  "Globex", "r2"),
      MakeFinding(Rule::kCrossTenant, FindingState::kOpen, SubjectType::kUser, "u2", "Acme",
                  "Globex"),
      MakeFinding(Rule::kAllDivisions, FindingState::kOpen, SubjectType::kGroup, "g1", std::nullopt,
                  std::nullopt),
      MakeFinding(Rule::kAllDivisions, FindingState::kSuppressed, SubjectType::kUser, "u3", "Acme",
                  std::nullopt),
  };
  o.newly_opened = {{Rule::kCrossTenant, 3}, {Rule::kAllDivisions, 2}};
  o.newly_resolved = {{Rule::kOrphanedGrant, 1}};
  o.org_objects = OrgObjectCounts{40, 5000, 60, 25, 12, 21000};
  o.api_requests_by_route_and_code = {{{"/api/v2/authorization/divisions", "200"}, 7},
                                      {{"/api/v2/users", "429"}, 2}};
  o.api_throttled_by_route = {{"/api/v2/users", 2}};
  o.exceptions_active = 3;
  o.exceptions_expired = 1;
  o.org_settings = audit::RoleSettings{true, false};
  return o;
}

TEST(AuditMetricsTest, ExpositionHasEveryMetricOfTheDesignWithItsType) {
  // No process_* metrics here: their CPU time moves between the two scrapes compared below.
  AuditMetricsOptions no_process;
  no_process.proc_root.clear();
  AuditMetrics metrics("1.2.3", no_process);
  metrics.SweepStarted();
  metrics.RecordSweep(FullOutcome());
  metrics.SweepTickSkipped();
  // Scrape the way the exposer does: Collect + TextSerializer.
  const std::string text = prometheus::TextSerializer().Serialize(metrics.Collectable()->Collect());
  EXPECT_EQ(text, metrics.ExpositionText());

  const std::pair<const char*, const char*> kTypes[] = {
      {"divaudit_findings", "gauge"},
      {"divaudit_findings_new_total", "counter"},
      {"divaudit_findings_resolved_total", "counter"},
      {"divaudit_cross_tenant_users", "gauge"},
      {"divaudit_sweeps_total", "counter"},
      {"divaudit_sweep_duration_seconds", "histogram"},
      {"divaudit_last_sweep_timestamp_seconds", "gauge"},
      {"divaudit_last_complete_sweep_timestamp_seconds", "gauge"},
      {"divaudit_sweep_in_progress", "gauge"},
      {"divaudit_coverage_ratio", "gauge"},
      {"divaudit_api_requests_total", "counter"},
      {"divaudit_api_throttled_total", "counter"},
      {"divaudit_org_objects", "gauge"},
      {"divaudit_exceptions", "gauge"},
      {"divaudit_build_info", "gauge"},
      {"divaudit_sweep_ticks_skipped_total", "counter"},
      {"divaudit_org_setting", "gauge"},
  };
  for (const auto& [name, type] : kTypes) {
    EXPECT_NE(text.find("# TYPE " + std::string(name) + " " + type + "\n"), std::string::npos)
        << name;
    EXPECT_NE(text.find("# HELP " + std::string(name) + " "), std::string::npos) << name;
  }

  EXPECT_EQ(Sample(text, kCrossOpen), 3);
  EXPECT_EQ(Sample(text,
                   "divaudit_findings{rule=\"all_divisions\",severity=\"critical\","
                   "state=\"open\",tenant=\"none\"}"),
            1);
  EXPECT_EQ(Sample(text,
                   "divaudit_findings{rule=\"all_divisions\",severity=\"critical\","
                   "state=\"suppressed\",tenant=\"Acme\"}"),
            1);
  EXPECT_EQ(Sample(text, "divaudit_cross_tenant_users{home_tenant=\"Acme\",tenant=\"Globex\"}"),
            2);  // u1 (two findings) and u2
  EXPECT_EQ(Sample(text, "divaudit_findings_new_total{rule=\"cross_tenant\"}"), 3);
  EXPECT_EQ(Sample(text, "divaudit_findings_new_total{rule=\"all_divisions\"}"), 2);
  EXPECT_EQ(Sample(text, "divaudit_findings_new_total{rule=\"unmapped_division\"}"), 0);
  EXPECT_EQ(Sample(text, "divaudit_findings_resolved_total{rule=\"orphaned_grant\"}"), 1);
  EXPECT_EQ(Sample(text, "divaudit_sweeps_total{status=\"complete\"}"), 1);
  EXPECT_EQ(Sample(text, "divaudit_sweeps_total{status=\"partial\"}"), 0);
  EXPECT_EQ(Sample(text, "divaudit_sweeps_total{status=\"failed\"}"), 0);
  EXPECT_EQ(Sample(text, "divaudit_sweep_duration_seconds_count"), 1);
  EXPECT_EQ(Sample(text, "divaudit_sweep_duration_seconds_sum"), 70);
  EXPECT_EQ(Sample(text, "divaudit_sweep_duration_seconds_bucket{le=\"60\"}"), 0);
  EXPECT_EQ(Sample(text, "divaudit_sweep_duration_seconds_bucket{le=\"120\"}"), 1);
  EXPECT_EQ(Sample(text, "divaudit_sweep_duration_seconds_bucket{le=\"7200\"}"), 1);
  EXPECT_EQ(Sample(text, "divaudit_sweep_duration_seconds_bucket{le=\"1\"}"), 0);
  EXPECT_EQ(Sample(text, "divaudit_last_sweep_timestamp_seconds"), 1070);
  EXPECT_EQ(Sample(text, "divaudit_last_complete_sweep_timestamp_seconds"), 1070);
  EXPECT_EQ(Sample(text, "divaudit_sweep_in_progress"), 0);
  EXPECT_EQ(Sample(text, "divaudit_coverage_ratio{kind=\"divisions\"}"), 1);
  EXPECT_EQ(Sample(text,
                   "divaudit_api_requests_total{code=\"200\",endpoint=\"/api/v2/"
                   "authorization/divisions\"}"),
            7);
  EXPECT_EQ(Sample(text, "divaudit_api_requests_total{code=\"429\",endpoint=\"/api/v2/users\"}"),
            2);
  EXPECT_EQ(Sample(text, "divaudit_api_throttled_total{endpoint=\"/api/v2/users\"}"), 2);
  for (const auto& [kind, n] : std::vector<std::pair<std::string, double>>{{"divisions", 40},
                                                                           {"users", 5000},
                                                                           {"groups", 60},
                                                                           {"roles", 25},
                                                                           {"oauth_clients", 12},
                                                                           {"grants", 21000}}) {
    EXPECT_EQ(Sample(text, "divaudit_org_objects{kind=\"" + kind + "\"}"), n) << kind;
  }
  EXPECT_EQ(Sample(text, "divaudit_exceptions{state=\"active\"}"), 3);
  EXPECT_EQ(Sample(text, "divaudit_exceptions{state=\"expired\"}"), 1);
  EXPECT_EQ(Sample(text, "divaudit_build_info{version=\"1.2.3\"}"), 1);
  EXPECT_EQ(Sample(text, "divaudit_sweep_ticks_skipped_total"), 1);

  // Bounded labels: no subject ids or names, no role names.
  for (const char* leak : {"u1", "u2", "g1", "Name of", "Role r"}) {
    EXPECT_EQ(text.find(leak), std::string::npos) << leak;
  }
}

TEST(AuditMetricsTest, FreshMetricsExposeHealthSeriesAtZero) {
  AuditMetrics metrics("0.1.0");
  const std::string text = metrics.ExpositionText();
  EXPECT_EQ(Sample(text, "divaudit_last_complete_sweep_timestamp_seconds"), 0);
  EXPECT_EQ(Sample(text, "divaudit_sweeps_total{status=\"failed\"}"), 0);
  EXPECT_EQ(Sample(text, "divaudit_sweep_in_progress"), 0);
  EXPECT_EQ(Sample(text, "divaudit_sweep_duration_seconds_count"), 0);
  EXPECT_EQ(text.find("divaudit_findings{"), std::string::npos);
}

// v2: divaudit_org_setting only from a sweep that read the role settings; a sweep that did not
// leaves the last values; new rules have their counter series from the start.
TEST(AuditMetricsTest, OrgSettingFollowsSweepsThatReadTheSettings) {
  AuditMetrics metrics("0.1.0");
  const std::string guard = "divaudit_org_setting{setting=\"authorization_grant_division_aware\"}";
  const std::string backfill = "divaudit_org_setting{setting=\"backfill_enabled\"}";
  EXPECT_EQ(Sample(metrics.ExpositionText(), guard), std::nullopt);
  for (const char* rule : {"grant_guardrail_off", "org_wide_permission", "cross_tenant_queue"}) {
    EXPECT_EQ(Sample(metrics.ExpositionText(),
                     std::string("divaudit_findings_new_total{rule=\"") + rule + "\"}"),
              0)
        << rule;
  }
  SweepOutcomeForMetrics off = Outcome(SweepStatus::kPartial, 10, 12);
  off.org_settings = audit::RoleSettings{false, true};
  metrics.RecordSweep(off);
  EXPECT_EQ(Sample(metrics.ExpositionText(), guard), 0);
  EXPECT_EQ(Sample(metrics.ExpositionText(), backfill), 1);
  metrics.RecordSweep(Outcome(SweepStatus::kFailed, 20, 22));  // settings not read
  EXPECT_EQ(Sample(metrics.ExpositionText(), guard), 0);
  SweepOutcomeForMetrics on = Outcome(SweepStatus::kComplete, 30, 32);
  on.org_settings = audit::RoleSettings{true, false};
  on.findings = {MakeFinding(Rule::kOrgWidePermission, FindingState::kOpen, SubjectType::kUser,
                             "u1", "Acme", std::nullopt)};
  metrics.RecordSweep(on);
  const std::string text = metrics.ExpositionText();
  EXPECT_EQ(Sample(text, guard), 1);
  EXPECT_EQ(Sample(text, backfill), 0);
  EXPECT_EQ(Sample(text,
                   "divaudit_findings{rule=\"org_wide_permission\",severity=\"high\","
                   "state=\"open\",tenant=\"Acme\"}"),
            1);
}

TEST(AuditMetricsTest, SweepInProgressFollowsStartAndRecord) {
  AuditMetrics metrics("0.1.0");
  metrics.SweepStarted();
  EXPECT_EQ(Sample(metrics.ExpositionText(), "divaudit_sweep_in_progress"), 1);
  metrics.RecordSweep(Outcome(SweepStatus::kFailed, 10, 12));
  EXPECT_EQ(Sample(metrics.ExpositionText(), "divaudit_sweep_in_progress"), 0);
}

TEST(AuditMetricsTest, PartialAndFailedSweepsLeaveViolationGaugesUntouched) {
  AuditMetrics metrics("0.1.0");
  metrics.RecordSweep(FullOutcome());
  const std::string before = metrics.ExpositionText();

  SweepOutcomeForMetrics partial = Outcome(SweepStatus::kPartial, 2'000, 2'030);
  partial.sweep.coverage_ratio = 0.5;
  partial.findings = {MakeFinding(Rule::kOrphanedGrant, FindingState::kOpen, SubjectType::kUser,
                                  "u9", "Acme", std::nullopt)};
  partial.org_objects = OrgObjectCounts{20, 10, 1, 1, 1, 1};
  metrics.RecordSweep(partial);
  std::string text = metrics.ExpositionText();
  EXPECT_EQ(Sample(text, kCrossOpen), 3);
  EXPECT_EQ(Sample(text, "divaudit_cross_tenant_users{home_tenant=\"Acme\",tenant=\"Globex\"}"), 2);
  EXPECT_EQ(text.find("orphaned_grant\",severity"), std::string::npos);
  EXPECT_EQ(Sample(text, "divaudit_org_objects{kind=\"users\"}"), 5000);
  // Health metrics move.
  EXPECT_EQ(Sample(text, "divaudit_sweeps_total{status=\"partial\"}"), 1);
  EXPECT_EQ(Sample(text, "divaudit_last_sweep_timestamp_seconds"), 2030);
  EXPECT_EQ(Sample(text, "divaudit_last_complete_sweep_timestamp_seconds"), 1070);
  EXPECT_EQ(Sample(text, "divaudit_coverage_ratio{kind=\"divisions\"}"), 0.5);
  EXPECT_EQ(Sample(text, "divaudit_sweep_duration_seconds_count"), 2);

  SweepOutcomeForMetrics failed = Outcome(SweepStatus::kFailed, 3'000, 3'001);
  failed.sweep.coverage_ratio = 1.0;  // meaningless for a failed sweep: ignored
  metrics.RecordSweep(failed);
  text = metrics.ExpositionText();
  EXPECT_EQ(Sample(text, kCrossOpen), 3);
  EXPECT_EQ(Sample(text, "divaudit_sweeps_total{status=\"failed\"}"), 1);
  EXPECT_EQ(Sample(text, "divaudit_coverage_ratio{kind=\"divisions\"}"), 0.5);
  EXPECT_EQ(Sample(text, "divaudit_last_sweep_timestamp_seconds"), 3001);
  EXPECT_EQ(Sample(text, "divaudit_last_complete_sweep_timestamp_seconds"), 1070);
}

TEST(AuditMetricsTest, VanishedSeriesAreRemovedNotLeftStale) {
  AuditMetrics metrics("0.1.0");
  SweepOutcomeForMetrics first = Outcome(SweepStatus::kComplete, 1, 2);
  first.findings = {
      MakeFinding(Rule::kCrossTenant, FindingState::kOpen, SubjectType::kUser, "u1", "Acme",
                  "Globex"),
      MakeFinding(Rule::kCrossTenant, FindingState::kOpen, SubjectType::kUser, "u2", "Initech",
                  "Acme"),
      MakeFinding(Rule::kUnmappedDivision, FindingState::kOpen, SubjectType::kUser, "u3",
                  std::nullopt, std::nullopt),
  };
  first.findings[2].subject.reset();
  metrics.RecordSweep(first);
  std::string text = metrics.ExpositionText();
  EXPECT_EQ(Sample(text, kCrossOpen), 1);
  EXPECT_EQ(Sample(text,
                   "divaudit_findings{rule=\"cross_tenant\",severity=\"high\",state="
                   "\"open\",tenant=\"Acme\"}"),
            1);
  EXPECT_EQ(Sample(text,
                   "divaudit_findings{rule=\"unmapped_division\",severity=\"medium\","
                   "state=\"open\",tenant=\"none\"}"),
            1);
  EXPECT_EQ(Sample(text, "divaudit_cross_tenant_users{home_tenant=\"Initech\",tenant=\"Acme\"}"),
            1);

  // Next complete sweep: the Initech→Acme grant is gone, the unmapped division was mapped, and
  // the Acme→Globex finding got an exception.
  SweepOutcomeForMetrics second = Outcome(SweepStatus::kComplete, 3, 4);
  second.findings = {MakeFinding(Rule::kCrossTenant, FindingState::kSuppressed, SubjectType::kUser,
                                 "u1", "Acme", "Globex")};
  metrics.RecordSweep(second);
  text = metrics.ExpositionText();
  EXPECT_EQ(Sample(text, kCrossOpen), std::nullopt);
  EXPECT_EQ(Sample(text,
                   "divaudit_findings{rule=\"cross_tenant\",severity=\"high\",state="
                   "\"suppressed\",tenant=\"Globex\"}"),
            1);
  EXPECT_EQ(text.find("tenant=\"Acme\"}"), std::string::npos) << text;
  EXPECT_EQ(text.find("unmapped_division\",severity"), std::string::npos);
  EXPECT_EQ(text.find("divaudit_cross_tenant_users{"), std::string::npos)
      << "suppressed findings do not count as open cross-tenant users";

  // Everything resolved: no findings series at all.
  metrics.RecordSweep(Outcome(SweepStatus::kComplete, 5, 6));
  EXPECT_EQ(metrics.ExpositionText().find("divaudit_findings{"), std::string::npos);
}

TEST(AuditMetricsTest, CountersAreMonotonic) {
  AuditMetrics metrics("0.1.0");
  const std::string series = "divaudit_api_requests_total{code=\"200\",endpoint=\"/api/v2/users\"}";
  const std::string throttled = "divaudit_api_throttled_total{endpoint=\"/api/v2/users\"}";
  double previous = 0;
  double previous_throttled = 0;
  // Cumulative totals of one client, then a new client starting from zero.
  for (int64_t total : {10, 15, 15, 3, 4}) {
    SweepOutcomeForMetrics o = Outcome(SweepStatus::kPartial, 1, 2);
    o.api_requests_by_route_and_code = {{{"/api/v2/users", "200"}, total}};
    o.api_throttled_by_route = {{"/api/v2/users", total / 2}};
    o.newly_opened = {{Rule::kCrossTenant, 1}};
    o.newly_resolved = {{Rule::kCrossTenant, -5}};  // nonsense input never decreases a counter
    metrics.RecordSweep(o);
    const std::string text = metrics.ExpositionText();
    const double now = Sample(text, series).value_or(-1);
    const double now_throttled = Sample(text, throttled).value_or(-1);
    EXPECT_GE(now, previous);
    EXPECT_GE(now_throttled, previous_throttled);
    previous = now;
    previous_throttled = now_throttled;
  }
  EXPECT_EQ(previous, 15 + 3 + 1);           // 10, +5, +0, new client +3, +1
  EXPECT_EQ(previous_throttled, 7 + 1 + 1);  // 5, 7, 7, new client 1, 2
  const std::string text = metrics.ExpositionText();
  EXPECT_EQ(Sample(text, "divaudit_findings_new_total{rule=\"cross_tenant\"}"), 5);
  EXPECT_EQ(Sample(text, "divaudit_findings_resolved_total{rule=\"cross_tenant\"}"), 0);
  EXPECT_EQ(Sample(text, "divaudit_sweeps_total{status=\"partial\"}"), 5);
}

TEST(AuditMetricsTest, ExceptionCountsCanBeSetDirectly) {
  AuditMetrics metrics("0.1.0");
  metrics.SetExceptionCounts(4, 2);
  std::string text = metrics.ExpositionText();
  EXPECT_EQ(Sample(text, "divaudit_exceptions{state=\"active\"}"), 4);
  EXPECT_EQ(Sample(text, "divaudit_exceptions{state=\"expired\"}"), 2);
  metrics.RecordSweep(Outcome(SweepStatus::kFailed, 1, 2));  // no counts given: kept
  text = metrics.ExpositionText();
  EXPECT_EQ(Sample(text, "divaudit_exceptions{state=\"active\"}"), 4);
}

TEST(AuditMetricsTest, TenantLabelOfAFinding) {
  Finding f;
  EXPECT_EQ(FindingTenantLabel(f), "none");
  f.home_tenant = "";
  EXPECT_EQ(FindingTenantLabel(f), "none");
  f.home_tenant = "Home T";
  EXPECT_EQ(FindingTenantLabel(f), "Home T");
  f.tenant = "Division T";
  EXPECT_EQ(FindingTenantLabel(f), "Division T");
}

// Tenant labels can carry division names from the org: control and bidirectional-override
// characters must not reach a dashboard or an alert.
TEST(AuditMetricsTest, LabelValuesFromTheOrgAreNeutralised) {
  const std::string hostile = "Acme\u202Eevil\x07\x1b[2J";
  const std::string safe = "Acme\uFFFDevil\uFFFD\uFFFD[2J";
  Finding f = MakeFinding(Rule::kCrossTenant, FindingState::kOpen, SubjectType::kUser, "u1",
                          hostile, hostile);
  EXPECT_EQ(FindingTenantLabel(f), safe);
  AuditMetrics metrics("0.1.0");
  SweepOutcomeForMetrics o = Outcome(SweepStatus::kComplete, 1, 2);
  o.findings = {f};
  metrics.RecordSweep(o);
  const std::string text = metrics.ExpositionText();
  EXPECT_EQ(text.find("\u202E"), std::string::npos);
  EXPECT_EQ(text.find('\x07'), std::string::npos);
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_EQ(Sample(text, "divaudit_cross_tenant_users{home_tenant=\"" + safe + "\",tenant=\"" +
                             safe + "\"}"),
            1);
}

TEST(AuditMetricsTest, CountOrgObjects) {
  audit::OrgSnapshot snapshot;
  snapshot.divisions.resize(3);
  snapshot.users.resize(5);
  snapshot.groups.resize(2);
  snapshot.roles.resize(4);
  snapshot.oauth_clients.resize(1);
  snapshot.grants.resize(9);
  const OrgObjectCounts c = CountOrgObjects(snapshot);
  EXPECT_EQ(c.divisions, 3);
  EXPECT_EQ(c.users, 5);
  EXPECT_EQ(c.groups, 2);
  EXPECT_EQ(c.roles, 4);
  EXPECT_EQ(c.oauth_clients, 1);
  EXPECT_EQ(c.grants, 9);
}

TEST(AuditMetricsTest, CollectableOutlivesTheMetrics) {
  std::shared_ptr<prometheus::Collectable> collectable;
  {
    AuditMetrics metrics("0.1.0");
    collectable = metrics.Collectable();
  }
  EXPECT_FALSE(collectable->Collect().empty());
}

TEST(AuditMetricsTest, SweepDurationIsSubSecondFromTheMonotonicMeasurement) {
  AuditMetrics metrics("1.0");
  for (double seconds : {0.061, 0.083, 0.130}) {
    SweepOutcomeForMetrics outcome;
    outcome.sweep.status = audit::SweepStatus::kComplete;
    outcome.sweep.started_at_unix = 1000;  // same wall second: the old source said 0
    outcome.sweep.finished_at_unix = 1000;
    outcome.duration_seconds = seconds;
    metrics.RecordSweep(outcome);
  }
  const std::string text = metrics.ExpositionText();
  EXPECT_EQ(Sample(text, "divaudit_sweep_duration_seconds_count"), 3);
  EXPECT_NEAR(*Sample(text, "divaudit_sweep_duration_seconds_sum"), 0.274, 1e-9);
  EXPECT_EQ(Sample(text, "divaudit_sweep_duration_seconds_bucket{le=\"0.1\"}"), 2);
  EXPECT_EQ(Sample(text, "divaudit_sweep_duration_seconds_bucket{le=\"0.25\"}"), 3);
}

TEST(AuditMetricsTest, OrgInfoCarriesTheOrgAndRegionAndFollowsAChange) {
  AuditMetricsOptions options;
  options.region = "eu-west-1";
  AuditMetrics metrics("1.0", options);
  EXPECT_EQ(Sample(metrics.ExpositionText(),
                   "divaudit_org_info{org_id=\"\",org_name=\"\",region=\"eu-west-1\"}"),
            1)
      << "present, without org, before a sweep read it";
  SweepOutcomeForMetrics outcome;
  outcome.sweep.status = audit::SweepStatus::kFailed;  // any status: the org was read
  outcome.sweep.org_id = "o-1";
  outcome.sweep.org_name = "Acme\u202e Corp\n";
  metrics.RecordSweep(outcome);
  std::string text = metrics.ExpositionText();
  EXPECT_NE(text.find("# TYPE divaudit_org_info gauge"), std::string::npos);
  EXPECT_EQ(text.find("org_id=\"\""), std::string::npos) << "the org-less series is replaced";
  EXPECT_EQ(Sample(text,
                   "divaudit_org_info{org_id=\"o-1\",org_name=\"Acme Corp\",region="
                   "\"eu-west-1\"}"),
            1)
      << text;
  metrics.SetOrgInfo("o-2", "Globex");
  text = metrics.ExpositionText();
  EXPECT_EQ(text.find("o-1"), std::string::npos) << "the previous org's series is removed";
  EXPECT_EQ(
      Sample(text, "divaudit_org_info{org_id=\"o-2\",org_name=\"Globex\",region=\"eu-west-1\"}"),
      1);
  metrics.SetOrgInfo("", "");  // nothing known: keeps the last
  EXPECT_NE(metrics.ExpositionText().find("o-2"), std::string::npos);
}

TEST(AuditMetricsTest, SanitizeLabelValueDropsControlBidiAndInvalidUtf8) {
  EXPECT_EQ(SanitizeLabelValue("Acme Retail"), "Acme Retail");
  EXPECT_EQ(SanitizeLabelValue("Ac\tme\x7f\r\n"), "Acme");
  EXPECT_EQ(SanitizeLabelValue("\u202eevil\u2066\u200f\u061c"), "evil");
  EXPECT_EQ(SanitizeLabelValue("a\xc2\x85"
                               "b"),
            "ab");  // C1 NEL
  EXPECT_EQ(SanitizeLabelValue("M\xc3\xbcller \xe6\x97\xa5"), "M\xc3\xbcller \xe6\x97\xa5");
  EXPECT_EQ(SanitizeLabelValue("x\xff\xc3y\xed\xa0\x80z"), "xyz");  // invalid, surrogate
  EXPECT_EQ(SanitizeLabelValue(std::string(300, 'a')).size(), 256u);
  EXPECT_EQ(SanitizeLabelValue(std::string(255, 'a') + "\xc3\xbc").size(), 255u);
}

TEST(AuditMetricsTest, CountersExistAtZeroForEveryKnownLabelValue) {
  const std::string text = AuditMetrics("1.0").ExpositionText();
  for (const char* rule : {"all_divisions", "cross_tenant", "multi_tenant_subject",
                           "unmapped_division", "orphaned_grant"}) {
    EXPECT_EQ(Sample(text, "divaudit_findings_new_total{rule=\"" + std::string(rule) + "\"}"), 0);
    EXPECT_EQ(Sample(text, "divaudit_findings_resolved_total{rule=\"" + std::string(rule) + "\"}"),
              0);
  }
  for (const char* status : {"complete", "partial", "failed"}) {
    EXPECT_EQ(Sample(text, "divaudit_sweeps_total{status=\"" + std::string(status) + "\"}"), 0);
  }
  for (const char* route : {"/api/v2/users", "/api/v2/authorization/roles/{roleId}/subjectgrants",
                            "/api/v2/groups/{groupId}/members", "/api/v2/organizations/me"}) {
    EXPECT_EQ(Sample(text, "divaudit_api_throttled_total{endpoint=\"" + std::string(route) + "\"}"),
              0)
        << route;
  }
  EXPECT_EQ(Sample(text, "divaudit_sweep_ticks_skipped_total"), 0);
}

TEST(AuditMetricsTest, ExpositionHasProcessMetricsAndNothingUnprefixed) {
  const std::string text = AuditMetrics("1.0").ExpositionText();
  for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                           "process_virtual_memory_bytes", "process_start_time_seconds",
                           "process_open_fds", "process_max_fds"}) {
    EXPECT_NE(text.find("\n" + std::string(name) + " "), std::string::npos) << name;
  }
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    EXPECT_TRUE(line.rfind("divaudit_", 0) == 0 || line.rfind("process_", 0) == 0) << line;
  }
}

}  // namespace
}  // namespace divaudit::metrics

namespace divaudit::metrics {
namespace {

TEST(AuditMetricsTest, ChangedByCountsOpenedFindingsPerResult) {
  AuditMetrics metrics("1.2.3", AuditMetricsOptions{});
  EXPECT_EQ(Sample(metrics.ExpositionText(), R"(divaudit_changed_by_total{result="forbidden"})"),
            0);
  metrics.AddChangedBy("attributed", 3);
  metrics.AddChangedBy("attributed", 2);
  metrics.AddChangedBy("forbidden", 1);
  metrics.AddChangedBy("no_event", 0);
  const std::string text = metrics.ExpositionText();
  EXPECT_EQ(Sample(text, R"(divaudit_changed_by_total{result="attributed"})"), 5);
  EXPECT_EQ(Sample(text, R"(divaudit_changed_by_total{result="forbidden"})"), 1);
  EXPECT_EQ(Sample(text, R"(divaudit_changed_by_total{result="no_event"})"), 0);
}

// Conversation evidence: absent until a sweep read it; every tenant pair of a conversation
// (3 tenants -> 3 pairs, sorted) +1; availability 1/0 as the last sweep saw it.
TEST(AuditMetricsEvidenceTest, CountsEveryTenantPairAndAvailability) {
  AuditMetricsOptions no_process;
  no_process.proc_root.clear();
  AuditMetrics metrics("1.2.3", no_process);
  std::string text = metrics.ExpositionText();
  EXPECT_EQ(text.find("divaudit_evidence_available "), std::string::npos);
  EXPECT_EQ(text.find("divaudit_cross_tenant_conversations_total{"), std::string::npos);
  audit::ConversationEvidence three;
  three.conversation.id = "c-1";
  three.tenants = {"Acme", "Globex", "Initech"};
  audit::ConversationEvidence two;
  two.conversation.id = "c-2";
  two.tenants = {"Acme", "Globex"};
  metrics.RecordEvidence(true, {three, two});
  text = metrics.ExpositionText();
  EXPECT_EQ(Sample(text, "divaudit_evidence_available"), 1);
  EXPECT_EQ(
      Sample(text,
             R"(divaudit_cross_tenant_conversations_total{tenant_a="Acme",tenant_b="Globex"})"),
      2);
  EXPECT_EQ(
      Sample(text,
             R"(divaudit_cross_tenant_conversations_total{tenant_a="Acme",tenant_b="Initech"})"),
      1);
  EXPECT_EQ(
      Sample(text,
             R"(divaudit_cross_tenant_conversations_total{tenant_a="Globex",tenant_b="Initech"})"),
      1);
  metrics.RecordEvidence(false, {});
  text = metrics.ExpositionText();
  EXPECT_EQ(Sample(text, "divaudit_evidence_available"), 0);
  EXPECT_EQ(
      Sample(text,
             R"(divaudit_cross_tenant_conversations_total{tenant_a="Acme",tenant_b="Globex"})"),
      2);
}

TEST(AuditMetricsWatchTest, AuditEventsPollErrorsAndDetection) {
  AuditMetricsOptions no_process;
  no_process.proc_root.clear();
  AuditMetrics metrics("1.2.3", no_process);
  std::string text = metrics.ExpositionText();
  // Every watched service from the start, at 0; an empty detection histogram.
  EXPECT_EQ(Sample(text, "divaudit_audit_events_total{service=\"PeoplePermissions\"}"), 0);
  EXPECT_EQ(Sample(text, "divaudit_audit_events_total{service=\"OAuthClient\"}"), 0);
  EXPECT_EQ(Sample(text, "divaudit_detection_seconds_count"), 0);
  EXPECT_NE(text.find("# TYPE divaudit_detection_seconds histogram\n"), std::string::npos);
  // No error series until a query fails (labels by service and reason as they occur).
  EXPECT_EQ(text.find("divaudit_audit_poll_errors_total{"), std::string::npos);

  metrics.AuditEventsRead("Groups", 3);
  metrics.AuditEventsRead("Groups", 0);
  metrics.AuditPollFailed("Directory", "throttled");
  metrics.AuditPollFailed("Directory", "throttled");
  metrics.ObserveDetection(7.5);
  metrics.ObserveDetection(-1);  // clock skew never gives a negative delay
  text = metrics.ExpositionText();
  EXPECT_EQ(Sample(text, "divaudit_audit_events_total{service=\"Groups\"}"), 3);
  EXPECT_NE(text.find("# TYPE divaudit_audit_poll_errors_total counter\n"), std::string::npos);
  EXPECT_EQ(
      Sample(text, "divaudit_audit_poll_errors_total{reason=\"throttled\",service=\"Directory\"}"),
      2);
  EXPECT_EQ(Sample(text, "divaudit_detection_seconds_count"), 2);
  EXPECT_EQ(Sample(text, "divaudit_detection_seconds_sum"), 7.5);
  EXPECT_EQ(Sample(text, "divaudit_detection_seconds_bucket{le=\"10\"}"), 2);
  EXPECT_EQ(Sample(text, "divaudit_detection_seconds_bucket{le=\"5\"}"), 1);
}

}  // namespace
}  // namespace divaudit::metrics
