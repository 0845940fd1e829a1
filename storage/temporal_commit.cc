// Writing a sweep's snapshot into the temporal tables (SnapshotWriter in storage/temporal.h).
#include <algorithm>
#include <array>
#include <cassert>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/address_index.h"
#include "common/flat_string_map.h"
#include "storage/hash_chain.h"
#include "storage/json_columns.h"
#include "storage/tables.h"
#include "storage/temporal.h"

namespace divaudit::storage {
namespace {

// A snapshot row as views into the snapshot (diffed against the stored rows; views avoid
// copying every string of a 500,000-grant org).
using ViewRow = std::array<std::string_view, 5>;
using TableViewRows = std::array<std::vector<ViewRow>, kTableCount>;

std::string_view BV(bool b) { return b ? "1" : "0"; }

int64_t LastInsertRowId(Db& db) { return sqlite3_last_insert_rowid(db.raw()); }

ViewRow UserRow(const audit::User& u) {
  return {u.id, u.name, u.email, u.home_division_id, u.state};
}

// A 64-bit digest of `rows` (every field, length-delimited, in order): Finish's check that the
// users written early are the snapshot's, where the rows were not kept.
uint64_t RowsDigest(const std::vector<ViewRow>& rows) {
  uint64_t h = 0x9e3779b97f4a7c15u ^ rows.size();
  for (const ViewRow& row : rows) {
    for (const std::string_view f : row) {
      h = (h ^ std::hash<std::string_view>{}(f)) * 0x100000001b3u + f.size();
    }
  }
  return h;
}

// A 64-bit digest of `grants` (type and the ids' interned addresses, in order): Finish's check
// that the grants written early are the snapshot's. Interned ids share one address per text
// (audit/id.h), so no text is read.
uint64_t GrantsDigest(std::span<const audit::Grant> grants) {
  uint64_t h = 0x9e3779b97f4a7c15u ^ grants.size();
  auto mix = [&h](uint64_t v) {
    h = (h ^ v) * 0x100000001b3u;
    h ^= h >> 29;
  };
  for (const audit::Grant& g : grants) {
    mix(static_cast<uint64_t>(g.subject_type));
    mix(reinterpret_cast<uintptr_t>(g.subject_id.data()));
    mix(reinterpret_cast<uintptr_t>(g.role_id.data()));
    mix(reinterpret_cast<uintptr_t>(g.division_id.data()));
  }
  return h;
}

// True when no element is less than or equal to the one before (audit::Canonicalize's order of
// grants, member ids, policies, ...).
template <typename Range>
bool StrictlyIncreasing(const Range& v) {
  return std::adjacent_find(std::begin(v), std::end(v),
                            [](const auto& a, const auto& b) { return !(a < b); }) == std::end(v);
}

// `texts` owns the strings that are not in the snapshot (role policies' action sets as JSON).
TableViewRows SnapshotToViewRows(const audit::OrgSnapshot& s, std::deque<std::string>& texts) {
  TableViewRows r;
  r[kDivisions].reserve(s.divisions.size());
  for (const auto& d : s.divisions) {
    r[kDivisions].push_back({d.id, d.name, d.description, BV(d.home_division)});
  }
  r[kRoles].reserve(s.roles.size());
  for (const auto& x : s.roles) r[kRoles].push_back({x.id, x.name});
  r[kUsers].reserve(s.users.size());
  for (const auto& u : s.users) r[kUsers].push_back(UserRow(u));
  for (const auto& g : s.groups) {
    r[kGroups].push_back({g.id, g.name, BV(g.roles_enabled), BV(g.members_read)});
    for (const auto& m : g.member_ids) r[kMemberships].push_back({g.id, m});
  }
  for (const auto& c : s.oauth_clients) {
    r[kClients].push_back({c.id, c.name, c.authorized_grant_type, c.state});
    for (const auto& rd : c.role_divisions) {
      r[kClientRoles].push_back({c.id, rd.role_id, rd.division_id});
    }
  }
  for (const auto& e : s.external_subjects) {
    r[kExternal].push_back({e.id, e.name, audit::SubjectTypeName(e.type), e.genesys_type});
  }
  // v2 (schema v5).
  for (const auto& p : s.permissions) {
    r[kCatalog].push_back({p.domain, p.entity_type, p.action, BV(p.division_aware)});
  }
  for (const auto& x : s.roles) {
    for (const auto& p : x.policies) {
      texts.push_back(StringArrayJson(p.action_set));
      r[kRolePolicies].push_back({x.id, p.domain, p.entity_name, texts.back(), BV(p.narrowed)});
    }
  }
  if (s.role_settings) {  // nullopt (not read): no row, so a rebuild gives nullopt again
    r[kRoleSettings].push_back({BV(s.role_settings->authorization_grant_division_aware),
                                BV(s.role_settings->backfill_enabled)});
  }
  for (const auto& q : s.queues) {
    r[kQueues].push_back({q.id, q.name, q.division_id});
    for (const auto& g : q.member_groups) r[kQueueGroups].push_back({q.id, g.id, g.name, g.type});
  }
  r[kQueueMembers].reserve(s.queue_members.size());
  for (const auto& m : s.queue_members) {
    r[kQueueMembers].push_back({m.queue_id, m.user_id, BV(m.via_group), BV(m.joined)});
  }
  // Grants (the bulk) are not copied: SnapshotWriter::Finish reads them from the snapshot.
  return r;
}

// True when audit::Canonicalize would leave `s` as it is (every sweep from genesys/ is), so
// SnapshotWriter::Finish can use it without a copy. The grants are not looked at when
// `grants_checked` (WriteGrantsEarly checked them, and Finish checks they are the same).
bool IsCanonical(const audit::OrgSnapshot& s, bool grants_checked) {
  auto sorted_by_id = [](const auto& v) {
    return std::is_sorted(v.begin(), v.end(),
                          [](const auto& a, const auto& b) { return a.id < b.id; });
  };
  if (!sorted_by_id(s.divisions) || !sorted_by_id(s.roles) || !sorted_by_id(s.users) ||
      !sorted_by_id(s.groups) || !sorted_by_id(s.oauth_clients) ||
      !sorted_by_id(s.external_subjects) || (!grants_checked && !StrictlyIncreasing(s.grants))) {
    return false;
  }
  for (const auto& g : s.groups) {
    if (!StrictlyIncreasing(g.member_ids)) return false;
  }
  for (const auto& c : s.oauth_clients) {
    if (!StrictlyIncreasing(c.role_divisions)) return false;
  }
  for (const auto& r : s.roles) {
    if (!StrictlyIncreasing(r.policies)) return false;
    for (const auto& p : r.policies) {
      if (!StrictlyIncreasing(p.action_set)) return false;
    }
  }
  if (!StrictlyIncreasing(s.permissions) || !sorted_by_id(s.queues) ||
      !StrictlyIncreasing(s.queue_members)) {
    return false;
  }
  for (const auto& q : s.queues) {
    if (!std::is_sorted(q.member_groups.begin(), q.member_groups.end())) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// All-id tables (grants, memberships, client_roles): integer keys, merge-joined.

// The row of an all-id table as up to four 32-bit dictionary ids packed in two words (ids are
// assigned 1, 2, 3, ... by SQLite), compared as integers.
struct IdKey {
  uint64_t hi = 0, lo = 0;
  void Set(size_t col, uint32_t id) {
    uint64_t& w = col < 2 ? hi : lo;
    w |= static_cast<uint64_t>(id) << (col % 2 == 0 ? 32 : 0);
  }
  uint32_t Get(size_t col) const {
    const uint64_t w = col < 2 ? hi : lo;
    return static_cast<uint32_t>(col % 2 == 0 ? w >> 32 : w);
  }
  friend bool operator==(const IdKey&, const IdKey&) = default;
  friend bool operator<(const IdKey& a, const IdKey& b) {
    return a.hi != b.hi ? a.hi < b.hi : a.lo < b.lo;
  }
};

struct CurrentId {
  IdKey key;
  int64_t row_id;
};
struct DesiredId {
  IdKey key;
  uint32_t index;  // snapshot order
};

// The current rows of `t`, sorted by key; rows not readable as ids (an edited file) go to
// `unreadable` (a complete sweep replaces them).
Status LoadCurrentIds(Db& db, const TableSpec& t, std::vector<CurrentId>& current,
                      std::vector<int64_t>& unreadable) {
  const size_t n = t.cols.size();
  DIVAUDIT_ASSIGN_OR_RETURN(int64_t live, db.QueryInt(std::string("SELECT count(*) FROM ") +
                                                      t.name + " WHERE valid_to_sweep IS NULL"));
  current.reserve(static_cast<size_t>(live));
  DIVAUDIT_ASSIGN_OR_RETURN(Stmt st, db.Prepare("SELECT row_id, " + ColumnList(t) + " FROM " +
                                                t.name + " WHERE valid_to_sweep IS NULL"));
  sqlite3_stmt* raw = st.raw();
  while (true) {
    DIVAUDIT_ASSIGN_OR_RETURN(bool has, st.Step());
    if (!has) break;
    CurrentId c{{}, sqlite3_column_int64(raw, 0)};
    bool ok = true;
    for (size_t i = 0; i < n; ++i) {
      const int col = static_cast<int>(i + 1);
      const int64_t v = sqlite3_column_int64(raw, col);
      const bool in_range =
          t.cols[i].kind == Kind::kInt ? (v == 0 || v == 1) : (v > 0 && v <= int64_t{UINT32_MAX});
      ok = ok && in_range && sqlite3_column_type(raw, col) == SQLITE_INTEGER;
      c.key.Set(i, static_cast<uint32_t>(v));
    }
    if (ok) {
      current.push_back(c);
    } else {
      unreadable.push_back(c.row_id);
    }
  }
  std::sort(current.begin(), current.end(),
            [](const CurrentId& a, const CurrentId& b) { return a.key < b.key; });
  return Status::Ok();
}

// Turns a snapshot row (column c of row r is value(r, c)) into its dictionary key, interning
// new texts. Consecutive rows mostly repeat a column's value (grants are sorted by subject): the
// last lookup per column is remembered. Grants' roles and divisions change from row to row but
// are interned (audit::Id: one address per distinct text, for the life of the process), so there
// a view's address identifies its text: the addresses are numbered (common/address_index.h) and
// a text is hashed only the first time its address is seen — by this KeyMaker, which a table
// keeps for the whole sweep (the early grants, then Finish's check of them).
class KeyMaker {
 public:
  template <typename Value>
  Result<IdKey> Make(const std::string& path, const TableSpec& t, size_t r, const Value& value,
                     bool interned, IdDict& dict) {
    IdKey key;
    for (size_t i = 0; i < t.cols.size(); ++i) {
      const std::string_view v = value(r, i);
      if (t.cols[i].kind == Kind::kInt) {  // a flag: stored as 0/1, not in the dictionary
        key.Set(i, v == "1" ? 1u : 0u);
        continue;
      }
      if (last_id_[i] == 0 || v.data() != last_value_[i].data() || v != last_value_[i]) {
        if (interned) {
          const uint32_t number = by_address_[i].Intern(v.data());
          if (number == address_id_[i].size()) address_id_[i].push_back(dict.Intern(v));
          last_id_[i] = address_id_[i][number];
        } else {
          last_id_[i] = dict.Intern(v);
        }
        if (last_id_[i] <= 0 || last_id_[i] > int64_t{UINT32_MAX}) {
          last_id_[i] = 0;
          return DataLossError(path + ": dictionary id out of range in table ids");
        }
        last_value_[i] = v;
      }
      key.Set(i, static_cast<uint32_t>(last_id_[i]));
    }
    return key;
  }

  // Forgets the last lookups (the rows they came from may be gone); numbered addresses stay
  // (interned texts live as long as the process).
  void ForgetLast() { last_id_ = {0, 0, 0, 0}; }

 private:
  std::array<std::string_view, 4> last_value_;
  std::array<int64_t, 4> last_id_{0, 0, 0, 0};
  std::array<AddressIndex, 4> by_address_;  // per column: address → number → dictionary id
  std::array<std::vector<int64_t>, 4> address_id_;
};

// The snapshot's `count` rows (column c of row r is value(r, c)) as dictionary keys, in snapshot
// order. `interned`: the views are audit::Id texts (grants).
template <typename Value>
Result<std::vector<DesiredId>> DesiredIds(const std::string& path, const TableSpec& t, size_t count,
                                          const Value& value, bool interned, IdDict& dict,
                                          KeyMaker& keys) {
  std::vector<DesiredId> want;
  want.reserve(count);
  keys.ForgetLast();
  for (size_t r = 0; r < count; ++r) {
    DIVAUDIT_ASSIGN_OR_RETURN(const IdKey key, keys.Make(path, t, r, value, interned, dict));
    want.push_back(DesiredId{key, static_cast<uint32_t>(r)});
  }
  return want;
}

// Merge-join of `want` (DesiredIds: snapshot order; sorted here by key, then snapshot order)
// with `current` (sorted by key): rows wanted but not current go to `to_insert` (snapshot order,
// a duplicate once); on a complete sweep, current rows not wanted go to `to_close` unless their
// first column is in `unread`.
void MergeIds(std::vector<DesiredId> want, const std::vector<CurrentId>& current,
              const std::unordered_set<uint32_t>& unread, bool complete,
              std::vector<DesiredId>& to_insert, std::vector<int64_t>& to_close) {
  std::sort(want.begin(), want.end(), [](const DesiredId& a, const DesiredId& b) {
    return a.key == b.key ? a.index < b.index : a.key < b.key;
  });
  to_insert.reserve(want.size() > current.size() ? want.size() - current.size() : 0);
  size_t i = 0, j = 0;
  while (i < want.size() || j < current.size()) {
    if (j == current.size() || (i < want.size() && want[i].key < current[j].key)) {
      to_insert.push_back(want[i]);
    } else if (i == want.size() || current[j].key < want[i].key) {
      if (complete && unread.count(current[j].key.Get(0)) == 0) {
        to_close.push_back(current[j].row_id);
      }
      ++j;
      continue;
    } else {
      ++j;  // unchanged
    }
    const IdKey key = want[i].key;
    while (i < want.size() && want[i].key == key) ++i;  // duplicates in the snapshot
  }
  std::sort(to_insert.begin(), to_insert.end(),
            [](const DesiredId& a, const DesiredId& b) { return a.index < b.index; });
}

Status CloseRows(Db& db, const TableSpec& t, std::vector<int64_t>& to_close, int64_t sweep,
                 CommitResult& result) {
  std::sort(to_close.begin(), to_close.end());
  if (to_close.empty()) return Status::Ok();
  DIVAUDIT_ASSIGN_OR_RETURN(Stmt st, db.Prepare(std::string("UPDATE ") + t.name +
                                                " SET valid_to_sweep = ?1 WHERE row_id = ?2"));
  for (int64_t row_id : to_close) {
    st.Reset();
    DIVAUDIT_RETURN_IF_ERROR(st.Bind(1, sweep).Bind(2, row_id).Run());
  }
  result.rows_closed += static_cast<int64_t>(to_close.size());
  return Status::Ok();
}

// The rows a sweep inserted into an all-id table, in row id order: their keys, and their row
// ids (first_row_id, +1, +2, ... unless `row_ids` lists them).
struct InsertedIds {
  std::vector<IdKey> keys;
  int64_t first_row_id = 0;
  std::vector<int64_t> row_ids;
  size_t size() const { return keys.size(); }
  int64_t row_id(size_t r) const {
    return row_ids.empty() ? first_row_id + static_cast<int64_t>(r) : row_ids[r];
  }
};

// The row ids InsertNewRows gave, in row order: first, first + 1, ..., unless `picked` lists
// them (SQLite picked them at random: not ascending).
struct NewRowIds {
  int64_t first = 0;
  std::vector<int64_t> picked;
};

// Inserts `count` new rows into table `t` (valid_from_sweep, then its columns), in kBatchRows-row
// statements; bind(stmt, first_param, r) binds row r. SQLite numbers new rows max(row_id) + 1,
// + 2, ... (checked) unless that would pass INT64_MAX, where it picks free ids at random: then
// the rows go one by one and each id it picked is kept.
template <typename Bind>
Result<NewRowIds> InsertNewRows(Db& db, const TableSpec& t, size_t count, const Bind& bind) {
  NewRowIds ids;
  if (count == 0) return ids;
  DIVAUDIT_ASSIGN_OR_RETURN(
      const int64_t before,
      db.QueryInt(std::string("SELECT coalesce(max(row_id), 0) FROM ") + t.name));
  const size_t params = t.cols.size() + 1;
  const std::string into = std::string(t.name) + "(valid_from_sweep, " + ColumnList(t) + ")";
  if (before > INT64_MAX - static_cast<int64_t>(count)) {
    DIVAUDIT_ASSIGN_OR_RETURN(Stmt st, db.Prepare(MultiRowInsertSql(into, params, 1)));
    ids.picked.reserve(count);
    for (size_t r = 0; r < count; ++r) {
      st.Reset();
      bind(st, 1, r);
      DIVAUDIT_RETURN_IF_ERROR(st.Run());
      ids.picked.push_back(LastInsertRowId(db));
    }
    return ids;
  }
  DIVAUDIT_RETURN_IF_ERROR(BatchInsert(db, into, params, count, bind));
  if (LastInsertRowId(db) != before + static_cast<int64_t>(count)) {
    return InternalError(db.path() + ": table " + t.name +
                         ": SQLite did not number new rows after the largest row id");
  }
  ids.first = before + 1;
  return ids;
}

// Inserts rows of all-id table `t` with the keys of `rows` (snapshot order) into `out`, in row
// id order (InsertNewRows).
Status InsertIdRows(Db& db, const TableSpec& t, int64_t sweep, const std::vector<DesiredId>& rows,
                    InsertedIds& out) {
  out = {};
  auto bind = [&](Stmt& st, int p, size_t r) {
    st.Bind(p, sweep);
    for (size_t c = 0; c < t.cols.size(); ++c) {
      st.Bind(p + 1 + static_cast<int>(c), static_cast<int64_t>(rows[r].key.Get(c)));
    }
  };
  DIVAUDIT_ASSIGN_OR_RETURN(NewRowIds ids, InsertNewRows(db, t, rows.size(), bind));
  out.keys.reserve(rows.size());
  if (ids.picked.empty()) {
    for (const DesiredId& d : rows) out.keys.push_back(d.key);
    out.first_row_id = ids.first;
    return Status::Ok();
  }
  std::vector<size_t> order(rows.size());
  for (size_t r = 0; r < order.size(); ++r) order[r] = r;
  std::sort(order.begin(), order.end(),
            [&ids](size_t a, size_t b) { return ids.picked[a] < ids.picked[b]; });
  for (const size_t r : order) {
    out.row_ids.push_back(ids.picked[r]);
    out.keys.push_back(rows[r].key);
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Keyed tables (divisions, roles, users, groups, clients, external subjects): text keys and
// attributes, diffed through a hash map of joined keys.

void JoinFieldsInto(std::string& out, const ViewRow& row, size_t begin, size_t end) {
  out.clear();
  for (size_t i = begin; i < end; ++i) AppendField(out, row[i]);
}

struct CurrentKeyed {
  int64_t row_id;
  std::string_view attrs;  // in the arena
  bool seen = false;
};
using CurrentKeyedMap = FlatStringMap<CurrentKeyed>;  // keys in the arena

Result<CurrentKeyedMap> LoadCurrentKeyed(Db& db, const TableSpec& t, Arena& arena) {
  CurrentKeyedMap current;
  DIVAUDIT_ASSIGN_OR_RETURN(int64_t live, db.QueryInt(std::string("SELECT count(*) FROM ") +
                                                      t.name + " WHERE valid_to_sweep IS NULL"));
  current.reserve(static_cast<size_t>(live));
  DIVAUDIT_ASSIGN_OR_RETURN(Stmt st, db.Prepare("SELECT row_id, " + ColumnList(t) + " FROM " +
                                                t.name + " WHERE valid_to_sweep IS NULL"));
  std::string key, attrs;
  while (true) {
    DIVAUDIT_ASSIGN_OR_RETURN(bool has, st.Step());
    if (!has) break;
    key.clear();
    attrs.clear();
    for (size_t c = 0; c < t.cols.size(); ++c) {
      AppendField(c < t.key_count ? key : attrs, ColumnView(st.raw(), static_cast<int>(c + 1)));
    }
    current.emplace(arena.Copy(key), CurrentKeyed{st.Int(0), arena.Copy(attrs)});
  }
  return current;
}

// Binds a keyed row's columns from parameter `first` on: flags as 0/1, texts without a copy
// (the rows outlive the statement).
void BindKeyedRow(Stmt& st, int first, const TableSpec& t, const ViewRow& row) {
  for (size_t c = 0; c < t.cols.size(); ++c) {
    const int p = first + static_cast<int>(c);
    if (t.cols[c].kind == Kind::kInt) {
      st.Bind(p, static_cast<int64_t>(row[c] == "1" ? 1 : 0));
    } else {
      st.BindUnowned(p, row[c]);
    }
  }
}

// Inserts `rows` as new rows of `sweep` (InsertNewRows) and appends them with their row ids to
// `written`, which stays in row id order.
Status InsertKeyedRows(Db& db, const TableSpec& t, int64_t sweep,
                       const std::vector<const ViewRow*>& rows,
                       std::vector<std::pair<int64_t, const ViewRow*>>& written) {
  auto bind = [&](Stmt& st, int p, size_t r) {
    st.Bind(p, sweep);
    BindKeyedRow(st, p + 1, t, *rows[r]);
  };
  DIVAUDIT_ASSIGN_OR_RETURN(NewRowIds ids, InsertNewRows(db, t, rows.size(), bind));
  written.reserve(written.size() + rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    written.emplace_back(ids.picked.empty() ? ids.first + static_cast<int64_t>(r) : ids.picked[r],
                         rows[r]);
  }
  if (!ids.picked.empty()) std::sort(written.begin(), written.end());
  return Status::Ok();
}

std::string_view GrantColumn(const audit::Grant& g, size_t c) {
  switch (c) {
    case 0:
      return audit::SubjectTypeName(g.subject_type);
    case 1:
      return g.subject_id;
    case 2:
      return g.role_id;
    default:
      return g.division_id;
  }
}

// All-id table state: the rows current before this sweep (sorted by key; rows not readable as
// ids, from an edited file, apart: a complete sweep closes them), then after Finish the
// sweep's rows (row id order) and the row ids it closed.
struct IdTable {
  bool loaded = false;
  KeyMaker keys;
  std::vector<CurrentId> current;
  std::vector<int64_t> unreadable;
  InsertedIds written;
  std::vector<int64_t> closed;
};

// Keyed table state: as IdTable, the current rows' keys and attributes joined (AppendField)
// into the arena.
struct KeyedTable {
  bool loaded = false;
  Arena arena;
  CurrentKeyedMap current;
  std::vector<std::pair<int64_t, const ViewRow*>> written;
  std::vector<int64_t> closed;
};

}  // namespace

struct SnapshotWriter::State {
  State(Db& d, IdDict& i, int64_t s) : db(d), dict(i), sweep(s) {}
  Db& db;
  IdDict& dict;
  const int64_t sweep;
  std::array<IdTable, kTableCount> ids;
  std::array<KeyedTable, kTableCount> keyed;
  bool finished = false;
  // WriteGrantsEarly: the grants' count and digest (Finish checks its snapshot against them)
  // and the grant rows to close if the sweep turns out complete.
  bool grants_early = false;
  size_t early_grants_count = 0;
  uint64_t early_grants_digest = 0;
  std::vector<int64_t> early_close;
  // WriteUsersEarly: the users (the written rows are views into them until Finish) and their
  // rows; when none was inserted (an unchanged org), only the rows' digest instead.
  bool users_early = false;
  std::vector<audit::User> early_users;
  std::vector<ViewRow> early_user_rows;
  uint64_t early_users_digest = 0;
  // Layout 2's digest of each table's written rows (DigestRows), taken as soon as the
  // table's rows are final: the grants' and users' written early during the request stream,
  // the others' at the end of Finish. Empty until taken.
  std::array<std::string, kTableCount> rows_digest;
  // Finish's snapshot as views (Finish writes and digests the keyed rows from them).
  std::optional<audit::OrgSnapshot> canonical_copy;
  std::deque<std::string> texts;
  TableViewRows desired;

  // Takes rows_digest[ti] (DigestIdRows or DigestTextRows of the rows written, in row_id
  // order); table `ti` must not be written any more (only closed).
  void DigestRows(size_t ti) {
    const TableSpec& t = Tables()[ti];
    if (t.all_ids()) {
      const IdTable& s = ids[ti];
      rows_digest[ti] = DigestIdRows(
          t, s.written.size(), [&s](size_t r) { return s.written.row_id(r); },
          [&s](size_t r, size_t c) { return s.written.keys[r].Get(c); },
          [this](int64_t id) {
            const std::string_view* text = dict.Find(id);
            return text == nullptr ? std::string_view() : *text;
          });
      return;
    }
    // A keyed table has no kId column (DigestTextRows would hash one as plain text).
    assert(std::none_of(t.cols.begin(), t.cols.end(),
                        [](const Col& c) { return c.kind == Kind::kId; }));
    const KeyedTable& s = keyed[ti];
    rows_digest[ti] = DigestTextRows(
        t, s.written.size(), [&s](size_t r) { return s.written[r].first; },
        [&s](size_t r, size_t c) { return (*s.written[r].second)[c]; });
  }

  Status Load(size_t ti) {
    const TableSpec& t = Tables()[ti];
    if (t.all_ids()) {
      IdTable& s = ids[ti];
      if (s.loaded) return Status::Ok();
      s.loaded = true;
      return LoadCurrentIds(db, t, s.current, s.unreadable);
    }
    KeyedTable& s = keyed[ti];
    if (s.loaded) return Status::Ok();
    s.loaded = true;
    DIVAUDIT_ASSIGN_OR_RETURN(s.current, LoadCurrentKeyed(db, t, s.arena));
    return Status::Ok();
  }

  // Diffs one all-id table and inserts its new rows; the rows to close (on a complete sweep:
  // current rows not wanted, unless their first column is in `unread_groups`, and unreadable
  // ones) go to `to_close`, for the caller. `interned`: as in KeyMaker. `distinct`: the caller
  // checked that no two rows are equal (then, with no current row, as in a first sweep, every
  // row is new: nothing to sort or merge).
  template <typename Value>
  Status WriteIds(size_t ti, size_t count, const Value& value, bool interned, bool distinct,
                  const std::unordered_set<std::string>* unread_groups,
                  std::vector<int64_t>& to_close) {
    DIVAUDIT_RETURN_IF_ERROR(Load(ti));
    IdTable& s = ids[ti];
    const TableSpec& t = Tables()[ti];
    to_close = std::move(s.unreadable);
    DIVAUDIT_ASSIGN_OR_RETURN(std::vector<DesiredId> want,
                              DesiredIds(db.path(), t, count, value, interned, dict, s.keys));
    std::vector<DesiredId> to_insert;
    if (distinct && s.current.empty()) {
      to_insert = std::move(want);  // nothing to merge with: every row is new
    } else {
      std::unordered_set<uint32_t> unread;  // dictionary ids of groups whose members were unread
      if (unread_groups != nullptr) {
        for (const std::string& g : *unread_groups) {
          if (auto id = dict.FindValue(g)) unread.insert(static_cast<uint32_t>(*id));
        }
      }
      MergeIds(std::move(want), s.current, unread, /*complete=*/true, to_insert, to_close);
      std::vector<CurrentId>().swap(s.current);
    }
    DIVAUDIT_RETURN_IF_ERROR(dict.Flush(db));
    return InsertIdRows(db, t, sweep, to_insert, s.written);
  }

  // Closes what WriteIds left to close, on a complete sweep (a partial sweep never closes).
  Status CloseIds(size_t ti, std::vector<int64_t> to_close, bool complete, CommitResult& result) {
    IdTable& s = ids[ti];
    if (!complete) to_close.clear();
    result.rows_inserted += static_cast<int64_t>(s.written.size());
    DIVAUDIT_RETURN_IF_ERROR(CloseRows(db, Tables()[ti], to_close, sweep, result));  // sorts
    s.closed = std::move(to_close);
    return Status::Ok();
  }

  // Diffs and writes one all-id table. Every column is a key column, so a row is either
  // unchanged, new or gone; a partial sweep never closes. `interned`, `distinct`: as in WriteIds.
  template <typename Value>
  Status FinishIds(size_t ti, size_t count, const Value& value, bool interned, bool distinct,
                   const std::unordered_set<std::string>* unread_groups, bool complete,
                   CommitResult& result) {
    std::vector<int64_t> to_close;
    DIVAUDIT_RETURN_IF_ERROR(
        WriteIds(ti, count, value, interned, distinct, unread_groups, to_close));
    return CloseIds(ti, std::move(to_close), complete, result);
  }

  // Finish for grants written early (WriteGrantsEarly): checks that the snapshot's grants are
  // exactly those (their count and digest), then closes.
  Status FinishEarlyGrants(const std::vector<audit::Grant>& g, bool complete,
                           CommitResult& result) {
    if (g.size() != early_grants_count || GrantsDigest(g) != early_grants_digest) {
      return FailedPreconditionError(db.path() +
                                     ": the sweep's grants changed after they were written early");
    }
    return CloseIds(kGrants, std::move(early_close), complete, result);
  }

  // Diffs and writes one keyed table. A changed row is closed and inserted again on a complete
  // sweep; a partial sweep inserts only keys that are not current (it never closes, so it
  // cannot replace either). The first of duplicate keys in the snapshot wins.
  Status FinishKeyed(size_t ti, const std::vector<ViewRow>& rows, bool complete,
                     CommitResult& result) {
    std::vector<int64_t> to_close;
    DIVAUDIT_RETURN_IF_ERROR(WriteKeyed(ti, rows, complete, to_close));
    return CloseKeyed(ti, std::move(to_close), complete, result);
  }

  // FinishKeyed's inserts: new keys, and changed rows on a complete sweep (their current rows go
  // to `to_close`). Marks the current rows seen; leaves the written rows in row_id order.
  Status WriteKeyed(size_t ti, const std::vector<ViewRow>& rows, bool complete,
                    std::vector<int64_t>& to_close) {
    DIVAUDIT_RETURN_IF_ERROR(Load(ti));
    KeyedTable& s = keyed[ti];
    const TableSpec& t = Tables()[ti];
    std::vector<const ViewRow*> to_insert;
    std::string key, prev_key, attrs;
    bool first = true;
    for (const ViewRow& row : rows) {
      JoinFieldsInto(key, row, 0, t.key_count);
      if (!first && key == prev_key) continue;
      first = false;
      bool insert = true;
      if (CurrentKeyed* cur = s.current.find(key); cur != nullptr) {
        JoinFieldsInto(attrs, row, t.key_count, t.cols.size());
        if (cur->attrs == attrs || !complete) {
          insert = false;
        } else {
          to_close.push_back(cur->row_id);
        }
        cur->seen = true;
      }
      if (insert) to_insert.push_back(&row);
      std::swap(prev_key, key);
    }
    return InsertKeyedRows(db, t, sweep, to_insert, s.written);
  }

  // FinishKeyed's closes (on a complete sweep, also the current rows not seen) and counts.
  Status CloseKeyed(size_t ti, std::vector<int64_t> to_close, bool complete, CommitResult& result) {
    KeyedTable& s = keyed[ti];
    if (complete) {
      s.current.ForEach([&to_close](std::string_view, const CurrentKeyed& cur) {
        if (!cur.seen) to_close.push_back(cur.row_id);
      });
    }
    result.rows_inserted += static_cast<int64_t>(s.written.size());
    DIVAUDIT_RETURN_IF_ERROR(CloseRows(db, Tables()[ti], to_close, sweep, result));  // sorts
    s.closed = std::move(to_close);
    return Status::Ok();
  }

  // True when a row of `rows` has a current key with other attributes (a changed row: whether
  // it replaces the current one depends on the sweep being complete).
  Result<bool> AnyChangedKeyed(size_t ti, const std::vector<ViewRow>& rows) {
    DIVAUDIT_RETURN_IF_ERROR(Load(ti));
    const KeyedTable& s = keyed[ti];
    const TableSpec& t = Tables()[ti];
    std::string key, attrs;
    for (const ViewRow& row : rows) {
      JoinFieldsInto(key, row, 0, t.key_count);
      const CurrentKeyed* cur = s.current.find(key);
      if (cur == nullptr) continue;
      JoinFieldsInto(attrs, row, t.key_count, t.cols.size());
      if (cur->attrs != attrs) return true;
    }
    return false;
  }

  // Finish for users written early (WriteUsersEarly): checks that the snapshot's users are
  // exactly those (their digest; row by row when the copy was kept), then closes. The written
  // rows then point into the snapshot's `rows`, and the users' copy is freed.
  Status FinishEarlyUsers(const std::vector<ViewRow>& rows, bool complete, CommitResult& result) {
    const bool kept = !early_user_rows.empty();
    if (kept ? rows != early_user_rows : RowsDigest(rows) != early_users_digest) {
      return FailedPreconditionError(db.path() +
                                     ": the sweep's users changed after they were written early");
    }
    for (auto& w : keyed[kUsers].written) w.second = &rows[w.second - early_user_rows.data()];
    std::vector<ViewRow>().swap(early_user_rows);
    std::vector<audit::User>().swap(early_users);
    return CloseKeyed(kUsers, {}, complete, result);
  }
};

SnapshotWriter::SnapshotWriter(Db& db, IdDict& dict, int64_t sweep)
    : state_(std::make_unique<State>(db, dict, sweep)) {}

SnapshotWriter::~SnapshotWriter() = default;

Status SnapshotWriter::Preload() {
  for (size_t ti = 0; ti < kTableCount; ++ti) DIVAUDIT_RETURN_IF_ERROR(state_->Load(ti));
  return Status::Ok();
}

Status SnapshotWriter::WriteGrantsEarly(std::span<const audit::Grant> grants) {
  State& st = *state_;
  if (st.finished || st.grants_early) {
    return FailedPreconditionError("SnapshotWriter::WriteGrantsEarly after Finish or twice");
  }
  if (!StrictlyIncreasing(grants)) {
    return FailedPreconditionError(
        "SnapshotWriter::WriteGrantsEarly: the grants are not in canonical order");
  }
  st.grants_early = true;
  st.early_grants_count = grants.size();
  st.early_grants_digest = GrantsDigest(grants);
  auto value = [&grants](size_t r, size_t c) { return GrantColumn(grants[r], c); };
  DIVAUDIT_RETURN_IF_ERROR(st.WriteIds(kGrants, grants.size(), value, /*interned=*/true,
                                       /*distinct=*/true, nullptr, st.early_close));
  st.DigestRows(kGrants);  // Finish only closes grants now
  return Status::Ok();
}

Result<bool> SnapshotWriter::WriteUsersEarly(std::vector<audit::User> users) {
  State& st = *state_;
  if (st.finished || st.users_early) {
    return FailedPreconditionError("SnapshotWriter::WriteUsersEarly after Finish or twice");
  }
  st.early_users = std::move(users);
  st.early_user_rows.reserve(st.early_users.size());
  for (const auto& u : st.early_users) st.early_user_rows.push_back(UserRow(u));
  DIVAUDIT_ASSIGN_OR_RETURN(const bool changed, st.AnyChangedKeyed(kUsers, st.early_user_rows));
  if (changed) {  // Finish writes them all
    std::vector<ViewRow>().swap(st.early_user_rows);
    std::vector<audit::User>().swap(st.early_users);
    return false;
  }
  // No row is changed, so complete and partial sweeps write the same rows: the new keys.
  std::vector<int64_t> none;
  DIVAUDIT_RETURN_IF_ERROR(st.WriteKeyed(kUsers, st.early_user_rows, /*complete=*/false, none));
  st.users_early = true;
  st.DigestRows(kUsers);                   // Finish only closes users now
  if (st.keyed[kUsers].written.empty()) {  // nothing points into the copy: the digest will do
    st.early_users_digest = RowsDigest(st.early_user_rows);
    std::vector<ViewRow>().swap(st.early_user_rows);
    std::vector<audit::User>().swap(st.early_users);
  }
  return true;
}

Status SnapshotWriter::Finish(const audit::OrgSnapshot& input, bool complete,
                              CommitResult& result) {
  State& st = *state_;
  if (st.finished) return FailedPreconditionError("SnapshotWriter::Finish called twice");
  st.finished = true;
  // genesys/ hands over canonical snapshots: copy (and sort) only when the input is not.
  if (!IsCanonical(input, /*grants_checked=*/st.grants_early)) {
    st.canonical_copy = input;
    audit::Canonicalize(*st.canonical_copy);
  }
  const audit::OrgSnapshot& snapshot = st.canonical_copy ? *st.canonical_copy : input;
  st.desired = SnapshotToViewRows(snapshot, st.texts);
  std::unordered_set<std::string> unread_groups;  // their memberships are never closed
  for (const auto& g : snapshot.groups) {
    if (!g.members_read) unread_groups.insert(g.id);
  }
  for (size_t ti = 0; ti < kTableCount; ++ti) {
    const TableSpec& t = Tables()[ti];
    if (ti == kGrants && st.grants_early) {
      DIVAUDIT_RETURN_IF_ERROR(st.FinishEarlyGrants(snapshot.grants, complete, result));
    } else if (ti == kGrants) {  // read straight from the snapshot (no views for 500,000 grants)
      const auto& g = snapshot.grants;
      DIVAUDIT_RETURN_IF_ERROR(st.FinishIds(
          ti, g.size(), [&g](size_t r, size_t c) { return GrantColumn(g[r], c); },
          /*interned=*/true, /*distinct=*/true, nullptr, complete, result));
    } else if (ti == kUsers && st.users_early) {
      DIVAUDIT_RETURN_IF_ERROR(st.FinishEarlyUsers(st.desired[ti], complete, result));
    } else if (t.all_ids()) {
      const std::vector<ViewRow>& rows = st.desired[ti];
      DIVAUDIT_RETURN_IF_ERROR(st.FinishIds(
          ti, rows.size(), [&rows](size_t r, size_t c) { return rows[r][c]; },
          /*interned=*/false, /*distinct=*/false, ti == kMemberships ? &unread_groups : nullptr,
          complete, result));
    } else {
      DIVAUDIT_RETURN_IF_ERROR(st.FinishKeyed(ti, st.desired[ti], complete, result));
    }
    if (st.rows_digest[ti].empty()) st.DigestRows(ti);
  }
  return Status::Ok();
}

void SnapshotWriter::AddToHash(SweepHashBuilder& hash) const {
  const State& st = *state_;
  assert(hash.layout() == HashLayout::kV2);  // the rows' digests are layout 2's
  for (size_t ti = 0; ti < kTableCount; ++ti) {
    const TableSpec& t = Tables()[ti];
    if (t.all_ids()) {
      hash.AddTableDigest(t, st.rows_digest[ti], st.ids[ti].written.size(), st.ids[ti].closed);
    } else {
      hash.AddTableDigest(t, st.rows_digest[ti], st.keyed[ti].written.size(), st.keyed[ti].closed);
    }
  }
}

}  // namespace divaudit::storage
