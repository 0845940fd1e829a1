#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "storage/id_dict.h"
#include "storage/snapshot_store.h"
#include "storage/sqlite_db.h"

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

// The content hash of sweep `id` as stored now, chained to `prev_hash`.
Result<std::string> ComputeSweepHash(Db& db, const IdDict& dict, int64_t id,
                                     const std::string& prev_hash);

// Digest of everything Prune rebased onto the chain anchor (rows whose first sweep is gone).
Result<std::string> ComputeAnchorDigest(Db& db, const IdDict& dict);

// Adds a problem to `v` (not ok; the first sweep named becomes first_bad_sweep).
void AddProblem(VerifyResult& v, std::string problem, std::optional<int64_t> sweep);

// Recomputes the chain from the anchor (or genesis) to the newest sweep: ids contiguous up to
// sqlite_sequence, every hash equal, the anchor digest intact. Sets sweeps_checked and
// head_hash; problems go to `v`. Runs inside the caller's read transaction.
Status VerifyChain(Db& db, const IdDict& dict, VerifyResult& v);

}  // namespace divaudit::storage
