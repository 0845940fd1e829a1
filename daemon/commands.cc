#include "daemon/commands.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>

#include "audit/findings_document.h"
#include "common/clock.h"
#include "common/logging.h"
#include "common/random.h"
#include "common/strings.h"
#include "common/time_util.h"
#include "config/loader.h"
#include "daemon/attest_commands.h"
#include "daemon/daemon_loop.h"
#include "daemon/notifier.h"
#include "daemon/service.h"
#include "daemon/sweep_job.h"
#include "daemon/sweep_log.h"
#include "present/findings.h"
#include "report/report.h"
#include "storage/cached_reads.h"
#include "storage/evidence_store.h"
#include "storage/sqlite_snapshot_store.h"

namespace divaudit::daemon {
namespace {

std::shared_ptr<spdlog::logger> Log() { return GetLogger("sweep"); }

// One line on stderr: "divaudit <command>: <message>".
void PrintError(std::string_view command, const Status& status) {
  std::fprintf(stderr, "divaudit %.*s: %s\n", static_cast<int>(command.size()), command.data(),
               status.message().c_str());
}

Result<config::Config> LoadConfig(std::string_view command, const std::string& path, int* exit) {
  auto config = config::LoadConfigFile(path);
  if (!config.ok()) {
    PrintError(command, config.status());
    *exit = kExitUsage;
  } else if (command == "check-config") {
    // Accepted but risky settings: check-config says so (the daemon logs them at start).
    for (const auto& warning : config->warnings) {
      std::fprintf(stderr, "divaudit check-config: warning: %s\n", warning.c_str());
    }
  }
  return config;
}

// Writers (sweep) hold the database's writer lock; read-only commands (findings, diff, report,
// verify) open it read-only: a missing file is "no database at PATH", nothing is created or
// changed, and a copy on read-only media works.
enum class Access { kWrite, kReadOnly };
Result<std::unique_ptr<storage::SqliteSnapshotStore>> OpenStore(std::string_view command,
                                                                const config::Config& config,
                                                                const Clock& clock, int* exit,
                                                                Access access) {
  storage::SqliteStoreOptions options;
  options.read_only = access == Access::kReadOnly;
  auto store = storage::SqliteSnapshotStore::Open(config.storage.path, clock, options);
  if (!store.ok()) {
    PrintError(command, store.status());
    *exit = kExitRuntime;
  }
  return store;
}

// A progress line on stderr when it is a terminal and the sweep takes more than 2 seconds.
class ProgressPrinter {
 public:
  explicit ProgressPrinter(const Clock& clock)
      : clock_(clock), start_(clock.SteadyNow()), tty_(::isatty(2) == 1) {}
  ~ProgressPrinter() {
    if (printed_) std::fputs("\r\033[K", stderr);
  }
  void operator()(std::string_view phase, int64_t done, int64_t total) {
    if (!tty_ || clock_.SteadyNow() - start_ < std::chrono::seconds(2)) return;
    printed_ = true;
    std::fprintf(
        stderr, "\r\033[Ksweep: %.*s — %lld/%lld pages (%s)", static_cast<int>(phase.size()),
        phase.data(), static_cast<long long>(done), static_cast<long long>(total),
        FormatDuration(
            std::chrono::duration_cast<std::chrono::milliseconds>(clock_.SteadyNow() - start_))
            .c_str());
    std::fflush(stderr);
  }

