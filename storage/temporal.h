#pragma once

#include <cstdint>

#include "audit/org_snapshot.h"
#include "common/status.h"
#include "storage/hash_chain.h"
#include "storage/id_dict.h"
#include "storage/snapshot_store.h"
#include "storage/sqlite_db.h"

namespace divaudit::storage {

// The temporal org snapshot (storage/tables.h): each object version is a row valid from one
// sweep to another.

// Writes the snapshot of sweep `sweep` inside the caller's transaction, diffing it against the
// current rows of every table in memory. A complete sweep inserts new and changed rows and
// closes changed and vanished ones (never memberships of a group whose members it did not
// read); a partial sweep only inserts rows whose key is not current. Counts go to `result`.
// Each table's part of the sweep's content hash goes to `hash` as it is written (Begin
// called; the caller then writes the findings and calls Finish).
Status CommitSnapshot(Db& db, const audit::OrgSnapshot& snapshot, bool complete, int64_t sweep,
                      IdDict& dict, SweepHashBuilder& hash, CommitResult& result);

// The canonical snapshot as of sweep `sweep_id` (the caller checks it is complete).
Result<audit::OrgSnapshot> ReadSnapshotAt(Db& db, int64_t sweep_id);

// What changed from `a` (sweep from) to `b` (sweep to); see SnapshotDiff.
SnapshotDiff DiffSnapshots(const audit::OrgSnapshot& a, const audit::OrgSnapshot& b,
                           int64_t from_sweep, int64_t to_sweep);

}  // namespace divaudit::storage
