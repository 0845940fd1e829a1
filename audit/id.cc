#include "audit/id.h"

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "common/fast_hash.h"
#include "common/thread_annotations.h"

namespace divaudit::audit {
namespace {

// Open addressing with linear probing over a power-of-two array kept at most half full: a
// lookup is one probe of a 16-byte slot (the cached hash filters) and one string compare.
// Interning 1.5 million GUIDs per 50,000-user sweep made the node-based set's prime modulo and
// pointer chasing a visible share of the sweep. Texts live in a deque: their addresses are
// stable, so Ids can point at them.
class InternTable {
 public:
  const std::string* Intern(std::string_view text) {
    const uint64_t h = FastHash(text);
    MutexLock lock(mu_);
    size_t i = static_cast<size_t>(h) & (slots_.size() - 1);
    for (;; i = (i + 1) & (slots_.size() - 1)) {
      const Slot& s = slots_[i];
      if (s.text == nullptr) break;
      if (s.hash == h && *s.text == text) return s.text;
    }
    const std::string* stored = &texts_.emplace_back(text);
    slots_[i] = Slot{h, stored};
    if (2 * texts_.size() > slots_.size()) Grow();
    return stored;
  }

  size_t size() {
    MutexLock lock(mu_);
    return texts_.size();
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    const std::string* text = nullptr;
  };

  void Grow() REQUIRES(mu_) {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    const size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.text == nullptr) continue;
      size_t i = static_cast<size_t>(s.hash) & mask;
      while (slots_[i].text != nullptr) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }

  Mutex mu_;
  std::vector<Slot> slots_ GUARDED_BY(mu_) = std::vector<Slot>(4096);
  std::deque<std::string> texts_ GUARDED_BY(mu_);
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
  text_ = Table().Intern(text);
}

const std::string& Id::str() const noexcept { return text_ == nullptr ? EmptyText() : *text_; }

std::size_t Id::InternedCount() { return Table().size(); }

}  // namespace divaudit::audit
