#include "genesys/conversation_evidence.h"

#include <simdjson.h>

#include <algorithm>
#include <deque>
#include <set>
#include <unordered_set>
#include <utility>

#include "common/logging.h"

namespace divaudit::genesys {
namespace {

namespace dom = simdjson::dom;

constexpr char kQueryPath[] = "/api/v2/analytics/conversations/details/query";
constexpr char kByIdRoute[] = "/api/v2/analytics/conversations/{conversationId}/details";

void SortUnique(std::vector<std::string>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

Status FieldError(const std::string& path, std::string_view what) {
  return InvalidArgumentError(path + ": " + std::string(what));
}

Result<std::string> StringField(dom::object o, std::string_view key, const std::string& path,
                                bool required) {
  dom::element e;
  if (o.at_key(key).get(e) != simdjson::SUCCESS) {
    if (required) return FieldError(path + "." + std::string(key), "missing");
    return std::string();
  }
  std::string_view s;
  if (e.get(s) != simdjson::SUCCESS) {
    return FieldError(path + "." + std::string(key), "not a string");
  }
  return std::string(s);
}

Result<SystemTime> TimeField(dom::object o, std::string_view key, const std::string& path) {
  DIVAUDIT_ASSIGN_OR_RETURN(std::string text, StringField(o, key, path, true));
  auto t = audit::ParseIsoMillis(text);
  if (!t.ok()) return FieldError(path + "." + std::string(key), t.status().message());
  return *t;
}

// Optional array at `key` (absent → empty array view through `present`).
Result<bool> ArrayField(dom::object o, std::string_view key, const std::string& path,
                        dom::array& out) {
  dom::element e;
  if (o.at_key(key).get(e) != simdjson::SUCCESS) return false;
  if (e.get(out) != simdjson::SUCCESS) {
    return FieldError(path + "." + std::string(key), "not an array");
  }
  return true;
}

Result<audit::Conversation> ParseConversation(dom::element e, const std::string& path) {
  dom::object o;
  if (e.get(o) != simdjson::SUCCESS) return FieldError(path, "not an object");
  audit::Conversation c;
  DIVAUDIT_ASSIGN_OR_RETURN(c.id, StringField(o, "conversationId", path, true));
  if (c.id.empty()) return FieldError(path + ".conversationId", "empty");
  DIVAUDIT_ASSIGN_OR_RETURN(c.start, TimeField(o, "conversationStart", path));
  dom::element end;
  if (o.at_key("conversationEnd").get(end) == simdjson::SUCCESS && !end.is_null()) {
    DIVAUDIT_ASSIGN_OR_RETURN(c.end, TimeField(o, "conversationEnd", path));
  }
  dom::array divisions;
  DIVAUDIT_ASSIGN_OR_RETURN(bool has_divisions, ArrayField(o, "divisionIds", path, divisions));
  if (has_divisions) {
    size_t i = 0;
    for (dom::element d : divisions) {
      std::string_view s;
      if (d.get(s) != simdjson::SUCCESS) {
        return FieldError(path + ".divisionIds[" + std::to_string(i) + "]", "not a string");
      }
      if (!s.empty()) c.division_ids.emplace_back(s);
      ++i;
    }
  }
  dom::array participants;
  DIVAUDIT_ASSIGN_OR_RETURN(bool has_participants,
                            ArrayField(o, "participants", path, participants));
  if (has_participants) {
    size_t pi = 0;
    for (dom::element pe : participants) {
      const std::string ppath = path + ".participants[" + std::to_string(pi++) + "]";
      dom::object p;
      if (pe.get(p) != simdjson::SUCCESS) return FieldError(ppath, "not an object");
      DIVAUDIT_ASSIGN_OR_RETURN(std::string user, StringField(p, "userId", ppath, false));
      if (!user.empty()) c.user_ids.push_back(std::move(user));
      dom::array sessions;
      DIVAUDIT_ASSIGN_OR_RETURN(bool has_sessions, ArrayField(p, "sessions", ppath, sessions));
      if (!has_sessions) continue;
      size_t si = 0;
      for (dom::element se : sessions) {
        const std::string spath = ppath + ".sessions[" + std::to_string(si++) + "]";
        dom::object s;
        if (se.get(s) != simdjson::SUCCESS) return FieldError(spath, "not an object");
        dom::array segments;
        DIVAUDIT_ASSIGN_OR_RETURN(bool has_segments, ArrayField(s, "segments", spath, segments));
        if (!has_segments) continue;
        size_t gi = 0;
        for (dom::element ge : segments) {
          const std::string gpath = spath + ".segments[" + std::to_string(gi++) + "]";
          dom::object g;
          if (ge.get(g) != simdjson::SUCCESS) return FieldError(gpath, "not an object");
          DIVAUDIT_ASSIGN_OR_RETURN(std::string queue, StringField(g, "queueId", gpath, false));
          if (!queue.empty()) c.queue_ids.push_back(std::move(queue));
        }
      }
    }
  }
  SortUnique(c.division_ids);
  SortUnique(c.queue_ids);
  SortUnique(c.user_ids);
  return c;
}

Result<dom::element> ParseDocument(dom::parser& parser, std::string_view body) {
  dom::element doc;
  if (auto err = parser.parse(body.data(), body.size()).get(doc); err != simdjson::SUCCESS) {
    return InvalidArgumentError(std::string("truncated or malformed JSON (") +
                                simdjson::error_message(err) + ")");
  }
  return doc;
}

// Path segment: conversation ids are UUIDs; anything else is percent-encoded.
std::string EscapePathSegment(std::string_view id) {
  std::string out;
  for (unsigned char ch : id) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out.push_back(static_cast<char>(ch));
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      out += '%';
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    }
  }
  return out;
}

std::string Describe(const Result<ApiResponse>& r) {
  if (!r.ok()) return r.status().message();
  return "HTTP " + std::to_string(r->status);
}

}  // namespace

