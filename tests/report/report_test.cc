#include "report/report.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/file_util.h"
#include "common/time_util.h"
#include "report/render.h"
#include "storage/evidence_store.h"
#include "tests/report/report_fixture.h"

namespace divaudit::report {
namespace {

using testing::At;
using testing::FillFixture;
using testing::FixtureRequest;
using testing::TempDir;

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = storage::SqliteSnapshotStore::Open(dir_.File("db.sqlite"), clock_).value();
    FillFixture(*store_, clock_);
  }
  ReportData Build(const ReportRequest& r) {
    auto d = BuildReportData(*store_, r);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? std::move(d).value() : ReportData{};
  }

  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<storage::SqliteSnapshotStore> store_;
};

std::vector<std::string> Subjects(const std::vector<FindingRow>& rows) {
  std::vector<std::string> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    out.push_back(std::string(audit::RuleName(r.finding.rule)) + " " +
                  (r.finding.subject ? r.finding.subject->id : "-") + " " +
                  (r.finding.division ? r.finding.division->id : "-") + " " +
                  std::string(audit::FindingStateName(r.finding.state)));
  }
  return out;
}

// ---- golden files ----

std::string GoldenPath(const std::string& name) {
  return std::string(DIVAUDIT_SOURCE_DIR) + "/tests/report/testdata/" + name;
}

void ExpectGolden(const std::string& name, const std::string& actual) {
  const std::string path = GoldenPath(name);
  const char* update = std::getenv("DIVAUDIT_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    ASSERT_TRUE(WriteFileAtomic(path, actual).ok()) << path;
    return;
  }
  auto expected = ReadFile(path);
  ASSERT_TRUE(expected.ok()) << expected.status().ToString()
                             << " (regenerate with DIVAUDIT_UPDATE_GOLDEN=1)";
  EXPECT_EQ(*expected, actual) << "golden " << name
                               << " differs (regenerate with DIVAUDIT_UPDATE_GOLDEN=1)";
}

std::string ConcatCsv(const std::map<std::string, std::string>& files) {
  std::string out;
  for (const auto& [name, content] : files) out += "==> " + name + " <==\n" + content;
  return out;
}

TEST_F(ReportTest, GoldenHtml) { ExpectGolden("acme.html", RenderHtml(Build(FixtureRequest()))); }
TEST_F(ReportTest, GoldenJson) { ExpectGolden("acme.json", RenderJson(Build(FixtureRequest()))); }
TEST_F(ReportTest, GoldenCsv) {
  ExpectGolden("acme_csv.txt", ConcatCsv(RenderCsv(Build(FixtureRequest()))));
}
TEST_F(ReportTest, GoldenJsonGlobex) {
  ExpectGolden("globex.json", RenderJson(Build(FixtureRequest("Globex Health"))));
}

// ---- content ----

// A finding whose change the audit trail attributed shows who made it in every format; the
// others show "-" (HTML) or empty cells (CSV) and null (JSON).
TEST_F(ReportTest, ChangedByShownInHtmlCsvAndJson) {
  const ReportData d = Build(FixtureRequest());
  const std::string html = RenderHtml(d);
  EXPECT_NE(html.find("<th>Changed by</th>"), std::string::npos);
  EXPECT_NE(html.find("Ada Admin (user, 2026-01-11T17:30:00Z)"), std::string::npos);
  const auto csv = RenderCsv(d);
  bool found = false;
  for (const auto& [name, content] : csv) {
    if (content.find("changed_by_actor_name") == std::string::npos) continue;
    found |=
        content.find(",user,u-ada,Ada Admin,2026-01-11T17:30:00Z,,,,,\r\n") != std::string::npos;
  }
  EXPECT_TRUE(found) << ConcatCsv(csv);
  const std::string json = RenderJson(d);
  EXPECT_NE(json.find("\"actor_name\": \"Ada Admin\""), std::string::npos) << json;
}

TEST_F(ReportTest, HeaderCountsSweepsAndCoverage) {
  ReportData d = Build(FixtureRequest());
  EXPECT_EQ(d.org_name, "bpo-prod");
  EXPECT_EQ(d.tenant, "Acme Retail");
  ASSERT_EQ(d.divisions.size(), 2u);
  EXPECT_EQ(d.divisions[0].id, "d-a1");
  EXPECT_EQ(d.divisions[1].id, "d-a2");
  EXPECT_EQ(d.sweeps.run, 5);
  EXPECT_EQ(d.sweeps.complete, 3);
  EXPECT_EQ(d.sweeps.partial, 1);
  EXPECT_EQ(d.sweeps.failed, 1);
  EXPECT_EQ(d.as_of_sweep_id, 5);
  auto last = store_->LastCompleteSweep().value();
  EXPECT_EQ(d.as_of_sweep_hash, last.content_hash);
  EXPECT_EQ(d.rule_set_version, audit::kRuleSetVersion);
  // Complete sweeps Jan 2, 8, 12: the longest gap is Jan 2 08:00 → Jan 8 08:00.
  EXPECT_EQ(d.longest_gap_seconds, 6 * 86400);
  EXPECT_EQ(d.longest_gap_from, ToUnixSeconds(At("2026-01-02T08:00:00Z")));
  EXPECT_EQ(d.days_in_period, 14);
  EXPECT_EQ(d.days_with_complete_sweep, 3);
}

