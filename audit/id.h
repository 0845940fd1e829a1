#pragma once

#include <compare>
#include <cstddef>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>

namespace divaudit::audit {

// An 8-byte handle to an immutable, interned id string (a Genesys GUID, "*", …).
//
// What: constructing an Id from text interns the text in one process-wide table and keeps a
// pointer to the table's copy, so equal texts share one pointer and one allocation. A grant's
// three ids cost 24 bytes instead of three std::string objects plus three heap chunks.
// Default-constructed (and constructed from "") = the empty id; no allocation.
//
// Equality compares pointers (interned: equal text ⇔ equal pointer). Ordering (<=>) compares the
// text, so sorted containers of Id order exactly as the same std::strings would. std::hash<Id>
// hashes the text (deterministic across runs, equal to std::hash<std::string_view>).
//
// Ownership and lifetime: the table owns every string and never frees any: an Id's view()/str()
// stay valid until the process exits. The set of ids one process ever sees is bounded (an org's
// GUIDs, a few hundred thousand), so this is a bounded cost, not a leak; do not intern
// unbounded, attacker-chosen text in a long-lived process beyond what the audited org contains.
//
// Thread-safety: constructing Ids from text is thread-safe (the table is guarded by a mutex);
// an Id is an immutable value, so reading one from several threads is safe.
class Id {
 public:
  constexpr Id() noexcept = default;
  // Interning constructors: implicit by design so that `grant.role_id = "r1"` and
  // `Grant{kind, user_id, role_id, division_id}` keep working.
  Id(std::string_view text);  // NOLINT(google-explicit-constructor)
  Id(const std::string& text) : Id(std::string_view(text)) {}  // NOLINT
  Id(const char* text) : Id(std::string_view(text)) {}         // NOLINT

  // The text. Valid for the rest of the process (see above).
  std::string_view view() const noexcept {
    return text_ == nullptr ? std::string_view() : std::string_view(*text_);
  }
  const std::string& str() const noexcept;
  operator std::string_view() const noexcept { return view(); }  // NOLINT

  bool empty() const noexcept { return text_ == nullptr; }
  std::size_t size() const noexcept { return view().size(); }
  const char* data() const noexcept { return view().data(); }

  friend bool operator==(const Id& a, const Id& b) noexcept { return a.text_ == b.text_; }
  friend std::strong_ordering operator<=>(const Id& a, const Id& b) noexcept {
    if (a.text_ == b.text_) return std::strong_ordering::equal;
    return a.view().compare(b.view()) <=> 0;
  }

  // Comparisons with text never intern.
  friend bool operator==(const Id& a, std::string_view b) noexcept { return a.view() == b; }
  friend bool operator==(const Id& a, const std::string& b) noexcept { return a.view() == b; }
  friend bool operator==(const Id& a, const char* b) noexcept {
    return a.view() == std::string_view(b);
  }
  friend std::strong_ordering operator<=>(const Id& a, std::string_view b) noexcept {
    return a.view().compare(b) <=> 0;
  }
  friend std::strong_ordering operator<=>(const Id& a, const std::string& b) noexcept {
    return a.view().compare(b) <=> 0;
  }
  friend std::strong_ordering operator<=>(const Id& a, const char* b) noexcept {
    return a.view().compare(b) <=> 0;
  }

  friend std::ostream& operator<<(std::ostream& os, const Id& id) { return os << id.view(); }

  // Number of distinct non-empty texts interned so far in this process (tests, diagnostics).
  static std::size_t InternedCount();

 private:
  const std::string* text_ = nullptr;  // owned by the intern table; nullptr = ""
};

}  // namespace divaudit::audit

template <>
struct std::hash<divaudit::audit::Id> {
  std::size_t operator()(const divaudit::audit::Id& id) const noexcept {
    return std::hash<std::string_view>()(id.view());
  }
};
