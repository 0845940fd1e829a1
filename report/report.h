#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "audit/policy.h"
#include "common/clock.h"
#include "common/status.h"
#include "report/report_data.h"
#include "storage/evidence_store.h"
#include "storage/snapshot_store.h"

namespace divaudit::report {

// Compliance reports of one tenant over a period, built only from what the store holds (no
// clock reads: every time comes from the request). Same store content + same request = same
// bytes. Definitions (what "touches" a tenant, "new", coverage, ...) are in report/README.md.

enum class Format { kHtml, kCsv, kJson };
// "html", "csv", "json"; kInvalidArgument otherwise.
Result<Format> ParseFormat(std::string_view name);

struct ReportRequest {
  std::string org_name;  // shown in the header (e.g. the config file's base name or API host)
  std::string tenant;
  SystemTime from{};          // period start (inclusive)
  SystemTime to{};            // period end (inclusive); the as-of point of the report
  SystemTime generated_at{};  // printed as the report time; nothing else reads a clock
  std::string format = "html";
  // html/json: a file ("-" = stdout). csv: a directory (created if missing), one file per table.
  std::string out_path;
  audit::Policy policy;  // tenant map + exceptions (as in the config)
  // Window for "new findings": first seen in (to - new_window, to]. 0 = the period length.
  std::chrono::seconds new_window{0};
  // v2 (issue 15): the database's conversation evidence, given when [evidence] conversations is
  // on (nullptr: the report says evidence is not collected). Not owned; read only. At most
  // `evidence_limit` conversations are listed, the newest first, with the total.
  storage::EvidenceStore* evidence = nullptr;
  size_t evidence_limit = 100;
};

struct ReportSummary {
  std::string tenant;
  std::vector<std::string> files;  // paths written (empty for stdout)
  int64_t bytes = 0;
  int64_t as_of_sweep = 0;
  int64_t open = 0;
  int64_t suppressed = 0;
  int64_t resolved_in_period = 0;
  int64_t reach = 0;  // rows in the reach table
};

// Reads the store and computes the report. Errors: kInvalidArgument for an unknown tenant
// (message lists the known ones) or from > to; kFailedPrecondition when no complete sweep is
// stored at or before `to` (hint: run `divaudit sweep`); store errors pass through.
Result<ReportData> BuildReportData(storage::SnapshotStore& store, const ReportRequest& request);

// BuildReportData + render + write. Errors as above, kInvalidArgument for a bad format, and
// I/O errors naming the path. Files are written atomically with mode 0640.
Result<ReportSummary> WriteReport(storage::SnapshotStore& store, const ReportRequest& request);

// Tenants with at least one division at the last complete sweep (for --all-tenants), sorted.
// kFailedPrecondition when no complete sweep is stored; kInvalidArgument for a bad tenant map.
Result<std::vector<std::string>> TenantsOf(storage::SnapshotStore& store,
                                           const audit::Policy& policy);

// Turns CLI dates into a period: `to` "YYYY-MM-DD" means the end of that day (23:59:59Z),
// empty = `now`; `from` "YYYY-MM-DD" is the start of that day, empty = to - 30 days. Full
// ISO 8601 timestamps are taken as they are. kInvalidArgument for bad text or from > to.
struct Period {
  SystemTime from{};
  SystemTime to{};
};
Result<Period> ResolvePeriod(std::string_view from, std::string_view to, SystemTime now);

// A file name for one tenant's report ("report-<slug>.html", or "report-<slug>" for csv): the
// tenant name with every character outside [A-Za-z0-9._-] replaced by '_' (so a tenant named
// "../x" cannot escape the output directory), plus a short hash when that changed the name.
std::string ReportFileName(std::string_view tenant, std::string_view format);

}  // namespace divaudit::report