std::string DetailsQueryBody(SystemTime start, SystemTime end, int page_number, int page_size) {
  return R"({"interval":")" + audit::FormatIsoMillis(start) + "/" + audit::FormatIsoMillis(end) +
         R"(","order":"asc","orderBy":"conversationStart","paging":{"pageSize":)" +
         std::to_string(page_size) + R"(,"pageNumber":)" + std::to_string(page_number) + "}}";
}

Result<int64_t> ParseDetailsQueryPage(std::string_view body,
                                      std::vector<audit::Conversation>& out) {
  dom::parser parser;
  DIVAUDIT_ASSIGN_OR_RETURN(dom::element doc, ParseDocument(parser, body));
  dom::object o;
  if (doc.get(o) != simdjson::SUCCESS) return FieldError("$", "not an object");
  int64_t total = 0;
  dom::element hits;
  if (o.at_key("totalHits").get(hits) != simdjson::SUCCESS)
    return FieldError("totalHits", "missing");
  if (hits.get(total) != simdjson::SUCCESS || total < 0) {
    return FieldError("totalHits", "not a non-negative integer");
  }
  dom::array conversations;
  DIVAUDIT_ASSIGN_OR_RETURN(bool has, ArrayField(o, "conversations", "$", conversations));
  const size_t before = out.size();
  if (has) {
    size_t i = 0;
    for (dom::element e : conversations) {
      auto c = ParseConversation(e, "conversations[" + std::to_string(i++) + "]");
      if (!c.ok()) {
        out.resize(before);
        return c.status();
      }
      out.push_back(std::move(*c));
    }
  }
  return total;
}

Result<audit::Conversation> ParseConversationDetails(std::string_view body) {
  dom::parser parser;
  DIVAUDIT_ASSIGN_OR_RETURN(dom::element doc, ParseDocument(parser, body));
  return ParseConversation(doc, "$");
}

