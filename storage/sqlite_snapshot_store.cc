#include "storage/sqlite_snapshot_store.h"

#include <fcntl.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "common/json_writer.h"
#include "common/logging.h"
#include "common/sha256.h"
#include "common/time_util.h"
#include "storage/schema.h"

namespace divaudit::storage {
namespace {

using audit::Finding;
using audit::FindingState;
using Row = std::vector<std::string>;

// ---------------------------------------------------------------------------------------------
// Temporal tables. The order is the hash order; never reorder (it would change every hash).

// How a column is stored. kId: an integer id into the `ids` dictionary (schema v3); it reads,
// hashes and compares as the text it stands for.
enum class Kind { kText, kInt, kId };
constexpr Kind kT = Kind::kText;
constexpr Kind kI = Kind::kInt;
constexpr Kind kD = Kind::kId;

struct Col {
  const char* name;
  Kind kind;
};
struct TableSpec {
  const char* name;
  std::vector<Col> cols;
  size_t key_count;  // the first key_count columns identify the object
  // Every column is a key column stored as a dictionary id (grants, memberships,
  // client_roles): CommitLocked merge-joins integer keys instead of hashing strings.
  bool all_ids() const {
    return key_count == cols.size() &&
           std::all_of(cols.begin(), cols.end(), [](const Col& c) { return c.kind == kD; });
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
  kTableCount
};

const std::array<TableSpec, kTableCount>& Tables() {
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

using TableRows = std::array<std::vector<Row>, kTableCount>;

// A snapshot row as views into the snapshot (CommitLocked diffs these against the stored rows;
// views avoid copying every string of a 500,000-grant org).
using ViewRow = std::array<std::string_view, 5>;
using TableViewRows = std::array<std::vector<ViewRow>, kTableCount>;

std::string_view BV(bool b) { return b ? "1" : "0"; }

TableViewRows SnapshotToViewRows(const audit::OrgSnapshot& s) {
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
  // Grants (the bulk) are not copied: CommitLocked reads them from the snapshot.
  return r;
}

// True when audit::Canonicalize would leave `s` as it is (every sweep from genesys/ is), so
// CommitLocked can use it without a copy.
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
  return true;
}

// Append-only storage for the stored rows' keys and attributes: string_views into it stay valid
// for its lifetime (one allocation per MiB instead of one per string).
class Arena {
 public:
  std::string_view Copy(std::string_view v) {
    if (v.empty()) return {};
    if (blocks_.empty() || used_ + v.size() > block_size_) {
      const size_t n = std::max(kBlock, v.size());
      blocks_.push_back(std::make_unique<char[]>(n));
      block_size_ = n;
      used_ = 0;
    }
    char* p = blocks_.back().get() + used_;
    std::memcpy(p, v.data(), v.size());
    used_ += v.size();
    return {p, v.size()};
  }

 private:
  static constexpr size_t kBlock = size_t{1} << 20;
  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t block_size_ = 0;
  size_t used_ = 0;
};

std::string_view ColumnView(sqlite3_stmt* st, int col) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, col));
  return {p == nullptr ? "" : p, static_cast<size_t>(sqlite3_column_bytes(st, col))};
}

// A fast hash for the dictionary's values (GUIDs): 8 bytes at a time, every byte mixed in.
struct ValueHash {
  size_t operator()(std::string_view v) const noexcept {
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ v.size();
    auto mix = [&h](uint64_t w) {
      h = (h ^ w) * 0xBF58476D1CE4E5B9ULL;
      h ^= h >> 31;
    };
    size_t i = 0;
    for (; i + 8 <= v.size(); i += 8) {
      uint64_t w;
      std::memcpy(&w, v.data() + i, 8);
      mix(w);
    }
    uint64_t tail = 0;
    if (i < v.size()) std::memcpy(&tail, v.data() + i, v.size() - i);
    mix(tail);
    return static_cast<size_t>(h);
  }
};

// The `ids` dictionary (schema v3): each distinct string of a kId column stored once, referred
// to by its integer id. Loaded whole (tens of thousands of rows for a 50,000-user org).
// Not thread-safe; lives for one store call.
class IdDict {
 public:
  Status Load(Db& db) {
    DIVAUDIT_ASSIGN_OR_RETURN(next_id_, db.QueryInt("SELECT coalesce(max(id), 0) + 1 FROM ids"));
    DIVAUDIT_ASSIGN_OR_RETURN(int64_t count, db.QueryInt("SELECT count(*) FROM ids"));
    by_value_.reserve(static_cast<size_t>(count) + 1024);
    by_id_.reserve(static_cast<size_t>(count) + 1);
    DIVAUDIT_ASSIGN_OR_RETURN(Stmt st, db.Prepare("SELECT id, value FROM ids ORDER BY id"));
    while (true) {
      DIVAUDIT_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      Add(st.Int(0), arena_.Copy(ColumnView(st.raw(), 1)));
    }
    return Status::Ok();
  }
  // The text of `id`, or nullptr when no such id exists.
  const std::string_view* Find(int64_t id) const {
    if (id > 0 && static_cast<uint64_t>(id) < by_id_.size()) {
      return present_[static_cast<size_t>(id)] ? &by_id_[static_cast<size_t>(id)] : nullptr;
    }
    auto it = sparse_.find(id);
    return it == sparse_.end() ? nullptr : &it->second;
  }
  std::optional<int64_t> FindValue(std::string_view v) const {
    auto it = by_value_.find(v);
    if (it == by_value_.end()) return std::nullopt;
    return it->second;
  }
  // The id of `v`; a new value gets the next id and is written to `ids` by Flush.
  int64_t Intern(std::string_view v) {
    if (auto id = FindValue(v)) return *id;
    const int64_t id = next_id_++;
    const std::string_view stored = arena_.Copy(v);
    Add(id, stored);
    pending_.emplace_back(id, stored);
    return id;
  }
  // Inserts the values interned since the last Flush (inside the caller's transaction).
  Status Flush(Db& db);

 private:
  // Ids are dense (SQLite assigns max+1); anything far out of range (an edited file) goes to
  // sparse_ so that a huge id cannot make the vector huge.
  void Add(int64_t id, std::string_view v) {
    if (id > 0 && static_cast<uint64_t>(id) <= 2 * by_value_.size() + 4096) {
      const auto i = static_cast<size_t>(id);
      if (i >= by_id_.size()) {
        by_id_.resize(i + 1);
        present_.resize(i + 1);
      }
      by_id_[i] = v;
      present_[i] = true;
    } else {
      sparse_.emplace(id, v);
    }
    by_value_.emplace(v, id);
  }
  Arena arena_;
  int64_t next_id_ = 1;
  std::vector<std::pair<int64_t, std::string_view>> pending_;
  std::vector<std::string_view> by_id_;
  std::vector<bool> present_;
  std::unordered_map<int64_t, std::string_view> sparse_;
  std::unordered_map<std::string_view, int64_t, ValueHash> by_value_;
};

// Inserts `count` rows of `cols` values into `table` with multi-row INSERTs of kBatchRows rows
// (one statement per row costs a VDBE start and halt each). bind(stmt, first_param, row)
// binds the row's cols values from parameter first_param on.
constexpr size_t kBatchRows = 100;
template <typename BindRow>
Status BatchInsert(Db& db, const std::string& table_and_columns, size_t cols, size_t count,
                   const BindRow& bind) {
  auto sql_for = [&](size_t rows) {
    std::string tuple = "(?";
    for (size_t c = 1; c < cols; ++c) tuple += ",?";
    tuple += ")";
    std::string sql = "INSERT INTO " + table_and_columns + " VALUES" + tuple;
    for (size_t r = 1; r < rows; ++r) sql += "," + tuple;
    return sql;
  };
  size_t row = 0;
  if (count >= kBatchRows) {
    DIVAUDIT_ASSIGN_OR_RETURN(Stmt st, db.Prepare(sql_for(kBatchRows)));
    for (; row + kBatchRows <= count; row += kBatchRows) {
      st.Reset();
      for (size_t r = 0; r < kBatchRows; ++r) bind(st, static_cast<int>(r * cols + 1), row + r);
      DIVAUDIT_RETURN_IF_ERROR(st.Run());
    }
  }
  if (row < count) {
    DIVAUDIT_ASSIGN_OR_RETURN(Stmt st, db.Prepare(sql_for(1)));
    for (; row < count; ++row) {
      st.Reset();
      bind(st, 1, row);
      DIVAUDIT_RETURN_IF_ERROR(st.Run());
    }
  }
  return Status::Ok();
}

Status IdDict::Flush(Db& db) {
  DIVAUDIT_RETURN_IF_ERROR(
      BatchInsert(db, "ids(id, value)", 2, pending_.size(), [this](Stmt& st, int p, size_t r) {
        st.Bind(p, pending_[r].first).Bind(p + 1, pending_[r].second);
      }));
  pending_.clear();
  return Status::Ok();
}

// A column of a temporal table as text (kId decoded through `dict`; an id the dictionary
// lacks reads as "", a non-integer in a kId column as its own text).
std::string_view ReadColumn(sqlite3_stmt* st, int col, Kind kind, const IdDict& dict) {
  if (kind == Kind::kId && sqlite3_column_type(st, col) == SQLITE_INTEGER) {
    const std::string_view* v = dict.Find(sqlite3_column_int64(st, col));
    return v == nullptr ? std::string_view() : *v;
  }
  return ColumnView(st, col);
}

// The row of an all-id table (TableSpec::all_ids) as up to four 32-bit dictionary ids packed
// in two words (ids are assigned 1, 2, 3, ... by SQLite), compared as integers.
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

