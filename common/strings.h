#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace divaudit {

// Shell-style glob: '*' any run, '?' one character, everything else literal (case-sensitive).
bool GlobMatch(std::string_view pattern, std::string_view text);
bool HasGlobChars(std::string_view pattern);
std::vector<std::string> Split(std::string_view s, char sep);
std::string_view Trim(std::string_view s);
// Percent-encodes everything but unreserved characters (RFC 3986).
std::string UrlEncode(std::string_view s);
std::string Base64Encode(std::string_view data);

// Levenshtein distance between two byte strings, ASCII letters compared case-insensitively.
size_t EditDistance(std::string_view a, std::string_view b);
// The candidate closest to `name` (EditDistance) if it is at most `max_edits` away, else "";
// the first of equally close candidates wins. For "did you mean" hints.
std::string ClosestMatch(std::string_view name, const std::vector<std::string>& candidates,
                         size_t max_edits);

}  // namespace divaudit
