#include "tests/integration/it_util.h"

#include <simdjson.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>

namespace divaudit::testing {

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool MakeConfigFast(const std::string& path, int requests_per_minute, int max_concurrency,
                    const std::string& extra) {
  std::string text = ReadWholeFile(path);
  const auto pos = text.find("[genesys]\n");
  if (pos == std::string::npos) return false;
  text.insert(pos + 10, "requests_per_minute = " + std::to_string(requests_per_minute) +
                            "\nmax_concurrency = " + std::to_string(max_concurrency) + "\n");
  text += extra;
  std::ofstream out(path, std::ios::trunc);
  out << text;
  return static_cast<bool>(out);
}

namespace {
std::string StringAt(simdjson::dom::element e, const char* key) {
  simdjson::dom::element v;
  if (e[key].get(v) != simdjson::SUCCESS || v.is_null()) return "";
  std::string_view s;
  if (v.get(s) == simdjson::SUCCESS) return std::string(s);
  return "";
}
std::string IdOf(simdjson::dom::element f, const char* key) {
  simdjson::dom::element v;
  if (f[key].get(v) != simdjson::SUCCESS || v.is_null()) return "";
  return StringAt(v, "id");
}
}  // namespace

Result<std::set<FindingKey>> ReadFindingKeys(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json).get(doc) != simdjson::SUCCESS) {
    return InvalidArgumentError("not JSON: " + json.substr(0, 200));
  }
  simdjson::dom::array findings;
  if (doc["findings"].get(findings) != simdjson::SUCCESS) {
    return InvalidArgumentError("no findings array");
  }
  std::set<FindingKey> out;
  for (auto f : findings) {
    simdjson::dom::element subject, via;
    std::string subject_type, via_type, via_id;
    if (f["subject"].get(subject) == simdjson::SUCCESS && !subject.is_null()) {
      subject_type = StringAt(subject, "type");
    }
    if (f["via"].get(via) == simdjson::SUCCESS && !via.is_null()) {
      via_type = StringAt(via, "type");
      via_id = StringAt(via, "id");
    }
    out.emplace(StringAt(f, "rule"), subject_type, IdOf(f, "subject"), IdOf(f, "role"),
                IdOf(f, "division"), via_type, via_id, StringAt(f, "state"), IdOf(f, "queue"));
  }
  return out;
}

std::string Describe(const FindingKey& k) {
  return std::get<0>(k) + " subject=" + std::get<1>(k) + ":" + std::get<2>(k) +
         " role=" + std::get<3>(k) + " division=" + std::get<4>(k) + " via=" + std::get<5>(k) +
         ":" + std::get<6>(k) + " state=" + std::get<7>(k) +
         (std::get<8>(k).empty() ? "" : " queue=" + std::get<8>(k));
}

std::string SweepStatusOf(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json).get(doc) != simdjson::SUCCESS) return "";
  std::string_view s;
  if (doc["sweep"]["status"].get(s) != simdjson::SUCCESS) return "";
  return std::string(s);
}

int64_t SweepField(const std::string& json, const std::string& path) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json).get(doc) != simdjson::SUCCESS) return -1;
  int64_t v = -1;
  if (doc["sweep"].at_pointer("/" + std::regex_replace(path, std::regex("\\."), "/")).get(v) !=
      simdjson::SUCCESS) {
    return -1;
  }
  return v;
}

}  // namespace divaudit::testing
