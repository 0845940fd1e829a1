// libFuzzer target for the finding presenter (present/findings.h) and the display neutraliser
// (common/display_text.h). Input: arbitrary bytes, split at the first two NUL bytes into a
// subject name, a division name and a tenant name of one finding (absent parts are "").
// Invariants: no crash/UB.
//   NeutraliseDisplayText: output is valid UTF-8 with no C0/C1 control, DEL or bidirectional
//     formatting character; IsDisplaySafe(output); neutralising twice changes nothing; safe input
//     is returned unchanged.
//   RenderFindingsCsv: RFC 4180 — parsed back, every record has the header's 39 fields; no cell
//     starts with = + - @ tab CR; every cell is valid UTF-8 without bidi overrides; the subject
//     name cell decodes to CsvCell's documented value.
//   RenderFindingsTable: no byte < 0x20 but LF, no DEL; valid UTF-8; no bidi override; one line
//     per finding plus header and count.
//   RenderFindingsJson: parses with simdjson and the subject name round-trips exactly when the
//     input is valid UTF-8 (JSON keeps names as data).

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/display_text.h"
#include "fuzz/fuzz_check.h"
#include "present/csv.h"
#include "present/findings.h"

namespace {

using divaudit::IsDisplaySafe;
using divaudit::LineBreaks;
using divaudit::NeutraliseDisplayText;

bool HasBidiOrC1(std::string_view s) {
  for (const char* bad : {"\u202A", "\u202B", "\u202C", "\u202D", "\u202E", "\u2066", "\u2067",
                          "\u2068", "\u2069", "\u200E", "\u200F", "\u061C"}) {
    if (s.find(bad) != std::string_view::npos) return true;
  }
  for (size_t i = 0; i + 1 < s.size(); ++i) {
    const auto b0 = static_cast<unsigned char>(s[i]), b1 = static_cast<unsigned char>(s[i + 1]);
    if (b0 == 0xC2 && b1 >= 0x80 && b1 <= 0x9F) return true;
  }
  return false;
}

void CheckNeutralise(std::string_view input) {
  for (LineBreaks lb : {LineBreaks::kReplace, LineBreaks::kKeep}) {
    const std::string out = NeutraliseDisplayText(input, lb);
    FUZZ_CHECK(simdjson::validate_utf8(out.data(), out.size()), "invalid UTF-8 out");
    FUZZ_CHECK(!HasBidiOrC1(out), "bidi/C1 control left: " + out);
    for (unsigned char c : out) {
      const bool kept = lb == LineBreaks::kKeep && (c == '\t' || c == '\n' || c == '\r');
      FUZZ_CHECK(c >= 0x20 || kept, "C0 control left");
      FUZZ_CHECK(c != 0x7f, "DEL left");
    }
    FUZZ_CHECK(IsDisplaySafe(out, lb), "output not display-safe");
    FUZZ_CHECK(NeutraliseDisplayText(out, lb) == out, "not idempotent");
    if (IsDisplaySafe(input, lb)) FUZZ_CHECK(out == input, "safe input changed");
  }
}

// RFC 4180 records (CRLF ends a record outside quotes).
std::vector<std::vector<std::string>> ParseCsv(const std::string& csv) {
  std::vector<std::vector<std::string>> rows(1, std::vector<std::string>(1));
  bool quoted = false, at_start = true;
  for (size_t i = 0; i < csv.size(); ++i) {
    const char c = csv[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < csv.size() && csv[i + 1] == '"') {
          rows.back().back() += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        rows.back().back() += c;
      }
      continue;
    }
    if (c == '"' && at_start) {
      quoted = true;
      at_start = false;
    } else if (c == ',') {
      rows.back().emplace_back();
      at_start = true;
    } else if (c == '\r' && i + 1 < csv.size() && csv[i + 1] == '\n') {
      ++i;
      rows.emplace_back(1);
      at_start = true;
    } else {
      FUZZ_CHECK(c != '"' && c != '\r' && c != '\n', "special character outside quotes");
      rows.back().back() += c;
      at_start = false;
    }
  }
  FUZZ_CHECK(!quoted, "unterminated quoted field");
  rows.pop_back();  // after the last CRLF
  return rows;
}

