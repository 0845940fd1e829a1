#pragma once

#include <chrono>
#include <cstdint>

#include "common/status.h"
#include "storage/snapshot_store.h"
#include "storage/sqlite_db.h"

namespace divaudit::storage {

// Deletes the sweeps started before now - retention (always keeping the last complete sweep)
// and what only they needed, rebasing what later sweeps still use onto the chain anchor
// (storage/README.md, "Prune"). Runs its own BEGIN IMMEDIATE transaction. `pruned_at` is
// recorded in the anchor.
Result<PruneResult> PruneSweeps(Db& db, std::chrono::seconds retention, int64_t now_unix,
                                int64_t pruned_at);

}  // namespace divaudit::storage
