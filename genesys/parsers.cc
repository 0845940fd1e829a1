#include "genesys/parsers.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <tuple>
#include <utility>

// Like DIVAUDIT_RETURN_IF_ERROR, with a unique variable per expansion: the parsers nest lambdas
// that each return early, which would otherwise trip -Wshadow.
#define TRY_(expr) TRY_IMPL_(DIVAUDIT_CONCAT_(parse_status_, __COUNTER__), expr)
#define TRY_IMPL_(var, expr)                                                    \
  do {                                                                          \
    ::divaudit::Status var = (expr);                                            \
    if (!var.ok()) return var; /* NOLINT(bugprone-macro-parentheses): a name */ \
  } while (0)

namespace divaudit::genesys {

namespace od = simdjson::ondemand;
using simdjson::error_code;

std::string DescribePage(const PageContext& ctx) {
  std::string s = "GET ";
  s.append(ctx.endpoint);
  if (ctx.page > 0) {
    s.append(" page ");
    s.append(std::to_string(ctx.page));
  }
  return s;
}

namespace {

// A field path such as "entities[17].division.id", built only when an error is reported.
class Path {
 public:
  Path() = default;
  Path Child(std::string_view name, int64_t index = -1) const {
    if (name.empty() && index < 0) return *this;  // an array element read as itself
    Path p = *this;
    if (p.n_ < p.segs_.size()) p.segs_[p.n_++] = {name, index};
    return p;
  }
  std::string ToString() const {
    std::string s;
    for (size_t i = 0; i < n_; ++i) {
      if (i > 0) s.push_back('.');
      s.append(segs_[i].name);
      if (segs_[i].index >= 0) {
        s.push_back('[');
        s.append(std::to_string(segs_[i].index));
        s.push_back(']');
      }
    }
    return s;
  }

 private:
  struct Segment {
    std::string_view name;
    int64_t index = -1;
  };
  std::array<Segment, 5> segs_{};
  size_t n_ = 0;
};

std::string_view TypeName(od::json_type t) {
  switch (t) {
    case od::json_type::array:
      return "array";
    case od::json_type::object:
      return "object";
    case od::json_type::number:
      return "number";
    case od::json_type::string:
      return "string";
    case od::json_type::boolean:
      return "boolean";
    case od::json_type::null:
      return "null";
  }
  return "unknown";
}

// Error construction for one page.
class Errors {
 public:
  explicit Errors(const PageContext& ctx) : ctx_(ctx) {}

  Status Shape(const Path& p, std::string_view what) const {
    std::string m = DescribePage(ctx_);
    std::string path = p.ToString();
    if (!path.empty()) m.append(": ").append(path);
    m.append(": ").append(what);
    return InvalidArgumentError(std::move(m));
  }
  Status Json(const Path& p, error_code e) const {
    std::string m = DescribePage(ctx_);
    std::string path = p.ToString();
    if (!path.empty()) m.append(": ").append(path);
    m.append(": truncated or malformed JSON (").append(simdjson::error_message(e)).append(")");
    return DataLossError(std::move(m));
  }
  Status Missing(const Path& p) const { return Shape(p, "missing"); }

