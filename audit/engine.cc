#include "audit/engine.h"

#include <algorithm>
#include <numeric>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "audit/effective_grants.h"
#include "audit/permissions.h"

namespace divaudit::audit {

namespace {

using Kind = TenantMap::Kind;
constexpr uint32_t kDirect = EffectiveGrants::kDirect;

// Per-division-code facts, computed once.
struct DivisionFacts {
  Kind kind = Kind::kUnknown;
  int32_t tenant = -1;
};

// Why a user's home tenant is unknown (the user is then not judged by the tenancy rules).
enum class Unknown { kNone, kUsers, kDivisions };

// How many judgements a partial sweep withheld (see NotJudgedLines).
struct Withheld {
  int64_t users_unlisted = 0;       // users missing from an incomplete users listing
  int64_t users_home_unlisted = 0;  // users homed in a division missing from an incomplete one
  int64_t orphan_candidates = 0;    // grants on division ids an incomplete listing lacks
  int64_t org_wide_candidates = 0;  // of those, grants of roles with org-wide permissions
  int64_t queue_members_unknown_home = 0;  // cross_tenant_queue: member rows of unknown home
  int64_t queues_division_unlisted = 0;    // queues in a division an incomplete listing lacks
};

// The org-wide part of one path (a subject's own grants, or a group's grants reached through
// the group): a role with selected org-wide permissions held on listed divisions and never on
// "*" through that path.
struct OrgWideEntry {
  uint32_t role = 0;
  std::vector<uint32_t> divisions;  // listed division codes
};

class Engine {
 public:
  // `org_wide` null: org_wide_permission is not judged (its inputs were incomplete).
  Engine(const OrgSnapshot& snapshot, const TenantMap& tenants,
         const ListingCompleteness& completeness, const OrgWidePermissions* org_wide)
      : idx_(snapshot), tenants_(tenants), completeness_(completeness), org_wide_(org_wide) {}

  const Withheld& withheld() const { return withheld_; }

  AuditResult Run() {
    AuditResult result;
    PrepareDivisions();
    PrepareRoles();
    const uint32_t n = idx_.subject_count();
    tenant_stamp_.assign(tenants_.tenant_names().size(), UINT32_MAX);
    for (uint32_t s = 0; s < n; ++s) {
      const EffectiveGrants::Subject& subj = idx_.subject(s);
      if (!subj.audited) {
        ++result.stats.deleted_users_skipped;
        continue;
      }
      AuditSubject(s, result.stats);
    }
    EmitCrossTenantQueues(result.stats);
    EmitUnmappedDivisions();
    result.findings = std::move(findings_);
    return result;
  }

 private:
  void PrepareDivisions() {
    const uint32_t codes = idx_.division_code_count();
    facts_.assign(codes, DivisionFacts{});
    targeted_.assign(codes, false);
    for (uint32_t d = 1; d < codes; ++d) {
      if (!idx_.IsKnownDivision(d)) continue;  // unknown ids stay kUnknown
      const std::string_view id = idx_.DivisionId(d);
      Kind kind = tenants_.KindOf(id);
      if (kind == Kind::kUnknown) kind = Kind::kUnmapped;  // map built from another listing
      facts_[d] = DivisionFacts{kind, kind == Kind::kMapped ? tenants_.TenantIndexOf(id) : -1};
    }
  }

  // role_perms_[code]: the role's selected org-wide permissions (null: none or not judged).
  void PrepareRoles() {
    role_perms_.assign(idx_.role_code_count(), nullptr);
    path_cache_.assign(idx_.subject_count(), -1);
    if (org_wide_ == nullptr) return;
    for (uint32_t r = 0; r < idx_.role_code_count(); ++r) {
      const auto& perms = org_wide_->Of(idx_.RoleId(r));
      if (!perms.empty()) role_perms_[r] = &perms;
    }
  }

