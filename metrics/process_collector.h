#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <string>
#include <vector>

namespace divaudit::metrics {

// The standard process_* metrics every Prometheus client library exports on Linux (the names,
// types and sources of the Go and Python clients):
//   process_cpu_seconds_total       counter  user + system CPU time   (<proc>/stat utime+stime)
//   process_resident_memory_bytes   gauge    resident set size        (<proc>/stat rss × page)
//   process_virtual_memory_bytes    gauge    virtual memory size      (<proc>/stat vsize)
//   process_start_time_seconds      gauge    Unix start time          (/stat btime + starttime)
//   process_open_fds                gauge    open file descriptors    (entries of <proc>/fd)
//   process_max_fds                 gauge    soft RLIMIT_NOFILE       (<proc>/limits)
// Read at every scrape from `proc_root` ("/proc" in production, a directory of fake files in
// tests) for the process `pid` ("self"). A file that cannot be read or parsed leaves its
// metrics out of that scrape (never an error, never a made-up value).
// Thread-safe: Collect holds no state.
class ProcessCollector final : public prometheus::Collectable {
 public:
  explicit ProcessCollector(std::string proc_root = "/proc", std::string pid = "self",
                            long clock_ticks_per_second = 0, long page_size = 0);

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::string proc_root_;
  std::string pid_;
  double ticks_;  // sysconf(_SC_CLK_TCK) unless given
  double page_;   // sysconf(_SC_PAGESIZE) unless given
};

}  // namespace divaudit::metrics
