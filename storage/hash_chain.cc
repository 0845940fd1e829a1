#include "storage/hash_chain.h"

#include <charconv>
#include <cstdio>
#include <utility>
#include <vector>

#include "common/sha256.h"
#include "storage/tables.h"

namespace divaudit::storage {
namespace {

// Canonical serialization: every column of every row tagged by type.
void SerializeColumn(std::string& out, sqlite3_stmt* st, int col) {
  switch (sqlite3_column_type(st, col)) {
    case SQLITE_NULL:
      out += "n;";
      return;
    case SQLITE_INTEGER:
      out += 'i';
      out += std::to_string(sqlite3_column_int64(st, col));
      out += ';';
      return;
    case SQLITE_FLOAT: {
      char buf[40];
      std::snprintf(buf, sizeof(buf), "r%.17g;", sqlite3_column_double(st, col));
      out += buf;
      return;
    }
    default:
      out += 't';
      AppendField(out, ColumnView(st, col));
      return;
  }
}

// A kId column hashes as the text it stands for ('t'), so the chain does not depend on how
// rows are stored (sweeps hashed by schema v2 verify under v3); with `seen` (layout 2), an id
// seen before in the table's part as 'b' and the ordinal of its first appearance. An id missing
// from the dictionary hashes as NULL and a non-integer as 'x'+value: neither is what a writer
// hashed.
void SerializeTableColumn(std::string& out, sqlite3_stmt* st, int col, Kind kind,
                          const IdDict& dict, internal::FirstSeen* seen) {
  if (kind != Kind::kId) return SerializeColumn(out, st, col);
  if (sqlite3_column_type(st, col) != SQLITE_INTEGER) {
    out += 'x';
    return SerializeColumn(out, st, col);
  }
  const int64_t id = sqlite3_column_int64(st, col);
  const std::string_view* v = dict.Find(id);
  if (v == nullptr) {
    out += "n;";
    return;
  }
  if (seen != nullptr) {
    if (const int64_t k = seen->Seen(id); k >= 0) {
      out += 'b';
      out += std::to_string(k);
      out += ';';
      return;
    }
  }
  out += 't';
  AppendField(out, *v);
}

// Feeds the serialized rows of `sql` (bound to `id`, or unbound when id is nullopt) into `h`,
// calling `before_first` before the first row's bytes; returns how many rows. With `table`,
// column 0 is row_id and columns 1.. are the table's columns (kId decoded via `dict`, with
// back-references through `seen` if given).
template <typename F>
Result<int64_t> FeedRows(Db& db, const std::string& sql, std::optional<int64_t> id, Sha256& h,
                         const TableSpec* table, const IdDict* dict, const F& before_first,
                         internal::FirstSeen* seen = nullptr) {
  DIVAUDIT_ASSIGN_OR_RETURN(Stmt st, db.Prepare(sql));
  if (id) st.Bind(1, *id);
  std::string buf;
  int64_t rows = 0;
  while (true) {
    DIVAUDIT_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    if (rows == 0) before_first();
    ++rows;
    buf += '[';
    for (int c = 0; c < st.ColumnCount(); ++c) {
      if (table != nullptr && c >= 1 && static_cast<size_t>(c) <= table->cols.size()) {
        SerializeTableColumn(buf, st.raw(), c, table->cols[static_cast<size_t>(c - 1)].kind, *dict,
                             seen);
      } else {
        SerializeColumn(buf, st.raw(), c);
      }
    }
    buf += ']';
    if (buf.size() > 65536) {
      h.Update(buf);
      buf.clear();
    }
  }
  h.Update(buf);
  return rows;
}

// Feeds `label` and every row of `sql` into `h` (FeedRows), then the row count. With
// `skip_if_empty` (sections added by schema v5) no row means nothing is fed, not even the
// label, so sweeps hashed before the section existed keep their bytes.
Status HashRows(Db& db, const std::string& sql, std::optional<int64_t> id, Sha256& h,
                std::string_view label, const TableSpec* table = nullptr,
                const IdDict* dict = nullptr, bool skip_if_empty = false) {
  if (!skip_if_empty) h.UpdateField(label);
  DIVAUDIT_ASSIGN_OR_RETURN(const int64_t rows, FeedRows(db, sql, id, h, table, dict, [&] {
                              if (skip_if_empty) h.UpdateField(label);
                            }));
  if (rows == 0 && skip_if_empty) return Status::Ok();
  h.UpdateField(std::to_string(rows));
  return Status::Ok();
}

// The v5 parts of the findings: the queue id of findings first seen in the sweep (identity,
// also inside the fingerprint) and the changed_by of the sweep's opened/reopened events.
// `id` selects the sweep; nullopt the rows rebased onto the prune anchor.
Status HashFindingsV5(Db& db, std::optional<int64_t> id, Sha256& h) {
  const std::string first = id ? "first_seen_sweep = ?1" : "first_seen_sweep IS NULL";
  const std::string sweep = id ? "sweep_id = ?1" : "sweep_id IS NULL";
  DIVAUDIT_RETURN_IF_ERROR(HashRows(db,
                                    "SELECT fingerprint, queue_id FROM findings WHERE " + first +
                                        " AND queue_id IS NOT NULL ORDER BY fingerprint",
                                    id, h, "findings_queue", nullptr, nullptr, true));
  return HashRows(db,
                  "SELECT id, changed_by FROM findings_events WHERE " + sweep +
                      " AND changed_by IS NOT NULL ORDER BY id",
                  id, h, "events_changed_by", nullptr, nullptr, true);
}

constexpr const char* kSweepHashSql =
    "SELECT id, started_at, finished_at, status, incomplete, requests, retries, throttled, "
    "coverage, rule_set_version, unknown_subject_types FROM sweeps WHERE id = ?1";
constexpr const char* kFindingIdentityCols =
    "fingerprint, rule, subject_type, subject_id, role_id, division_id, via_type, via_group_id, "
    "first_seen_at";

// The sweep rows of the chain, oldest first: (id, stored hash).
Result<std::vector<std::pair<int64_t, std::string>>> StoredHashes(Db& db) {
  std::vector<std::pair<int64_t, std::string>> sweeps;
  DIVAUDIT_ASSIGN_OR_RETURN(Stmt st, db.Prepare("SELECT id, content_hash FROM sweeps ORDER BY id"));
  while (true) {
    DIVAUDIT_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    sweeps.emplace_back(st.Int(0), st.Text(1));
  }
  return sweeps;
}

// Where the chain starts: after the anchor (checking its digest) or at sweep 1 with "".
Status CheckAnchor(Db& db, const IdDict& dict, VerifyResult& v, int64_t& expected_id,
                   std::string& prev_hash) {
  DIVAUDIT_ASSIGN_OR_RETURN(
      Stmt st,
      db.Prepare("SELECT last_pruned_sweep, last_pruned_hash, base_digest FROM chain_anchor"));
  DIVAUDIT_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return Status::Ok();
  expected_id = st.Int(0) + 1;
  prev_hash = st.Text(1);
  const std::string stored_digest = st.Text(2);
  DIVAUDIT_ASSIGN_OR_RETURN(std::string digest, ComputeAnchorDigest(db, dict));
  if (digest != stored_digest) {
    AddProblem(v,
               "chain anchor: rows kept from pruned sweeps (up to " + std::to_string(st.Int(0)) +
                   ") were modified",
               expected_id);
  }
  return Status::Ok();
}

}  // namespace

void AppendField(std::string& out, std::string_view f) {
  out += std::to_string(f.size());
  out += ':';
  out += f;
}

Result<std::string> PreviousHash(Db& db) {
  DIVAUDIT_ASSIGN_OR_RETURN(Stmt st,
                            db.Prepare("SELECT content_hash FROM sweeps ORDER BY id DESC LIMIT 1"));
  DIVAUDIT_ASSIGN_OR_RETURN(bool row, st.Step());
  if (row) return st.Text(0);
  DIVAUDIT_ASSIGN_OR_RETURN(Stmt an, db.Prepare("SELECT last_pruned_hash FROM chain_anchor"));
  DIVAUDIT_ASSIGN_OR_RETURN(bool arow, an.Step());
  return arow ? an.Text(0) : std::string();
}

Status SweepHashBuilder::Begin(Db& db, int64_t id, const std::string& prev_hash,
                               HashLayout layout) {
  id_ = id;
  layout_ = layout;
  h_.UpdateField(layout == HashLayout::kV1 ? "divaudit-sweep-v1" : "divaudit-sweep-v2");
  h_.UpdateField(prev_hash);
  return HashRows(db, kSweepHashSql, id, h_, "sweep");
}

void SweepHashBuilder::AddEmptyTable(const TableSpec& t) {
  if (layout_ == HashLayout::kV2) return AddTableDigest(t, Sha256Hex(""), 0, {});
  if (t.hashed_when_used) return;
  h_.UpdateField(t.name);
  AddClosed(0, {});
}

void SweepHashBuilder::AddTableDigest(const TableSpec& t, std::string_view rows_digest,
                                      size_t count, const std::vector<int64_t>& closed) {
  if (t.hashed_when_used && count == 0 && closed.empty()) return;
  h_.UpdateField(t.name);
  h_.UpdateField(rows_digest);
  AddClosed(count, closed);
}

void SweepHashBuilder::AddClosed(size_t count, const std::vector<int64_t>& closed) {
  h_.UpdateField(std::to_string(count));
  h_.UpdateField("closed");
  {
    auto out = std::make_unique<internal::HashBuffer>(h_);
    for (int64_t id : closed) {
      out->Put("[i");
      out->Number(id);
      out->Put(";]");
    }
  }  // flushed
  h_.UpdateField(std::to_string(closed.size()));
}

Status SweepHashBuilder::AddStoredTable(Db& db, const IdDict& dict, const TableSpec& t) {
  const std::string id = std::to_string(id_);
  if (t.hashed_when_used) {
    DIVAUDIT_ASSIGN_OR_RETURN(
        int64_t used, db.QueryInt(std::string("SELECT EXISTS(SELECT 1 FROM ") + t.name +
                                  " WHERE valid_from_sweep = " + id + ") OR EXISTS(SELECT 1 FROM " +
                                  t.name + " WHERE valid_to_sweep = " + id + ")"));
    if (used == 0) return Status::Ok();
  }
  const std::string rows_sql = std::string("SELECT row_id, ") + ColumnList(t) + " FROM " + t.name +
                               " WHERE valid_from_sweep = ?1 ORDER BY row_id";
  const std::string closed_sql =
      std::string("SELECT row_id FROM ") + t.name + " WHERE valid_to_sweep = ?1 ORDER BY row_id";
  if (layout_ == HashLayout::kV1) {
    DIVAUDIT_RETURN_IF_ERROR(HashRows(db, rows_sql, id_, h_, t.name, &t, &dict));
    return HashRows(db, closed_sql, id_, h_, "closed");
  }
  Sha256 rows_h;
  internal::FirstSeen seen;
  DIVAUDIT_ASSIGN_OR_RETURN(const int64_t count,
                            FeedRows(
                                db, rows_sql, id_, rows_h, &t, &dict, [] {}, &seen));
  std::vector<int64_t> closed;
  DIVAUDIT_ASSIGN_OR_RETURN(Stmt st, db.Prepare(closed_sql));
  st.Bind(1, id_);
  while (true) {
    DIVAUDIT_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    closed.push_back(st.Int(0));
  }
  AddTableDigest(t, rows_h.FinishHex(), static_cast<size_t>(count), closed);
  return Status::Ok();
}

Result<std::string> SweepHashBuilder::Finish(Db& db) {
  DIVAUDIT_RETURN_IF_ERROR(HashRows(db,
                                    std::string("SELECT ") + kFindingIdentityCols +
                                        " FROM findings WHERE first_seen_sweep = ?1 "
                                        "ORDER BY fingerprint",
                                    id_, h_, "findings"));
  DIVAUDIT_RETURN_IF_ERROR(HashRows(
      db, "SELECT id, fingerprint, event FROM findings_events WHERE sweep_id = ?1 ORDER BY id", id_,
      h_, "events"));
  DIVAUDIT_RETURN_IF_ERROR(HashFindingsV5(db, id_, h_));
  return h_.FinishHex();
}

Result<std::string> ComputeSweepHash(Db& db, const IdDict& dict, int64_t id,
                                     const std::string& prev_hash, HashLayout layout) {
  SweepHashBuilder b;
  DIVAUDIT_RETURN_IF_ERROR(b.Begin(db, id, prev_hash, layout));
  for (const TableSpec& t : Tables()) DIVAUDIT_RETURN_IF_ERROR(b.AddStoredTable(db, dict, t));
  return b.Finish(db);
}

Result<std::string> ComputeAnchorDigest(Db& db, const IdDict& dict) {
  Sha256 h;
  h.UpdateField("divaudit-anchor-v1");
  for (const TableSpec& t : Tables()) {
    if (t.hashed_when_used) {
      DIVAUDIT_ASSIGN_OR_RETURN(int64_t used,
                                db.QueryInt(std::string("SELECT EXISTS(SELECT 1 FROM ") + t.name +
                                            " WHERE valid_from_sweep IS NULL)"));
      if (used == 0) continue;
    }
    DIVAUDIT_RETURN_IF_ERROR(HashRows(db,
                                      std::string("SELECT row_id, ") + ColumnList(t) + " FROM " +
                                          t.name +
                                          " WHERE valid_from_sweep IS NULL ORDER BY row_id",
                                      std::nullopt, h, t.name, &t, &dict));
  }
  DIVAUDIT_RETURN_IF_ERROR(HashRows(db,
                                    std::string("SELECT ") + kFindingIdentityCols +
                                        " FROM findings WHERE first_seen_sweep IS NULL "
                                        "ORDER BY fingerprint",
                                    std::nullopt, h, "findings"));
  DIVAUDIT_RETURN_IF_ERROR(HashRows(
      db, "SELECT id, fingerprint, event FROM findings_events WHERE sweep_id IS NULL ORDER BY id",
      std::nullopt, h, "events"));
  DIVAUDIT_RETURN_IF_ERROR(HashFindingsV5(db, std::nullopt, h));
  return h.FinishHex();
}

void AddProblem(VerifyResult& v, std::string problem, std::optional<int64_t> sweep) {
  v.ok = false;
  v.problems.push_back(std::move(problem));
  if (sweep && !v.first_bad_sweep) v.first_bad_sweep = sweep;
}

Status VerifyChain(Db& db, const IdDict& dict, VerifyResult& v) {
  std::string prev_hash;
  int64_t expected_id = 1;
  DIVAUDIT_RETURN_IF_ERROR(CheckAnchor(db, dict, v, expected_id, prev_hash));
  DIVAUDIT_ASSIGN_OR_RETURN(auto sweeps, StoredHashes(db));
  HashLayout layout = kCurrentHashLayout;
  for (const auto& [id, stored_hash] : sweeps) {
    ++v.sweeps_checked;
    if (id != expected_id) {
      AddProblem(v,
                 "sweep " + std::to_string(expected_id) + " is missing (next stored sweep is " +
                     std::to_string(id) + ")",
                 expected_id);
      return Status::Ok();
    }
    // The layout is not stored: a sweep verifies when either layout gives its hash (each binds
    // the same content; their first field differs). Sweeps come in runs of one layout, so the
    // last one that matched is tried first.
    DIVAUDIT_ASSIGN_OR_RETURN(std::string hash, ComputeSweepHash(db, dict, id, prev_hash, layout));
    if (hash != stored_hash) {
      const HashLayout other = layout == HashLayout::kV1 ? HashLayout::kV2 : HashLayout::kV1;
      DIVAUDIT_ASSIGN_OR_RETURN(hash, ComputeSweepHash(db, dict, id, prev_hash, other));
      if (hash == stored_hash) layout = other;
    }
    if (hash != stored_hash) {
      AddProblem(v,
                 "sweep " + std::to_string(id) +
                     ": content hash mismatch (the sweep row or a row it wrote was edited, "
                     "deleted or reordered)",
                 id);
      return Status::Ok();
    }
    prev_hash = stored_hash;
    ++expected_id;
  }
  v.head_hash = prev_hash;
  DIVAUDIT_ASSIGN_OR_RETURN(int64_t seq,
                            db.QueryInt("SELECT seq FROM sqlite_sequence WHERE name = 'sweeps'"));
  if (seq >= expected_id) {
    AddProblem(v,
               "sweep " + std::to_string(expected_id) + " is missing (sweep ids reached " +
                   std::to_string(seq) + ")",
               expected_id);
  }
  return Status::Ok();
}

}  // namespace divaudit::storage