 private:
  const Clock& clock_;
  SteadyTime start_;
  bool tty_;
  bool printed_ = false;
};

// The tenants `findings --tenant` accepts: the configured ones and every tenant a stored finding
// names (division names when no tenant map is configured).
std::set<std::string> KnownTenants(const config::Config& config,
                                   const std::vector<storage::FindingRecord>& all) {
  std::set<std::string> known;
  for (const auto& t : config.tenants) known.insert(t.name);
  for (const auto& r : all) {
    if (r.finding.tenant) known.insert(*r.finding.tenant);
    if (r.finding.home_tenant) known.insert(*r.finding.home_tenant);
    known.insert(r.finding.tenants.begin(), r.finding.tenants.end());
  }
  known.erase("");
  return known;
}

// "unknown tenant "Acme Retial" (did you mean "Acme Retail"?); known tenants: ..." for a
// --tenant that names no tenant; Ok when it names one.
Status CheckTenantName(const std::string& tenant, const std::set<std::string>& known) {
  if (known.count(tenant)) return Status::Ok();
  std::string closest;
  size_t best = std::max<size_t>(3, tenant.size() / 3 + 1);  // fewer edits than this
  for (const auto& k : known) {
    const size_t d = EditDistance(tenant, k);
    if (d < best) best = d, closest = k;
  }
  std::string message = "--tenant: unknown tenant \"" + tenant + "\"";
  if (!closest.empty()) message += " (did you mean \"" + closest + "\"?)";
  if (known.empty()) {
    message += "; no tenant is configured or named by a stored finding";
  } else {
    message += "; known tenants:";
    size_t n = 0;
    for (const auto& k : known) {
      if (n++ == 20) {
        message += " ... (" + std::to_string(known.size()) + " in all)";
        break;
      }
      message += (n == 1 ? " \"" : ", \"") + k + "\"";
    }
  }
  return InvalidArgumentError(message);
}

// Creates `path` and its missing parents as 0750 directories whatever the umask (reports are
// for the auditors' group, not for everyone). Existing directories are left as they are.
Status CreateReportDirectory(const std::string& path) {
  namespace fs = std::filesystem;
  std::vector<fs::path> missing;
  std::error_code ec;
  for (fs::path p = fs::path(path).lexically_normal(); !p.empty() && !fs::exists(p, ec);
       p = p.parent_path()) {
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0750) != 0 && errno != EEXIST) {
      return UnavailableError("report: cannot create directory " + it->string() + ": " +
                              std::strerror(errno));
    }
    if (::chmod(it->c_str(), 0750) != 0) {
      return UnavailableError("report: cannot set the mode of " + it->string() + ": " +
                              std::strerror(errno));
    }
  }
  return Status::Ok();
}

// A report's period must not lie in the future: it would claim a clean record for days no sweep
// has seen. The period may end at the end of the report's (UTC) day, since `--to DAY` means the
// end of that day.
Status CheckPeriodNotInFuture(const report::Period& period, SystemTime generated_at) {
  const int64_t now = ToUnixSeconds(generated_at);
  const int64_t end_of_day = now - (now % 86400) + 86399;
  if (ToUnixSeconds(period.from) > now) {
    return InvalidArgumentError("report: the period starts in the future (--from " +
                                FormatIso8601(period.from) + " is after the report time " +
                                FormatIso8601(generated_at) + ")");
  }
  if (ToUnixSeconds(period.to) > end_of_day) {
    return InvalidArgumentError("report: the period ends in the future (--to " +
                                FormatIso8601(period.to) + " is after the report day " +
                                FormatIso8601(FromUnixSeconds(end_of_day)) + ")");
  }
  return Status::Ok();
}

// The process ends right after the command: its memory goes back to the system at once, while
// freeing a 50,000-user sweep's snapshot (hundreds of thousands of strings and vectors) one
// allocation at a time took 40-50 ms of the sweep's wall time. Held through a static pointer, so
// it stays reachable (no leak report from LeakSanitizer).
void KeepUntilExit(SweepJobOutput out) {
  static auto* const kept = new std::vector<SweepJobOutput>();
  kept->push_back(std::move(out));
}

}  // namespace

int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kPermissionDenied:
      return kExitUsage;
    default:
      return kExitRuntime;
  }
}

