#include "genesys/audit_trail.h"

#include <simdjson.h>

#include <algorithm>
#include <utility>

#include "common/json_writer.h"
#include "common/time_util.h"

namespace divaudit::genesys {

namespace {

namespace dom = simdjson::dom;

// Errors name the query and page, then the field path.
class PageParser {
 public:
  PageParser(std::string_view service, int64_t page)
      : where_("POST " + std::string(kAuditQueryRoute) + " " + std::string(service) + " page " +
               std::to_string(page) + ": ") {}

  Status Shape(const std::string& path, std::string_view what) const {
    return InvalidArgumentError(where_ + path + ": " + std::string(what));
  }
  Status Malformed(simdjson::error_code e) const {
    return DataLossError(where_ + "malformed JSON (" + simdjson::error_message(e) + ")");
  }

  // A string field; absent or null leaves `out` as it is.
  Status OptString(dom::object o, std::string_view key, const std::string& path,
                   std::string* out) const {
    dom::element v;
    if (o.at_key(key).get(v) != simdjson::SUCCESS || v.is_null()) return Status::Ok();
    std::string_view s;
    if (v.get_string().get(s) != simdjson::SUCCESS) {
      return Shape(path + "." + std::string(key), "expected string");
    }
    out->assign(s);
    return Status::Ok();
  }

  // An array of strings; absent or null: empty. Non-string items (numbers, booleans) are kept as
  // their JSON text, since a changed value may be anything.
  Status OptStrings(dom::object o, std::string_view key, const std::string& path,
                    std::vector<std::string>* out) const {
    dom::element v;
    if (o.at_key(key).get(v) != simdjson::SUCCESS || v.is_null()) return Status::Ok();
    dom::array a;
    if (v.get_array().get(a) != simdjson::SUCCESS) {
      return Shape(path + "." + std::string(key), "expected array");
    }
    for (dom::element item : a) {
      std::string_view s;
      if (item.get_string().get(s) == simdjson::SUCCESS) {
        out->emplace_back(s);
      } else if (!item.is_null()) {
        out->push_back(simdjson::minify(item));
      }
    }
    return Status::Ok();
  }

  // {id, name}; absent or null: nullopt.
  Status OptRef(dom::object o, std::string_view key, const std::string& path,
                std::optional<AuditRef>* out) const {
    dom::element v;
    if (o.at_key(key).get(v) != simdjson::SUCCESS || v.is_null()) return Status::Ok();
    dom::object ref;
    const std::string p = path + "." + std::string(key);
    if (v.get_object().get(ref) != simdjson::SUCCESS) return Shape(p, "expected object");
    AuditRef r;
    DIVAUDIT_RETURN_IF_ERROR(OptString(ref, "id", p, &r.id));
    DIVAUDIT_RETURN_IF_ERROR(OptString(ref, "name", p, &r.name));
    *out = std::move(r);
    return Status::Ok();
  }

