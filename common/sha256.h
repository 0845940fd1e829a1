#pragma once

#include <string>
#include <string_view>

namespace divaudit {

// Lower-case hex SHA-256 of `data`. Thread-safe.
std::string Sha256Hex(std::string_view data);

// Incremental SHA-256. Thread-compatible.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(std::string_view data);
  // Adds a length-prefixed field so that ("ab","c") and ("a","bc") hash differently.
  void UpdateField(std::string_view field);
  std::string FinishHex();

 private:
  void* ctx_;  // EVP_MD_CTX*
};

}  // namespace divaudit
