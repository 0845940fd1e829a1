#pragma once

// A running `divaudit run` against its own divaudit-sim, for integration tests.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tests/integration/harness.h"

namespace divaudit::testing {

// Value of the first exposition line whose series is exactly `series` (name{labels} with labels
// in prometheus-cpp's sorted order), or nullopt.
std::optional<double> MetricValue(const std::string& exposition, const std::string& series);
// Sum over every series of `name` whose labels contain all of `labels` (k="v" fragments).
double MetricSum(const std::string& exposition, const std::string& name,
                 const std::vector<std::string>& labels = {});

class RunningDaemon {
 public:
  struct Options {
    std::vector<std::string> sim_args = {"--generate", "divisions=20,users=400,seed=5"};
    std::string interval = "2s";
    std::string extra_config;  // appended to the config (e.g. [metrics] basic auth)
    int requests_per_minute = 100000;
    std::string schedule_extra;  // lines added to [schedule] (e.g. watch = "5s")
  };
  ~RunningDaemon();

  // Starts the simulator and the daemon, waits for the metrics endpoint. False + error on
  // failure.
  bool Start(const Options& options, std::string* error);
  // Starts (again) only the daemon with the current config; `wrapper` (e.g. {"/bin/sh", "-c",
  // "ulimit -f 64; exec \"$0\" \"$@\""}) is put in front of the command.
  bool StartDaemon(std::string* error, const std::vector<std::string>& wrapper = {});
  // Patches the written config (before StartDaemon).
  bool SetupOnly(const Options& options, std::string* error);

  std::string Scrape();
  // Waits until divaudit_sweeps_total{status} >= n.
  bool WaitForSweeps(const std::string& status, double n, std::chrono::seconds timeout);
  double Sweeps(const std::string& status);
  std::string Log() const;
  CommandResult Divaudit(const std::vector<std::string>& args);
  HttpResult SimAdmin(const std::string& method, const std::string& path,
                      const std::string& body = "");

  TempDir& dir() { return dir_; }
  SimProcess& sim() { return sim_; }
  ChildProcess& daemon() { return daemon_; }
  std::string config_path() const { return dir_.File("divaudit.toml"); }
  std::string db_path() const { return dir_.File("divaudit.db"); }
  int metrics_port() const { return metrics_port_; }

 private:
  TempDir dir_;
  SimProcess sim_;
  ChildProcess daemon_;
  int metrics_port_ = 0;
};

}  // namespace divaudit::testing
