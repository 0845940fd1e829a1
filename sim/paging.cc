#include "sim/paging.h"

#include <algorithm>

#include "common/strings.h"

namespace divaudit::sim {

Result<PageRequest> ParsePageRequest(const Target& target) {
  PageRequest r;
  if (auto size = target.Get("pageSize")) {
    auto v = ParseInt(*size);
    if (!v.ok()) return InvalidArgumentError("pageSize: " + v.status().message());
    if (*v < 1) return InvalidArgumentError("pageSize must be at least 1");
    r.page_size = std::min<int64_t>(*v, kMaxPageSize);
  }
  if (auto number = target.Get("pageNumber")) {
    auto v = ParseInt(*number);
    if (!v.ok()) return InvalidArgumentError("pageNumber: " + v.status().message());
    if (*v < 1) return InvalidArgumentError("pageNumber must be at least 1");
    r.page_number = *v;
  }
  return r;
}

PageWindow ComputePage(int64_t total, PageRequest request) {
  PageWindow w;
  w.total = total;
  w.request = request;
  w.page_count = (total + request.page_size - 1) / request.page_size;
  // Guard against overflow for absurd page numbers.
  if (request.page_number > w.page_count) {
    w.begin = w.end = total;
    return w;
  }
  w.begin = (request.page_number - 1) * request.page_size;
  w.end = std::min(total, w.begin + request.page_size);
  return w;
}

std::string PageUri(const Target& target, int64_t page_size, int64_t page_number) {
  std::string uri = target.path;
  uri += "?pageSize=" + std::to_string(page_size) + "&pageNumber=" + std::to_string(page_number);
  for (const auto& [k, v] : target.params) {
    if (k == "pageSize" || k == "pageNumber") continue;
    uri += "&" + UrlEncode(k) + "=" + UrlEncode(v);
  }
  return uri;
}

void WritePagingFields(JsonWriter& w, const Target& target, const PageWindow& window,
                       PageUris uris) {
  const int64_t size = window.request.page_size;
  if (uris == PageUris::kNoCount) {
    w.Key("pageNumber").Int(window.request.page_number);
    w.Key("pageSize").Int(size);
    w.Field("firstUri", PageUri(target, size, 1));
    w.Field("selfUri", PageUri(target, size, window.request.page_number));
    if (window.has_next()) {
      w.Field("nextUri", PageUri(target, size, window.request.page_number + 1));
    }
    if (window.has_previous()) {
      w.Field("previousUri", PageUri(target, size, window.request.page_number - 1));
    }
    return;
  }
  w.Key("pageSize").Int(size);
  w.Key("pageNumber").Int(window.request.page_number);
  w.Key("total").Int(window.total);
  w.Key("pageCount").Int(window.page_count);
  if (uris == PageUris::kNone) return;
  w.Field("firstUri", PageUri(target, size, 1));
  w.Field("selfUri", PageUri(target, size, window.request.page_number));
  w.Field("lastUri", PageUri(target, size, std::max<int64_t>(1, window.page_count)));
  if (window.has_next()) w.Field("nextUri", PageUri(target, size, window.request.page_number + 1));
  if (window.has_previous()) {
    w.Field("previousUri", PageUri(target, size, window.request.page_number - 1));
  }
}

}  // namespace divaudit::sim