TEST_F(ReportTest, TablesHoldTheTenantsFindings) {
  ReportData d = Build(FixtureRequest());
  const auto open = Subjects(d.open_findings);
  const std::set<std::string> open_set(open.begin(), open.end());
  const std::set<std::string> expected = {
      "all_divisions u-eve * suppressed",    // reaches every tenant
      "cross_tenant u-script d-a1 open",     // Globex user into Acme (exception expired)
      "cross_tenant u-alice d-g1 open",      // Acme user, direct
      "cross_tenant u-alice d-g1 open",      // ... and via the group (same key here)
      "cross_tenant u-hank d-a2 open",       // new in the last sweep
      "multi_tenant_subject u-dora - open",  // no home tenant, two tenants
      "multi_tenant_subject c-int - open",   // client on two tenants
      "orphaned_grant u-olga d-gone2 open",  // an Acme user's grant on a deleted division
  };
  EXPECT_EQ(open_set, expected);
  EXPECT_EQ(d.open_findings.size(), 8u);  // Alice twice: direct and via the group
  // Open before suppressed.
  EXPECT_EQ(d.open_findings.back().finding.state, audit::FindingState::kSuppressed);

  ASSERT_EQ(d.resolved_findings.size(), 1u);
  const FindingRow& res = d.resolved_findings[0];
  EXPECT_EQ(res.finding.subject->id, "u-carl");
  EXPECT_EQ(*res.resolved_at_unix, ToUnixSeconds(At("2026-01-08T08:00:00Z")));
  EXPECT_EQ(res.remediation_seconds, 6 * 86400);

  // Reach: all_divisions, cross_tenant into Acme, multi_tenant listing Acme — not Alice
  // (an Acme user reaching out).
  const auto reach = Subjects(d.reach);
  EXPECT_EQ(reach, (std::vector<std::string>{
                       "all_divisions u-eve * suppressed", "cross_tenant u-hank d-a2 open",
                       "cross_tenant u-script d-a1 open", "multi_tenant_subject c-int - open",
                       "multi_tenant_subject u-dora - open"}));

  // New = first seen in the 7 days up to Jan 14 23:59:59: Hank (Jan 12), not Alice (Jan 5).
  EXPECT_EQ(Subjects(d.new_findings), std::vector<std::string>{"cross_tenant u-hank d-a2 open"});

  // Org-wide: the unmapped division only (Gina's orphaned grant belongs to Globex).
  EXPECT_EQ(Subjects(d.org_wide_findings),
            std::vector<std::string>{"unmapped_division - d-unm open"});

  int64_t open_count = 0, suppressed = 0, resolved = 0;
  for (const auto& c : d.by_rule) {
    open_count += c.open;
    suppressed += c.suppressed;
    resolved += c.resolved_in_period;
  }
  EXPECT_EQ(open_count, 7);
  EXPECT_EQ(suppressed, 1);
  EXPECT_EQ(resolved, 1);
}

TEST_F(ReportTest, ExceptionsRelevantToTheTenant) {
  ReportData d = Build(FixtureRequest());
  ASSERT_EQ(d.exceptions.size(), 2u);  // u-nobody's matches nothing
  EXPECT_EQ(d.exceptions[0].subject_id, "u-eve");
  EXPECT_TRUE(d.exceptions[0].active);
  EXPECT_EQ(d.exceptions[0].matched, 1);
  EXPECT_EQ(d.exceptions[0].suppressed, 1);
  EXPECT_EQ(d.exceptions[1].subject_id, "u-script");
  EXPECT_FALSE(d.exceptions[1].active);  // expired Jan 10
  EXPECT_EQ(d.exceptions[1].matched, 1);
  EXPECT_EQ(d.exceptions[1].suppressed, 0);
}

TEST_F(ReportTest, DailySeriesFollowsCompleteSweeps) {
  ReportData d = Build(FixtureRequest());
  ASSERT_EQ(d.daily.size(), 14u);
  EXPECT_EQ(d.daily[0].date, "2026-01-01");
  EXPECT_FALSE(d.daily[0].has_data);
  // Jan 2: carl, alice via group, dora, c-int, olga open; eve, script suppressed.
  EXPECT_TRUE(d.daily[1].has_data);
  EXPECT_EQ(d.daily[1].open, 5);
  EXPECT_EQ(d.daily[1].suppressed, 2);
  EXPECT_EQ(d.daily[1].complete_sweeps, 1);
  // Jan 5 (partial sweep only): carried over from Jan 2.
  EXPECT_EQ(d.daily[4].open, 5);
  EXPECT_EQ(d.daily[4].opened, 1);  // Alice's direct grant, opened by the partial sweep
  // Jan 8: carl resolved, Alice direct counted → 5 open.
  EXPECT_EQ(d.daily[7].open, 5);
  EXPECT_EQ(d.daily[7].resolved, 1);
  // Jan 12: Hank new, u-script's exception expired → 7 open, 1 suppressed.
  EXPECT_EQ(d.daily[11].open, 7);
  EXPECT_EQ(d.daily[11].suppressed, 1);
  EXPECT_EQ(d.daily[13].open, 7);
}

TEST_F(ReportTest, PastPeriodIsAsOfItsLastCompleteSweep) {
  ReportRequest r = FixtureRequest();
  r.to = At("2026-01-09T23:59:59Z");
  ReportData d = Build(r);
  EXPECT_EQ(d.as_of_sweep_id, 3);
  for (const auto& row : d.open_findings) {
    EXPECT_NE(row.finding.subject->id, "u-hank");
    if (row.finding.subject->id == "u-script") {
      EXPECT_EQ(row.finding.state, audit::FindingState::kSuppressed);
      ASSERT_TRUE(row.finding.exception.has_value());
    }
  }
  EXPECT_EQ(d.open_findings.size(), 7u);
  EXPECT_EQ(d.sweeps.run, 4);
}

TEST_F(ReportTest, GlobexReportExcludesAcmeOnlyFindings) {
  ReportData d = Build(FixtureRequest("Globex Health"));
  for (const auto& row : d.open_findings) {
    EXPECT_NE(row.finding.subject ? row.finding.subject->id : "", "u-olga");
  }
  // Hank is a Globex user reaching into Acme: it touches Globex through its home tenant.
  bool hank = false;
  for (const auto& row : d.open_findings) hank |= row.finding.subject->id == "u-hank";
  EXPECT_TRUE(hank);
  bool gina = false;
  for (const auto& row : d.open_findings) gina |= row.finding.subject->id == "u-gina";
  EXPECT_TRUE(gina) << "orphaned grant of a Globex user belongs to Globex";
}

// ---- HTML structure and escaping ----

std::vector<std::vector<std::string>> ParseCsv(const std::string& text);

// Tag-balance check: every element closed in order (void and "/>" elements excepted), no raw
// '<' outside tags, every '&' starts an entity.
std::string CheckHtml(const std::string& html) {
  static const std::set<std::string> kVoid = {"meta", "br", "hr", "img", "link", "input"};
  std::vector<std::string> stack;
  size_t i = 0;
  while (i < html.size()) {
    const char c = html[i];
    if (c == '&') {
      const size_t semi = html.find(';', i);
      if (semi == std::string::npos || semi - i > 10) return "bare & at " + std::to_string(i);
      i = semi + 1;
      continue;
    }
    if (c != '<') {
      ++i;
      continue;
    }
    if (html.compare(i, 2, "<!") == 0) {
      i = html.find('>', i) + 1;
      continue;
    }
    const size_t end = html.find('>', i);
    if (end == std::string::npos) return "unterminated tag at " + std::to_string(i);
    std::string tag = html.substr(i + 1, end - i - 1);
    if (tag.empty()) return "empty tag at " + std::to_string(i);
    const bool closing = tag[0] == '/';
    const bool self_closing = tag.back() == '/';
    if (closing) tag = tag.substr(1);
    const size_t name_end = tag.find_first_of(" \t\n/");
    const std::string name = tag.substr(0, name_end);
    for (char ch : name) {
      if (!std::isalnum(static_cast<unsigned char>(ch))) {
        return "bad tag name '" + name + "' at " + std::to_string(i);
      }
    }
    // Attribute values must not contain raw quotes of the other kind or '<'.
    if (tag.find('<') != std::string::npos) return "'<' inside tag at " + std::to_string(i);
    if (closing) {
      if (stack.empty() || stack.back() != name) {
        return "unexpected </" + name + "> at " + std::to_string(i) +
               (stack.empty() ? "" : " (open: " + stack.back() + ")");
      }
      stack.pop_back();
    } else if (!self_closing && !kVoid.count(name)) {
      stack.push_back(name);
      if (name == "style") {  // raw text until </style>
        const size_t close = html.find("</style>", end);
        if (close == std::string::npos) return "unclosed style";
        i = close;
        continue;
      }
    }
    i = end + 1;
  }
  if (!stack.empty()) return "unclosed <" + stack.back() + ">";
  return "";
}

