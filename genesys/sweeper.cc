#include "genesys/sweeper.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "common/logging.h"
#include "common/strings.h"
#include "genesys/parsers.h"

namespace divaudit::genesys {

namespace {

constexpr std::string_view kDivisionsPath = "/api/v2/authorization/divisions";
constexpr std::string_view kRolesPath = "/api/v2/authorization/roles";
constexpr std::string_view kSubjectGrantsRoute =
    "/api/v2/authorization/roles/{roleId}/subjectgrants";
constexpr std::string_view kUsersPath = "/api/v2/users";
constexpr std::string_view kUsersQueryPath = "/api/v2/users/query";
constexpr std::string_view kGroupsPath = "/api/v2/groups";
constexpr std::string_view kGroupMembersRoute = "/api/v2/groups/{groupId}/members";
constexpr std::string_view kOAuthClientsPath = "/api/v2/oauth/clients";
constexpr std::string_view kPermittedPath = "/api/v2/authorization/divisionspermitted/paged/me";
constexpr std::string_view kOrganizationPath = "/api/v2/organizations/me";
// A queue of 100,000 members at 100 per page; past it the nextUri chain is taken as broken.
constexpr int64_t kMaxQueueMemberPages = 1000;
constexpr std::string_view kQueuesPath = "/api/v2/routing/queues";
constexpr std::string_view kQueueMembersRoute = "/api/v2/routing/queues/{queueId}/members";
constexpr std::string_view kPermissionsPath = "/api/v2/authorization/permissions";
constexpr std::string_view kRoleSettingsPath = "/api/v2/authorization/roles/settings";

int64_t CeilDiv(int64_t a, int64_t b) { return b <= 0 ? 0 : (a + b - 1) / b; }

// "HTTP 403 (missing.permissions)": the ErrorBody code, never the (possibly long) message.
std::string DescribeHttpStatus(const ApiResponse& r) {
  std::string s = "HTTP " + std::to_string(r.status);
  const std::string_view key = "\"code\":\"";
  size_t at = r.body.find(key);
  if (at != std::string::npos) {
    size_t start = at + key.size();
    size_t end = r.body.find('"', start);
    if (end != std::string::npos && end - start <= 80) {
      s += " (" + r.body.substr(start, end - start) + ")";
    }
  }
  return s;
}

// Shared outcome flags of one sweep.
struct SweepFlags {
  std::string auth_error;  // non-empty: authentication failed
  bool cancelled = false;
};

// One listing read page by page. Subclasses say how to build a page's path and what to do
// with a body; the base class turns transport and HTTP failures into an incomplete listing.
class Listing {
 public:
  Listing(std::string name, std::string phase, std::string endpoint, std::string route)
      : name_(std::move(name)),
        phase_(std::move(phase)),
        endpoint_(std::move(endpoint)),
        route_(std::move(route)) {}
  virtual ~Listing() = default;

  const std::string& name() const { return name_; }
  const std::string& phase() const { return phase_; }
  bool complete() const { return Idle() && !failed_; }
  bool failed() const { return failed_; }
  const std::string& failure() const { return failure_; }
  int64_t pages_done() const { return pages_done_; }
  int64_t pages_known() const { return pages_done_ + outstanding_ + pending_known(); }
  bool Idle() const { return outstanding_ == 0 && pending_.empty(); }
  // Whether every page of this listing may reveal more requests (roles, subject grants, the
  // cursor): such pages are sent before plain pages.
  bool urgent() const { return urgent_; }
  void set_urgent() { urgent_ = true; }
  // Whether this listing's pages go to the queue-member lane (genesys/README.md, "Scheduling"):
  // that lane and the grant chain take turns, so neither stalls the other.
  bool queue_lane() const { return queue_lane_; }
  void set_queue_lane() { queue_lane_ = true; }
  // Largest response body accepted for each of its requests (0: the client's default).
  void set_max_response_bytes(size_t n) { max_response_bytes_ = n; }

  // Moves the pending pages into `out` as (page, request).
  void TakePending(std::vector<std::pair<int64_t, ApiRequest>>& out) {
    for (int64_t page : pending_) {
      out.emplace_back(page, ApiRequest{PathFor(page), route_, max_response_bytes_});
      ++outstanding_;
    }
    pending_.clear();
  }

  void OnResult(int64_t page, const Result<ApiResponse>& result, JsonPageParser& parser,
                SweepFlags& flags) {
    --outstanding_;
    ++pages_done_;
    PageContext ctx{endpoint_, page};
    if (!result.ok()) {
      const Status& st = result.status();
      if (st.code() == StatusCode::kUnauthenticated) {
        flags.auth_error = st.message();
      } else if (st.code() == StatusCode::kAborted) {
        flags.cancelled = true;
      }
      Fail(DescribePage(ctx) + ": " + st.ToString());
      return;
    }
    const ApiResponse& r = result.value();
    if (r.status == 401) {
      flags.auth_error = DescribePage(ctx) + ": HTTP 401";
    }
    if (r.status < 200 || r.status >= 300) {
      Fail(DescribePage(ctx) + ": " + DescribeHttpStatus(r));
      return;
    }
    OnBody(page, r.body, ctx, parser);
  }

 protected:
  virtual std::string PathFor(int64_t page) const = 0;
  virtual void OnBody(int64_t page, const std::string& body, const PageContext& ctx,
                      JsonPageParser& parser) = 0;
  virtual int64_t pending_known() const { return static_cast<int64_t>(pending_.size()); }

  // Marks the listing incomplete (the first reason wins) and stops asking for more pages.
  void Fail(std::string why) {
    if (!failed_) failure_ = std::move(why);
    failed_ = true;
    pending_.clear();
  }
  // A page that parsed badly is asked for once more (the body may have been cut short by a
  // fault the transport could not see); the second failure is final.
  bool RetryParse(int64_t page, const Status& st) {
    if (failed_) return false;
    if (parse_retried_.insert(page).second) {
      GetLogger("sweep")->warn("event=reread endpoint={} err=\"{}\"", route_, st.message());
      pending_.push_back(page);
      return true;
    }
    Fail(st.message());
    return false;
  }

  std::vector<int64_t> pending_;
  const std::string name_;
  const std::string phase_;
  const std::string endpoint_;
  const std::string route_;

 private:
  int64_t outstanding_ = 0;
  int64_t pages_done_ = 0;
  bool urgent_ = false;
  bool queue_lane_ = false;
  size_t max_response_bytes_ = 0;
  bool failed_ = false;
  std::string failure_;
  std::set<int64_t> parse_retried_;
};

// A page-number listing (`pageSize`, `pageNumber`, `total`, `pageCount`). Page 1 first, then
// every remaining page at once. When pages disagree about `total`/`pageCount`, or hold fewer or
// more entities than `total` promised, the whole listing is read once more; if that is still
// inconsistent the listing is incomplete (and keeps everything it read).
class PagedListing final : public Listing {
 public:
  using ParseFn =
      std::function<Result<PageInfo>(JsonPageParser&, const std::string&, const PageContext&)>;

