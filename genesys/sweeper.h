#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/org_snapshot.h"
#include "common/cancellation.h"
#include "common/clock.h"
#include "genesys/api_client.h"

namespace divaudit::genesys {

struct SweeperOptions {
  // Page size asked of every paged listing (the largest GENESYS_API.md lists: 500).
  int64_t page_size = 500;
  // GET /api/v2/users?state=inactive answers 400 past this many results; above it the sweep
  // reads inactive users through the cursor listing GET /api/v2/users/query instead.
  int64_t inactive_page_listing_limit = 10000;
  // Permission whose division visibility decides coverage.
  std::string coverage_permission = "authorization:grant:view";
  // Guard against a cursor listing that never ends.
  int64_t max_cursor_pages = 100000;
};

// Called after each batch of requests: the phases in the batch ("roles", "subject grants",
// "users", …, joined by '+'), pages read so far and pages known so far (grows as listings
// reveal their page counts).
using ProgressCallback = std::function<void(std::string_view phase, int64_t done, int64_t total)>;

struct SweepResult {
  audit::OrgSnapshot snapshot;  // canonical (audit::Canonicalize)
  audit::SweepInfo info;        // id left 0 (storage assigns it)
};

// Reads a whole org through an ApiClient with the fewest requests and round trips the API
// allows (see genesys/README.md for the call plan): first pages of every independent listing in
// one batch, then every remaining page in one batch, per-role subject grants as soon as role ids
// are known, members of granted groups as soon as the groups are known.
//
// Outcome: kComplete when every collection was fully and consistently paged and coverage is
// 1.0; kPartial when something could not be read (403, a final 5xx/429, a malformed page after
// one re-read, a total that kept changing, coverage < 1.0 — `info.incomplete` names each);
// kFailed when nothing usable was read (authentication failure, divisions or roles unreadable,
// cancelled → incomplete "cancelled"). Never throws.
// Thread-compatible: Run uses the ApiClient, which is one-caller-at-a-time.
class Sweeper {
 public:
  // `client` and `clock` must outlive the Sweeper.
  Sweeper(ApiClient& client, const Clock& clock, SweeperOptions options = {});

  SweepResult Run(const CancellationToken& cancel, const ProgressCallback& progress = nullptr);

 private:
  ApiClient& client_;
  const Clock& clock_;
  SweeperOptions options_;
};

// Counts that decide how many requests a sweep needs.
struct OrgShape {
  int64_t divisions = 0;
  int64_t roles = 0;
  std::vector<int64_t> subjects_per_role;  // one entry per role: subjects with grants of it
  int64_t active_users = 0;
  int64_t inactive_users = 0;
  int64_t groups = 0;
  std::vector<int64_t> members_per_granted_group;  // one entry per group holding any grant
  bool all_divisions_permitted = true;             // coverage listing's allDivsPermitted
  int64_t permitted_divisions = 0;                 // listed when not all permitted
  int64_t token_requests = 1;                      // OAuth token requests (1 per fresh token)
};

// The minimum number of HTTP requests a sweep of an org of this shape makes when nothing
// changes mid-sweep and nothing fails (the formula in genesys/README.md). Sweeper achieves it.
int64_t MinimumRequests(const OrgShape& shape, const SweeperOptions& options = {});

}  // namespace divaudit::genesys
