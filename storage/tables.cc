#include "storage/tables.h"

namespace divaudit::storage {

const std::array<TableSpec, kTableCount>& Tables() {
  constexpr Kind kT = Kind::kText;
  constexpr Kind kI = Kind::kInt;
  constexpr Kind kD = Kind::kId;
  static const std::array<TableSpec, kTableCount> tables = {{
      {"divisions", {{"id", kT}, {"name", kT}, {"description", kT}, {"home_division", kI}}, 1},
      {"roles", {{"id", kT}, {"name", kT}}, 1},
      {"users",
       {{"id", kT}, {"name", kT}, {"email", kT}, {"home_division_id", kT}, {"state", kT}},
       1},
      {"org_groups", {{"id", kT}, {"name", kT}, {"roles_enabled", kI}, {"members_read", kI}}, 1},
      {"memberships", {{"group_id", kD}, {"user_id", kD}}, 2},
      {"oauth_clients", {{"id", kT}, {"name", kT}, {"grant_type", kT}, {"state", kT}}, 1},
      {"client_roles", {{"client_id", kD}, {"role_id", kD}, {"division_id", kD}}, 3},
      {"external_subjects", {{"id", kT}, {"name", kT}, {"type", kT}, {"genesys_type", kT}}, 1},
      {"grants",
       {{"subject_type", kD}, {"subject_id", kD}, {"role_id", kD}, {"division_id", kD}},
       4},
      // v5. A table with key_count 0 (role_settings) holds at most one current row.
      {"catalog_permissions",
       {{"domain", kT}, {"entity_type", kT}, {"action", kT}, {"division_aware", kI}},
       3,
       true},
      {"role_policies",
       {{"role_id", kT}, {"domain", kT}, {"entity_name", kT}, {"action_set", kT}, {"narrowed", kI}},
       5,
       true},
      {"role_settings", {{"grant_division_aware", kI}, {"backfill_enabled", kI}}, 0, true},
      {"queues", {{"id", kT}, {"name", kT}, {"division_id", kT}}, 1, true},
      {"queue_member_groups",
       {{"queue_id", kT}, {"group_id", kT}, {"name", kT}, {"type", kT}},
       2,
       true},
      {"queue_members",
       {{"queue_id", kD}, {"user_id", kD}, {"via_group", kI}, {"joined", kI}},
       4,
       true},
  }};
  return tables;
}

std::string ColumnList(const TableSpec& t) {
  std::string out;
  for (const Col& c : t.cols) {
    if (!out.empty()) out += ", ";
    out += c.name;
  }
  return out;
}

}  // namespace divaudit::storage
