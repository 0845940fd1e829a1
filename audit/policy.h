#pragma once

#include <optional>
#include <string>
#include <vector>

#include "audit/finding.h"
#include "audit/permissions.h"
#include "common/clock.h"

namespace divaudit::audit {

// One [[tenant]] block: division ids, exact names or globs ('*', '?') over names.
struct TenantSpec {
  std::string name;
  std::vector<std::string> divisions;
};

// One [[exception]] block.
struct ExceptionSpec {
  Rule rule = Rule::kAllDivisions;
  std::string subject_id;
  std::optional<std::string> role_id;
  std::optional<std::string> division_id;
  std::string reason;
  std::string owner;
  std::string expires;      // "YYYY-MM-DD" as written
  SystemTime expires_at{};  // end of that day (UTC): the exception stops suppressing after it
  // v2: cross_tenant_queue only — the exception matches only findings on this queue.
  std::optional<std::string> queue_id = {};
};

// What the audit needs from the configuration. Pure data.
struct Policy {
  std::vector<TenantSpec> tenants;            // empty: every division is its own tenant
  std::vector<std::string> shared_divisions;  // names, globs or ids
  std::vector<ExceptionSpec> exceptions;
  // v2: "domain:entity:action" patterns ("*" parts) selecting the org-wide permissions that
  // break isolation (org_wide_permission). Validated by config/.
  std::vector<std::string> org_wide_permissions = DefaultOrgWidePermissions();
};

}  // namespace divaudit::audit
