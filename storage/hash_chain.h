#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/sha256.h"
#include "common/status.h"
#include "storage/id_dict.h"
#include "storage/snapshot_store.h"
#include "storage/sqlite_db.h"
#include "storage/tables.h"

namespace divaudit::storage {

// The hash chain (storage/README.md, "Hash chain"):
//   content_hash(N) = SHA-256(prev_hash, sweep row N, rows with valid_from = N, row ids with
//                     valid_to = N, identity of findings first seen in N, events of N)
// length-prefixed and type-tagged; a kId column hashes as the text it stands for. These bytes
// are a promise to every database in the field (tests/storage/chain_golden_test.cc).

// Length-prefixed "N:bytes", so that no field content can forge another split.
void AppendField(std::string& out, std::string_view f);

// The previous link for the next sweep: the last sweep's hash, else the prune anchor's, else "".
Result<std::string> PreviousHash(Db& db);

// The content hash of sweep `id` as stored now, chained to `prev_hash` (reads every row back).
Result<std::string> ComputeSweepHash(Db& db, const IdDict& dict, int64_t id,
                                     const std::string& prev_hash);

// The same bytes as ComputeSweepHash, fed while the commit writes the sweep: a temporal table's
// part comes from the rows the commit just inserted and the row ids it closed, so 600,000 new
// rows of a first 50,000-user sweep are not read back. ComputeSweepHash is this builder with
// every table read from the database, so the two cannot drift apart.
// Use: Begin, then every table of Tables() in order (AddWrittenTable or AddStoredTable), then
// Finish once the findings are written. Not thread-safe.
class SweepHashBuilder {
 public:
  // Feeds the header, `prev_hash` and sweep row `id` (inserted; hashed columns final).
  Status Begin(Db& db, int64_t id, const std::string& prev_hash);

  // Table `t`'s part from memory: the `count` rows this sweep inserted, in row_id order (row r
  // has row id row_id(r) and column c the value value(r, c): a kId column as the text it
  // stands for, a kInt column "1" for 1 and anything else for 0), and the row ids it closed,
  // ascending. Exactly what AddStoredTable would read once the rows are written.
  void AddWrittenTable(const TableSpec& t, size_t count,
                       const std::function<int64_t(size_t)>& row_id,
                       const std::function<std::string_view(size_t, size_t)>& value,
                       const std::vector<int64_t>& closed);

  // Table `t`'s part read from the database.
  Status AddStoredTable(Db& db, const IdDict& dict, const TableSpec& t);

  // Feeds the findings first seen in the sweep and its events; returns the lower-case hex hash.
  Result<std::string> Finish(Db& db);

 private:
  Sha256 h_;
  int64_t id_ = 0;
};

// Digest of everything Prune rebased onto the chain anchor (rows whose first sweep is gone).
Result<std::string> ComputeAnchorDigest(Db& db, const IdDict& dict);

// Adds a problem to `v` (not ok; the first sweep named becomes first_bad_sweep).
void AddProblem(VerifyResult& v, std::string problem, std::optional<int64_t> sweep);

// Recomputes the chain from the anchor (or genesis) to the newest sweep: ids contiguous up to
// sqlite_sequence, every hash equal, the anchor digest intact. Sets sweeps_checked and
// head_hash; problems go to `v`. Runs inside the caller's read transaction.
Status VerifyChain(Db& db, const IdDict& dict, VerifyResult& v);

}  // namespace divaudit::storage
