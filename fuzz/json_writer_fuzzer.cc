// libFuzzer target for JSON escaping (common/json_writer.h: AppendJsonEscaped and JsonWriter).
// Input: arbitrary bytes used as a string value and as an object key.
// Invariants: no crash/UB; the escaped output contains no raw control character and is valid
// UTF-8; the written document parses with simdjson; for valid UTF-8 input the parsed string equals
// the input exactly.

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/json_writer.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace divaudit;  // NOLINT(google-build-using-namespace)
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const bool input_utf8 = simdjson::validate_utf8(input.data(), input.size());

  std::string escaped;
  AppendJsonEscaped(escaped, input);
  for (unsigned char c : escaped) FUZZ_CHECK(c >= 0x20, "raw control character in output");
  FUZZ_CHECK(simdjson::validate_utf8(escaped.data(), escaped.size()),
             "escaped output is not valid UTF-8: " + escaped);

  JsonWriter w(/*pretty=*/(size & 1) != 0);
  w.BeginObject().Field(input, input).Key("list").BeginArray().String(input).Int(7).EndArray();
  w.EndObject();
  const simdjson::padded_string doc_text(w.str());

  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const simdjson::error_code e = parser.parse(doc_text).get(doc);
  FUZZ_CHECK(e == simdjson::SUCCESS, std::string("writer output does not parse (") +
                                         simdjson::error_message(e) + "): " + w.str());
  simdjson::dom::object obj;
  FUZZ_CHECK(doc.get_object().get(obj) == simdjson::SUCCESS, "not an object");
  size_t fields = 0;
  for (auto [key, value] : obj) {
    ++fields;
    if (key == "list" && fields == 2) continue;
    FUZZ_CHECK(fields == 1, "unexpected field");
    std::string_view parsed;
    FUZZ_CHECK(value.get_string().get(parsed) == simdjson::SUCCESS, "value is not a string");
    if (input_utf8) {
      FUZZ_CHECK(key == input, "key does not round-trip");
      FUZZ_CHECK(parsed == input, "value does not round-trip");
    }
  }
  FUZZ_CHECK(fields == 2, "expected two fields");
  return 0;
}
