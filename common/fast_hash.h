#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace divaudit {

// A fast, non-cryptographic 64-bit hash of short keys (GUIDs, ids) for in-memory tables: 8 bytes
// at a time, every byte mixed in, then a final avalanche so that the low bits alone are usable
// (power-of-two tables). Deterministic across runs; never persisted or compared across builds.
inline uint64_t FastHash(std::string_view v) noexcept {
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
  h *= 0x94D049BB133111EBULL;
  return h ^ (h >> 32);
}

}  // namespace divaudit