// Diffs one all-id table: the stored current rows (read as integers, sorted) merge-joined
// against the snapshot's `count` rows (column c of row r is value(r, c), mapped through the
// dictionary, sorted). Inserts the rows not current (in snapshot order), and on a complete
// sweep closes the current rows not in the snapshot (by row_id), except memberships of groups
// in `unread_groups`. Every column is a key column, so a row is either unchanged, new or gone.
template <typename Value>
Status CommitIdTable(Db& db, const TableSpec& t, size_t count, const Value& value,
                     const std::unordered_set<std::string>* unread_groups, bool complete,
                     int64_t sweep, IdDict& dict, CommitResult& result) {
  const size_t n = t.cols.size();
  const std::string cols = ColumnList(t);
  struct Current {
    IdKey key;
    int64_t row_id;
  };
  std::vector<Current> current;
  std::vector<int64_t> to_close;  // current rows that are not readable as ids (edited file)
  {
    DIVAUDIT_ASSIGN_OR_RETURN(int64_t live, db.QueryInt(std::string("SELECT count(*) FROM ") +
                                                        t.name + " WHERE valid_to_sweep IS NULL"));
    current.reserve(static_cast<size_t>(live));
    DIVAUDIT_ASSIGN_OR_RETURN(Stmt st, db.Prepare("SELECT row_id, " + cols + " FROM " + t.name +
                                                  " WHERE valid_to_sweep IS NULL"));
    sqlite3_stmt* raw = st.raw();
    while (true) {
      DIVAUDIT_ASSIGN_OR_RETURN(bool has, st.Step());
      if (!has) break;
      Current c{{}, sqlite3_column_int64(raw, 0)};
      bool ok = true;
      for (size_t i = 0; i < n; ++i) {
        const int col = static_cast<int>(i + 1);
        const int64_t v = sqlite3_column_int64(raw, col);
        ok = ok && v > 0 && v <= int64_t{UINT32_MAX} &&
             sqlite3_column_type(raw, col) == SQLITE_INTEGER;
        c.key.Set(i, static_cast<uint32_t>(v));
      }
      if (ok) {
        current.push_back(c);
      } else {
        to_close.push_back(c.row_id);
      }
    }
  }
  std::sort(current.begin(), current.end(),
            [](const Current& a, const Current& b) { return a.key < b.key; });

  struct Desired {
    IdKey key;
    uint32_t index;  // snapshot order
  };
  std::vector<Desired> want;
  want.reserve(count);
  // Consecutive rows mostly repeat a column's value (grants are sorted by subject): remember
  // the last lookup per column.
  std::array<std::string_view, 4> last_value;
  std::array<int64_t, 4> last_id{0, 0, 0, 0};
  for (size_t r = 0; r < count; ++r) {
    Desired d{{}, static_cast<uint32_t>(r)};
    for (size_t i = 0; i < n; ++i) {
      const std::string_view v = value(r, i);
      if (last_id[i] == 0 || v != last_value[i]) {
        last_id[i] = dict.Intern(v);
        if (last_id[i] <= 0 || last_id[i] > int64_t{UINT32_MAX}) {
          return DataLossError(db.path() + ": dictionary id out of range in table ids");
        }
        last_value[i] = v;
      }
      d.key.Set(i, static_cast<uint32_t>(last_id[i]));
    }
    want.push_back(d);
  }
  std::sort(want.begin(), want.end(), [](const Desired& a, const Desired& b) {
    return a.key == b.key ? a.index < b.index : a.key < b.key;
  });

  std::unordered_set<uint32_t> unread;  // dictionary ids of groups whose members were not read
  if (unread_groups != nullptr) {
    for (const std::string& g : *unread_groups) {
      if (auto id = dict.FindValue(g)) unread.insert(static_cast<uint32_t>(*id));
    }
  }
  std::vector<Desired> to_insert;
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
  if (!complete) to_close.clear();  // a partial sweep never closes
  std::vector<Desired>().swap(want);
  std::vector<Current>().swap(current);

  std::sort(to_insert.begin(), to_insert.end(),
            [](const Desired& a, const Desired& b) { return a.index < b.index; });
  DIVAUDIT_RETURN_IF_ERROR(dict.Flush(db));
  DIVAUDIT_RETURN_IF_ERROR(BatchInsert(db, std::string(t.name) + "(valid_from_sweep, " + cols + ")",
                                       n + 1, to_insert.size(), [&](Stmt& st, int p, size_t r) {
                                         st.Bind(p, sweep);
                                         for (size_t c = 0; c < n; ++c) {
                                           st.Bind(p + 1 + static_cast<int>(c),
                                                   static_cast<int64_t>(to_insert[r].key.Get(c)));
                                         }
                                       }));
  result.rows_inserted += static_cast<int64_t>(to_insert.size());
  std::sort(to_close.begin(), to_close.end());
  if (!to_close.empty()) {
    DIVAUDIT_ASSIGN_OR_RETURN(Stmt st, db.Prepare(std::string("UPDATE ") + t.name +
                                                  " SET valid_to_sweep = ?1 WHERE row_id = ?2"));
    for (int64_t row_id : to_close) {
      st.Reset();
      st.Bind(1, sweep).Bind(2, row_id);
      DIVAUDIT_RETURN_IF_ERROR(st.Run());
    }
    result.rows_closed += static_cast<int64_t>(to_close.size());
  }
  return Status::Ok();
}

audit::OrgSnapshot RowsToSnapshot(TableRows& r) {
  audit::OrgSnapshot s;
  for (auto& x : r[kDivisions]) {
    s.divisions.push_back({std::move(x[0]), std::move(x[1]), std::move(x[2]), x[3] == "1"});
  }
  for (auto& x : r[kRoles]) s.roles.push_back({std::move(x[0]), std::move(x[1])});
  for (auto& x : r[kUsers]) {
    s.users.push_back(
        {std::move(x[0]), std::move(x[1]), std::move(x[2]), std::move(x[3]), std::move(x[4])});
  }
  std::unordered_map<std::string, std::vector<std::string>> members;
  for (auto& x : r[kMemberships]) members[x[0]].push_back(std::move(x[1]));
  for (auto& x : r[kGroups]) {
    audit::Group g;
    g.id = std::move(x[0]);
    g.name = std::move(x[1]);
    g.roles_enabled = x[2] == "1";
    g.members_read = x[3] == "1";
    // Memberships of unread groups stay open (never closed by a sweep that did not read
    // them), so they are not evidence of the membership at this sweep.
    if (g.members_read) {
      auto it = members.find(g.id);
      if (it != members.end()) g.member_ids = std::move(it->second);
    }
    s.groups.push_back(std::move(g));
  }
  std::unordered_map<std::string, std::vector<audit::RoleDivision>> client_roles;
  for (auto& x : r[kClientRoles]) {
    client_roles[x[0]].push_back({std::move(x[1]), std::move(x[2])});
  }
  for (auto& x : r[kClients]) {
    audit::OAuthClient c;
    c.id = std::move(x[0]);
    c.name = std::move(x[1]);
    c.authorized_grant_type = std::move(x[2]);
    c.state = std::move(x[3]);
    auto it = client_roles.find(c.id);
    if (it != client_roles.end()) c.role_divisions = std::move(it->second);
    s.oauth_clients.push_back(std::move(c));
  }
  for (auto& x : r[kExternal]) {
    s.external_subjects.push_back(
        {std::move(x[0]), std::move(x[1]), audit::SubjectTypeFromName(x[2]), std::move(x[3])});
  }
  for (auto& x : r[kGrants]) {
    s.grants.push_back(
        {audit::SubjectTypeFromName(x[0]), std::move(x[1]), std::move(x[2]), std::move(x[3])});
  }
  audit::Canonicalize(s);
  return s;
}

// Length-prefixed join so that no field content can forge another split.
void AppendField(std::string& out, std::string_view f) {
  out += std::to_string(f.size());
  out += ':';
  out += f;
}
void JoinFieldsInto(std::string& out, const ViewRow& row, size_t begin, size_t end) {
  out.clear();
  for (size_t i = begin; i < end; ++i) AppendField(out, row[i]);
}

// ---------------------------------------------------------------------------------------------
// Canonical serialization for the hash chain: every column of every row tagged by type.

void SerializeColumn(std::string& out, sqlite3_stmt* st, int col) {
  switch (sqlite3_column_type(st, col)) {
    case SQLITE_NULL:
      out += "n;";
      return;
    case SQLITE_INTEGER:
      out += 'i';
      out += std::to_string(sqlite3_column_int64(st, col));
      out += ';';
      return;
    case SQLITE_FLOAT: {
      char buf[40];
      std::snprintf(buf, sizeof(buf), "r%.17g;", sqlite3_column_double(st, col));
      out += buf;
      return;
    }
    default: {
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, col));
      const int n = sqlite3_column_bytes(st, col);
      out += 't';
      AppendField(out, std::string_view(p == nullptr ? "" : p, static_cast<size_t>(n)));
      return;
    }
  }
}

// A kId column hashes as the text it stands for ('t'), so the chain does not depend on how
// rows are stored (sweeps hashed by schema v2 verify under v3). An id missing from the
// dictionary hashes as NULL and a non-integer as 'x'+value: neither is what a writer hashed.
void SerializeTableColumn(std::string& out, sqlite3_stmt* st, int col, Kind kind,
                          const IdDict& dict) {
  if (kind != Kind::kId) return SerializeColumn(out, st, col);
  if (sqlite3_column_type(st, col) != SQLITE_INTEGER) {
    out += 'x';
    return SerializeColumn(out, st, col);
  }
  const std::string_view* v = dict.Find(sqlite3_column_int64(st, col));
  if (v == nullptr) {
    out += "n;";
    return;
  }
  out += 't';
  AppendField(out, *v);
}

