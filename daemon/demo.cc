// `divaudit demo`: a simulated BPO org, the daemon sweeping it, live metrics, a mutation between
// two sweeps (one new and one resolved finding), and where to look next.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>

#include "common/strings.h"

#include "attest/text.h"
#include "audit/finding.h"
#include "common/file_util.h"
#include "common/logging.h"
#include "common/time_util.h"
#include "daemon/attest_commands.h"
#include "daemon/commands.h"
#include "daemon/daemon_loop.h"
#include "daemon/demo_dir.h"
#include "daemon/notifier.h"
#include "daemon/service.h"
#include "report/report.h"
#include "sim/config_writer.h"
#include "sim/generator.h"
#include "sim/server.h"

namespace divaudit::daemon {
namespace {

// The demo runs outside systemd: nothing to notify.
class NullNotifier final : public Notifier {
 public:
  void Ready() override {}
  void Status(std::string_view) override {}
  void Watchdog() override {}
  void Reloading() override {}
  void Stopping() override {}
  std::optional<std::chrono::microseconds> WatchdogInterval() const override {
    return std::nullopt;
  }
};

std::string Describe(const audit::Finding& f) {
  std::string s;
  if (f.subject) {
    s += std::string(audit::SubjectTypeName(f.subject->type)) + " \"" +
         (f.subject->name.empty() ? f.subject->id : f.subject->name) + "\"";
    if (f.home_tenant) s += " (" + *f.home_tenant + ")";
  }
  if (f.role) s += " holds \"" + (f.role->name.empty() ? f.role->id : f.role->name) + "\"";
  if (f.division) {
    if (f.division->id == audit::kAllDivisionsId) {
      s += " on All Divisions";
    } else {
      s += (f.subject ? " on \"" : "division \"") +
           (f.division->name.empty() ? f.division->id : f.division->name) + "\"";
      if (f.tenant) s += " (" + *f.tenant + ")";
    }
  }
  if (!f.tenants.empty()) {
    s += " reaches tenants";
    for (const auto& t : f.tenants) s += " \"" + t + "\"";
  }
  if (f.via && !f.via->direct) s += " via group \"" + f.via->group_name + "\"";
  if (f.state == audit::FindingState::kSuppressed && f.exception) {
    s += " [suppressed: " + f.exception->reason + ", until " + f.exception->expires + "]";
  }
  return s;
}

void PrintSweep(const SweepJobOutput& out, std::chrono::milliseconds took) {
  std::printf(
      "\nSweep #%lld %s in %s (%lld API requests): %zu divisions, %zu users, %zu groups, "
      "%zu roles, %zu OAuth clients, %zu grants\n",
      static_cast<long long>(out.info.id),
      std::string(audit::SweepStatusName(out.info.status)).c_str(), FormatDuration(took).c_str(),
      static_cast<long long>(out.info.api_requests), out.snapshot.divisions.size(),
      out.snapshot.users.size(), out.snapshot.groups.size(), out.snapshot.roles.size(),
      out.snapshot.oauth_clients.size(), out.snapshot.grants.size());
  std::map<audit::Rule, std::vector<const audit::Finding*>> by_rule;
  for (const auto& f : out.findings) by_rule[f.rule].push_back(&f);
  for (const auto& [rule, list] : by_rule) {
    const size_t suppressed =
        static_cast<size_t>(std::count_if(list.begin(), list.end(), [](const audit::Finding* f) {
          return f->state == audit::FindingState::kSuppressed;
        }));
    std::printf("  %-8s %-22s %4zu open%s\n",
                std::string(audit::SeverityName(audit::RuleSeverity(rule))).c_str(),
                std::string(audit::RuleName(rule)).c_str(), list.size() - suppressed,
                suppressed ? (", " + std::to_string(suppressed) + " suppressed").c_str() : "");
    std::printf("           e.g. %s\n", Describe(*list.front()).c_str());
  }
  if (out.commit && out.info.id > 1) {
    for (const auto& f : out.commit->new_findings) {
      std::printf("  NEW      %s: %s\n", std::string(audit::RuleName(f.rule)).c_str(),
                  Describe(f).c_str());
    }
    for (const auto& f : out.commit->resolved_findings) {
      std::printf("  RESOLVED %s: %s\n", std::string(audit::RuleName(f.rule)).c_str(),
                  Describe(f).c_str());
    }
  }
  std::fflush(stdout);
}

// Changes the org like an admin would between two sweeps: grants an agent of one tenant a role
// on another tenant's division (a new cross_tenant finding) and removes one user's All Divisions
// grant (a resolved all_divisions finding). Returns a description, or an error.
Result<std::string> MutateOrg(sim::SimServer& server, const SweepJobOutput& first) {
  const audit::Finding* star = nullptr;
  for (const auto& f : first.findings) {
    if (f.rule == audit::Rule::kAllDivisions && f.state == audit::FindingState::kOpen &&
        f.subject && f.subject->type == audit::SubjectType::kUser && f.via && f.via->direct) {
      star = &f;
      break;
    }
  }
  std::string what;
  Status st = server.Mutate([&](sim::OrgFixture& org) -> Status {
    // 1. Remove a user's direct All Divisions grant.
    if (star) {
      auto& g = org.org.grants;
      g.erase(std::remove_if(g.begin(), g.end(),
                             [&](const audit::Grant& x) {
                               return x.subject_id == star->subject->id &&
                                      x.role_id == star->role->id &&
                                      x.division_id == audit::kAllDivisionsId;
                             }),
              g.end());
      what += "removed the All Divisions grant of \"" + star->role->name + "\" from user \"" +
              star->subject->name + "\"; ";
    }
    // 2. Grant an active agent of the first tenant a role on a division of another tenant.
    if (org.policy.tenants.size() < 2 || org.org.roles.empty()) {
      return InvalidArgumentError("demo org has too few tenants");
    }
    const auto& from = org.policy.tenants[0];
    const auto& to = org.policy.tenants[1];
    const auto tenant_of = [&](const audit::Division& d, const audit::TenantSpec& t) {
      for (const auto& p : t.divisions) {
        if (p == d.id || GlobMatch(p, d.name)) return true;
      }
      return false;
    };
    const audit::Division* target = nullptr;
    std::set<std::string> from_divisions;
    for (const auto& d : org.org.divisions) {
      if (tenant_of(d, from)) from_divisions.insert(d.id);
      if (!target && tenant_of(d, to)) target = &d;
    }
    const audit::User* agent = nullptr;
    for (const auto& u : org.org.users) {
      if (u.state == "active" && from_divisions.count(u.home_division_id)) {
        agent = &u;
        break;
      }
    }
    if (!target || !agent) return InvalidArgumentError("demo org has no agent to move");
    const audit::Role& role = org.org.roles.back();
    org.org.grants.push_back({audit::SubjectType::kUser, agent->id, role.id, target->id});
    what += "granted agent \"" + agent->name + "\" (" + from.name + ") the role \"" + role.name +
            "\" on \"" + target->name + "\" (" + to.name + ")";
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return what;
}

}  // namespace

int DemoCommand(const DemoCommandOptions& options) {
  // Keep the demo's output readable: only warnings and errors from the libraries.
  LogOptions log;
  log.level = spdlog::level::warn;
  SetupLogging(log);

  std::string dir = options.dir;
  if (dir.empty()) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "divaudit-demo-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      std::fprintf(stderr, "divaudit demo: cannot create a temporary directory\n");
      return kExitRuntime;
    }
    dir = tmpl;
  } else if (Status s = PrepareDemoDirectory(dir); !s.ok()) {
    std::fprintf(stderr, "divaudit demo: %s\n", s.message().c_str());
    return kExitUsage;
  }

