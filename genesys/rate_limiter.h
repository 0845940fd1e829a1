#pragma once

#include <chrono>
#include <deque>
#include <mutex>

#include "common/clock.h"
#include "genesys/http_client.h"

namespace divaudit::genesys {

// Client-side request budget shared by all parallel requests of one client (config/README.md
// `requests_per_minute`; Genesys allows 300/min per token by default).
//
// Two rules, both must allow a send:
//  1. A token bucket refilled at rpm/60 per second with capacity max(1, rpm/60) — one second's
//     worth — so a few requests can start together (a wave of max_concurrency) but a sweep is
//     spread evenly over the minute instead of bursting its whole budget at once.
//  2. A sliding log of the send times of the last minute: at most rpm sends in any 60 s window.
//     The bucket alone would allow capacity + rpm in a window (a full bucket plus a minute of
//     refill); the log makes the per-minute budget exact whatever the server's window alignment.
// Server hints tighten it further: a 429 with Retry-After, or `inin-ratelimit-count` reaching
// `inin-ratelimit-allowed`, pauses every send until the hinted time has passed.
//
// Pure logic over an injected Clock (no sleeping); thread-safe (internally locked).
class RateLimiter {
 public:
  static constexpr std::chrono::seconds kWindow{60};

  // `requests_per_minute` must be ≥ 1 (asserted; config validation rejects others).
  RateLimiter(const Clock& clock, int requests_per_minute);

  // If a request may be sent now, records it (consumes one permit) and returns zero. Otherwise
  // consumes nothing and returns how long to wait before asking again (always > 0).
  std::chrono::milliseconds Acquire();

  // Learns from a response: 429 + Retry-After, and the inin-ratelimit-* headers.
  void Observe(const HttpResponse& response);

  // No request is permitted until `d` from now (never shortens an existing pause).
  void PauseFor(std::chrono::milliseconds d);

  int requests_per_minute() const { return rpm_; }
  double capacity() const { return capacity_; }

 private:
  void RefillLocked(SteadyTime now);

  const Clock& clock_;
  const int rpm_;
  const double capacity_;
  const double tokens_per_second_;
  std::mutex mu_;
  double tokens_;
  SteadyTime last_refill_;
  SteadyTime paused_until_;
  std::deque<SteadyTime> sent_;  // send times within the last kWindow, oldest first
};

}  // namespace divaudit::genesys
