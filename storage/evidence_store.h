#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "audit/evidence.h"
#include "common/status.h"
#include "storage/sqlite_db.h"

namespace divaudit::storage {

// What one sweep's evidence reading produced, to be recorded with that sweep.
struct EvidenceSweep {
  int64_t sweep_id = 0;
  bool available = true;
  std::string stopped;                                // "" when reading got to now - lag
  std::vector<audit::EvidenceWindow> windows;         // read completely
  audit::EvidenceCursor cursor;                       // where the next sweep starts
  std::vector<audit::ConversationEvidence> evidence;  // cross-tenant conversations read
};

// A stored conversation of evidence and the sweep that first recorded it.
struct EvidenceRecord {
  audit::ConversationEvidence evidence;
  int64_t sweep_id = 0;
};

// Which stored evidence Query returns; every bound is optional (unset: no bound).
struct EvidenceQuery {
  // Keeps the conversations that touched this tenant.
  std::optional<std::string> tenant = std::nullopt;
  // The sweep that recorded the conversation, inclusive at both ends.
  std::optional<int64_t> from_sweep = std::nullopt;
  std::optional<int64_t> to_sweep = std::nullopt;
  // The conversation's start (Unix ms): from inclusive, before exclusive.
  std::optional<int64_t> start_from_ms = std::nullopt;
  std::optional<int64_t> start_before_ms = std::nullopt;
};

// Where evidence stood after a sweep (StatusAt).
struct EvidenceAsOf {
  // The sweep that last recorded a reading up to the one asked about; 0 when none had.
  int64_t recorded_by_sweep = 0;
  bool available = true;                 // false: that sweep was refused the details
  std::optional<int64_t> read_until_ms;  // the cursor then (Unix ms): everything before was read
};

// The conversation evidence tables of the divaudit database (schema migration 6;
// docs/storage.md "Evidence"). Opens its own connection to a database that
// SqliteSnapshotStore has created and migrated. Thread-compatible.
class EvidenceStore {
 public:
  // kFailedPrecondition when the file's schema has no evidence tables (older divaudit). Readers
  // (report, attest) pass Db::Mode::kReadOnly or kImmutable, as their store was opened; Record
  // then fails.
  static Result<std::unique_ptr<EvidenceStore>> Open(const std::string& path,
                                                     Db::Mode mode = Db::Mode::kReadWrite);

  // Where the next sweep starts (an empty cursor when nothing was ever read).
  Result<audit::EvidenceCursor> Cursor();

  // Records one sweep's reading in one transaction: conversations not stored yet (by id — a
  // conversation is recorded once, whatever the sweep that reads it again), the windows read,
  // the new cursor and pending ids, availability. Returns the evidence first recorded now.
  Result<std::vector<audit::ConversationEvidence>> Record(const EvidenceSweep& sweep);

  // Stored evidence within the bounds of `q`, oldest start first (then by conversation id). The
  // sweep and start bounds are applied in SQL, so rows outside them are never decoded.
  Result<std::vector<EvidenceRecord>> Query(const EvidenceQuery& q);

  // Where evidence stood after sweep `sweep_id`: as the newest sweep up to it that recorded a
  // reading left it (schema 7 keeps one row per such sweep). Nothing recorded by then: available,
  // nothing read. What later sweeps read never shows in an older sweep's status.
  Result<EvidenceAsOf> StatusAt(int64_t sweep_id);

 private:
  EvidenceStore() = default;
  Db db_;
};

}  // namespace divaudit::storage
