#pragma once

#include <optional>
#include <string>

#include "common/status.h"

namespace divaudit::daemon {

// Exit codes (docs/cli.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntime = 1;   // API, DB, I/O
inline constexpr int kExitUsage = 2;     // usage or config error
inline constexpr int kExitFindings = 3;  // --fail-on-findings and open findings exist

struct SweepCommandOptions {
  std::string config_path;
  bool json = false;
  bool fail_on_findings = false;
};

struct FindingsCommandOptions {
  std::string config_path;
  std::string state = "open";  // open|resolved|suppressed|all
  std::string tenant;
  std::string rule;
  std::string format = "table";  // table|json|csv
};

struct DiffCommandOptions {
  std::string config_path;
  std::optional<int64_t> from;
  std::optional<int64_t> to;
  std::string format = "table";  // table|json
};

struct ReportCommandOptions {
  std::string config_path;
  std::string tenant;
  bool all_tenants = false;
  std::string from;             // YYYY-MM-DD; default: 30 days before `to`
  std::string to;               // YYYY-MM-DD; default: today
  std::string format = "html";  // html|csv|json
  std::string out;
  std::string generated_at;  // fixed report time for reproducible output
};

struct DemoCommandOptions {
  int port = 0;  // metrics port; 0 picks a free one
  int users = 3000;
  std::string dir;  // where the demo writes its DB, config and report (default: a temp dir)
  int sweeps = 2;
  bool keep_running = false;
};

// Each returns a process exit code and prints errors as one line on stderr.
// The exit code for a failed operation: 2 (usage/configuration: kInvalidArgument, kNotFound,
// kPermissionDenied), else 1 (runtime: I/O, database, API).
int ExitCodeFor(const Status& status);

int RunDaemonCommand(const std::string& config_path);
int SweepCommand(const SweepCommandOptions& options);
int FindingsCommand(const FindingsCommandOptions& options);
int DiffCommand(const DiffCommandOptions& options);
int ReportCommand(const ReportCommandOptions& options);
int CheckConfigCommand(const std::string& config_path, bool online);
// `expect_head` (hex, optional): fail unless the newest sweep's content hash equals it.
int VerifyCommand(const std::string& config_path, const std::string& expect_head = "");
int DemoCommand(const DemoCommandOptions& options);

}  // namespace divaudit::daemon
