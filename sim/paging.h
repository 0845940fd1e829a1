#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/json_writer.h"
#include "common/status.h"
#include "sim/query.h"

namespace divaudit::sim {

inline constexpr int kDefaultPageSize = 25;
inline constexpr int kMaxPageSize = 500;

// A validated page request: page_size in [1, kMaxPageSize] (larger values are clamped, as the
// API does), page_number >= 1.
struct PageRequest {
  int64_t page_size = kDefaultPageSize;
  int64_t page_number = 1;
};

// Reads pageSize / pageNumber from the query. kInvalidArgument (→ HTTP 400) for non-numeric
// values, pageSize < 1 or pageNumber < 1; pageSize > kMaxPageSize is clamped.
Result<PageRequest> ParsePageRequest(const Target& target);

// Where one page falls in a collection of `total` items.
struct PageWindow {
  int64_t begin = 0;  // first index (== end when the page is past the end)
  int64_t end = 0;    // one past the last index
  int64_t page_count = 0;
  int64_t total = 0;
  PageRequest request;
  bool has_next() const { return request.page_number < page_count; }
  bool has_previous() const { return request.page_number > 1; }
};

// Pure paging math: page_count = ceil(total / page_size); a page past the end is empty.
PageWindow ComputePage(int64_t total, PageRequest request);

// Which navigation URIs a listing carries. kNoCount: a listing without a count
// (QueueMemberEntityListing): pageNumber, pageSize, firstUri, selfUri, nextUri, previousUri —
// no total, pageCount or lastUri.
enum class PageUris { kAll, kNone, kNoCount };

// Writes pageSize, pageNumber, total, pageCount and (for kAll) firstUri, selfUri, lastUri,
// nextUri (absent on the last page) and previousUri (absent on the first) into the object being
// written (for kNoCount see above). URIs are `path?pageSize=S&pageNumber=N` followed by the
// request's other parameters.
void WritePagingFields(JsonWriter& w, const Target& target, const PageWindow& window,
                       PageUris uris = PageUris::kAll);

// `path?pageSize=S&pageNumber=N&<other params of target>`.
std::string PageUri(const Target& target, int64_t page_size, int64_t page_number);

}  // namespace divaudit::sim
