#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "audit/finding.h"

namespace divaudit::storage {

// JSON text columns (sweeps.incomplete, sweeps.unknown_subject_types, findings.tenants,
// findings.permissions/divisions/queue/changed_by). Only divaudit writes them; unreadable
// arrays and maps read as empty.
std::string StringArrayJson(const std::vector<std::string>& v);
std::vector<std::string> ParseStringArray(const std::string& text);
std::string CountMapJson(const std::map<std::string, int64_t>& m);
std::map<std::string, int64_t> ParseCountMap(const std::string& text);

// findings.queue (schema v5): {"id", "name", "division": {"id", "name"}, "tenant" (string or
// null), "member_groups": [{"id", "name", "type"}]}. Parse: nullopt when the text is not that
// shape (callers report it as data loss).
std::string QueueJson(const audit::QueueRef& q);
std::optional<audit::QueueRef> ParseQueue(const std::string& text);
// findings.changed_by and findings_events.changed_by (schema v5): the eight string fields of
// audit::ChangedBy under their own names. Parse: nullopt when the text is not that shape.
std::string ChangedByJson(const audit::ChangedBy& c);
std::optional<audit::ChangedBy> ParseChangedBy(const std::string& text);

}  // namespace divaudit::storage
