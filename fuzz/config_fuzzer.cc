// libFuzzer target for the TOML config loader (config/loader.h: ParseConfig).
// Input: the TOML text. Invariants: no crash/UB; every error is kInvalidArgument, starts with
// the source name and is ONE line (loader.h: "Errors ... are ONE line").
//
// toml++ 3.3.0 (Debian's libtomlplusplus-dev) reaches TOML_UNREACHABLE for some non-ASCII code
// points where it tests for whitespace; config/toml_guard.h refuses such files before toml++
// sees them, so this target feeds every input unfiltered (the guard is under test too).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/loader.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace divaudit;  // NOLINT(google-build-using-namespace)
  const std::string_view text(reinterpret_cast<const char*>(data), size);
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
