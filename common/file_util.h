#pragma once

#include <string>

#include "common/status.h"

namespace divaudit {

// Reads a whole file. Errors name the path and the OS reason.
Result<std::string> ReadFile(const std::string& path);
// Writes atomically (temp file in the same directory + rename) with the given mode.
Status WriteFileAtomic(const std::string& path, std::string_view data, unsigned mode = 0644);
// A secret file: must be a regular file not readable or writable by group/others
// (mode & 077 == 0). Trailing newlines are stripped. Errors name the path, never the content.
Result<std::string> ReadSecretFile(const std::string& path);

}  // namespace divaudit
