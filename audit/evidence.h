#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "audit/tenant_map.h"
#include "common/clock.h"
#include "common/status.h"

namespace divaudit::audit {

// One conversation as the analytics conversation details describe it: ids and times only,
// never content (docs/evidence.md). Id lists are sorted and unique.
struct Conversation {
  std::string id;
  SystemTime start{};
  std::optional<SystemTime> end;  // absent while the conversation has not ended
  std::vector<std::string> division_ids;
  std::vector<std::string> queue_ids;  // queues of any segment of any participant
  std::vector<std::string> user_ids;   // participants' user ids
};

// Where evidence reading stands between sweeps (storage/evidence_store.h keeps it).
struct EvidenceCursor {
  // End of the last window read completely; nullopt: nothing read yet (the first window is the
  // last `first_window`).
  std::optional<SystemTime> read_until;
  // Conversations read while not ended: read again by id each sweep until they end. Sorted.
  std::vector<std::string> pending;
};

// One interval [start, end) read completely (every page), by conversationStart.
struct EvidenceWindow {
  SystemTime start{};
  SystemTime end{};
  int64_t conversations = 0;
  int pages = 0;
};

// A conversation whose divisions map to two or more tenants: cross-tenant evidence.
struct ConversationEvidence {
  Conversation conversation;
  std::vector<std::string> tenants;  // sorted, unique, at least two
};

// The evidence a conversation is, or nullopt when its divisions map to fewer than two tenants.
// Shared, unmapped and unknown division ids are ignored (TenantMap::TenantOf). Pure.
std::optional<ConversationEvidence> ClassifyConversation(const Conversation& conversation,
                                                         const TenantMap& tenants);

// Every tenant pair of the evidence, each pair sorted (a < b), the pairs sorted: n tenants give
// n(n-1)/2 pairs.
std::vector<std::pair<std::string, std::string>> TenantPairs(const ConversationEvidence& evidence);

// How much of a period's conversations were read, as of a sweep (reports and attestations
// state it instead of showing an empty list that would read as "none happened").
enum class EvidenceStatus {
  kDisabled,     // [evidence] conversations is off: nothing was looked at
  kUnavailable,  // the sweep was refused the analytics details (missing permission)
  kNotRead,      // on, but no conversation of the period has been read yet
  kPartial,      // read up to a point inside the period
  kCollected,    // every conversation that started in the period was read
};

// "disabled", "unavailable", "not_read", "partial", "collected".
std::string_view EvidenceStatusName(EvidenceStatus status);

// The status of the period [from_ms, end_ms) (Unix ms) for evidence read up to `read_until_ms`
// (everything before it read; nullopt: nothing yet), `available` false when the sweep was
// refused the details. Never kDisabled. Pure.
EvidenceStatus ClassifyEvidence(bool available, std::optional<int64_t> read_until_ms,
                                int64_t from_ms, int64_t end_ms);

// "2026-11-23T08:00:00.123Z" (UTC, milliseconds): conversation times and evidence windows.
std::string FormatIsoMillis(SystemTime t);
// Parses ISO-8601 UTC as ParseIso8601 does, keeping milliseconds ("…:05.123Z"; digits past the
// third are dropped).
Result<SystemTime> ParseIsoMillis(std::string_view text);

}  // namespace divaudit::audit
