#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace divaudit::sim {

// What to do to one API request instead of (or on top of) answering it normally.
enum class Fault {
  kNone,
  k429,          // 429 too.many.requests.retry.after with Retry-After
  k500,          // 500 ErrorBody
  k503,          // 503 ErrorBody
  kReset,        // close the connection without answering (TCP RST)
  kTruncate,     // send a Content-Length larger than the body, then close
  kBadJson,      // 200 with a body that is not valid JSON
  kExpireToken,  // 401 credentials.expired, and the token stays expired
};

std::string_view FaultName(Fault f);

// One listing made to fail on purpose: every API request whose target (path and query, as
// sent) matches `pattern` (ECMAScript, searched anywhere in the target) is answered with `status`
// — an HTTP status (400..599, ErrorBody), kResetStatus (the connection is reset, no answer) or
// kStallStatus (no answer for kStall, then a reset: the client's timeout fires first) — on every
// attempt, so the client's retries cannot recover it.
struct PathFault {
  static constexpr int kResetStatus = 0;
  static constexpr int kStallStatus = 1;
  static constexpr std::chrono::minutes kStall{10};
  std::string pattern;
  int status = 500;
  std::shared_ptr<const std::regex> regex;  // compiled `pattern`
  bool Matches(std::string_view target) const;
  friend bool operator==(const PathFault& a, const PathFault& b) {
    return a.pattern == b.pattern && a.status == b.status;
  }
};

// "REGEX=STATUS" (split at the last '='; STATUS a number 400..599, "reset" or "stall"). Errors name
// the spec: missing '=', bad status, invalid regex.
Result<PathFault> ParsePathFault(std::string_view spec);

// Probabilities (each in [0,1], sum <= 1), the division hidden from the calling client, and the
// listings made to fail.
struct FaultConfig {
  double p429 = 0, p500 = 0, p503 = 0, reset = 0, truncate = 0, badjson = 0, expire_token = 0;
  std::string forbid_division;        // empty: the client sees every division
  std::vector<PathFault> fail_paths;  // checked in order; the first match wins

  bool any_random() const {
    return p429 + p500 + p503 + reset + truncate + badjson + expire_token > 0;
  }
  friend bool operator==(const FaultConfig&, const FaultConfig&) = default;
};

// The first of `config.fail_paths` matching `target` (path and query), or nullptr.
const PathFault* FindFailPath(const FaultConfig& config, std::string_view target);

// "429=0.1,500=0.05,reset=0.01,forbid_division=ID" (empty string: no faults). Errors name the
// offending item: unknown key, probability outside [0,1], probabilities summing past 1.
Result<FaultConfig> ParseFaultSpec(std::string_view spec);
// The same keys as a JSON object: {"429":0.1,"forbid_division":"…"}, plus "fail_path": an array
// of "REGEX=STATUS" strings (ParsePathFault); {} clears every fault.
Result<FaultConfig> ParseFaultJson(std::string_view json);

// Draws one fault per request from a seeded generator: the same seed and the same request order
// give the same sequence. Thread-safe; SetConfig replaces the probabilities without reseeding.
class FaultInjector {
 public:
  FaultInjector(FaultConfig config, uint64_t seed);

  // Exactly one draw per call (even with no faults configured, so sequences stay aligned).
  Fault Next();
  FaultConfig config() const;
  void SetConfig(FaultConfig config);

 private:
  mutable std::mutex mu_;
  FaultConfig config_;
  std::mt19937_64 engine_;
};

}  // namespace divaudit::sim
