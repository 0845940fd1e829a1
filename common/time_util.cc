#include "common/time_util.h"

#include <charconv>
#include <cstdio>
#include <ctime>

namespace divaudit {
namespace {

bool ParseInt(std::string_view s, int& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// Days from 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

unsigned DaysInMonth(int y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return kDays[m - 1];
}

}  // namespace

std::string FormatIso8601(SystemTime t) {
  const std::time_t secs =
      std::chrono::system_clock::to_time_t(std::chrono::floor<std::chrono::seconds>(t));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

Result<SystemTime> ParseIso8601(std::string_view text) {
  const auto bad = [&] {
    return InvalidArgumentError(
        "not a date or UTC timestamp (want YYYY-MM-DD or "
        "YYYY-MM-DDTHH:MM:SSZ): '" +
        std::string(text) + "'");
  };
  if (text.size() < 10 || text[4] != '-' || text[7] != '-') return bad();
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (!ParseInt(text.substr(0, 4), y) || !ParseInt(text.substr(5, 2), mo) ||
      !ParseInt(text.substr(8, 2), d)) {
    return bad();
  }
  if (mo < 1 || mo > 12 || d < 1 || d > static_cast<int>(DaysInMonth(y, mo))) return bad();
  // The system clock counts nanoseconds in 64 bits (years 1678–2262): keep well inside it
  // (found by fuzz_config with "9999-12-31").
  if (y < 1970 || y > 2200) {
    return InvalidArgumentError("year out of range 1970–2200: '" + std::string(text) + "'");
  }
  std::string_view rest = text.substr(10);
  if (!rest.empty()) {
    if (rest.size() < 10 || (rest[0] != 'T' && rest[0] != ' ') || rest[3] != ':' ||
        rest[6] != ':') {
      return bad();
    }
    if (!ParseInt(rest.substr(1, 2), h) || !ParseInt(rest.substr(4, 2), mi) ||
        !ParseInt(rest.substr(7, 2), s) || h > 23 || mi > 59 || s > 60) {
      return bad();
    }
    rest = rest.substr(9);
    if (!rest.empty() && rest[0] == '.') {
      size_t i = 1;
      while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') ++i;
      if (i == 1) return bad();
      rest = rest.substr(i);
    }
    if (rest != "Z") return bad();
  }
  const int64_t secs = DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
  return FromUnixSeconds(secs);
}

int64_t ToUnixSeconds(SystemTime t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

SystemTime FromUnixSeconds(int64_t s) { return SystemTime(std::chrono::seconds(s)); }

Result<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return InvalidArgumentError("bad duration '" + std::string(text) + "': " + std::string(why) +
                                " (use e.g. 30s, 15m, 1h30m, 400d)");
  };
  if (text.empty()) return bad("empty");
  int64_t total_ms = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = i;
    while (j < text.size() && text[j] >= '0' && text[j] <= '9') ++j;
    if (j == i) return bad("expected a number");
    int64_t n = 0;
    auto [p, ec] = std::from_chars(text.data() + i, text.data() + j, n);
    if (ec != std::errc() || p != text.data() + j) return bad("number out of range");
    size_t k = j;
    while (k < text.size() && ((text[k] >= 'a' && text[k] <= 'z'))) ++k;
    const std::string_view unit = text.substr(j, k - j);
    int64_t mult = 0;
    if (unit == "ms")
      mult = 1;
    else if (unit == "s")
      mult = 1000;
    else if (unit == "m")
      mult = 60'000;
    else if (unit == "h")
      mult = 3'600'000;
    else if (unit == "d")
      mult = 86'400'000;
    else
      return bad(unit.empty() ? "missing unit" : "unknown unit");
    if (n > INT64_MAX / mult / 2) return bad("too large");
    total_ms += n * mult;
    i = k;
  }
  return std::chrono::milliseconds(total_ms);
}

std::string FormatDuration(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  if (ms < 1000) return std::to_string(ms) + "ms";
  int64_t s = ms / 1000;
  std::string out;
  if (s >= 86400) {
    out += std::to_string(s / 86400) + "d ";
    s %= 86400;
  }
  if (s >= 3600) {
    out += std::to_string(s / 3600) + "h ";
    s %= 3600;
  }
  if (s >= 60) {
    out += std::to_string(s / 60) + "m ";
    s %= 60;
  }
  if (s > 0 || out.empty()) out += std::to_string(s) + "s ";
  out.pop_back();
  return out;
}

}  // namespace divaudit