  // The org-wide entries of subject `source`'s own grants (computed once per subject, so a
  // group's path costs its members nothing more than a lookup).
  const std::vector<OrgWideEntry>& OrgWidePath(uint32_t source) {
    int32_t& slot = path_cache_[source];
    if (slot >= 0) return path_entries_[static_cast<size_t>(slot)];
    std::vector<OrgWideEntry> entries;
    const auto grants = idx_.DirectGrants(source);  // sorted by (role, division)
    for (size_t i = 0; i < grants.size();) {
      const uint32_t role = grants[i].role;
      size_t end = i;
      while (end < grants.size() && grants[end].role == role) ++end;
      if (role_perms_[role] != nullptr) {
        OrgWideEntry entry{role, {}};
        bool on_all = false;
        for (size_t k = i; k < end; ++k) {
          const uint32_t d = grants[k].division;
          if (d == EffectiveGrants::kAllDivisionsCode) on_all = true;
          if (idx_.IsKnownDivision(d)) entry.divisions.push_back(d);
        }
        // On "*": all_divisions only. Only unknown divisions: orphaned_grant only.
        if (!on_all && !entry.divisions.empty()) entries.push_back(std::move(entry));
      }
      i = end;
    }
    slot = static_cast<int32_t>(path_entries_.size());
    path_entries_.push_back(std::move(entries));
    return path_entries_.back();
  }

  void EmitOrgWide(const std::vector<OrgWideEntry>& entries, uint32_t via) {
    for (const OrgWideEntry& e : entries) {
      Finding& f = findings_.emplace_back();
      f.rule = Rule::kOrgWidePermission;
      f.severity = RuleSeverity(f.rule);
      FillSubject(f);
      f.role = NamedRef{std::string(idx_.RoleId(e.role)), std::string(idx_.RoleName(e.role))};
      if (via == kDirect) {
        f.via = Via{};
      } else {
        const EffectiveGrants::Subject& g = idx_.subject(via);
        f.via = Via{false, std::string(g.id), std::string(g.name)};
      }
      f.permissions = *role_perms_[e.role];
      f.divisions.reserve(e.divisions.size());
      for (const uint32_t d : e.divisions) f.divisions.emplace_back(idx_.DivisionId(d));
      std::sort(f.divisions.begin(), f.divisions.end());
      f.fingerprint = FingerprintOf(f);
    }
  }

  void AuditSubject(uint32_t s, AuditStats& stats) {
    const EffectiveGrants::Subject& subj = idx_.subject(s);
    const bool is_user = subj.type == SubjectType::kUser;
    cur_ = s;
    cur_home_division_ = 0;
    cur_home_tenant_ = -1;
    cur_unknown_ = Unknown::kNone;
    cur_withheld_ = false;
    if (is_user && subj.user == nullptr && !completeness_.users()) {
      // Named by a grant or a membership but missing from an incomplete users listing: the user
      // may well be listed, with a home tenant. Unknown, not "without a home tenant".
      cur_unknown_ = Unknown::kUsers;
    }
    if (is_user && subj.user != nullptr && !subj.user->home_division_id.empty()) {
      bool home_listed = false;
      if (auto code = idx_.FindDivision(subj.user->home_division_id)) {
        cur_home_division_ = *code;
        if (idx_.IsKnownDivision(*code)) {
          home_listed = true;
          cur_home_tenant_ = facts_[*code].tenant;
          if (facts_[*code].kind == Kind::kUnmapped) targeted_[*code] = true;
        }
      }
      // A home division an incomplete listing lacks may be mapped: the home tenant is unknown.
      if (!home_listed && !completeness_.divisions) cur_unknown_ = Unknown::kDivisions;
    }
    cur_is_user_with_home_tenant_ = is_user && cur_home_tenant_ >= 0;
    cur_tenant_count_ = 0;

    const auto direct = idx_.DirectGrants(s);
    const auto groups = idx_.GroupsOf(s);
    if (direct.empty() && groups.empty() && !is_user) return;
    ++stats.subjects_audited;
    for (const auto& g : direct) Evaluate(g.role, g.division, kDirect);
    stats.effective_grants += static_cast<int64_t>(direct.size());
    for (const uint32_t group : groups) {
      const auto group_grants = idx_.DirectGrants(group);
      for (const auto& g : group_grants) Evaluate(g.role, g.division, group);
      stats.effective_grants += static_cast<int64_t>(group_grants.size());
    }
    if (org_wide_ != nullptr) {
      EmitOrgWide(OrgWidePath(s), kDirect);
      for (const uint32_t group : groups) EmitOrgWide(OrgWidePath(group), group);
    }
    if (cur_withheld_) {
      ++(cur_unknown_ == Unknown::kUsers ? withheld_.users_unlisted
                                         : withheld_.users_home_unlisted);
    }
    if (cur_unknown_ == Unknown::kNone && !cur_is_user_with_home_tenant_ &&
        cur_tenant_count_ >= 2) {
      EmitMultiTenant();
    }
  }

