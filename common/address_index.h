#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace divaudit {

// Dense numbers (0, 1, 2, … in order of first sight) for distinct addresses — for interned texts
// (audit::Id: one address per distinct text), where the address stands for the text and hashing
// a pointer replaces hashing and comparing a GUID.
//
// What: open addressing with linear probing over a power-of-two array kept at most half full,
// multiplicative hashing, and the last lookup remembered (consecutive rows often repeat a value).
// Thread-compatible.
class AddressIndex {
 public:
  explicit AddressIndex(size_t expected = 0) {
    size_t capacity = 64;
    while (capacity < 2 * expected) capacity *= 2;
    Resize(capacity);
  }

  // The number of `address`; a new address gets size() (then size() grows by one).
  uint32_t Intern(const void* address) {
    if (!addresses_.empty() && address == last_address_) return last_index_;
    last_address_ = address;
    for (size_t slot = SlotOf(address);; slot = (slot + 1) & mask_) {
      if (slots_[slot].index == kEmpty) {
        slots_[slot] = {address, static_cast<uint32_t>(addresses_.size())};
        addresses_.push_back(address);
        if (2 * addresses_.size() > slots_.size()) Resize(2 * slots_.size());
        return last_index_ = static_cast<uint32_t>(addresses_.size() - 1);
      }
      if (slots_[slot].address == address) return last_index_ = slots_[slot].index;
    }
  }

  size_t size() const { return addresses_.size(); }

 private:
  static constexpr uint32_t kEmpty = UINT32_MAX;
  struct Slot {
    const void* address = nullptr;
    uint32_t index = kEmpty;
  };
  size_t SlotOf(const void* address) const {
    return static_cast<size_t>((reinterpret_cast<uintptr_t>(address) * 0x9E3779B97F4A7C15ULL) >>
                               shift_);
  }
  void Resize(size_t capacity) {
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    shift_ = 64;
    for (size_t c = capacity; c > 1; c /= 2) --shift_;
    for (uint32_t i = 0; i < addresses_.size(); ++i) {
      size_t slot = SlotOf(addresses_[i]);
      while (slots_[slot].index != kEmpty) slot = (slot + 1) & mask_;
      slots_[slot] = {addresses_[i], i};
    }
  }

  std::vector<Slot> slots_;
  std::vector<const void*> addresses_;
  size_t mask_ = 0;
  unsigned shift_ = 64;
  const void* last_address_ = nullptr;
  uint32_t last_index_ = 0;
};

}  // namespace divaudit