 private:
  const PageContext& ctx_;
};

Status WrongType(const Errors& err, const Path& p, std::string_view want, od::json_type got) {
  std::string what = "expected ";
  what.append(want).append(", got ").append(TypeName(got));
  return err.Shape(p, what);
}

// The error for a typed read of `v` that failed with `e` (a wrong type, or broken JSON).
Status ReadError(od::value& v, error_code e, const Errors& err, const Path& p,
                 std::string_view want) {
  od::json_type t;
  if (e == simdjson::INCORRECT_TYPE && v.type().get(t) == simdjson::SUCCESS) {
    return WrongType(err, p, want, t);
  }
  if (e == simdjson::NUMBER_OUT_OF_RANGE || e == simdjson::NUMBER_ERROR) {
    return err.Shape(p, "expected integer");
  }
  return err.Json(p, e);
}

bool IsNull(od::value& v) {
  od::json_type t;
  return v.type().get(t) == simdjson::SUCCESS && t == od::json_type::null;
}

// Reads the string field `name` of the object at `parent` (null reads as empty). The fast path
// does no more than simdjson's get_string; paths are built only for errors.
Status ReadString(od::value& v, const Errors& err, const Path& parent, std::string_view name,
                  std::string& out) {
  std::string_view sv;
  error_code e = v.get_string().get(sv);
  if (e == simdjson::SUCCESS) {
    out.assign(sv.data(), sv.size());
    return Status::Ok();
  }
  if (e == simdjson::INCORRECT_TYPE && IsNull(v)) {
    out.clear();
    return Status::Ok();
  }
  return ReadError(v, e, err, parent.Child(name), "string");
}

// Reads an integer field (null leaves `out` unchanged).
Status ReadInt(od::value& v, const Errors& err, const Path& parent, std::string_view name,
               int64_t& out) {
  error_code e = v.get_int64().get(out);
  if (e == simdjson::SUCCESS) return Status::Ok();
  if (e == simdjson::INCORRECT_TYPE && IsNull(v)) return Status::Ok();
  return ReadError(v, e, err, parent.Child(name), "integer");
}

// Reads a boolean field (null leaves `out` unchanged).
Status ReadBool(od::value& v, const Errors& err, const Path& parent, std::string_view name,
                bool& out) {
  error_code e = v.get_bool().get(out);
  if (e == simdjson::SUCCESS) return Status::Ok();
  if (e == simdjson::INCORRECT_TYPE && IsNull(v)) return Status::Ok();
  return ReadError(v, e, err, parent.Child(name), "boolean");
}

// Calls f(key, value&) for every field of the object `v`. `present` (optional) is set false for
// null, in which case f is never called.
template <typename F>
Status ForEachField(od::value& v, const Errors& err, const Path& p, F&& f,
                    bool* present = nullptr) {
  od::object obj;
  error_code e = v.get_object().get(obj);
  if (e != simdjson::SUCCESS) {
    if (e == simdjson::INCORRECT_TYPE && present != nullptr && IsNull(v)) {
      *present = false;
      return Status::Ok();
    }
    return ReadError(v, e, err, p, "object");
  }
  if (present != nullptr) *present = true;
  for (auto field_result : obj) {
    od::field field;
    if (auto fe = std::move(field_result).get(field)) return err.Json(p, fe);
    // Raw (escaped) keys: every key the API sends is plain ASCII, so no unescaping is needed.
    TRY_(f(field.key(), field.value()));
  }
  return Status::Ok();
}

// Calls f(value&, index) for every element of the array `arr`.
template <typename F>
Status ForEachElementOf(od::array& arr, const Errors& err, const Path& p, std::string_view name,
                        F&& f) {
  int64_t i = 0;
  for (auto element_result : arr) {
    od::value element;
    // get() is &&-qualified (simdjson_result), so the move is needed.
    // NOLINTNEXTLINE(performance-move-const-arg)
    if (auto e = std::move(element_result).get(element)) return err.Json(p.Child(name, i), e);
    TRY_(f(element, i));
    ++i;
  }
  return Status::Ok();
}

// Calls f(value&, index) for every element of the array field `name` (null = no elements when
// `present` is given).
template <typename F>
Status ForEachElement(od::value& v, const Errors& err, const Path& p, std::string_view name, F&& f,
                      bool* present = nullptr) {
  od::array arr;
  error_code e = v.get_array().get(arr);
  if (e != simdjson::SUCCESS) {
    if (e == simdjson::INCORRECT_TYPE && present != nullptr && IsNull(v)) {
      *present = false;
      return Status::Ok();
    }
    return ReadError(v, e, err, p.Child(name), "array");
  }
  if (present != nullptr) *present = true;
  return ForEachElementOf(arr, err, p, name, std::forward<F>(f));
}

// Grows `v` to hold `more` more elements without defeating geometric growth.
template <typename T>
void ReserveMore(std::vector<T>& v, size_t more) {
  size_t want = v.size() + more;
  if (v.capacity() < want) v.reserve(std::max(want, v.capacity() * 2));
}

// kNextUri: no count; `nextUri` (non-empty) says a next page exists (PageInfo::has_next).
enum class Paging { kRequired, kOptional, kCursor, kNextUri };

struct Envelope {
  PageInfo info;
  std::string cursor;
  std::string next_uri;
};

// Parses a listing envelope; on_entity(value&, index, path) handles each element of `entities`.
// `reserve(n)` is called with the element count before the first element.
template <typename Reserve, typename OnEntity>
Status ParseEnvelope(od::parser& parser, simdjson::padded_string_view json, const Errors& err,
                     Paging paging, Envelope& env, Reserve&& reserve, OnEntity&& on_entity) {
  const Path root;
  od::document doc;
  if (auto e = parser.iterate(json).get(doc)) return err.Json(root, e);
  {
    od::json_type t;
    if (auto e = doc.type().get(t)) return err.Json(root, e);
    if (t != od::json_type::object) return WrongType(err, root, "object", t);
  }
  od::object obj;
  if (auto e = doc.get_object().get(obj)) return err.Json(root, e);
  bool has_entities = false;
  for (auto field_result : obj) {
    od::field field;
    if (auto e = std::move(field_result).get(field)) return err.Json(root, e);
    const od::raw_json_string key = field.key();
    od::value& v = field.value();
    if (key == "entities") {
      od::array arr;
      error_code e = v.get_array().get(arr);
      if (e == simdjson::INCORRECT_TYPE && IsNull(v)) continue;  // reported as missing below
      if (e != simdjson::SUCCESS) return ReadError(v, e, err, root.Child("entities"), "array");
      size_t count = 0;
      if (arr.count_elements().get(count) == simdjson::SUCCESS) reserve(count);
      TRY_(ForEachElementOf(arr, err, root, "entities",
                            [&](od::value& element, int64_t i) -> Status {
                              return on_entity(element, i, root.Child("entities", i));
                            }));
      has_entities = true;
    } else if (key == "total") {
      TRY_(ReadInt(v, err, root, "total", env.info.total));
    } else if (key == "pageCount") {
      TRY_(ReadInt(v, err, root, "pageCount", env.info.page_count));
    } else if (key == "pageSize") {
      TRY_(ReadInt(v, err, root, "pageSize", env.info.page_size));
    } else if (key == "pageNumber") {
      TRY_(ReadInt(v, err, root, "pageNumber", env.info.page_number));
    } else if (key == "allDivsPermitted") {
      TRY_(ReadBool(v, err, root, "allDivsPermitted", env.info.all_divs_permitted));
    } else if (paging == Paging::kCursor && key == "cursor") {
      TRY_(ReadString(v, err, root, "cursor", env.cursor));
    } else if ((paging == Paging::kCursor || paging == Paging::kNextUri) && key == "nextUri") {
      TRY_(ReadString(v, err, root, "nextUri", env.next_uri));
      env.info.has_next = !env.next_uri.empty();
    }
  }
  // Anything after the top-level object is malformed input.
  const char* trailing = nullptr;
  if (doc.current_location().get(trailing) == simdjson::SUCCESS && trailing != nullptr) {
    return err.Json(root, simdjson::TRAILING_CONTENT);
  }
  if (!has_entities) return err.Missing(root.Child("entities"));
  if (paging == Paging::kRequired) {
    if (env.info.total < 0) return err.Missing(root.Child("total"));
    // No org has a trillion objects; larger values are corrupt (and overflow the page math —
    // found by fuzz_genesys_parsers).
    constexpr int64_t kMaxCount = 1'000'000'000'000;
    if (env.info.total > kMaxCount || env.info.page_size > kMaxCount ||
        env.info.page_count > kMaxCount) {
      return err.Shape(root.Child("total"), "paging fields out of range");
    }
    if (env.info.page_count < 0) {
      if (env.info.page_size <= 0) return err.Missing(root.Child("pageCount"));
      env.info.page_count = (env.info.total + env.info.page_size - 1) / env.info.page_size;
    }
  }
  return Status::Ok();
}

// Restores vectors to their size at construction unless dismissed (rollback on error).
template <typename... Vs>
class Rollback {
 public:
  explicit Rollback(Vs&... vs) : vs_(&vs...), sizes_{vs.size()...} {}
  ~Rollback() {
    if (!armed_) return;
    Restore(std::index_sequence_for<Vs...>{});
  }
  void Dismiss() { armed_ = false; }

