#include "audit/effective_grants.h"

#include <algorithm>
#include <unordered_map>
#include <utility>

namespace divaudit::audit {

namespace {

// Builds compressed rows (CSR) from (row, value) pairs: values of each row sorted and unique.
template <typename V>
void BuildRows(uint32_t rows, std::vector<std::pair<uint32_t, V>>& pairs,
               std::vector<uint32_t>& begin, std::vector<V>& values) {
  begin.assign(static_cast<size_t>(rows) + 1, 0);
  for (const auto& [r, v] : pairs) ++begin[r + 1];
  for (uint32_t r = 0; r < rows; ++r) begin[r + 1] += begin[r];
  values.resize(pairs.size());
  std::vector<uint32_t> cursor(begin.begin(), begin.end() - 1);
  for (const auto& [r, v] : pairs) values[cursor[r]++] = v;
  pairs.clear();
  pairs.shrink_to_fit();
  // Sort and de-duplicate each row, compacting in place.
  uint32_t out = 0;
  for (uint32_t r = 0; r < rows; ++r) {
    const auto first = values.begin() + begin[r];
    const auto last = values.begin() + begin[r + 1];
    std::sort(first, last);
    const auto end = std::unique(first, last);
    begin[r] = out;
    out = static_cast<uint32_t>(std::move(first, end, values.begin() + out) - values.begin());
  }
  begin[rows] = out;
  values.resize(out);
}

}  // namespace

EffectiveGrants::EffectiveGrants(const OrgSnapshot& snapshot) : snapshot_(snapshot) {
  const OrgSnapshot& s = snapshot;

  division_ids_.reserve(s.divisions.size() + 16);
  division_names_.reserve(s.divisions.size() + 16);
  division_by_id_.reserve(s.divisions.size() + 16);
  division_ids_.push_back(kAllDivisionsId);
  division_names_.push_back({});
  division_by_id_.emplace(kAllDivisionsId, kAllDivisionsCode);
  for (const Division& d : s.divisions) {
    if (!division_by_id_.emplace(d.id, static_cast<uint32_t>(division_ids_.size())).second) {
      continue;  // "*" or a duplicate listing entry
    }
    division_ids_.push_back(d.id);
    division_names_.push_back(d.name);
  }
  known_divisions_ = static_cast<uint32_t>(division_ids_.size() - 1);

  role_ids_.reserve(s.roles.size() + 16);
  role_names_.reserve(s.roles.size() + 16);
  role_by_id_.reserve(s.roles.size() + 16);
  for (const Role& r : s.roles) {
    if (!role_by_id_.emplace(r.id, static_cast<uint32_t>(role_ids_.size())).second) continue;
    role_ids_.push_back(r.id);
    role_names_.push_back(r.name);
  }

  subjects_.reserve(s.users.size() + s.groups.size() + s.oauth_clients.size() +
                    s.external_subjects.size() + 16);
  auto& users_by_id = subject_by_id_[static_cast<size_t>(SubjectType::kUser)];
  users_by_id.reserve(s.users.size() + 16);
  for (const User& u : s.users) {
    if (!users_by_id.emplace(u.id, static_cast<uint32_t>(subjects_.size())).second) continue;
    subjects_.push_back(
        Subject{SubjectType::kUser, u.id, u.name, &u, nullptr, true, u.state != "deleted"});
  }
  auto& groups_by_id = subject_by_id_[static_cast<size_t>(SubjectType::kGroup)];
  groups_by_id.reserve(s.groups.size());
  for (const Group& g : s.groups) {
    if (!groups_by_id.emplace(g.id, static_cast<uint32_t>(subjects_.size())).second) continue;
    subjects_.push_back(Subject{SubjectType::kGroup, g.id, g.name, nullptr, &g, true, true});
  }
  for (const OAuthClient& c : s.oauth_clients) {
    auto& by_id = subject_by_id_[static_cast<size_t>(SubjectType::kOAuthClient)];
    if (!by_id.emplace(c.id, static_cast<uint32_t>(subjects_.size())).second) continue;
    subjects_.push_back(
        Subject{SubjectType::kOAuthClient, c.id, c.name, nullptr, nullptr, true, true});
  }
  for (const ExternalSubject& e : s.external_subjects) {
    auto& by_id = subject_by_id_[static_cast<size_t>(e.type)];
    if (!by_id.emplace(e.id, static_cast<uint32_t>(subjects_.size())).second) continue;
    subjects_.push_back(Subject{e.type, e.id, e.name, nullptr, nullptr, true, true});
  }

  std::vector<std::pair<uint32_t, GrantRef>> grant_pairs;
  grant_pairs.reserve(s.grants.size());
  // Hashing each grant's three GUIDs dominated this constructor at 500,000 grants. Grants come
  // sorted by subject, so a subject is looked up once per run of its grants; the 40-odd roles
  // and few hundred divisions are looked up by the address of their interned text (audit::Id:
  // one address per distinct text), hashed as a pointer.
  std::unordered_map<const char*, uint32_t> role_code, division_code;
  const char* run_subject = nullptr;
  SubjectType run_type = SubjectType::kUnknown;
  uint32_t run_code = 0;
  bool in_run = false;
  for (const Grant& g : s.grants) {
    if (!in_run || g.subject_id.data() != run_subject || g.subject_type != run_type) {
      run_code = InternSubject(g.subject_type, g.subject_id);
      run_subject = g.subject_id.data();
      run_type = g.subject_type;
      in_run = true;
    }
    if (!subjects_[run_code].audited) continue;
    auto role = role_code.try_emplace(g.role_id.data(), 0);
    if (role.second) role.first->second = InternRole(g.role_id);
    auto division = division_code.try_emplace(g.division_id.data(), 0);
    if (division.second) division.first->second = InternDivision(g.division_id);
    grant_pairs.emplace_back(run_code, GrantRef{role.first->second, division.first->second});
  }
  for (const OAuthClient& c : s.oauth_clients) {
    const uint32_t subj = InternSubject(SubjectType::kOAuthClient, c.id);
    for (const RoleDivision& rd : c.role_divisions) {
      grant_pairs.emplace_back(subj,
                               GrantRef{InternRole(rd.role_id), InternDivision(rd.division_id)});
    }
  }

  std::vector<std::pair<uint32_t, uint32_t>> member_pairs;
  for (const Group& g : s.groups) {
    const uint32_t group = *groups_by_id.find(g.id);
    if (subjects_[group].group != &g) continue;  // a duplicate listing entry
    for (const std::string& member : g.member_ids) {
      const uint32_t user = InternSubject(SubjectType::kUser, member);
      if (!subjects_[user].audited) continue;
      member_pairs.emplace_back(user, group);
    }
  }

  const auto rows = static_cast<uint32_t>(subjects_.size());
  BuildRows(rows, grant_pairs, grant_begin_, grants_);
  BuildRows(rows, member_pairs, group_begin_, groups_);
  grant_count_ = grants_.size();
}

uint32_t EffectiveGrants::InternDivision(std::string_view id) {
  const auto [code, inserted] =
      division_by_id_.emplace(id, static_cast<uint32_t>(division_ids_.size()));
  if (inserted) {
    division_ids_.push_back(id);
    division_names_.push_back({});
  }
  return *code;
}

uint32_t EffectiveGrants::InternRole(std::string_view id) {
  const auto [code, inserted] = role_by_id_.emplace(id, static_cast<uint32_t>(role_ids_.size()));
  if (inserted) {
    role_ids_.push_back(id);
    role_names_.push_back({});
  }
  return *code;
}

uint32_t EffectiveGrants::InternSubject(SubjectType type, std::string_view id) {
  auto& by_id = subject_by_id_[static_cast<size_t>(type)];
  const auto [code, inserted] = by_id.emplace(id, static_cast<uint32_t>(subjects_.size()));
  if (inserted) {
    subjects_.push_back(Subject{type, id, {}, nullptr, nullptr, false, true});
  }
  return *code;
}

std::optional<uint32_t> EffectiveGrants::FindSubject(SubjectType type, std::string_view id) const {
  const auto& by_id = subject_by_id_[static_cast<size_t>(type)];
  const uint32_t* code = by_id.find(id);
  if (code == nullptr) return std::nullopt;
  return *code;
}

std::optional<uint32_t> EffectiveGrants::FindDivision(std::string_view id) const {
  const uint32_t* code = division_by_id_.find(id);
  if (code == nullptr) return std::nullopt;
  return *code;
}

std::span<const EffectiveGrants::GrantRef> EffectiveGrants::DirectGrants(uint32_t s) const {
  return {grants_.data() + grant_begin_[s], grants_.data() + grant_begin_[s + 1]};
}

std::span<const uint32_t> EffectiveGrants::GroupsOf(uint32_t s) const {
  return {groups_.data() + group_begin_[s], groups_.data() + group_begin_[s + 1]};
}

std::vector<EffectiveGrants::Effective> EffectiveGrants::EffectiveOf(uint32_t s) const {
  std::vector<Effective> out;
  for (const GrantRef& g : DirectGrants(s)) out.push_back({g.role, g.division, kDirect});
  for (const uint32_t group : GroupsOf(s)) {
    for (const GrantRef& g : DirectGrants(group)) out.push_back({g.role, g.division, group});
  }
  return out;
}

std::vector<EffectiveGrants::EffectiveView> EffectiveGrants::EffectiveOfUser(
    std::string_view user_id) const {
  std::vector<EffectiveView> out;
  const auto s = FindSubject(SubjectType::kUser, user_id);
  if (!s) return out;
  for (const Effective& e : EffectiveOf(*s)) {
    out.push_back({RoleId(e.role), DivisionId(e.division),
                   e.via == kDirect ? std::string_view() : subjects_[e.via].id});
  }
  return out;
}

}  // namespace divaudit::audit