  void Evaluate(uint32_t role, uint32_t division, uint32_t via) {
    if (division == EffectiveGrants::kAllDivisionsCode) {
      Emit(Rule::kAllDivisions, role, division, via);
      return;
    }
    const DivisionFacts& f = facts_[division];
    if (f.kind == Kind::kUnknown) {
      // Reported once, on the subject that holds it; only an id absent from a complete
      // listing is unknown (an incomplete listing may simply not have reached it).
      if (via != kDirect) return;
      if (completeness_.divisions) {
        Emit(Rule::kOrphanedGrant, role, division, via);
      } else {
        ++withheld_.orphan_candidates;
        if (role_perms_[role] != nullptr) ++withheld_.org_wide_candidates;
      }
      return;
    }
    targeted_[division] = true;
    if (f.tenant < 0) return;  // shared or unmapped: never cross_tenant / multi_tenant_subject
    if (cur_unknown_ != Unknown::kNone) {
      cur_withheld_ = true;  // a grant on a tenant, held by a user whose home is unknown
      return;
    }
    if (cur_is_user_with_home_tenant_) {
      if (f.tenant != cur_home_tenant_) Emit(Rule::kCrossTenant, role, division, via);
      return;
    }
    auto& stamp = tenant_stamp_[static_cast<size_t>(f.tenant)];
    if (stamp != cur_) {
      stamp = cur_;
      ++cur_tenant_count_;
    }
  }

  // Fills subject, home division and home tenant of the current subject.
  void FillSubject(Finding& f) const {
    const EffectiveGrants::Subject& subj = idx_.subject(cur_);
    f.subject = SubjectRef{subj.type, std::string(subj.id), std::string(subj.name)};
    if (subj.user != nullptr && !subj.user->home_division_id.empty()) {
      // A home division the listing lacks keeps its id, with an empty name.
      f.home_division =
          NamedRef{subj.user->home_division_id, std::string(idx_.DivisionName(cur_home_division_))};
    }
    if (cur_home_tenant_ >= 0) {
      f.home_tenant = tenants_.tenant_names()[static_cast<size_t>(cur_home_tenant_)];
    }
  }

  void Emit(Rule rule, uint32_t role, uint32_t division, uint32_t via) {
    Finding& f = findings_.emplace_back();
    f.rule = rule;
    f.severity = RuleSeverity(rule);
    FillSubject(f);
    f.role = NamedRef{std::string(idx_.RoleId(role)), std::string(idx_.RoleName(role))};
    f.division =
        NamedRef{std::string(idx_.DivisionId(division)), std::string(idx_.DivisionName(division))};
    if (rule == Rule::kCrossTenant) {
      f.tenant = tenants_.tenant_names()[static_cast<size_t>(facts_[division].tenant)];
    }
    if (via == kDirect) {
      f.via = Via{};
    } else {
      const EffectiveGrants::Subject& g = idx_.subject(via);
      f.via = Via{false, std::string(g.id), std::string(g.name)};
    }
    f.fingerprint = FingerprintOf(f);
  }

