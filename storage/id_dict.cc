#include "storage/id_dict.h"

#include <algorithm>

namespace divaudit::storage {

std::string_view Arena::Copy(std::string_view v) {
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

Status IdDict::Load(Db& db) {
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

const std::string_view* IdDict::Find(int64_t id) const {
  if (id > 0 && static_cast<uint64_t>(id) < by_id_.size()) {
    return present_[static_cast<size_t>(id)] ? &by_id_[static_cast<size_t>(id)] : nullptr;
  }
  auto it = sparse_.find(id);
  return it == sparse_.end() ? nullptr : &it->second;
}

std::optional<int64_t> IdDict::FindValue(std::string_view v) const {
  const int64_t* id = by_value_.find(v);
  if (id == nullptr) return std::nullopt;
  return *id;
}

int64_t IdDict::Intern(std::string_view v) {
  if (auto id = FindValue(v)) return *id;
  const int64_t id = next_id_++;
  const std::string_view stored = arena_.Copy(v);
  Add(id, stored);
  pending_.emplace_back(id, stored);
  return id;
}

Status IdDict::Flush(Db& db) {
  DIVAUDIT_RETURN_IF_ERROR(
      BatchInsert(db, "ids(id, value)", 2, pending_.size(), [this](Stmt& st, int p, size_t r) {
        st.Bind(p, pending_[r].first).Bind(p + 1, pending_[r].second);
      }));
  pending_.clear();
  return Status::Ok();
}

void IdDict::Add(int64_t id, std::string_view v) {
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

std::string_view ReadIdOrText(sqlite3_stmt* st, int col, bool is_id, const IdDict& dict) {
  if (is_id && sqlite3_column_type(st, col) == SQLITE_INTEGER) {
    const std::string_view* v = dict.Find(sqlite3_column_int64(st, col));
    return v == nullptr ? std::string_view() : *v;
  }
  return ColumnView(st, col);
}

}  // namespace divaudit::storage