TEST(CheckHtmlTest, CatchesBrokenMarkup) {
  EXPECT_EQ(CheckHtml("<p><b>x</b></p>"), "");
  EXPECT_NE(CheckHtml("<p><b>x</p></b>"), "");
  EXPECT_NE(CheckHtml("<p>a < b</p>"), "");
  EXPECT_NE(CheckHtml("<p>a & b</p>"), "");
  EXPECT_NE(CheckHtml("<p>"), "");
}

TEST_F(ReportTest, HtmlIsWellFormedAndHoldsOnlyThisTenantsFindings) {
  ReportData d = Build(FixtureRequest());
  const std::string html = RenderHtml(d);
  EXPECT_EQ(CheckHtml(html), "");
  // Self-contained: no scripts, no external references.
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("href="), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  EXPECT_NE(html.find("@media print"), std::string::npos);
  EXPECT_NE(html.find("thead { display: table-header-group; }"), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);

  // Every open finding of Acme (from the store, not from ReportData) appears by subject name.
  storage::FindingFilter open_acme;
  open_acme.states = {audit::FindingState::kOpen, audit::FindingState::kSuppressed};
  open_acme.tenant = "Acme Retail";
  auto acme = store_->QueryFindings(open_acme).value();
  ASSERT_GE(acme.size(), 5u);
  for (const auto& r : acme) {
    ASSERT_TRUE(r.finding.subject.has_value());
    EXPECT_NE(html.find(HtmlEscape(r.finding.subject->name)), std::string::npos)
        << r.finding.subject->name;
  }
  // Findings of other tenants only: Gina (Globex orphaned grant), Ivan (Initech → Globex).
  EXPECT_EQ(html.find("Gina"), std::string::npos);
  EXPECT_EQ(html.find("Ivan"), std::string::npos);
}

