#include "daemon/sweep_log.h"

#include <algorithm>
#include <cstdio>

#include "common/logging.h"
#include "common/strings.h"

namespace divaudit::daemon {
namespace {

// A value for key="…": the quotes that would end it early are replaced, newlines flattened.
std::string Quoted(std::string_view v) {
  std::string out = "\"";
  for (const char c : v) {
    if (c == '"') {
      out += '\'';
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

std::string FormatMillis(std::chrono::nanoseconds d) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(us / 1000),
                static_cast<long long>(us % 1000 < 0 ? 0 : us % 1000));
  return buf;
}

std::string SweepDoneFields(const SweepJobOutput& out, std::chrono::nanoseconds duration) {
  int64_t open = 0, suppressed = 0;
  for (const auto& f : out.audit.findings) {
    (f.state == audit::FindingState::kSuppressed ? suppressed : open)++;
  }
  std::string line = "sweep_id=" + std::to_string(out.info.id) +
                     " status=" + std::string(audit::SweepStatusName(out.info.status)) +
                     " duration_ms=" + FormatMillis(duration) +
                     " requests=" + std::to_string(out.info.api_requests) +
                     " retries=" + std::to_string(out.info.retries) +
                     " throttled=" + std::to_string(out.info.throttled) +
                     " open=" + std::to_string(open) + " suppressed=" + std::to_string(suppressed);
  if (out.commit) {
    const auto& c = *out.commit;
    line += " new=" + std::to_string(c.new_findings.size() + c.reopened_findings.size()) +
            " resolved=" + std::to_string(c.resolved_findings.size());
  }
  if (!out.info.org_id.empty()) line += " org_id=" + Quoted(out.info.org_id);
  if (!out.info.org_name.empty()) line += " org_name=" + Quoted(out.info.org_name);
  for (const auto& why : out.info.incomplete) line += " incomplete=" + Quoted(why);
  return line;
}

std::string SweepFailureCause(const audit::SweepInfo& info) {
  std::string cause;
  for (const auto& why : info.incomplete) cause += (cause.empty() ? "" : "; ") + why;
  return cause.empty() ? "unknown cause" : cause;
}

SweepProgressLog::SweepProgressLog(const Clock& clock, std::chrono::milliseconds interval,
                                   std::function<void(const std::string&)> sink)
    : clock_(clock),
      interval_(interval),
      sink_(std::move(sink)),
      start_(clock.SteadyNow()),
      last_(start_) {
  if (!sink_) sink_ = [](const std::string& line) { GetLogger("sweep")->info("{}", line); };
}

void SweepProgressLog::operator()(std::string_view phase, int64_t done, int64_t total) {
  for (const std::string& p : Split(phase, '+')) {
    if (!p.empty() && std::find(phases_.begin(), phases_.end(), p) == phases_.end()) {
      phases_.push_back(p);
    }
  }
  const SteadyTime now = clock_.SteadyNow();
  if (now - last_ < interval_) return;
  std::string joined;
  for (const auto& p : phases_) joined += (joined.empty() ? "" : "+") + p;
  sink_(
      "event=sweep_progress elapsed_ms=" +
      std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now - start_).count()) +
      " pages_done=" + std::to_string(done) + " pages_known=" + std::to_string(total) +
      " phases=" + Quoted(joined));
  phases_.clear();
  last_ = now;
  ++lines_;
}

}  // namespace divaudit::daemon
