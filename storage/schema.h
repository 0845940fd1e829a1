#pragma once

#include <string_view>

#include "common/status.h"
#include "storage/sqlite_db.h"

namespace divaudit::storage {

// The schema version this build writes (PRAGMA user_version).
// 5: v2 snapshot tables, 6: evidence, 7: evidence per sweep
inline constexpr int kSchemaVersion = 8;

// The SQL of migration `version` (1..kSchemaVersion): migration N upgrades version N-1 to N.
std::string_view MigrationSql(int version);

// Brings `db` to kSchemaVersion, one transaction per migration. A database whose user_version
// is newer than kSchemaVersion is refused with kFailedPrecondition naming the file and both
// versions.
Status MigrateSchema(Db& db);

}  // namespace divaudit::storage
