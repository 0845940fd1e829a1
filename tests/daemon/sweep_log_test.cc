#include "daemon/sweep_log.h"

#include <gtest/gtest.h>

#include "common/logging.h"

namespace divaudit::daemon {
namespace {

using namespace std::chrono_literals;

TEST(SweepLogTest, SweepDoneFieldsHaveASubSecondMonotonicDurationAndTheOrg) {
  SweepJobOutput out;
  out.info.id = 12;
  out.info.status = audit::SweepStatus::kPartial;
  out.info.started_at_unix = 1000;
  out.info.finished_at_unix = 1077;  // wall clock: not what duration_ms uses
  out.info.api_requests = 734;
  out.info.org_id = "o-1";
  out.info.org_name = "Acme \"Retail\"";
  out.info.incomplete = {"users (page 3: HTTP 500)", "groups"};
  audit::Finding open;
  open.state = audit::FindingState::kOpen;
  audit::Finding suppressed;
  suppressed.state = audit::FindingState::kSuppressed;
  out.audit.findings = {open, open, suppressed};
  out.commit = storage::CommitResult{};
  out.commit->new_findings.resize(1);
  out.commit->reopened_findings.resize(1);
  const std::string fields = SweepDoneFields(out, 81'234'567ns);
  EXPECT_EQ(fields,
            "sweep_id=12 status=partial duration_ms=81.234 requests=734 retries=0 throttled=0 "
            "open=2 suppressed=1 new=2 resolved=0 org_id=\"o-1\" org_name=\"Acme 'Retail'\" "
            "incomplete=\"users (page 3: HTTP 500)\" incomplete=\"groups\"");
  // Every pair survives the JSON log format as its own field.
  const LogfmtMessage parsed = ParseLogfmt("event=sweep_done " + fields);
  EXPECT_TRUE(parsed.text.empty()) << parsed.text;
  EXPECT_EQ(parsed.fields.size(), 15u);
}

TEST(SweepLogTest, FailureCauseNamesEveryReason) {
  audit::SweepInfo info;
  info.incomplete = {"authentication: HTTP 401 from /oauth/token", "cancelled"};
  EXPECT_EQ(SweepFailureCause(info), "authentication: HTTP 401 from /oauth/token; cancelled");
  EXPECT_EQ(SweepFailureCause(audit::SweepInfo{}), "unknown cause");
  EXPECT_EQ(FormatMillis(0ns), "0.000");
  EXPECT_EQ(FormatMillis(77s), "77000.000");
}

TEST(SweepLogTest, ProgressIsLoggedOncePerIntervalWithThePhasesSinceTheLastLine) {
  FakeClock clock;
  std::vector<std::string> lines;
  SweepProgressLog progress(clock, 30s, [&](const std::string& l) { lines.push_back(l); });
  progress("divisions+roles", 2, 10);
  clock.Advance(29s);
  progress("subject grants", 5, 40);
  EXPECT_TRUE(lines.empty()) << "nothing before the first interval";
  clock.Advance(1s);
  progress("users+subject grants", 9, 60);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0],
            "event=sweep_progress elapsed_ms=30000 pages_done=9 pages_known=60 "
            "phases=\"divisions+roles+subject grants+users\"");
  clock.Advance(10s);
  progress("groups", 12, 60);
  EXPECT_EQ(lines.size(), 1u);
  clock.Advance(20s);
  progress("group members", 20, 61);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1],
            "event=sweep_progress elapsed_ms=60000 pages_done=20 pages_known=61 "
            "phases=\"groups+group members\"");
  EXPECT_EQ(progress.lines(), 2);
}

}  // namespace
}  // namespace divaudit::daemon
