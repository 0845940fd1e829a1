#pragma once

#include <charconv>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/sha256.h"
#include "common/status.h"
#include "storage/id_dict.h"
#include "storage/snapshot_store.h"
#include "storage/sqlite_db.h"
#include "storage/tables.h"

namespace divaudit::storage {

// The hash chain (storage/README.md, "Hash chain"):
//   content_hash(N) = SHA-256(layout, prev_hash, sweep row N, rows with valid_from = N, row ids
//                     with valid_to = N, identity of findings first seen in N, events of N)
// length-prefixed and type-tagged; a kId column hashes as the text it stands for. Layout 1 feeds
// each table's rows themselves; layout 2 (every sweep written since) feeds each table's rows
// as their own SHA-256, so that a sweep's rows can be digested as soon as they are written,
// before the sweep row is final. These bytes are a promise to every database in the field
// (tests/storage/chain_golden_test.cc).
enum class HashLayout { kV1 = 1, kV2 = 2 };
// The layout every sweep is written with.
inline constexpr HashLayout kCurrentHashLayout = HashLayout::kV2;

// Length-prefixed "N:bytes", so that no field content can forge another split.
void AppendField(std::string& out, std::string_view f);

// The previous link for the next sweep: the last sweep's hash, else the prune anchor's, else "".
Result<std::string> PreviousHash(Db& db);

// The content hash of sweep `id` as stored now, chained to `prev_hash` (reads every row back).
Result<std::string> ComputeSweepHash(Db& db, const IdDict& dict, int64_t id,
                                     const std::string& prev_hash, HashLayout layout);

// Layout 2's digest of a table's rows (lower-case hex SHA-256 of their serialization): the
// `count` rows, in row_id order, as SweepHashBuilder::AddWrittenTable takes them.
template <typename RowId, typename Value>
std::string DigestTableRows(const TableSpec& t, size_t count, const RowId& row_id,
                            const Value& value);

// The same bytes as ComputeSweepHash, fed while the commit writes the sweep: a temporal table's
// part comes from the rows the commit just inserted and the row ids it closed, so 600,000 new
// rows of a first 50,000-user sweep are not read back. ComputeSweepHash is this builder with
// every table read from the database, so the two cannot drift apart.
// Use: Begin, then every table of Tables() in order (AddWrittenTable, AddTableDigest or
// AddStoredTable), then Finish once the findings are written. Not thread-safe.
class SweepHashBuilder {
 public:
  // Feeds the header of `layout`, `prev_hash` and sweep row `id` (inserted; hashed columns
  // final).
  Status Begin(Db& db, int64_t id, const std::string& prev_hash, HashLayout layout);

  // Table `t`'s part from memory: the `count` rows this sweep inserted, in row_id order (row r
  // has row id row_id(r) and column c the value value(r, c): a kId column as the text it
  // stands for, a kInt column "1" for 1 and anything else for 0), and the row ids it closed,
  // ascending. Exactly what AddStoredTable would read once the rows are written.
  // (A template, writing through a fixed buffer: a first 50,000-user sweep hashes 663,827 rows,
  // ~80 MB; a std::function call per value and std::string appends cost more than the
  // serialization does now. SHA-256 is most of what is left: 180-380 MB/s on the bench VM, which
  // lacks the SHA extensions; hashing it on a second thread beside the serialization gained
  // nothing there, bench/results/queues-bench.md "Session 10". Layout 2 lets the writer digest
  // each table's rows as soon as they are written instead: AddTableDigest.)
  template <typename RowId, typename Value>
  void AddWrittenTable(const TableSpec& t, size_t count, const RowId& row_id, const Value& value,
                       const std::vector<int64_t>& closed);
  // AddWrittenTable with no rows written or closed (a failed sweep's tables).
  void AddEmptyTable(const TableSpec& t);
  // Layout 2 only: AddWrittenTable with the rows already digested (DigestTableRows of the
  // `count` rows written).
  void AddTableDigest(const TableSpec& t, std::string_view rows_digest, size_t count,
                      const std::vector<int64_t>& closed);

  // Table `t`'s part read from the database.
  Status AddStoredTable(Db& db, const IdDict& dict, const TableSpec& t);

  HashLayout layout() const { return layout_; }