// Feeds every row of `sql` (bound to `id`, or unbound when id is nullopt) into `h`. With
// `table`, column 0 is row_id and columns 1.. are the table's columns (kId decoded via `dict`).
Status HashRows(Db& db, const std::string& sql, std::optional<int64_t> id, Sha256& h,
                std::string_view label, const TableSpec* table = nullptr,
                const IdDict* dict = nullptr) {
  DIVAUDIT_ASSIGN_OR_RETURN(Stmt st, db.Prepare(sql));
  if (id) st.Bind(1, *id);
  h.UpdateField(label);
  std::string buf;
  int64_t rows = 0;
  while (true) {
    DIVAUDIT_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    ++rows;
    buf += '[';
    for (int c = 0; c < st.ColumnCount(); ++c) {
      if (table != nullptr && c >= 1 && static_cast<size_t>(c) <= table->cols.size()) {
        SerializeTableColumn(buf, st.raw(), c, table->cols[static_cast<size_t>(c - 1)].kind, *dict);
      } else {
        SerializeColumn(buf, st.raw(), c);
      }
    }
    buf += ']';
    if (buf.size() > 65536) {
      h.Update(buf);
      buf.clear();
    }
  }
  h.Update(buf);
  h.UpdateField(std::to_string(rows));
  return Status::Ok();
}

constexpr const char* kSweepHashSql =
    "SELECT id, started_at, finished_at, status, incomplete, requests, retries, throttled, "
    "coverage, rule_set_version, unknown_subject_types FROM sweeps WHERE id = ?1";
constexpr const char* kFindingIdentityCols =
    "fingerprint, rule, subject_type, subject_id, role_id, division_id, via_type, via_group_id, "
    "first_seen_at";

// SHA-256(prev_hash || sweep row || rows the sweep opened || rows it closed || findings it
// first saw (identity) || its findings events). Used by CommitSweep and Verify alike.
Result<std::string> ComputeSweepHash(Db& db, const IdDict& dict, int64_t id,
                                     const std::string& prev_hash) {
  Sha256 h;
  h.UpdateField("divaudit-sweep-v1");
  h.UpdateField(prev_hash);
  DIVAUDIT_RETURN_IF_ERROR(HashRows(db, kSweepHashSql, id, h, "sweep"));
  for (const TableSpec& t : Tables()) {
    const std::string cols = ColumnList(t);
    DIVAUDIT_RETURN_IF_ERROR(HashRows(db,
                                      std::string("SELECT row_id, ") + cols + " FROM " + t.name +
                                          " WHERE valid_from_sweep = ?1 ORDER BY row_id",
                                      id, h, t.name, &t, &dict));
    DIVAUDIT_RETURN_IF_ERROR(HashRows(
        db,
        std::string("SELECT row_id FROM ") + t.name + " WHERE valid_to_sweep = ?1 ORDER BY row_id",
        id, h, "closed"));
  }
  DIVAUDIT_RETURN_IF_ERROR(HashRows(db,
                                    std::string("SELECT ") + kFindingIdentityCols +
                                        " FROM findings WHERE first_seen_sweep = ?1 "
                                        "ORDER BY fingerprint",
                                    id, h, "findings"));
  DIVAUDIT_RETURN_IF_ERROR(HashRows(
      db, "SELECT id, fingerprint, event FROM findings_events WHERE sweep_id = ?1 ORDER BY id", id,
      h, "events"));
  return h.FinishHex();
}

// Digest of everything rebased onto the chain anchor by Prune (rows whose first sweep is gone).
Result<std::string> ComputeAnchorDigest(Db& db, const IdDict& dict) {
  Sha256 h;
  h.UpdateField("divaudit-anchor-v1");
  for (const TableSpec& t : Tables()) {
    DIVAUDIT_RETURN_IF_ERROR(HashRows(db,
                                      std::string("SELECT row_id, ") + ColumnList(t) + " FROM " +
                                          t.name +
                                          " WHERE valid_from_sweep IS NULL ORDER BY row_id",
                                      std::nullopt, h, t.name, &t, &dict));
  }
  DIVAUDIT_RETURN_IF_ERROR(HashRows(db,
                                    std::string("SELECT ") + kFindingIdentityCols +
                                        " FROM findings WHERE first_seen_sweep IS NULL "
                                        "ORDER BY fingerprint",
                                    std::nullopt, h, "findings"));
  DIVAUDIT_RETURN_IF_ERROR(HashRows(
      db, "SELECT id, fingerprint, event FROM findings_events WHERE sweep_id IS NULL ORDER BY id",
      std::nullopt, h, "events"));
  return h.FinishHex();
}

// ---------------------------------------------------------------------------------------------
// JSON helpers (our own output only).

std::string StringArrayJson(const std::vector<std::string>& v) {
  JsonWriter w;
  w.BeginArray();
  for (const auto& s : v) w.String(s);
  w.EndArray();
  return w.Take();
}

std::vector<std::string> ParseStringArray(const std::string& text) {
  std::vector<std::string> out;
  simdjson::dom::parser parser;
  simdjson::dom::array arr;
  if (parser.parse(text).get_array().get(arr) != simdjson::SUCCESS) return out;
  for (simdjson::dom::element e : arr) {
    std::string_view s;
    if (e.get_string().get(s) == simdjson::SUCCESS) out.emplace_back(s);
  }
  return out;
}

std::map<std::string, int64_t> ParseCountMap(const std::string& text) {
  std::map<std::string, int64_t> out;
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(text).get_object().get(obj) != simdjson::SUCCESS) return out;
  for (auto field : obj) {
    int64_t n = 0;
    if (field.value.get_int64().get(n) == simdjson::SUCCESS) out[std::string(field.key)] = n;
  }
  return out;
}

std::string CountMapJson(const std::map<std::string, int64_t>& m) {
  JsonWriter w;
  w.BeginObject();
  for (const auto& [k, v] : m) w.Key(k).Int(v);
  w.EndObject();
  return w.Take();
}

// ---------------------------------------------------------------------------------------------
// Findings rows.

constexpr const char* kFindingCols =
    "fingerprint, rule, severity, subject_type, subject_id, subject_name, role_id, role_name, "
    "division_id, division_name, via_type, via_group_id, via_group_name, tenant, tenants, "
    "home_division_id, home_division_name, home_tenant, first_seen_sweep, first_seen_at, "
    "last_seen_sweep, last_seen_at, resolved_by_sweep, resolved_at, reopened_count, state, "
    "exception_reason, exception_owner, exception_expires";

std::string Iso(int64_t unix_seconds) { return FormatIso8601(FromUnixSeconds(unix_seconds)); }

audit::Severity SeverityFromName(std::string_view s) {
  if (s == "critical") return audit::Severity::kCritical;
  if (s == "high") return audit::Severity::kHigh;
  if (s == "medium") return audit::Severity::kMedium;
  return audit::Severity::kLow;
}

FindingRecord ReadFindingRow(const Stmt& st) {
  FindingRecord r;
  Finding& f = r.finding;
  f.fingerprint = st.Text(0);
  f.rule = audit::RuleFromName(st.Text(1)).value_or(audit::Rule::kOrphanedGrant);
  f.severity = SeverityFromName(st.Text(2));
  if (!st.IsNull(3)) {
    f.subject = audit::SubjectRef{audit::SubjectTypeFromName(st.Text(3)), st.Text(4), st.Text(5)};
  }
  if (!st.IsNull(6)) f.role = audit::NamedRef{st.Text(6), st.Text(7)};
  if (!st.IsNull(8)) f.division = audit::NamedRef{st.Text(8), st.Text(9)};
  if (!st.IsNull(10)) {
    audit::Via via;
    via.direct = st.Text(10) == "direct";
    via.group_id = st.Text(11);
    via.group_name = st.Text(12);
    f.via = via;
  }
  f.tenant = st.OptText(13);
  f.tenants = ParseStringArray(st.Text(14));
  if (!st.IsNull(15)) f.home_division = audit::NamedRef{st.Text(15), st.Text(16)};
  f.home_tenant = st.OptText(17);
  r.first_seen_sweep = st.OptInt(18);
  f.first_seen = Iso(st.Int(19));
  r.last_seen_sweep = st.OptInt(20);
  r.last_seen = Iso(st.Int(21));
  r.resolved_by_sweep = st.OptInt(22);
  if (!st.IsNull(23)) r.resolved_at = Iso(st.Int(23));
  r.reopened_count = st.Int(24);
  f.state = audit::FindingStateFromName(st.Text(25)).value_or(FindingState::kOpen);
  if (!st.IsNull(26)) f.exception = audit::ExceptionRef{st.Text(26), st.Text(27), st.Text(28)};
  return r;
}

// The columns a later sweep may refresh (names, tenants, exception), in UPDATE order.
using Display = std::array<std::optional<std::string>, 13>;
constexpr const char* kDisplayCols =
    "severity, subject_name, role_name, division_name, via_group_name, tenant, tenants, "
    "home_division_id, home_division_name, home_tenant, exception_reason, exception_owner, "
    "exception_expires";

Display DisplayOf(const Finding& f) {
  Display d;
  d[0] = std::string(audit::SeverityName(f.severity));
  if (f.subject) d[1] = f.subject->name;
  if (f.role) d[2] = f.role->name;
  if (f.division) d[3] = f.division->name;
  if (f.via) d[4] = f.via->group_name;
  d[5] = f.tenant;
  d[6] = StringArrayJson(f.tenants);
  if (f.home_division) {
    d[7] = f.home_division->id;
    d[8] = f.home_division->name;
  }
  d[9] = f.home_tenant;
  if (f.exception) {
    d[10] = f.exception->reason;
    d[11] = f.exception->owner;
    d[12] = f.exception->expires;
  }
  return d;
}

struct StoredFinding {
  std::string state;
  Display display;
};

std::string_view EventStateAfter(std::string_view event) {
  if (event == "resolved") return "resolved";
  if (event == "suppressed") return "suppressed";
  return "open";
}

// Rolls back an open transaction unless committed.
class Transaction {
 public:
  explicit Transaction(Db& db) : db_(db) {}
  ~Transaction() {
    if (open_) (void)db_.Exec("ROLLBACK");
  }
  Status Begin(const char* sql) {
    DIVAUDIT_RETURN_IF_ERROR(db_.Exec(sql));
    open_ = true;
    return Status::Ok();
  }
  Status Commit() {
    DIVAUDIT_RETURN_IF_ERROR(db_.Exec("COMMIT"));
    open_ = false;
    return Status::Ok();
  }

