// libFuzzer target for the simulator's fixture parser (sim/org_json.h: ParseOrgJson).
// Input: the fixture JSON. Invariants: no crash/UB; errors are kInvalidArgument; for an accepted
// fixture, OrgToJson's output parses back and re-serializes to the same bytes (org_json.h: "the
// same fixture always gives the same bytes, and ParseOrgJson(OrgToJson(x)) reproduces a canonical
// x").

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "sim/org_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace divaudit;  // NOLINT(google-build-using-namespace)
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  Result<sim::OrgFixture> fixture = sim::ParseOrgJson(json);
  if (!fixture.ok()) {
    FUZZ_CHECK(fixture.status().code() == StatusCode::kInvalidArgument,
               fixture.status().ToString());
    return 0;
  }
  const std::string first = sim::OrgToJson(*fixture);
  Result<sim::OrgFixture> again = sim::ParseOrgJson(first);
  FUZZ_CHECK(again.ok(), again.status().ToString() + "\n" + first);
  const std::string second = sim::OrgToJson(*again);
  FUZZ_CHECK(first == second, "OrgToJson is not a fixed point:\n" + first + "\n---\n" + second);
  return 0;
}
