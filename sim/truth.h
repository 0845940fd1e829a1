#pragma once

#include <string>
#include <vector>

#include "common/clock.h"
#include "sim/org_json.h"

namespace divaudit::sim {

// The findings docs/rules.md expects for `fixture` (its org and its policy), computed from the
// text of the rules and independently of audit/ (the ground-truth test compares the two).
// `now` decides whether an exception is still active: it suppresses while now is on or before
// the end (UTC) of its `expires` day.
//
// Output (one finding per line, sorted by rule, subject id, role id, division id, via id):
//   {"findings":[
//   {"rule":"cross_tenant","subject":{"type":"user","id":"…"},"role":{"id":"…"},
//    "division":{"id":"…"},"via":{"type":"group","id":"…"},"state":"open"},
//   …]}
// subject/role/division/via are null where docs/findings.md says so; all_divisions has division
// {"id":"*"}; multi_tenant_subject adds "tenants" (sorted names). Interpretation choices are
// listed in sim/README.md. When the fixture has conversations, a second key follows the
// findings: "evidence":[{"conversation_id","start","tenants":[…],"division_ids":[…]}, …], one
// per ended conversation whose divisions map to two or more tenants, sorted by start then id.
// Pure; thread-safe.
std::string ComputeTruthJson(const OrgFixture& fixture, SystemTime now);

// v2: grant_guardrail_off (subject {"type":"org","id":<org id>}, role/division/via null) and
// org_wide_permission (one per subject, role and via; division null, plus "divisions" — sorted
// ids of the listed divisions the path holds the role on — and "permissions" — sorted
// "domain:entity:action" of the role's org-wide permissions that `org_wide_permissions` selects)
// are computed with `org_wide_permissions` (globs "domain:entity:action", a part may be "*");
// the overload above uses the fixture's org_wide_permissions (the simulated tenant config's
// [policy] org_wide_permissions) when set, else DefaultOrgWidePermissions().
std::string ComputeTruthJson(const OrgFixture& fixture, SystemTime now,
                             const std::vector<std::string>& org_wide_permissions);

// The default [policy] org_wide_permissions list (docs/rules.md).
const std::vector<std::string>& DefaultOrgWidePermissions();

}  // namespace divaudit::sim