 private:
  Db& db_;
  bool open_ = false;
};

}  // namespace

// ---------------------------------------------------------------------------------------------

bool SnapshotDiff::empty() const {
  return grants_added.empty() && grants_removed.empty() && memberships_added.empty() &&
         memberships_removed.empty() && users_moved.empty() && users_added.empty() &&
         users_removed.empty() && divisions_added.empty() && divisions_removed.empty() &&
         divisions_changed.empty() && clients_added.empty() && clients_removed.empty() &&
         clients_changed.empty();
}

namespace {

Result<int64_t> SweepHead(Db& db) {
  return db.QueryInt("SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'sweeps'), 0)");
}

Status SwitchToWal(Db& db) {
  DIVAUDIT_ASSIGN_OR_RETURN(Stmt wal, db.Prepare("PRAGMA journal_mode = WAL"));
  DIVAUDIT_ASSIGN_OR_RETURN(bool row, wal.Step());
  if (!row || wal.Text(0) != "wal") {
    return UnavailableError(db.path() + ": cannot switch to WAL mode (journal_mode=" +
                            (row ? wal.Text(0) : std::string("?")) + ")");
  }
  return Status::Ok();
}

// A reader cannot migrate: the file must be at this build's schema.
Status CheckReadableSchema(const std::string& path, int64_t version) {
  if (version == 0) {
    return FailedPreconditionError(path + " is not a divaudit database (schema version 0)");
  }
  if (version < kSchemaVersion) {
    return FailedPreconditionError(
        path + ": database schema version " + std::to_string(version) +
        " is older than this divaudit's (" + std::to_string(kSchemaVersion) +
        "); a read-only command does not migrate it: run `divaudit sweep` on it (or on a copy)");
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<SqliteSnapshotStore>> SqliteSnapshotStore::Open(const std::string& path,
                                                                       const Clock& clock,
                                                                       SqliteStoreOptions options) {
  std::unique_ptr<SqliteSnapshotStore> store(new SqliteSnapshotStore(clock));
  store->options_ = options;
  Db::Mode mode = Db::Mode::kReadWrite;
  if (options.read_only) {
    DIVAUDIT_RETURN_IF_ERROR(CheckReadableFile(path));
    // No -wal: no writer has the file open, so read the main file as it is (creating nothing).
    struct stat st {};
    mode = ::lstat((path + "-wal").c_str(), &st) == 0 ? Db::Mode::kReadOnly : Db::Mode::kImmutable;
  } else {
    DIVAUDIT_RETURN_IF_ERROR(PrepareWritableFile(path));
    if (options.writer_lock) {
      DIVAUDIT_ASSIGN_OR_RETURN(WriterLock lock, WriterLock::Acquire(path));
      store->lock_.emplace(std::move(lock));
    }
  }
  DIVAUDIT_ASSIGN_OR_RETURN(store->identity_, IdentityOf(path));
  Db& db = store->db_;
  DIVAUDIT_RETURN_IF_ERROR(db.Open(path, mode));
  sqlite3_busy_timeout(db.raw(), options.busy_timeout_ms);
  // Refuse a newer schema before changing anything in the file.
  DIVAUDIT_ASSIGN_OR_RETURN(int64_t version, db.QueryInt("PRAGMA user_version"));
  if (version > kSchemaVersion) return MigrateSchema(db);  // returns the precise error
  if (options.read_only) {
    DIVAUDIT_RETURN_IF_ERROR(CheckReadableSchema(path, version));
    DIVAUDIT_RETURN_IF_ERROR(db.Exec("PRAGMA query_only = ON; PRAGMA cache_size = -8192;"));
  } else {
    DIVAUDIT_RETURN_IF_ERROR(SwitchToWal(db));
    DIVAUDIT_RETURN_IF_ERROR(
        db.Exec("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA cache_size = -8192;"));
    DIVAUDIT_RETURN_IF_ERROR(MigrateSchema(db));
  }
  DIVAUDIT_ASSIGN_OR_RETURN(store->known_head_, SweepHead(db));
  return store;
}

Status SqliteSnapshotStore::CheckWritable() {
  if (options_.read_only) {
    return FailedPreconditionError(db_.path() + ": opened read-only; nothing can be written");
  }
  return CheckStillOpenedFile(db_.path(), identity_);
}

Status SqliteSnapshotStore::CheckOrg(const audit::SweepInfo& info) {
  if (info.org_id.empty()) return Status::Ok();  // the sweep did not read the org
  DIVAUDIT_ASSIGN_OR_RETURN(Stmt st, db_.Prepare("SELECT org_id FROM audited_org WHERE id = 1"));
  DIVAUDIT_ASSIGN_OR_RETURN(bool row, st.Step());
  if (row) {
    const std::string recorded = st.Text(0);
    if (recorded == info.org_id) return Status::Ok();
    return FailedPreconditionError("database " + db_.path() + " audits org " + recorded +
                                   "; this sweep read org " + info.org_id +
                                   "; refusing to commit (one database per org: give this org "
                                   "its own [storage] path)");
  }
  DIVAUDIT_ASSIGN_OR_RETURN(
      Stmt ins, db_.Prepare("INSERT INTO audited_org(id, org_id, recorded_at) VALUES(1, ?1, ?2)"));
  DIVAUDIT_RETURN_IF_ERROR(ins.Bind(1, info.org_id).Bind(2, info.started_at_unix).Run());
  return Status::Ok();
}

Result<CommitResult> SqliteSnapshotStore::CommitSweep(const audit::SweepInfo& info,
                                                      const audit::OrgSnapshot& snapshot,
                                                      const std::vector<Finding>& findings) {
  std::lock_guard<std::mutex> lock(mu_);
  const SteadyTime start = clock_.SteadyNow();
  Result<CommitResult> r = CommitLocked(info, snapshot, findings);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.SteadyNow() - start).count();
  auto log = GetLogger("storage");
  if (!r.ok()) {
    log->error("event=sweep_commit_failed status={} err=\"{}\"",
               audit::SweepStatusName(info.status), r.status().ToString());
  } else {
    log->info(
        "event=sweep_committed sweep_id={} status={} inserted={} closed={} new={} resolved={} "
        "reopened={} duration_ms={} content_hash={}",
        r->sweep_id, audit::SweepStatusName(info.status), r->rows_inserted, r->rows_closed,
        r->new_findings.size(), r->resolved_findings.size(), r->reopened_findings.size(), ms,
        r->content_hash);
  }
  return r;
}

Result<CommitResult> SqliteSnapshotStore::CommitLocked(const audit::SweepInfo& info,
                                                       const audit::OrgSnapshot& input,
                                                       const std::vector<Finding>& findings) {
  for (const Finding& f : findings) {
    if (f.fingerprint.empty() || f.state == FindingState::kResolved) {
      return InvalidArgumentError(db_.path() +
                                  ": findings must carry a fingerprint and be open or suppressed");
    }
  }
  const bool complete = info.status == audit::SweepStatus::kComplete;
  const bool failed = info.status == audit::SweepStatus::kFailed;
  CommitResult result;

  DIVAUDIT_RETURN_IF_ERROR(CheckWritable());
  Transaction tx(db_);
  DIVAUDIT_RETURN_IF_ERROR(tx.Begin("BEGIN IMMEDIATE"));
  DIVAUDIT_RETURN_IF_ERROR(CheckWritable());  // deleted or replaced while we waited
  DIVAUDIT_ASSIGN_OR_RETURN(const int64_t head, SweepHead(db_));
  if (head != known_head_) {
    const int64_t seen = known_head_;
    known_head_ = head;  // the next sweep starts after this refusal, from the newest state
    return FailedPreconditionError(
        "database " + db_.path() + ": sweep " + std::to_string(head) +
        " was committed by another writer after this sweep began (this divaudit had seen up to "
        "sweep " +
        std::to_string(seen) + "); refusing to commit a stale sweep over a newer one");
  }
  DIVAUDIT_RETURN_IF_ERROR(CheckOrg(info));

  // The previous link of the chain: the last sweep, else the prune anchor, else genesis.
  std::string prev_hash;
  {
    DIVAUDIT_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("SELECT content_hash FROM sweeps ORDER BY id DESC LIMIT 1"));
    DIVAUDIT_ASSIGN_OR_RETURN(bool row, st.Step());
    if (row) {
      prev_hash = st.Text(0);
    } else {
      DIVAUDIT_ASSIGN_OR_RETURN(Stmt an, db_.Prepare("SELECT last_pruned_hash FROM chain_anchor"));
      DIVAUDIT_ASSIGN_OR_RETURN(bool arow, an.Step());
      if (arow) prev_hash = an.Text(0);
    }
  }
  {
    DIVAUDIT_ASSIGN_OR_RETURN(
        Stmt st,
        db_.Prepare("INSERT INTO sweeps(started_at, finished_at, status, incomplete, requests, "
                    "retries, throttled, coverage, rule_set_version, unknown_subject_types, "
                    "content_hash) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, '')"));
    st.Bind(1, info.started_at_unix)
        .Bind(2, info.finished_at_unix)
        .Bind(3, audit::SweepStatusName(info.status))
        .Bind(4, StringArrayJson(info.incomplete))
        .Bind(5, info.api_requests)
        .Bind(6, info.retries)
        .Bind(7, info.throttled)
        .Bind(8, info.coverage_ratio)
        .Bind(9, audit::kRuleSetVersion)
        .Bind(10, CountMapJson(info.unknown_subject_types));
    DIVAUDIT_RETURN_IF_ERROR(st.Run());
    result.sweep_id = sqlite3_last_insert_rowid(db_.raw());
  }
  const int64_t sweep = result.sweep_id;
  const int64_t at = info.started_at_unix;
  IdDict dict;
  DIVAUDIT_RETURN_IF_ERROR(dict.Load(db_));

  if (!failed) {
    // genesys/ hands over canonical snapshots: copy (and sort) only when the input is not.
    std::optional<audit::OrgSnapshot> canonical_copy;
    if (!IsCanonical(input)) {
      canonical_copy = input;
      audit::Canonicalize(*canonical_copy);
    }
    const audit::OrgSnapshot& snapshot = canonical_copy ? *canonical_copy : input;
    const TableViewRows desired = SnapshotToViewRows(snapshot);
    // Memberships of groups present but not read are never closed.
    std::unordered_set<std::string> unread_groups;
    for (const auto& g : snapshot.groups) {
      if (!g.members_read) unread_groups.insert(g.id);
    }
    for (size_t ti = 0; ti < kTableCount; ++ti) {
      const TableSpec& t = Tables()[ti];
      if (t.all_ids()) {
        // Grants are read straight from the snapshot (no row of views for 500,000 grants).
        if (ti == kGrants) {
          const auto& g = snapshot.grants;
          DIVAUDIT_RETURN_IF_ERROR(CommitIdTable(
              db_, t, g.size(),
              [&g](size_t r, size_t c) -> std::string_view {
                switch (c) {
                  case 0:
                    return audit::SubjectTypeName(g[r].subject_type);
                  case 1:
                    return g[r].subject_id;
                  case 2:
                    return g[r].role_id;
                  default:
                    return g[r].division_id;
                }
              },
              nullptr, complete, sweep, dict, result));
        } else {
          const std::vector<ViewRow>& rows = desired[ti];
          DIVAUDIT_RETURN_IF_ERROR(CommitIdTable(
              db_, t, rows.size(), [&rows](size_t r, size_t c) { return rows[r][c]; },
              ti == kMemberships ? &unread_groups : nullptr, complete, sweep, dict, result));
        }
        continue;
      }
      const std::string cols = ColumnList(t);
      const size_t n = t.cols.size();
      struct Current {
        int64_t row_id;
        std::string_view attrs;  // in `arena`
        bool seen = false;
      };
      Arena arena;
      std::unordered_map<std::string_view, Current> current;  // keys in `arena`
      {
        DIVAUDIT_ASSIGN_OR_RETURN(int64_t live,
                                  db_.QueryInt(std::string("SELECT count(*) FROM ") + t.name +
                                               " WHERE valid_to_sweep IS NULL"));
        current.reserve(static_cast<size_t>(live));
        DIVAUDIT_ASSIGN_OR_RETURN(Stmt st, db_.Prepare("SELECT row_id, " + cols + " FROM " +
                                                       t.name + " WHERE valid_to_sweep IS NULL"));
        std::string key, attrs;
        while (true) {
          DIVAUDIT_ASSIGN_OR_RETURN(bool has, st.Step());
          if (!has) break;
          key.clear();
          attrs.clear();
          for (size_t c = 0; c < n; ++c) {
            const int col = static_cast<int>(c + 1);
            const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st.raw(), col));
            const std::string_view v(p == nullptr ? "" : p,
                                     static_cast<size_t>(sqlite3_column_bytes(st.raw(), col)));
            AppendField(c < t.key_count ? key : attrs, v);
          }
          current.emplace(arena.Copy(key), Current{st.Int(0), arena.Copy(attrs)});
        }
      }
      std::string insert_sql =
          std::string("INSERT INTO ") + t.name + "(valid_from_sweep, " + cols + ") VALUES(?1";
      for (size_t c = 0; c < n; ++c) insert_sql += ", ?" + std::to_string(c + 2);
      insert_sql += ")";
      const std::string close_sql =
          std::string("UPDATE ") + t.name + " SET valid_to_sweep = ?1 WHERE row_id = ?2";
      auto close_row = [&](int64_t row_id) -> Status {
        DIVAUDIT_ASSIGN_OR_RETURN(Stmt st, db_.Prepare(close_sql));
        st.Bind(1, sweep).Bind(2, row_id);
        DIVAUDIT_RETURN_IF_ERROR(st.Run());
        ++result.rows_closed;
        return Status::Ok();
      };
      std::string key, prev_key, attrs;
      bool first = true;
      for (const ViewRow& row : desired[ti]) {
        JoinFieldsInto(key, row, 0, t.key_count);
        if (!first && key == prev_key) continue;  // duplicate id in the snapshot: first one wins
        first = false;
        bool insert = true;
        auto it = current.find(std::string_view(key));
        if (it != current.end()) {
          JoinFieldsInto(attrs, row, t.key_count, n);
          if (it->second.attrs == attrs) {
            insert = false;
          } else if (complete) {
            DIVAUDIT_RETURN_IF_ERROR(close_row(it->second.row_id));
          } else {
            insert = false;  // a partial sweep never closes, so it cannot replace either
          }
          it->second.seen = true;
        }
        if (insert) {
          DIVAUDIT_ASSIGN_OR_RETURN(Stmt st, db_.Prepare(insert_sql));
          st.Bind(1, sweep);
          for (size_t c = 0; c < n; ++c) {
            if (t.cols[c].kind == Kind::kInt) {
              st.Bind(static_cast<int>(c + 2), static_cast<int64_t>(row[c] == "1" ? 1 : 0));
            } else {
              st.Bind(static_cast<int>(c + 2), row[c]);
            }
          }
          DIVAUDIT_RETURN_IF_ERROR(st.Run());
          ++result.rows_inserted;
        }
        std::swap(prev_key, key);
      }
      if (complete) {
        std::vector<int64_t> to_close;
        for (const auto& [k, cur] : current) {
          if (cur.seen) continue;
          to_close.push_back(cur.row_id);
        }
        std::sort(to_close.begin(), to_close.end());
        for (int64_t id : to_close) DIVAUDIT_RETURN_IF_ERROR(close_row(id));
      }
    }

