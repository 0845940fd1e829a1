#include "common/logging.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "common/json_writer.h"
#include "common/strings.h"
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

// Writes one line per record to stderr: journald-style text or JSON (FormatLogLine).
class StderrSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  StderrSink(LogFormat format, bool journald) : format_(format), journald_(journald) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string line = FormatLogLine(
        format_, journald_, std::chrono::time_point_cast<SystemTime::duration>(msg.time), msg.level,
        std::string_view(msg.logger_name.data(), msg.logger_name.size()),
        std::string_view(msg.payload.data(), msg.payload.size()));
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
  void flush_() override { std::fflush(stderr); }

 private:
  LogFormat format_;
  bool journald_;
};

bool IsKeyChar(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         (!first && ((c >= '0' && c <= '9') || c == '.' || c == '-'));
}

// A JSON number as written by logfmt producers: -?(0|[1-9][0-9]*)(\.[0-9]+)?
bool IsJsonNumber(std::string_view v) {
  size_t i = 0;
  if (i < v.size() && v[i] == '-') ++i;
  if (i >= v.size()) return false;
  if (v[i] == '0') {
    ++i;
  } else if (v[i] >= '1' && v[i] <= '9') {
    while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i;
  } else {
    return false;
  }
  if (i < v.size() && v[i] == '.') {
    ++i;
    const size_t digits = i;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i;
    if (i == digits) return false;
  }
  return i == v.size() && v.size() <= 18;
}

}  // namespace

std::string FormatIso8601Millis(SystemTime time) {
  const auto ms = std::chrono::floor<std::chrono::milliseconds>(time);
  const auto secs = std::chrono::floor<std::chrono::seconds>(ms);
  std::string s = FormatIso8601(secs);  // "...:SSZ"
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%03d", static_cast<int>((ms - secs).count()));  // 0..999
  if (!s.empty() && s.back() == 'Z') s.insert(s.size() - 1, frac);
  return s;
}

LogfmtMessage ParseLogfmt(std::string_view m) {
  LogfmtMessage out;
  size_t i = 0;
  while (true) {
    while (i < m.size() && m[i] == ' ') ++i;
    if (i >= m.size()) break;
    size_t k = i;
    if (!IsKeyChar(m[k], true)) break;
    while (k < m.size() && IsKeyChar(m[k], false)) ++k;
    if (k >= m.size() || m[k] != '=') break;
    std::string key(m.substr(i, k - i));
    size_t v = k + 1;
    std::string value;
    if (v < m.size() && m[v] == '"') {
      // The value ends at a '"' followed by the end or by " key=" (so quotes inside a value
      // survive); failing that, at the last '"' followed by a space (free text after it).
      size_t close = std::string_view::npos;
      size_t weak = std::string_view::npos;
      for (size_t c = v + 1; c < m.size(); ++c) {
        if (m[c] != '"') continue;
        if (c + 1 == m.size()) {
          close = c;
          break;
        }
        if (m[c + 1] != ' ') continue;
        weak = c;
        size_t k2 = c + 2;
        if (k2 < m.size() && IsKeyChar(m[k2], true)) {
          while (k2 < m.size() && IsKeyChar(m[k2], false)) ++k2;
          if (k2 < m.size() && m[k2] == '=') {
            close = c;
            break;
          }
        }
      }
      if (close == std::string_view::npos) close = weak;
      if (close == std::string_view::npos) break;  // unterminated: free text from the key on
      value = std::string(m.substr(v + 1, close - v - 1));
      i = close + 1;
    } else {
      size_t end = v;
      while (end < m.size() && m[end] != ' ') ++end;
      value = std::string(m.substr(v, end - v));
      i = end;
    }
    out.fields.emplace_back(std::move(key), std::move(value));
  }
  out.text = std::string(Trim(m.substr(std::min(i, m.size()))));
  return out;
}

std::string FormatLogLine(LogFormat format, bool journald, SystemTime time,
                          spdlog::level::level_enum level, std::string_view logger,
                          std::string_view text) {
  const auto lvl = spdlog::level::to_string_view(level);
  std::string line;
  if (format == LogFormat::kJson) {
    const LogfmtMessage parsed = ParseLogfmt(text);
    // Keys in first-seen order; a repeated key collects its values.
    std::vector<std::pair<std::string, std::vector<std::string>>> fields;
    for (const auto& [key, value] : parsed.fields) {
      std::string k = key;
      if (k == "ts" || k == "level" || k == "logger" || k == "msg") k = "field_" + k;
      auto it =
          std::find_if(fields.begin(), fields.end(), [&](const auto& f) { return f.first == k; });
      if (it == fields.end()) {
        fields.push_back({k, {value}});
      } else {
        it->second.push_back(value);
      }
    }
    const auto write_value = [](JsonWriter& w, const std::string& v) {
      if (IsJsonNumber(v)) {
        w.Raw(v);
      } else {
        w.String(v);
      }
    };
    JsonWriter w;
    w.BeginObject();
    w.Field("ts", FormatIso8601Millis(time));
    w.Field("level", std::string_view(lvl.data(), lvl.size()));
    w.Field("logger", logger);
    for (const auto& [key, values] : fields) {
      w.Key(key);
      if (values.size() == 1) {
        write_value(w, values.front());
      } else {
        w.BeginArray();
        for (const auto& v : values) write_value(w, v);
        w.EndArray();
      }
    }
    if (!parsed.text.empty()) w.Field("msg", parsed.text);
    w.EndObject();
    line = w.Take();
  } else if (journald) {
    // Appended piecewise: g++ 12 -O3 warns falsely (-Wrestrict) on "<" + std::string.
    line = "<";
    line += std::to_string(SyslogPriority(level));
    line += ">";
    line += logger;
    line += ": ";
    line += text;
  } else {
    line = FormatIso8601Millis(time);
    line += " ";
    line.append(lvl.data(), lvl.size());
    line += " ";
    line += logger;
    line += ": ";
    line += text;
  }
  return line;
}

namespace {

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
