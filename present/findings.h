#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "storage/snapshot_store.h"

namespace divaudit::present {

using storage::FindingRecord;
using storage::SnapshotDiff;
using storage::SweepRecord;

// The one presenter of stored findings (`divaudit findings`: table, CSV, JSON) and of
// `divaudit diff`. Pure (no I/O); thread-safe. Names from the organisation are neutralised for
// display (common/display_text.h) in the table and CSV; JSON keeps them exact (its writer escapes
// control characters), so a consumer reads the name the organisation holds.

// Aligned text table, one finding per line, header first (columns capped at 40 bytes, cut at a
// character boundary). ASCII control characters become '?', other characters that change the
// display (bidirectional overrides, C1 controls, invalid UTF-8) U+FFFD.
std::string RenderFindingsTable(const std::vector<FindingRecord>& findings);

// RFC 4180 CSV with a header row; CRLF line ends; every cell through present::CsvCell
// (formula cells neutralised, quoted when needed).
std::string RenderFindingsCsv(const std::vector<FindingRecord>& findings);

// The findings document (docs/findings.md) plus lifecycle fields per finding (last_seen,
// resolved_at, reopened_count). `sweep` fills the "sweep" object (null when absent);
// `counts` its "counts" (divisions, users, ...), `settings` its "settings"
// {authorization_grant_division_aware, backfill_enabled} (null when the sweep did not read them).
std::string RenderFindingsJson(const std::vector<FindingRecord>& findings,
                               const std::optional<SweepRecord>& sweep = std::nullopt,
                               const std::map<std::string, int64_t>& counts = {},
                               bool pretty = false,
                               const std::optional<audit::RoleSettings>& settings = std::nullopt);

// Human-readable diff ("+ grant ...", "- membership ...", "~ user moved ...").
std::string RenderDiffText(const SnapshotDiff& diff);
std::string RenderDiffJson(const SnapshotDiff& diff, bool pretty = false);

}  // namespace divaudit::present