    // Findings lifecycle.
    std::unordered_map<std::string, StoredFinding> stored;
    {
      DIVAUDIT_ASSIGN_OR_RETURN(Stmt st, db_.Prepare(std::string("SELECT fingerprint, state, ") +
                                                     kDisplayCols + " FROM findings"));
      while (true) {
        DIVAUDIT_ASSIGN_OR_RETURN(bool has, st.Step());
        if (!has) break;
        StoredFinding sf;
        sf.state = st.Text(1);
        for (size_t i = 0; i < sf.display.size(); ++i) {
          sf.display[i] = st.OptText(static_cast<int>(i + 2));
        }
        stored.emplace(st.Text(0), std::move(sf));
      }
    }
    auto add_event = [&](const std::string& fp, std::string_view event) -> Status {
      DIVAUDIT_ASSIGN_OR_RETURN(
          Stmt st, db_.Prepare("INSERT INTO findings_events(sweep_id, fingerprint, event) "
                               "VALUES(?1, ?2, ?3)"));
      st.Bind(1, sweep).Bind(2, fp).Bind(3, event);
      return st.Run();
    };
    std::vector<Finding> sorted = findings;
    std::sort(sorted.begin(), sorted.end(), audit::FindingLess);
    std::unordered_set<std::string> seen;
    for (Finding f : sorted) {
      if (!seen.insert(f.fingerprint).second) continue;
      const std::string state(audit::FindingStateName(f.state));
      const Display display = DisplayOf(f);
      auto it = stored.find(f.fingerprint);
      if (it == stored.end()) {
        DIVAUDIT_ASSIGN_OR_RETURN(
            Stmt st,
            db_.Prepare("INSERT INTO findings(fingerprint, rule, severity, subject_type, "
                        "subject_id, subject_name, role_id, role_name, division_id, "
                        "division_name, via_type, via_group_id, via_group_name, tenant, tenants, "
                        "home_division_id, home_division_name, home_tenant, first_seen_sweep, "
                        "first_seen_at, last_seen_sweep, last_seen_at, reopened_count, state, "
                        "exception_reason, exception_owner, exception_expires) VALUES(?1, ?2, "
                        "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
                        "?18, ?19, ?20, ?19, ?20, 0, ?21, ?22, ?23, ?24)"));
        st.Bind(1, f.fingerprint).Bind(2, audit::RuleName(f.rule)).Bind(3, display[0]);
        if (f.subject) {
          st.Bind(4, audit::SubjectTypeName(f.subject->type))
              .Bind(5, f.subject->id)
              .Bind(6, f.subject->name);
        } else {
          st.BindNull(4).BindNull(5).BindNull(6);
        }
        if (f.role) {
          st.Bind(7, f.role->id).Bind(8, f.role->name);
        } else {
          st.BindNull(7).BindNull(8);
        }
        if (f.division) {
          st.Bind(9, f.division->id).Bind(10, f.division->name);
        } else {
          st.BindNull(9).BindNull(10);
        }
        if (f.via) {
          st.Bind(11, f.via->direct ? "direct" : "group")
              .Bind(12, f.via->group_id)
              .Bind(13, f.via->group_name);
        } else {
          st.BindNull(11).BindNull(12).BindNull(13);
        }
        st.Bind(14, display[5]).Bind(15, display[6]).Bind(16, display[7]).Bind(17, display[8]);
        st.Bind(18, display[9]).Bind(19, sweep).Bind(20, at).Bind(21, state);
        st.Bind(22, display[10]).Bind(23, display[11]).Bind(24, display[12]);
        DIVAUDIT_RETURN_IF_ERROR(st.Run());
        DIVAUDIT_RETURN_IF_ERROR(add_event(f.fingerprint, "opened"));
        if (f.state == FindingState::kSuppressed) {
          DIVAUDIT_RETURN_IF_ERROR(add_event(f.fingerprint, "suppressed"));
        }
        result.new_by_rule[std::string(audit::RuleName(f.rule))]++;
        f.first_seen = Iso(at);
        result.new_findings.push_back(std::move(f));
        continue;
      }
      StoredFinding& sf = it->second;
      if (sf.state == "resolved") {
        DIVAUDIT_ASSIGN_OR_RETURN(
            Stmt st, db_.Prepare("UPDATE findings SET state = ?2, resolved_by_sweep = NULL, "
                                 "resolved_at = NULL, reopened_count = reopened_count + 1 "
                                 "WHERE fingerprint = ?1"));
        st.Bind(1, f.fingerprint).Bind(2, state);
        DIVAUDIT_RETURN_IF_ERROR(st.Run());
        DIVAUDIT_RETURN_IF_ERROR(add_event(f.fingerprint, "reopened"));
        if (f.state == FindingState::kSuppressed) {
          DIVAUDIT_RETURN_IF_ERROR(add_event(f.fingerprint, "suppressed"));
        }
        result.new_by_rule[std::string(audit::RuleName(f.rule))]++;
        result.reopened_findings.push_back(f);
      } else if (sf.state != state) {
        DIVAUDIT_ASSIGN_OR_RETURN(
            Stmt st, db_.Prepare("UPDATE findings SET state = ?2 WHERE fingerprint = ?1"));
        st.Bind(1, f.fingerprint).Bind(2, state);
        DIVAUDIT_RETURN_IF_ERROR(st.Run());
        DIVAUDIT_RETURN_IF_ERROR(add_event(
            f.fingerprint, f.state == FindingState::kSuppressed ? "suppressed" : "unsuppressed"));
      }
      if (sf.display != display) {
        DIVAUDIT_ASSIGN_OR_RETURN(
            Stmt st,
            db_.Prepare("UPDATE findings SET severity = ?2, subject_name = ?3, role_name = ?4, "
                        "division_name = ?5, via_group_name = ?6, tenant = ?7, tenants = ?8, "
                        "home_division_id = ?9, home_division_name = ?10, home_tenant = ?11, "
                        "exception_reason = ?12, exception_owner = ?13, exception_expires = ?14 "
                        "WHERE fingerprint = ?1"));
        st.Bind(1, f.fingerprint);
        for (size_t i = 0; i < display.size(); ++i) st.Bind(static_cast<int>(i + 2), display[i]);
        DIVAUDIT_RETURN_IF_ERROR(st.Run());
      }
      if (!complete) {
        DIVAUDIT_ASSIGN_OR_RETURN(
            Stmt st, db_.Prepare("UPDATE findings SET last_seen_sweep = ?2, last_seen_at = ?3 "
                                 "WHERE fingerprint = ?1"));
        st.Bind(1, f.fingerprint).Bind(2, sweep).Bind(3, at);
        DIVAUDIT_RETURN_IF_ERROR(st.Run());
      }
    }
    if (complete) {
      // Everything live that this complete sweep did not see is resolved.
      std::vector<std::string> to_resolve;
      for (const auto& [fp, sf] : stored) {
        if (sf.state != "resolved" && seen.count(fp) == 0) to_resolve.push_back(fp);
      }
      std::sort(to_resolve.begin(), to_resolve.end());
      for (const std::string& fp : to_resolve) {
        DIVAUDIT_ASSIGN_OR_RETURN(
            Stmt st, db_.Prepare("UPDATE findings SET state = 'resolved', resolved_by_sweep = ?2, "
                                 "resolved_at = ?3 WHERE fingerprint = ?1"));
        st.Bind(1, fp).Bind(2, sweep).Bind(3, at);
        DIVAUDIT_RETURN_IF_ERROR(st.Run());
        DIVAUDIT_RETURN_IF_ERROR(add_event(fp, "resolved"));
      }
      DIVAUDIT_ASSIGN_OR_RETURN(
          Stmt st, db_.Prepare("UPDATE findings SET last_seen_sweep = ?1, last_seen_at = ?2 "
                               "WHERE state != 'resolved'"));
      st.Bind(1, sweep).Bind(2, at);
      DIVAUDIT_RETURN_IF_ERROR(st.Run());
      DIVAUDIT_ASSIGN_OR_RETURN(Stmt rs,
                                db_.Prepare(std::string("SELECT ") + kFindingCols +
                                            " FROM findings WHERE resolved_by_sweep = ?1"));
      rs.Bind(1, sweep);
      while (true) {
        DIVAUDIT_ASSIGN_OR_RETURN(bool has, rs.Step());
        if (!has) break;
        FindingRecord rec = ReadFindingRow(rs);
        result.resolved_by_rule[std::string(audit::RuleName(rec.finding.rule))]++;
        result.resolved_findings.push_back(std::move(rec.finding));
      }
      std::sort(result.resolved_findings.begin(), result.resolved_findings.end(),
                audit::FindingLess);
    }
  }

  DIVAUDIT_ASSIGN_OR_RETURN(result.content_hash, ComputeSweepHash(db_, dict, sweep, prev_hash));
  {
    DIVAUDIT_ASSIGN_OR_RETURN(Stmt st,
                              db_.Prepare("UPDATE sweeps SET content_hash = ?2 WHERE id = ?1"));
    st.Bind(1, sweep).Bind(2, result.content_hash);
    DIVAUDIT_RETURN_IF_ERROR(st.Run());
  }
  DIVAUDIT_RETURN_IF_ERROR(tx.Commit());
  known_head_ = sweep;
  return result;
}

