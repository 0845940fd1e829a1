#include "tests/integration/daemon_harness.h"

#include <csignal>
#include <fstream>
#include <regex>
#include <sstream>

#include "tests/integration/it_util.h"

namespace divaudit::testing {

std::optional<double> MetricValue(const std::string& exposition, const std::string& series) {
  std::istringstream in(exposition);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

double MetricSum(const std::string& exposition, const std::string& name,
                 const std::vector<std::string>& labels) {
  std::istringstream in(exposition);
  std::string line;
  double sum = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line.compare(0, name.size(), name) != 0) continue;
    const char next = line.size() > name.size() ? line[name.size()] : '\0';
    if (next != '{' && next != ' ') continue;
    bool match = true;
    for (const auto& l : labels) match = match && line.find(l) != std::string::npos;
    if (!match) continue;
    sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

RunningDaemon::~RunningDaemon() {
  if (daemon_.running()) {
    daemon_.Signal(SIGTERM);
    daemon_.Wait(std::chrono::seconds(10));
  }
}

bool RunningDaemon::Start(const Options& options, std::string* error) {
  return SetupOnly(options, error) && StartDaemon(error);
}

bool RunningDaemon::SetupOnly(const Options& options, std::string* error) {
  std::vector<std::string> args = options.sim_args;
  args.insert(args.end(), {"--write-config", config_path(), "--db-path", db_path()});
  if (!sim_.Start(args, error)) return false;
  std::string text = ReadWholeFile(config_path());
  text = std::regex_replace(
      text, std::regex("interval = \"[^\"]*\""),
      "interval = \"" + options.interval + "\"\njitter = \"0s\"\n" + options.schedule_extra);
  {
    std::ofstream out(config_path(), std::ios::trunc);
    out << text;
  }
  if (!MakeConfigFast(config_path(), options.requests_per_minute, 8, options.extra_config)) {
    *error = "cannot patch " + config_path();
    return false;
  }
  return true;
}

bool RunningDaemon::StartDaemon(std::string* error, const std::vector<std::string>& wrapper) {
  const std::string log = dir_.File("daemon.log");
  std::vector<std::string> argv = wrapper;
  argv.insert(argv.end(), {DivauditBinary(), "run", "--config", config_path()});
  const size_t starts_before_launch = [&] {
    size_t n = 0;
    const std::string text = Log();
    for (size_t pos = text.find("event=metrics_listening"); pos != std::string::npos;
         pos = text.find("event=metrics_listening", pos + 1)) {
      ++n;
    }
    return n;
  }();
  if (!daemon_.Start(argv, log)) {
    *error = "cannot start divaudit run";
    return false;
  }
  const std::regex port_re("event=metrics_listening listen=\\S+ port=(\\d+)");
  const auto ports = [&] {
    std::vector<int> out;
    const std::string text = Log();
    for (auto it = std::sregex_iterator(text.begin(), text.end(), port_re);
         it != std::sregex_iterator(); ++it) {
      out.push_back(std::stoi((*it)[1]));
    }
    return out;
  };
  const size_t starts_before = starts_before_launch;
  const bool ok = WaitFor(
      [&] {
        const auto now = ports();
        if (now.size() <= starts_before) return false;
        metrics_port_ = now.back();
        return daemon_.running();
      },
      std::chrono::seconds(30));
  if (!ok) *error = "divaudit run did not start its metrics endpoint: " + Log();
  return ok;
}

std::string RunningDaemon::Scrape() {
  return HttpRequest("GET", "http://127.0.0.1:" + std::to_string(metrics_port_) + "/metrics").body;
}

double RunningDaemon::Sweeps(const std::string& status) {
  return MetricValue(Scrape(), "divaudit_sweeps_total{status=\"" + status + "\"}").value_or(-1);
}

bool RunningDaemon::WaitForSweeps(const std::string& status, double n,
                                  std::chrono::seconds timeout) {
  return WaitFor([&] { return Sweeps(status) >= n; }, timeout);
}

std::string RunningDaemon::Log() const { return ReadWholeFile(dir_.File("daemon.log")); }

CommandResult RunningDaemon::Divaudit(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {DivauditBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv);
}

HttpResult RunningDaemon::SimAdmin(const std::string& method, const std::string& path,
                                   const std::string& body) {
  return HttpRequest(method, sim_.base_url() + path, body);
}

}  // namespace divaudit::testing