int SweepCommand(const SweepCommandOptions& options) {
  int exit = kExitOk;
  SystemClock clock;
  auto config = LoadConfig("sweep", options.config_path, &exit);
  if (!config.ok()) return exit;
  auto store = OpenStore("sweep", *config, clock, &exit, Access::kWrite);
  if (!store.ok()) return exit;
  SeededRandom random(std::random_device{}());
  auto job = SweepJob::Create(std::make_shared<const config::Config>(*config), **store, clock,
                              random, CancellationToken());
  if (!job.ok()) {
    PrintError("sweep", job.status());
    return ExitCodeFor(job.status());
  }
  // Progress: a live line on a terminal, else log lines (kSweepProgressLogInterval).
  ProgressPrinter printer(clock);
  SweepProgressLog progress_log(clock, kSweepProgressLogInterval);
  const bool tty = ::isatty(2) == 1;
  const SteadyTime steady_start = clock.SteadyNow();
  auto out = (*job)->Run([&](std::string_view phase, int64_t done, int64_t total) {
    if (tty) {
      printer(phase, done, total);
    } else {
      progress_log(phase, done, total);
    }
  });
  const auto duration = clock.SteadyNow() - steady_start;
  if (!out.ok()) {
    Log()->error("event=sweep_failed err=\"{}\"", out.status().message());
    Log()->warn("event=sweep_done status=failed duration_ms={}", FormatMillis(duration));
    PrintError("sweep", out.status());
    return ExitCodeFor(out.status());
  }
  if (out->info.status == audit::SweepStatus::kFailed) {
    Log()->error("event=sweep_failed sweep_id={} err=\"{}\"", out->info.id,
                 SweepFailureCause(out->info));
  }
  const auto level =
      out->info.status == audit::SweepStatus::kComplete ? spdlog::level::info : spdlog::level::warn;
  Log()->log(level, "event=sweep_done {}", SweepDoneFields(*out, duration));
  if (options.json) {
    audit::DocumentOptions doc;
    doc.exceptions = &out->audit.exceptions;
    if (out->evidence_available) doc.evidence = &out->evidence;
    const std::string json = audit::RenderFindingsDocument(
        out->info, audit::CountsOf(out->snapshot), out->findings, doc);
    std::fwrite(json.data(), 1, json.size(), stdout);
    std::fputc('\n', stdout);
  }
  if (out->info.status == audit::SweepStatus::kFailed) {
    std::fprintf(stderr,
                 "divaudit sweep: sweep %lld failed:", static_cast<long long>(out->info.id));
    for (const auto& why : out->info.incomplete) std::fprintf(stderr, " %s;", why.c_str());
    std::fputc('\n', stderr);
    return kExitRuntime;
  }
  int code = kExitOk;
  if (options.fail_on_findings) {
    for (const auto& f : out->findings) {
      if (f.state == audit::FindingState::kOpen) code = kExitFindings;
    }
  }
  KeepUntilExit(std::move(*out));
  return code;
}

int CheckConfigCommand(const std::string& config_path, bool online) {
  int exit = kExitOk;
  auto config = LoadConfig("check-config", config_path, &exit);
  if (!config.ok()) return exit;
  std::printf(
      "%s: configuration is valid (%zu tenants, %zu shared division patterns, %zu "
      "exceptions; API %s)\n",
      config_path.c_str(), config->tenants.size(), config->policy.shared_divisions.size(),
      config->exceptions.size(), config->genesys.api_base_url.c_str());
  // Offline, the secret is not read: it usually exists only inside the running unit
  // (LoadCredential), and the file must be checkable from a shell and by ExecReload.
  if (!online) return kExitOk;
  if (auto secret = ResolveClientSecret(config->genesys); !secret.ok()) {
    PrintError("check-config", secret.status());
    return kExitUsage;
  }
  SystemClock clock;
  SeededRandom random(std::random_device{}());
  // A throw-away store: check-config writes nothing to the configured database.
  std::string scratch = (std::filesystem::temp_directory_path() / "divaudit-check-XXXXXX").string();
  if (::mkdtemp(scratch.data()) == nullptr) {
    PrintError("check-config", InternalError("cannot create a temporary directory"));
    return kExitRuntime;
  }
  struct RemoveDir {
    std::string path;
    ~RemoveDir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  } cleanup{scratch};
  auto store = storage::SqliteSnapshotStore::Open(scratch + "/check.db", clock);
  if (!store.ok()) {
    PrintError("check-config", store.status());
    return kExitRuntime;
  }
  auto job = SweepJob::Create(std::make_shared<const config::Config>(*config), **store, clock,
                              random, CancellationToken());
  if (!job.ok()) {
    PrintError("check-config", job.status());
    return ExitCodeFor(job.status());
  }
  double coverage = 0;
  std::vector<std::string> invisible;
  std::vector<audit::Division> divisions;
  if (Status s = (*job)->CheckOnline(&coverage, &invisible, &divisions); !s.ok()) {
    PrintError("check-config", s);
    return kExitRuntime;
  }
  std::printf("online: logged in as client %s; coverage %.1f%% of divisions\n",
              config->genesys.client_id.c_str(), coverage * 100.0);
  // Two tenants claiming one division would fail every sweep: say so now, as a config error.
  if (Status s = CheckTenantMap(*config, divisions); !s.ok()) {
    PrintError("check-config", s);
    return kExitUsage;
  }
  if (coverage < 1.0) {
    std::printf("online: the client cannot see %zu division(s), e.g.:", invisible.size());
    for (size_t i = 0; i < invisible.size() && i < 5; ++i) {
      std::printf(" %s;", invisible[i].c_str());
    }
    std::printf(
        "\nonline: sweeps will be partial: grant the client's read roles on All "
        "Divisions (*)\n");
    return kExitRuntime;
  }
  return kExitOk;
}

