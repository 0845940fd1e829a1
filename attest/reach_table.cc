#include "attest/reach_table.h"

#include <algorithm>
#include <map>
#include <string_view>
#include <tuple>

namespace divaudit::attest {
namespace {

using audit::EffectiveGrants;
using audit::Finding;
using audit::Rule;

std::string FingerprintFor(Rule rule, const ReachRow& row, bool with_grant) {
  Finding f;
  f.rule = rule;
  f.subject = row.subject;
  if (with_grant) {
    f.role = row.role;
    f.division = row.division;
    f.via = row.via;
  }
  return audit::FingerprintOf(f);
}

// Rows from effective grants (direct and via groups) whose division satisfies `selects`.
class EffectiveGrantPath : public ReachPathProvider {
 public:
  explicit EffectiveGrantPath(bool all_divisions) : all_divisions_(all_divisions) {}

  std::string_view path() const override { return all_divisions_ ? "all_divisions" : "grant"; }

  void AddRows(const ReachInput& in, std::vector<ReachRow>& rows) const override {
    const EffectiveGrants& idx = in.index;
    std::vector<bool> selected(idx.division_code_count(), false);
    if (all_divisions_) {
      selected[EffectiveGrants::kAllDivisionsCode] = true;
    } else {
      for (uint32_t d = 1; d < idx.division_code_count(); ++d) {
        if (!idx.IsKnownDivision(d)) continue;
        const auto tenant = in.tenants.TenantOf(idx.DivisionId(d));
        selected[d] = tenant && *tenant == in.tenant;
      }
    }
    for (uint32_t s = 0; s < idx.subject_count(); ++s) {
      const EffectiveGrants::Subject& subject = idx.subject(s);
      if (!subject.audited) continue;
      for (const EffectiveGrants::Effective& e : idx.EffectiveOf(s)) {
        if (selected[e.division]) rows.push_back(MakeRow(in, s, e));
      }
    }
  }

 private:
  ReachRow MakeRow(const ReachInput& in, uint32_t s, const EffectiveGrants::Effective& e) const {
    const EffectiveGrants& idx = in.index;
    const EffectiveGrants::Subject& subject = idx.subject(s);
    ReachRow row;
    row.path = std::string(path());
    row.subject =
        audit::SubjectRef{subject.type, std::string(subject.id), std::string(subject.name)};
    if (subject.user != nullptr && !subject.user->home_division_id.empty()) {
      const auto code = idx.FindDivision(subject.user->home_division_id);
      row.home_division = audit::NamedRef{subject.user->home_division_id,
                                          code ? std::string(idx.DivisionName(*code)) : ""};
      row.home_tenant = in.tenants.HomeTenantOf(*subject.user);
    }
    row.role = audit::NamedRef{std::string(idx.RoleId(e.role)), std::string(idx.RoleName(e.role))};
    row.division = audit::NamedRef{std::string(idx.DivisionId(e.division)),
                                   std::string(idx.DivisionName(e.division))};
    if (e.via == EffectiveGrants::kDirect) {
      row.via = audit::Via{};
      row.facts.push_back({ReachFact::Kind::kGrant,
                           {std::string(audit::SubjectTypeName(subject.type)), row.subject.id,
                            row.role->id, row.division->id}});
    } else {
      const EffectiveGrants::Subject& group = idx.subject(e.via);
      row.via = audit::Via{false, std::string(group.id), std::string(group.name)};
      row.facts.push_back({ReachFact::Kind::kGrant,
                           {std::string(audit::SubjectTypeName(group.type)), row.via.group_id,
                            row.role->id, row.division->id}});
      row.facts.push_back({ReachFact::Kind::kMembership, {row.via.group_id, row.subject.id}});
    }
    if (all_divisions_) {
      row.finding_fingerprints = {FingerprintFor(Rule::kAllDivisions, row, true)};
    } else {
      row.finding_fingerprints = {FingerprintFor(Rule::kCrossTenant, row, true),
                                  FingerprintFor(Rule::kMultiTenantSubject, row, false)};
    }
    return row;
  }

  bool all_divisions_;
};

template <typename T>
const T* FindById(const std::vector<T>& sorted, std::string_view id) {
  auto it = std::lower_bound(sorted.begin(), sorted.end(), id,
                             [](const T& x, std::string_view v) { return x.id < v; });
  return it != sorted.end() && it->id == id ? &*it : nullptr;
}

// Home division and tenant of `user` (nothing when it has no home division).
void SetHome(const ReachInput& in, const audit::User& user, ReachRow& row) {
  if (user.home_division_id.empty()) return;
  const audit::Division* d = FindById(in.snapshot.divisions, user.home_division_id);
  row.home_division = audit::NamedRef{user.home_division_id, d != nullptr ? d->name : ""};
  row.home_tenant = in.tenants.HomeTenantOf(user);
}

class OrgWidePermissionProvider : public ReachPathProvider {
 public:
  std::string_view path() const override { return "org_wide_permission"; }

