#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/sqlite_db.h"

namespace divaudit::storage {

// Since when a fact of the temporal snapshot (a grant, a group membership) has held WITHOUT A
// BREAK, computed from the valid_from/valid_to sweeps of its rows (docs/storage.md: a row is
// valid in sweeps valid_from <= id < valid_to; valid_from NULL = since before the chain anchor,
// valid_to NULL = still current). Used for the `first_seen` of an attestation's reach table.

// One temporal row's validity: sweeps [from, to). nullopt from: before the anchor (pruned);
// nullopt to: current.
struct RowInterval {
  std::optional<int64_t> from;
  std::optional<int64_t> to;
};

struct HeldSince {
  bool held = false;  // some row of the fact is valid in the as-of sweep
  // The earliest sweep s such that the fact held in every sweep s..as_of; nullopt (with held)
  // when it holds since before the oldest retained sweep.
  std::optional<int64_t> since_sweep;
};

// Pure: continuity back from `as_of` over the union of `intervals` (adjacent or overlapping
// rows join; a sweep in which no row was valid is a break).
HeldSince ContinuousSince(const std::vector<RowInterval>& intervals, int64_t as_of);
// Two facts that must both hold (a group's grant and a user's membership in that group): not
// held unless both are; otherwise since the later of the two.
HeldSince BothHeldSince(const HeldSince& a, const HeldSince& b);

// The validity intervals of every grant on a set of divisions (the `grants` table, and for OAuth
// clients also `client_roles`, which audit/effective_grants.h unites with their grants) and of
// every membership of a set of groups. Loaded with one scan per table (ids decoded through the
// `ids` dictionary); only SELECT statements. Value type; thread-compatible.
class ReachHistory {
 public:
  // `db`: an open connection to a divaudit database (schema v3 or later). Division ids may
  // include "*". Errors: SQLite errors naming the file.
  static Result<ReachHistory> Load(Db& db, const std::vector<std::string>& division_ids,
                                   const std::vector<std::string>& group_ids);

  // Grant of (subject type as stored, e.g. "user", "group", "oauth_client"; subject id; role id;
  // division id), as of sweep `as_of`. Not held when the division was not loaded.
  HeldSince GrantHeldSince(std::string_view subject_type, std::string_view subject_id,
                           std::string_view role_id, std::string_view division_id,
                           int64_t as_of) const;
  // Membership of user in group as of `as_of`. Not held when the group was not loaded.
  HeldSince MembershipHeldSince(std::string_view group_id, std::string_view user_id,
                                int64_t as_of) const;

  // Schema v5: loads the `queues` rows and `queue_members` rows of `queue_ids` (adds to what
  // Load read). Errors: SQLite errors naming the file.
  Status LoadQueues(Db& db, const std::vector<std::string>& queue_ids);
  // The queue in division `division_id` (renames do not break it; a move does), as of `as_of`.
  HeldSince QueueHeldSince(std::string_view queue_id, std::string_view division_id,
                           int64_t as_of) const;
  // The user listed as a member of the queue, `via_group` as listed (joined or not).
  HeldSince QueueMemberHeldSince(std::string_view queue_id, std::string_view user_id,
                                 bool via_group, int64_t as_of) const;

  size_t grant_rows() const { return grant_rows_; }
  size_t membership_rows() const { return membership_rows_; }

 private:
  std::map<std::string, std::vector<RowInterval>, std::less<>> grants_;
  std::map<std::string, std::vector<RowInterval>, std::less<>> memberships_;
  std::map<std::string, std::vector<RowInterval>, std::less<>> queues_;
  std::map<std::string, std::vector<RowInterval>, std::less<>> queue_members_;
  size_t grant_rows_ = 0;
  size_t membership_rows_ = 0;
};

}  // namespace divaudit::storage
