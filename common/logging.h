#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
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

// A message in the `event=x key=value key="quoted value"` vocabulary, split: the leading
// key=value pairs in order (quotes removed; a quoted value ends at a '"' followed by a space or the
// end) and whatever follows the last pair that is not one ("free text"). A message without any
// pair is all free text.
struct LogfmtMessage {
  std::vector<std::pair<std::string, std::string>> fields;
  std::string text;
};
LogfmtMessage ParseLogfmt(std::string_view message);

// One log line (without the newline), as the stderr sink writes it:
//   text:     "2026-11-23T08:01:10.123Z info sweep: event=sweep_done ..."
//   journald: "<6>sweep: event=sweep_done ..." (journald adds its own timestamp)
//   json:     {"ts":"2026-11-23T08:01:10.123Z","level":"info","logger":"sweep",
//              "event":"sweep_done","duration_ms":77,...,"msg":"free text"}
// In JSON every key=value pair of the message is its own field: integers and decimals become
// numbers, a key given twice an array; keys that would clash with ts/level/logger/msg get a
// "field_" prefix; "msg" holds only the free text (omitted when empty).
std::string FormatLogLine(LogFormat format, bool journald, SystemTime time,
                          spdlog::level::level_enum level, std::string_view logger,
                          std::string_view message);

// "2026-11-23T08:01:10.123Z": UTC, millisecond precision.
std::string FormatIso8601Millis(SystemTime time);

}  // namespace divaudit
