#include "sim/router.h"

#include "sim/query.h"

namespace divaudit::sim {

namespace {
std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return out;
}
}  // namespace

Router::Router(std::vector<Route> routes) {
  for (auto& r : routes) {
    Compiled c;
    for (auto seg : SplitPath(r.pattern)) c.segments.emplace_back(seg);
    c.route = std::move(r);
    routes_.push_back(std::move(c));
  }
}

RouteMatch Router::Match(std::string_view method, std::string_view path) const {
  const auto segments = SplitPath(path);
  RouteMatch result;
  for (const auto& c : routes_) {
    if (c.segments.size() != segments.size()) continue;
    std::vector<std::string> captures;
    bool ok = true;
    for (size_t i = 0; i < segments.size() && ok; ++i) {
      const std::string& want = c.segments[i];
      if (want.size() >= 2 && want.front() == '{' && want.back() == '}') {
        captures.push_back(UrlDecode(segments[i]));
      } else {
        ok = want == segments[i];
      }
    }
    if (!ok) continue;
    if (c.route.method == method) {
      // A literal route listed earlier with another method must not hide this one.
      result.kind = RouteMatch::Kind::kFound;
      result.route = &c.route;
      result.captures = std::move(captures);
      result.allow.clear();
      return result;
    }
    result.kind = RouteMatch::Kind::kMethodNotAllowed;
    if (result.allow.find(c.route.method) == std::string::npos) {
      result.allow += (result.allow.empty() ? "" : ", ") + c.route.method;
    }
  }
  return result;
}

}  // namespace divaudit::sim