  PagedListing(std::string name, std::string phase, std::string endpoint, std::string route,
               std::string extra_query, int64_t page_size, ParseFn parse,
               std::function<void()> reset)
      : Listing(std::move(name), std::move(phase), std::move(endpoint), std::move(route)),
        extra_query_(std::move(extra_query)),
        page_size_(page_size),
        parse_(std::move(parse)),
        reset_(std::move(reset)) {
    pending_.push_back(1);
    max_requested_ = 1;
  }

  // Page 1 reporting a total above this ends the listing with too_large() (no more pages).
  void set_max_results(int64_t n) { max_results_ = n; }
  bool too_large() const { return too_large_; }
  // Page 1 with allDivsPermitted ends the listing (the remaining pages add nothing).
  void set_stop_when_all_permitted() { stop_when_all_permitted_ = true; }
  bool all_permitted() const { return all_permitted_; }

 protected:
  std::string PathFor(int64_t page) const override {
    return endpoint_ + "?pageSize=" + std::to_string(page_size_) +
           "&pageNumber=" + std::to_string(page) + extra_query_;
  }

  void OnBody(int64_t page, const std::string& body, const PageContext& ctx,
              JsonPageParser& parser) override {
    if (stopped_) return;
    Result<PageInfo> parsed = parse_(parser, body, ctx);
    if (!parsed.ok()) {
      RetryParse(page, parsed.status());
      MaybeFinish();
      return;
    }
    const PageInfo& info = parsed.value();
    pages_[page] = info;
    if (page == 1 && max_results_ >= 0 && info.total > max_results_) {
      too_large_ = stopped_ = true;
      pending_.clear();
      return;
    }
    if (stop_when_all_permitted_ && info.all_divs_permitted) {
      all_permitted_ = stopped_ = true;
      pending_.clear();
      return;
    }
    if (!failed()) {
      // Any page may reveal more pages than page 1 did; ask for those too.
      for (int64_t p = max_requested_ + 1; p <= info.page_count; ++p) pending_.push_back(p);
      max_requested_ = std::max(max_requested_, info.page_count);
    }
    MaybeFinish();
  }

 private:
  void MaybeFinish() {
    if (!Idle() || failed() || stopped_) return;
    std::string why = Inconsistency();
    if (why.empty()) return;
    if (attempt_ == 0) {
      GetLogger("sweep")->warn("event=reread_listing endpoint={} err=\"{}\"", route_, why);
      ++attempt_;
      int64_t pages = 1;
      for (const auto& [p, info] : pages_) pages = std::max(pages, info.page_count);
      pages_.clear();
      reset_();
      for (int64_t p = 1; p <= pages; ++p) pending_.push_back(p);
      max_requested_ = pages;
      return;
    }
    Fail(name_ + ": " + why + " (still after one re-read)");
  }

  // Empty when every page agrees with page 1 and the entities add up to `total`.
  std::string Inconsistency() const {
    auto first = pages_.find(1);
    if (first == pages_.end()) return "page 1 missing";
    const PageInfo& p1 = first->second;
    int64_t entities = 0;
    for (const auto& [p, info] : pages_) {
      if (info.total != p1.total || info.page_count != p1.page_count) {
        return "total changed during the sweep (page 1: total " + std::to_string(p1.total) +
               ", page " + std::to_string(p) + ": total " + std::to_string(info.total) + ")";
      }
      entities += info.entities;
    }
    for (int64_t p = 1; p <= p1.page_count; ++p) {
      if (!pages_.contains(p)) return "page " + std::to_string(p) + " not read";
    }
    if (entities != p1.total) {
      return "pages held " + std::to_string(entities) + " entities, total promised " +
             std::to_string(p1.total);
    }
    return "";
  }

  const std::string extra_query_;
  const int64_t page_size_;
  ParseFn parse_;
  std::function<void()> reset_;
  std::map<int64_t, PageInfo> pages_;
  int64_t max_requested_ = 0;
  int attempt_ = 0;
  int64_t max_results_ = -1;
  bool too_large_ = false;
  bool stop_when_all_permitted_ = false;
  bool all_permitted_ = false;
  bool stopped_ = false;
};

// A page-number listing without a count (QueueMemberEntityListing has no `total` or
// `pageCount`): one page at a time, asking for the next page number while the page just read
// names a `nextUri`; a page without one, or without entities, is the last. Without a count a
// change between two pages cannot be seen here (a member moved across pages mid-read); the next
// sweep reads the listing afresh. More than `max_pages` pages: incomplete.
class NextUriListing final : public Listing {
 public:
  NextUriListing(std::string name, std::string phase, std::string endpoint, std::string route,
                 int64_t page_size, int64_t max_pages, PagedListing::ParseFn parse)
      : Listing(std::move(name), std::move(phase), std::move(endpoint), std::move(route)),
        page_size_(page_size),
        max_pages_(max_pages),
        parse_(std::move(parse)) {
    pending_.push_back(1);
  }

 protected:
  std::string PathFor(int64_t page) const override {
    return endpoint_ + "?pageSize=" + std::to_string(page_size_) +
           "&pageNumber=" + std::to_string(page);
  }

  void OnBody(int64_t page, const std::string& body, const PageContext& ctx,
              JsonPageParser& parser) override {
    Result<PageInfo> parsed = parse_(parser, body, ctx);
    if (!parsed.ok()) {
      RetryParse(page, parsed.status());
      return;
    }
    if (parsed->entities == 0 || !parsed->has_next) return;
    if (page >= max_pages_) {
      Fail(name_ + ": nextUri did not end after " + std::to_string(max_pages_) + " pages");
      return;
    }
    pending_.push_back(page + 1);
  }

 private:
  const int64_t page_size_;
  const int64_t max_pages_;
  PagedListing::ParseFn parse_;
};

// The cursor listing of users (GET /api/v2/users/query): one page at a time, following
// `cursor` (or `nextUri`) until a page carries neither.
class CursorListing final : public Listing {
 public:
  CursorListing(std::string name, std::string first_path, int64_t max_pages,
                std::vector<audit::User>& out, std::string state)
      : Listing(std::move(name), "users", std::string(kUsersQueryPath),
                std::string(kUsersQueryPath)),
        first_path_(std::move(first_path)),
        max_pages_(max_pages),
        out_(out),
        state_(std::move(state)) {
    next_path_ = first_path_;
    pending_.push_back(1);
  }

 protected:
  std::string PathFor(int64_t) const override { return next_path_; }