int VerifyCommand(const std::string& config_path, const std::string& expect_head) {
  int exit = kExitOk;
  SystemClock clock;
  auto config = LoadConfig("verify", config_path, &exit);
  if (!config.ok()) return exit;
  auto store = OpenStore("verify", *config, clock, &exit, Access::kReadOnly);
  if (!store.ok()) return exit;
  auto result = (*store)->Verify();
  if (!result.ok()) {
    PrintError("verify", result.status());
    return kExitRuntime;
  }
  if (!result->ok) {
    std::printf("verify: FAILED");
    if (result->first_bad_sweep) {
      std::printf(" at sweep %lld", static_cast<long long>(*result->first_bad_sweep));
    }
    std::printf(" (%lld sweeps checked)\n", static_cast<long long>(result->sweeps_checked));
    for (const auto& p : result->problems) std::printf("  %s\n", p.c_str());
    return kExitRuntime;
  }
  if (!expect_head.empty() && result->head_hash != expect_head) {
    std::printf(
        "verify: FAILED: the newest sweep's hash is %s, expected %s (sweeps were removed from "
        "the end, or this is another database)\n",
        result->head_hash.empty() ? "(none)" : result->head_hash.c_str(), expect_head.c_str());
    return kExitRuntime;
  }
  std::printf("verify: ok (%lld sweeps, integrity check clean, hash chain intact)\n",
              static_cast<long long>(result->sweeps_checked));
  if (!result->head_hash.empty()) std::printf("head: %s\n", result->head_hash.c_str());
  return kExitOk;
}

int RunDaemonCommand(const std::string& config_path) {
  SystemClock clock;
  SeededRandom random(std::random_device{}());
  CancellationToken cancel;
  SystemdNotifier notifier;
  Service::Options options;
  options.config_path = config_path;
  options.audit_query = RealtimeAuditQuery();
  auto service = Service::Create(options, clock, random, cancel);
  if (!service.ok()) {
    PrintError("run", service.status());
    return ExitCodeFor(service.status());
  }
  Service& svc = **service;
  DaemonLoop::Hooks hooks;
  hooks.run_sweep = [&svc](const CancellationToken&) { return svc.RunSweep(); };
  hooks.reload = [&svc] { return svc.Reload(); };
  hooks.on_tick_skipped = [&svc] { svc.TickSkipped(); };
  svc.AddWatchHooks(hooks);
  DaemonLoop loop(std::move(hooks), svc.schedule(), notifier, random, cancel);
  return loop.Run();
}

