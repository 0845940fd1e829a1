#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/flat_string_map.h"
#include "common/status.h"
#include "storage/sqlite_db.h"

namespace divaudit::storage {

// Append-only storage for strings: string_views into it stay valid for its lifetime (one
// allocation per MiB instead of one per string). Not thread-safe.
class Arena {
 public:
  std::string_view Copy(std::string_view v);

 private:
  static constexpr size_t kBlock = size_t{1} << 20;
  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t block_size_ = 0;
  size_t used_ = 0;
};

// The `ids` dictionary (schema v3): each distinct string of a kId column stored once, referred
// to by its integer id. Loaded whole (tens of thousands of rows for a 50,000-user org).
// Not thread-safe; lives for one store call.
class IdDict {
 public:
  Status Load(Db& db);
  // The text of `id`, or nullptr when no such id exists.
  const std::string_view* Find(int64_t id) const;
  std::optional<int64_t> FindValue(std::string_view v) const;
  // The id of `v`; a new value gets the next id and is written to `ids` by Flush.
  int64_t Intern(std::string_view v);
  // Inserts the values interned since the last Flush (inside the caller's transaction).
  Status Flush(Db& db);

 private:
  // Ids are dense (SQLite assigns max+1); anything far out of range (an edited file) goes to
  // sparse_ so that a huge id cannot make the vector huge.
  void Add(int64_t id, std::string_view v);

  Arena arena_;
  int64_t next_id_ = 1;
  std::vector<std::pair<int64_t, std::string_view>> pending_;
  std::vector<std::string_view> by_id_;
  std::vector<bool> present_;
  std::unordered_map<int64_t, std::string_view> sparse_;
  FlatStringMap<int64_t> by_value_;  // keys in arena_
};

// A column of a temporal table as text (kId columns decoded through `dict`: an id the
// dictionary lacks reads as "", a non-integer in a kId column as its own text).
std::string_view ReadIdOrText(sqlite3_stmt* st, int col, bool is_id, const IdDict& dict);

}  // namespace divaudit::storage
