#include "attest/attestation.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <tuple>

#include "attest/text.h"
#include "common/strings.h"
#include "common/time_util.h"
#include "storage/reach_history.h"

namespace divaudit::attest {
namespace {

using audit::FindingState;
using audit::Rule;

using audit::kAllRules;

// A finding touches a tenant when it is about the tenant's divisions (all_divisions,
// org_wide_permission and grant_guardrail_off reach every tenant), its people (home tenant), or
// lists the tenant.
bool Touches(const audit::Finding& f, const std::string& tenant) {
  if (f.rule == Rule::kAllDivisions || f.rule == Rule::kOrgWidePermission ||
      f.rule == Rule::kGrantGuardrailOff) {
    return true;
  }
  if (f.tenant && *f.tenant == tenant) return true;
  if (f.home_tenant && *f.home_tenant == tenant) return true;
  return std::find(f.tenants.begin(), f.tenants.end(), tenant) != f.tenants.end();
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "\"" : ", \"") + s + "\"";
  return out;
}

storage::HeldSince HeldSinceOf(const storage::ReachHistory& history,
                               const std::map<std::string, std::optional<int64_t>>& opened_in,
                               const ReachFact& fact, int64_t as_of) {
  switch (fact.kind) {
    case ReachFact::Kind::kMembership:
      return history.MembershipHeldSince(fact.key[0], fact.key[1], as_of);
    case ReachFact::Kind::kQueue:
      return history.QueueHeldSince(fact.key[0], fact.key[1], as_of);
    case ReachFact::Kind::kQueueMember:
      return history.QueueMemberHeldSince(fact.key[0], fact.key[1], fact.key[2] == "group", as_of);
    case ReachFact::Kind::kFinding: {
      // Held since its last opening; an opening whose event was pruned: before the anchor.
      const auto it = opened_in.find(fact.key[0]);
      return storage::HeldSince{true, it != opened_in.end() ? it->second : std::nullopt};
    }
    case ReachFact::Kind::kGrant:
      break;
  }
  return history.GrantHeldSince(fact.key[0], fact.key[1], fact.key[2], fact.key[3], as_of);
}

}  // namespace

Result<std::unique_ptr<AttestationSource>> AttestationSource::Load(storage::SnapshotStore& store,
                                                                   storage::Db& history_db,
                                                                   const audit::Policy& policy) {
  std::unique_ptr<AttestationSource> src(new AttestationSource(history_db, policy));
  auto last = store.LastCompleteSweep();
  if (!last.ok()) {
    if (last.status().code() == StatusCode::kNotFound) {
      return FailedPreconditionError(
          "no complete sweep in the database yet; run `divaudit sweep` (an attestation is "
          "made only from a complete sweep)");
    }
    return last.status();
  }
  // A sweep stored by a divaudit before v2 (rule set version 1) stored no role policies,
  // permission catalog, role settings or queues: its reach table would silently lack the
  // org_wide_permission and queue paths.
  if (last->rule_set_version < kFirstV2RuleSetVersion) {
    return FailedPreconditionError(
        "the last complete sweep (" + std::to_string(last->info.id) + ", " +
        FormatIso8601(FromUnixSeconds(last->info.started_at_unix)) +
        ") predates divaudit v2 (rule set version " + std::to_string(last->rule_set_version) +
        "): it holds no permissions, role settings or queues, so its reach would be incomplete; "
        "run `divaudit sweep` once, then attest");
  }
  src->sweep_ = *last;
  DIVAUDIT_ASSIGN_OR_RETURN(audit::OrgSnapshot snapshot, store.SnapshotAt(last->info.id));
  src->snapshot_ = std::make_unique<audit::OrgSnapshot>(std::move(snapshot));
  src->index_ = std::make_unique<audit::EffectiveGrants>(*src->snapshot_);
  DIVAUDIT_ASSIGN_OR_RETURN(audit::TenantMap map,
                            audit::TenantMap::Build(policy, src->snapshot_->divisions));
  src->tenant_map_ = std::make_unique<audit::TenantMap>(std::move(map));
  std::set<std::string> names(src->tenant_map_->tenant_names().begin(),
                              src->tenant_map_->tenant_names().end());
  for (const auto& t : policy.tenants) names.insert(t.name);
  src->tenants_.assign(names.begin(), names.end());

  storage::FindingFilter filter;
  filter.states = {FindingState::kOpen, FindingState::kSuppressed};
  DIVAUDIT_ASSIGN_OR_RETURN(src->findings_, store.QueryFindings(filter));
  for (const auto& rec : src->findings_) {
    if (!rec.first_seen_sweep || *rec.first_seen_sweep <= last->info.id) {
      src->as_of_findings_.push_back(rec.finding);
    }
  }
  // The sweep of each finding's latest opening (opened or reopened) up to the as-of sweep.
  DIVAUDIT_ASSIGN_OR_RETURN(auto events, store.FindingEvents(INT64_MIN, INT64_MAX));
  for (const auto& e : events) {
    if (e.sweep_id > last->info.id) continue;
    if (e.event == "opened" || e.event == "reopened") src->opened_in_[e.fingerprint] = e.sweep_id;
  }
  DIVAUDIT_ASSIGN_OR_RETURN(auto sweeps, store.ListSweeps(std::nullopt, std::nullopt));
  for (const auto& s : sweeps) {
    if (s.info.status == audit::SweepStatus::kComplete) {
      src->complete_.emplace_back(s.info.id, s.info.started_at_unix);
    }
  }
  return src;
}