divaudit::present::FindingRecord Record(std::string_view subject, std::string_view division,
                                        std::string_view tenant) {
  divaudit::present::FindingRecord r;
  auto& f = r.finding;
  f.rule = divaudit::audit::Rule::kCrossTenant;
  f.severity = divaudit::audit::RuleSeverity(f.rule);
  f.state = divaudit::audit::FindingState::kOpen;
  f.fingerprint = "fp";
  f.subject =
      divaudit::audit::SubjectRef{divaudit::audit::SubjectType::kUser, "u-1", std::string(subject)};
  f.division = divaudit::audit::NamedRef{"d-1", std::string(division)};
  f.role = divaudit::audit::NamedRef{"r-1", std::string(subject)};
  f.tenant = std::string(tenant);
  f.home_tenant = std::string(tenant);
  f.tenants = {std::string(tenant), std::string(division)};
  f.via = divaudit::audit::Via{false, "g-1", std::string(division)};
  f.first_seen = "2026-11-20T08:00:00Z";
  r.last_seen = "2026-11-23T08:00:00Z";
  return r;
}

void CheckPresenter(std::string_view subject, std::string_view division, std::string_view tenant) {
  const std::vector<divaudit::present::FindingRecord> records = {Record(subject, division, tenant),
                                                                 Record(division, tenant, subject)};
  const std::string csv = divaudit::present::RenderFindingsCsv(records);
  const auto rows = ParseCsv(csv);
  FUZZ_CHECK(rows.size() == 3, "CSV records: " + std::to_string(rows.size()));
  for (const auto& row : rows) {
    FUZZ_CHECK(row.size() == 39, "CSV fields: " + std::to_string(row.size()));
    for (const auto& cell : row) {
      FUZZ_CHECK(!divaudit::present::StartsLikeFormula(cell), "formula cell: " + cell);
      FUZZ_CHECK(simdjson::validate_utf8(cell.data(), cell.size()), "invalid UTF-8 cell");
      FUZZ_CHECK(!HasBidiOrC1(cell), "bidi/C1 in a cell");
    }
  }
  const std::string expected_name = divaudit::present::CsvCell(subject);
  const std::string name_csv = "a," + expected_name + "\r\n";
  FUZZ_CHECK(ParseCsv(name_csv).front().at(1) == rows[1][6], "subject_name cell differs");

  const std::string table = divaudit::present::RenderFindingsTable(records);
  FUZZ_CHECK(simdjson::validate_utf8(table.data(), table.size()), "table not UTF-8");
  FUZZ_CHECK(!HasBidiOrC1(table), "bidi/C1 in the table");
  size_t lines = 0;
  for (unsigned char c : table) {
    FUZZ_CHECK((c >= 0x20 && c != 0x7f) || c == '\n', "control character in the table");
    lines += c == '\n';
  }
  FUZZ_CHECK(lines == 4, "table lines: " + std::to_string(lines));

  const std::string json = divaudit::present::RenderFindingsJson(records);
  if (simdjson::validate_utf8(subject.data(), subject.size())) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    FUZZ_CHECK(parser.parse(json).get(doc) == simdjson::SUCCESS, "JSON does not parse: " + json);
    std::string_view name;
    FUZZ_CHECK(doc["findings"].at(0)["subject"]["name"].get(name) == simdjson::SUCCESS,
               "no subject name in JSON");
    FUZZ_CHECK(name == subject, "JSON subject name does not round-trip");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckNeutralise(input);
  const size_t a = input.find('\0');
  const std::string_view subject = input.substr(0, a);
  std::string_view rest = a == std::string_view::npos ? "" : input.substr(a + 1);
  const size_t b = rest.find('\0');
  const std::string_view division = rest.substr(0, b);
  const std::string_view tenant = b == std::string_view::npos ? "" : rest.substr(b + 1);
  CheckPresenter(subject, division, tenant);
  return 0;
}