  void AddRows(const ReachInput& in, std::vector<ReachRow>& rows) const override {
    if (in.findings == nullptr) return;
    for (const Finding& f : *in.findings) {
      if (f.rule != Rule::kOrgWidePermission || !f.subject) continue;
      ReachRow row;
      row.path = std::string(path());
      row.subject = *f.subject;
      if (f.subject->type == audit::SubjectType::kUser) {
        const audit::User* user = FindById(in.snapshot.users, f.subject->id);
        if (user == nullptr) continue;
        SetHome(in, *user, row);
      }
      row.role = f.role;
      row.via = f.via.value_or(audit::Via{});
      row.permissions = f.permissions;
      row.divisions = f.divisions;
      row.facts.push_back({ReachFact::Kind::kFinding, {f.fingerprint}});
      row.finding_fingerprints = {f.fingerprint};
      rows.push_back(std::move(row));
    }
  }
};

class QueueProvider : public ReachPathProvider {
 public:
  std::string_view path() const override { return "queue"; }

  void AddRows(const ReachInput& in, std::vector<ReachRow>& rows) const override {
    // The stored cross_tenant_queue findings by (user, queue, direct).
    std::map<std::tuple<std::string_view, std::string_view, bool>, std::string_view> findings;
    if (in.findings != nullptr) {
      for (const Finding& f : *in.findings) {
        if (f.rule != Rule::kCrossTenantQueue || !f.subject || !f.queue) continue;
        findings.emplace(std::make_tuple(std::string_view(f.subject->id),
                                         std::string_view(f.queue->id), !f.via || f.via->direct),
                         f.fingerprint);
      }
    }
    const auto& members = in.snapshot.queue_members;
    for (const audit::Queue& q : in.snapshot.queues) {
      const auto tenant = in.tenants.TenantOf(q.division_id);
      if (!tenant || *tenant != in.tenant) continue;
      const audit::Division* division = FindById(in.snapshot.divisions, q.division_id);
      auto it = std::lower_bound(
          members.begin(), members.end(), q.id,
          [](const audit::QueueMember& m, std::string_view id) { return m.queue_id < id; });
      for (; it != members.end() && it->queue_id == q.id; ++it) {
        const audit::User* user = FindById(in.snapshot.users, it->user_id);
        if (user == nullptr) continue;
        ReachRow row;
        row.path = std::string(path());
        row.subject = audit::SubjectRef{audit::SubjectType::kUser, user->id, user->name};
        SetHome(in, *user, row);
        row.via = audit::Via{!it->via_group, "", ""};
        audit::QueueRef ref;
        ref.id = q.id;
        ref.name = q.name;
        ref.division = audit::NamedRef{q.division_id, division != nullptr ? division->name : ""};
        ref.tenant = *tenant;
        if (it->via_group) ref.member_groups = q.member_groups;
        row.queue = std::move(ref);
        row.facts.push_back({ReachFact::Kind::kQueue, {q.id, q.division_id}});
        row.facts.push_back(
            {ReachFact::Kind::kQueueMember, {q.id, user->id, it->via_group ? "group" : "direct"}});
        const auto found = findings.find(
            std::make_tuple(std::string_view(user->id), std::string_view(q.id), !it->via_group));
        if (found != findings.end()) row.finding_fingerprints = {std::string(found->second)};
        rows.push_back(std::move(row));
      }
    }
  }
};

auto SortKey(const ReachRow& r) {
  static const std::string kEmpty;
  return std::make_tuple(
      audit::SubjectTypeName(r.subject.type), std::cref(r.subject.name), std::cref(r.subject.id),
      std::cref(r.role ? r.role->name : kEmpty), std::cref(r.role ? r.role->id : kEmpty),
      std::cref(r.division ? r.division->name : kEmpty),
      std::cref(r.division ? r.division->id : kEmpty), !r.via.direct, std::cref(r.via.group_id),
      std::cref(r.queue ? r.queue->name : kEmpty), std::cref(r.queue ? r.queue->id : kEmpty));
}

}  // namespace

std::unique_ptr<ReachPathProvider> GrantPath() {
  return std::make_unique<EffectiveGrantPath>(false);
}
std::unique_ptr<ReachPathProvider> AllDivisionsPath() {
  return std::make_unique<EffectiveGrantPath>(true);
}

std::unique_ptr<ReachPathProvider> OrgWidePermissionPath() {
  return std::make_unique<OrgWidePermissionProvider>();
}
std::unique_ptr<ReachPathProvider> QueuePath() { return std::make_unique<QueueProvider>(); }

std::vector<std::unique_ptr<ReachPathProvider>> DefaultReachPaths() {
  std::vector<std::unique_ptr<ReachPathProvider>> paths;
  paths.push_back(GrantPath());
  paths.push_back(AllDivisionsPath());
  paths.push_back(OrgWidePermissionPath());
  paths.push_back(QueuePath());
  return paths;
}

std::vector<std::string> UncollectedReachPaths() { return {}; }

std::vector<ReachRow> BuildReachRows(const ReachInput& in,
                                     const std::vector<std::unique_ptr<ReachPathProvider>>& paths) {
  std::vector<ReachRow> all;
  for (const auto& provider : paths) {
    std::vector<ReachRow> rows;
    provider->AddRows(in, rows);
    std::sort(rows.begin(), rows.end(),
              [](const ReachRow& a, const ReachRow& b) { return SortKey(a) < SortKey(b); });
    all.insert(all.end(), std::make_move_iterator(rows.begin()),
               std::make_move_iterator(rows.end()));
  }
  return all;
}

}  // namespace divaudit::attest
