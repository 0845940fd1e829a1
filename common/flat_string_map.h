#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <utility>
#include <vector>

#include "common/fast_hash.h"

namespace divaudit {

// A map from borrowed strings to small values, for the hot lookups of a sweep (hundreds of
// thousands of GUIDs per audit and per commit).
//
// What: the entries (key view, value) sit in one vector in insertion order; an open-addressing
// index of 8-byte slots (32 bits of the key's FastHash, entry number), power-of-two sized and at
// most half full, finds them with linear probing. A lookup reads one slot and, when the hash bits
// match, one entry and the key's text. std::unordered_map's node per key, prime modulo and
// std::hash over 36-byte GUIDs cost several cache misses per lookup, and more memory.
//
// Ownership: keys are NOT copied. Every key must outlive the map (views into a snapshot, an
// arena, ...). Values are copied in.
// Thread-compatible: concurrent const lookups are safe; any insert needs exclusive access.
template <typename V>
class FlatStringMap {
 public:
  FlatStringMap() : slots_(16), mask_(15) {}

  // Room for `n` keys without growing.
  void reserve(size_t n) {
    entries_.reserve(n);
    size_t capacity = slots_.size();
    while (capacity < 2 * n) capacity *= 2;
    if (capacity != slots_.size()) Rehash(capacity);
  }

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

  // Inserts {key, value} unless `key` is present. Returns the stored value and whether it was
  // inserted (std::unordered_map::emplace's contract). The pointer is valid until the next
  // insert.
  std::pair<V*, bool> emplace(std::string_view key, V value) {
    const uint64_t h = FastHash(key);
    size_t i = static_cast<size_t>(h) & mask_;
    for (;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.entry == 0) break;
      Entry& e = entries_[s.entry - 1];
      if (s.tag == Tag(h) && e.key == key) return {&e.value, false};
    }
    if (entries_.size() >= UINT32_MAX - 1) std::abort();  // beyond 32-bit entry numbers
    entries_.push_back(Entry{key, std::move(value)});
    slots_[i] = Slot{Tag(h), static_cast<uint32_t>(entries_.size())};
    if (2 * entries_.size() > slots_.size()) Rehash(2 * slots_.size());
    return {&entries_.back().value, true};
  }

  // The value of `key`, or nullptr.
  const V* find(std::string_view key) const {
    const uint64_t h = FastHash(key);
    for (size_t i = static_cast<size_t>(h) & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.entry == 0) return nullptr;
      const Entry& e = entries_[s.entry - 1];
      if (s.tag == Tag(h) && e.key == key) return &e.value;
    }
  }
  V* find(std::string_view key) {
    return const_cast<V*>(static_cast<const FlatStringMap&>(*this).find(key));
  }

  // Calls f(key, value) for every entry, in insertion order.
  template <typename F>
  void ForEach(F&& f) const {
    for (const Entry& e : entries_) f(e.key, e.value);
  }

 private:
  struct Entry {
    std::string_view key;
    V value;
  };
  struct Slot {
    uint32_t tag = 0;
    uint32_t entry = 0;  // 1 + index into entries_; 0 = empty
  };
  static uint32_t Tag(uint64_t h) { return static_cast<uint32_t>(h >> 32); }

  void Rehash(size_t capacity) {
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    for (uint32_t n = 0; n < entries_.size(); ++n) {
      const uint64_t h = FastHash(entries_[n].key);
      size_t i = static_cast<size_t>(h) & mask_;
      while (slots_[i].entry != 0) i = (i + 1) & mask_;
      slots_[i] = Slot{Tag(h), n + 1};
    }
  }

  std::vector<Entry> entries_;
  std::vector<Slot> slots_;
  size_t mask_;
};

}  // namespace divaudit
