#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "storage/snapshot_store.h"

namespace divaudit::storage {

// Pure renderers for `divaudit findings` and `divaudit diff` output. No I/O; thread-safe.

// Aligned text table, one finding per line, header first (columns capped at 40 characters).
std::string RenderFindingsTable(const std::vector<FindingRecord>& findings);

// RFC 4180 CSV with a header row; CRLF line ends; fields quoted when needed. Fields starting
// with = + - @ (spreadsheet formulas) are prefixed with ' so that a crafted name cannot run
// as a formula when the file is opened in a spreadsheet.
std::string RenderFindingsCsv(const std::vector<FindingRecord>& findings);

// The findings document of docs/findings.md plus lifecycle fields per finding (last_seen,
// resolved_at, reopened_count). `sweep` fills the "sweep" object (null when absent);
// `counts` its "counts" (divisions, users, ...).
std::string RenderFindingsJson(const std::vector<FindingRecord>& findings,
                               const std::optional<SweepRecord>& sweep = std::nullopt,
                               const std::map<std::string, int64_t>& counts = {},
                               bool pretty = false);

// Human-readable diff ("+ grant ...", "- membership ...", "~ user moved ...").
std::string RenderDiffText(const SnapshotDiff& diff);
std::string RenderDiffJson(const SnapshotDiff& diff, bool pretty = false);

// One CSV field, quoted/escaped as RenderFindingsCsv does.
std::string CsvField(std::string_view value);

}  // namespace divaudit::storage
