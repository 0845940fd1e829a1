#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace divaudit::sim {

// A path template such as "/api/v2/groups/{groupId}/members" bound to a method and an id.
struct Route {
  std::string method;   // "GET", "POST", …
  std::string pattern;  // literal segments and {captures}
  int id = 0;
};

struct RouteMatch {
  enum class Kind { kFound, kNotFound, kMethodNotAllowed } kind = Kind::kNotFound;
  const Route* route = nullptr;       // set for kFound
  std::vector<std::string> captures;  // decoded values of {…} segments, in order
  std::string allow;                  // "GET, POST" for kMethodNotAllowed
};

// Matches paths against a fixed route table. Routes are tried in order, so list literal
// segments ("/divisions/home") before captures ("/divisions/{id}"). Immutable after
// construction; thread-safe for concurrent Match calls.
class Router {
 public:
  explicit Router(std::vector<Route> routes);
  RouteMatch Match(std::string_view method, std::string_view path) const;

 private:
  struct Compiled {
    Route route;
    std::vector<std::string> segments;
  };
  std::vector<Compiled> routes_;
};

}  // namespace divaudit::sim
