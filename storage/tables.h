#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <string>
#include <vector>

namespace divaudit::storage {

// The temporal tables (storage/README.md, "Tables"): one row per object version, each with
// row_id, valid_from_sweep and valid_to_sweep. Their order is the hash order: never reorder
// (it would change every hash).

// How a column is stored. kId: an integer id into the `ids` dictionary (schema v3); it reads,
// hashes and compares as the text it stands for.
enum class Kind { kText, kInt, kId };

struct Col {
  const char* name;
  Kind kind;
};

struct TableSpec {
  const char* name;
  std::vector<Col> cols;
  size_t key_count;  // the first key_count columns identify the object
  // Schema v5 tables (the v2 snapshot data) enter a sweep's hash only when the sweep wrote or
  // closed rows in them, so every sweep hashed before them keeps its bytes.
  bool hashed_when_used = false;
  // Every column is a key column stored as a dictionary id or a small integer (grants,
  // memberships, client_roles, queue_members): commits merge-join integer keys instead of
  // hashing strings. At most four columns.
  bool all_ids() const {
    return key_count == cols.size() && cols.size() <= 4 &&
           std::any_of(cols.begin(), cols.end(),
                       [](const Col& c) { return c.kind == Kind::kId; }) &&
           std::all_of(cols.begin(), cols.end(),
                       [](const Col& c) { return c.kind == Kind::kId || c.kind == Kind::kInt; });
  }
};

enum TableIndex : size_t {
  kDivisions,
  kRoles,
  kUsers,
  kGroups,
  kMemberships,
  kClients,
  kClientRoles,
  kExternal,
  kGrants,
  // schema v5 (v2 snapshot data):
  kCatalog,
  kRolePolicies,
  kRoleSettings,
  kQueues,
  kQueueGroups,
  kQueueMembers,
  kTableCount
};

const std::array<TableSpec, kTableCount>& Tables();

// "a, b, c": the table's columns (without row_id and the temporal columns).
std::string ColumnList(const TableSpec& t);

}  // namespace divaudit::storage
