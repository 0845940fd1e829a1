#include "storage/sqlite_db.h"

#include <cctype>
#include <string>

namespace divaudit::storage {

Status SqliteError(int rc, std::string_view path, std::string_view what, sqlite3* db) {
  std::string msg = std::string(path) + ": " + std::string(what) + ": ";
  msg += (db != nullptr) ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return UnavailableError(msg + " (database is busy)");
    case SQLITE_FULL:
      return ResourceExhaustedError(msg + " (disk full)");
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return DataLossError(msg);
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
      return PermissionDeniedError(msg);
    case SQLITE_IOERR:
      return UnavailableError(msg + " (I/O error)");
    default:
      return InternalError(msg);
  }
}

Stmt& Stmt::Check(int rc, int i) {
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) {
    bind_rc_ = rc;
    bind_index_ = i;
  }
  return *this;
}
Stmt& Stmt::Bind(int i, std::string_view v) {
  if (v.size() > static_cast<size_t>(INT32_MAX)) return Check(SQLITE_TOOBIG, i);
  return Check(sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT),
               i);
}
Stmt& Stmt::BindUnowned(int i, std::string_view v) {
  if (v.size() > static_cast<size_t>(INT32_MAX)) return Check(SQLITE_TOOBIG, i);
  return Check(sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC), i);
}
Stmt& Stmt::Bind(int i, int64_t v) { return Check(sqlite3_bind_int64(stmt_, i, v), i); }
Stmt& Stmt::Bind(int i, double v) { return Check(sqlite3_bind_double(stmt_, i, v), i); }
Stmt& Stmt::BindNull(int i) { return Check(sqlite3_bind_null(stmt_, i), i); }

Result<bool> Stmt::Step() {
  if (bind_rc_ != SQLITE_OK) {
    return SqliteError(bind_rc_, *path_,
                       "bind parameter " + std::to_string(bind_index_) + " of " +
                           std::string(sqlite3_sql(stmt_)).substr(0, 80));
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3* db = sqlite3_db_handle(stmt_);
  return SqliteError(rc, *path_, sqlite3_sql(stmt_), db);
}

Status Stmt::Run() {
  while (true) {
    DIVAUDIT_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status::Ok();
  }
}

std::string Stmt::Text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  if (p == nullptr) return {};
  return std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

Db::~Db() { Close(); }

void Db::Close() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  cache_.clear();
  if (db_ != nullptr) {
    sqlite3_close_v2(db_);
    db_ = nullptr;
  }
}

namespace {
// A file: URI for `path` (every byte but [A-Za-z0-9/._-] percent-encoded).
std::string FileUri(const std::string& path, std::string_view query) {
  std::string uri = "file:";
  for (unsigned char c : path) {
    if (std::isalnum(c) != 0 || c == '/' || c == '.' || c == '_' || c == '-') {
      uri += static_cast<char>(c);
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      uri += '%';
      uri += kHex[c >> 4];
      uri += kHex[c & 15];
    }
  }
  uri += '?';
  uri += query;
  return uri;
}
}  // namespace

Status Db::Open(const std::string& path, Mode mode) {
  // Before SQLite initializes (the first open): no allocation statistics, which take a global
  // mutex on every SQLite malloc and free. divaudit reads none of them. Too late (SQLite was
  // initialized elsewhere first) is harmless: the statistics stay on.
  static const int kMemStatusOff = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)kMemStatusOff;
  Close();
  path_ = path;
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_URI;
  std::string uri;
  switch (mode) {
    case Mode::kReadWrite:
      flags |= SQLITE_OPEN_READWRITE;
      uri = FileUri(path, "mode=rw");
      break;
    case Mode::kReadOnly:
      flags |= SQLITE_OPEN_READONLY;
      uri = FileUri(path, "mode=ro");
      break;
    case Mode::kImmutable:
      flags |= SQLITE_OPEN_READONLY;
      uri = FileUri(path, "mode=ro&immutable=1");
      break;
  }
  const int rc = sqlite3_open_v2(uri.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status s = SqliteError(rc, path, "open", db_);
    Close();
    return s;
  }
  sqlite3_extended_result_codes(db_, 1);
  return Status::Ok();
}

Status Db::Exec(std::string_view sql) {
  char* err = nullptr;
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string what = err != nullptr ? err : "exec";
    sqlite3_free(err);
    return SqliteError(rc, path_, what, nullptr);
  }
  return Status::Ok();
}

Result<Stmt> Db::Prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return Stmt(it->second, &path_);
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return SqliteError(rc, path_, "prepare " + sql.substr(0, 80), db_);
  cache_.emplace(sql, stmt);
  return Stmt(stmt, &path_);
}

Result<int64_t> Db::QueryInt(const std::string& sql, std::optional<int64_t> arg) {
  DIVAUDIT_ASSIGN_OR_RETURN(Stmt st, Prepare(sql));
  if (arg) st.Bind(1, *arg);
  DIVAUDIT_ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? st.Int(0) : int64_t{0};
}

std::string MultiRowInsertSql(const std::string& table_and_columns, size_t cols, size_t rows) {
  std::string tuple = "(?";
  for (size_t c = 1; c < cols; ++c) tuple += ",?";
  tuple += ")";
  std::string sql = "INSERT INTO " + table_and_columns + " VALUES" + tuple;
  for (size_t r = 1; r < rows; ++r) sql += "," + tuple;
  return sql;
}

}  // namespace divaudit::storage
