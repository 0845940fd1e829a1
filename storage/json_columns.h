#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace divaudit::storage {

// JSON text columns (sweeps.incomplete, sweeps.unknown_subject_types, findings.tenants). Only
// divaudit writes them; unreadable text reads as empty.
std::string StringArrayJson(const std::vector<std::string>& v);
std::vector<std::string> ParseStringArray(const std::string& text);
std::string CountMapJson(const std::map<std::string, int64_t>& m);
std::map<std::string, int64_t> ParseCountMap(const std::string& text);

}  // namespace divaudit::storage
