// libFuzzer target for the TOML config loader (config/loader.h: ParseConfig).
// Input: the TOML text. Invariants: no crash/UB; every error is kInvalidArgument, starts with
// the source name and is ONE line (loader.h: "Errors ... are ONE line").
//
// Known third-party bug, filtered out: toml++ 3.3.0 (Debian's libtomlplusplus-dev) reaches
// TOML_UNREACHABLE (__builtin_unreachable) in is_non_ascii_horizontal_whitespace() for code points
// U+00A1..U+0499, U+2CDE..U+30D7 (except U+3000) and U+FBC6..U+FEFE where it tests for whitespace,
// e.g. the two-byte file "\xc2\xa7" ("§"); upstream marzer/tomlplusplus#190, fixed by PR #305. With
// g++ 12 -O2 the parse still ends in a clean "malformed TOML" error, but it is undefined behaviour.
// Inputs with such code points are skipped unless DIVAUDIT_FUZZ_TOML_UNFILTERED is set.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <cstdlib>

#include "config/loader.h"
#include "fuzz/fuzz_check.h"

namespace {

// Whether `text` holds a UTF-8 sequence for a code point that trips the toml++ 3.3.0 bug above.
bool HasTomlUnreachableCodePoint(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    const auto b = [&](size_t k) { return static_cast<unsigned char>(text[i + k]); };
    char32_t cp = 0;
    if ((b(0) & 0xe0) == 0xc0 && i + 1 < text.size()) {
      cp = (char32_t{b(0)} & 0x1f) << 6 | (b(1) & 0x3f);
    } else if ((b(0) & 0xf0) == 0xe0 && i + 2 < text.size()) {
      cp = (char32_t{b(0)} & 0x0f) << 12 | (char32_t{b(1)} & 0x3f) << 6 | (b(2) & 0x3f);
    } else {
      continue;
    }
    if ((cp >= 0xa1 && cp <= 0x499) || (cp >= 0x2cde && cp <= 0x30d7 && cp != 0x3000) ||
        (cp >= 0xfbc6 && cp <= 0xfefe)) {
      return true;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace divaudit;  // NOLINT(google-build-using-namespace)
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  static const bool unfiltered = std::getenv("DIVAUDIT_FUZZ_TOML_UNFILTERED") != nullptr;
  if (!unfiltered && HasTomlUnreachableCodePoint(text)) return 0;
  constexpr std::string_view kSource = "fuzz/divaudit.toml";
  Result<config::Config> config = config::ParseConfig(text, kSource);
  if (config.ok()) {
    FUZZ_CHECK(config->source_path == kSource, config->source_path);
    return 0;
  }
  const Status& st = config.status();
  FUZZ_CHECK(st.code() == StatusCode::kInvalidArgument, st.ToString());
  FUZZ_CHECK(st.message().compare(0, kSource.size(), kSource) == 0, st.message());
  FUZZ_CHECK(st.message().find('\n') == std::string::npos, st.message());
  return 0;
}