  Result<AuditEvent> Event(dom::element e, const std::string& path) const {
    dom::object o;
    if (e.get_object().get(o) != simdjson::SUCCESS) return Shape(path, "expected object");
    AuditEvent ev;
    DIVAUDIT_RETURN_IF_ERROR(OptString(o, "id", path, &ev.id));
    DIVAUDIT_RETURN_IF_ERROR(OptString(o, "serviceName", path, &ev.service));
    DIVAUDIT_RETURN_IF_ERROR(OptString(o, "level", path, &ev.level));
    DIVAUDIT_RETURN_IF_ERROR(OptString(o, "eventDate", path, &ev.event_date));
    DIVAUDIT_RETURN_IF_ERROR(OptString(o, "action", path, &ev.action));
    DIVAUDIT_RETURN_IF_ERROR(OptRef(o, "entity", path, &ev.entity));
    DIVAUDIT_RETURN_IF_ERROR(OptString(o, "entityType", path, &ev.entity_type));
    DIVAUDIT_RETURN_IF_ERROR(OptRef(o, "user", path, &ev.user));
    DIVAUDIT_RETURN_IF_ERROR(OptRef(o, "client", path, &ev.client));
    DIVAUDIT_RETURN_IF_ERROR(OptString(o, "userHomeOrgId", path, &ev.user_home_org_id));
    std::vector<std::pair<dom::object, std::string>> items;
    DIVAUDIT_RETURN_IF_ERROR(Changes(o, "entityChanges", path, &items));
    for (const auto& [c, p] : items) {
      AuditEntityChange ch;
      DIVAUDIT_RETURN_IF_ERROR(OptString(c, "entityId", p, &ch.entity_id));
      DIVAUDIT_RETURN_IF_ERROR(OptString(c, "entityName", p, &ch.entity_name));
      DIVAUDIT_RETURN_IF_ERROR(OptString(c, "entityType", p, &ch.entity_type));
      DIVAUDIT_RETURN_IF_ERROR(OptStrings(c, "oldValues", p, &ch.old_values));
      DIVAUDIT_RETURN_IF_ERROR(OptStrings(c, "newValues", p, &ch.new_values));
      ev.entity_changes.push_back(std::move(ch));
    }
    items.clear();
    DIVAUDIT_RETURN_IF_ERROR(Changes(o, "propertyChanges", path, &items));
    for (const auto& [c, p] : items) {
      AuditPropertyChange ch;
      DIVAUDIT_RETURN_IF_ERROR(OptString(c, "property", p, &ch.property));
      DIVAUDIT_RETURN_IF_ERROR(OptStrings(c, "oldValues", p, &ch.old_values));
      DIVAUDIT_RETURN_IF_ERROR(OptStrings(c, "newValues", p, &ch.new_values));
      ev.property_changes.push_back(std::move(ch));
    }
    return ev;
  }

 private:
  // The objects of array `key` (absent or null: none), each with its path.
  Status Changes(dom::object o, std::string_view key, const std::string& path,
                 std::vector<std::pair<dom::object, std::string>>* out) const {
    dom::element v;
    if (o.at_key(key).get(v) != simdjson::SUCCESS || v.is_null()) return Status::Ok();
    dom::array a;
    const std::string p = path + "." + std::string(key);
    if (v.get_array().get(a) != simdjson::SUCCESS) return Shape(p, "expected array");
    size_t i = 0;
    for (dom::element item : a) {
      const std::string ip = p + "[" + std::to_string(i++) + "]";
      dom::object c;
      if (item.get_object().get(c) != simdjson::SUCCESS) return Shape(ip, "expected object");
      out->emplace_back(c, ip);
    }
    return Status::Ok();
  }

