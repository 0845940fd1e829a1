#pragma once

#include <string>
#include <string_view>

namespace divaudit::present {

// One RFC 4180 CSV cell; the only CSV escaper of divaudit (findings --format csv and the report's
// CSV files). Pure; thread-safe.
//   1. Characters that change how text is displayed (NeutraliseDisplayText with tab, CR and LF
//      kept: other controls, bidirectional overrides, invalid UTF-8) become U+FFFD.
//   2. A value starting with = + - @ tab or CR (some spreadsheets skip the last two before
//      reading a formula) gets a leading ' so that a crafted name cannot run as a formula when
//      the file is opened in a spreadsheet.
//   3. The value is quoted when it holds a comma, quote, CR or LF (quotes doubled).
std::string CsvCell(std::string_view value);

// True when `value` (already neutralised) would be read as a formula: starts with = + - @ tab CR.
bool StartsLikeFormula(std::string_view value);

}  // namespace divaudit::present