namespace {
constexpr const char* kSweepCols =
    "id, started_at, finished_at, status, incomplete, requests, retries, throttled, coverage, "
    "rule_set_version, unknown_subject_types, content_hash";

SweepRecord ReadSweepRow(const Stmt& st) {
  SweepRecord r;
  r.info.id = st.Int(0);
  r.info.started_at_unix = st.Int(1);
  r.info.finished_at_unix = st.Int(2);
  const std::string status = st.Text(3);
  r.info.status = status == "complete"  ? audit::SweepStatus::kComplete
                  : status == "partial" ? audit::SweepStatus::kPartial
                                        : audit::SweepStatus::kFailed;
  r.info.incomplete = ParseStringArray(st.Text(4));
  r.info.api_requests = st.Int(5);
  r.info.retries = st.Int(6);
  r.info.throttled = st.Int(7);
  r.info.coverage_ratio = st.Double(8);
  r.rule_set_version = static_cast<int>(st.Int(9));
  r.info.unknown_subject_types = ParseCountMap(st.Text(10));
  r.content_hash = st.Text(11);
  return r;
}
}  // namespace

Result<SweepRecord> SqliteSnapshotStore::ReadSweep(int64_t id) {
  DIVAUDIT_ASSIGN_OR_RETURN(
      Stmt st, db_.Prepare(std::string("SELECT ") + kSweepCols + " FROM sweeps WHERE id = ?1"));
  st.Bind(1, id);
  DIVAUDIT_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return NotFoundError(db_.path() + ": no sweep " + std::to_string(id));
  return ReadSweepRow(st);
}

Result<std::vector<SweepRecord>> SqliteSnapshotStore::ListSweeps(std::optional<int64_t> from_unix,
                                                                 std::optional<int64_t> to_unix) {
  std::lock_guard<std::mutex> lock(mu_);
  DIVAUDIT_ASSIGN_OR_RETURN(
      Stmt st, db_.Prepare(std::string("SELECT ") + kSweepCols +
                           " FROM sweeps WHERE started_at >= ?1 AND started_at <= ?2 ORDER BY id"));
  st.Bind(1, from_unix.value_or(INT64_MIN)).Bind(2, to_unix.value_or(INT64_MAX));
  std::vector<SweepRecord> out;
  while (true) {
    DIVAUDIT_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(ReadSweepRow(st));
  }
  return out;
}

Result<SweepRecord> SqliteSnapshotStore::LastCompleteSweep() {
  std::lock_guard<std::mutex> lock(mu_);
  DIVAUDIT_ASSIGN_OR_RETURN(
      Stmt st, db_.Prepare(std::string("SELECT ") + kSweepCols +
                           " FROM sweeps WHERE status = 'complete' ORDER BY id DESC LIMIT 1"));
  DIVAUDIT_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return NotFoundError(db_.path() + ": no complete sweep stored");
  return ReadSweepRow(st);
}

Result<audit::OrgSnapshot> SqliteSnapshotStore::SnapshotAt(int64_t sweep_id) {
  std::lock_guard<std::mutex> lock(mu_);
  Transaction tx(db_);
  DIVAUDIT_RETURN_IF_ERROR(tx.Begin("BEGIN"));
  DIVAUDIT_ASSIGN_OR_RETURN(audit::OrgSnapshot s, SnapshotAtLocked(sweep_id));
  DIVAUDIT_RETURN_IF_ERROR(tx.Commit());
  return s;
}

Result<audit::OrgSnapshot> SqliteSnapshotStore::SnapshotAtLocked(int64_t sweep_id) {
  DIVAUDIT_ASSIGN_OR_RETURN(SweepRecord sweep, ReadSweep(sweep_id));
  if (sweep.info.status != audit::SweepStatus::kComplete) {
    return FailedPreconditionError(db_.path() + ": sweep " + std::to_string(sweep_id) + " is " +
                                   std::string(audit::SweepStatusName(sweep.info.status)) +
                                   "; only complete sweeps can be reconstructed");
  }
  IdDict dict;
  DIVAUDIT_RETURN_IF_ERROR(dict.Load(db_));
  TableRows rows;
  for (size_t ti = 0; ti < kTableCount; ++ti) {
    const TableSpec& t = Tables()[ti];
    DIVAUDIT_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("SELECT " + ColumnList(t) + " FROM " + t.name +
                             " WHERE (valid_from_sweep IS NULL OR valid_from_sweep <= ?1) AND "
                             "(valid_to_sweep IS NULL OR valid_to_sweep > ?1) ORDER BY row_id"));
    st.Bind(1, sweep_id);
    while (true) {
      DIVAUDIT_ASSIGN_OR_RETURN(bool has, st.Step());
      if (!has) break;
      Row row(t.cols.size());
      for (size_t c = 0; c < row.size(); ++c) {
        row[c] = ReadColumn(st.raw(), static_cast<int>(c), t.cols[c].kind, dict);
      }
      rows[ti].push_back(std::move(row));
    }
  }
  return RowsToSnapshot(rows);
}

