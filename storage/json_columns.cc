#include "storage/json_columns.h"

#include <simdjson.h>

#include "common/json_writer.h"

namespace divaudit::storage {

std::string StringArrayJson(const std::vector<std::string>& v) {
  JsonWriter w;
  w.BeginArray();
  for (const auto& s : v) w.String(s);
  w.EndArray();
  return w.Take();
}

std::vector<std::string> ParseStringArray(const std::string& text) {
  std::vector<std::string> out;
  simdjson::dom::parser parser;
  simdjson::dom::array arr;
  if (parser.parse(text).get_array().get(arr) != simdjson::SUCCESS) return out;
  for (simdjson::dom::element e : arr) {
    std::string_view s;
    if (e.get_string().get(s) == simdjson::SUCCESS) out.emplace_back(s);
  }
  return out;
}

std::string CountMapJson(const std::map<std::string, int64_t>& m) {
  JsonWriter w;
  w.BeginObject();
  for (const auto& [k, v] : m) w.Key(k).Int(v);
  w.EndObject();
  return w.Take();
}

std::map<std::string, int64_t> ParseCountMap(const std::string& text) {
  std::map<std::string, int64_t> out;
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(text).get_object().get(obj) != simdjson::SUCCESS) return out;
  for (auto field : obj) {
    int64_t n = 0;
    if (field.value.get_int64().get(n) == simdjson::SUCCESS) out[std::string(field.key)] = n;
  }
  return out;
}

}  // namespace divaudit::storage
