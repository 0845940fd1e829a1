#include "metrics/process_collector.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

namespace divaudit::metrics {
namespace {

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

prometheus::MetricFamily Single(std::string name, std::string help, prometheus::MetricType type,
                                double value) {
  prometheus::MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = type;
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(std::move(metric));
  return family;
}

// The fields of <proc>/<pid>/stat after the command name (which may hold spaces and ')'):
// fields[0] is field 3 (state) of proc(5).
std::optional<std::vector<std::string>> StatFields(const std::string& stat) {
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream in(stat.substr(close + 1));
  std::vector<std::string> fields;
  std::string f;
  while (in >> f) fields.push_back(f);
  if (fields.size() < 22) return std::nullopt;  // up to field 24 (rss)
  return fields;
}

std::optional<double> Number(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return v;
}

}  // namespace

ProcessCollector::ProcessCollector(std::string proc_root, std::string pid,
                                   long clock_ticks_per_second, long page_size)
    : proc_root_(std::move(proc_root)),
      pid_(std::move(pid)),
      ticks_(static_cast<double>(clock_ticks_per_second > 0 ? clock_ticks_per_second
                                                            : ::sysconf(_SC_CLK_TCK))),
      page_(static_cast<double>(page_size > 0 ? page_size : ::sysconf(_SC_PAGESIZE))) {}

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> out;
  const std::string dir = proc_root_ + "/" + pid_;

  if (auto stat = ReadFile(dir + "/stat")) {
    if (auto fields = StatFields(*stat)) {
      // proc(5) field n is fields[n - 3].
      const auto field = [&](int n) { return Number((*fields)[static_cast<size_t>(n - 3)]); };
      const auto utime = field(14), stime = field(15), starttime = field(22), vsize = field(23),
                 rss = field(24);
      if (utime && stime && ticks_ > 0) {
        out.push_back(Single("process_cpu_seconds_total",
                             "Total user and system CPU time spent in seconds.",
                             MetricType::Counter, (*utime + *stime) / ticks_));
      }
      if (vsize) {
        out.push_back(Single("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                             MetricType::Gauge, *vsize));
      }
      if (rss) {
        out.push_back(Single("process_resident_memory_bytes", "Resident memory size in bytes.",
                             MetricType::Gauge, *rss * page_));
      }
      if (starttime && ticks_ > 0) {
        if (auto system_stat = ReadFile(proc_root_ + "/stat")) {
          std::istringstream in(*system_stat);
          std::string line;
          while (std::getline(in, line)) {
            if (line.rfind("btime ", 0) != 0) continue;
            if (auto btime = Number(line.substr(6))) {
              out.push_back(Single("process_start_time_seconds",
                                   "Start time of the process since unix epoch in seconds.",
                                   MetricType::Gauge, *btime + *starttime / ticks_));
            }
            break;
          }
        }
      }
    }
  }

  std::error_code ec;
  std::filesystem::directory_iterator fds(dir + "/fd", ec);
  if (!ec) {
    double open = 0;
    for (auto it = fds; it != std::filesystem::directory_iterator(); it.increment(ec)) {
      if (ec) break;
      ++open;
    }
    // The iterator's own descriptor is counted when reading /proc/self/fd, as in the Go client.
    if (!ec) {
      out.push_back(
          Single("process_open_fds", "Number of open file descriptors.", MetricType::Gauge, open));
    }
  }

  if (auto limits = ReadFile(dir + "/limits")) {
    std::istringstream in(*limits);
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("Max open files", 0) != 0) continue;
      std::istringstream fields(line.substr(14));
      std::string soft;
      fields >> soft;
      const double value = soft == "unlimited" ? 1.8446744073709552e19 : Number(soft).value_or(-1);
      if (value >= 0) {
        out.push_back(Single("process_max_fds", "Maximum number of open file descriptors.",
                             MetricType::Gauge, value));
      }
      break;
    }
  }
  return out;
}

}  // namespace divaudit::metrics
