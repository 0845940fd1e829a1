#include "common/logging.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "common/json_writer.h"
#include "common/time_util.h"

namespace divaudit {
namespace {

int SyslogPriority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return 7;
    case spdlog::level::info:
      return 6;
    case spdlog::level::warn:
      return 4;
    case spdlog::level::err:
      return 3;
    case spdlog::level::critical:
      return 2;
    default:
      return 6;
  }
}

// Writes one line per record to stderr: journald-style text or JSON.
class StderrSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  StderrSink(LogFormat format, bool journald) : format_(format), journald_(journald) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string line;
    const std::string_view text(msg.payload.data(), msg.payload.size());
    const std::string_view logger(msg.logger_name.data(), msg.logger_name.size());
    const auto lvl = spdlog::level::to_string_view(msg.level);
    if (format_ == LogFormat::kJson) {
      JsonWriter w;
      w.BeginObject();
      w.Field("ts", FormatIso8601(std::chrono::time_point_cast<SystemTime::duration>(msg.time)));
      w.Field("level", std::string_view(lvl.data(), lvl.size()));
      w.Field("logger", logger);
      w.Field("msg", text);
      w.EndObject();
      line = w.Take();
    } else if (journald_) {
      // Appended piecewise: g++ 12 -O3 warns falsely (-Wrestrict) on "<" + std::string.
      line = "<";
      line += std::to_string(SyslogPriority(msg.level));
      line += ">";
      line += logger;
      line += ": ";
      line += text;
    } else {
      line = FormatIso8601(std::chrono::time_point_cast<SystemTime::duration>(msg.time));
      line += " ";
      line.append(lvl.data(), lvl.size());
      line += " ";
      line += logger;
      line += ": ";
      line += text;
    }
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
  void flush_() override { std::fflush(stderr); }

 private:
  LogFormat format_;
  bool journald_;
};

std::mutex g_mu;
spdlog::sink_ptr g_sink;
spdlog::level::level_enum g_level = spdlog::level::info;

spdlog::sink_ptr CurrentSinkLocked() {
  if (!g_sink) g_sink = std::make_shared<StderrSink>(LogFormat::kText, RunningUnderJournald());
  return g_sink;
}

}  // namespace

bool RunningUnderJournald() { return std::getenv("JOURNAL_STREAM") != nullptr; }

Result<LogFormat> ParseLogFormat(std::string_view s) {
  if (s == "text") return LogFormat::kText;
  if (s == "json") return LogFormat::kJson;
  return InvalidArgumentError("--log-format: want text or json, got '" + std::string(s) + "'");
}

Result<spdlog::level::level_enum> ParseLogLevel(std::string_view s) {
  if (s == "trace") return spdlog::level::trace;
  if (s == "debug") return spdlog::level::debug;
  if (s == "info") return spdlog::level::info;
  if (s == "warn" || s == "warning") return spdlog::level::warn;
  if (s == "error") return spdlog::level::err;
  if (s == "off") return spdlog::level::off;
  return InvalidArgumentError("--log-level: want trace, debug, info, warn, error or off, got '" +
                              std::string(s) + "'");
}

void SetupLogging(const LogOptions& options) {
  std::lock_guard lock(g_mu);
  g_sink = std::make_shared<StderrSink>(options.format, options.journald || RunningUnderJournald());
  g_level = options.level;
  spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& l) {
    l->sinks().clear();
    l->sinks().push_back(g_sink);
    l->set_level(g_level);
  });
}

std::shared_ptr<spdlog::logger> GetLogger(const std::string& name) {
  std::lock_guard lock(g_mu);
  if (auto existing = spdlog::get(name)) return existing;
  auto logger = std::make_shared<spdlog::logger>(name, CurrentSinkLocked());
  logger->set_level(g_level);
  logger->flush_on(spdlog::level::trace);
  spdlog::register_logger(logger);
  return logger;
}

}  // namespace divaudit
