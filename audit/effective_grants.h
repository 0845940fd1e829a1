#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "audit/org_snapshot.h"
#include "common/flat_string_map.h"

namespace divaudit::audit {

// An index over one OrgSnapshot: every subject that holds a grant or is listed, its direct
// grants, and which groups each user belongs to — from which a user's EFFECTIVE grants follow
// (docs/rules.md: direct grants plus the grants of every group the user belongs to, each with
// its via).
//
// Decisions (see audit/README.md):
//  - a group's grants apply to its members even when the group has rolesEnabled=false: the API
//    still lists the grant, and divaudit reports what the platform lists;
//  - users whose state is "deleted" are not audited (audited() is false; no effective grants);
//  - a subject named by a grant or a group membership but absent from its listing (a user id no
//    user listing contains, …) is kept as an unlisted subject of that type, audited, with no name
//    and no home division: never silently dropped;
//  - OAuth clients' grants are the union of their `grants` rows and their `roleDivisions`
//    (duplicates removed): whichever the sweep filled, nothing is lost or counted twice;
//  - duplicate grants and duplicate memberships are removed.
//
// Ids are interned to dense codes. Division codes: 0 is "*" (All Divisions), 1..N the divisions
// of the listing in snapshot order, then ids the listing does not contain (unknown divisions).
// Role codes: the roles of the listing, then unknown role ids.
//
// Build cost O(grants + memberships) (plus a sort of each subject's own grants). Holds
// string_views into the snapshot, which must outlive the index. Immutable after construction;
// thread-safe for concurrent readers.
class EffectiveGrants {
 public:
  static constexpr uint32_t kAllDivisionsCode = 0;
  // `via` of a direct grant.
  static constexpr uint32_t kDirect = UINT32_MAX;

  struct GrantRef {
    uint32_t role = 0;
    uint32_t division = 0;
    friend auto operator<=>(const GrantRef&, const GrantRef&) = default;
  };

  struct Subject {
    SubjectType type = SubjectType::kUnknown;
    std::string_view id;
    std::string_view name;
    const User* user = nullptr;    // listed users
    const Group* group = nullptr;  // listed groups
    bool listed = true;            // false: only a grant or a membership names it
    bool audited = true;           // false: a deleted user
  };

  // One effective grant: role on division, direct (via == kDirect) or through the group subject
  // `via`.
  struct Effective {
    uint32_t role = 0;
    uint32_t division = 0;
    uint32_t via = kDirect;
    friend bool operator==(const Effective&, const Effective&) = default;
  };

  // The same, as ids (views into the snapshot); via_group_id empty for direct grants.
  struct EffectiveView {
    std::string_view role_id;
    std::string_view division_id;
    std::string_view via_group_id;
    friend bool operator==(const EffectiveView&, const EffectiveView&) = default;
  };

  explicit EffectiveGrants(const OrgSnapshot& snapshot);
  EffectiveGrants(const EffectiveGrants&) = delete;
  EffectiveGrants& operator=(const EffectiveGrants&) = delete;

  const OrgSnapshot& snapshot() const { return snapshot_; }

  uint32_t subject_count() const { return static_cast<uint32_t>(subjects_.size()); }
  const Subject& subject(uint32_t s) const { return subjects_[s]; }
  std::optional<uint32_t> FindSubject(SubjectType type, std::string_view id) const;

  // The subject's own grants, sorted by (role, division), unique. Empty for deleted users.
  std::span<const GrantRef> DirectGrants(uint32_t s) const;
  // Group subjects a user subject belongs to, sorted, unique. Empty for non-users and deleted
  // users.
  std::span<const uint32_t> GroupsOf(uint32_t s) const;
  // Direct grants first, then each group's grants (groups in GroupsOf order). Empty for deleted
  // users; a group subject's own grants are its direct grants.
  std::vector<Effective> EffectiveOf(uint32_t s) const;
  // Effective grants of a user by id; empty when the user is unknown or deleted.
  std::vector<EffectiveView> EffectiveOfUser(std::string_view user_id) const;

  uint32_t division_code_count() const { return static_cast<uint32_t>(division_ids_.size()); }
  // True for codes 1..N (divisions of the listing).
  bool IsKnownDivision(uint32_t code) const { return code >= 1 && code <= known_divisions_; }
  std::string_view DivisionId(uint32_t code) const { return division_ids_[code]; }
  // Empty for "*" and unknown divisions.
  std::string_view DivisionName(uint32_t code) const { return division_names_[code]; }
  std::optional<uint32_t> FindDivision(std::string_view id) const;

  uint32_t role_code_count() const { return static_cast<uint32_t>(role_ids_.size()); }
  std::string_view RoleId(uint32_t code) const { return role_ids_[code]; }
  std::string_view RoleName(uint32_t code) const { return role_names_[code]; }

  // Number of grant rows indexed after de-duplication (direct grants of every audited subject).
  size_t grant_count() const { return grant_count_; }

 private:
  uint32_t InternDivision(std::string_view id);
  uint32_t InternRole(std::string_view id);
  uint32_t InternSubject(SubjectType type, std::string_view id);

  const OrgSnapshot& snapshot_;
  std::vector<Subject> subjects_;
  std::array<FlatStringMap<uint32_t>, 7> subject_by_id_;  // by SubjectType
  std::vector<std::string_view> division_ids_;
  std::vector<std::string_view> division_names_;
  FlatStringMap<uint32_t> division_by_id_;
  uint32_t known_divisions_ = 0;
  std::vector<std::string_view> role_ids_;
  std::vector<std::string_view> role_names_;
  FlatStringMap<uint32_t> role_by_id_;
  // CSR: grants_[grant_begin_[s] .. grant_begin_[s+1]) are subject s's direct grants.
  std::vector<uint32_t> grant_begin_;
  std::vector<GrantRef> grants_;
  std::vector<uint32_t> group_begin_;
  std::vector<uint32_t> groups_;
  size_t grant_count_ = 0;
};

}  // namespace divaudit::audit
