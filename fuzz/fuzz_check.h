#pragma once

// Invariant checks for the libFuzzer targets: a failed check prints what was violated and
// aborts, which libFuzzer reports as a crash (and saves the input as crash-<sha1>).

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace divaudit::fuzz {

[[noreturn]] inline void CheckFailed(const char* file, int line, const char* cond,
                                     std::string_view detail) {
  std::fprintf(stderr, "\n*** fuzz invariant violated at %s:%d: %s\n*** %.*s\n", file, line, cond,
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

}  // namespace divaudit::fuzz

// FUZZ_CHECK(cond, detail): `detail` is anything convertible to std::string_view.
#define FUZZ_CHECK(cond, detail)                                                     \
  do {                                                                               \
    if (!(cond)) ::divaudit::fuzz::CheckFailed(__FILE__, __LINE__, #cond, (detail)); \
  } while (0)
