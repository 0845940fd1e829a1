#include "genesys/conversation_evidence.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "common/time_util.h"

namespace divaudit::genesys {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;

const SystemTime kNow = FromUnixSeconds(1'795'000'000);  // 2026-11-18T11:06:40Z

// An analytics backend in memory: POST details/query filters conversations by conversationStart
// in [start, end) of the interval, sorts ascending, pages (pageSize ≤ 100) and answers 400
// past 10,000 results, as the simulator does; GET by id. `fault` may replace any answer.
class FakeAnalytics final : public ApiClient {
 public:
  std::map<std::string, audit::Conversation> conversations;  // by id
  // Called for every request (0-based index): a status to answer instead, or nullopt.
  std::function<std::optional<int>(int, const ApiRequest&)> fault;
  std::vector<ApiRequest> requests;
  int bad_requests = 0;  // 400s (paging past 10,000)

  void Add(const std::string& id, SystemTime start, std::optional<SystemTime> end,
           std::vector<std::string> divisions = {"d1"}) {
    audit::Conversation c;
    c.id = id;
    c.start = start;
    c.end = end;
    c.division_ids = std::move(divisions);
    conversations[id] = c;
  }

  void Stream(ApiRequestSource& source) override {
    while (auto t = source.Next()) source.OnResult(t->tag, Answer(t->request));
  }
  ApiStats Stats() const override { return {}; }

  int QueryCount() const {
    return static_cast<int>(std::count_if(requests.begin(), requests.end(),
                                          [](const ApiRequest& r) { return r.method == "POST"; }));
  }

 private:
  static std::string Json(const audit::Conversation& c) {
    std::string out = R"({"conversationId":")" + c.id + R"(","conversationStart":")" +
                      audit::FormatIsoMillis(c.start) + "\"";
    if (c.end) out += R"(,"conversationEnd":")" + audit::FormatIsoMillis(*c.end) + "\"";
    out += R"(,"divisionIds":[)";
    for (size_t i = 0; i < c.division_ids.size(); ++i) {
      out += (i ? ",\"" : "\"") + c.division_ids[i] + "\"";
    }
    return out + R"(],"participants":[{"purpose":"customer","sessions":[]}]})";
  }

  static std::string Field(const std::string& body, const std::string& key) {
    const size_t at = body.find("\"" + key + "\":");
    size_t i = at + key.size() + 3;
    if (body[i] == '"') ++i;
    size_t j = body.find_first_of("\",}", i);
    return body.substr(i, j - i);
  }

  Result<ApiResponse> Answer(const ApiRequest& r) {
    const int index = static_cast<int>(requests.size());
    requests.push_back(r);
    if (fault) {
      if (std::optional<int> status = fault(index, r)) return ApiResponse{*status, "{}"};
    }
    if (r.method == "GET") {
      const std::string prefix = "/api/v2/analytics/conversations/";
      std::string id = r.path_and_query.substr(prefix.size());
      id = id.substr(0, id.find('/'));
      auto it = conversations.find(id);
      if (it == conversations.end()) return ApiResponse{404, R"({"status":404})"};
      return ApiResponse{200, Json(it->second)};
    }
    EXPECT_EQ(Field(r.body, "order"), "asc");
    EXPECT_EQ(Field(r.body, "orderBy"), "conversationStart");
    const int page_size = std::stoi(Field(r.body, "pageSize"));
    EXPECT_LE(page_size, 100);
    const int page = std::stoi(Field(r.body, "pageNumber"));
    const std::string interval = Field(r.body, "interval");
    const SystemTime a = *audit::ParseIsoMillis(interval.substr(0, interval.find('/')));
    const SystemTime b = *audit::ParseIsoMillis(interval.substr(interval.find('/') + 1));
    std::vector<const audit::Conversation*> hits;
    for (const auto& [id, c] : conversations) {
      if (c.start >= a && c.start < b) hits.push_back(&c);
    }
    std::stable_sort(hits.begin(), hits.end(),
                     [](const auto* x, const auto* y) { return x->start < y->start; });
    if (static_cast<int64_t>(page) * page_size > 10'000) {
      ++bad_requests;
      return ApiResponse{400, R"({"status":400,"message":"paging past 10000 results"})"};
    }
    std::string out = R"({"totalHits":)" + std::to_string(hits.size());
    const size_t from = static_cast<size_t>(page - 1) * page_size;
    if (from < hits.size()) {
      out += R"(,"conversations":[)";
      for (size_t i = from; i < std::min(hits.size(), from + page_size); ++i) {
        out += (i > from ? "," : "") + Json(*hits[i]);
      }
      out += "]";
    }
    return ApiResponse{200, out + "}"};
  }
};

