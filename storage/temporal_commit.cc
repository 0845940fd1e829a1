// Writing a sweep's snapshot into the temporal tables (CommitSnapshot in storage/temporal.h).
#include <algorithm>
#include <array>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

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
  for (const auto& u : s.users) {
    r[kUsers].push_back({u.id, u.name, u.email, u.home_division_id, u.state});
  }
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
  // Grants (the bulk) are not copied: CommitSnapshot reads them from the snapshot.
  return r;
}

// True when audit::Canonicalize would leave `s` as it is (every sweep from genesys/ is), so
// CommitSnapshot can use it without a copy.
bool IsCanonical(const audit::OrgSnapshot& s) {
  auto sorted_by_id = [](const auto& v) {
    return std::is_sorted(v.begin(), v.end(),
                          [](const auto& a, const auto& b) { return a.id < b.id; });
  };
  auto strictly_increasing = [](const auto& v) {
    return std::adjacent_find(v.begin(), v.end(),
                              [](const auto& a, const auto& b) { return !(a < b); }) == v.end();
  };
  if (!sorted_by_id(s.divisions) || !sorted_by_id(s.roles) || !sorted_by_id(s.users) ||
      !sorted_by_id(s.groups) || !sorted_by_id(s.oauth_clients) ||
      !sorted_by_id(s.external_subjects) || !strictly_increasing(s.grants)) {
    return false;
  }
  for (const auto& g : s.groups) {
    if (!strictly_increasing(g.member_ids)) return false;
  }
  for (const auto& c : s.oauth_clients) {
    if (!strictly_increasing(c.role_divisions)) return false;
  }
  for (const auto& r : s.roles) {
    if (!strictly_increasing(r.policies)) return false;
    for (const auto& p : r.policies) {
      if (!strictly_increasing(p.action_set)) return false;
    }
  }
  if (!strictly_increasing(s.permissions) || !sorted_by_id(s.queues) ||
      !strictly_increasing(s.queue_members)) {
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

// The snapshot's `count` rows (column c of row r is value(r, c)) as dictionary keys, sorted
// by key then snapshot order. `interned`: the views are audit::Id texts (grants), one address
// per distinct text.
template <typename Value>
Result<std::vector<DesiredId>> DesiredIds(const std::string& path, const TableSpec& t, size_t count,
                                          const Value& value, bool interned, IdDict& dict) {
  const size_t n = t.cols.size();
  std::vector<DesiredId> want;
  want.reserve(count);
  // Consecutive rows mostly repeat a column's value (grants are sorted by subject): remember
  // the last lookup per column. Grants' roles and divisions change from row to row but are
  // interned, and the snapshot does not change during the commit, so there a view's address
  // and size identify its text: look those up by address before hashing the text.
  std::array<std::string_view, 4> last_value;
  std::array<int64_t, 4> last_id{0, 0, 0, 0};
  std::unordered_map<const char*, std::pair<size_t, int64_t>> by_address;
  for (size_t r = 0; r < count; ++r) {
    DesiredId d{{}, static_cast<uint32_t>(r)};
    for (size_t i = 0; i < n; ++i) {
      const std::string_view v = value(r, i);
      if (t.cols[i].kind == Kind::kInt) {  // a flag: stored as 0/1, not in the dictionary
        d.key.Set(i, v == "1" ? 1u : 0u);
        continue;
      }
      if (last_id[i] == 0 || v.data() != last_value[i].data() || v != last_value[i]) {
        if (interned) {
          auto [it, added] = by_address.try_emplace(v.data(), v.size(), 0);
          if (added || it->second.first != v.size()) it->second = {v.size(), dict.Intern(v)};
          last_id[i] = it->second.second;
        } else {
          last_id[i] = dict.Intern(v);
        }
        if (last_id[i] <= 0 || last_id[i] > int64_t{UINT32_MAX}) {
          return DataLossError(path + ": dictionary id out of range in table ids");
        }
        last_value[i] = v;
      }
      d.key.Set(i, static_cast<uint32_t>(last_id[i]));
    }
    want.push_back(d);
  }
  std::sort(want.begin(), want.end(), [](const DesiredId& a, const DesiredId& b) {
    return a.key == b.key ? a.index < b.index : a.key < b.key;
  });
  return want;
}

// Merge-join: rows wanted but not current go to `to_insert` (snapshot order); on a complete
// sweep, current rows not wanted go to `to_close` unless their first column is in `unread`.
void MergeIds(const std::vector<DesiredId>& want, const std::vector<CurrentId>& current,
              const std::unordered_set<uint32_t>& unread, bool complete,
              std::vector<DesiredId>& to_insert, std::vector<int64_t>& to_close) {
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

// Diffs and writes one all-id table. Every column is a key column, so a row is either
// unchanged, new or gone; a partial sweep never closes. `interned`: as in DesiredIds.
template <typename Value>
Status CommitIdTable(Db& db, const TableSpec& t, size_t count, const Value& value, bool interned,
                     const std::unordered_set<std::string>* unread_groups, bool complete,
                     int64_t sweep, IdDict& dict, SweepHashBuilder& hash, CommitResult& result) {
  const size_t n = t.cols.size();
  std::vector<CurrentId> current;
  std::vector<int64_t> to_close;
  DIVAUDIT_RETURN_IF_ERROR(LoadCurrentIds(db, t, current, to_close));
  DIVAUDIT_ASSIGN_OR_RETURN(std::vector<DesiredId> want,
                            DesiredIds(db.path(), t, count, value, interned, dict));
  std::unordered_set<uint32_t> unread;  // dictionary ids of groups whose members were not read
  if (unread_groups != nullptr) {
    for (const std::string& g : *unread_groups) {
      if (auto id = dict.FindValue(g)) unread.insert(static_cast<uint32_t>(*id));
    }
  }
  std::vector<DesiredId> to_insert;
  MergeIds(want, current, unread, complete, to_insert, to_close);
  if (!complete) to_close.clear();  // a partial sweep never closes
  std::vector<DesiredId>().swap(want);
  std::vector<CurrentId>().swap(current);
  DIVAUDIT_RETURN_IF_ERROR(dict.Flush(db));
  // SQLite gives each new row max(row_id) + 1, so the rows get before+1 .. before+count; checked
  // below (else the hash reads this table back).
  DIVAUDIT_ASSIGN_OR_RETURN(
      const int64_t before,
      db.QueryInt(std::string("SELECT coalesce(max(row_id), 0) FROM ") + t.name));
  DIVAUDIT_RETURN_IF_ERROR(BatchInsert(
      db, std::string(t.name) + "(valid_from_sweep, " + ColumnList(t) + ")", n + 1,
      to_insert.size(), [&](Stmt& st, int p, size_t r) {
        st.Bind(p, sweep);
        for (size_t c = 0; c < n; ++c) {
          st.Bind(p + 1 + static_cast<int>(c), static_cast<int64_t>(to_insert[r].key.Get(c)));
        }
      }));
  result.rows_inserted += static_cast<int64_t>(to_insert.size());
  DIVAUDIT_RETURN_IF_ERROR(CloseRows(db, t, to_close, sweep, result));
  const auto inserted = static_cast<int64_t>(to_insert.size());
  if (inserted > 0 && (before > INT64_MAX - inserted || LastInsertRowId(db) != before + inserted)) {
    return hash.AddStoredTable(db, dict, t);
  }
  hash.AddWrittenTable(
      t, to_insert.size(), [before](size_t r) { return before + 1 + static_cast<int64_t>(r); },
      [&](size_t r, size_t c) -> std::string_view {
        const uint32_t v = to_insert[r].key.Get(c);
        if (t.cols[c].kind == Kind::kInt) return v == 1 ? "1" : "0";
        const std::string_view* text = dict.Find(v);
        return text == nullptr ? std::string_view() : *text;
      },
      to_close);
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
using CurrentKeyedMap = std::unordered_map<std::string_view, CurrentKeyed>;  // keys in the arena

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

Result<Stmt> PrepareKeyedInsert(Db& db, const TableSpec& t) {
  std::string sql =
      std::string("INSERT INTO ") + t.name + "(valid_from_sweep, " + ColumnList(t) + ") VALUES(?1";
  for (size_t c = 0; c < t.cols.size(); ++c) sql += ", ?" + std::to_string(c + 2);
  sql += ")";
  return db.Prepare(sql);
}

// Inserts `row` with `st` (PrepareKeyedInsert); returns its row id.
Result<int64_t> InsertKeyedRow(Db& db, Stmt& st, const TableSpec& t, const ViewRow& row,
                               int64_t sweep) {
  const size_t n = t.cols.size();
  st.Reset();
  st.Bind(1, sweep);
  for (size_t c = 0; c < n; ++c) {
    if (t.cols[c].kind == Kind::kInt) {
      st.Bind(static_cast<int>(c + 2), static_cast<int64_t>(row[c] == "1" ? 1 : 0));
    } else {
      st.Bind(static_cast<int>(c + 2), row[c]);
    }
  }
  DIVAUDIT_RETURN_IF_ERROR(st.Run());
  return LastInsertRowId(db);
}

// Diffs and writes one keyed table. A changed row is closed and inserted again on a complete
// sweep; a partial sweep inserts only keys that are not current (it never closes, so it
// cannot replace either). The first of duplicate keys in the snapshot wins.
Status CommitKeyedTable(Db& db, const TableSpec& t, const std::vector<ViewRow>& rows, bool complete,
                        int64_t sweep, SweepHashBuilder& hash, CommitResult& result) {
  Arena arena;
  DIVAUDIT_ASSIGN_OR_RETURN(CurrentKeyedMap current, LoadCurrentKeyed(db, t, arena));
  DIVAUDIT_ASSIGN_OR_RETURN(Stmt insert_st, PrepareKeyedInsert(db, t));
  std::vector<std::pair<int64_t, const ViewRow*>> inserted;  // (row id, row), row id order
  std::vector<int64_t> to_close;
  std::string key, prev_key, attrs;
  bool first = true;
  for (const ViewRow& row : rows) {
    JoinFieldsInto(key, row, 0, t.key_count);
    if (!first && key == prev_key) continue;
    first = false;
    bool insert = true;
    auto it = current.find(std::string_view(key));
    if (it != current.end()) {
      JoinFieldsInto(attrs, row, t.key_count, t.cols.size());
      if (it->second.attrs == attrs || !complete) {
        insert = false;
      } else {
        to_close.push_back(it->second.row_id);
      }
      it->second.seen = true;
    }
    if (insert) {
      DIVAUDIT_ASSIGN_OR_RETURN(int64_t row_id, InsertKeyedRow(db, insert_st, t, row, sweep));
      inserted.emplace_back(row_id, &row);
      ++result.rows_inserted;
    }
    std::swap(prev_key, key);
  }
  if (complete) {
    for (const auto& [k, cur] : current) {
      if (!cur.seen) to_close.push_back(cur.row_id);
    }
  }
  DIVAUDIT_RETURN_IF_ERROR(CloseRows(db, t, to_close, sweep, result));  // sorts to_close
  hash.AddWrittenTable(
      t, inserted.size(), [&](size_t r) { return inserted[r].first; },
      [&](size_t r, size_t c) { return (*inserted[r].second)[c]; }, to_close);
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

}  // namespace

Status CommitSnapshot(Db& db, const audit::OrgSnapshot& input, bool complete, int64_t sweep,
                      IdDict& dict, SweepHashBuilder& hash, CommitResult& result) {
  // genesys/ hands over canonical snapshots: copy (and sort) only when the input is not.
  std::optional<audit::OrgSnapshot> canonical_copy;
  if (!IsCanonical(input)) {
    canonical_copy = input;
    audit::Canonicalize(*canonical_copy);
  }
  const audit::OrgSnapshot& snapshot = canonical_copy ? *canonical_copy : input;
  std::deque<std::string> texts;
  const TableViewRows desired = SnapshotToViewRows(snapshot, texts);
  std::unordered_set<std::string> unread_groups;  // their memberships are never closed
  for (const auto& g : snapshot.groups) {
    if (!g.members_read) unread_groups.insert(g.id);
  }
  for (size_t ti = 0; ti < kTableCount; ++ti) {
    const TableSpec& t = Tables()[ti];
    if (ti == kGrants) {  // read straight from the snapshot (no views for 500,000 grants)
      const auto& g = snapshot.grants;
      DIVAUDIT_RETURN_IF_ERROR(CommitIdTable(
          db, t, g.size(), [&g](size_t r, size_t c) { return GrantColumn(g[r], c); },
          /*interned=*/true, nullptr, complete, sweep, dict, hash, result));
    } else if (t.all_ids()) {
      const std::vector<ViewRow>& rows = desired[ti];
      DIVAUDIT_RETURN_IF_ERROR(CommitIdTable(
          db, t, rows.size(), [&rows](size_t r, size_t c) { return rows[r][c]; },
          /*interned=*/false, ti == kMemberships ? &unread_groups : nullptr, complete, sweep, dict,
          hash, result));
    } else {
      DIVAUDIT_RETURN_IF_ERROR(CommitKeyedTable(db, t, desired[ti], complete, sweep, hash, result));
    }
  }
  return Status::Ok();
}

}  // namespace divaudit::storage
