#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "audit/org_snapshot.h"
#include "common/status.h"
#include "storage/hash_chain.h"
#include "storage/id_dict.h"
#include "storage/snapshot_store.h"
#include "storage/sqlite_db.h"

namespace divaudit::storage {

// The temporal org snapshot (storage/tables.h): each object version is a row valid from one
// sweep to another.

// Writes the snapshot of sweep `sweep` into the temporal tables inside the caller's write
// transaction (the sweep row inserted), diffing it against the current rows of every table in
// memory. A complete sweep inserts new and changed rows and closes changed and vanished ones
// (never memberships of a group whose members it did not read); a partial sweep only inserts
// rows whose key is not current.
//
// The current rows may be read ahead (Preload), and the grants written ahead
// (WriteGrantsEarly) and the users (WriteUsersEarly), while the sweep is still reading the org.
// Use: Preload (optional), WriteGrantsEarly and WriteUsersEarly (optional, once each), Finish once,
// then AddToHash after SweepHashBuilder::Begin (the caller then writes the findings and calls
// Finish on the builder): the hash needs the final sweep row first, so each table's rows are
// digested (hash layout 2) as soon as they are written and AddToHash feeds the digests. `db` and
// `dict` must outlive it. Not thread-safe.
class SnapshotWriter {
 public:
  SnapshotWriter(Db& db, IdDict& dict, int64_t sweep);
  ~SnapshotWriter();
  SnapshotWriter(const SnapshotWriter&) = delete;
  SnapshotWriter& operator=(const SnapshotWriter&) = delete;

  // Reads the current rows of every table (Finish reads those it lacks itself).
  Status Preload();
  // The snapshot's grants, final and canonical, before the rest of it is known: inserts the new
  // grant rows now (the same rows and row ids Finish would write). Grants not in canonical order
  // are refused (kFailedPrecondition, nothing written). Finish then checks that its snapshot
  // holds exactly these grants, in this order (a 64-bit digest of their interned ids;
  // kFailedPrecondition otherwise: nothing is committed from this writer), and closes the
  // vanished ones if the sweep is complete. Grants' ids are interned (audit::Id).
  Status WriteGrantsEarly(std::span<const audit::Grant> grants);
  // The snapshot's users, final and sorted by id, before the rest of it: when no current user
  // has changed (so a complete and a partial sweep would write the same rows), inserts the new
  // user rows now (the same rows and row ids Finish would write) and returns true; otherwise
  // writes nothing and returns false (Finish writes them). After true, Finish checks that its
  // snapshot holds exactly these users (kFailedPrecondition otherwise) and closes the vanished
  // ones if the sweep is complete. Keeps `users` until Finish.
  Result<bool> WriteUsersEarly(std::vector<audit::User> users);
  // Writes `final`'s rows; counts go to `result`.
  Status Finish(const audit::OrgSnapshot& final, bool complete, CommitResult& result);
  // Each table's part of the content hash (layout 2: its rows' digest, count and closed row
  // ids), in table order (after Finish).
  void AddToHash(SweepHashBuilder& hash) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The canonical snapshot as of sweep `sweep_id` (the caller checks it is complete). With
// `only_divisions`, every table but divisions is left unread (and the snapshot's other parts
// empty).
Result<audit::OrgSnapshot> ReadSnapshotAt(Db& db, int64_t sweep_id, bool only_divisions = false);

// audit::CountsOf(ReadSnapshotAt(db, sweep_id)) without reading the rows: count(*) of each
// table's rows live at the sweep (the caller checks the sweep is complete).
Result<audit::SnapshotCounts> CountRowsAt(Db& db, int64_t sweep_id);

// What changed from `a` (sweep from) to `b` (sweep to); see SnapshotDiff.
SnapshotDiff DiffSnapshots(const audit::OrgSnapshot& a, const audit::OrgSnapshot& b,
                           int64_t from_sweep, int64_t to_sweep);

}  // namespace divaudit::storage
