#include "storage/reach_history.h"

#include <algorithm>

namespace divaudit::storage {
namespace {

// Bound parameters per IN list (well under SQLite's variable limit).
constexpr size_t kChunk = 400;

std::string Key(std::initializer_list<std::string_view> parts) {
  std::string key;
  for (std::string_view p : parts) {
    key.append(p);
    key.push_back('\0');
  }
  return key;
}

bool Covers(const RowInterval& iv, int64_t sweep) {
  return (!iv.from || *iv.from <= sweep) && (!iv.to || *iv.to > sweep);
}

std::string Placeholders(size_t n) {
  std::string out;
  for (size_t i = 1; i <= n; ++i) out += (i > 1 ? ",?" : "?") + std::to_string(i);
  return out;
}

RowInterval IntervalOf(const Stmt& st, int from_col) {
  return RowInterval{st.OptInt(from_col), st.OptInt(from_col + 1)};
}

// Runs `sql_prefix` + "(?1,…)" + ")" once per chunk of `values`; calls `row` per result row.
template <typename RowFn>
Status ForEachChunk(Db& db, const std::string& sql_prefix, const std::vector<std::string>& values,
                    RowFn&& row) {
  for (size_t begin = 0; begin < values.size(); begin += kChunk) {
    const size_t n = std::min(kChunk, values.size() - begin);
    DIVAUDIT_ASSIGN_OR_RETURN(Stmt st, db.Prepare(sql_prefix + Placeholders(n) + "))"));
    for (size_t i = 0; i < n; ++i) st.Bind(static_cast<int>(i + 1), values[begin + i]);
    while (true) {
      DIVAUDIT_ASSIGN_OR_RETURN(bool more, st.Step());
      if (!more) break;
      row(st);
    }
  }
  return Status::Ok();
}

}  // namespace

HeldSince ContinuousSince(const std::vector<RowInterval>& intervals, int64_t as_of) {
  HeldSince out;
  int64_t s = as_of;
  out.held = std::any_of(intervals.begin(), intervals.end(),
                         [&](const RowInterval& iv) { return Covers(iv, s); });
  if (!out.held) return out;
  while (true) {
    // Back to the earliest start among the rows valid in s...
    int64_t earliest = s;
    for (const RowInterval& iv : intervals) {
      if (!Covers(iv, s)) continue;
      if (!iv.from) return out;  // since before the anchor
      earliest = std::min(earliest, *iv.from);
    }
    if (earliest < s) {
      s = earliest;
      continue;
    }
    // ...then on through a row that ended exactly where this one began.
    const bool adjacent = std::any_of(intervals.begin(), intervals.end(),
                                      [&](const RowInterval& iv) { return Covers(iv, s - 1); });
    if (!adjacent) break;
    --s;
  }
  out.since_sweep = s;
  return out;
}

HeldSince BothHeldSince(const HeldSince& a, const HeldSince& b) {
  if (!a.held || !b.held) return HeldSince{};
  HeldSince out{true, std::nullopt};
  if (a.since_sweep && b.since_sweep) {
    out.since_sweep = std::max(*a.since_sweep, *b.since_sweep);
  } else {
    out.since_sweep = a.since_sweep ? a.since_sweep : b.since_sweep;
  }
  return out;
}

Result<ReachHistory> ReachHistory::Load(Db& db, const std::vector<std::string>& division_ids,
                                        const std::vector<std::string>& group_ids) {
  ReachHistory h;
  // CROSS JOIN keeps the temporal table the outer loop: one scan, dictionary lookups by key.
  DIVAUDIT_RETURN_IF_ERROR(ForEachChunk(
      db,
      "SELECT t.value, s.value, r.value, d.value, g.valid_from_sweep, g.valid_to_sweep "
      "FROM grants AS g CROSS JOIN ids AS t CROSS JOIN ids AS s CROSS JOIN ids AS r "
      "CROSS JOIN ids AS d WHERE t.id = g.subject_type AND s.id = g.subject_id "
      "AND r.id = g.role_id AND d.id = g.division_id "
      "AND g.division_id IN (SELECT id FROM ids WHERE value IN (",
      division_ids, [&h](const Stmt& st) {
        h.grants_[Key({st.Text(0), st.Text(1), st.Text(2), st.Text(3)})].push_back(
            IntervalOf(st, 4));
        ++h.grant_rows_;
      }));
  DIVAUDIT_RETURN_IF_ERROR(ForEachChunk(
      db,
      "SELECT c.value, r.value, d.value, x.valid_from_sweep, x.valid_to_sweep "
      "FROM client_roles AS x CROSS JOIN ids AS c CROSS JOIN ids AS r CROSS JOIN ids AS d "
      "WHERE c.id = x.client_id AND r.id = x.role_id AND d.id = x.division_id "
      "AND x.division_id IN (SELECT id FROM ids WHERE value IN (",
      division_ids, [&h](const Stmt& st) {
        h.grants_[Key({"oauth_client", st.Text(0), st.Text(1), st.Text(2)})].push_back(
            IntervalOf(st, 3));
        ++h.grant_rows_;
      }));
  DIVAUDIT_RETURN_IF_ERROR(
      ForEachChunk(db,
                   "SELECT g.value, u.value, m.valid_from_sweep, m.valid_to_sweep "
                   "FROM memberships AS m CROSS JOIN ids AS g CROSS JOIN ids AS u "
                   "WHERE g.id = m.group_id AND u.id = m.user_id "
                   "AND m.group_id IN (SELECT id FROM ids WHERE value IN (",
                   group_ids, [&h](const Stmt& st) {
                     h.memberships_[Key({st.Text(0), st.Text(1)})].push_back(IntervalOf(st, 2));
                     ++h.membership_rows_;
                   }));
  return h;
}

HeldSince ReachHistory::GrantHeldSince(std::string_view subject_type, std::string_view subject_id,
                                       std::string_view role_id, std::string_view division_id,
                                       int64_t as_of) const {
  const auto it = grants_.find(Key({subject_type, subject_id, role_id, division_id}));
  if (it == grants_.end()) return HeldSince{};
  return ContinuousSince(it->second, as_of);
}

HeldSince ReachHistory::MembershipHeldSince(std::string_view group_id, std::string_view user_id,
                                            int64_t as_of) const {
  const auto it = memberships_.find(Key({group_id, user_id}));
  if (it == memberships_.end()) return HeldSince{};
  return ContinuousSince(it->second, as_of);
}

Status ReachHistory::LoadQueues(Db& db, const std::vector<std::string>& queue_ids) {
  for (size_t begin = 0; begin < queue_ids.size(); begin += kChunk) {
    const size_t n = std::min(kChunk, queue_ids.size() - begin);
    DIVAUDIT_ASSIGN_OR_RETURN(
        Stmt st, db.Prepare("SELECT id, division_id, valid_from_sweep, valid_to_sweep FROM queues "
                            "WHERE id IN (" +
                            Placeholders(n) + ")"));
    for (size_t i = 0; i < n; ++i) st.Bind(static_cast<int>(i + 1), queue_ids[begin + i]);
    while (true) {
      DIVAUDIT_ASSIGN_OR_RETURN(bool more, st.Step());
      if (!more) break;
      queues_[Key({st.Text(0), st.Text(1)})].push_back(IntervalOf(st, 2));
    }
  }
  return ForEachChunk(
      db,
      "SELECT q.value, u.value, m.via_group, m.valid_from_sweep, m.valid_to_sweep "
      "FROM queue_members AS m CROSS JOIN ids AS q CROSS JOIN ids AS u "
      "WHERE q.id = m.queue_id AND u.id = m.user_id "
      "AND m.queue_id IN (SELECT id FROM ids WHERE value IN (",
      queue_ids, [this](const Stmt& st) {
        queue_members_[Key({st.Text(0), st.Text(1), st.Int(2) == 1 ? "1" : "0"})].push_back(
            IntervalOf(st, 3));
      });
}

HeldSince ReachHistory::QueueHeldSince(std::string_view queue_id, std::string_view division_id,
                                       int64_t as_of) const {
  const auto it = queues_.find(Key({queue_id, division_id}));
  if (it == queues_.end()) return HeldSince{};
  return ContinuousSince(it->second, as_of);
}

HeldSince ReachHistory::QueueMemberHeldSince(std::string_view queue_id, std::string_view user_id,
                                             bool via_group, int64_t as_of) const {
  const auto it = queue_members_.find(Key({queue_id, user_id, via_group ? "1" : "0"}));
  if (it == queue_members_.end()) return HeldSince{};
  return ContinuousSince(it->second, as_of);
}

}  // namespace divaudit::storage
