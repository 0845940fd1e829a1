#include "storage/json_columns.h"

#include <simdjson.h>

#include "common/json_writer.h"

namespace divaudit::storage {

std::string StringArrayJson(const std::vector<std::string>& v) {
  JsonWriter w;
  w.BeginArray();
  for (const auto& s : v) w.String(s);
  w.EndArray();
  return w.Take();
}

std::vector<std::string> ParseStringArray(const std::string& text) {
  std::vector<std::string> out;
  simdjson::dom::parser parser;
  simdjson::dom::array arr;
  if (parser.parse(text).get_array().get(arr) != simdjson::SUCCESS) return out;
  for (simdjson::dom::element e : arr) {
    std::string_view s;
    if (e.get_string().get(s) == simdjson::SUCCESS) out.emplace_back(s);
  }
  return out;
}

std::string CountMapJson(const std::map<std::string, int64_t>& m) {
  JsonWriter w;
  w.BeginObject();
  for (const auto& [k, v] : m) w.Key(k).Int(v);
  w.EndObject();
  return w.Take();
}

std::map<std::string, int64_t> ParseCountMap(const std::string& text) {
  std::map<std::string, int64_t> out;
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(text).get_object().get(obj) != simdjson::SUCCESS) return out;
  for (auto field : obj) {
    int64_t n = 0;
    if (field.value.get_int64().get(n) == simdjson::SUCCESS) out[std::string(field.key)] = n;
  }
  return out;
}

namespace {

bool GetString(simdjson::dom::object& o, std::string_view key, std::string& out) {
  std::string_view v;
  if (o[key].get_string().get(v) != simdjson::SUCCESS) return false;
  out = std::string(v);
  return true;
}

}  // namespace

std::string QueueJson(const audit::QueueRef& q) {
  JsonWriter w;
  w.BeginObject().Field("id", q.id).Field("name", q.name);
  w.Key("division").BeginObject().Field("id", q.division.id).Field("name", q.division.name);
  w.EndObject();
  w.Key("tenant");
  if (q.tenant) {
    w.String(*q.tenant);
  } else {
    w.Null();
  }
  w.Key("member_groups").BeginArray();
  for (const auto& g : q.member_groups) {
    w.BeginObject().Field("id", g.id).Field("name", g.name).Field("type", g.type).EndObject();
  }
  w.EndArray().EndObject();
  return w.Take();
}

std::optional<audit::QueueRef> ParseQueue(const std::string& text) {
  simdjson::dom::parser parser;
  simdjson::dom::object o, division;
  simdjson::dom::array groups;
  if (parser.parse(text).get_object().get(o) != simdjson::SUCCESS) return std::nullopt;
  audit::QueueRef q;
  if (!GetString(o, "id", q.id) || !GetString(o, "name", q.name) ||
      o["division"].get_object().get(division) != simdjson::SUCCESS ||
      !GetString(division, "id", q.division.id) || !GetString(division, "name", q.division.name) ||
      o["member_groups"].get_array().get(groups) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  simdjson::dom::element tenant;
  if (o["tenant"].get(tenant) != simdjson::SUCCESS) return std::nullopt;
  if (!tenant.is_null()) {
    std::string_view t;
    if (tenant.get_string().get(t) != simdjson::SUCCESS) return std::nullopt;
    q.tenant = std::string(t);
  }
  for (simdjson::dom::element e : groups) {
    simdjson::dom::object g;
    audit::QueueMemberGroup m;
    if (e.get_object().get(g) != simdjson::SUCCESS || !GetString(g, "id", m.id) ||
        !GetString(g, "name", m.name) || !GetString(g, "type", m.type)) {
      return std::nullopt;
    }
    q.member_groups.push_back(std::move(m));
  }
  return q;
}

std::string ChangedByJson(const audit::ChangedBy& c) {
  JsonWriter w;
  w.BeginObject()
      .Field("actor_type", c.actor_type)
      .Field("actor_id", c.actor_id)
      .Field("actor_name", c.actor_name)
      .Field("at", c.at)
      .Field("service", c.service)
      .Field("action", c.action)
      .Field("entity_type", c.entity_type)
      .Field("entity_id", c.entity_id)
      .EndObject();
  return w.Take();
}

std::optional<audit::ChangedBy> ParseChangedBy(const std::string& text) {
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (parser.parse(text).get_object().get(o) != simdjson::SUCCESS) return std::nullopt;
  audit::ChangedBy c;
  if (!GetString(o, "actor_type", c.actor_type) || !GetString(o, "actor_id", c.actor_id) ||
      !GetString(o, "actor_name", c.actor_name) || !GetString(o, "at", c.at) ||
      !GetString(o, "service", c.service) || !GetString(o, "action", c.action) ||
      !GetString(o, "entity_type", c.entity_type) || !GetString(o, "entity_id", c.entity_id)) {
    return std::nullopt;
  }
  return c;
}

}  // namespace divaudit::storage
