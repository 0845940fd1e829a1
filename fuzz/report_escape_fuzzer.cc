// libFuzzer target for the report renderer's escaping (report/render.h: HtmlEscape, CsvCell).
// Input: arbitrary bytes, used as one value for both functions.
// Invariants: no crash/UB.
//   HtmlEscape: no raw < > " ' in the output; every & starts one of the entities it writes; no
//     control character other than tab/CR/LF, no bidirectional override; the output is valid
//     UTF-8; decoding the entities gives back the input neutralised for display
//     (NeutraliseDisplayText with tab/CR/LF kept: controls, bidi overrides, invalid UTF-8 read as
//     U+FFFD).
//   CsvCell (present/csv.h, the one CSV escaper): a quoted cell is "…" with inner quotes doubled,
//     an unquoted one holds no , " CR LF; the decoded cell is the neutralised input, with a
//     leading ' when that starts with = + - @ tab CR.

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/display_text.h"
#include "fuzz/fuzz_check.h"
#include "report/render.h"

namespace {

constexpr std::string_view kReplacement = divaudit::kReplacementCharacter;

void CheckHtml(std::string_view input) {
  const std::string out = divaudit::report::HtmlEscape(input);
  std::string decoded;
  for (size_t i = 0; i < out.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(out[i]);
    FUZZ_CHECK(c != '<' && c != '>' && c != '"' && c != '\'', "raw HTML metacharacter: " + out);
    FUZZ_CHECK(c >= 0x20 || c == '\t' || c == '\n' || c == '\r', "control character: " + out);
    FUZZ_CHECK(c != 0x7f, "DEL in output");
    if (c != '&') {
      decoded.push_back(static_cast<char>(c));
      continue;
    }
    const size_t semi = out.find(';', i);
    FUZZ_CHECK(semi != std::string::npos, "unterminated entity: " + out);
    const std::string_view entity(out.data() + i, semi - i + 1);
    if (entity == "&amp;") {
      decoded += '&';
    } else if (entity == "&lt;") {
      decoded += '<';
    } else if (entity == "&gt;") {
      decoded += '>';
    } else if (entity == "&quot;") {
      decoded += '"';
    } else if (entity == "&#39;") {
      decoded += '\'';
    } else if (entity == "&#xFFFD;") {
      decoded += kReplacement;
    } else {
      FUZZ_CHECK(false, "unknown entity " + std::string(entity));
    }
    i = semi;
  }
  const std::string expected = divaudit::NeutraliseDisplayText(input, divaudit::LineBreaks::kKeep);
  FUZZ_CHECK(decoded == expected, "HtmlEscape does not decode back to the neutralised input");
  FUZZ_CHECK(simdjson::validate_utf8(out.data(), out.size()), "output is not valid UTF-8");
  FUZZ_CHECK(out.find("\u202E") == std::string::npos, "bidi override in the output");
}

void CheckCsv(std::string_view input) {
  const std::string cell = divaudit::report::CsvCell(input);
  std::string decoded;
  if (!cell.empty() && cell.front() == '"') {
    FUZZ_CHECK(cell.size() >= 2 && cell.back() == '"', "unterminated quoted cell");
    for (size_t i = 1; i + 1 < cell.size(); ++i) {
      if (cell[i] == '"') {
        FUZZ_CHECK(i + 2 < cell.size() && cell[i + 1] == '"', "lone quote inside a cell: " + cell);
        ++i;
      }
      decoded.push_back(cell[i]);
    }
  } else {
    FUZZ_CHECK(cell.find_first_of(",\"\r\n") == std::string::npos, "unquoted special: " + cell);
    decoded = cell;
  }
  const std::string safe = divaudit::NeutraliseDisplayText(input, divaudit::LineBreaks::kKeep);
  const bool formula = !safe.empty() && (safe[0] == '=' || safe[0] == '+' || safe[0] == '-' ||
                                         safe[0] == '@' || safe[0] == '\t' || safe[0] == '\r');
  const std::string expected = formula ? "'" + safe : safe;
  FUZZ_CHECK(decoded == expected, "CsvCell does not decode back to the input: " + cell);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckHtml(input);
  CheckCsv(input);
  return 0;
}