  void EmitMultiTenant() {
    Finding& f = findings_.emplace_back();
    f.rule = Rule::kMultiTenantSubject;
    f.severity = RuleSeverity(f.rule);
    FillSubject(f);
    // tenant_names() is sorted, so walking it in order yields `tenants` sorted.
    const auto& names = tenants_.tenant_names();
    f.tenants.reserve(cur_tenant_count_);
    for (size_t t = 0; t < names.size(); ++t) {
      if (tenant_stamp_[t] == cur_) f.tenants.push_back(names[t]);
    }
    f.fingerprint = FingerprintOf(f);
  }

  // cross_tenant_queue (docs/rules.md): one finding per member row of a queue in a division
  // mapped to a tenant other than the member's home tenant. Every listed queue's division is
  // "used" (feeds unmapped_division); shared-division queues yield nothing; a queue whose division
  // the listing lacks yields nothing (counted). Queues never feed multi_tenant_subject.
  void EmitCrossTenantQueues(AuditStats& stats) {
    const OrgSnapshot& snap = idx_.snapshot();
    auto member = snap.queue_members.begin();
    for (const Queue& q : snap.queues) {
      while (member != snap.queue_members.end() && member->queue_id < q.id) ++member;
      auto first = member;
      while (member != snap.queue_members.end() && member->queue_id == q.id) ++member;
      const auto code = idx_.FindDivision(q.division_id);
      if (!code || !idx_.IsKnownDivision(*code)) {
        if (completeness_.divisions) {
          ++stats.queues_division_unlisted;
        } else {
          ++withheld_.queues_division_unlisted;
        }
        continue;
      }
      const DivisionFacts& f = facts_[*code];
      if (f.kind == Kind::kUnmapped) targeted_[*code] = true;
      if (f.tenant < 0) continue;  // shared or unmapped
      for (auto m = first; m != member; ++m) {
        // Rows differing only in `joined` are one listing row's identity: judge it once.
        if (m != first && m->user_id == (m - 1)->user_id && m->via_group == (m - 1)->via_group) {
          continue;
        }
        JudgeQueueMember(q, *code, *m);
      }
    }
  }

  void JudgeQueueMember(const Queue& q, uint32_t division, const QueueMember& m) {
    const auto s = idx_.FindSubject(SubjectType::kUser, m.user_id);
    const EffectiveGrants::Subject* subj = s ? &idx_.subject(*s) : nullptr;
    if (subj == nullptr || subj->user == nullptr) {
      // Not a listed user: unknown when the users listing was incomplete, else not audited.
      if (!completeness_.users()) ++withheld_.queue_members_unknown_home;
      return;
    }
    if (!subj->audited) return;  // deleted
    const std::string& home = subj->user->home_division_id;
    if (home.empty()) return;  // no home tenant
    const auto home_code = idx_.FindDivision(home);
    if (!home_code || !idx_.IsKnownDivision(*home_code)) {
      if (!completeness_.divisions) ++withheld_.queue_members_unknown_home;
      return;
    }
    const int32_t home_tenant = facts_[*home_code].tenant;
    const int32_t queue_tenant = facts_[division].tenant;
    if (home_tenant < 0 || home_tenant == queue_tenant) return;
    Finding& f = findings_.emplace_back();
    f.rule = Rule::kCrossTenantQueue;
    f.severity = RuleSeverity(f.rule);
    f.subject = SubjectRef{SubjectType::kUser, std::string(subj->id), std::string(subj->name)};
    f.home_division = NamedRef{home, std::string(idx_.DivisionName(*home_code))};
    f.home_tenant = tenants_.tenant_names()[static_cast<size_t>(home_tenant)];
    f.tenant = tenants_.tenant_names()[static_cast<size_t>(queue_tenant)];
    f.via = Via{!m.via_group, "", ""};  // memberBy: no group id
    QueueRef& ref = f.queue.emplace();
    ref.id = q.id;
    ref.name = q.name;
    ref.division = NamedRef{q.division_id, std::string(idx_.DivisionName(division))};
    ref.tenant = f.tenant;
    if (m.via_group) ref.member_groups = q.member_groups;
    f.fingerprint = FingerprintOf(f);
  }

