#include "audit/id.h"

#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

namespace divaudit::audit {
namespace {

struct TextHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>()(s);
  }
};

// Node-based set: element addresses are stable across rehashing, so Ids can point into it.
struct InternTable {
  std::mutex mu;
  std::unordered_set<std::string, TextHash, std::equal_to<>> texts;
};

// Intentionally never destroyed: Ids may be used during static destruction of other objects.
// Reachable through this static pointer, so LeakSanitizer does not report it.
InternTable& Table() {
  static InternTable* const table = new InternTable();
  return *table;
}

const std::string& EmptyText() {
  static const std::string* const empty = new std::string();
  return *empty;
}

}  // namespace

Id::Id(std::string_view text) {
  if (text.empty()) return;
  InternTable& table = Table();
  std::lock_guard<std::mutex> lock(table.mu);
  auto it = table.texts.find(text);
  if (it == table.texts.end()) it = table.texts.emplace(text).first;
  text_ = &*it;
}

const std::string& Id::str() const noexcept { return text_ == nullptr ? EmptyText() : *text_; }

std::size_t Id::InternedCount() {
  InternTable& table = Table();
  std::lock_guard<std::mutex> lock(table.mu);
  return table.texts.size();
}

}  // namespace divaudit::audit