  sim::GenerateSpec spec;
  spec.divisions = 24;
  spec.users = std::max(options.users, 200);
  spec.groups = 30;
  spec.roles = 20;
  spec.clients = 10;
  spec.tenants = 5;
  spec.seed = 42;
  std::printf(
      "divaudit demo: generating a simulated BPO org (%d users, %d divisions in %d "
      "tenants)…\n",
      spec.users, spec.divisions, spec.tenants);
  sim::OrgFixture fixture = sim::GenerateOrg(spec);
  // Seed 42 plants the grant guardrail on; the demo shows it off, so each v2 finding
  // (grant_guardrail_off, org_wide_permission, cross_tenant_queue) appears in its output.
  if (!fixture.org.role_settings) fixture.org.role_settings.emplace();
  fixture.org.role_settings->authorization_grant_division_aware = false;
  const std::vector<audit::TenantSpec> tenants = fixture.policy.tenants;
  auto server = sim::SimServer::Start(sim::SimOptions{}, fixture);
  if (!server.ok()) {
    std::fprintf(stderr, "divaudit demo: simulator: %s\n", server.status().message().c_str());
    return kExitRuntime;
  }
  const std::string secret_path = dir + "/client-secret";
  const std::string config_path = dir + "/divaudit.toml";
  sim::ConfigWriterOptions writer;
  writer.api_base_url = (*server)->base_url();
  writer.client_id = "sim-client";
  writer.client_secret_file = secret_path;
  writer.db_path = dir + "/divaudit.db";
  writer.metrics_listen = "127.0.0.1:" + std::to_string(options.port);
  writer.interval = "10m";
  std::string toml = sim::RenderConfigToml(fixture, writer);
  // The simulator has no rate limit: let the demo sweep at full speed.
  if (auto pos = toml.find("[genesys]\n"); pos != std::string::npos) {
    toml.insert(pos + 10, "requests_per_minute = 60000\nmax_concurrency = 8\n");
  }
  if (Status s = WriteFileAtomic(secret_path, "sim-secret\n", 0600);
      !s.ok() || !(s = WriteFileAtomic(config_path, toml, 0600)).ok()) {
    std::fprintf(stderr, "divaudit demo: %s\n", s.message().c_str());
    return kExitRuntime;
  }