  // Feeds the findings first seen in the sweep and its events; returns the lower-case hex hash.
  Result<std::string> Finish(Db& db);

 private:
  // The closed row ids and the counts that end a table's part (both layouts).
  void AddClosed(size_t count, const std::vector<int64_t>& closed);

  Sha256 h_;
  int64_t id_ = 0;
  HashLayout layout_ = kCurrentHashLayout;
};

namespace internal {

// Bytes for a Sha256 gathered in a fixed 64 KiB buffer (fed when full): the serialization of a
// first 50,000-user sweep's 663,827 rows is ~80 MB of short pieces.
class HashBuffer {
 public:
  explicit HashBuffer(Sha256& h) : h_(h) {}
  ~HashBuffer() { Flush(); }
  HashBuffer(const HashBuffer&) = delete;
  HashBuffer& operator=(const HashBuffer&) = delete;

  void Put(std::string_view v) {
    if (v.size() > kSize - used_) {
      Flush();
      if (v.size() > kSize) {
        h_.Update(v);
        return;
      }
    }
    std::memcpy(buf_ + used_, v.data(), v.size());
    used_ += v.size();
  }
  void Put(char c) {
    if (used_ == kSize) Flush();
    buf_[used_++] = c;
  }
  // The decimal digits of `v` (std::to_string's, without a string per number).
  void Number(int64_t v) {
    if (kSize - used_ < 24) Flush();
    used_ = static_cast<size_t>(std::to_chars(buf_ + used_, buf_ + kSize, v).ptr - buf_);
  }
  void Flush() {
    h_.Update(std::string_view(buf_, used_));
    used_ = 0;
  }

 private:
  static constexpr size_t kSize = 65536;
  Sha256& h_;
  size_t used_ = 0;
  char buf_[kSize];
};

// A table's rows as HashRows serializes the stored ones: row_id 'i', a kInt column 'i', text and
// kId 't' (AppendField: "<length>:<bytes>").
template <typename RowId, typename Value>
void SerializeTableRows(Sha256& h, const TableSpec& t, size_t count, const RowId& row_id,
                        const Value& value) {
  auto out = std::make_unique<HashBuffer>(h);
  for (size_t r = 0; r < count; ++r) {
    out->Put("[i");
    out->Number(row_id(r));
    out->Put(';');
    for (size_t c = 0; c < t.cols.size(); ++c) {
      const std::string_view v = value(r, c);
      if (t.cols[c].kind == Kind::kInt) {
        out->Put(v == "1" ? "i1;" : "i0;");
      } else {
        out->Put('t');
        out->Number(static_cast<int64_t>(v.size()));
        out->Put(':');
        out->Put(v);
      }
    }
    out->Put(']');
  }
}  // flushed

}  // namespace internal

template <typename RowId, typename Value>
std::string DigestTableRows(const TableSpec& t, size_t count, const RowId& row_id,
                            const Value& value) {
  Sha256 h;
  internal::SerializeTableRows(h, t, count, row_id, value);
  return h.FinishHex();
}

template <typename RowId, typename Value>
void SweepHashBuilder::AddWrittenTable(const TableSpec& t, size_t count, const RowId& row_id,
                                       const Value& value, const std::vector<int64_t>& closed) {
  if (layout_ == HashLayout::kV2) {
    return AddTableDigest(t, DigestTableRows(t, count, row_id, value), count, closed);
  }
  if (t.hashed_when_used && count == 0 && closed.empty()) return;
  h_.UpdateField(t.name);
  internal::SerializeTableRows(h_, t, count, row_id, value);
  AddClosed(count, closed);
}

// Digest of everything Prune rebased onto the chain anchor (rows whose first sweep is gone).
Result<std::string> ComputeAnchorDigest(Db& db, const IdDict& dict);

// Adds a problem to `v` (not ok; the first sweep named becomes first_bad_sweep).
void AddProblem(VerifyResult& v, std::string problem, std::optional<int64_t> sweep);

// Recomputes the chain from the anchor (or genesis) to the newest sweep: ids contiguous up to
// sqlite_sequence, every hash equal, the anchor digest intact. Sets sweeps_checked and
// head_hash; problems go to `v`. Runs inside the caller's read transaction.
Status VerifyChain(Db& db, const IdDict& dict, VerifyResult& v);

}  // namespace divaudit::storage