Result<std::vector<FindingRecord>> SqliteSnapshotStore::QueryFindings(const FindingFilter& filter) {
  std::lock_guard<std::mutex> lock(mu_);
  DIVAUDIT_ASSIGN_OR_RETURN(Stmt st, db_.Prepare(std::string("SELECT ") + kFindingCols +
                                                 " FROM findings WHERE (?1 IS NULL OR rule = ?1)"));
  if (filter.rule) {
    st.Bind(1, audit::RuleName(*filter.rule));
  } else {
    st.BindNull(1);
  }
  std::vector<FindingRecord> out;
  while (true) {
    DIVAUDIT_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    FindingRecord r = ReadFindingRow(st);
    const Finding& f = r.finding;
    if (!filter.states.empty() &&
        std::find(filter.states.begin(), filter.states.end(), f.state) == filter.states.end()) {
      continue;
    }
    if (filter.tenant) {
      const std::string& t = *filter.tenant;
      const bool match = (f.tenant && *f.tenant == t) || (f.home_tenant && *f.home_tenant == t) ||
                         std::find(f.tenants.begin(), f.tenants.end(), t) != f.tenants.end();
      if (!match) continue;
    }
    out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(), [](const FindingRecord& a, const FindingRecord& b) {
    return audit::FindingLess(a.finding, b.finding);
  });
  return out;
}

Result<SnapshotDiff> SqliteSnapshotStore::Diff(int64_t from_sweep, int64_t to_sweep) {
  std::lock_guard<std::mutex> lock(mu_);
  Transaction tx(db_);
  DIVAUDIT_RETURN_IF_ERROR(tx.Begin("BEGIN"));
  DIVAUDIT_ASSIGN_OR_RETURN(audit::OrgSnapshot a, SnapshotAtLocked(from_sweep));
  DIVAUDIT_ASSIGN_OR_RETURN(audit::OrgSnapshot b, SnapshotAtLocked(to_sweep));
  DIVAUDIT_RETURN_IF_ERROR(tx.Commit());

  SnapshotDiff d;
  d.from_sweep = from_sweep;
  d.to_sweep = to_sweep;
  for (const auto* s : {&a, &b}) {
    for (const auto& x : s->divisions) d.names[x.id] = x.name;
    for (const auto& x : s->roles) d.names[x.id] = x.name;
    for (const auto& x : s->users) d.names[x.id] = x.name;
    for (const auto& x : s->groups) d.names[x.id] = x.name;
    for (const auto& x : s->oauth_clients) d.names[x.id] = x.name;
    for (const auto& x : s->external_subjects) d.names[x.id] = x.name;
  }
  std::set_difference(b.grants.begin(), b.grants.end(), a.grants.begin(), a.grants.end(),
                      std::back_inserter(d.grants_added));
  std::set_difference(a.grants.begin(), a.grants.end(), b.grants.begin(), b.grants.end(),
                      std::back_inserter(d.grants_removed));

  auto members_of = [](const audit::OrgSnapshot& s) {
    std::map<std::string, const audit::Group*> read;
    for (const auto& g : s.groups) {
      if (g.members_read) read[g.id] = &g;
    }
    return read;
  };
  const auto ma = members_of(a);
  const auto mb = members_of(b);
  std::set<Membership> sa, sb;
  for (const auto& [id, g] : ma) {
    if (mb.count(id) == 0) continue;
    for (const auto& m : g->member_ids) sa.insert({id, m});
  }
  for (const auto& [id, g] : mb) {
    if (ma.count(id) == 0) continue;
    for (const auto& m : g->member_ids) sb.insert({id, m});
  }
  std::set_difference(sb.begin(), sb.end(), sa.begin(), sa.end(),
                      std::back_inserter(d.memberships_added));
  std::set_difference(sa.begin(), sa.end(), sb.begin(), sb.end(),
                      std::back_inserter(d.memberships_removed));

  // Objects keyed by id: added, removed, changed.
  auto by_id = [](const auto& vec) {
    std::map<std::string, const std::remove_cvref_t<decltype(vec[0])>*> m;
    for (const auto& x : vec) m[x.id] = &x;
    return m;
  };
  const auto ua = by_id(a.users);
  const auto ub = by_id(b.users);
  for (const auto& [id, u] : ub) {
    auto it = ua.find(id);
    if (it == ua.end()) {
      d.users_added.push_back(*u);
    } else if (it->second->home_division_id != u->home_division_id) {
      d.users_moved.push_back({id, u->name, it->second->home_division_id, u->home_division_id});
    }
  }
  for (const auto& [id, u] : ua) {
    if (ub.count(id) == 0) d.users_removed.push_back(*u);
  }
  const auto da = by_id(a.divisions);
  const auto db = by_id(b.divisions);
  for (const auto& [id, x] : db) {
    auto it = da.find(id);
    if (it == da.end()) {
      d.divisions_added.push_back(*x);
    } else if (!(*it->second == *x)) {
      d.divisions_changed.emplace_back(*it->second, *x);
    }
  }
  for (const auto& [id, x] : da) {
    if (db.count(id) == 0) d.divisions_removed.push_back(*x);
  }
  const auto ca = by_id(a.oauth_clients);
  const auto cb = by_id(b.oauth_clients);
  for (const auto& [id, x] : cb) {
    auto it = ca.find(id);
    if (it == ca.end()) {
      d.clients_added.push_back(*x);
    } else if (!(*it->second == *x)) {
      d.clients_changed.emplace_back(*it->second, *x);
    }
  }
  for (const auto& [id, x] : ca) {
    if (cb.count(id) == 0) d.clients_removed.push_back(*x);
  }
  return d;
}

Result<VerifyResult> SqliteSnapshotStore::Verify() {
  std::lock_guard<std::mutex> lock(mu_);
  VerifyResult v;
  auto fail = [&v](std::string problem, std::optional<int64_t> sweep) {
    v.ok = false;
    v.problems.push_back(std::move(problem));
    if (sweep && !v.first_bad_sweep) v.first_bad_sweep = sweep;
  };
  Transaction tx(db_);
  DIVAUDIT_RETURN_IF_ERROR(tx.Begin("BEGIN"));
  {
    DIVAUDIT_ASSIGN_OR_RETURN(Stmt st, db_.Prepare("PRAGMA integrity_check"));
    while (true) {
      DIVAUDIT_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      if (st.Text(0) != "ok") fail("integrity_check: " + st.Text(0), std::nullopt);
    }
  }
  {
    DIVAUDIT_ASSIGN_OR_RETURN(Stmt st, db_.Prepare("PRAGMA foreign_key_check"));
    while (true) {
      DIVAUDIT_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      fail("foreign_key_check: table " + st.Text(0) + " row " + st.Text(1) + " references a " +
               "missing row of " + st.Text(2),
           std::nullopt);
    }
  }
  IdDict dict;
  DIVAUDIT_RETURN_IF_ERROR(dict.Load(db_));
  std::string prev_hash;
  int64_t expected_id = 1;
  {
    DIVAUDIT_ASSIGN_OR_RETURN(
        Stmt st,
        db_.Prepare("SELECT last_pruned_sweep, last_pruned_hash, base_digest FROM chain_anchor"));
    DIVAUDIT_ASSIGN_OR_RETURN(bool row, st.Step());
    if (row) {
      expected_id = st.Int(0) + 1;
      prev_hash = st.Text(1);
      const std::string stored_digest = st.Text(2);
      DIVAUDIT_ASSIGN_OR_RETURN(std::string digest, ComputeAnchorDigest(db_, dict));
      if (digest != stored_digest) {
        fail("chain anchor: rows kept from pruned sweeps (up to " + std::to_string(st.Int(0)) +
                 ") were modified",
             expected_id);
      }
    }
  }
  std::vector<std::pair<int64_t, std::string>> sweeps;
  {
    DIVAUDIT_ASSIGN_OR_RETURN(Stmt st,
                              db_.Prepare("SELECT id, content_hash FROM sweeps ORDER BY id"));
    while (true) {
      DIVAUDIT_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      sweeps.emplace_back(st.Int(0), st.Text(1));
    }
  }
  bool chain_ok = true;
  for (const auto& [id, stored_hash] : sweeps) {
    ++v.sweeps_checked;
    if (id != expected_id) {
      fail("sweep " + std::to_string(expected_id) + " is missing (next stored sweep is " +
               std::to_string(id) + ")",
           expected_id);
      chain_ok = false;
      break;
    }
    DIVAUDIT_ASSIGN_OR_RETURN(std::string hash, ComputeSweepHash(db_, dict, id, prev_hash));
    if (hash != stored_hash) {
      fail("sweep " + std::to_string(id) +
               ": content hash mismatch (the sweep row or a row it wrote was edited, deleted or "
               "reordered)",
           id);
      chain_ok = false;
      break;
    }
    prev_hash = stored_hash;
    ++expected_id;
  }
  v.head_hash = sweeps.empty() ? prev_hash : sweeps.back().second;
  if (chain_ok) {
    DIVAUDIT_ASSIGN_OR_RETURN(
        int64_t seq, db_.QueryInt("SELECT seq FROM sqlite_sequence WHERE name = 'sweeps'"));
    if (seq >= expected_id) {
      fail("sweep " + std::to_string(expected_id) + " is missing (sweep ids reached " +
               std::to_string(seq) + ")",
           expected_id);
    }
  }
  {
    // A finding's state must be the one its last event implies.
    DIVAUDIT_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("SELECT f.fingerprint, f.state, e.event, e.sweep_id FROM findings f "
                             "JOIN findings_events e ON e.id = (SELECT max(id) FROM "
                             "findings_events WHERE fingerprint = f.fingerprint)"));
    while (true) {
      DIVAUDIT_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      if (EventStateAfter(st.Text(2)) != st.Text(1)) {
        fail("finding " + st.Text(0) + ": state '" + st.Text(1) + "' contradicts its last event '" +
                 st.Text(2) + "'",
             std::nullopt);
      }
    }
  }
  DIVAUDIT_RETURN_IF_ERROR(tx.Commit());
  return v;
}

