// divaudit: the command line and composition root.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "common/logging.h"
#include "common/strings.h"
#include "daemon/attest_commands.h"
#include "daemon/cli.h"
#include "daemon/commands.h"

namespace {

constexpr const char* kDescription =
    "divaudit audits tenant isolation in a Genesys Cloud organisation: it sweeps divisions, "
    "users,\n"
    "roles, grants (direct and via groups), group memberships and OAuth clients, flags\n"
    "cross-tenant access and All-Divisions grants, stores every sweep in SQLite, exports\n"
    "Prometheus metrics and writes compliance reports.\n\n"
    "Exit codes: 0 success, 1 runtime failure (API, DB, I/O), 2 usage or config error,\n"
    "3 --fail-on-findings and open findings exist.\n"
    "Try `divaudit demo` to see it work against a built-in simulated org.";

// Levenshtein distance, for "did you mean" on a mistyped option.
// Names what CLI11 would misreport, before it parses: an unknown command (CLI11: "a subcommand
// is required") and an unknown option (with fallthrough() the parent gets it and reports a
// missing required option: "--confg" → "--config is required"), with the closest known option.
// Returns the error line, or "" when the command and every option are known.
std::string UsageError(const CLI::App& app, int argc, char** argv) {
  const CLI::App* cmd = nullptr;
  bool expect_value = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") break;
    if (expect_value) {
      expect_value = false;
      continue;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      if (cmd == nullptr && !arg.empty() && arg != "-") {
        const auto subs =
            app.get_subcommands([&](const CLI::App* c) { return c->get_name() == arg; });
        if (subs.empty()) {
          std::string names;
          for (const CLI::App* c : app.get_subcommands([](const CLI::App*) { return true; })) {
            names += (names.empty() ? "" : ", ") + c->get_name();
          }
          return "divaudit: unknown command '" + arg + "' (commands: " + names +
                 "; see divaudit --help)";
        }
        cmd = subs.front();
      }
      continue;
    }
    const size_t eq = arg.find('=');
    const std::string name = arg.substr(0, eq);
    if (name == "-h" || name == "--help" || name == "--version") continue;
    const CLI::Option* opt = cmd != nullptr ? cmd->get_option_no_throw(name) : nullptr;
    if (opt == nullptr) opt = app.get_option_no_throw(name);
    if (opt != nullptr) {
      expect_value = eq == std::string::npos && opt->get_type_size_min() > 0;
      continue;
    }
    std::string best;
    size_t best_distance = 3;  // suggest only close matches
    for (const CLI::App* scope : {cmd, &app}) {
      if (scope == nullptr) continue;
      for (const CLI::Option* o : scope->get_options()) {
        for (const std::string& long_name : o->get_lnames()) {
          const size_t d = divaudit::EditDistance(name, "--" + long_name);
          if (d < best_distance) {
            best_distance = d;
            best = "--" + long_name;
          }
        }
      }
    }
    std::string where = cmd != nullptr ? "divaudit " + cmd->get_name() : "divaudit";
    return "divaudit: unknown option '" + name + "'" +
           (best.empty() ? std::string() : " (did you mean " + best + "?)") + "; see " + where +
           " --help";
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace divaudit::daemon;
  CLI::App app(kDescription, "divaudit");
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the subcommand
  app.set_version_flag("--version", std::string(DIVAUDIT_VERSION_STRING));
  std::string log_format = "text";
  std::string log_level = "info";
  app.add_option("--log-format", log_format, "Log format on stderr: text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();

  std::string config_path;
  const auto add_config = [&](CLI::App* cmd) {
    cmd->add_option("-c,--config", config_path,
                    "Configuration file (TOML, see divaudit.example.toml)")
        ->required();
  };

  auto* run = app.add_subcommand("run",
                                 "Run the daemon in the foreground (systemd Type=notify): "
                                 "sweep on a schedule, serve metrics");
  add_config(run);

  SweepCommandOptions sweep;
  auto* sweep_cmd = app.add_subcommand("sweep", "Run one sweep now and commit it to the database");
  add_config(sweep_cmd);
  sweep_cmd->add_flag("--json", sweep.json, "Print the findings document (JSON) to stdout");
  sweep_cmd->add_flag("--fail-on-findings", sweep.fail_on_findings,
                      "Exit 3 when open findings exist (for CI pipelines)");

  FindingsCommandOptions findings;
  auto* findings_cmd = app.add_subcommand("findings", "List stored findings");
  add_config(findings_cmd);
  findings_cmd->add_option("--state", findings.state, "open, resolved, suppressed or all")
      ->check(CLI::IsMember({"open", "resolved", "suppressed", "all"}))
      ->capture_default_str();
  findings_cmd->add_option("--tenant", findings.tenant, "Only findings touching this tenant");
  findings_cmd->add_option("--rule", findings.rule, "Only findings of this rule id");
  findings_cmd->add_option("--format", findings.format, "table, json or csv")
      ->check(CLI::IsMember({"table", "json", "csv"}))
      ->capture_default_str();

  DiffCommandOptions diff;
  auto* diff_cmd =
      app.add_subcommand("diff",
                         "Grant, membership and user changes between two complete sweeps "
                         "(default: the last two)");
  add_config(diff_cmd);
  diff_cmd->add_option("--from", diff.from, "Sweep id to compare from");
  diff_cmd->add_option("--to", diff.to, "Sweep id to compare to");
  diff_cmd->add_option("--format", diff.format, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();

  ReportCommandOptions report;
  auto* report_cmd = app.add_subcommand("report", "Write a per-tenant compliance report");
  add_config(report_cmd);
  auto* tenant_opt = report_cmd->add_option("--tenant", report.tenant, "Tenant name");
  auto* all_opt = report_cmd->add_flag("--all-tenants", report.all_tenants,
                                       "One report per tenant (PATH is a directory)");
  tenant_opt->excludes(all_opt);
  report_cmd->add_option("--from", report.from, "Period start, YYYY-MM-DD (default: 30 days ago)");
  report_cmd->add_option("--to", report.to, "Period end, YYYY-MM-DD (default: today)");
  report_cmd->add_option("--format", report.format, "html, csv or json")
      ->check(CLI::IsMember({"html", "csv", "json"}))
      ->capture_default_str();
  report_cmd->add_option("--out", report.out, "Output file (html, json) or directory (csv)")
      ->required();
  report_cmd->add_option("--generated-at", report.generated_at,
                         "Fixed report timestamp (YYYY-MM-DDTHH:MM:SSZ) for reproducible output");

  bool online = false;
  auto* check_cmd = app.add_subcommand(
      "check-config", "Validate a configuration file (offline: reads no secret, no network)");
  add_config(check_cmd);
  check_cmd->add_flag("--online", online,
                      "Also log in to Genesys Cloud and check the client sees every division. "
                      "The client secret comes from [genesys] client_secret_file, else "
                      "$DIVAUDIT_CLIENT_SECRET, else $CREDENTIALS_DIRECTORY/client-secret, e.g. "
                      "DIVAUDIT_CLIENT_SECRET=\"$(sudo cat /etc/divaudit/client-secret)\" "
                      "divaudit check-config --config F --online");

  auto* verify_cmd = app.add_subcommand(
      "verify",
      "Check database integrity and the sweep hash chain (exit 1 names the first bad "
      "sweep)");
  add_config(verify_cmd);
  std::string expect_head;
  verify_cmd->add_option("--expect-head", expect_head,
                         "Fail unless the newest sweep's content hash is HASH (as logged in "
                         "event=sweep_committed content_hash=...)");

  DemoCommandOptions demo;
  auto* demo_cmd = app.add_subcommand(
      "demo", "Built-in simulated BPO org: sweeps, findings, metrics and a report, no credentials");
  demo_cmd->add_option("--port", demo.port, "Metrics port (default: a free port)");
  demo_cmd->add_option("--users", demo.users, "Users in the simulated org")->capture_default_str();
  demo_cmd->add_option("--dir", demo.dir, "Directory for the demo's DB, config and report");
  demo_cmd->add_flag("--keep-running", demo.keep_running,
                     "Keep serving metrics after the demo until Ctrl-C");

  // Attestation: keygen, attest, verify-attestation (daemon/attest_commands.h).
  const auto attest_cli = AttestCli::Register(app);

  std::string completion_shell;  // `divaudit completion bash`: walks the table built above
  auto* completion_cmd = AddCompletionCommand(app, &completion_shell);

  if (const std::string unknown = UsageError(app, argc, argv); !unknown.empty()) {
    std::fprintf(stderr, "%s\n", unknown.c_str());
    return kExitUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "divaudit: %s (see divaudit --help)\n", e.what());
    return kExitUsage;
  }
  if (*completion_cmd) return CompletionCommand(app, completion_shell);

  divaudit::LogOptions log_options;
  log_options.format = *divaudit::ParseLogFormat(log_format);
  log_options.level = *divaudit::ParseLogLevel(log_level);
  divaudit::SetupLogging(log_options);

  if (const auto code = attest_cli->Run()) return *code;
  if (*run) return RunDaemonCommand(config_path);
  if (*sweep_cmd) {
    sweep.config_path = config_path;
    return SweepCommand(sweep);
  }
  if (*findings_cmd) {
    findings.config_path = config_path;
    return FindingsCommand(findings);
  }
  if (*diff_cmd) {
    diff.config_path = config_path;
    return DiffCommand(diff);
  }
  if (*report_cmd) {
    if (report.tenant.empty() && !report.all_tenants) {
      std::fprintf(stderr, "divaudit report: give --tenant NAME or --all-tenants\n");
      return kExitUsage;
    }
    report.config_path = config_path;
    return ReportCommand(report);
  }
  if (*check_cmd) return CheckConfigCommand(config_path, online);
  if (*verify_cmd) return VerifyCommand(config_path, expect_head);
  if (*demo_cmd) return DemoCommand(demo);
  return kExitUsage;
}
