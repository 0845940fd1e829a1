#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace divaudit::config {

// Keeps TOML text away from a toml++ 3.3.0 bug (Debian 12's libtomlplusplus-dev).
//
// Its is_non_ascii_horizontal_whitespace() reaches TOML_UNREACHABLE (undefined behaviour) for the
// code points U+00A1–U+0499, U+2C5E–U+3057 (but U+3000) and U+FB26–U+FEFE whenever the parser asks
// "is this whitespace?" (upstream marzer/tomlplusplus#190) — between tokens, after a backslash in
// a multi-line string, and while skipping over a malformed value, which can run through what
// would otherwise be string text. Any such code point anywhere in the text can be reached.
//
// TomlSafeText removes every such code point without changing what a valid document means:
//   - in basic strings ("…", """…""") it becomes the escape \uXXXX;
//   - literal strings ('…', '''…''') holding one are rewritten as basic strings (backslashes and
//     quotes escaped) so the escape can be used;
//   - in comments it becomes '?' (comments carry no meaning);
//   - right after a backslash (an invalid escape anyway) it becomes '?', so the file stays invalid;
//   - outside strings and comments (never valid TOML) the file is refused: `hazard` is set.
// Text without such code points is returned unchanged (the common case; no copy is made when
// `needs_rewrite` is false). Line numbers are preserved; columns shift only on rewritten lines.
// Pure function; thread-safe.
struct TomlHazard {
  size_t line = 0;      // 1-based
  size_t column = 0;    // 1-based, in code points
  std::string message;  // one line: "non-ASCII character U+00A7 outside a string or comment …"
};
struct TomlSafeResult {
  bool needs_rewrite = false;        // false: parse the original text
  std::string text;                  // the rewritten text when needs_rewrite
  std::optional<TomlHazard> hazard;  // set: refuse the file with this message
};
TomlSafeResult TomlSafeText(std::string_view text);

// Whether toml++ 3.3.0's whitespace test is undefined for this code point.
bool IsTomlWhitespaceHazard(char32_t code_point);

}  // namespace divaudit::config
