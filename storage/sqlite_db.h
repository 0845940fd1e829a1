#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace divaudit::storage {

// Maps a SQLite result code to a Status naming `path` and `what`: SQLITE_BUSY/LOCKED →
// kUnavailable, SQLITE_FULL → kResourceExhausted, SQLITE_CORRUPT/NOTADB → kDataLoss,
// SQLITE_CANTOPEN/PERM/READONLY → kPermissionDenied, anything else → kInternal.
Status SqliteError(int rc, std::string_view path, std::string_view what, sqlite3* db = nullptr);

// A prepared statement bound to a Db's cache. Reset on destruction of the handle (so a cached
// statement can be reused). Thread-compatible; owned by the Db that prepared it.
class Stmt {
 public:
  Stmt(sqlite3_stmt* stmt, const std::string* path) : stmt_(stmt), path_(path) {}
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt(Stmt&& o) noexcept : stmt_(o.stmt_), path_(o.path_), bind_rc_(o.bind_rc_) {
    o.stmt_ = nullptr;
  }
  ~Stmt() {
    if (stmt_ != nullptr) {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
    }
  }

  // Binds by 1-based index. Strings are copied (SQLITE_TRANSIENT). Every sqlite3_bind_* result
  // is checked: the first failure (a bad index, a string over SQLite's limit, no memory) is
  // kept and returned by the next Step/Run, so nothing runs with a missing value.
  Stmt& Bind(int i, std::string_view v);
  // Binds text without copying it (SQLITE_STATIC): `v` must stay valid until this parameter is
  // bound again or the statement is destroyed.
  Stmt& BindUnowned(int i, std::string_view v);
  Stmt& Bind(int i, const char* v) { return Bind(i, std::string_view(v)); }
  Stmt& Bind(int i, const std::string& v) { return Bind(i, std::string_view(v)); }
  Stmt& Bind(int i, int64_t v);
  Stmt& Bind(int i, int v) { return Bind(i, static_cast<int64_t>(v)); }
  Stmt& Bind(int i, bool v) { return Bind(i, static_cast<int64_t>(v ? 1 : 0)); }
  Stmt& Bind(int i, double v);
  Stmt& BindNull(int i);
  Stmt& Bind(int i, const std::optional<std::string>& v) {
    return v ? Bind(i, std::string_view(*v)) : BindNull(i);
  }
  Stmt& Bind(int i, const std::optional<int64_t>& v) { return v ? Bind(i, *v) : BindNull(i); }

  // Clears the bindings' error and resets the statement for another row of binds.
  void Reset() {
    sqlite3_reset(stmt_);
    bind_rc_ = SQLITE_OK;
  }
  // Steps once: true when a row is available, false when done; errors map via SqliteError
  // (a failed bind since the last Reset is returned first).
  Result<bool> Step();
  // Steps to completion, expecting no rows.
  Status Run();

  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  double Double(int col) const { return sqlite3_column_double(stmt_, col); }
  std::string Text(int col) const;
  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::optional<std::string> OptText(int col) const {
    if (IsNull(col)) return std::nullopt;
    return Text(col);
  }
  std::optional<int64_t> OptInt(int col) const {
    if (IsNull(col)) return std::nullopt;
    return Int(col);
  }
  int ColumnCount() const { return sqlite3_column_count(stmt_); }
  sqlite3_stmt* raw() { return stmt_; }

 private:
  Stmt& Check(int rc, int i);

  sqlite3_stmt* stmt_;
  const std::string* path_;
  int bind_rc_ = SQLITE_OK;  // first failed sqlite3_bind_* since the last Reset
  int bind_index_ = 0;
};

// One SQLite connection with a cache of prepared statements keyed by SQL text.
// Not thread-safe: one thread at a time (the store serialises access).
class Db {
 public:
  Db() = default;
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  enum class Mode {
    kReadWrite,  // the file must exist
    kReadOnly,   // SQLITE_OPEN_READONLY: reads a writer's WAL (uses its -shm)
    // Read-only and `immutable`: reads the main file only, takes no locks and creates no
    // -wal/-shm. Only when no writer has the file open (no -wal file exists).
    kImmutable,
  };
  // Opens an existing `path`; a symbolic link is refused (SQLITE_OPEN_NOFOLLOW).
  Status Open(const std::string& path, Mode mode);
  void Close();

  // Executes one or more statements without results.
  Status Exec(std::string_view sql);
  // Returns a cached prepared statement for `sql` (prepared on first use).
  Result<Stmt> Prepare(const std::string& sql);
  // First column of the first row of `sql` as int64 (0 when there is no row); with `arg`, bound
  // to ?1.
  Result<int64_t> QueryInt(const std::string& sql, std::optional<int64_t> arg = std::nullopt);

  sqlite3* raw() { return db_; }
  const std::string& path() const { return path_; }
  int64_t Changes() const { return sqlite3_changes64(db_); }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
  std::map<std::string, sqlite3_stmt*, std::less<>> cache_;
};

// Rolls back an open transaction unless committed.
class Transaction {
 public:
  explicit Transaction(Db& db) : db_(db) {}
  ~Transaction() {
    if (open_) (void)db_.Exec("ROLLBACK");
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  // "BEGIN" (a read snapshot) or "BEGIN IMMEDIATE" (the write lock).
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

// Column `col` of the current row as a view (valid until the next step).
inline std::string_view ColumnView(sqlite3_stmt* st, int col) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, col));
  return {p == nullptr ? "" : p, static_cast<size_t>(sqlite3_column_bytes(st, col))};
}

// Inserts `count` rows of `cols` values into `table_and_columns` with multi-row INSERTs of
// kBatchRows rows (one statement per row costs a VDBE start and halt each). bind(stmt,
// first_param, row) binds the row's values from parameter first_param on.
inline constexpr size_t kBatchRows = 100;
std::string MultiRowInsertSql(const std::string& table_and_columns, size_t cols, size_t rows);
template <typename BindRow>
Status BatchInsert(Db& db, const std::string& table_and_columns, size_t cols, size_t count,
                   const BindRow& bind) {
  size_t row = 0;
  if (count >= kBatchRows) {
    DIVAUDIT_ASSIGN_OR_RETURN(Stmt st,
                              db.Prepare(MultiRowInsertSql(table_and_columns, cols, kBatchRows)));
    for (; row + kBatchRows <= count; row += kBatchRows) {
      st.Reset();
      for (size_t r = 0; r < kBatchRows; ++r) bind(st, static_cast<int>(r * cols + 1), row + r);
      DIVAUDIT_RETURN_IF_ERROR(st.Run());
    }
  }
  if (row < count) {
    DIVAUDIT_ASSIGN_OR_RETURN(Stmt st, db.Prepare(MultiRowInsertSql(table_and_columns, cols, 1)));
    for (; row < count; ++row) {
      st.Reset();
      bind(st, 1, row);
      DIVAUDIT_RETURN_IF_ERROR(st.Run());
    }
  }
  return Status::Ok();
}

}  // namespace divaudit::storage
