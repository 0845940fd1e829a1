#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace divaudit::sim {

// A request target split into its path and its decoded query parameters (in order; a key may
// repeat, as in `?id=a&id=b`). Value type; thread-compatible.
struct Target {
  std::string path;
  std::vector<std::pair<std::string, std::string>> params;

  // The first value of `key`, if present.
  std::optional<std::string> Get(std::string_view key) const;
  // Every value of `key`, in order.
  std::vector<std::string> GetAll(std::string_view key) const;
};

// Splits "/a/b?x=1&y=%20" into path "/a/b" and params; '+' decodes to a space.
Target ParseTarget(std::string_view target);
// Percent-decoding ('+' → space); invalid escapes are kept literally.
std::string UrlDecode(std::string_view s);
// Decodes standard Base64 (with or without padding); kInvalidArgument on bad input.
Result<std::string> Base64Decode(std::string_view s);
// Parses a whole decimal int64 ("12"); kInvalidArgument otherwise.
Result<int64_t> ParseInt(std::string_view s);

}  // namespace divaudit::sim
