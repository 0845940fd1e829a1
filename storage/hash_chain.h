#pragma once

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
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
// each table's rows themselves. Layout 2 feeds each table's rows as their own SHA-256 (a kId
// value after its first appearance in the table's part as a back-reference to it), so that the
// writer digests a table's rows as soon as they are written, before the sweep row is final.
// These bytes are a promise to every database in the field (tests/storage/chain_golden_test.cc).
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

// Layout 2's digest of a table's rows, lower-case hex: exactly what
// SweepHashBuilder::AddStoredTable computes once the rows are stored. The `count` rows come in
// row_id order; row r has row id row_id(r).
//   DigestTextRows, a table without kId columns: column c is value(r, c), a kInt column "1" for
//   1 and anything else for 0.
//   DigestIdRows, a table whose columns are all kId or kInt (TableSpec::all_ids): column c is
//   id_at(r, c), the dictionary id (kId) or the integer (kInt); text_of(id) is an id's text.
// (Templates writing through a fixed buffer: a first 50,000-user sweep digests 663,827 rows, and
// a std::function call per value costs more than the serialization.)
template <typename RowId, typename Value>
std::string DigestTextRows(const TableSpec& t, size_t count, const RowId& row_id,
                           const Value& value);
template <typename RowId, typename IdAt, typename TextOf>
std::string DigestIdRows(const TableSpec& t, size_t count, const RowId& row_id, const IdAt& id_at,
                         const TextOf& text_of);

// A sweep's content hash, fed while the commit writes the sweep: a table's part comes from the
// digest the writer took of the rows it inserted, and the row ids it closed, so 600,000 new rows
// of a first 50,000-user sweep are not read back. ComputeSweepHash is this builder with every
// table read from the database (the same serialization), so the two cannot drift apart.
// Use: Begin, then every table of Tables() in order (AddTableDigest, AddEmptyTable or
// AddStoredTable), then Finish once the findings are written. Not thread-safe.
class SweepHashBuilder {
 public:
  // Feeds the header of `layout`, `prev_hash` and sweep row `id` (inserted; hashed columns
  // final).
  Status Begin(Db& db, int64_t id, const std::string& prev_hash, HashLayout layout);
  HashLayout layout() const { return layout_; }

  // Layout 2: table `t`'s part from memory, `rows_digest` (DigestTextRows or DigestIdRows) of
  // the `count` rows this sweep inserted, and the row ids it closed, ascending.
  void AddTableDigest(const TableSpec& t, std::string_view rows_digest, size_t count,
                      const std::vector<int64_t>& closed);
  // No rows written or closed (a failed sweep's tables); either layout.
  void AddEmptyTable(const TableSpec& t);

  // Table `t`'s part read from the database; either layout.
  Status AddStoredTable(Db& db, const IdDict& dict, const TableSpec& t);

  // Feeds the findings first seen in the sweep and its events; returns the lower-case hex hash.
  Result<std::string> Finish(Db& db);

 private:
  // The row count, the closed row ids and their count, which end a table's part.
  void AddClosed(size_t count, const std::vector<int64_t>& closed);

  Sha256 h_;
  int64_t id_ = 0;
  HashLayout layout_ = kCurrentHashLayout;
};

namespace internal {

// Bytes for a Sha256 gathered in a fixed 64 KiB buffer (fed when full): the serialization of a
// first 50,000-user sweep's 663,827 rows is tens of MB of short pieces.
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
  // AppendField: "<length>:<bytes>".
  void Field(std::string_view v) {
    Number(static_cast<int64_t>(v.size()));
    Put(':');
    Put(v);
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

// Layout 2's back-references within one table's part: the ordinal (0, 1, ...) of each
// dictionary id's first appearance.
class FirstSeen {
 public:
  // The ordinal of `id`'s earlier first appearance, or -1 when this is it (then recorded).
  int64_t Seen(int64_t id) {
    uint32_t* slot = nullptr;
    if (id >= 0 && id < kDense) {  // dictionary ids are dense; an edited file's need not be
      const auto i = static_cast<size_t>(id);
      if (i >= dense_.size()) dense_.resize(std::max(i + 1, 2 * dense_.size()), 0);
      slot = &dense_[i];
    } else {
      slot = &sparse_[id];
    }
    if (*slot != 0) return *slot - 1;
    *slot = ++count_;
    return -1;
  }

 private:
  static constexpr int64_t kDense = int64_t{1} << 22;
  std::vector<uint32_t> dense_;  // id -> ordinal + 1; 0: not seen
  std::unordered_map<int64_t, uint32_t> sparse_;
  uint32_t count_ = 0;
};

// SHA-256 (hex) of `count` rows as HashRows serializes stored ones: '[', row_id 'i', the
// columns (put(out, r, c) writes column c of row r), ']'.
template <typename RowId, typename PutColumn>
std::string DigestRowsWith(size_t count, size_t cols, const RowId& row_id, const PutColumn& put) {
  Sha256 h;
  {
    auto out = std::make_unique<HashBuffer>(h);
    for (size_t r = 0; r < count; ++r) {
      out->Put("[i");
      out->Number(row_id(r));
      out->Put(';');
      for (size_t c = 0; c < cols; ++c) put(*out, r, c);
      out->Put(']');
    }
  }  // flushed
  return h.FinishHex();
}

}  // namespace internal

template <typename RowId, typename Value>
std::string DigestTextRows(const TableSpec& t, size_t count, const RowId& row_id,
                           const Value& value) {
  // A kInt column 'i0;'/'i1;', text 't' and the field.
  return internal::DigestRowsWith(count, t.cols.size(), row_id,
                                  [&](internal::HashBuffer& out, size_t r, size_t c) {
                                    const std::string_view v = value(r, c);
                                    if (t.cols[c].kind == Kind::kInt)
                                      return out.Put(v == "1" ? "i1;" : "i0;");
                                    out.Put('t');
                                    out.Field(v);
                                  });
}

template <typename RowId, typename IdAt, typename TextOf>
std::string DigestIdRows(const TableSpec& t, size_t count, const RowId& row_id, const IdAt& id_at,
                         const TextOf& text_of) {
  // A kInt column 'i0;'/'i1;'; a kId value 't' and its text the first time, 'b' and the ordinal
  // of that first time after.
  internal::FirstSeen seen;
  return internal::DigestRowsWith(count, t.cols.size(), row_id,
                                  [&](internal::HashBuffer& out, size_t r, size_t c) {
                                    const auto v = static_cast<int64_t>(id_at(r, c));
                                    if (t.cols[c].kind == Kind::kInt)
                                      return out.Put(v == 1 ? "i1;" : "i0;");
                                    if (const int64_t k = seen.Seen(v); k >= 0) {
                                      out.Put('b');
                                      out.Number(k);
                                      out.Put(';');
                                      return;
                                    }
                                    out.Put('t');
                                    out.Field(text_of(v));
                                  });
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
