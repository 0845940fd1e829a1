#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/evidence.h"
#include "common/clock.h"
#include "common/status.h"
#include "genesys/api_client.h"

namespace divaudit::genesys {

// The cursor and windows are audit's model (audit/evidence.h): storage/ keeps them.
using audit::EvidenceCursor;
using audit::EvidenceWindow;

struct EvidenceReadOptions {
  std::chrono::milliseconds lag{15 * 60'000};          // [evidence] lag
  std::chrono::milliseconds first_window{86'400'000};  // first sweep: the last 24 h
  int max_pages = 200;                                 // query pages per sweep (the rest waits)
  int page_size = 100;                                 // the API's cap
  int64_t max_results_per_query = 10'000;              // split an interval with more
  size_t max_page_bytes = size_t{64} << 20;            // analytics pages can be several MiB
};

struct EvidenceReadResult {
  // False when the client may not read analytics (HTTP 403): nothing was read, nothing advances.
  bool available = true;
  // Why reading stopped before now - lag ("" when it got there): an HTTP error, a page that did
  // not parse, the page cap. The unread rest is read next sweep.
  std::string stopped;
  std::vector<EvidenceWindow> windows;  // read completely this sweep, in time order
  EvidenceCursor cursor;                // the cursor to store with this sweep
  // Ended conversations read this sweep (from windows and pending re-reads), each once.
  std::vector<audit::Conversation> ended;
  int query_pages = 0;    // details/query pages requested
  int pending_reads = 0;  // conversations read again by id
};

// Reads the analytics conversation details for the window (cursor.read_until, now - lag]
// (docs/evidence.md):
//  - POST /api/v2/analytics/conversations/details/query with interval "start/end" (half-open by
//    conversationStart), order asc by conversationStart, pageSize 100; an interval whose page 1
//    reports totalHits above max_results_per_query is split in two halves (recursively), read
//    first half first;
//  - an interval counts as read (the cursor moves to its end) only when every page of it was
//    read, parsed, and the distinct conversations add up to totalHits; otherwise reading stops
//    there and the next sweep starts again at that interval — never a gap, never counted twice
//    (windows are disjoint; conversations are deduplicated by id);
//  - at most max_pages query pages per call: an interval that would not fit is left for the next
//    sweep;
//  - first, every pending conversation is read again by id (GET
//    /api/v2/analytics/conversations/{id}/details): ended → `ended`, still open → stays pending,
//    404 → dropped, other failures → stays pending.
// HTTP 403 anywhere → available = false, cursor unchanged.
// Thread-compatible; `client` must outlive the reader.
class ConversationEvidenceReader {
 public:
  ConversationEvidenceReader(ApiClient& client, EvidenceReadOptions options)
      : client_(client), options_(options) {}

  EvidenceReadResult Read(const EvidenceCursor& cursor, SystemTime now);

 private:
  ApiClient& client_;
  EvidenceReadOptions options_;
};

// The body of one details/query page.
std::string DetailsQueryBody(SystemTime start, SystemTime end, int page_number, int page_size);

// Parses a details/query response: its conversations (appended) and totalHits. Errors name the
// field ("conversations[3].conversationStart: …").
Result<int64_t> ParseDetailsQueryPage(std::string_view body, std::vector<audit::Conversation>& out);
// Parses one conversation (the GET-by-id response).
Result<audit::Conversation> ParseConversationDetails(std::string_view body);

}  // namespace divaudit::genesys