  SystemClock clock;
  SeededRandom random(42);
  CancellationToken cancel;
  Service::Options service_options;
  service_options.config_path = config_path;
  auto service = Service::Create(service_options, clock, random, cancel);
  if (!service.ok()) {
    std::fprintf(stderr, "divaudit demo: %s\n", service.status().message().c_str());
    return kExitRuntime;
  }
  Service& svc = **service;
  const std::string metrics_url =
      "http://127.0.0.1:" + std::to_string(svc.metrics_port()) + "/metrics";
  std::printf("Simulator:  %s (Genesys Cloud API stand-in)\nMetrics:    %s\n",
              (*server)->base_url().c_str(), metrics_url.c_str());

  NullNotifier notifier;
  ScheduleOptions schedule;
  schedule.interval = std::chrono::seconds(3);
  schedule.jitter = std::chrono::milliseconds(0);
  DaemonLoop* loop_ptr = nullptr;
  int sweeps_done = 0;
  int exit_code = kExitOk;
  SteadyTime started = clock.SteadyNow();
  svc.set_on_sweep([&](const SweepJobOutput& out) {
    const auto took =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock.SteadyNow() - started);
    PrintSweep(out, took);
    ++sweeps_done;
    if (sweeps_done == 1) {
      auto what = MutateOrg(**server, out);
      if (what.ok()) {
        std::printf("\nAn admin changes the org: %s.\nNext sweep in %llds…\n", what->c_str(),
                    static_cast<long long>(schedule.interval.count() / 1000));
      } else {
        std::printf("\n(could not change the demo org: %s)\n", what.status().message().c_str());
      }
    }
    if (sweeps_done >= options.sweeps && !options.keep_running) loop_ptr->Stop();
  });
  DaemonLoop::Hooks hooks;
  hooks.run_sweep = [&](const CancellationToken&) {
    started = clock.SteadyNow();
    return svc.RunSweep();
  };
  hooks.on_tick_skipped = [&svc] { svc.TickSkipped(); };
  DaemonLoop loop(std::move(hooks), schedule, notifier, random, cancel);
  loop_ptr = &loop;
  if (options.keep_running) {
    std::printf("Serving metrics until Ctrl-C (sweeping every %llds).\n",
                static_cast<long long>(schedule.interval.count() / 1000));
  }
  loop.Run();

  const std::string first_tenant = tenants.empty() ? "" : tenants.front().name;
  // A compliance report of the first tenant, from the stored sweeps.
  std::string report_line;
  if (!first_tenant.empty()) {
    report::ReportRequest request;
    request.org_name = "divaudit demo org";
    request.tenant = first_tenant;
    request.generated_at = clock.Now();
    request.to = request.generated_at;
    request.from = request.to - std::chrono::hours(24 * 30);
    request.format = "html";
    request.out_path = dir + "/report.html";
    request.policy = PolicyFromConfig(*svc.config());
    auto written = report::WriteReport(svc.store(), request);
    report_line = written.ok() ? "  report    " + request.out_path + "   (" + first_tenant +
                                     ", HTML, printable)\n"
                               : "  report    not written: " + written.status().message() + "\n";
  }
  // A signed attestation of the first tenant, verified against the database.
  std::string attest_line;
  if (!first_tenant.empty()) {
    const std::string key = dir + "/attest-key.pem";
    const std::string generated_at = FormatIso8601(clock.Now());
    const std::string json = dir + "/attestation/" + attest::TenantSlug(first_tenant) + "-" +
                             generated_at.substr(0, 10) + ".json";
    std::printf("\nA signed attestation of %s for its auditor:\n", first_tenant.c_str());
    std::fflush(stdout);
    const bool ok = (std::filesystem::exists(key) || KeygenCommand({key}) == kExitOk) &&
                    AttestCommand({config_path, first_tenant, false, dir + "/attestation", key,
                                   generated_at}) == kExitOk &&
                    VerifyAttestationCommand({json, key + ".pub", "", config_path}) == kExitOk;
    std::fflush(stdout);
    attest_line = ok ? "  attest    " + json + "   (+ .html, .json.sig; key " + key + ".pub)\n"
                     : "  attest    not written or not verified (see above)\n";
  }
  const std::string c = " --config " + config_path;
  std::string where = "\nWhere to look:\n  metrics   " + metrics_url +
                      "   (divaudit_findings, divaudit_cross_tenant_users, ...)\n  database  " +
                      dir + "/divaudit.db\n  config    " + config_path + "\n" + report_line +
                      attest_line + "Try:\n  divaudit findings" + c + "\n  divaudit findings" + c +
                      " --state resolved\n  divaudit diff" + c + "\n  divaudit report" + c +
                      " --all-tenants --format csv --out " + dir + "/reports\n  divaudit verify" +
                      c + "\n(The simulator stops with the demo; findings, diff, report and " +
                      "verify read only the database.)\n";
  std::fwrite(where.data(), 1, where.size(), stdout);
  return exit_code;
}

}  // namespace divaudit::daemon
