#pragma once

#include <string>
#include <string_view>

namespace divaudit {

// Text from the organisation (division, user, group, role and client names) or from the
// configuration is shown to people: in terminals, HTML reports, spreadsheets and dashboards. A
// name must not be able to change how the text around it is displayed, so every presenter passes
// such text through NeutraliseDisplayText (or an escaper built on it). Pure; thread-safe.

// What NeutraliseDisplayText keeps of the C0 whitespace controls.
enum class LineBreaks {
  kReplace,  // tab, CR and LF are replaced like every other control character
  kKeep,     // tab, CR and LF are kept (HTML text, CSV cells: their escapers handle them)
};

// Returns `s` with each of these replaced by U+FFFD (the replacement character):
//   - C0 control characters (U+0000–U+001F; tab, CR, LF kept with LineBreaks::kKeep), DEL and
//     the C1 controls (U+0080–U+009F), which move a terminal's cursor or hide text;
//   - the bidirectional formatting characters LRE RLE PDF LRO RLO (U+202A–U+202E), LRI RLI FSI
//     PDI (U+2066–U+2069) and the marks LRM RLM ALM (U+200E, U+200F, U+061C), which reorder the
//     text after them ("Trojan Source");
//   - every byte that is not part of a well-formed UTF-8 sequence (one U+FFFD per byte).
// Any other text is returned byte-identical.
std::string NeutraliseDisplayText(std::string_view s,
                                  LineBreaks line_breaks = LineBreaks::kReplace);

// True when NeutraliseDisplayText(s, line_breaks) would return `s` unchanged.
bool IsDisplaySafe(std::string_view s, LineBreaks line_breaks = LineBreaks::kReplace);

// The offset of the first byte of `s` that is not part of a well-formed UTF-8 sequence, or
// std::string_view::npos when `s` is valid UTF-8.
size_t FirstInvalidUtf8(std::string_view s);

// The replacement character U+FFFD in UTF-8.
inline constexpr std::string_view kReplacementCharacter = "\xef\xbf\xbd";

}  // namespace divaudit
