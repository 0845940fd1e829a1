#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "audit/org_snapshot.h"
#include "common/status.h"
#include "storage/snapshot_store.h"
#include "storage/sqlite_db.h"

namespace divaudit::storage {

// The `sweeps` table (one row per sweep, the links of the hash chain) and `audited_org`.

// Inserts the sweep row (content_hash empty until SetSweepHash) and returns its id.
Result<int64_t> InsertSweep(Db& db, const audit::SweepInfo& info);
// Sets every column InsertSweep sets of sweep row `id` from `info` (a streamed sweep inserts
// its row when it starts and knows its outcome only at the end).
Status UpdateSweep(Db& db, int64_t id, const audit::SweepInfo& info);
Status SetSweepHash(Db& db, int64_t id, const std::string& hash);

// The newest sweep id ever assigned (sqlite_sequence; 0 before the first sweep).
Result<int64_t> SweepHead(Db& db);

// kNotFound naming the file for an unknown id; kDataLoss for a status that does not parse.
Result<SweepRecord> ReadSweep(Db& db, int64_t id);
Result<std::vector<SweepRecord>> ListSweeps(Db& db, std::optional<int64_t> from_unix,
                                            std::optional<int64_t> to_unix);
// kNotFound when no complete sweep is stored.
Result<SweepRecord> LastCompleteSweep(Db& db);

// One org per database: records `org_id` on first use, kFailedPrecondition naming both ids
// when the database audits another org. An empty org_id records and checks nothing.
Status CheckAuditedOrg(Db& db, const std::string& org_id, int64_t at_unix);

}  // namespace divaudit::storage