Result<PruneResult> SqliteSnapshotStore::Prune(std::chrono::seconds retention, int64_t now_unix) {
  std::lock_guard<std::mutex> lock(mu_);
  PruneResult r;
  const int64_t cutoff = now_unix - retention.count();
  DIVAUDIT_RETURN_IF_ERROR(CheckWritable());
  Transaction tx(db_);
  DIVAUDIT_RETURN_IF_ERROR(tx.Begin("BEGIN IMMEDIATE"));
  // Oldest kept sweep: the first one started at/after the cutoff, but never past the last
  // complete sweep (the current state must stay reconstructible).
  DIVAUDIT_ASSIGN_OR_RETURN(
      int64_t first_recent,
      db_.QueryInt("SELECT coalesce(min(id), 0) FROM sweeps WHERE started_at >= " +
                   std::to_string(cutoff)));
  DIVAUDIT_ASSIGN_OR_RETURN(
      int64_t last_complete,
      db_.QueryInt("SELECT coalesce(max(id), 0) FROM sweeps WHERE status = 'complete'"));
  int64_t keep = first_recent;
  if (keep == 0 || (last_complete != 0 && last_complete < keep)) keep = last_complete;
  if (keep == 0) {
    DIVAUDIT_RETURN_IF_ERROR(tx.Commit());
    return r;  // nothing safe to prune
  }
  DIVAUDIT_ASSIGN_OR_RETURN(
      int64_t last_pruned,
      db_.QueryInt("SELECT coalesce(max(id), 0) FROM sweeps WHERE id < " + std::to_string(keep)));
  if (last_pruned == 0) {
    DIVAUDIT_RETURN_IF_ERROR(tx.Commit());
    return r;
  }
  const std::string p = std::to_string(last_pruned);
  std::string last_pruned_hash;
  {
    DIVAUDIT_ASSIGN_OR_RETURN(Stmt st,
                              db_.Prepare("SELECT content_hash FROM sweeps WHERE id = ?1"));
    st.Bind(1, last_pruned);
    DIVAUDIT_ASSIGN_OR_RETURN(bool row, st.Step());
    if (row) last_pruned_hash = st.Text(0);
  }
  for (const TableSpec& t : Tables()) {
    DIVAUDIT_RETURN_IF_ERROR(
        db_.Exec(std::string("DELETE FROM ") + t.name + " WHERE valid_to_sweep <= " + p));
    r.rows_deleted += db_.Changes();
    DIVAUDIT_RETURN_IF_ERROR(
        db_.Exec(std::string("UPDATE ") + t.name +
                 " SET valid_from_sweep = NULL WHERE valid_from_sweep <= " + p));
    r.rows_rebased += db_.Changes();
  }
  // Findings resolved within the pruned range go; the others keep only their latest pruned
  // event (rebased onto the anchor) so that their state stays checkable.
  DIVAUDIT_RETURN_IF_ERROR(db_.Exec(
      "DELETE FROM findings_events WHERE fingerprint IN (SELECT fingerprint FROM findings WHERE "
      "state = 'resolved' AND resolved_by_sweep <= " +
      p + ")"));
  DIVAUDIT_RETURN_IF_ERROR(
      db_.Exec("DELETE FROM findings WHERE state = 'resolved' AND resolved_by_sweep <= " + p));
  r.findings_deleted = db_.Changes();
  DIVAUDIT_RETURN_IF_ERROR(
      db_.Exec("DELETE FROM findings_events WHERE (sweep_id IS NULL OR sweep_id <= " + p +
               ") AND id NOT IN (SELECT max(id) FROM findings_events WHERE sweep_id IS NULL OR "
               "sweep_id <= " +
               p + " GROUP BY fingerprint)"));
  DIVAUDIT_RETURN_IF_ERROR(
      db_.Exec("UPDATE findings_events SET sweep_id = NULL WHERE sweep_id <= " + p));
  DIVAUDIT_RETURN_IF_ERROR(
      db_.Exec("UPDATE findings SET first_seen_sweep = NULL WHERE first_seen_sweep <= " + p +
               "; UPDATE findings SET last_seen_sweep = NULL WHERE last_seen_sweep <= " + p +
               "; UPDATE findings SET resolved_by_sweep = NULL WHERE resolved_by_sweep <= " + p));
  DIVAUDIT_RETURN_IF_ERROR(db_.Exec("DELETE FROM sweeps WHERE id <= " + p));
  r.sweeps_deleted = db_.Changes();
  IdDict dict;
  DIVAUDIT_RETURN_IF_ERROR(dict.Load(db_));
  DIVAUDIT_ASSIGN_OR_RETURN(std::string digest, ComputeAnchorDigest(db_, dict));
  {
    DIVAUDIT_ASSIGN_OR_RETURN(
        Stmt st,
        db_.Prepare("INSERT OR REPLACE INTO chain_anchor(id, last_pruned_sweep, "
                    "last_pruned_hash, base_digest, pruned_at) VALUES(1, ?1, ?2, ?3, ?4)"));
    st.Bind(1, last_pruned)
        .Bind(2, last_pruned_hash)
        .Bind(3, digest)
        .Bind(4, ToUnixSeconds(clock_.Now()));
    DIVAUDIT_RETURN_IF_ERROR(st.Run());
  }
  DIVAUDIT_RETURN_IF_ERROR(tx.Commit());
  r.anchor_sweep = last_pruned;
  GetLogger("storage")->info(
      "event=pruned anchor_sweep={} sweeps_deleted={} rows_deleted={} rows_rebased={}", last_pruned,
      r.sweeps_deleted, r.rows_deleted, r.rows_rebased);
  return r;
}

namespace {
int64_t DayOf(int64_t unix_seconds) {
  return unix_seconds >= 0 ? unix_seconds / 86400 : (unix_seconds - 86399) / 86400;
}
std::string DateOfDay(int64_t day) { return Iso(day * 86400).substr(0, 10); }
}  // namespace

Result<std::vector<DayFindings>> SqliteSnapshotStore::FindingsHistoryByDay(
    int64_t from_unix, int64_t to_unix, const std::optional<std::string>& tenant) {
  std::lock_guard<std::mutex> lock(mu_);
  DIVAUDIT_ASSIGN_OR_RETURN(
      Stmt st, db_.Prepare("SELECT coalesce(s.started_at, 0), e.fingerprint, e.event, f.tenant, "
                           "f.home_tenant, f.tenants FROM findings_events e JOIN findings f ON "
                           "f.fingerprint = e.fingerprint LEFT JOIN sweeps s ON s.id = e.sweep_id "
                           "ORDER BY e.id"));
  const int64_t first_day = DayOf(from_unix);
  const int64_t last_day = DayOf(to_unix);
  std::vector<DayFindings> days;
  for (int64_t d = first_day; d <= last_day && days.size() < 100000; ++d) {
    days.push_back(DayFindings{DateOfDay(d), 0, 0, 0, 0, 0});
  }
  std::unordered_map<std::string, std::string> state;
  int64_t open = 0, suppressed = 0;
  int64_t filled_through = first_day - 1;  // days <= this have their end-of-day counts
  auto fill_until = [&](int64_t day) {     // day exclusive
    for (int64_t d = std::max(filled_through + 1, first_day); d < day && d <= last_day; ++d) {
      days[static_cast<size_t>(d - first_day)].open_at_end = open;
      days[static_cast<size_t>(d - first_day)].suppressed_at_end = suppressed;
      filled_through = d;
    }
  };
  while (true) {
    DIVAUDIT_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    if (tenant) {
      const auto tenants = ParseStringArray(st.Text(5));
      if (st.OptText(3) != tenant && st.OptText(4) != tenant &&
          std::find(tenants.begin(), tenants.end(), *tenant) == tenants.end()) {
        continue;
      }
    }
    const int64_t day = DayOf(st.Int(0));
    fill_until(day);
    const std::string event = st.Text(2);
    std::string& s = state[st.Text(1)];
    if (s == "open") --open;
    if (s == "suppressed") --suppressed;
    s = std::string(EventStateAfter(event));
    if (s == "open") ++open;
    if (s == "suppressed") ++suppressed;
    if (day >= first_day && day <= last_day) {
      DayFindings& df = days[static_cast<size_t>(day - first_day)];
      if (event == "opened") ++df.opened;
      if (event == "reopened") ++df.reopened;
      if (event == "resolved") ++df.resolved;
    }
  }
  fill_until(last_day + 1);
  return days;
}

Result<std::vector<FindingEvent>> SqliteSnapshotStore::FindingEvents(int64_t from_unix,
                                                                     int64_t to_unix) {
  std::lock_guard<std::mutex> lock(mu_);
  DIVAUDIT_ASSIGN_OR_RETURN(
      Stmt st, db_.Prepare("SELECT e.sweep_id, s.started_at, e.fingerprint, e.event FROM "
                           "findings_events e JOIN sweeps s ON s.id = e.sweep_id WHERE "
                           "s.started_at >= ?1 AND s.started_at <= ?2 ORDER BY e.id"));
  st.Bind(1, from_unix).Bind(2, to_unix);
  std::vector<FindingEvent> out;
  while (true) {
    DIVAUDIT_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back({st.Int(0), st.Int(1), st.Text(2), st.Text(3)});
  }
  return out;
}

Result<std::vector<ExceptionSeen>> SqliteSnapshotStore::ExceptionsSeen() {
  std::lock_guard<std::mutex> lock(mu_);
  DIVAUDIT_ASSIGN_OR_RETURN(
      Stmt st, db_.Prepare("SELECT exception_reason, exception_owner, exception_expires, "
                           "fingerprint FROM findings WHERE exception_reason IS NOT NULL ORDER BY "
                           "exception_owner, exception_reason, exception_expires, fingerprint"));
  std::vector<ExceptionSeen> out;
  while (true) {
    DIVAUDIT_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    audit::ExceptionRef e{st.Text(0), st.Text(1), st.Text(2)};
    if (out.empty() || !(out.back().exception == e)) out.push_back({e, {}});
    out.back().fingerprints.push_back(st.Text(3));
  }
  return out;
}

}  // namespace divaudit::storage
