#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "audit/org_snapshot.h"
#include "common/cancellation.h"
#include "common/clock.h"
#include "genesys/api_client.h"

namespace divaudit::genesys {

struct SweeperOptions {
  // Page size asked of every paged listing (the largest of docs/genesys-api.md, "Paging": 500).
  int64_t page_size = 500;
  // GET /api/v2/users?state=inactive answers 400 past this many results; above it the sweep
  // reads inactive users through the cursor listing GET /api/v2/users/query instead.
  int64_t inactive_page_listing_limit = 10000;
  // Permission whose division visibility decides coverage.
  std::string coverage_permission = "authorization:grant:view";
  // Guard against a cursor listing that never ends.
  int64_t max_cursor_pages = 100000;
  // Largest response body accepted (ApiRequest::max_response_bytes), by endpoint kind: a page of
  // a paged or cursor listing (500 entities are well under 1 MiB: a 500-user page is ~200 kB, a
  // 500-subject subjectgrants page ~400 kB), and the unpaged responses (every OAuth client in
  // one body; organizations/me). A larger body makes its listing incomplete, naming the
  // endpoint and the limit. With max_concurrency 8 the sweep holds at most 8 × 8 MiB of bodies
  // (and the HTTP client's max_bytes_in_flight bounds it whatever the caps).
  size_t max_page_bytes = size_t{8} << 20;
  size_t max_unpaged_bytes = size_t{32} << 20;
  // The progress callback is called after a response once this much (steady Clock) time has
  // passed since its previous call, and once at the end; zero: after every response.
  std::chrono::milliseconds progress_interval{250};
  // v2 routing queues: page size of GET /api/v2/routing/queues/{id}/members (the API's cap is
  // 100; docs/genesys-api.md) and the permission whose division visibility decides whether the
  // queue listing saw every queue.
  int64_t queue_member_page_size = 100;
  std::string queue_coverage_permission = "routing:queue:view";
};

// Progress (see SweeperOptions::progress_interval): the phases of the responses since the
// previous call ("roles", "subject grants", "users", …, joined by '+'), pages read so far and
// pages known so far (grows as listings reveal their page counts; done == total at the end of a
// sweep that was not cut short).
using ProgressCallback = std::function<void(std::string_view phase, int64_t done, int64_t total)>;

// The sweep's grants (every role's subject grants and the OAuth clients' roleDivisions, in
// canonical order), as soon as every listing they come from is complete — the roles, each
// role's subject grants, the OAuth clients — while other listings are still being read, so that
// a store can write them early (storage::PendingSweep::AddFinalGrants). Called at most once per
// sweep, during Run, from a thread of its own (the grants are sorted there); never when one of
// those listings failed. The snapshot Run returns holds exactly these grants.
using FinalGrantsCallback = std::function<void(std::span<const audit::Grant> grants)>;

// The sweep's users (active, inactive and, past the page listing's limit, the inactive cursor;
// deduplicated, sorted by id), as soon as those listings are complete, so that a store can write
// them early (storage::PendingSweep::AddFinalUsers). Called at most once per sweep, during Run,
// on Run's thread; never when one of those listings failed. The snapshot Run returns holds
// exactly these users.
using FinalUsersCallback = std::function<void(std::span<const audit::User> users)>;

struct SweepResult {
  audit::OrgSnapshot snapshot;  // canonical (audit::Canonicalize)
  audit::SweepInfo info;        // id left 0 (storage assigns it)
  // Which listings were read completely (all true for a complete sweep). The audit engine takes
  // it (audit::RunAudit) so that a partial sweep never judges from what it did not read.
  audit::ListingCompleteness completeness;
};

// Reads a whole org through an ApiClient with the fewest requests and round trips the API
// allows (see genesys/README.md for the call plan), streaming: through ApiClient::Stream, every
// response is parsed as soon as it arrives (and its body freed) and the requests it reveals —
// remaining pages, per-role subject grants, members of granted groups — are queued at once, so
// the client always has up to max_concurrency requests in flight. Nothing waits for a "round".
//
// Outcome: kComplete when every collection was fully and consistently paged and coverage is
// 1.0; kPartial when something could not be read (403, a final 5xx/429, a malformed page after
// one re-read, a total that kept changing, coverage < 1.0 — `info.incomplete` names each);
// kFailed when nothing usable was read (authentication failure, divisions or roles unreadable,
// cancelled → incomplete "cancelled") or GET /api/v2/organizations/me could not be read (the
// sweep must say which org it read: info.org_id / org_name). Never throws.
// Thread-compatible: Run uses the ApiClient, which is one-caller-at-a-time.
class Sweeper {
 public:
  // `client` and `clock` must outlive the Sweeper.
  Sweeper(ApiClient& client, const Clock& clock, SweeperOptions options = {});

  SweepResult Run(const CancellationToken& cancel, const ProgressCallback& progress = nullptr,
                  const FinalGrantsCallback& final_grants = nullptr,
                  const FinalUsersCallback& final_users = nullptr);

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
  // v2 routing queues:
  int64_t queues = 0;                           // listed queues
  std::vector<int64_t> members_per_queue = {};  // one entry per queue: member rows
  bool all_divisions_queue_permitted = true;    // coverage listing for routing:queue:view
  int64_t queue_permitted_divisions = 0;        // listed when not all permitted
  // v2: catalog entities (DomainPermissionCollection, one per domain) of
  // GET /api/v2/authorization/permissions. The roles' permissionPolicies come with the roles
  // listing and GET /api/v2/authorization/roles/settings is one request: neither adds a term.
  int64_t permission_domains = 0;
};

// The minimum number of HTTP requests a sweep of an org of this shape makes when nothing
// changes mid-sweep and nothing fails (the formula in genesys/README.md). Sweeper achieves it.
int64_t MinimumRequests(const OrgShape& shape, const SweeperOptions& options = {});

}  // namespace divaudit::genesys