std::vector<std::string> Ids(const std::vector<audit::Conversation>& cs) {
  std::vector<std::string> out;
  for (const auto& c : cs) out.push_back(c.id);
  std::sort(out.begin(), out.end());
  return out;
}

TEST(DetailsQueryTest, BodyNamesIntervalOrderAndPaging) {
  EXPECT_EQ(DetailsQueryBody(kNow - hours(1), kNow + milliseconds(5), 3, 100),
            R"({"interval":"2026-11-18T10:06:40.000Z/2026-11-18T11:06:40.005Z","order":"asc",)"
            R"("orderBy":"conversationStart","paging":{"pageSize":100,"pageNumber":3}})");
}

TEST(DetailsQueryTest, ParsesIdsOnlyAndNamesBadFields) {
  std::vector<audit::Conversation> out;
  auto total = ParseDetailsQueryPage(
      R"({"totalHits":7,"conversations":[{"conversationId":"c1",)"
      R"("conversationStart":"2026-11-18T10:00:00.250Z","conversationEnd":"2026-11-18T10:05:00Z",)"
      R"("divisionIds":["d2","d1","d2"],"participants":[)"
      R"({"purpose":"customer","participantName":"secret name","sessions":[{"segments":[{}]}]},)"
      R"({"purpose":"acd","sessions":[{"segments":[{"queueId":"q1"},{"queueId":"q1"}]}]},)"
      R"({"purpose":"agent","userId":"u9","sessions":[{"segments":[{"queueId":"q2"}]}]}]}]})",
      out);
  ASSERT_TRUE(total.ok()) << total.status().message();
  EXPECT_EQ(*total, 7);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].id, "c1");
  EXPECT_EQ(out[0].start, *audit::ParseIsoMillis("2026-11-18T10:00:00.250Z"));
  ASSERT_TRUE(out[0].end);
  EXPECT_EQ(out[0].division_ids, (std::vector<std::string>{"d1", "d2"}));
  EXPECT_EQ(out[0].queue_ids, (std::vector<std::string>{"q1", "q2"}));
  EXPECT_EQ(out[0].user_ids, (std::vector<std::string>{"u9"}));

  auto empty = ParseDetailsQueryPage(R"({"totalHits":0})", out);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, 0);
  auto bad = ParseDetailsQueryPage(
      R"({"totalHits":2,"conversations":[{"conversationId":"c2","conversationStart":"x"}]})", out);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("conversations[0].conversationStart"), std::string::npos)
      << bad.status().message();
  EXPECT_EQ(out.size(), 1u);  // rolled back
  EXPECT_FALSE(ParseDetailsQueryPage(R"({"conversations":[]})", out).ok());
  EXPECT_FALSE(ParseDetailsQueryPage(R"({"totalHits":1,)", out).ok());
}

TEST(ConversationEvidenceReaderTest, FirstSweepReadsTheLastDayUpToNowMinusLag) {
  FakeAnalytics api;
  api.Add("too-old", kNow - hours(24) - minutes(16), kNow - hours(20));
  api.Add("first", kNow - hours(24) - minutes(15), kNow - hours(20));  // window start: included
  api.Add("mid", kNow - hours(3), kNow - hours(2));
  api.Add("too-new", kNow - minutes(15), kNow - minutes(1));  // window end: next sweep
  ConversationEvidenceReader reader(api, {});
  EvidenceReadResult r = reader.Read({}, kNow);
  EXPECT_TRUE(r.available);
  EXPECT_EQ(r.stopped, "");
  EXPECT_EQ(Ids(r.ended), (std::vector<std::string>{"first", "mid"}));
  ASSERT_EQ(r.windows.size(), 1u);
  EXPECT_EQ(r.windows[0].start, kNow - hours(24) - minutes(15));
  EXPECT_EQ(r.windows[0].end, kNow - minutes(15));
  EXPECT_EQ(r.cursor.read_until, kNow - minutes(15));
  EXPECT_EQ(r.query_pages, 1);
  ASSERT_EQ(api.requests.size(), 1u);
  EXPECT_EQ(api.requests[0].max_response_bytes, size_t{64} << 20);

  // The next sweep starts exactly where this one ended.
  EvidenceReadResult next = reader.Read(r.cursor, kNow + hours(1));
  EXPECT_EQ(Ids(next.ended), (std::vector<std::string>{"too-new"}));
  EXPECT_EQ(next.cursor.read_until, kNow + hours(1) - minutes(15));
}