namespace {

// The tenant's conversations recorded up to the attested sweep that started in the period.
Status FillEvidence(AttestationData& d, storage::EvidenceStore* store) {
  AttestedEvidence& e = d.evidence;
  e.to = d.sweep.info.started_at_unix;
  e.from = e.to - kEvidencePeriodDays * 86400;
  if (store == nullptr) return Status::Ok();
  e.collected = true;
  // As of the attested sweep: what later sweeps read is not part of it.
  DIVAUDIT_ASSIGN_OR_RETURN(const storage::EvidenceAsOf as_of, store->StatusAt(d.sweep.info.id));
  auto ms = [](SystemTime t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  };
  e.read_until_ms = as_of.read_until_ms;
  const int64_t from_ms = e.from * 1000, to_ms = e.to * 1000;
  e.status = audit::EvidenceStatusName(
      audit::ClassifyEvidence(as_of.available, as_of.read_until_ms, from_ms, to_ms));
  storage::EvidenceQuery q;
  q.tenant = d.tenant;
  q.to_sweep = d.sweep.info.id;
  q.start_from_ms = from_ms;
  q.start_before_ms = to_ms;
  DIVAUDIT_ASSIGN_OR_RETURN(std::vector<storage::EvidenceRecord> records, store->Query(q));
  for (const storage::EvidenceRecord& r : records) {  // oldest start first, then id
    AttestedConversation c{r.evidence.conversation.id, ms(r.evidence.conversation.start), {}};
    for (const std::string& t : r.evidence.tenants) {
      if (t != d.tenant) c.other_tenants.push_back(t);
    }
    e.conversations.push_back(std::move(c));
  }
  return Status::Ok();
}

}  // namespace