  void EmitUnmappedDivisions() {
    if (!tenants_.tenants_configured()) return;
    for (uint32_t d = 1; d < facts_.size(); ++d) {
      if (facts_[d].kind != Kind::kUnmapped || !targeted_[d]) continue;
      Finding& f = findings_.emplace_back();
      f.rule = Rule::kUnmappedDivision;
      f.severity = RuleSeverity(f.rule);
      f.division = NamedRef{std::string(idx_.DivisionId(d)), std::string(idx_.DivisionName(d))};
      f.fingerprint = FingerprintOf(f);
    }
  }

  EffectiveGrants idx_;
  const TenantMap& tenants_;
  const ListingCompleteness& completeness_;
  const OrgWidePermissions* org_wide_;
  std::vector<const std::vector<std::string>*> role_perms_;
  // path_cache_[subject]: index into path_entries_, -1 until computed.
  std::vector<int32_t> path_cache_;
  std::vector<std::vector<OrgWideEntry>> path_entries_;
  Withheld withheld_;
  std::vector<DivisionFacts> facts_;
  // unmapped_division candidates: targeted by an audited grant or home of an audited user.
  std::vector<bool> targeted_;
  // tenant_stamp_[t] == cur_ when the current subject reaches tenant t.
  std::vector<uint32_t> tenant_stamp_;
  std::vector<Finding> findings_;