EvidenceReadResult ConversationEvidenceReader::Read(const EvidenceCursor& cursor, SystemTime now) {
  using std::chrono::milliseconds;
  auto log = GetLogger("sweep");
  EvidenceReadResult result;
  result.cursor = cursor;
  std::unordered_set<std::string> seen;  // conversation ids already in `ended` or pending

  // 1. Conversations that had not ended: read again by id.
  std::set<std::string> pending(cursor.pending.begin(), cursor.pending.end());
  if (!pending.empty()) {
    std::vector<std::string> ids(pending.begin(), pending.end());
    std::vector<ApiRequest> requests;
    for (const std::string& id : ids) {
      ApiRequest r{"/api/v2/analytics/conversations/" + EscapePathSegment(id) + "/details",
                   kByIdRoute, options_.max_page_bytes};
      requests.push_back(std::move(r));
    }
    std::vector<Result<ApiResponse>> responses = client_.GetAll(requests);
    result.pending_reads = static_cast<int>(requests.size());
    for (size_t i = 0; i < ids.size(); ++i) {
      const Result<ApiResponse>& r = responses[i];
      if (r.ok() && r->status == 403) {
        result.available = false;
        result.cursor = cursor;
        result.ended.clear();
        result.stopped = "GET " + std::string(kByIdRoute) + ": HTTP 403";
        return result;
      }
      if (r.ok() && r->status == 404) {
        pending.erase(ids[i]);  // gone (deleted or past retention): nothing left to learn
        continue;
      }
      if (!r.ok() || r->status != 200) continue;  // stays pending, tried next sweep
      auto c = ParseConversationDetails(r->body);
      if (!c.ok()) {
        log->warn("event=evidence_parse_error endpoint={} err=\"{}\"", kByIdRoute,
                  c.status().message());
        continue;
      }
      if (c->end) {
        pending.erase(ids[i]);
        seen.insert(c->id);
        result.ended.push_back(std::move(*c));
      }
    }
  }

  // 2. Windows (read_until, now - lag], oldest first.
  const SystemTime window_end = std::chrono::time_point_cast<milliseconds>(now - options_.lag);
  const SystemTime window_start = cursor.read_until.value_or(window_end - options_.first_window);
  std::deque<std::pair<SystemTime, SystemTime>> todo;
  if (window_start < window_end) todo.emplace_back(window_start, window_end);
  const auto query = [&](SystemTime a, SystemTime b, int page) {
    ApiRequest r{kQueryPath, kQueryPath, options_.max_page_bytes};
    r.method = "POST";
    r.body = DetailsQueryBody(a, b, page, options_.page_size);
    return r;
  };
  const auto stop_on = [&](const Result<ApiResponse>& r, const std::string& where) {
    if (r.ok() && r->status == 403) result.available = false;
    result.stopped = "POST " + std::string(kQueryPath) + " " + where + ": " + Describe(r);
  };
  while (!todo.empty()) {
    const auto [a, b] = todo.front();
    const std::string where = audit::FormatIsoMillis(a) + "/" + audit::FormatIsoMillis(b);
    if (result.query_pages >= options_.max_pages) {
      result.stopped = "page cap " + std::to_string(options_.max_pages) + " reached at " + where;
      break;
    }
    std::vector<audit::Conversation> conversations;
    Result<ApiResponse> first = std::move(client_.GetAll({query(a, b, 1)})[0]);
    ++result.query_pages;
    if (!first.ok() || first->status != 200) {
      stop_on(first, where + " page 1");
      break;
    }
    auto total = ParseDetailsQueryPage(first->body, conversations);
    if (!total.ok()) {
      result.stopped =
          "POST " + std::string(kQueryPath) + " " + where + " page 1: " + total.status().message();
      break;
    }
    if (*total > options_.max_results_per_query && b - a > milliseconds(1)) {
      const SystemTime mid =
          a + std::chrono::duration_cast<milliseconds>(b - a) / 2;  // whole milliseconds
      todo.pop_front();
      todo.emplace_front(mid, b);
      todo.emplace_front(a, mid);
      continue;
    }
    const int64_t pages_needed = std::max<int64_t>(
        1, (std::min(*total, options_.max_results_per_query) + options_.page_size - 1) /
               options_.page_size);
    if (result.query_pages + pages_needed - 1 > options_.max_pages) {
      result.stopped = "page cap " + std::to_string(options_.max_pages) + " reached at " + where;
      break;
    }
    std::vector<ApiRequest> rest;
    for (int64_t p = 2; p <= pages_needed; ++p) rest.push_back(query(a, b, static_cast<int>(p)));
    std::vector<Result<ApiResponse>> pages = client_.GetAll(rest);
    result.query_pages += static_cast<int>(rest.size());
    bool ok = true;
    for (size_t i = 0; i < pages.size() && ok; ++i) {
      const std::string page_where = where + " page " + std::to_string(i + 2);
      if (!pages[i].ok() || pages[i]->status != 200) {
        stop_on(pages[i], page_where);
        ok = false;
        break;
      }
      auto t = ParseDetailsQueryPage(pages[i]->body, conversations);
      if (!t.ok() || *t != *total) {
        result.stopped = "POST " + std::string(kQueryPath) + " " + page_where + ": " +
                         (t.ok() ? "totalHits changed from " + std::to_string(*total) + " to " +
                                       std::to_string(*t)
                                 : t.status().message());
        ok = false;
      }
    }
    if (!ok) break;
    // Deduplicate (paging may repeat a conversation); every one must be there.
    std::unordered_set<std::string> ids;
    std::vector<audit::Conversation> unique;
    for (audit::Conversation& c : conversations) {
      if (ids.insert(c.id).second) unique.push_back(std::move(c));
    }
    if (static_cast<int64_t>(unique.size()) != std::min(*total, options_.max_results_per_query)) {
      result.stopped = "POST " + std::string(kQueryPath) + " " + where + ": " +
                       std::to_string(unique.size()) + " distinct conversations for totalHits " +
                       std::to_string(*total);
      break;
    }
    for (audit::Conversation& c : unique) {
      if (!seen.insert(c.id).second) continue;
      if (c.end) {
        result.ended.push_back(std::move(c));
      } else {
        pending.insert(c.id);
      }
    }
    result.windows.push_back(
        {a, b, static_cast<int64_t>(unique.size()), static_cast<int>(pages_needed)});
    result.cursor.read_until = b;
    todo.pop_front();
  }
  if (!result.available) {
    EvidenceReadResult unavailable;
    unavailable.available = false;
    unavailable.stopped = result.stopped;
    unavailable.cursor = cursor;
    unavailable.query_pages = result.query_pages;
    unavailable.pending_reads = result.pending_reads;
    return unavailable;
  }
  result.cursor.pending.assign(pending.begin(), pending.end());
  return result;
}

}  // namespace divaudit::genesys