  void OnBody(int64_t page, const std::string& body, const PageContext& ctx,
              JsonPageParser& parser) override {
    const size_t before = out_.size();
    Result<CursorPageInfo> parsed = parser.UsersCursor(body, ctx, out_);
    if (!parsed.ok()) {
      RetryParse(page, parsed.status());
      return;
    }
    for (size_t i = before; i < out_.size(); ++i) {
      if (out_[i].state.empty()) out_[i].state = state_;
    }
    const CursorPageInfo& info = parsed.value();
    if (info.entities == 0) return;  // an empty page ends the listing whatever it says
    if (page >= max_pages_) {
      Fail(name_ + ": cursor did not end after " + std::to_string(max_pages_) + " pages");
      return;
    }
    if (!info.cursor.empty()) {
      if (!seen_cursors_.insert(info.cursor).second) {
        Fail(DescribePage(ctx) + ": cursor repeated");
        return;
      }
      next_path_ = first_path_ + "&cursor=" + UrlEncode(info.cursor);
      pending_.push_back(page + 1);
    } else if (!info.next_uri.empty()) {
      std::string next = info.next_uri;
      // nextUri may be absolute; keep the path and query.
      size_t scheme = next.find("://");
      if (scheme != std::string::npos) {
        size_t slash = next.find('/', scheme + 3);
        next = slash == std::string::npos ? "" : next.substr(slash);
      }
      if (next.rfind(std::string(kUsersQueryPath), 0) != 0 || !seen_cursors_.insert(next).second) {
        Fail(DescribePage(ctx) + ": unusable nextUri");
        return;
      }
      next_path_ = next;
      pending_.push_back(page + 1);
    }
  }

 private:
  const std::string first_path_;
  const int64_t max_pages_;
  std::vector<audit::User>& out_;
  const std::string state_;
  std::string next_path_;
  std::unordered_set<std::string> seen_cursors_;
};

// GET /api/v2/oauth/clients: one unpaged response.
// Keeps the first element of each id (sorted by id afterwards).
// Sorts positions, not elements (a User is five strings: moving 50,000 of them through a merge
// sort cost more than the comparisons), then moves each element once.
template <typename T>
void DedupeById(std::vector<T>& v) {
  const auto by_id = [](const T& a, const T& b) { return a.id < b.id; };
  if (!std::is_sorted(v.begin(), v.end(), by_id)) {
    std::vector<size_t> order(v.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&v](size_t a, size_t b) { return v[a].id < v[b].id; });
    std::vector<T> sorted;
    sorted.reserve(v.size());
    for (const size_t i : order) sorted.push_back(std::move(v[i]));
    v = std::move(sorted);
  }
  v.erase(std::unique(v.begin(), v.end(), [](const T& a, const T& b) { return a.id == b.id; }),
          v.end());
}

// One unpaged response (GET /api/v2/organizations/me, GET /api/v2/authorization/roles/settings,
// GET /api/v2/oauth/clients, which has no paging). `parse` reads the body and stores what it
// read; a body that does not parse is re-read once (RetryParse), then the listing is incomplete.
class SingleObjectListing final : public Listing {
 public:
  using Parse = std::function<Status(JsonPageParser&, const std::string&, const PageContext&)>;
  SingleObjectListing(const std::string& name, std::string_view path, Parse parse)
      : Listing(name, name, std::string(path), std::string(path)), parse_(std::move(parse)) {
    pending_.push_back(0);
  }

 protected:
  std::string PathFor(int64_t) const override { return endpoint_; }
  void OnBody(int64_t page, const std::string& body, const PageContext& ctx,
              JsonPageParser& parser) override {
    if (Status s = parse_(parser, body, ctx); !s.ok()) RetryParse(page, s);
  }

