#pragma once

#include <map>
#include <string>
#include <string_view>

#include "present/csv.h"
#include "report/report_data.h"

namespace divaudit::report {

// Pure renderers of a ReportData: no I/O, no clock; the same data gives the same bytes.
// Thread-safe for distinct or const inputs. Formats are described in report/README.md.

// One self-contained HTML file: inline CSS (with @media print rules for A4), an inline SVG chart
// of the daily open findings, no scripts and no external assets. Every value is HTML-escaped.
// Long tables are split into chunks of kHtmlRowsPerTable rows, each with its own header.
inline constexpr size_t kHtmlRowsPerTable = 500;
std::string RenderHtml(const ReportData& data);

// File name → content: header.csv, summary.csv, reach.csv, open_findings.csv,
// resolved_findings.csv, new_findings.csv, exceptions.csv, org_wide_findings.csv,
// daily_open.csv. RFC 4180 (CRLF, quotes doubled), formula cells neutralised (CsvCell).
std::map<std::string, std::string> RenderCsv(const ReportData& data);

// The JSON document of report/README.md (pretty-printed, "schema": "divaudit.report/1").
std::string RenderJson(const ReportData& data);

// Escapes & < > " ' for HTML text and attribute values; control characters other than tab,
// CR and LF (not allowed in HTML), bidirectional overrides and invalid UTF-8
// (NeutraliseDisplayText) become the entity &#xFFFD;.
std::string HtmlEscape(std::string_view s);

// The CSV cells are written by the one CSV escaper, present::CsvCell (present/csv.h).
using present::CsvCell;

}  // namespace divaudit::report
