#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"

namespace divaudit {

// "2026-11-23T08:00:00Z" (UTC, whole seconds).
std::string FormatIso8601(SystemTime t);
// Accepts "YYYY-MM-DDTHH:MM:SS[.fff]Z" and "YYYY-MM-DD" (midnight UTC).
Result<SystemTime> ParseIso8601(std::string_view text);
// Seconds since the Unix epoch.
int64_t ToUnixSeconds(SystemTime t);
SystemTime FromUnixSeconds(int64_t s);
// Durations such as "500ms", "30s", "15m", "1h30m", "400d". Rejects empty, negative, unknown units.
Result<std::chrono::milliseconds> ParseDuration(std::string_view text);
// Human form of a duration: "1h 2m 3s", "250ms".
std::string FormatDuration(std::chrono::milliseconds d);

}  // namespace divaudit