  uint32_t cur_ = 0;
  uint32_t cur_home_division_ = 0;  // 0: none
  int32_t cur_home_tenant_ = -1;
  bool cur_is_user_with_home_tenant_ = false;
  Unknown cur_unknown_ = Unknown::kNone;
  bool cur_withheld_ = false;  // the current subject holds a grant on a tenant left unjudged
  size_t cur_tenant_count_ = 0;
};

std::string CountOf(int64_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

// One line per (rule, incomplete listing the rule reads), in rule order. Which rule reads what
// (audit/README.md, "Partial sweeps"): every rule reads grants (roles → subject grants, the
// coverage of divisions); the rules over users' effective grants read group members;
// OAuth clients' roleDivisions are grants of clients (not cross_tenant: clients have no home);
// users give homes (cross_tenant, multi_tenant_subject: absence-based, counted; unmapped_division:
// homes in unmapped divisions); divisions give tenants and known ids. The groups listing gives
// names only: no rule judges from it.
std::vector<std::string> NotJudgedLines(const ListingCompleteness& c, const Withheld& w) {
  std::vector<std::string> lines;
  const auto add = [&](Rule rule, std::string_view listing, const std::string& count = "") {
    std::string line =
        "rule " + std::string(RuleName(rule)) + ": not judged (" + std::string(listing) + ")";
    if (!count.empty()) line += " for " + count;
    lines.push_back(std::move(line));
  };
  const auto grant_inputs = [&](Rule rule, bool members, bool clients) {
    if (!c.roles) add(rule, "roles");
    if (!c.subject_grants()) {
      add(rule, "subject grants of " +
                    CountOf(static_cast<int64_t>(c.roles_without_grants.size()), "role", "roles"));
    }
    if (members && !c.group_members()) {
      add(rule, "members of " + CountOf(static_cast<int64_t>(c.groups_without_members.size()),
                                        "group", "groups"));
    }
    if (clients && !c.oauth_clients) add(rule, "oauth clients");
    if (!c.coverage) add(rule, "coverage");
  };
  const auto home_inputs = [&](Rule rule) {
    if (!c.users() && w.users_unlisted > 0) {
      add(rule, "users", CountOf(w.users_unlisted, "subject", "subjects"));
    }
    // Divisions an incomplete listing lacks matter only when a home or a grant names one.
    if (w.users_home_unlisted > 0) {
      add(rule, "divisions", CountOf(w.users_home_unlisted, "subject", "subjects"));
    } else if (w.orphan_candidates > 0) {
      add(rule, "divisions");
    }
  };
  const bool divisions_missed = w.users_home_unlisted > 0 || w.orphan_candidates > 0;
  grant_inputs(Rule::kAllDivisions, true, true);
  home_inputs(Rule::kCrossTenant);
  grant_inputs(Rule::kCrossTenant, true, false);
  home_inputs(Rule::kMultiTenantSubject);
  grant_inputs(Rule::kMultiTenantSubject, true, true);
  if (divisions_missed) add(Rule::kUnmappedDivision, "divisions");
  if (!c.users()) add(Rule::kUnmappedDivision, "users");
  grant_inputs(Rule::kUnmappedDivision, false, true);
  if (w.orphan_candidates > 0) {
    add(Rule::kOrphanedGrant, "divisions", CountOf(w.orphan_candidates, "grant", "grants"));
  }
  grant_inputs(Rule::kOrphanedGrant, false, true);
  if (!c.role_settings) add(Rule::kGrantGuardrailOff, "role settings");
  if (!c.permissions) add(Rule::kOrgWidePermission, "permissions");
  if (!c.role_settings) add(Rule::kOrgWidePermission, "role settings");
  if (c.permissions && c.role_settings) {
    // Judged from what the grant listings returned; an unlisted division may hide a path.
    if (w.org_wide_candidates > 0) add(Rule::kOrgWidePermission, "divisions");
    grant_inputs(Rule::kOrgWidePermission, true, true);
  }
  // cross_tenant_queue reads queues and their members, users (homes) and divisions (tenants).
  if (!c.queues) add(Rule::kCrossTenantQueue, "queues");
  if (!c.queue_members()) {
    add(Rule::kCrossTenantQueue,
        "members of " +
            CountOf(static_cast<int64_t>(c.queues_without_members.size()), "queue", "queues"));
  }
  if (w.queue_members_unknown_home > 0) {
    add(Rule::kCrossTenantQueue, c.users() ? "divisions" : "users",
        CountOf(w.queue_members_unknown_home, "member", "members"));
  }
  if (w.queues_division_unlisted > 0) {
    add(Rule::kCrossTenantQueue, "divisions",
        CountOf(w.queues_division_unlisted, "queue", "queues"));
  }
  return lines;
}

// The key of FindingLess, as views.
auto SortKeyView(const Finding& f) {
  static const std::string kEmpty;
  return std::make_tuple(RuleName(f.rule), std::string_view(f.subject ? f.subject->id : kEmpty),
                         std::string_view(f.role ? f.role->id : kEmpty),
                         std::string_view(f.division ? f.division->id : kEmpty),
                         std::string_view(f.via && !f.via->direct ? f.via->group_id : kEmpty),
                         std::string_view(f.queue ? f.queue->id : kEmpty),
                         std::string_view(f.fingerprint));
}

std::string ExceptionKey(Rule rule, std::string_view subject_key) {
  std::string key(RuleName(rule));
  key.push_back('\0');
  key.append(subject_key);
  return key;
}

}  // namespace

void SortFindings(std::vector<Finding>& findings) {
  using Key = decltype(SortKeyView(findings.front()));
  std::vector<std::pair<Key, uint32_t>> keyed;  // each key built once, not per comparison
  keyed.reserve(findings.size());
  for (uint32_t i = 0; i < findings.size(); ++i) keyed.emplace_back(SortKeyView(findings[i]), i);
  std::sort(keyed.begin(), keyed.end());
  std::vector<uint32_t> order;
  order.reserve(keyed.size());
  for (const auto& k : keyed) order.push_back(k.second);
  std::vector<std::pair<Key, uint32_t>>().swap(keyed);
  std::vector<Finding> sorted;
  sorted.reserve(findings.size());
  for (const uint32_t i : order) sorted.push_back(std::move(findings[i]));
  findings = std::move(sorted);
}

std::vector<ExceptionStatus> ApplyExceptions(std::vector<Finding>& findings,
                                             const std::vector<ExceptionSpec>& specs,
                                             SystemTime now) {
  std::vector<ExceptionStatus> statuses;
  statuses.reserve(specs.size());
  std::unordered_map<std::string, std::vector<size_t>> by_key;
  for (size_t i = 0; i < specs.size(); ++i) {
    statuses.push_back(ExceptionStatus{specs[i], now <= specs[i].expires_at, 0, 0});
    by_key[ExceptionKey(specs[i].rule, specs[i].subject_id)].push_back(i);
  }
  std::string key;
  for (Finding& f : findings) {
    if (f.state == FindingState::kResolved) continue;
    f.state = FindingState::kOpen;
    f.exception.reset();
    if (by_key.empty()) continue;
    const std::string_view subject_key =
        f.subject ? std::string_view(f.subject->id)
                  : (f.division ? std::string_view(f.division->id) : std::string_view());
    key.assign(RuleName(f.rule));
    key.push_back('\0');
    key.append(subject_key);
    const auto it = by_key.find(key);
    if (it == by_key.end()) continue;
    for (const size_t i : it->second) {
      const ExceptionSpec& spec = specs[i];
      if (spec.role_id && (!f.role || f.role->id != *spec.role_id)) continue;
      if (spec.division_id && (!f.division || f.division->id != *spec.division_id)) continue;
      if (spec.queue_id && (!f.queue || f.queue->id != *spec.queue_id)) continue;
      ExceptionStatus& st = statuses[i];
      ++st.matched;
      if (st.active && f.state != FindingState::kSuppressed) {
        f.state = FindingState::kSuppressed;
        f.exception = ExceptionRef{spec.reason, spec.owner, spec.expires};
        ++st.suppressed;
      }
    }
  }
  return statuses;
}

AuditResult RunAudit(const OrgSnapshot& snapshot, const TenantMap& tenants, const Policy& policy,
                     SystemTime now, const ListingCompleteness& completeness, const OrgRef& org) {
  std::optional<OrgWidePermissions> org_wide;
  if (completeness.permissions && completeness.role_settings) {
    org_wide.emplace(snapshot, policy.org_wide_permissions);
  }
  Engine engine(snapshot, tenants, completeness, org_wide ? &*org_wide : nullptr);
  AuditResult result = engine.Run();
  if (completeness.role_settings && snapshot.role_settings &&
      !snapshot.role_settings->authorization_grant_division_aware) {
    Finding& f = result.findings.emplace_back();
    f.rule = Rule::kGrantGuardrailOff;
    f.severity = RuleSeverity(f.rule);
    f.subject = SubjectRef{SubjectType::kOrg, org.id, org.name};
    f.fingerprint = FingerprintOf(f);
  }
  result.not_judged = NotJudgedLines(completeness, engine.withheld());
  result.exceptions = ApplyExceptions(result.findings, policy.exceptions, now);
  SortFindings(result.findings);
  return result;
}

AuditResult RunAudit(const OrgSnapshot& snapshot, const TenantMap& tenants, const Policy& policy,
                     SystemTime now) {
  return RunAudit(snapshot, tenants, policy, now, ListingCompleteness{}, OrgRef{});
}

std::vector<Finding> Audit(const OrgSnapshot& snapshot, const TenantMap& tenants,
                           const Policy& policy, SystemTime now,
                           const ListingCompleteness& completeness) {
  return RunAudit(snapshot, tenants, policy, now, completeness).findings;
}

}  // namespace divaudit::audit