Result<AttestationData> AttestationSource::Build(const std::string& tenant,
                                                 const AttestationOptions& options) {
  if (!std::binary_search(tenants_.begin(), tenants_.end(), tenant)) {
    const std::string closest =
        ClosestMatch(tenant, tenants_, std::max<size_t>(2, tenant.size() / 3));
    return InvalidArgumentError(
        "unknown tenant \"" + tenant + "\"" +
        (closest.empty() ? std::string() : " (did you mean \"" + closest + "\"?)") +
        "; known tenants: " + Join(tenants_));
  }
  AttestationData d;
  d.org_id = sweep_.info.org_id;
  d.org_name = sweep_.info.org_name;
  d.api_base_url = options.api_base_url;
  d.tenant = tenant;
  d.slug = options.slug.empty() ? TenantSlug(tenant) : options.slug;
  d.generated_at = ToUnixSeconds(options.generated_at);
  d.date = FormatIso8601(options.generated_at).substr(0, 10);
  d.sweep = sweep_;
  d.tenant_map = policy_.tenants;
  d.shared_divisions = policy_.shared_divisions;
  d.exceptions = policy_.exceptions;
  d.signing = options.signing;
  for (const auto& div : snapshot_->divisions) {
    const auto t = tenant_map_->TenantOf(div.id);
    if (t && *t == tenant) d.divisions.push_back(div);
  }
  std::sort(d.divisions.begin(), d.divisions.end(), [](const auto& a, const auto& b) {
    return std::tie(a.name, a.id) < std::tie(b.name, b.id);
  });

  // The reach table.
  const auto paths = DefaultReachPaths();
  for (const auto& p : paths) d.collected_paths.emplace_back(p->path());
  d.uncollected_paths = UncollectedReachPaths();
  const ReachInput in{*snapshot_, *index_, *tenant_map_, tenant, &as_of_findings_};
  std::vector<ReachRow> rows = BuildReachRows(in, paths);

  // first_seen from the temporal rows of the tenant's divisions, "*" and the groups involved.
  std::vector<std::string> division_ids{std::string(audit::kAllDivisionsId)};
  for (const auto& div : d.divisions) division_ids.push_back(div.id);
  std::set<std::string> groups, queues;
  for (const auto& r : rows) {
    if (!r.via.direct && !r.via.group_id.empty()) groups.insert(r.via.group_id);
    if (r.queue) queues.insert(r.queue->id);
  }
  DIVAUDIT_ASSIGN_OR_RETURN(
      storage::ReachHistory history,
      storage::ReachHistory::Load(history_db_, division_ids,
                                  std::vector<std::string>(groups.begin(), groups.end())));
  if (!queues.empty()) {
    DIVAUDIT_RETURN_IF_ERROR(
        history.LoadQueues(history_db_, std::vector<std::string>(queues.begin(), queues.end())));
  }

  std::map<std::string_view, const storage::FindingRecord*> by_fingerprint;
  for (const auto& rec : findings_) by_fingerprint[rec.finding.fingerprint] = &rec;

  const int64_t as_of = sweep_.info.id;
  for (ReachRow& row : rows) {
    AttestedRow out;
    storage::HeldSince held{true, std::nullopt};
    for (const ReachFact& fact : row.facts) {
      held = storage::BothHeldSince(held, HeldSinceOf(history, opened_in_, fact, as_of));
    }
    // A row of the as-of snapshot is held in it; nothing found means its history was pruned.
    if (held.held && held.since_sweep) {
      const auto it = std::lower_bound(complete_.begin(), complete_.end(),
                                       std::make_pair(*held.since_sweep, INT64_MIN));
      if (it != complete_.end()) {
        out.first_seen_sweep = it->first;
        out.first_seen_at = it->second;
      }
    }
    for (const std::string& fp : row.finding_fingerprints) {
      const auto it = by_fingerprint.find(fp);
      if (it == by_fingerprint.end()) continue;
      const audit::Finding& f = it->second->finding;
      out.finding = RowFinding{f.rule, f.fingerprint, f.state, f.exception};
      out.changed_by = f.changed_by;
      break;
    }
    out.row = std::move(row);
    d.reach.push_back(std::move(out));
  }

  DIVAUDIT_RETURN_IF_ERROR(FillEvidence(d, options.evidence));

  for (const Rule rule : audit::kAllRules) d.findings_summary.push_back(RuleSummary{rule, 0, 0});
  for (const auto& rec : findings_) {
    const audit::Finding& f = rec.finding;
    if (!Touches(f, tenant)) continue;
    RuleSummary& s = d.findings_summary[static_cast<size_t>(f.rule)];
    (f.state == FindingState::kSuppressed ? s.suppressed : s.open)++;
  }
  return d;
}

}  // namespace divaudit::attest
