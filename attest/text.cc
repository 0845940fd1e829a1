#include "attest/text.h"

#include <array>
#include <cstdio>

#include "common/json_writer.h"
#include "report/render.h"

namespace divaudit::attest {
namespace {

// Decodes one UTF-8 code point at s[i]; advances i. Ill-formed bytes decode as U+FFFD (one byte).
char32_t NextCodePoint(std::string_view s, size_t& i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) {
    ++i;
    return c;
  }
  size_t len = 0;
  char32_t cp = 0;
  if ((c & 0xE0) == 0xC0) {
    len = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4;
    cp = c & 0x07;
  } else {
    ++i;
    return 0xFFFD;
  }
  if (i + len > s.size()) {
    ++i;
    return 0xFFFD;
  }
  for (size_t k = 1; k < len; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) {
      ++i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  i += len;
  return cp;
}

// Latin-1 supplement letters (U+00C0..U+00FF) in lower-case ASCII; "" for × and ÷.
constexpr std::array<const char*, 64> kLatin1 = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",   // C0
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "ss",  // D0
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",   // E0
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "y"};  // F0

// Replaces each bidi control in `s` by `replacement(cp)`.
template <typename Fn>
std::string ReplaceBidi(std::string_view s, Fn&& replacement) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const size_t start = i;
    const char32_t cp = NextCodePoint(s, i);
    if (IsBidiControl(cp)) {
      out += replacement(cp);
    } else {
      out.append(s.substr(start, i - start));
    }
  }
  return out;
}

}  // namespace

bool IsBidiControl(char32_t c) {
  return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) || c == 0x200E ||
         c == 0x200F || c == 0x061C || c == 0x2028 || c == 0x2029;
}

std::string TenantSlug(std::string_view tenant) {
  std::string slug;
  bool dash = false;
  const auto put = [&](std::string_view text) {
    if (dash && !slug.empty()) slug.push_back('-');
    dash = false;
    slug.append(text);
  };
  size_t i = 0;
  while (i < tenant.size()) {
    const char32_t cp = NextCodePoint(tenant, i);
    if (cp < 0x80) {
      const char c = static_cast<char>(cp);
      if (c >= 'A' && c <= 'Z') {
        const char lower = static_cast<char>(c - 'A' + 'a');
        put(std::string_view(&lower, 1));
      } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        put(std::string_view(&c, 1));
      } else {
        dash = true;
      }
    } else if (cp >= 0xC0 && cp <= 0xFF && kLatin1[cp - 0xC0][0] != '\0') {
      put(kLatin1[cp - 0xC0]);
    } else if (cp == 0x152 || cp == 0x153) {
      put("oe");
    } else if (cp == 0xD7 || cp == 0xF7 || (cp >= 0x80 && cp < 0xC0)) {
      dash = true;  // × ÷ and Latin-1 punctuation/space separate words
    }
    // Any other non-ASCII code point is dropped.
  }
  return slug.empty() ? "tenant" : slug;
}

std::string HtmlText(std::string_view s) {
  return report::HtmlEscape(s);  // neutralises bidi and control characters (common/display_text.h)
}

std::string JsonText(std::string_view s) {
  std::string escaped;
  AppendJsonEscaped(escaped, s);
  std::string out = "\"";
  out += ReplaceBidi(escaped, [](char32_t cp) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
    return std::string(buf);
  });
  out += '"';
  return out;
}

}  // namespace divaudit::attest
