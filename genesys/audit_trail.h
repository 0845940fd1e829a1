#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "genesys/api_client.h"

namespace divaudit::genesys {

// The realtime audit trail: POST /api/v2/audits/query/realtime (permission audits:audit:view),
// body AuditRealtimeQueryRequest {interval, serviceName, pageNumber, pageSize}, query
// `expand=user`, response AuditRealtimeQueryResultsResponse {entities[AuditLogMessage],
// pageNumber, pageSize, total, pageCount}. The platform keeps the last 14 days here
// (docs/genesys-api.md, "Audit trail").

// The services whose events can open a finding (docs/rules.md, "Who changed it").
inline constexpr std::string_view kAuditServices[] = {"PeoplePermissions", "Groups", "Directory",
                                                      "ContactCenter", "OAuthClient"};
inline constexpr char kAuditQueryRoute[] = "/api/v2/audits/query/realtime";
// How far back the realtime query reaches.
inline constexpr std::chrono::hours kAuditRealtimeRetention{14 * 24};
// Page size asked for (the platform's pages are small; every page is read).
inline constexpr int kAuditPageSize = 100;
// More pages than this for one service in one query is treated as an error (kResourceExhausted).
inline constexpr int kAuditMaxPages = 200;

// PropertyChange {property, oldValues[], newValues[]}.
struct AuditPropertyChange {
  std::string property;
  std::vector<std::string> old_values;
  std::vector<std::string> new_values;
  friend bool operator==(const AuditPropertyChange&, const AuditPropertyChange&) = default;
};

// EntityChange {entityId, entityName, entityType, oldValues[], newValues[]}.
struct AuditEntityChange {
  std::string entity_id;
  std::string entity_name;
  std::string entity_type;
  std::vector<std::string> old_values;
  std::vector<std::string> new_values;
  friend bool operator==(const AuditEntityChange&, const AuditEntityChange&) = default;
};

// {id, name} of an AuditLogMessage's user, client or entity; absent fields are empty.
struct AuditRef {
  std::string id;
  std::string name;
  friend bool operator==(const AuditRef&, const AuditRef&) = default;
};

// One AuditLogMessage, the fields divaudit reads. The exact layout of grant and membership
// events is not documented (which of entity / entityChanges / propertyChanges names the user,
// group or division), so every id and string they carry is kept: match on all of them
// (genesys/provenance.h). Fields absent from the message are empty / nullopt.
struct AuditEvent {
  std::string id;
  std::string service;     // serviceName: "PeoplePermissions", "Groups", ...
  std::string level;       // USER | SYSTEM | GENESYS_INTERNAL
  std::string event_date;  // eventDate as sent (ISO 8601)
  std::string action;      // "MemberAdd", "Update", ...
  std::optional<AuditRef> entity;
  std::string entity_type;  // "Role", "DirectoryGroup", "User", "Queue", "OAuthClient", ...
  std::optional<AuditRef> user;
  std::optional<AuditRef> client;
  std::string user_home_org_id;
  std::vector<AuditEntityChange> entity_changes;
  std::vector<AuditPropertyChange> property_changes;
  friend bool operator==(const AuditEvent&, const AuditEvent&) = default;
};

// One page of a realtime audit query.
struct AuditPage {
  std::vector<AuditEvent> events;
  int64_t page_number = 0;
  int64_t page_count = 0;  // pageCount, or derived from total/pageSize; 0 when unknown
};

// Parses an AuditRealtimeQueryResultsResponse body. Unknown fields are ignored; `entities`
// must be an array of objects, and string fields must be strings where present. Errors
// (kInvalidArgument shape, kDataLoss malformed JSON) name "POST <route> <service> page <n>" and
// the field, e.g. "entities[3].propertyChanges[0].newValues: expected array".
Result<AuditPage> ParseAuditPage(std::string_view body, std::string_view service, int64_t page);

// The JSON body of one realtime query page: interval "<from>/<to>" (ISO 8601 UTC, whole
// seconds: from rounded down, to rounded up),
// serviceName, pageNumber, pageSize.
std::string AuditQueryBody(std::string_view service, SystemTime from, SystemTime to,
                           int64_t page_number, int64_t page_size);

// The result of querying one service.
struct AuditQueryResult {
  std::vector<AuditEvent> events;  // every page, in the order sent
  int64_t pages = 0;               // pages read
};

// Reads every page of the realtime audit trail of `service` for (from, to] (the platform's
// interval is inclusive-exclusive; the caller picks the bounds) through `client`, so the
// requests share its token, rate budget and retries (429/5xx/timeouts are retried there) and
// count in its stats. Pages after the first are requested together once the first tells their
// number. Errors (the first one met, prefixed "POST /api/v2/audits/query/realtime <service>"):
//   kPermissionDenied — HTTP 403: the client lacks audits:audit:view (message says so);
//   kUnavailable — any other non-2xx status after the client's retries, or a transport failure
//     (the client's own code: kDeadlineExceeded, kAborted on cancellation, kUnauthenticated);
//   kInvalidArgument / kDataLoss — a page that does not parse;
//   kResourceExhausted — HTTP 429 given up on (throttled), or more than kAuditMaxPages pages.
// Thread-compatible (uses `client` like any caller).
// `max_attempts` per request: 0 = the client's retry policy (the changed_by lookup); 1 = no
// retry (the change watch: its next poll retries). `timeout` per request: 0 = the client's.
Result<AuditQueryResult> QueryAuditTrail(ApiClient& client, std::string_view service,
                                         SystemTime from, SystemTime to, int max_attempts = 0,
                                         std::chrono::milliseconds timeout = {});

}  // namespace divaudit::genesys
