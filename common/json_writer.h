#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace divaudit {

// Appends compact JSON to a string; handles commas and escaping (RFC 8259, UTF-8 passed through,
// control characters escaped as \u00XX, ill-formed UTF-8 bytes replaced by \ufffd). Misuse (a value
// without a key inside an object) is a bug and asserted. Thread-compatible.
//
//   JsonWriter w;
//   w.BeginObject(); w.Key("id"); w.String("x"); w.EndObject();
//   std::string json = w.Take();
class JsonWriter {
 public:
  explicit JsonWriter(bool pretty = false) : pretty_(pretty) {}

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Uint(uint64_t value);
  JsonWriter& Double(double value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // Inserts already-serialized JSON as one value.
  JsonWriter& Raw(std::string_view json);

  // Shorthands for Key(k) + value.
  JsonWriter& Field(std::string_view k, std::string_view v) { return Key(k).String(v); }
  JsonWriter& Field(std::string_view k, const char* v) { return Key(k).String(v); }
  JsonWriter& Field(std::string_view k, int64_t v) { return Key(k).Int(v); }
  JsonWriter& Field(std::string_view k, int v) { return Key(k).Int(v); }
  JsonWriter& Field(std::string_view k, bool v) { return Key(k).Bool(v); }

  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void BeforeValue();
  void Newline();

  std::string out_;
  // One entry per open container: true for object. `first_` tracks whether a comma is needed.
  std::vector<bool> stack_;
  std::vector<bool> first_;
  bool after_key_ = false;
  bool pretty_;
};

// Appends `s` escaped for a JSON string body (no quotes) to `out`.
void AppendJsonEscaped(std::string& out, std::string_view s);

}  // namespace divaudit