 private:
  Parse parse_;
};

int64_t UnixSeconds(SystemTime t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

int64_t MillisBetween(SteadyTime from, SteadyTime to) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

// Subject grants of one role (step 3) and members of one granted group (step 7): the sink and
// the listing that fills it.
struct RoleGrants {
  std::string role_id;
  std::vector<audit::Grant> grants;
  std::vector<audit::ExternalSubject> externals;
  size_t scanned = 0;  // grants already looked at for granted groups
  Listing* listing = nullptr;
};
struct GroupMembers {
  std::string group_id;
  std::vector<std::string> members;
  Listing* listing = nullptr;
};
// Members of one routing queue (every listed queue's members are read).
struct QueueMembersRead {
  std::string queue_id;
  std::vector<audit::QueueMember> members;
  Listing* listing = nullptr;
};

// One sweep in progress, as the request source the ApiClient streams from (genesys/README.md,
// "Scheduling"). Next() hands out the next queued request (urgent queue first); OnResult()
// parses a response into its listing's sink and queues whatever it revealed. After the stream,
// Finish() assembles the SweepResult. One use; not thread-safe (the ApiClient calls it from one
// thread).
class SweepRun final : public ApiRequestSource {
 public:
  ~SweepRun() override {
    if (gather_.joinable()) gather_.join();
  }
  SweepRun(const Clock& clock, const SweeperOptions& options, const CancellationToken& cancel,
           const ProgressCallback& progress, const FinalGrantsCallback& final_grants,
           const FinalUsersCallback& final_users)
      : clock_(clock),
        options_(options),
        cancel_(cancel),
        progress_(progress),
        final_grants_(final_grants),
        final_users_(final_users) {
    last_progress_ = clock_.SteadyNow();
    StartIndependentListings();
  }

  std::optional<Tagged> Next() override;
  void OnResult(uint64_t tag, Result<ApiResponse> result) override;

  // Called once the stream has ended: fills everything in `result` but the request statistics
  // and the timestamps.
  void Finish(SweepResult& result);

 private:
  struct Queued {
    Listing* listing;
    int64_t page;
    ApiRequest request;
  };

  // The call plan (genesys/README.md, "The call plan").
  void StartIndependentListings();  // page 1 of steps 1, 2, 4, 5, 6, 8, 9, 10, 11, 13, 14, 15
  void StartPermissionListings();   // steps 14 and 15 (v2)
  PagedListing* AddPaged(std::string name, std::string phase, std::string endpoint,
                         std::string_view route, std::string extra_query,
                         PagedListing::ParseFn parse, std::function<void()> reset,
                         int64_t page_size = 0);  // 0: options' page_size
  PagedListing* AddUsers(std::string_view state, std::vector<audit::User>& sink);
  void DiscoverSubjectGrants();   // step 3, for each role read so far
  void DiscoverGroupMembers();    // step 7, for each group a grant read so far names
  void DiscoverInactiveCursor();  // step 5 past the page listing's limit
  void DiscoverQueueMembers();    // step 12, for each queue read so far
  // The grants, once every listing they come from is complete (FinalGrantsCallback).
  bool GrantListingsComplete() const;
  void GatherGrants(std::vector<audit::Grant>& out, const std::vector<audit::OAuthClient>& clients);
  void HandOverFinalGrants();
  // The users, once the user listings are complete (FinalUsersCallback).
  bool UserListingsComplete() const;
  void GatherUsers(std::vector<audit::User>& out);
  void HandOverFinalUsers();

  // Queues.
  void Enqueue(Listing& listing);
  void EnqueueNewListings();

  // Progress.
  void NoteProgress(const Listing& listing);
  void ReportProgress();

  // Finish.
  void AssembleSnapshot(audit::OrgSnapshot& snap, audit::SweepInfo& info);
  void AssembleGroups(audit::OrgSnapshot& snap);
  void AssembleGrants(audit::OrgSnapshot& snap, audit::SweepInfo& info);
  void AssemblePermissions(audit::OrgSnapshot& snap, audit::SweepInfo& info);
  void RecordCompleteness(audit::ListingCompleteness& done) const;
  void RecordIncomplete(audit::SweepInfo& info) const;
  void MeasureCoverage(const audit::OrgSnapshot& snap, audit::SweepInfo& info,
                       audit::ListingCompleteness& done) const;
  void DecideStatus(const audit::OrgSnapshot& snap, audit::SweepInfo& info) const;
  void AssembleQueues(audit::OrgSnapshot& snap);
  void RecordQueueCompleteness(const audit::OrgSnapshot& snap, audit::SweepInfo& info,
                               audit::ListingCompleteness& done) const;

  const Clock& clock_;
  const SweeperOptions& options_;
  const CancellationToken& cancel_;
  const ProgressCallback& progress_;
  const FinalGrantsCallback& final_grants_;
  const FinalUsersCallback& final_users_;
  JsonPageParser parser_;
  SweepFlags flags_;

  // Sinks, one per listing so that a listing re-read can discard exactly its own entities.
  std::vector<audit::Division> divisions_;
  std::vector<audit::Role> roles_;
  std::vector<audit::User> active_users_;
  std::vector<audit::User> inactive_users_;
  std::vector<audit::User> cursor_users_;
  // HandOverFinalUsers: the users, gathered (deduplicated) before the stream ended.
  bool users_gathered_ = false;
  std::vector<audit::User> gathered_users_;
  std::vector<audit::Group> groups_;
  std::vector<audit::OAuthClient> clients_;
  std::vector<std::string> permitted_;
  std::deque<RoleGrants> role_grants_;  // deque: stable references for the listings' lambdas
  // HandOverFinalGrants: the grants gathered (and canonical) before the stream ended, by
  // gather_ (gathered_grants_ is that thread's until the join).
  bool grants_gathered_ = false;
  std::vector<audit::Grant> gathered_grants_;
  std::thread gather_;
  std::deque<GroupMembers> group_members_;
  std::unordered_set<std::string> roles_listed_;
  std::unordered_set<std::string> groups_listed_;
  size_t roles_scanned_ = 0;

  // Every listing, in the order it was started; the fixed ones by name.
  std::vector<std::unique_ptr<Listing>> listings_;
  PagedListing* divisions_listing_ = nullptr;
  PagedListing* roles_listing_ = nullptr;
  PagedListing* active_listing_ = nullptr;
  PagedListing* inactive_listing_ = nullptr;
  PagedListing* groups_listing_ = nullptr;
  Listing* clients_listing_ = nullptr;
  PagedListing* coverage_listing_ = nullptr;
  Listing* cursor_listing_ = nullptr;
  Listing* organization_listing_ = nullptr;
  OrganizationInfo organization_;
  // v2: the permission catalog and the role settings.
  std::vector<audit::CatalogPermission> permissions_;
  std::optional<audit::RoleSettings> role_settings_;
  PagedListing* permissions_listing_ = nullptr;
  Listing* role_settings_listing_ = nullptr;

  // Routing queues (steps 11, 12, 13).
  std::vector<audit::Queue> queues_;
  std::vector<std::string> queue_permitted_;
  std::deque<QueueMembersRead> queue_members_;  // deque: stable references for the lambdas
  std::unordered_set<std::string> queues_listed_;
  size_t queues_scanned_ = 0;
  PagedListing* queues_listing_ = nullptr;
  PagedListing* queue_coverage_listing_ = nullptr;
  std::deque<Queued> queue_lane_;  // queue-member pages
  bool queue_turn_ = false;        // the next pick takes the queue lane when both have work

  // Requests that may reveal more work (every page 1, roles, subject grants, the cursor) go
  // before the remaining pages of long listings.
  std::deque<Queued> urgent_;
  std::deque<Queued> plain_;
  std::unordered_map<uint64_t, std::pair<Listing*, int64_t>> outstanding_;
  uint64_t next_tag_ = 1;
  size_t listings_queued_ = 0;  // listings whose initial pending pages were queued
  std::vector<std::pair<int64_t, ApiRequest>> taken_;

  std::vector<std::string> phases_;  // of the responses since the last progress call
  int64_t responses_since_progress_ = 0;
  SteadyTime last_progress_;
};

PagedListing* SweepRun::AddPaged(std::string name, std::string phase, std::string endpoint,
                                 std::string_view route, std::string extra_query,
                                 PagedListing::ParseFn parse, std::function<void()> reset,
                                 int64_t page_size) {
  auto l = std::make_unique<PagedListing>(std::move(name), std::move(phase), std::move(endpoint),
                                          std::string(route), std::move(extra_query),
                                          page_size > 0 ? page_size : options_.page_size,
                                          std::move(parse), std::move(reset));
  l->set_max_response_bytes(options_.max_page_bytes);
  PagedListing* raw = l.get();
  listings_.push_back(std::move(l));
  return raw;
}

PagedListing* SweepRun::AddUsers(std::string_view state, std::vector<audit::User>& sink) {
  const std::string s(state);
  return AddPaged(
      "users (state=" + s + ")", "users", std::string(kUsersPath), kUsersPath, "&state=" + s,
      [&sink, s](JsonPageParser& p, const std::string& body,
                 const PageContext& ctx) -> Result<PageInfo> {
        const size_t before = sink.size();
        Result<PageInfo> r = p.Users(body, ctx, sink);
        for (size_t i = before; i < sink.size(); ++i) {
          if (sink[i].state.empty()) sink[i].state = s;
        }
        return r;
      },
      [&sink] { sink.clear(); });
}

void SweepRun::StartIndependentListings() {
  divisions_listing_ = AddPaged(
      "divisions", "divisions", std::string(kDivisionsPath), kDivisionsPath, "",
      [this](JsonPageParser& p, const std::string& b, const PageContext& c) {
        return p.Divisions(b, c, divisions_);
      },
      [this] { divisions_.clear(); });
  roles_listing_ = AddPaged(
      "roles", "roles", std::string(kRolesPath), kRolesPath, "&userCount=false",
      [this](JsonPageParser& p, const std::string& b, const PageContext& c) {
        return p.Roles(b, c, roles_);
      },
      [this] { roles_.clear(); });
  roles_listing_->set_urgent();  // roles reveal subject-grant listings
  active_listing_ = AddUsers("active", active_users_);
  inactive_listing_ = AddUsers("inactive", inactive_users_);
  inactive_listing_->set_max_results(options_.inactive_page_listing_limit);
  groups_listing_ = AddPaged(
      "groups", "groups", std::string(kGroupsPath), kGroupsPath, "",
      [this](JsonPageParser& p, const std::string& b, const PageContext& c) {
        return p.Groups(b, c, groups_);
      },
      [this] { groups_.clear(); });
  listings_.push_back(std::make_unique<SingleObjectListing>(
      "oauth clients", kOAuthClientsPath,
      [this](JsonPageParser& p, const std::string& b, const PageContext& c) {
        return p.OAuthClients(b, c, clients_).status();
      }));
  clients_listing_ = listings_.back().get();
  clients_listing_->set_max_response_bytes(options_.max_unpaged_bytes);
  coverage_listing_ = AddPaged(
      "coverage", "coverage", std::string(kPermittedPath), kPermittedPath,
      "&permission=" + options_.coverage_permission,
      [this](JsonPageParser& p, const std::string& b, const PageContext& c) {
        return p.DivisionsPermitted(b, c, permitted_);
      },
      [this] { permitted_.clear(); });
  coverage_listing_->set_stop_when_all_permitted();
  listings_.push_back(std::make_unique<SingleObjectListing>(
      "organization", kOrganizationPath,
      [this](JsonPageParser& p, const std::string& b, const PageContext& c) -> Status {
        DIVAUDIT_ASSIGN_OR_RETURN(organization_, p.Organization(b, c));
        return Status::Ok();
      }));
  organization_listing_ = listings_.back().get();
  organization_listing_->set_max_response_bytes(options_.max_unpaged_bytes);
  queues_listing_ = AddPaged(
      "routing queues", "queues", std::string(kQueuesPath), kQueuesPath, "",
      [this](JsonPageParser& p, const std::string& b, const PageContext& c) {
        return p.Queues(b, c, queues_);
      },
      [this] { queues_.clear(); });
  queues_listing_->set_urgent();  // its pages reveal member listings
  queue_coverage_listing_ = AddPaged(
      "coverage (" + options_.queue_coverage_permission + ")", "coverage",
      std::string(kPermittedPath), kPermittedPath,
      "&permission=" + options_.queue_coverage_permission,
      [this](JsonPageParser& p, const std::string& b, const PageContext& c) {
        return p.DivisionsPermitted(b, c, queue_permitted_);
      },
      [this] { queue_permitted_.clear(); });
  queue_coverage_listing_->set_stop_when_all_permitted();
  StartPermissionListings();
  EnqueueNewListings();
}

void SweepRun::StartPermissionListings() {
  permissions_listing_ = AddPaged(
      "permission catalog", "permissions", std::string(kPermissionsPath), kPermissionsPath, "",
      [this](JsonPageParser& p, const std::string& b, const PageContext& c) {
        return p.Permissions(b, c, permissions_);
      },
      [this] { permissions_.clear(); });
  listings_.push_back(std::make_unique<SingleObjectListing>(
      "role settings", kRoleSettingsPath,
      [this](JsonPageParser& p, const std::string& b, const PageContext& c) -> Status {
        DIVAUDIT_ASSIGN_OR_RETURN(role_settings_, p.RoleSettings(b, c));
        return Status::Ok();
      }));
  role_settings_listing_ = listings_.back().get();
  role_settings_listing_->set_max_response_bytes(options_.max_unpaged_bytes);
}

void SweepRun::DiscoverQueueMembers() {
  if (queues_.size() < queues_scanned_) queues_scanned_ = 0;  // the queues listing was re-read
  for (; queues_scanned_ < queues_.size(); ++queues_scanned_) {
    const std::string& queue_id = queues_[queues_scanned_].id;
    if (!queues_listed_.insert(queue_id).second) continue;
    QueueMembersRead& qm = queue_members_.emplace_back();
    qm.queue_id = queue_id;
    const std::string endpoint = std::string(kQueuesPath) + "/" + UrlEncode(queue_id) + "/members";
    auto l = std::make_unique<NextUriListing>(
        "members of queue " + queue_id, "queue members", endpoint, std::string(kQueueMembersRoute),
        options_.queue_member_page_size, kMaxQueueMemberPages,
        [&qm](JsonPageParser& p, const std::string& b, const PageContext& c) {
          return p.QueueMembers(b, c, qm.queue_id, qm.members);
        });
    l->set_max_response_bytes(options_.max_page_bytes);
    l->set_queue_lane();
    qm.listing = l.get();
    listings_.push_back(std::move(l));
  }
}

void SweepRun::DiscoverSubjectGrants() {
  if (roles_.size() < roles_scanned_) roles_scanned_ = 0;  // the roles listing was re-read
  for (; roles_scanned_ < roles_.size(); ++roles_scanned_) {
    const std::string& role_id = roles_[roles_scanned_].id;
    if (!roles_listed_.insert(role_id).second) continue;
    RoleGrants& rg = role_grants_.emplace_back();
    rg.role_id = role_id;
    const std::string endpoint =
        std::string(kRolesPath) + "/" + UrlEncode(role_id) + "/subjectgrants";
    rg.listing = AddPaged(
        "subject grants of role " + role_id, "subject grants", endpoint, kSubjectGrantsRoute, "",
        [&rg](JsonPageParser& p, const std::string& b, const PageContext& c) {
          return p.SubjectGrants(b, c, rg.role_id, {&rg.grants, &rg.externals});
        },
        [&rg] {
          rg.grants.clear();
          rg.externals.clear();
          rg.scanned = 0;
        });
    rg.listing->set_urgent();  // its pages reveal granted groups
  }
}

void SweepRun::DiscoverGroupMembers() {
  for (RoleGrants& rg : role_grants_) {
    for (; rg.scanned < rg.grants.size(); ++rg.scanned) {
      const audit::Grant& g = rg.grants[rg.scanned];
      if (g.subject_type != audit::SubjectType::kGroup) continue;
      if (!groups_listed_.insert(g.subject_id.str()).second) continue;
      GroupMembers& gm = group_members_.emplace_back();
      gm.group_id = g.subject_id.str();
      const std::string endpoint =
          std::string(kGroupsPath) + "/" + UrlEncode(gm.group_id) + "/members";
      gm.listing = AddPaged(
          "members of group " + gm.group_id, "group members", endpoint, kGroupMembersRoute, "",
          [&gm](JsonPageParser& p, const std::string& b, const PageContext& c) {
            return p.GroupMembers(b, c, gm.members);
          },
          [&gm] { gm.members.clear(); });
    }
  }
}

void SweepRun::DiscoverInactiveCursor() {
  if (!inactive_listing_->too_large() || cursor_listing_ != nullptr) return;
  GetLogger("sweep")->info("event=inactive_users_cursor items_over={}",
                           options_.inactive_page_listing_limit);
  listings_.push_back(std::make_unique<CursorListing>(
      "users (state=inactive, cursor)",
      std::string(kUsersQueryPath) +
          "?state=inactive&pageSize=" + std::to_string(options_.page_size),
      options_.max_cursor_pages, cursor_users_, "inactive"));
  cursor_listing_ = listings_.back().get();
  cursor_listing_->set_max_response_bytes(options_.max_page_bytes);
  cursor_listing_->set_urgent();  // sequential: each page reveals the next
}

void SweepRun::Enqueue(Listing& listing) {
  taken_.clear();
  listing.TakePending(taken_);
  for (auto& [page, request] : taken_) {
    (listing.queue_lane()            ? queue_lane_
     : page <= 1 || listing.urgent() ? urgent_
                                     : plain_)
        .push_back({&listing, page, std::move(request)});
  }
}

void SweepRun::EnqueueNewListings() {
  for (; listings_queued_ < listings_.size(); ++listings_queued_) {
    Enqueue(*listings_[listings_queued_]);
  }
}

std::optional<ApiRequestSource::Tagged> SweepRun::Next() {
  if (!flags_.auth_error.empty() || flags_.cancelled) return std::nullopt;
  if (cancel_.cancelled()) {
    flags_.cancelled = true;
    return std::nullopt;
  }
  // The grant chain (urgent) and the queue-member lane take turns; then plain pages, then what
  // is left of the queue-member lane. The user pages (plain) are thus read once the grant chain
  // is done, and the queue members, which reveal nothing, last: the users are final
  // (HandOverFinalUsers) well before the stream ends.
  std::deque<Queued>* lane = plain_.empty() ? &queue_lane_ : &plain_;
  if (!urgent_.empty() && !queue_lane_.empty()) {
    lane = queue_turn_ ? &queue_lane_ : &urgent_;
    queue_turn_ = !queue_turn_;
  } else if (!urgent_.empty()) {
    lane = &urgent_;
  }
  std::deque<Queued>& queue = *lane;
  if (queue.empty()) return std::nullopt;
  Queued q = std::move(queue.front());
  queue.pop_front();
  const uint64_t tag = next_tag_++;
  outstanding_.emplace(tag, std::make_pair(q.listing, q.page));
  return Tagged{tag, std::move(q.request)};
}

void SweepRun::OnResult(uint64_t tag, Result<ApiResponse> result) {
  auto it = outstanding_.find(tag);
  if (it == outstanding_.end()) return;
  auto [listing, page] = it->second;
  outstanding_.erase(it);
  listing->OnResult(page, result, parser_, flags_);
  result = Result<ApiResponse>(ApiResponse{});  // the body is parsed: free it now
  Enqueue(*listing);
  DiscoverSubjectGrants();
  DiscoverGroupMembers();
  DiscoverInactiveCursor();
  DiscoverQueueMembers();
  EnqueueNewListings();
  if (final_grants_ && !grants_gathered_ && GrantListingsComplete()) HandOverFinalGrants();
  if (final_users_ && !users_gathered_ && UserListingsComplete()) HandOverFinalUsers();
  if (progress_) NoteProgress(*listing);
}

bool SweepRun::GrantListingsComplete() const {
  if (!roles_listing_->complete() || !clients_listing_->complete()) return false;
  if (roles_scanned_ != roles_.size()) return false;
  return std::all_of(role_grants_.begin(), role_grants_.end(),
                     [](const RoleGrants& rg) { return rg.listing->complete(); });
}

// Appends every role's subject grants (copied out, each role's vector freed at once: 500,000
// grants are ~16 MB) and the OAuth clients' roleDivisions, which are grants too (union with the
// PC_OAUTH_CLIENT subject grants), to `out`.
void SweepRun::GatherGrants(std::vector<audit::Grant>& out,
                            const std::vector<audit::OAuthClient>& clients) {
  size_t count = out.size();
  for (const RoleGrants& rg : role_grants_) count += rg.grants.size();
  for (const auto& c : clients) count += c.role_divisions.size();
  out.reserve(count);
  for (RoleGrants& rg : role_grants_) {
    out.insert(out.end(), rg.grants.begin(), rg.grants.end());  // trivially copyable
    std::vector<audit::Grant>().swap(rg.grants);
  }
  for (const auto& c : clients) {
    for (const auto& rd : c.role_divisions) {
      out.push_back(
          audit::Grant{audit::SubjectType::kOAuthClient, c.id, rd.role_id, rd.division_id});
    }
  }
}

// Complete listings take no more pages, so these grants are the sweep's: gathered and sorted now,
// while the rest of the org is still being read, they become the snapshot's (AssembleGrants).
// Gathering is a copy; sorting half a million grants (~0.15 s) runs on a thread of its own
// (joined by AssembleSnapshot), so that the stream goes on meanwhile. That thread touches only
// gathered_grants_ and the callback.
void SweepRun::HandOverFinalGrants() {
  grants_gathered_ = true;
  GatherGrants(gathered_grants_, clients_);
  gather_ = std::thread([this] {
    std::vector<audit::ExternalSubject> none;
    audit::CanonicalizeGrants(gathered_grants_, none);
    final_grants_(gathered_grants_);
  });
}

bool SweepRun::UserListingsComplete() const {
  if (!active_listing_->complete() || !inactive_listing_->complete()) return false;
  // Past the page listing's limit the inactive users come from the cursor (DiscoverInactiveCursor
  // has run for this response already).
  return !inactive_listing_->too_large() ||
         (cursor_listing_ != nullptr && cursor_listing_->complete());
}

// The snapshot's users from the three user sinks (moved out, the sinks freed) into `out`,
// deduplicated and sorted by id.
void SweepRun::GatherUsers(std::vector<audit::User>& out) {
  out = std::move(active_users_);
  out.reserve(out.size() + inactive_users_.size() + cursor_users_.size());
  for (auto& u : inactive_users_) out.push_back(std::move(u));
  for (auto& u : cursor_users_) out.push_back(std::move(u));
  std::vector<audit::User>().swap(active_users_);  // moved-from shells: free them now
  std::vector<audit::User>().swap(inactive_users_);
  std::vector<audit::User>().swap(cursor_users_);
  DedupeById(out);
}

// Complete listings take no more pages, so these are the sweep's users (AssembleSnapshot takes
// them). The user pages are plain pages, read before what is left of the queue lane (Next), so
// on an org with many queues this happens well before the stream ends.
void SweepRun::HandOverFinalUsers() {
  users_gathered_ = true;
  GatherUsers(gathered_users_);
  final_users_(gathered_users_);
}

void SweepRun::NoteProgress(const Listing& listing) {
  ++responses_since_progress_;
  if (std::find(phases_.begin(), phases_.end(), listing.phase()) == phases_.end()) {
    phases_.push_back(listing.phase());
  }
  if (clock_.SteadyNow() - last_progress_ >= options_.progress_interval) ReportProgress();
}

void SweepRun::ReportProgress() {
  std::string phase;
  for (const auto& p : phases_) phase += (phase.empty() ? "" : "+") + p;
  int64_t done = 0;
  int64_t known = 0;
  for (const auto& l : listings_) {
    done += l->pages_done();
    known += l->pages_known();
  }
  progress_(phase, done, known);
  phases_.clear();
  responses_since_progress_ = 0;
  last_progress_ = clock_.SteadyNow();
}

void SweepRun::Finish(SweepResult& result) {
  if (cancel_.cancelled()) flags_.cancelled = true;
  if (progress_ && responses_since_progress_ > 0) ReportProgress();
  AssembleSnapshot(result.snapshot, result.info);
  result.info.org_id = organization_.id;
  result.info.org_name = organization_.name;
  RecordCompleteness(result.completeness);
  RecordIncomplete(result.info);
  MeasureCoverage(result.snapshot, result.info, result.completeness);
  RecordQueueCompleteness(result.snapshot, result.info, result.completeness);
  DecideStatus(result.snapshot, result.info);
}

void SweepRun::AssembleSnapshot(audit::OrgSnapshot& snap, audit::SweepInfo& info) {
  if (gather_.joinable()) gather_.join();  // HandOverFinalGrants' thread
  snap.divisions = std::move(divisions_);
  DedupeById(snap.divisions);
  snap.roles = std::move(roles_);
  DedupeById(snap.roles);
  snap.oauth_clients = std::move(clients_);
  DedupeById(snap.oauth_clients);
  // The grants (half a million for a 50,000-user org) are gathered and sorted on a second
  // thread while this one gathers the rest: the request stream is over, so a core is free
  // (usually they were gathered and sorted during the stream: HandOverFinalGrants). The
  // grants thread writes only snap.grants, snap.external_subjects and
  // info.unknown_subject_types, and reads the OAuth clients; this thread touches none of them
  // until the join (ThreadSanitizer: tests/genesys under scripts/sanitize tsan).
  std::thread grants([this, &snap, &info] {
    AssembleGrants(snap, info);
    audit::CanonicalizeGrants(snap.grants, snap.external_subjects);
  });
  // HandOverFinalUsers gathered them already, if it ran: nothing can have been added since.
  if (!users_gathered_) GatherUsers(gathered_users_);
  snap.users = std::move(gathered_users_);
  AssembleGroups(snap);
  AssembleQueues(snap);
  AssemblePermissions(snap, info);
  grants.join();
  audit::CanonicalizeExceptGrants(snap);  // sorts the clients' roleDivisions, which it reads
}

void SweepRun::AssemblePermissions(audit::OrgSnapshot& snap, audit::SweepInfo& info) {
  snap.permissions = std::move(permissions_);
  // Only a settings answer that parsed counts: never a default (docs/rules.md).
  snap.role_settings = role_settings_listing_->complete() ? role_settings_ : std::nullopt;
  if (!permissions_listing_->complete()) return;  // unknown names are judged on a full catalog
  std::set<std::pair<std::string_view, std::string_view>> entities;
  std::set<std::string_view> domains;
  for (const auto& p : snap.permissions) {
    domains.insert(p.domain);
    entities.emplace(p.domain, p.entity_type);
  }
  std::string example;
  for (const auto& r : snap.roles) {
    for (const auto& p : r.policies) {
      const bool any_domain = p.domain == "*";
      const bool any_entity = p.entity_name == "*";
      const bool known = any_domain   ? true
                         : any_entity ? domains.contains(p.domain)
                                      : entities.contains({p.domain, p.entity_name});
      if (known) continue;
      ++info.policies_outside_catalog;
      if (example.empty()) example = "role " + r.id + ": " + p.domain + ":" + p.entity_name;
    }
  }
  if (info.policies_outside_catalog > 0) {
    GetLogger("sweep")->warn("event=policies_outside_catalog items={} example=\"{}\"",
                             info.policies_outside_catalog, example);
  }
}

void SweepRun::AssembleQueues(audit::OrgSnapshot& snap) {
  snap.queues = std::move(queues_);
  DedupeById(snap.queues);
  // In canonical order already (queue by queue, each queue's few dozen rows sorted where they
  // are), so Canonicalize need not sort 60,000 rows by their texts.
  size_t rows = 0;
  std::vector<QueueMembersRead*> by_queue;
  by_queue.reserve(queue_members_.size());
  for (QueueMembersRead& qm : queue_members_) {
    rows += qm.members.size();
    by_queue.push_back(&qm);
    std::sort(qm.members.begin(), qm.members.end());
  }
  std::sort(by_queue.begin(), by_queue.end(),
            [](const QueueMembersRead* a, const QueueMembersRead* b) {
              return a->queue_id < b->queue_id;
            });
  snap.queue_members.reserve(rows);
  for (QueueMembersRead* qm : by_queue) {
    for (auto& m : qm->members) snap.queue_members.push_back(std::move(m));
    std::vector<audit::QueueMember>().swap(qm->members);
  }
}

// Queues are complete when the listing was read and every division is visible to this client
// for routing:queue:view (a queue in an invisible division would be missing silently).
void SweepRun::RecordQueueCompleteness(const audit::OrgSnapshot& snap, audit::SweepInfo& info,
                                       audit::ListingCompleteness& done) const {
  bool visible_everywhere = queue_coverage_listing_->complete();
  if (visible_everywhere && !queue_coverage_listing_->all_permitted()) {
    std::unordered_set<std::string> visible(queue_permitted_.begin(), queue_permitted_.end());
    for (const auto& d : snap.divisions) {
      if (d.id == audit::kAllDivisionsId || visible.contains(d.id)) continue;
      visible_everywhere = false;
      info.incomplete.push_back("coverage (" + options_.queue_coverage_permission + "): division " +
                                d.id + " (" + d.name + ") not visible to this client");
    }
  }
  done.queues = queues_listing_->complete() && visible_everywhere;
  for (const QueueMembersRead& qm : queue_members_) {
    if (!qm.listing->complete()) done.queues_without_members.push_back(qm.queue_id);
  }
  std::sort(done.queues_without_members.begin(), done.queues_without_members.end());
}

void SweepRun::AssembleGroups(audit::OrgSnapshot& snap) {
  snap.groups = std::move(groups_);
  DedupeById(snap.groups);
  std::unordered_map<std::string, size_t> group_index;
  for (size_t i = 0; i < snap.groups.size(); ++i) group_index[snap.groups[i].id] = i;
  for (GroupMembers& gm : group_members_) {
    auto it = group_index.find(gm.group_id);
    if (it == group_index.end()) {
      // A group that holds grants but is not (yet) in the groups listing: keep it.
      audit::Group& g = snap.groups.emplace_back();
      g.id = gm.group_id;
      it = group_index.emplace(gm.group_id, snap.groups.size() - 1).first;
    }
    audit::Group& g = snap.groups[it->second];
    g.member_ids = std::move(gm.members);
    g.members_read = gm.listing->complete();
  }
}

void SweepRun::AssembleGrants(audit::OrgSnapshot& snap, audit::SweepInfo& info) {
  if (grants_gathered_) {
    // Gathered during the stream from listings that were complete, so nothing can have been
    // added since. Were anything added, it is kept (the snapshot then differs from what the
    // callback saw, and a store that wrote those grants early falls back).
    snap.grants = std::move(gathered_grants_);
    for (const RoleGrants& rg : role_grants_) {
      if (rg.grants.empty()) continue;
      GetLogger("sweep")->error("event=grants_after_handover role={} grants={}", rg.role_id,
                                rg.grants.size());
    }
    GatherGrants(snap.grants, {});  // appends those, if any (the clients' are in already)
  } else {
    GatherGrants(snap.grants, snap.oauth_clients);
  }
  for (RoleGrants& rg : role_grants_) {
    for (auto& e : rg.externals) snap.external_subjects.push_back(std::move(e));
    std::vector<audit::ExternalSubject>().swap(rg.externals);
  }
  DedupeById(snap.external_subjects);
  for (const auto& e : snap.external_subjects) {
    if (e.type == audit::SubjectType::kUnknown) ++info.unknown_subject_types[e.genesys_type];
  }
}

void SweepRun::RecordCompleteness(audit::ListingCompleteness& done) const {
  done.divisions = divisions_listing_->complete();
  done.roles = roles_listing_->complete();
  done.active_users = active_listing_->complete();
  done.inactive_users = inactive_listing_->complete() &&
                        (!inactive_listing_->too_large() ||
                         (cursor_listing_ != nullptr && cursor_listing_->complete()));
  done.groups = groups_listing_->complete();
  done.oauth_clients = clients_listing_->complete();
  done.permissions = permissions_listing_->complete();
  done.role_settings = role_settings_listing_->complete();
  for (const RoleGrants& rg : role_grants_) {
    if (!rg.listing->complete()) done.roles_without_grants.push_back(rg.role_id);
  }
  for (const GroupMembers& gm : group_members_) {
    if (!gm.listing->complete()) done.groups_without_members.push_back(gm.group_id);
  }
  std::sort(done.roles_without_grants.begin(), done.roles_without_grants.end());
  std::sort(done.groups_without_members.begin(), done.groups_without_members.end());
}

void SweepRun::RecordIncomplete(audit::SweepInfo& info) const {
  for (const auto& l : listings_) {
    if (!l->failed()) continue;
    const std::string& why = l->failure();
    info.incomplete.push_back(why.rfind(l->name(), 0) == 0 ? why : l->name() + ": " + why);
  }
}

void SweepRun::MeasureCoverage(const audit::OrgSnapshot& snap, audit::SweepInfo& info,
                               audit::ListingCompleteness& done) const {
  if (!coverage_listing_->complete()) {
    info.coverage_ratio = 0.0;  // unknown: never report full coverage we could not check
  } else if (coverage_listing_->all_permitted()) {
    info.coverage_ratio = 1.0;
  } else {
    std::unordered_set<std::string> visible(permitted_.begin(), permitted_.end());
    int64_t seen = 0;
    int64_t all = 0;
    for (const auto& d : snap.divisions) {
      if (d.id == audit::kAllDivisionsId) continue;
      ++all;
      if (visible.contains(d.id)) {
        ++seen;
      } else {
        info.incomplete.push_back("coverage: division " + d.id + " (" + d.name +
                                  ") not visible to this client");
      }
    }
    info.coverage_ratio = all == 0 ? 1.0 : static_cast<double>(seen) / static_cast<double>(all);
  }
  done.coverage = coverage_listing_->complete() && info.coverage_ratio >= 1.0;
}

void SweepRun::DecideStatus(const audit::OrgSnapshot& snap, audit::SweepInfo& info) const {
  const bool divisions_unreadable = divisions_listing_->failed() && snap.divisions.empty();
  const bool roles_unreadable = roles_listing_->failed() && snap.roles.empty();
  // Without the organisation the sweep cannot say which org it read: the contract fails it.
  const bool organization_unreadable = organization_listing_->failed();
  if (!flags_.auth_error.empty()) {
    info.status = audit::SweepStatus::kFailed;
    info.incomplete.insert(info.incomplete.begin(), "authentication failed: " + flags_.auth_error);
  } else if (flags_.cancelled) {
    info.status = audit::SweepStatus::kFailed;
    info.incomplete.insert(info.incomplete.begin(), "cancelled");
  } else if (divisions_unreadable || roles_unreadable || organization_unreadable) {
    info.status = audit::SweepStatus::kFailed;
  } else if (!info.incomplete.empty() || info.coverage_ratio < 1.0) {
    info.status = audit::SweepStatus::kPartial;
  } else {
    info.status = audit::SweepStatus::kComplete;
  }
}

}  // namespace

Sweeper::Sweeper(ApiClient& client, const Clock& clock, SweeperOptions options)
    : client_(client), clock_(clock), options_(std::move(options)) {}

SweepResult Sweeper::Run(const CancellationToken& cancel, const ProgressCallback& progress,
                         const FinalGrantsCallback& final_grants,
                         const FinalUsersCallback& final_users) {
  auto log = GetLogger("sweep");
  SweepResult result;
  audit::SweepInfo& info = result.info;
  info.started_at_unix = UnixSeconds(clock_.Now());
  const ApiStats stats_before = client_.Stats();

  SweepRun run(clock_, options_, cancel, progress, final_grants, final_users);
  const SteadyTime stream_started = clock_.SteadyNow();
  client_.Stream(run);
  const SteadyTime stream_ended = clock_.SteadyNow();
  run.Finish(result);
  log->debug("event=sweep_timing requests_ms={} assemble_ms={}",
             MillisBetween(stream_started, stream_ended),
             MillisBetween(stream_ended, clock_.SteadyNow()));

  const ApiStats stats_after = client_.Stats();
  info.api_requests = stats_after.requests - stats_before.requests;
  info.retries = stats_after.retries - stats_before.retries;
  info.throttled = stats_after.throttled - stats_before.throttled;
  info.finished_at_unix = UnixSeconds(clock_.Now());
  for (const auto& why : info.incomplete) log->warn("event=sweep_incomplete err=\"{}\"", why);
  const audit::OrgSnapshot& snap = result.snapshot;
  log->info(
      "event=sweep_read status={} api_requests={} divisions={} roles={} users={} groups={} "
      "oauth_clients={} grants={}",
      audit::SweepStatusName(info.status), info.api_requests, snap.divisions.size(),
      snap.roles.size(), snap.users.size(), snap.groups.size(), snap.oauth_clients.size(),
      snap.grants.size());
  return result;
}

int64_t MinimumRequests(const OrgShape& s, const SweeperOptions& o) {
  const int64_t ps = o.page_size;
  auto pages = [ps](int64_t n) { return std::max<int64_t>(1, CeilDiv(n, ps)); };
  int64_t n = s.token_requests;
  n += pages(s.divisions);
  n += pages(s.roles);
  for (int64_t subjects : s.subjects_per_role) n += pages(subjects);
  n += pages(s.active_users);
  if (s.inactive_users <= o.inactive_page_listing_limit) {
    n += pages(s.inactive_users);
  } else {
    n += 1 + CeilDiv(s.inactive_users, ps);  // the probing first page, then the cursor pages
  }
  n += pages(s.groups);
  for (int64_t members : s.members_per_granted_group) n += pages(members);
  n += 1;  // OAuth clients (unpaged)
  n += s.all_divisions_permitted ? 1 : pages(s.permitted_divisions);
  n += 1;                // organizations/me (unpaged)
  n += pages(s.queues);  // routing queues
  for (int64_t members : s.members_per_queue) {
    n += std::max<int64_t>(1, CeilDiv(members, o.queue_member_page_size));
  }
  n += s.all_divisions_queue_permitted ? 1 : pages(s.queue_permitted_divisions);
  n += pages(s.permission_domains);  // the catalog: one DomainPermissionCollection per domain
  n += 1;                            // roles/settings (unpaged)
  return n;
}

}  // namespace divaudit::genesys