int FindingsCommand(const FindingsCommandOptions& options) {
  int exit = kExitOk;
  SystemClock clock;
  auto config = LoadConfig("findings", options.config_path, &exit);
  if (!config.ok()) return exit;
  auto store = OpenStore("findings", *config, clock, &exit, Access::kReadOnly);
  if (!store.ok()) return exit;
  storage::FindingFilter filter;
  if (options.state != "all") filter.states = {*audit::FindingStateFromName(options.state)};
  if (!options.tenant.empty()) filter.tenant = options.tenant;
  if (!options.rule.empty()) {
    auto rule = audit::RuleFromName(options.rule);
    if (!rule) {
      std::fprintf(stderr,
                   "divaudit findings: --rule: unknown rule '%s' (all_divisions, cross_tenant, "
                   "multi_tenant_subject, unmapped_division, orphaned_grant, "
                   "grant_guardrail_off, org_wide_permission, cross_tenant_queue)\n",
                   options.rule.c_str());
      return kExitUsage;
    }
    filter.rule = *rule;
  }
  if (filter.tenant) {
    auto all = (*store)->QueryFindings(storage::FindingFilter{});
    if (!all.ok()) {
      PrintError("findings", all.status());
      return kExitRuntime;
    }
    if (Status s = CheckTenantName(*filter.tenant, KnownTenants(*config, *all)); !s.ok()) {
      PrintError("findings", s);
      return kExitUsage;
    }
  }
  auto records = (*store)->QueryFindings(filter);
  if (!records.ok()) {
    PrintError("findings", records.status());
    return kExitRuntime;
  }
  std::string text;
  if (options.format == "json") {
    std::optional<storage::SweepRecord> last;
    if (auto l = (*store)->LastCompleteSweep(); l.ok()) last = *l;
    // The sweep object's counts and settings come from that sweep's stored rows (counted, not
    // read back).
    std::map<std::string, int64_t> counts;
    std::optional<audit::RoleSettings> settings;
    if (last) {
      auto stored = (*store)->CountsAt(last->info.id);
      if (!stored.ok()) {
        PrintError("findings", stored.status());
        return kExitRuntime;
      }
      const audit::SnapshotCounts& c = *stored;
      counts = {{"divisions", c.divisions},
                {"users", c.users},
                {"groups", c.groups},
                {"roles", c.roles},
                {"oauth_clients", c.oauth_clients},
                {"grants", c.grants},
                {"queues", c.queues},
                {"queue_members", c.queue_members},
                {"permissions", c.permissions},
                {"narrowed_policies", c.narrowed_policies}};
      settings = c.settings;
    }
    text = present::RenderFindingsJson(*records, last, counts, /*pretty=*/true, settings);
  } else if (options.format == "csv") {
    text = present::RenderFindingsCsv(*records);
  } else {
    text = present::RenderFindingsTable(*records);
  }
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (!text.empty() && text.back() != '\n') std::fputc('\n', stdout);
  return kExitOk;
}

int DiffCommand(const DiffCommandOptions& options) {
  int exit = kExitOk;
  SystemClock clock;
  auto config = LoadConfig("diff", options.config_path, &exit);
  if (!config.ok()) return exit;
  auto store = OpenStore("diff", *config, clock, &exit, Access::kReadOnly);
  if (!store.ok()) return exit;
  std::optional<int64_t> from = options.from, to = options.to;
  if (!from || !to) {
    // Default: the last two complete sweeps (or from the one before --to).
    auto sweeps = (*store)->ListSweeps(std::nullopt, std::nullopt);
    if (!sweeps.ok()) {
      PrintError("diff", sweeps.status());
      return kExitRuntime;
    }
    std::vector<int64_t> complete;
    for (const auto& s : *sweeps) {
      if (s.info.status == audit::SweepStatus::kComplete && (!to || s.info.id <= *to)) {
        complete.push_back(s.info.id);
      }
    }
    if (!to && !complete.empty()) to = complete.back();
    if (!from) {
      for (auto it = complete.rbegin(); it != complete.rend(); ++it) {
        if (*it < *to) {
          from = *it;
          break;
        }
      }
    }
    if (!from || !to) {
      std::fprintf(stderr,
                   "divaudit diff: need two complete sweeps in %s (found %zu); run "
                   "`divaudit sweep` again or give --from and --to\n",
                   config->storage.path.c_str(), complete.size());
      return kExitRuntime;
    }
  }
  auto diff = (*store)->Diff(*from, *to);
  if (!diff.ok()) {
    PrintError("diff", diff.status());
    return diff.status().code() == StatusCode::kFailedPrecondition ||
                   diff.status().code() == StatusCode::kNotFound
               ? kExitUsage
               : kExitRuntime;
  }
  const std::string text = options.format == "json" ? present::RenderDiffJson(*diff, true)
                                                    : present::RenderDiffText(*diff);
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (!text.empty() && text.back() != '\n') std::fputc('\n', stdout);
  return kExitOk;
}