 private:
  template <size_t... I>
  void Restore(std::index_sequence<I...>) {
    (std::get<I>(vs_)->resize(sizes_[I]), ...);
  }
  std::tuple<Vs*...> vs_;
  std::array<size_t, sizeof...(Vs)> sizes_;
  bool armed_ = true;
};

template <typename T>
Result<T> Finish(Status st, T value) {
  if (!st.ok()) return st;
  return value;
}

// One page-number listing appended to `out`: the envelope, `parse_entity(value, err, path,
// out.emplace_back())` per entity, `out` rolled back on any error, and the entity count.
template <typename T, typename ParseEntity>
Result<PageInfo> ParseListing(od::parser& parser, simdjson::padded_string_view json,
                              const PageContext& ctx, Paging paging, std::vector<T>& out,
                              ParseEntity&& parse_entity) {
  Errors err(ctx);
  Envelope env;
  Rollback rollback(out);
  const size_t before = out.size();
  Status st = ParseEnvelope(
      parser, json, err, paging, env, [&](size_t n) { ReserveMore(out, n); },
      [&](od::value& v, int64_t, const Path& p) -> Status {
        return parse_entity(v, err, p, out.emplace_back());
      });
  if (st.ok()) rollback.Dismiss();
  env.info.entities = static_cast<int64_t>(out.size() - before);
  return Finish(std::move(st), env.info);
}

// Reads an array of strings (null = none) into `out`.
Status ReadStrings(od::value& v, const Errors& err, const Path& p, std::string_view name,
                   std::vector<std::string>& out) {
  bool present = false;
  return ForEachElement(
      v, err, p, name,
      [&](od::value& ev, int64_t i) -> Status {
        return ReadString(ev, err, p.Child(name, i), "", out.emplace_back());
      },
      &present);
}

// One DomainPermissionPolicy of a role. domain and entityName are required; a policy with a
// (non-null) resourceConditionNode or any namedResources is narrowed.
Status ParsePolicy(od::value& v, const Errors& err, const Path& p, audit::PermissionPolicy& out) {
  std::vector<std::string> named;
  TRY_(ForEachField(v, err, p, [&](od::raw_json_string key, od::value& fv) -> Status {
    if (key == "domain") return ReadString(fv, err, p, "domain", out.domain);
    if (key == "entityName") return ReadString(fv, err, p, "entityName", out.entity_name);
    if (key == "actionSet") return ReadStrings(fv, err, p, "actionSet", out.action_set);
    if (key == "namedResources") return ReadStrings(fv, err, p, "namedResources", named);
    if (key == "resourceConditionNode") {
      if (IsNull(fv)) return Status::Ok();
      out.narrowed = true;
      return ForEachField(fv, err, p.Child("resourceConditionNode"),
                          [](od::raw_json_string, od::value&) { return Status::Ok(); });
    }
    return Status::Ok();
  }));
  if (out.domain.empty()) return err.Missing(p.Child("domain"));
  if (out.entity_name.empty()) return err.Missing(p.Child("entityName"));
  if (!named.empty()) out.narrowed = true;
  std::sort(out.action_set.begin(), out.action_set.end());
  out.action_set.erase(std::unique(out.action_set.begin(), out.action_set.end()),
                       out.action_set.end());
  return Status::Ok();
}

// One DomainPermission of the catalog, listed under `entity_type` of a permissionMap. action and
// divisionAware are required (divisionAware is never assumed); entityType defaults to the key.
Status ParseDomainPermission(od::value& v, const Errors& err, const Path& p,
                             const std::string& entity_type, audit::CatalogPermission& out) {
  bool has_division_aware = false;
  TRY_(ForEachField(v, err, p, [&](od::raw_json_string key, od::value& fv) -> Status {
    if (key == "domain") return ReadString(fv, err, p, "domain", out.domain);
    if (key == "entityType") return ReadString(fv, err, p, "entityType", out.entity_type);
    if (key == "action") return ReadString(fv, err, p, "action", out.action);
    if (key == "divisionAware") {
      if (IsNull(fv)) return Status::Ok();
      has_division_aware = true;
      return ReadBool(fv, err, p, "divisionAware", out.division_aware);
    }
    return Status::Ok();
  }));
  if (out.entity_type.empty()) out.entity_type = entity_type;
  if (out.action.empty()) return err.Missing(p.Child("action"));
  if (!has_division_aware) return err.Missing(p.Child("divisionAware"));
  return Status::Ok();
}

}  // namespace

simdjson::padded_string_view JsonPageParser::Padded(const std::string& body) {
  if (body.capacity() >= body.size() + simdjson::SIMDJSON_PADDING) {
    return simdjson::padded_string_view(body.data(), body.size(), body.capacity());
  }
  scratch_.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  scratch_.assign(body);
  return simdjson::padded_string_view(scratch_.data(), scratch_.size(), scratch_.capacity());
}

Result<PageInfo> JsonPageParser::Divisions(const std::string& body, const PageContext& ctx,
                                           std::vector<audit::Division>& out) {
  return ParseListing(
      parser_, Padded(body), ctx, Paging::kRequired, out,
      [](od::value& v, const Errors& err, const Path& p, audit::Division& d) -> Status {
        bool has_name = false;
        TRY_(ForEachField(v, err, p, [&](od::raw_json_string key, od::value& fv) -> Status {
          if (key == "id") return ReadString(fv, err, p, "id", d.id);
          if (key == "name") {
            TRY_(ReadString(fv, err, p, "name", d.name));
            has_name = !d.name.empty();
            return Status::Ok();
          }
          if (key == "description") {
            return ReadString(fv, err, p, "description", d.description);
          }
          if (key == "homeDivision") {
            return ReadBool(fv, err, p, "homeDivision", d.home_division);
          }
          return Status::Ok();
        }));
        if (d.id.empty()) return err.Missing(p.Child("id"));
        if (!has_name && d.id != audit::kAllDivisionsId) return err.Missing(p.Child("name"));
        return Status::Ok();
      });
}

Result<PageInfo> JsonPageParser::Roles(const std::string& body, const PageContext& ctx,
                                       std::vector<audit::Role>& out) {
  return ParseListing(
      parser_, Padded(body), ctx, Paging::kRequired, out,
      [](od::value& v, const Errors& err, const Path& p, audit::Role& r) -> Status {
        TRY_(ForEachField(v, err, p, [&](od::raw_json_string key, od::value& fv) -> Status {
          if (key == "id") return ReadString(fv, err, p, "id", r.id);
          if (key == "name") return ReadString(fv, err, p, "name", r.name);
          if (key == "permissionPolicies") {
            bool present = false;
            return ForEachElement(
                fv, err, p, "permissionPolicies",
                [&](od::value& pv, int64_t j) -> Status {
                  return ParsePolicy(pv, err, p.Child("permissionPolicies", j),
                                     r.policies.emplace_back());
                },
                &present);
          }
          return Status::Ok();
        }));
        if (r.id.empty()) return err.Missing(p.Child("id"));
        std::sort(r.policies.begin(), r.policies.end());
        r.policies.erase(std::unique(r.policies.begin(), r.policies.end()), r.policies.end());
        return Status::Ok();
      });
}

Result<PageInfo> JsonPageParser::Permissions(const std::string& body, const PageContext& ctx,
                                             std::vector<audit::CatalogPermission>& out) {
  Errors err(ctx);
  Envelope env;
  Rollback rollback(out);
  int64_t collections = 0;
  std::string collection_domain;
  std::string entity_type;
  Status st = ParseEnvelope(
      parser_, Padded(body), err, Paging::kRequired, env, [](size_t) {},
      [&](od::value& v, int64_t, const Path& p) -> Status {
        ++collections;
        collection_domain.clear();
        const size_t first = out.size();
        TRY_(ForEachField(v, err, p, [&](od::raw_json_string key, od::value& fv) -> Status {
          if (key == "domain") return ReadString(fv, err, p, "domain", collection_domain);
          if (key != "permissionMap") return Status::Ok();
          const Path mp = p.Child("permissionMap");
          od::object map;
          error_code e = fv.get_object().get(map);
          if (e == simdjson::INCORRECT_TYPE && IsNull(fv)) return Status::Ok();
          if (e != simdjson::SUCCESS) return ReadError(fv, e, err, mp, "object");
          for (auto field_result : map) {
            od::field field;
            if (auto fe = std::move(field_result).get(field)) return err.Json(mp, fe);
            std::string_view k;
            if (auto ke = field.unescaped_key().get(k)) return err.Json(mp, ke);
            entity_type.assign(k.data(), k.size());
            TRY_(ForEachElement(field.value(), err, mp, entity_type,
                                [&](od::value& dv, int64_t j) -> Status {
                                  return ParseDomainPermission(dv, err, mp.Child(entity_type, j),
                                                               entity_type, out.emplace_back());
                                }));
          }
          return Status::Ok();
        }));
        // DomainPermission.domain is optional in the model: the collection's domain stands in.
        for (size_t i = first; i < out.size(); ++i) {
          if (out[i].domain.empty()) out[i].domain = collection_domain;
          if (out[i].domain.empty()) return err.Missing(p.Child("domain"));
        }
        return Status::Ok();
      });
  if (st.ok()) rollback.Dismiss();
  env.info.entities = collections;
  return Finish(std::move(st), env.info);
}

Result<audit::RoleSettings> JsonPageParser::RoleSettings(const std::string& body,
                                                         const PageContext& ctx) {
  const Errors err(ctx);
  const Path root;
  audit::RoleSettings settings;
  bool has_guardrail = false;
  od::document doc;
  if (auto e = parser_.iterate(Padded(body)).get(doc)) return err.Json(root, e);
  od::value v;
  if (auto e = doc.get_value().get(v)) return err.Json(root, e);
  TRY_(ForEachField(v, err, root, [&](od::raw_json_string key, od::value& fv) -> Status {
    if (key == "authorizationGrantDivisionAware") {
      if (IsNull(fv)) return Status::Ok();
      has_guardrail = true;
      return ReadBool(fv, err, root, "authorizationGrantDivisionAware",
                      settings.authorization_grant_division_aware);
    }
    if (key == "backfillEnabled") {
      return ReadBool(fv, err, root, "backfillEnabled", settings.backfill_enabled);
    }
    return Status::Ok();
  }));
  const char* trailing = nullptr;
  if (doc.current_location().get(trailing) == simdjson::SUCCESS && trailing != nullptr) {
    return err.Json(root, simdjson::TRAILING_CONTENT);
  }
  // Never assume the guardrail: an answer without it is not an answer.
  if (!has_guardrail) return err.Missing(root.Child("authorizationGrantDivisionAware"));
  return settings;
}

Result<PageInfo> JsonPageParser::SubjectGrants(const std::string& body, const PageContext& ctx,
                                               std::string_view role_id, SubjectGrantsSink out) {
  assert(out.grants != nullptr && out.external_subjects != nullptr);
  Errors err(ctx);
  Envelope env;
  auto& grants = *out.grants;
  auto& externals = *out.external_subjects;
  Rollback rollback(grants, externals);
  // Reused across subjects: `divisions` may precede `type`, so ids are collected first.
  std::vector<std::string> division_ids;
  // division_ids[j] interned. Subjects of a page often list the same divisions in the same
  // order: an unchanged slot keeps its Id (a compare instead of the global intern table).
  std::vector<audit::Id> division_interned;
  std::string id;
  std::string name;
  std::string type;
  int64_t subjects = 0;
  const audit::Id interned_role_id(role_id);  // once per page
  Status st = ParseEnvelope(
      parser_, Padded(body), err, Paging::kRequired, env, [&](size_t n) { ReserveMore(grants, n); },
      [&](od::value& v, int64_t, const Path& p) -> Status {
        ++subjects;
        id.clear();
        name.clear();
        type.clear();
        size_t n_divisions = 0;
        TRY_(ForEachField(v, err, p, [&](od::raw_json_string key, od::value& fv) -> Status {
          if (key == "id") return ReadString(fv, err, p, "id", id);
          if (key == "name") return ReadString(fv, err, p, "name", name);
          if (key == "type") return ReadString(fv, err, p, "type", type);
          if (key == "divisions") {
            bool present = false;
            return ForEachElement(
                fv, err, p, "divisions",
                [&](od::value& dv, int64_t j) -> Status {
                  const Path dp = p.Child("divisions", j);
                  if (division_ids.size() <= n_divisions) division_ids.emplace_back();
                  std::string& did = division_ids[n_divisions];
                  did.clear();
                  TRY_(ForEachField(dv, err, dp,
                                    [&](od::raw_json_string dkey, od::value& dfv) -> Status {
                                      if (dkey == "id") return ReadString(dfv, err, dp, "id", did);
                                      return Status::Ok();
                                    }));
                  if (did.empty()) return err.Missing(dp.Child("id"));
                  if (division_interned.size() <= n_divisions) division_interned.emplace_back();
                  if (audit::Id& interned = division_interned[n_divisions]; interned != did) {
                    interned = audit::Id(did);
                  }
                  ++n_divisions;
                  return Status::Ok();
                },
                &present);
          }
          return Status::Ok();
        }));
        if (id.empty()) return err.Missing(p.Child("id"));
        if (type.empty()) return err.Missing(p.Child("type"));
        const audit::SubjectType subject_type = audit::SubjectTypeFromGenesys(type);
        // Intern once per subject, not once per grant.
        const audit::Id subject_id(id);
        for (size_t j = 0; j < n_divisions; ++j) {
          audit::Grant& g = grants.emplace_back();
          g.subject_type = subject_type;
          g.subject_id = subject_id;
          g.role_id = interned_role_id;
          g.division_id = division_interned[j];
        }
        if (subject_type == audit::SubjectType::kTrusteeUser ||
            subject_type == audit::SubjectType::kTrusteeGroup ||
            subject_type == audit::SubjectType::kUnknown) {
          externals.push_back(audit::ExternalSubject{id, name, subject_type, type});
        }
        return Status::Ok();
      });
  if (st.ok()) rollback.Dismiss();
  env.info.entities = subjects;
  return Finish(std::move(st), env.info);
}

namespace {

// Reads the `id` of a `division` reference ({id, name, selfUri}) of the object at `p`: an
// object without an id is an error naming `<p>.division.id`; a null reference leaves `id` empty.
Status ReadDivisionRefId(od::value& v, const Errors& err, const Path& p, std::string& id) {
  const Path dp = p.Child("division");
  bool present = false;
  TRY_(ForEachField(
      v, err, dp,
      [&](od::raw_json_string key, od::value& fv) -> Status {
        if (key == "id") return ReadString(fv, err, dp, "id", id);
        return Status::Ok();
      },
      &present));
  if (present && id.empty()) return err.Missing(dp.Child("id"));
  return Status::Ok();
}

// Parses one User object (the fields divaudit keeps).
Status ParseUser(od::value& v, const Errors& err, const Path& p, audit::User& u) {
  TRY_(ForEachField(v, err, p, [&](od::raw_json_string key, od::value& fv) -> Status {
    if (key == "id") return ReadString(fv, err, p, "id", u.id);
    if (key == "name") return ReadString(fv, err, p, "name", u.name);
    if (key == "email") return ReadString(fv, err, p, "email", u.email);
    if (key == "state") return ReadString(fv, err, p, "state", u.state);
    if (key == "division") return ReadDivisionRefId(fv, err, p, u.home_division_id);
    return Status::Ok();
  }));
  if (u.id.empty()) return err.Missing(p.Child("id"));
  return Status::Ok();
}

// Parses an object keeping only its required `id`.
Status ParseIdOnly(od::value& v, const Errors& err, const Path& p, std::string& id) {
  TRY_(ForEachField(v, err, p, [&](od::raw_json_string key, od::value& fv) -> Status {
    if (key == "id") return ReadString(fv, err, p, "id", id);
    return Status::Ok();
  }));
  if (id.empty()) return err.Missing(p.Child("id"));
  return Status::Ok();
}

}  // namespace

Result<PageInfo> JsonPageParser::Users(const std::string& body, const PageContext& ctx,
                                       std::vector<audit::User>& out) {
  return ParseListing(parser_, Padded(body), ctx, Paging::kRequired, out, ParseUser);
}

Result<CursorPageInfo> JsonPageParser::UsersCursor(const std::string& body, const PageContext& ctx,
                                                   std::vector<audit::User>& out) {
  Errors err(ctx);
  Envelope env;
  Rollback rollback(out);
  const size_t before = out.size();
  Status st = ParseEnvelope(
      parser_, Padded(body), err, Paging::kCursor, env, [&](size_t n) { ReserveMore(out, n); },
      [&](od::value& v, int64_t, const Path& p) -> Status {
        return ParseUser(v, err, p, out.emplace_back());
      });
  if (!st.ok()) return st;
  rollback.Dismiss();
  CursorPageInfo info;
  info.entities = static_cast<int64_t>(out.size() - before);
  info.cursor = std::move(env.cursor);
  info.next_uri = std::move(env.next_uri);
  return info;
}

Result<PageInfo> JsonPageParser::Groups(const std::string& body, const PageContext& ctx,
                                        std::vector<audit::Group>& out) {
  return ParseListing(
      parser_, Padded(body), ctx, Paging::kRequired, out,
      [](od::value& v, const Errors& err, const Path& p, audit::Group& g) -> Status {
        TRY_(ForEachField(v, err, p, [&](od::raw_json_string key, od::value& fv) -> Status {
          if (key == "id") return ReadString(fv, err, p, "id", g.id);
          if (key == "name") return ReadString(fv, err, p, "name", g.name);
          if (key == "rolesEnabled") {
            return ReadBool(fv, err, p, "rolesEnabled", g.roles_enabled);
          }
          return Status::Ok();
        }));
        if (g.id.empty()) return err.Missing(p.Child("id"));
        return Status::Ok();
      });
}

Result<PageInfo> JsonPageParser::GroupMembers(const std::string& body, const PageContext& ctx,
                                              std::vector<std::string>& member_ids) {
  return ParseListing(parser_, Padded(body), ctx, Paging::kRequired, member_ids, ParseIdOnly);
}

Result<OrganizationInfo> JsonPageParser::Organization(const std::string& body,
                                                      const PageContext& ctx) {
  const Errors err(ctx);
  const Path root;
  OrganizationInfo org;
  od::document doc;
  if (auto e = parser_.iterate(Padded(body)).get(doc)) return err.Json(root, e);
  od::value v;
  if (auto e = doc.get_value().get(v)) return err.Json(root, e);
  TRY_(ForEachField(v, err, root, [&](od::raw_json_string key, od::value& fv) -> Status {
    if (key == "id") return ReadString(fv, err, root, "id", org.id);
    if (key == "name") return ReadString(fv, err, root, "name", org.name);
    return Status::Ok();
  }));
  const char* trailing = nullptr;
  if (doc.current_location().get(trailing) == simdjson::SUCCESS && trailing != nullptr) {
    return err.Json(root, simdjson::TRAILING_CONTENT);
  }
  if (org.id.empty()) return err.Missing(root.Child("id"));
  return org;
}

Result<PageInfo> JsonPageParser::OAuthClients(const std::string& body, const PageContext& ctx,
                                              std::vector<audit::OAuthClient>& out) {
  return ParseListing(
      parser_, Padded(body), ctx, Paging::kOptional, out,
      [](od::value& v, const Errors& err, const Path& p, audit::OAuthClient& c) -> Status {
        TRY_(ForEachField(v, err, p, [&](od::raw_json_string key, od::value& fv) -> Status {
          if (key == "id") return ReadString(fv, err, p, "id", c.id);
          if (key == "name") return ReadString(fv, err, p, "name", c.name);
          if (key == "state") return ReadString(fv, err, p, "state", c.state);
          if (key == "authorizedGrantType") {
            return ReadString(fv, err, p, "authorizedGrantType", c.authorized_grant_type);
          }
          if (key == "roleDivisions") {
            bool present = false;
            return ForEachElement(
                fv, err, p, "roleDivisions",
                [&](od::value& rv, int64_t j) -> Status {
                  const Path rp = p.Child("roleDivisions", j);
                  audit::RoleDivision& rd = c.role_divisions.emplace_back();
                  TRY_(ForEachField(
                      rv, err, rp, [&](od::raw_json_string rkey, od::value& rfv) -> Status {
                        if (rkey == "roleId") {
                          return ReadString(rfv, err, rp, "roleId", rd.role_id);
                        }
                        if (rkey == "divisionId") {
                          return ReadString(rfv, err, rp, "divisionId", rd.division_id);
                        }
                        return Status::Ok();
                      }));
                  if (rd.role_id.empty()) return err.Missing(rp.Child("roleId"));
                  if (rd.division_id.empty()) return err.Missing(rp.Child("divisionId"));
                  return Status::Ok();
                },
                &present);
          }
          return Status::Ok();
        }));
        if (c.id.empty()) return err.Missing(p.Child("id"));
        return Status::Ok();
      });
}

Result<PageInfo> JsonPageParser::DivisionsPermitted(const std::string& body, const PageContext& ctx,
                                                    std::vector<std::string>& division_ids) {
  return ParseListing(parser_, Padded(body), ctx, Paging::kRequired, division_ids, ParseIdOnly);
}

Result<PageInfo> JsonPageParser::Queues(const std::string& body, const PageContext& ctx,
                                        std::vector<audit::Queue>& out) {
  return ParseListing(
      parser_, Padded(body), ctx, Paging::kRequired, out,
      [](od::value& v, const Errors& err, const Path& p, audit::Queue& q) -> Status {
        TRY_(ForEachField(v, err, p, [&](od::raw_json_string key, od::value& fv) -> Status {
          if (key == "id") return ReadString(fv, err, p, "id", q.id);
          if (key == "name") return ReadString(fv, err, p, "name", q.name);
          if (key == "division") return ReadDivisionRefId(fv, err, p, q.division_id);
          if (key == "memberGroups") {
            bool present = false;
            return ForEachElement(
                fv, err, p, "memberGroups",
                [&](od::value& gv, int64_t j) -> Status {
                  const Path gp = p.Child("memberGroups", j);
                  audit::QueueMemberGroup& g = q.member_groups.emplace_back();
                  TRY_(ForEachField(gv, err, gp,
                                    [&](od::raw_json_string gkey, od::value& gfv) -> Status {
                                      if (gkey == "id") return ReadString(gfv, err, gp, "id", g.id);
                                      if (gkey == "name")
                                        return ReadString(gfv, err, gp, "name", g.name);
                                      if (gkey == "type")
                                        return ReadString(gfv, err, gp, "type", g.type);
                                      return Status::Ok();
                                    }));
                  if (g.id.empty()) return err.Missing(gp.Child("id"));
                  return Status::Ok();
                },
                &present);
          }
          return Status::Ok();
        }));
        if (q.id.empty()) return err.Missing(p.Child("id"));
        std::sort(q.member_groups.begin(), q.member_groups.end());
        return Status::Ok();
      });
}

Result<PageInfo> JsonPageParser::QueueMembers(const std::string& body, const PageContext& ctx,
                                              std::string_view queue_id,
                                              std::vector<audit::QueueMember>& out) {
  return ParseListing(
      parser_, Padded(body), ctx, Paging::kNextUri, out,
      [queue_id](od::value& v, const Errors& err, const Path& p, audit::QueueMember& m) -> Status {
        m.queue_id.assign(queue_id.data(), queue_id.size());
        std::string row_id;
        std::string member_by;
        TRY_(ForEachField(v, err, p, [&](od::raw_json_string key, od::value& fv) -> Status {
          if (key == "id") return ReadString(fv, err, p, "id", row_id);
          if (key == "joined") return ReadBool(fv, err, p, "joined", m.joined);
          if (key == "memberBy") return ReadString(fv, err, p, "memberBy", member_by);
          if (key == "user") {
            const Path up = p.Child("user");
            bool present = false;
            TRY_(ForEachField(
                fv, err, up,
                [&](od::raw_json_string ukey, od::value& ufv) -> Status {
                  if (ukey == "id") return ReadString(ufv, err, up, "id", m.user_id);
                  return Status::Ok();
                },
                &present));
            if (present && m.user_id.empty()) return err.Missing(up.Child("id"));
            return Status::Ok();
          }
          return Status::Ok();
        }));
        if (m.user_id.empty()) m.user_id = std::move(row_id);
        if (m.user_id.empty()) return err.Missing(p.Child("user").Child("id"));
        m.via_group = member_by == "group";
        return Status::Ok();
      });
}

}  // namespace divaudit::genesys
