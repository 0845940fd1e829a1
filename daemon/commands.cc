// Temporary: command bodies land as the libraries they compose land.
#include "daemon/commands.h"

#include <cstdio>

namespace divaudit::daemon {
namespace {
int Pending(const char* what) {
  std::fprintf(stderr, "divaudit %s: not built yet in this revision\n", what);
  return kExitRuntime;
}
}  // namespace

int RunDaemonCommand(const std::string&) { return Pending("run"); }
int SweepCommand(const SweepCommandOptions&) { return Pending("sweep"); }
int FindingsCommand(const FindingsCommandOptions&) { return Pending("findings"); }
int DiffCommand(const DiffCommandOptions&) { return Pending("diff"); }
int ReportCommand(const ReportCommandOptions&) { return Pending("report"); }
int CheckConfigCommand(const std::string&, bool) { return Pending("check-config"); }
int VerifyCommand(const std::string&) { return Pending("verify"); }
int DemoCommand(const DemoCommandOptions&) { return Pending("demo"); }

}  // namespace divaudit::daemon