int ReportCommand(const ReportCommandOptions& options) {
  int exit = kExitOk;
  SystemClock clock;
  auto config = LoadConfig("report", options.config_path, &exit);
  if (!config.ok()) return exit;
  SystemTime generated_at = clock.Now();
  if (!options.generated_at.empty()) {
    auto t = ParseIso8601(options.generated_at);
    if (!t.ok()) {
      PrintError("report", t.status().WithPrefix("--generated-at"));
      return kExitUsage;
    }
    generated_at = *t;
  }
  auto period = report::ResolvePeriod(options.from, options.to, generated_at);
  if (!period.ok()) {
    PrintError("report", period.status());
    return kExitUsage;
  }
  if (Status s = CheckPeriodNotInFuture(*period, generated_at); !s.ok()) {
    PrintError("report", s);
    return kExitUsage;
  }
  auto store = OpenStore("report", *config, clock, &exit, Access::kReadOnly);
  if (!store.ok()) return exit;
  report::ReportRequest request;
  const std::string& api = config->genesys.api_base_url;
  request.org_name = api.substr(api.find("://") == std::string::npos ? 0 : api.find("://") + 3);
  // The org's name as the last complete sweep read it (organizations/me), when stored.
  if (auto last = (*store)->LastCompleteSweep(); last.ok() && !last->info.org_name.empty()) {
    request.org_name = last->info.org_name;
  }
  request.from = period->from;
  request.to = period->to;
  request.generated_at = generated_at;
  request.format = options.format;
  request.policy = PolicyFromConfig(*config);
  // Conversation evidence (issue 15): listed when [evidence] conversations is on.
  std::unique_ptr<storage::EvidenceStore> evidence;
  if (config->evidence.conversations) {
    // Read-only as the store: through a writer's WAL when there is one, else the file as it is.
    struct stat wal {};
    const std::string& db_path = (*store)->path();
    auto opened = storage::EvidenceStore::Open(
        db_path, ::lstat((db_path + "-wal").c_str(), &wal) == 0 ? storage::Db::Mode::kReadOnly
                                                                : storage::Db::Mode::kImmutable);
    if (!opened.ok()) {
      PrintError("report", opened.status());
      return kExitRuntime;
    }
    evidence = std::move(*opened);
    request.evidence = evidence.get();
  }
  // Every tenant's report reads the same sweeps, snapshot, findings and events: read them once.
  storage::CachedReads reads(**store);
  std::vector<std::string> tenants;
  if (options.all_tenants) {
    auto all = report::TenantsOf(reads, request.policy);
    if (!all.ok()) {
      PrintError("report", all.status());
      return ExitCodeFor(all.status());
    }
    tenants = *all;
    if (Status s = CreateReportDirectory(options.out); !s.ok()) {
      PrintError("report", s.WithPrefix("--out"));
      return kExitRuntime;
    }
  } else {
    tenants = {options.tenant};
  }
  for (const auto& tenant : tenants) {
    request.tenant = tenant;
    request.out_path = options.all_tenants
                           ? options.out + "/" + report::ReportFileName(tenant, options.format)
                           : options.out;
    if (options.format == "csv" && request.out_path != "-") {
      // CSV reports are directories: created here so that their mode does not follow the umask.
      if (Status s = CreateReportDirectory(request.out_path); !s.ok()) {
        PrintError("report", s);
        return kExitRuntime;
      }
    }
    auto written = report::WriteReport(reads, request);
    if (!written.ok()) {
      PrintError("report", written.status());
      return written.status().code() == StatusCode::kFailedPrecondition
                 ? kExitRuntime
                 : ExitCodeFor(written.status());
    }
    std::fprintf(stderr,
                 "report: %s: %lld open, %lld suppressed, %lld resolved in period "
                 "(as of sweep %lld) -> %s\n",
                 tenant.c_str(), static_cast<long long>(written->open),
                 static_cast<long long>(written->suppressed),
                 static_cast<long long>(written->resolved_in_period),
                 static_cast<long long>(written->as_of_sweep),
                 written->files.empty() ? "stdout" : written->files.front().c_str());
  }
  return kExitOk;
}

}  // namespace divaudit::daemon

// For daemon/attest_commands.cc: the same store opening as every command above.
namespace divaudit::daemon {
Result<std::unique_ptr<storage::SqliteSnapshotStore>> OpenCommandStore(std::string_view command,
                                                                       const config::Config& config,
                                                                       const Clock& clock,
                                                                       int* exit) {
  return OpenStore(command, config, clock, exit, Access::kReadOnly);
}
}  // namespace divaudit::daemon
