#include "config/toml_guard.h"

#include <cstdio>

namespace divaudit::config {
namespace {

// Decodes the UTF-8 sequence at text[i] (lenient: a malformed sequence yields its lead byte and
// length 1; toml++ reports malformed UTF-8 itself).
char32_t Decode(std::string_view text, size_t i, size_t& length) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const unsigned char lead = b(0);
  size_t n = 1;
  char32_t cp = lead;
  if ((lead & 0xe0) == 0xc0) {
    n = 2;
    cp = lead & 0x1f;
  } else if ((lead & 0xf0) == 0xe0) {
    n = 3;
    cp = lead & 0x0f;
  } else if ((lead & 0xf8) == 0xf0) {
    n = 4;
    cp = lead & 0x07;
  }
  length = 1;
  if (n == 1 || i + n > text.size()) return lead;
  for (size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xc0) != 0x80) return lead;
    cp = (cp << 6) | (b(k) & 0x3f);
  }
  length = n;
  return cp;
}

std::string Hex4(char32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04X", static_cast<unsigned>(cp));
  return buf;
}

bool HasHazard(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    if ((static_cast<unsigned char>(text[i]) & 0x80) == 0) {
      ++i;
      continue;
    }
    size_t n = 1;
    if (IsTomlWhitespaceHazard(Decode(text, i, n))) return true;
    i += n;
  }
  return false;
}

enum class State { kOutside, kComment, kBasic, kLiteral, kMultiBasic, kMultiLiteral };

}  // namespace

bool IsTomlWhitespaceHazard(char32_t cp) {
  return (cp >= 0xa1 && cp <= 0x499) || (cp >= 0x2c5e && cp <= 0x3057 && cp != 0x3000) ||
         (cp >= 0xfb26 && cp <= 0xfefe);
}

TomlSafeResult TomlSafeText(std::string_view text) {
  TomlSafeResult result;
  if (!HasHazard(text)) return result;
  result.needs_rewrite = true;
  std::string& out = result.text;
  out.reserve(text.size() + text.size() / 8);

  State state = State::kOutside;
  size_t line = 1;
  size_t line_start = 0;
  bool after_backslash = false;  // in a basic string: the previous character was an escape's '\'
  const auto starts = [&](size_t i, std::string_view s) { return text.substr(i, s.size()) == s; };
  const auto column = [&](size_t at) {
    size_t col = 1;
    for (size_t k = line_start; k < at; ++k) {
      if ((static_cast<unsigned char>(text[k]) & 0xc0) != 0x80) ++col;
    }
    return col;
  };

  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    const bool escaped = after_backslash;
    after_backslash = false;
    if (c == '\n') {
      ++line;
      line_start = i + 1;
      if (state == State::kComment || state == State::kBasic) state = State::kOutside;
      if (state == State::kLiteral) {
        state = State::kOutside;  // unterminated (invalid); close what we opened
        out += '"';
      }
      out += c;
      ++i;
      continue;
    }
    if ((static_cast<unsigned char>(c) & 0x80) != 0) {
      size_t n = 1;
      const char32_t cp = Decode(text, i, n);
      if (!IsTomlWhitespaceHazard(cp)) {
        out.append(text.substr(i, n));
      } else if (state == State::kOutside) {
        result.hazard = TomlHazard{line, column(i),
                                   "non-ASCII character U+" + Hex4(cp) +
                                       " outside a string or comment (TOML allows it only in "
                                       "quotes)"};
        return result;
      } else if (state == State::kComment || escaped) {
        out += '?';
      } else {
        out += "\\u" + Hex4(cp);
      }
      i += n;
      continue;
    }
    switch (state) {
      case State::kOutside:
        if (c == '#') {
          state = State::kComment;
        } else if (starts(i, "\"\"\"")) {
          state = State::kMultiBasic;
          out += "\"\"\"";
          i += 3;
          continue;
        } else if (c == '"') {
          state = State::kBasic;
        } else if (starts(i, "'''")) {
          state = State::kMultiLiteral;
          out += "\"\"\"";
          i += 3;
          continue;
        } else if (c == '\'') {
          state = State::kLiteral;
          out += '"';
          ++i;
          continue;
        }
        out += c;
        ++i;
        break;
      case State::kComment:
        out += c;
        ++i;
        break;
      case State::kBasic:
      case State::kMultiBasic:
        if (escaped) {
          out += c;  // the escaped character (an ASCII one; "\\" and "\"" end here)
          ++i;
          break;
        }
        if (c == '\\') {
          after_backslash = true;
          out += c;
          ++i;
          break;
        }
        if (state == State::kBasic && c == '"') {
          state = State::kOutside;
        } else if (state == State::kMultiBasic && starts(i, "\"\"\"")) {
          size_t q = 3;
          while (q < 5 && i + q < text.size() && text[i + q] == '"') ++q;  // """a"""" = a"
          out.append(text.substr(i, q));
          i += q;
          state = State::kOutside;
          continue;
        }
        out += c;
        ++i;
        break;
      case State::kLiteral:
      case State::kMultiLiteral:
        if (state == State::kLiteral && c == '\'') {
          out += '"';
          state = State::kOutside;
          ++i;
          break;
        }
        if (state == State::kMultiLiteral && starts(i, "'''")) {
          size_t q = 3;
          while (q < 5 && i + q < text.size() && text[i + q] == '\'') ++q;
          out.append(q - 3, '\'');  // the extra quotes are content: '''a'''' = a'
          out += "\"\"\"";
          i += q;
          state = State::kOutside;
          continue;
        }
        if (c == '\\' || c == '"') out += '\\';
        out += c;
        ++i;
        break;
    }
  }
  if (state == State::kLiteral) out += '"';
  return result;
}

}  // namespace divaudit::config
