#pragma once

#include <string>
#include <string_view>

namespace divaudit::attest {

// Text helpers for attestation files. Pure; thread-safe.

// The file-name slug of a tenant: lower-case ASCII letters and digits; Latin-1 letters
// transliterated (é → e, ß → ss, Æ → ae, ...); other non-ASCII code points dropped; every run
// of other characters becomes one '-'; no leading or trailing '-'. "tenant" when nothing is left.
// "Café Zürich / Nord" → "cafe-zurich-nord".
std::string TenantSlug(std::string_view tenant);

// True for the code points that reorder or hide text on screen: bidi embeddings, overrides and
// isolates (U+202A..U+202E, U+2066..U+2069), the marks U+200E, U+200F, U+061C, and the line and
// paragraph separators U+2028, U+2029.
bool IsBidiControl(char32_t c);

// Org text for HTML: report::HtmlEscape, which writes bidi and other control characters and
// invalid UTF-8 as &#xFFFD; (common/display_text.h).
std::string HtmlText(std::string_view s);

// Org text as a quoted JSON string: JSON escaping as common/json_writer.h, plus every bidi
// control written as its \uXXXX escape (a parser reads back the exact string; a terminal or
// viewer showing the file cannot be tricked into reordering it).
std::string JsonText(std::string_view s);

}  // namespace divaudit::attest