TEST(ConversationEvidenceReaderTest, SplitsIntervalsAbove10000AndHonoursThePageCap) {
  FakeAnalytics api;
  const SystemTime start = kNow - hours(24) - minutes(15);
  for (int i = 0; i < 25'000; ++i) {
    api.Add("c" + std::to_string(i), start + milliseconds(int64_t{i} * 3'000), kNow - hours(1));
  }
  ConversationEvidenceReader reader(api, {});
  std::multiset<std::string> all;
  EvidenceCursor cursor;
  int sweeps = 0;
  for (; sweeps < 5 && cursor.read_until != kNow - minutes(15); ++sweeps) {
    EvidenceReadResult r = reader.Read(cursor, kNow);
    EXPECT_LE(r.query_pages, 200);
    for (const EvidenceWindow& w : r.windows) EXPECT_LE(w.conversations, 10'000);
    for (const auto& c : r.ended) all.insert(c.id);
    cursor = r.cursor;
    if (cursor.read_until != kNow - minutes(15)) {
      EXPECT_NE(r.stopped.find("page cap 200"), std::string::npos) << r.stopped;
    }
  }
  EXPECT_EQ(sweeps, 2);  // 25,000 conversations = 250+ pages: two sweeps
  EXPECT_EQ(api.bad_requests, 0);
  EXPECT_EQ(all.size(), 25'000u);
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), 25'000u);  // none twice
}

// 429 / 5xx / transport errors anywhere (page 1, later pages, re-reads by id) never leave a gap
// and never return a conversation twice: over many sweeps with random faults, every
// conversation in the window comes back exactly once.
TEST(ConversationEvidenceReaderTest, FaultsMidWindowLeaveNoGapAndNoDuplicate) {
  for (int seed = 1; seed <= 10; ++seed) {
    FakeAnalytics api;
    std::mt19937 rng(seed);
    const SystemTime start = kNow - hours(24) - minutes(15);
    std::uniform_int_distribution<int64_t> when(0, 24 * 3600 * 1000 - 1);
    for (int i = 0; i < 3'000; ++i) {
      const SystemTime t = start + milliseconds(when(rng));
      api.Add("c" + std::to_string(i), t, t + minutes(5));
    }
    std::bernoulli_distribution fails(0.03);
    std::uniform_int_distribution<int> kind(0, 2);
    api.fault = [&](int, const ApiRequest&) -> std::optional<int> {
      if (!fails(rng)) return std::nullopt;
      return std::vector<int>{429, 500, 503}[kind(rng)];
    };
    EvidenceReadOptions options;
    options.max_results_per_query = 500;  // split as for > 10,000, on a smaller org
    ConversationEvidenceReader reader(api, options);
    std::multiset<std::string> all;
    EvidenceCursor cursor;
    for (int sweep = 0; sweep < 200 && cursor.read_until != kNow - minutes(15); ++sweep) {
      EvidenceReadResult r = reader.Read(cursor, kNow);
      EXPECT_TRUE(r.available);
      for (const auto& c : r.ended) all.insert(c.id);
      // The cursor only moves to the end of a window read completely.
      if (!r.windows.empty()) {
        EXPECT_EQ(cursor.read_until.value_or(r.windows[0].start), r.windows[0].start);
      }
      cursor = r.cursor;
    }
    ASSERT_EQ(cursor.read_until, kNow - minutes(15)) << "seed " << seed;
    EXPECT_EQ(all.size(), 3'000u) << "seed " << seed;
    EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), 3'000u) << "seed " << seed;
    EXPECT_EQ(api.bad_requests, 0);
  }
}

TEST(ConversationEvidenceReaderTest, AFailedPageKeepsTheWholeWindowForTheNextSweep) {
  FakeAnalytics api;
  for (int i = 0; i < 350; ++i) {
    api.Add("c" + std::to_string(i), kNow - hours(2) + std::chrono::seconds(i), kNow - hours(1));
  }
  int posts = 0;
  api.fault = [&](int, const ApiRequest& r) -> std::optional<int> {
    if (r.method == "POST" && ++posts == 3) return 503;  // page 3 of 4
    return std::nullopt;
  };
  ConversationEvidenceReader reader(api, {});
  EvidenceReadResult r = reader.Read({}, kNow);
  EXPECT_TRUE(r.ended.empty());
  EXPECT_FALSE(r.cursor.read_until);
  EXPECT_NE(r.stopped.find("page 3: HTTP 503"), std::string::npos) << r.stopped;
  EvidenceReadResult again = reader.Read(r.cursor, kNow);
  EXPECT_EQ(again.ended.size(), 350u);
  EXPECT_EQ(again.stopped, "");
}

TEST(ConversationEvidenceReaderTest, OpenConversationsAreReadAgainByIdUntilEnded) {
  FakeAnalytics api;
  api.Add("open", kNow - hours(2), std::nullopt);
  api.Add("gone", kNow - hours(2), std::nullopt);
  api.Add("done", kNow - hours(2), kNow - hours(1));
  ConversationEvidenceReader reader(api, {});
  EvidenceReadResult r = reader.Read({}, kNow);
  EXPECT_EQ(Ids(r.ended), (std::vector<std::string>{"done"}));
  EXPECT_EQ(r.cursor.pending, (std::vector<std::string>{"gone", "open"}));

  api.conversations.erase("gone");  // 404: dropped
  EvidenceReadResult still = reader.Read(r.cursor, kNow + minutes(5));
  EXPECT_EQ(still.pending_reads, 2);
  EXPECT_TRUE(still.ended.empty());
  EXPECT_EQ(still.cursor.pending, (std::vector<std::string>{"open"}));

  api.conversations["open"].end = kNow + minutes(6);
  api.conversations["open"].division_ids = {"d1", "d2"};  // transferred before ending
  EvidenceReadResult ended = reader.Read(still.cursor, kNow + minutes(10));
  ASSERT_EQ(ended.ended.size(), 1u);
  EXPECT_EQ(ended.ended[0].id, "open");
  EXPECT_EQ(ended.ended[0].division_ids, (std::vector<std::string>{"d1", "d2"}));
  EXPECT_TRUE(ended.cursor.pending.empty());
  ASSERT_EQ(api.requests.back().method, "POST");
  EXPECT_EQ(api.requests[api.requests.size() - 2].path_and_query,
            "/api/v2/analytics/conversations/open/details");
  EXPECT_EQ(api.requests[api.requests.size() - 2].route,
            "/api/v2/analytics/conversations/{conversationId}/details");
}

TEST(ConversationEvidenceReaderTest, Forbidden403MakesEvidenceUnavailableAndKeepsTheCursor) {
  FakeAnalytics api;
  api.Add("done", kNow - hours(2), kNow - hours(1));
  api.fault = [](int, const ApiRequest&) -> std::optional<int> { return 403; };
  ConversationEvidenceReader reader(api, {});
  EvidenceCursor cursor{kNow - hours(3), {"open"}};
  EvidenceReadResult r = reader.Read(cursor, kNow);
  EXPECT_FALSE(r.available);
  EXPECT_NE(r.stopped.find("HTTP 403"), std::string::npos);
  EXPECT_EQ(r.cursor.read_until, cursor.read_until);
  EXPECT_EQ(r.cursor.pending, cursor.pending);
  EXPECT_TRUE(r.ended.empty());

  api.fault = [](int, const ApiRequest& q) -> std::optional<int> {
    return q.method == "POST" ? std::optional<int>(403) : std::nullopt;
  };
  EvidenceReadResult query_forbidden = reader.Read(cursor, kNow);
  EXPECT_FALSE(query_forbidden.available);
  EXPECT_TRUE(query_forbidden.ended.empty());
  EXPECT_EQ(query_forbidden.cursor.pending, cursor.pending);
}

}  // namespace
}  // namespace divaudit::genesys