TEST_F(ReportTest, HostileNamesAreEscaped) {
  const std::string html = RenderHtml(Build(FixtureRequest()));
  EXPECT_EQ(html.find("<script>alert(1)</script>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("&quot;&amp;&#39; group"), std::string::npos);
  EXPECT_EQ(HtmlEscape("<a href=\"x\">&'</a>"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
  EXPECT_EQ(HtmlEscape(std::string("a\x01"
                                   "b\tc",
                                   5)),
            "a&#xFFFD;b\tc");
  // Bidirectional overrides and isolates would reorder the text after them; invalid UTF-8 and
  // C1 controls would be shown as anything.
  EXPECT_EQ(HtmlEscape("evil\u202Egpj.exe \u2066x\u2069"), "evil&#xFFFD;gpj.exe &#xFFFD;x&#xFFFD;");
  EXPECT_EQ(HtmlEscape("a\xff\xc2\x85"
                       "b"),
            "a&#xFFFD;&#xFFFD;b");
  EXPECT_EQ(HtmlEscape("Zürich 東京"), "Zürich 東京");

  ReportData d;
  d.org_name = "<org>";
  d.tenant = "T\"&'<>";
  d.as_of_sweep_hash = "</dd><script>";
  d.daily.push_back({"<date>", 1, 0, 0, 0, 0, true});
  const std::string h2 = RenderHtml(d);
  EXPECT_EQ(CheckHtml(h2), "");
  EXPECT_EQ(h2.find("<script"), std::string::npos);
  EXPECT_EQ(h2.find("<org>"), std::string::npos);
  EXPECT_EQ(h2.find("<date>"), std::string::npos);
}

TEST(RenderHtmlTest, LongTablesAreChunkedWithRepeatedHeaders) {
  ReportData d;
  d.tenant = "T";
  for (int i = 0; i < 1200; ++i) {
    FindingRow r;
    r.finding.rule = audit::Rule::kCrossTenant;
    r.finding.subject = audit::SubjectRef{audit::SubjectType::kUser, "u" + std::to_string(i), ""};
    d.open_findings.push_back(r);
  }
  const std::string html = RenderHtml(d);
  EXPECT_EQ(CheckHtml(html), "");
  size_t conts = 0;
  for (size_t p = html.find("<table class=\"cont\">"); p != std::string::npos;
       p = html.find("<table class=\"cont\">", p + 1)) {
    ++conts;
  }
  EXPECT_EQ(conts, 2u);  // 500 + 500 + 200
  size_t pos = html.find("id=\"open\"");
  size_t theads = 0;
  for (size_t p = html.find("<thead>", pos);
       p != std::string::npos && p < html.find("id=\"resolved\"");
       p = html.find("<thead>", p + 1)) {
    ++theads;
  }
  EXPECT_EQ(theads, 3u);
}

// v2: org-wide permissions reach every tenant; they get their own section, once.
TEST(RenderHtmlTest, OrgWidePermissionsSectionListsHolderRolePermissionsAndPath) {
  ReportData d;
  d.tenant = "Acme";
  FindingRow ow;
  ow.finding.rule = audit::Rule::kOrgWidePermission;
  ow.finding.severity = audit::Severity::kHigh;
  ow.finding.fingerprint = "fp-ow";
  ow.finding.subject = audit::SubjectRef{audit::SubjectType::kUser, "u1", "Sam Supervisor"};
  ow.finding.home_tenant = "Globex";
  ow.finding.role = audit::NamedRef{"r1", "Group Admin"};
  ow.finding.via = audit::Via{false, "g1", "Globex Leads"};
  ow.finding.permissions = {"directory:group:add", "directory:group:edit"};
  ow.finding.divisions = {"d-globex"};
  FindingRow guard;
  guard.finding.rule = audit::Rule::kGrantGuardrailOff;
  guard.finding.severity = audit::Severity::kCritical;
  guard.finding.fingerprint = "fp-guard";
  guard.finding.subject = audit::SubjectRef{audit::SubjectType::kOrg, "org-1", "Example BPO"};
  d.org_wide_permissions = {guard, ow};
  d.open_findings = {guard, ow};
  const std::string html = RenderHtml(d);
  EXPECT_EQ(CheckHtml(html), "");
  const size_t section = html.find("Org-wide permissions that reach this tenant");
  ASSERT_NE(section, std::string::npos);
  const size_t open = html.find("id=\"open\"");
  EXPECT_LT(section, open);
  const std::string part = html.substr(section, open - section);
  EXPECT_NE(part.find("Sam Supervisor"), std::string::npos);
  EXPECT_NE(part.find("directory:group:add, directory:group:edit"), std::string::npos);
  EXPECT_NE(part.find("group Globex Leads on d-globex"), std::string::npos);
  EXPECT_NE(part.find("Example BPO"), std::string::npos);
  EXPECT_NE(part.find("division-aware role management is off"), std::string::npos);
  // Listed once: not repeated in the open table.
  EXPECT_EQ(html.find("Sam Supervisor", open), std::string::npos);
  const std::string json = RenderJson(d);
  EXPECT_NE(json.find("\"org_wide_permissions\": ["), std::string::npos);
  EXPECT_NE(RenderCsv(d).at("org_wide_permissions.csv").find("directory:group:add;"),
            std::string::npos);
}

// Random bytes in every string field never break the markup or the CSV structure.
TEST(RenderFuzzTest, RandomNamesKeepHtmlAndCsvWellFormed) {
  std::mt19937 rng(1234);
  auto random_string = [&rng]() {
    static const std::string kAlphabet = "<>&\"'=+-@,;\r\n\t\x01 aZ/\\\xc3\xa9\xff";
    std::string out;
    const size_t n = rng() % 12;
    for (size_t i = 0; i < n; ++i) out += kAlphabet[rng() % kAlphabet.size()];
    return out;
  };
  for (int round = 0; round < 200; ++round) {
    ReportData d;
    d.org_name = random_string();
    d.tenant = random_string();
    d.as_of_sweep_hash = random_string();
    d.divisions.push_back({random_string(), random_string(), "", false});
    FindingRow r;
    r.finding.rule = static_cast<audit::Rule>(rng() % 5);
    r.finding.subject =
        audit::SubjectRef{audit::SubjectType::kUser, random_string(), random_string()};
    r.finding.role = audit::NamedRef{random_string(), random_string()};
    r.finding.division = audit::NamedRef{random_string(), random_string()};
    r.finding.tenant = random_string();
    r.finding.home_tenant = random_string();
    r.finding.tenants = {random_string(), random_string()};
    r.finding.via = audit::Via{false, random_string(), random_string()};
    r.finding.exception = audit::ExceptionRef{random_string(), random_string(), random_string()};
    r.finding.first_seen = random_string();
    d.open_findings = {r};
    d.reach = {r};
    r.resolved_at_unix = 5;
    d.resolved_findings = {r};
    d.exceptions.push_back({false, random_string(), random_string(), "", "", random_string(),
                            random_string(), random_string(), true, 1, 1});
    d.daily.push_back({random_string(), 1, 1, 0, 0, 0, true});
    const std::string html = RenderHtml(d);
    ASSERT_EQ(CheckHtml(html), "") << "round " << round;
    for (const auto& [name, content] : RenderCsv(d)) {
      auto rows = ParseCsv(content);
      for (const auto& row : rows) ASSERT_EQ(row.size(), rows[0].size()) << name;
    }
  }
}

// ---- CSV ----

TEST(CsvCellTest, QuotesAndNeutralisesFormulas) {
  EXPECT_EQ(CsvCell("plain"), "plain");
  EXPECT_EQ(CsvCell(""), "");
  EXPECT_EQ(CsvCell("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvCell("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvCell("two\r\nlines"), "\"two\r\nlines\"");
  EXPECT_EQ(CsvCell("=1+1"), "'=1+1");
  EXPECT_EQ(CsvCell("+1"), "'+1");
  EXPECT_EQ(CsvCell("-1"), "'-1");
  EXPECT_EQ(CsvCell("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(CsvCell("\t=1"), "'\t=1");
  EXPECT_EQ(CsvCell("=HYPERLINK(\"x\",\"y\")"), "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"");
  EXPECT_EQ(CsvCell("a=b"), "a=b");
}

// Minimal RFC 4180 parser for the round-trip check.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string cell;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        cell += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(std::move(cell));
      cell.clear();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      rows.back().push_back(std::move(cell));
      cell.clear();
      rows.emplace_back();
      ++i;
    } else {
      cell += c;
    }
  }
  if (!rows.back().empty() || !cell.empty()) rows.back().push_back(cell);
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

TEST_F(ReportTest, CsvFilesParseAndNeutraliseFormulas) {
  const auto files = RenderCsv(Build(FixtureRequest()));
  for (const char* name :
       {"header.csv", "summary.csv", "open_findings.csv", "resolved_findings.csv", "exceptions.csv",
        "daily_open.csv", "reach.csv", "new_findings.csv", "org_wide_findings.csv"}) {
    ASSERT_TRUE(files.count(name)) << name;
    auto rows = ParseCsv(files.at(name));
    ASSERT_FALSE(rows.empty()) << name;
    for (const auto& row : rows) EXPECT_EQ(row.size(), rows[0].size()) << name;
    for (const auto& row : rows) {
      for (const auto& cell : row) {
        ASSERT_FALSE(!cell.empty() &&
                     (cell[0] == '=' || cell[0] == '+' || cell[0] == '@' || cell[0] == '-'))
            << name << ": " << cell;
      }
    }
  }
  // The resolved finding's subject (a formula) comes back with its ' prefix.
  auto rows = ParseCsv(files.at("resolved_findings.csv"));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1][6], "'" + testing::kFormulaName);
  // The exception owner "=owner@example.com" too.
  EXPECT_NE(files.at("exceptions.csv").find("'=owner@example.com"), std::string::npos);
}

// ---- determinism, API, errors ----

TEST_F(ReportTest, SameInputsSameBytes) {
  const ReportRequest r = FixtureRequest();
  for (const char* format : {"html", "json", "csv"}) {
    ReportRequest a = r, b = r;
    a.format = b.format = format;
    a.out_path = dir_.File(std::string("a.") + format);
    b.out_path = dir_.File(std::string("b.") + format);
    auto sa = WriteReport(*store_, a);
    auto sb = WriteReport(*store_, b);
    ASSERT_TRUE(sa.ok()) << sa.status().ToString();
    ASSERT_TRUE(sb.ok()) << sb.status().ToString();
    ASSERT_EQ(sa->files.size(), sb->files.size());
    EXPECT_EQ(sa->bytes, sb->bytes);
    for (size_t i = 0; i < sa->files.size(); ++i) {
      EXPECT_EQ(ReadFile(sa->files[i]).value(), ReadFile(sb->files[i]).value()) << sa->files[i];
    }
  }
  // A second store opened on the same file (read-only, as `divaudit report` opens it while the
  // daemon holds the writer lock) renders the same bytes.
  FakeClock other(At("2030-01-01T00:00:00Z"));
  storage::SqliteStoreOptions read_only;
  read_only.read_only = true;
  auto again = storage::SqliteSnapshotStore::Open(dir_.File("db.sqlite"), other, read_only).value();
  EXPECT_EQ(RenderJson(BuildReportData(*again, r).value()),
            RenderJson(BuildReportData(*store_, r).value()));
}

TEST_F(ReportTest, WriteReportSummaryAndCsvDirectory) {
  ReportRequest r = FixtureRequest();
  r.format = "csv";
  r.out_path = dir_.File("out/acme");
  auto s = WriteReport(*store_, r);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->files.size(), 12u);  // + org_wide_permissions, evidence, conversations (v2)
  EXPECT_EQ(s->open, 7);
  EXPECT_EQ(s->suppressed, 1);
  EXPECT_EQ(s->resolved_in_period, 1);
  EXPECT_EQ(s->reach, 5);
  EXPECT_EQ(s->as_of_sweep, 5);
  EXPECT_TRUE(std::filesystem::exists(dir_.File("out/acme/open_findings.csv")));
}

// ---- v2: cross_tenant_queue rows and conversation evidence (issue 15) ----

// A queue finding names its queue (Role column), the queue's division and tenant (Division) and,
// via a group, the queue's member groups (Via); CSV has the queue columns.
TEST_F(ReportTest, QueueFindingShowsQueueDivisionAndGroups) {
  ReportData d = Build(FixtureRequest());
  FindingRow row;
  audit::Finding& f = row.finding;
  f.rule = audit::Rule::kCrossTenantQueue;
  f.severity = audit::RuleSeverity(f.rule);
  f.fingerprint = "fp-queue";
  f.subject = audit::SubjectRef{audit::SubjectType::kUser, "u-bob", "Bob Globex"};
  f.home_tenant = "Globex Health";
  f.tenant = "Acme Retail";
  f.via = audit::Via{false, "", ""};
  f.queue = audit::QueueRef{"q-support",
                            "Acme Support",
                            {"d-acme", "Acme Retail"},
                            "Acme Retail",
                            {{"t-night", "Night shift", "TEAM"}, {"g-x", "Overflow", "GROUP"}}};
  f.first_seen = "2026-01-12T08:00:00Z";
  d.open_findings.push_back(row);
  const std::string html = RenderHtml(d);
  EXPECT_NE(html.find("queue Acme Support<br/><span class=\"id\">q-support</span>"),
            std::string::npos);
  EXPECT_NE(html.find("Acme Retail [Acme Retail]<br/><span class=\"id\">d-acme</span>"),
            std::string::npos);
  EXPECT_NE(html.find("group: TEAM Night shift, GROUP Overflow"), std::string::npos);
  const std::string csv = RenderCsv(d).at("open_findings.csv");
  EXPECT_NE(csv.find("queue_id,queue_name,queue_division_id,queue_division_name,"
                     "queue_member_groups\r\n"),
            std::string::npos);
  EXPECT_NE(csv.find(",q-support,Acme Support,d-acme,Acme Retail,"
                     "TEAM:t-night:Night shift;GROUP:g-x:Overflow\r\n"),
            std::string::npos)
      << csv;
  f.via = audit::Via{true, "", ""};
  f.queue->member_groups.clear();
  d.open_findings.back() = row;
  EXPECT_EQ(RenderHtml(d).find("group: "), std::string::npos);
}

class ReportEvidenceTest : public ReportTest {
 protected:
  void SetUp() override {
    ReportTest::SetUp();
    evidence_ = storage::EvidenceStore::Open(dir_.File("db.sqlite")).value();
  }
  static audit::ConversationEvidence Conv(const std::string& id, const std::string& start,
                                          std::vector<std::string> tenants) {
    audit::ConversationEvidence e;
    e.conversation.id = id;
    e.conversation.start = audit::ParseIsoMillis(start).value();
    e.conversation.end = e.conversation.start + std::chrono::minutes(5);
    e.conversation.division_ids = {"d-acme", "d-globex"};
    e.conversation.queue_ids = {"q-1"};
    e.conversation.user_ids = {"u-1", "u-2"};
    e.tenants = std::move(tenants);
    return e;
  }
  void Record(int64_t sweep, std::vector<audit::ConversationEvidence> ev,
              const std::string& read_until, bool available = true) {
    storage::EvidenceSweep s;
    s.sweep_id = sweep;
    s.available = available;
    s.cursor.read_until = audit::ParseIsoMillis(read_until).value();
    s.evidence = std::move(ev);
    ASSERT_TRUE(evidence_->Record(s).ok());
  }
  ReportRequest Request() {
    ReportRequest r = FixtureRequest();
    r.evidence = evidence_.get();
    return r;
  }
  std::unique_ptr<storage::EvidenceStore> evidence_;
};

std::vector<std::string> ConversationIds(const EvidenceSection& e) {
  std::vector<std::string> out;
  for (const auto& c : e.conversations) out.push_back(c.conversation.id);
  return out;
}

// The tenant's conversations that started in the period, newest first, at most the limit (the
// total says how many in all); other tenants' conversations and those outside the period are
// not listed.
TEST_F(ReportEvidenceTest, ListsTheNewestWithinThePeriodAndSaysHowManyInAll) {
  const std::vector<std::string> ag = {"Acme Retail", "Globex Health"};
  Record(3,
         {Conv("c-before", "2025-12-31T23:59:59.999Z", ag),
          Conv("c-1", "2026-01-02T10:00:00.000Z", ag), Conv("c-2", "2026-01-05T10:00:00.000Z", ag),
          Conv("c-other", "2026-01-06T10:00:00.000Z", {"Globex Health", "Initech"}),
          Conv("c-3", "2026-01-07T10:00:00.000Z", ag)},
         "2026-01-08T00:00:00Z");
  Record(5,
         {Conv("c-4", "2026-01-10T10:00:00.000Z", ag), Conv("c-5", "2026-01-14T23:59:59.500Z", ag),
          Conv("c-after", "2026-01-15T00:00:00.000Z", ag)},
         "2026-01-15T12:00:00Z");
  ReportRequest r = Request();
  r.evidence_limit = 3;
  ReportData d = Build(r);
  EXPECT_EQ(d.evidence.status, EvidenceStatus::kCollected);
  EXPECT_EQ(d.evidence.total, 5);
  EXPECT_EQ(ConversationIds(d.evidence), (std::vector<std::string>{"c-5", "c-4", "c-3"}));
  const std::string html = RenderHtml(d);
  EXPECT_NE(html.find("<h2>Conversations that touched another tenant</h2>"), std::string::npos)
      << html;
  EXPECT_NE(html.find("5 conversations that started in the period touched this tenant and "
                      "another; the newest 3 are listed"),
            std::string::npos);
  EXPECT_NE(html.find("<td>c-5</td><td>2026-01-14T23:59:59.500Z</td>"), std::string::npos);
  EXPECT_EQ(html.find("c-2"), std::string::npos);
  const auto csv = RenderCsv(d);
  EXPECT_NE(csv.at("conversations.csv")
                .find("c-4,2026-01-10T10:00:00.000Z,2026-01-10T10:05:00.000Z,Acme Retail;Globex "
                      "Health,Globex Health,d-acme;d-globex,q-1,u-1;u-2\r\n"),
            std::string::npos)
      << csv.at("conversations.csv");
  EXPECT_NE(csv.at("evidence.csv").find("conversations_in_period,5\r\n"), std::string::npos);
  const std::string json = RenderJson(d);
  EXPECT_NE(json.find("\"status\": \"collected\""), std::string::npos);
  EXPECT_NE(json.find("\"conversations_in_period\": 5"), std::string::npos);
  EXPECT_NE(json.find("\"other_tenants\": [\n          \"Globex Health\"\n        ]"),
            std::string::npos)
      << json;

  // As of an earlier sweep: the evidence recorded later is not part of that report, nor is how
  // far later sweeps read (sweep 3 had read up to 2026-01-08, inside this period).
  r.to = At("2026-01-10T00:00:00Z");
  d = Build(r);
  ASSERT_LT(d.as_of_sweep_id, 5);
  EXPECT_EQ(ConversationIds(d.evidence), (std::vector<std::string>{"c-3", "c-2", "c-1"}));
  EXPECT_EQ(d.evidence.total, 3);
  EXPECT_EQ(d.evidence.status, EvidenceStatus::kPartial);
  EXPECT_EQ(d.evidence.read_until_ms, ToUnixSeconds(At("2026-01-08T00:00:00Z")) * 1000);
}

// Off, refused, not read yet, read up to a point in the period: the section says so in every
// format instead of showing an empty list that would read as "none happened".
TEST_F(ReportEvidenceTest, SaysWhenEvidenceIsOffUnavailableOrNotRead) {
  ReportData off = Build(FixtureRequest());
  EXPECT_EQ(off.evidence.status, EvidenceStatus::kDisabled);
  EXPECT_NE(RenderHtml(off).find("Not collected: conversation evidence is off"), std::string::npos);
  EXPECT_NE(RenderJson(off).find("\"status\": \"disabled\""), std::string::npos);
  EXPECT_NE(RenderCsv(off).at("evidence.csv").find("status,disabled\r\n"), std::string::npos);
  EXPECT_NE(RenderCsv(off).at("header.csv").find("evidence_status,disabled\r\n"),
            std::string::npos);

  ReportData never = Build(Request());
  EXPECT_EQ(never.evidence.status, EvidenceStatus::kNotRead);
  EXPECT_NE(RenderHtml(never).find("Not read yet"), std::string::npos);

  Record(3, {Conv("c-1", "2026-01-02T10:00:00.000Z", {"Acme Retail", "Globex Health"})},
         "2026-01-08T00:00:00Z");
  ReportData partial = Build(Request());
  EXPECT_EQ(partial.evidence.status, EvidenceStatus::kPartial);
  EXPECT_NE(RenderHtml(partial).find("Read up to 2026-01-08T00:00:00.000Z: conversations that "
                                     "started later in the period are not read yet"),
            std::string::npos);

  Record(5, {}, "2026-01-08T00:00:00Z", /*available=*/false);
  ReportData refused = Build(Request());
  EXPECT_EQ(refused.evidence.status, EvidenceStatus::kUnavailable);
  EXPECT_EQ(ConversationIds(refused.evidence), std::vector<std::string>{"c-1"});
  EXPECT_NE(RenderHtml(refused).find("analytics:conversationDetail:view"), std::string::npos);
  EXPECT_NE(RenderJson(refused).find("\"status\": \"unavailable\""), std::string::npos);

  Record(5, {}, "2026-01-20T00:00:00Z");
  ReportRequest other = Request();
  other.tenant = "Globex Health";
  EXPECT_EQ(Build(other).evidence.status, EvidenceStatus::kCollected);
  other.tenant = "Initech";
  ReportData none = Build(other);
  EXPECT_EQ(none.evidence.total, 0);
  EXPECT_NE(RenderHtml(none).find("None of the conversations read touched this tenant"),
            std::string::npos);
}

TEST_F(ReportTest, Errors) {
  ReportRequest r = FixtureRequest("Umbrella");
  r.out_path = dir_.File("x.html");
  auto s = WriteReport(*store_, r);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("\"Globex Health\""), std::string::npos);
  EXPECT_NE(s.status().message().find("\"Acme Retail\""), std::string::npos);

  r = FixtureRequest();
  r.format = "pdf";
  r.out_path = dir_.File("x.pdf");
  EXPECT_EQ(WriteReport(*store_, r).status().code(), StatusCode::kInvalidArgument);

  r = FixtureRequest();
  r.out_path = dir_.File("x.html");
  r.to = At("2025-12-31T12:00:00Z");  // before `from`
  EXPECT_EQ(WriteReport(*store_, r).status().code(), StatusCode::kInvalidArgument);
  r.from = At("2025-12-01T00:00:00Z");  // a period before the first complete sweep
  s = WriteReport(*store_, r);
  EXPECT_EQ(s.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.status().message().find("divaudit sweep"), std::string::npos);

  r = FixtureRequest();
  r.out_path = dir_.File("no/such/dir/x.html");
  std::filesystem::create_directories(dir_.File("no"));
  std::ofstream(dir_.File("no/such")) << "a file";
  s = WriteReport(*store_, r);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find(r.out_path), std::string::npos) << s.status().ToString();
}

TEST(ReportEmptyStoreTest, NoCompleteSweepIsAFailedPrecondition) {
  TempDir dir;
  FakeClock clock;
  auto store = storage::SqliteSnapshotStore::Open(dir.File("db.sqlite"), clock).value();
  ReportRequest r = FixtureRequest();
  r.out_path = dir.File("x.html");
  auto s = WriteReport(*store, r);
  EXPECT_EQ(s.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.status().message().find("divaudit sweep"), std::string::npos);
  EXPECT_EQ(TenantsOf(*store, r.policy).status().code(), StatusCode::kFailedPrecondition);
  // A failed sweep alone is still no complete sweep.
  testing::Commit(*store, clock, "2026-01-02T08:00:00Z", audit::SweepStatus::kFailed,
                  testing::FixtureOrg(0), r.policy);
  EXPECT_EQ(WriteReport(*store, r).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(ReportTest, TenantsOfListsMappedTenants) {
  auto t = TenantsOf(*store_, testing::FixturePolicy());
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(*t, (std::vector<std::string>{"Acme Retail", "Globex Health", "Initech"}));
  // Every tenant renders.
  for (const auto& name : *t) {
    ReportRequest r = FixtureRequest(name);
    r.format = "json";
    r.out_path = dir_.File(ReportFileName(name, "json"));
    EXPECT_TRUE(WriteReport(*store_, r).ok()) << name;
  }
}

TEST(ReportHelpersTest, ResolvePeriod) {
  const SystemTime now = At("2026-03-10T12:00:00Z");
  auto p = ResolvePeriod("", "", now).value();
  EXPECT_EQ(p.to, now);
  EXPECT_EQ(p.from, At("2026-02-08T12:00:00Z"));
  p = ResolvePeriod("2026-03-01", "2026-03-07", now).value();
  EXPECT_EQ(p.from, At("2026-03-01T00:00:00Z"));
  EXPECT_EQ(p.to, At("2026-03-07T23:59:59Z"));
  EXPECT_FALSE(ResolvePeriod("2026-03-08", "2026-03-07", now).ok());
  EXPECT_FALSE(ResolvePeriod("yesterday", "", now).ok());
}

TEST(ReportHelpersTest, ReportFileNameIsSafe) {
  EXPECT_EQ(ReportFileName("Acme-Retail_1", "html"), "report-Acme-Retail_1.html");
  const std::string evil = ReportFileName("../../etc/passwd", "json");
  EXPECT_EQ(evil.find('/'), std::string::npos);
  EXPECT_EQ(evil.rfind("report-", 0), 0u);
  EXPECT_NE(ReportFileName("a b", "csv"), ReportFileName("a_b", "csv"));
  EXPECT_EQ(ReportFileName("x", "csv"), "report-x");
}

// ---- scale ----

// Thousands of findings in one report: every one is listed and the HTML stays well-formed (its
// render time is measured by bench/ BM_ReportThousandsOfFindings, not here).
TEST(ReportScaleTest, ThousandsOfFindingsRender) {
  TempDir dir;
  FakeClock clock;
  auto store = storage::SqliteSnapshotStore::Open(dir.File("db.sqlite"), clock).value();
  audit::Policy policy;
  policy.tenants = {{"A", {"A"}}, {"B", {"B"}}};
  audit::OrgSnapshot s;
  s.divisions = {{"dA", "A", "", false}, {"dB", "B", "", false}};
  s.roles = {{"r1", "Role 1"}, {"r2", "Role 2"}};
  for (int i = 0; i < 3000; ++i) {
    const std::string id = "u" + std::to_string(i);
    s.users.push_back({id, "User " + std::to_string(i), "", i % 2 ? "dA" : "dB", "active"});
    s.grants.push_back({audit::SubjectType::kUser, id, "r1", i % 2 ? "dB" : "dA"});
    s.grants.push_back({audit::SubjectType::kUser, id, "r2", i % 2 ? "dB" : "dA"});
  }
  audit::Canonicalize(s);
  testing::Commit(*store, clock, "2026-01-02T08:00:00Z", audit::SweepStatus::kComplete, s, policy);
  s.grants.resize(s.grants.size() / 2);
  testing::Commit(*store, clock, "2026-01-03T08:00:00Z", audit::SweepStatus::kComplete, s, policy);

  ReportRequest r;
  r.tenant = "A";
  r.policy = policy;
  r.from = At("2026-01-01T00:00:00Z");
  r.to = At("2026-01-30T23:59:59Z");
  r.generated_at = r.to;
  auto d = BuildReportData(*store, r);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  const std::string html = RenderHtml(*d);
  const std::string json = RenderJson(*d);
  const auto csv = RenderCsv(*d);
  EXPECT_EQ(CheckHtml(html), "");
  // 6,000 cross-tenant grants, each touching A (as the grant's or as the home's tenant); the
  // second sweep dropped half of them.
  EXPECT_EQ(d->open_findings.size(), 3000u);
  EXPECT_EQ(d->resolved_findings.size(), 3000u);
  EXPECT_NE(json.find("\"resolved_findings\""), std::string::npos);
  EXPECT_FALSE(csv.empty());
}

// ---- Compliance-officer layout (legend, verdict, sign-off, names first, dedupe, collapse) ----

size_t CountOf(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t p = haystack.find(needle); p != std::string::npos; p = haystack.find(needle, p + 1)) {
    ++n;
  }
  return n;
}

TEST_F(ReportTest, HtmlHasPlainLanguageRuleLegend) {
  const std::string html = RenderHtml(Build(FixtureRequest()));
  const size_t legend = html.find("<section id=\"legend\">");
  ASSERT_NE(legend, std::string::npos);
  EXPECT_LT(legend, html.find("<section id=\"summary\">"));  // before the evidence
  for (const char* rule :
       {"all_divisions", "cross_tenant", "multi_tenant_subject", "unmapped_division",
        "orphaned_grant", "open", "suppressed", "resolved"}) {
    EXPECT_NE(html.find(std::string("<tr><td>") + rule + "</td>", legend), std::string::npos)
        << rule;
  }
  EXPECT_NE(html.find("holds a role on a division of another tenant"), std::string::npos);
}

TEST_F(ReportTest, VerdictForDirtyAndCleanTenant) {
  ReportData d = Build(FixtureRequest());
  const std::string html = RenderHtml(d);
  const size_t verdict = html.find("<div class=\"verdict bad\">");
  ASSERT_NE(verdict, std::string::npos);
  EXPECT_LT(verdict, html.find("<dl class=\"meta\">"));  // the first thing under the title
  EXPECT_NE(html.find("<p class=\"v\">Not isolated: 7 open findings (0 critical)</p>"),
            std::string::npos);
  EXPECT_NE(html.find("last complete sweep #" + std::to_string(d.as_of_sweep_id) + " started " +
                      FormatIso8601(FromUnixSeconds(d.as_of_sweep_started))),
            std::string::npos);
  EXPECT_NE(html.find("1 further finding is suppressed by documented exceptions."),
            std::string::npos);
  const std::string json = RenderJson(d);
  EXPECT_NE(json.find("\"verdict\": {\n    \"isolated\": false,\n    \"text\": \"Not isolated: 7 "
                      "open findings (0 critical)\",\n    \"open\": 7,\n    \"critical_open\": "
                      "0,\n    \"suppressed\": 1\n  }"),
            std::string::npos);
  EXPECT_NE(ConcatCsv(RenderCsv(d)).find("verdict,Not isolated: 7 open findings (0 critical)\r\n"),
            std::string::npos);

  // A critical open finding is counted as critical; a suppressed one is not open.
  FindingRow crit;
  crit.finding.rule = audit::Rule::kAllDivisions;
  crit.finding.severity = audit::Severity::kCritical;
  crit.finding.state = audit::FindingState::kOpen;
  crit.finding.fingerprint = "f1";
  FindingRow supp = crit;
  supp.finding.state = audit::FindingState::kSuppressed;
  supp.finding.fingerprint = "f2";
  ReportData dirty;
  dirty.tenant = "T";
  dirty.open_findings = {crit, supp};
  EXPECT_NE(RenderHtml(dirty).find("Not isolated: 1 open finding (1 critical)"), std::string::npos);

  // A tenant whose only finding is suppressed is isolated.
  ReportData clean;
  clean.tenant = "Clean Co";
  clean.open_findings = {supp};
  const std::string clean_html = RenderHtml(clean);
  EXPECT_EQ(CheckHtml(clean_html), "");
  EXPECT_NE(clean_html.find("<div class=\"verdict ok\">\n<p class=\"v\">Isolated: no open "
                            "findings</p>"),
            std::string::npos);
  EXPECT_EQ(clean_html.find("Not isolated"), std::string::npos);
  EXPECT_NE(RenderJson(clean).find("\"isolated\": true"), std::string::npos);
}

TEST_F(ReportTest, HtmlEndsWithPrintableSignOffBlock) {
  const std::string html = RenderHtml(Build(FixtureRequest()));
  const size_t signoff = html.find("<section id=\"signoff\" class=\"signoff\">");
  ASSERT_NE(signoff, std::string::npos);
  EXPECT_GT(signoff, html.find("<section id=\"orgwide\">"));  // after all the evidence
  for (const char* line : {"<th>Reviewer name</th><td></td>", "<th>Date</th><td></td>",
                           "<th>Signature</th><td></td>"}) {
    EXPECT_NE(html.find(line, signoff), std::string::npos) << line;
  }
  EXPECT_NE(html.find(".signoff { page-break-inside: avoid;"), std::string::npos);
}

TEST_F(ReportTest, HtmlShowsNamesFirstWithSmallIds) {
  const std::string html = RenderHtml(Build(FixtureRequest()));
  EXPECT_NE(html.find("<td>Hank<br/><span class=\"id\">user u-hank</span></td>"),
            std::string::npos);
  EXPECT_EQ(html.find("Hank (user u-hank)"), std::string::npos);  // the old "name (id)" form
  EXPECT_NE(html.find("span.id { font-size:"), std::string::npos);
  EXPECT_NE(html.find("table { table-layout: fixed;"), std::string::npos);
  EXPECT_NE(html.find("<colgroup>"), std::string::npos);
}

TEST_F(ReportTest, HtmlListsEachFindingOnce) {
  ReportData d = Build(FixtureRequest());
  // Hank is reach, open and new: one row (in the reach table, marked new).
  ASSERT_EQ(d.new_findings.size(), 1u);
  const std::string html = RenderHtml(d);
  EXPECT_EQ(CountOf(html, "<span class=\"id\">user u-hank</span>"), 1u);
  EXPECT_NE(html.find("<td>open, new</td>", html.find("<section id=\"summary\">")),
            std::string::npos);
  // Every named subject shows up as many times as it has distinct findings in the report.
  std::map<std::string, std::set<std::string>> fps_by_subject;
  for (const auto* rows :
       {&d.reach, &d.open_findings, &d.resolved_findings, &d.new_findings, &d.org_wide_findings}) {
    for (const auto& r : *rows) {
      const auto& s = r.finding.subject;
      if (!s || s->name.empty()) continue;
      fps_by_subject[std::string(audit::SubjectTypeName(s->type)) + " " + s->id].insert(
          r.finding.fingerprint);
    }
  }
  ASSERT_GE(fps_by_subject.size(), 5u);
  for (const auto& [subject, fps] : fps_by_subject) {
    EXPECT_EQ(CountOf(html, "<span class=\"id\">" + HtmlEscape(subject) + "</span>"), fps.size())
        << subject;
  }
}

TEST_F(ReportTest, DaysBeforeFirstSweepCollapseToOneLine) {
  ReportData d = Build(FixtureRequest());
  ASSERT_FALSE(d.daily[0].has_data);  // Jan 1: before the first sweep (Jan 2)
  const std::string html = RenderHtml(d);
  EXPECT_EQ(CountOf(html, "no sweeps before 2026-01-02"), 1u);
  EXPECT_EQ(html.find("<td>2026-01-01</td>"), std::string::npos);
  EXPECT_NE(html.find("<td>2026-01-02</td>"), std::string::npos);
  // Several empty days → still one line; the JSON keeps one entry per day (a contract).
  ReportData many;
  for (int i = 1; i <= 5; ++i) {
    DayRow day;
    day.date = "2026-02-0" + std::to_string(i);
    day.has_data = i == 5;
    many.daily.push_back(day);
  }
  const std::string many_html = RenderHtml(many);
  EXPECT_EQ(CountOf(many_html, "no sweeps before 2026-02-05"), 1u);
  for (int i = 1; i <= 4; ++i) {
    EXPECT_EQ(many_html.find("<td>2026-02-0" + std::to_string(i) + "</td>"), std::string::npos);
  }
  EXPECT_EQ(CountOf(RenderJson(many), "\"date\":"), 5u);
}

}  // namespace
}  // namespace divaudit::report
