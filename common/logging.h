#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace divaudit {

enum class LogFormat { kText, kJson };

struct LogOptions {
  LogFormat format = LogFormat::kText;
  spdlog::level::level_enum level = spdlog::level::info;
  // Under journald (JOURNAL_STREAM set) text lines carry "<N>" syslog priority prefixes and no
  // timestamp. Detected from the environment by SetupLogging unless forced here.
  bool journald = false;
};

// Parses "text"/"json" and "trace|debug|info|warn|error|off".
Result<LogFormat> ParseLogFormat(std::string_view s);
Result<spdlog::level::level_enum> ParseLogLevel(std::string_view s);

// Configures every named logger to write to stderr. Call once from the composition root; may
// be called again (e.g. on reload) — existing loggers are re-targeted. Thread-safe.
void SetupLogging(const LogOptions& options);
bool RunningUnderJournald();

// The named logger ("api", "sweep", "audit", "storage", "metrics", "sched", "config", "sim"),
// created on first use with the current sinks. Thread-safe.
std::shared_ptr<spdlog::logger> GetLogger(const std::string& name);

}  // namespace divaudit