  std::string where_;
};

int64_t IntField(dom::object o, std::string_view key) {
  int64_t v = 0;
  dom::element e;
  if (o.at_key(key).get(e) != simdjson::SUCCESS) return -1;
  if (e.get_int64().get(v) != simdjson::SUCCESS) return -1;
  return v;
}

}  // namespace

Result<AuditPage> ParseAuditPage(std::string_view body, std::string_view service, int64_t page) {
  PageParser p(service, page);
  dom::parser parser;
  dom::element doc;
  simdjson::padded_string padded(body);
  if (auto e = parser.parse(padded).get(doc); e != simdjson::SUCCESS) return p.Malformed(e);
  dom::object root;
  if (doc.get_object().get(root) != simdjson::SUCCESS) return p.Shape("(root)", "expected object");
  AuditPage out;
  dom::element entities;
  if (root.at_key("entities").get(entities) == simdjson::SUCCESS && !entities.is_null()) {
    dom::array a;
    if (entities.get_array().get(a) != simdjson::SUCCESS) {
      return p.Shape("entities", "expected array");
    }
    size_t i = 0;
    for (dom::element e : a) {
      DIVAUDIT_ASSIGN_OR_RETURN(AuditEvent ev, p.Event(e, "entities[" + std::to_string(i++) + "]"));
      out.events.push_back(std::move(ev));
    }
  }
  out.page_number = std::max<int64_t>(IntField(root, "pageNumber"), 0);
  out.page_count = IntField(root, "pageCount");
  if (out.page_count < 0) {
    const int64_t total = IntField(root, "total");
    const int64_t size = IntField(root, "pageSize");
    out.page_count = (total >= 0 && size > 0) ? (total + size - 1) / size : 0;
  }
  return out;
}

std::string AuditQueryBody(std::string_view service, SystemTime from, SystemTime to,
                           int64_t page_number, int64_t page_size) {
  JsonWriter w;
  w.BeginObject();
  // Whole seconds: `from` rounds down, `to` up, so no event of the window's last second is lost.
  const SystemTime to_ceil = std::chrono::ceil<std::chrono::seconds>(to);
  w.Field("interval", FormatIso8601(from) + "/" + FormatIso8601(to_ceil));
  w.Field("serviceName", service);
  w.Field("pageNumber", page_number);
  w.Field("pageSize", page_size);
  w.EndObject();
  return w.Take();
}

namespace {

ApiRequest QueryRequest(std::string_view service, SystemTime from, SystemTime to, int64_t page,
                        int max_attempts, std::chrono::milliseconds timeout) {
  ApiRequest r;
  r.max_attempts = max_attempts;
  r.timeout = timeout;
  r.path_and_query = std::string(kAuditQueryRoute) + "?expand=user";
  r.route = kAuditQueryRoute;
  r.max_response_bytes = 16u << 20;  // 100 events with their changes stay far below this
  r.method = "POST";
  r.body = AuditQueryBody(service, from, to, page, kAuditPageSize);
  return r;
}

// The error of one page's result, or ok.
Status PageStatus(const Result<ApiResponse>& r, std::string_view service) {
  const std::string what = "POST " + std::string(kAuditQueryRoute) + " " + std::string(service);
  if (!r.ok()) return r.status().WithPrefix(what);
  if (r->status == 403) {
    return PermissionDeniedError(what + ": HTTP 403 (the OAuth client lacks audits:audit:view)");
  }
  if (r->status == 429) {
    return ResourceExhaustedError(what + ": HTTP 429 (throttled)");
  }
  if (r->status < 200 || r->status >= 300) {
    return UnavailableError(what + ": HTTP " + std::to_string(r->status));
  }
  return Status::Ok();
}

}  // namespace

Result<AuditQueryResult> QueryAuditTrail(ApiClient& client, std::string_view service,
                                         SystemTime from, SystemTime to, int max_attempts,
                                         std::chrono::milliseconds timeout) {
  AuditQueryResult out;
  auto first = client.GetAll({QueryRequest(service, from, to, 1, max_attempts, timeout)});
  DIVAUDIT_RETURN_IF_ERROR(PageStatus(first[0], service));
  DIVAUDIT_ASSIGN_OR_RETURN(AuditPage page, ParseAuditPage(first[0]->body, service, 1));
  out.pages = 1;
  out.events = std::move(page.events);
  if (page.page_count > kAuditMaxPages) {
    return ResourceExhaustedError("POST " + std::string(kAuditQueryRoute) + " " +
                                  std::string(service) + ": " + std::to_string(page.page_count) +
                                  " pages (more than " + std::to_string(kAuditMaxPages) + ")");
  }
  std::vector<ApiRequest> rest;
  for (int64_t n = 2; n <= page.page_count; ++n)
    rest.push_back(QueryRequest(service, from, to, n, max_attempts, timeout));
  if (rest.empty()) return out;
  auto results = client.GetAll(rest);
  for (size_t i = 0; i < results.size(); ++i) {
    const int64_t n = static_cast<int64_t>(i) + 2;
    DIVAUDIT_RETURN_IF_ERROR(PageStatus(results[i], service));
    DIVAUDIT_ASSIGN_OR_RETURN(AuditPage more, ParseAuditPage(results[i]->body, service, n));
    for (auto& e : more.events) out.events.push_back(std::move(e));
    ++out.pages;
  }
  return out;
}

}  // namespace divaudit::genesys
