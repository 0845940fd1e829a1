// libFuzzer target for every JsonPageParser method (genesys/parsers.h).
// Input: byte 0 selects the parser (mod 9), the rest is the response body.
// Invariants: no crash/UB; on error the output vectors are untouched (contract: "on error the
// outputs are left as they were"), the code is kInvalidArgument or kDataLoss and the message
// starts with the page description; on success `entities` equals the number of appended
// entities and page-number listings report total >= 0 and pageCount >= 0.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "genesys/parsers.h"

namespace divaudit::genesys {
namespace {

constexpr std::string_view kEndpoints[] = {
    "/api/v2/authorization/divisions",
    "/api/v2/authorization/roles",
    "/api/v2/authorization/roles/r1/subjectgrants",
    "/api/v2/users",
    "/api/v2/users/query",
    "/api/v2/groups",
    "/api/v2/groups/g1/members",
    "/api/v2/oauth/clients",
    "/api/v2/authorization/divisionspermitted/paged/me",
};

void CheckError(const Status& st, const PageContext& ctx) {
  FUZZ_CHECK(st.code() == StatusCode::kInvalidArgument || st.code() == StatusCode::kDataLoss,
             st.ToString());
  const std::string prefix = DescribePage(ctx);
  FUZZ_CHECK(st.message().compare(0, prefix.size(), prefix) == 0, st.message());
}

void CheckPaged(const PageInfo& info, bool required) {
  FUZZ_CHECK(info.entities >= 0, "negative entities");
  if (required) {
    FUZZ_CHECK(info.total >= 0, "total < 0 on success");
    FUZZ_CHECK(info.page_count >= 0, "pageCount < 0 on success");
  }
}

// Runs one parser method that appends to `out` (pre-filled with one sentinel element).
template <typename T, typename Fn>
void RunVector(const std::string& body, const PageContext& ctx, bool required, Fn&& fn) {
  std::vector<T> out(1);
  const std::vector<T> before = out;
  auto result = fn(body, ctx, out);
  if (!result.ok()) {
    CheckError(result.status(), ctx);
    FUZZ_CHECK(out == before, "output changed on error");
    return;
  }
  FUZZ_CHECK(out.size() >= 1 && out[0] == before[0], "sentinel element modified");
  FUZZ_CHECK(static_cast<int64_t>(out.size() - 1) == result->entities,
             "entities != appended elements");
  if constexpr (requires { result->total; }) CheckPaged(*result, required);
}

}  // namespace
}  // namespace divaudit::genesys

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace divaudit::genesys;  // NOLINT(google-build-using-namespace)
  namespace audit = divaudit::audit;
  if (size == 0) return 0;
  static JsonPageParser* parser = new JsonPageParser();  // reused like in production
  const int which = data[0] % 9;
  const std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  const PageContext ctx{kEndpoints[which], 3};
  switch (which) {
    case 0:
      RunVector<audit::Division>(
          body, ctx, true, [](auto& b, auto& c, auto& o) { return parser->Divisions(b, c, o); });
      break;
    case 1:
      RunVector<audit::Role>(body, ctx, true,
                             [](auto& b, auto& c, auto& o) { return parser->Roles(b, c, o); });
      break;
    case 2: {
      std::vector<audit::Grant> grants(1);
      std::vector<audit::ExternalSubject> externals(1);
      const auto grants_before = grants;
      const auto externals_before = externals;
      auto result = parser->SubjectGrants(body, ctx, "role-1", {&grants, &externals});
      if (!result.ok()) {
        CheckError(result.status(), ctx);
        FUZZ_CHECK(grants == grants_before && externals == externals_before,
                   "output changed on error");
      } else {
        CheckPaged(*result, true);
        FUZZ_CHECK(grants[0] == grants_before[0], "sentinel grant modified");
        for (size_t i = 1; i < grants.size(); ++i) {
          FUZZ_CHECK(grants[i].role_id == "role-1", "grant with another role id");
          FUZZ_CHECK(!grants[i].subject_id.empty() && !grants[i].division_id.empty(),
                     "grant with an empty id");
        }
        FUZZ_CHECK(static_cast<int64_t>(externals.size() - 1) <= result->entities,
                   "more external subjects than entities");
      }
      break;
    }
    case 3:
      RunVector<audit::User>(body, ctx, true,
                             [](auto& b, auto& c, auto& o) { return parser->Users(b, c, o); });
      break;
    case 4:
      RunVector<audit::User>(
          body, ctx, false, [](auto& b, auto& c, auto& o) { return parser->UsersCursor(b, c, o); });
      break;
    case 5:
      RunVector<audit::Group>(body, ctx, true,
                              [](auto& b, auto& c, auto& o) { return parser->Groups(b, c, o); });
      break;
    case 6:
      RunVector<std::string>(
          body, ctx, true, [](auto& b, auto& c, auto& o) { return parser->GroupMembers(b, c, o); });
      break;
    case 7:
      RunVector<audit::OAuthClient>(body, ctx, false, [](auto& b, auto& c, auto& o) {
        return parser->OAuthClients(b, c, o);
      });
      break;
    case 8:
      RunVector<std::string>(body, ctx, true, [](auto& b, auto& c, auto& o) {
        return parser->DivisionsPermitted(b, c, o);
      });
      break;
  }
  return 0;
}
