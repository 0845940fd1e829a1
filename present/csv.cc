#include "present/csv.h"

#include "common/display_text.h"

namespace divaudit::present {

bool StartsLikeFormula(std::string_view value) {
  if (value.empty()) return false;
  const char c = value.front();
  return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

std::string CsvCell(std::string_view value) {
  std::string v;
  v.reserve(value.size() + 1);
  if (IsDisplaySafe(value, LineBreaks::kKeep)) {
    // Built by appending (g++ 12 -O3 warns falsely, -Wrestrict, on inserting at the front).
    if (StartsLikeFormula(value)) v.push_back('\'');
    v.append(value);
  } else {
    const std::string safe = NeutraliseDisplayText(value, LineBreaks::kKeep);
    if (StartsLikeFormula(safe)) v.push_back('\'');
    v.append(safe);
  }
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  out.reserve(v.size() + 2);
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace divaudit::present
