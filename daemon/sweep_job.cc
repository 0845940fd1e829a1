#include "daemon/sweep_job.h"

#include <cstdlib>
#include <memory>
#include <unordered_map>

#include "audit/lifecycle.h"
#include "audit/tenant_map.h"
#include "common/file_util.h"
#include "common/logging.h"
#include "common/time_util.h"
#include "config/loader.h"
#include "genesys/conversation_evidence.h"
#include "genesys/parsers.h"

namespace divaudit::daemon {
namespace {

std::shared_ptr<spdlog::logger> Log() { return GetLogger("sweep"); }

// A value for key="…" in a log line: quotes replaced, newlines flattened.
std::string LogQuoted(std::string_view v) {
  std::string out = "\"";
  for (const char c : v) out += c == '"' ? '\'' : (c == '\n' || c == '\r') ? ' ' : c;
  return out + "\"";
}

}  // namespace

std::string FindingOpenedLine(const audit::Finding& f) {
  std::string line = "event=finding_opened rule=" + std::string(audit::RuleName(f.rule)) +
                     " state=" + std::string(audit::FindingStateName(f.state)) +
                     " fingerprint=" + f.fingerprint;
  if (f.subject) line += " subject_id=" + LogQuoted(f.subject->id);
  if (!f.changed_by) return line + " changed_by=null";
  const audit::ChangedBy& c = *f.changed_by;
  return line + " changed_by_type=" + c.actor_type + " changed_by_id=" + LogQuoted(c.actor_id) +
         " changed_by_name=" + LogQuoted(c.actor_name) + " changed_at=" + c.at +
         " changed_service=" + LogQuoted(c.service) + " changed_action=" + LogQuoted(c.action);
}

audit::Policy PolicyFromConfig(const config::Config& config) {
  audit::Policy policy;
  for (const auto& t : config.tenants) policy.tenants.push_back({t.name, t.divisions});
  policy.shared_divisions = config.policy.shared_divisions;
  policy.org_wide_permissions = config.policy.org_wide_permissions;
  for (const auto& e : config.exceptions) {
    audit::ExceptionSpec spec;
    spec.rule = e.rule;
    // unmapped_division findings have no subject: the engine matches them on the division id.
    spec.subject_id = e.subject_id.empty() && e.division_id ? *e.division_id : e.subject_id;
    spec.role_id = e.role_id;
    spec.division_id = e.division_id;
    spec.queue_id = e.queue_id;
    spec.reason = e.reason;
    spec.owner = e.owner;
    spec.expires = e.expires;
    spec.expires_at = e.expires_at;
    policy.exceptions.push_back(std::move(spec));
  }
  return policy;
}

Status CheckTenantMap(const config::Config& config, const std::vector<audit::Division>& divisions) {
  auto map = audit::TenantMap::Build(PolicyFromConfig(config), divisions);
  if (!map.ok()) return map.status().WithPrefix(config.source_path + ": [[tenant]]");
  return Status::Ok();
}

Result<std::string> ResolveClientSecret(const config::GenesysConfig& genesys) {
  if (genesys.client_secret_file.empty() && std::getenv(config::kClientSecretEnv) == nullptr) {
    if (const char* creds = std::getenv("CREDENTIALS_DIRECTORY")) {
      return ReadSecretFile(std::string(creds) + "/client-secret");
    }
  }
  return config::LoadClientSecret(genesys);
}

SweepJob::SweepJob(std::shared_ptr<const config::Config> config, storage::SnapshotStore& store,
                   const Clock& clock, RandomSource& random, CancellationToken cancel)
    : config_(std::move(config)),
      policy_(PolicyFromConfig(*config_)),
      store_(store),
      clock_(clock),
      random_(random),
      cancel_(std::move(cancel)) {}

Result<std::unique_ptr<SweepJob>> SweepJob::Create(std::shared_ptr<const config::Config> snapshot,
                                                   storage::SnapshotStore& store,
                                                   const Clock& clock, RandomSource& random,
                                                   const CancellationToken& cancel) {
  const config::Config& config = *snapshot;
  DIVAUDIT_ASSIGN_OR_RETURN(std::string secret, ResolveClientSecret(config.genesys));
  std::unique_ptr<SweepJob> job(new SweepJob(std::move(snapshot), store, clock, random, cancel));
  genesys::CurlHttpClientOptions http_options;
  http_options.max_concurrency = config.genesys.max_concurrency;
  http_options.timeout = config.genesys.timeout;
  http_options.cancel = cancel;
  DIVAUDIT_ASSIGN_OR_RETURN(job->http_, genesys::CurlHttpClient::Create(http_options));
  genesys::PlatformClientOptions client_options;
  client_options.api_base_url = config.genesys.api_base_url;
  client_options.login_base_url = config.genesys.login_base_url;
  client_options.client_id = config.genesys.client_id;
  client_options.client_secret = std::move(secret);
  client_options.max_concurrency = config.genesys.max_concurrency;
  client_options.requests_per_minute = config.genesys.requests_per_minute;
  DIVAUDIT_ASSIGN_OR_RETURN(
      job->client_, genesys::PlatformClient::Create(*job->http_, clock, random, job->sleeper_,
                                                    cancel, std::move(client_options)));
  return job;
}

Result<SweepJobOutput> SweepJob::Run(const genesys::ProgressCallback& progress) {
  SweepJobOutput out;
  // The store takes the write lock and reads the current rows while the org is read, and writes
  // the snapshot while the rules run (storage/README.md, "Pending sweeps"). A cancelled sweep
  // drops it, and with it everything it wrote.
  std::unique_ptr<storage::PendingSweep> pending = store_.BeginSweep();
  genesys::Sweeper sweeper(*client_, clock_);
  // The grants (most of a first sweep's rows) and the users are written while the rest of the
  // org is read.
  genesys::FinalGrantsCallback final_grants;
  genesys::FinalUsersCallback final_users;
  if (pending != nullptr) {
    final_grants = [&pending](std::span<const audit::Grant> grants) {
      pending->AddFinalGrants(std::vector<audit::Grant>(grants.begin(), grants.end()));
    };
    final_users = [&pending](std::span<const audit::User> users) {
      pending->AddFinalUsers(std::vector<audit::User>(users.begin(), users.end()));
    };
  }
  genesys::SweepResult swept = sweeper.Run(cancel_, progress, final_grants, final_users);
  out.info = std::move(swept.info);
  out.snapshot = std::move(swept.snapshot);
  out.api_stats = client_->Stats();
  if (cancel_.cancelled()) {
    Log()->warn("event=sweep_aborted reason=shutdown (nothing committed)");
    return AbortedError("sweep cancelled before commit; nothing was stored");
  }

  Status audit_error;
  if (out.info.status != audit::SweepStatus::kFailed) {
    auto tenants = audit::TenantMap::Build(policy_, out.snapshot.divisions);
    if (tenants.ok()) {
      // The snapshot is final: the store writes it while the rules run.
      if (pending != nullptr) {
        pending->Seal(out.snapshot, out.info.status == audit::SweepStatus::kComplete);
      }
      out.audit = audit::RunAudit(out.snapshot, *tenants, policy_, clock_.Now(), swept.completeness,
                                  audit::OrgRef{out.info.org_id, out.info.org_name});
      for (const auto& line : out.audit.not_judged) out.info.incomplete.push_back(line);
    } else {
      // The org no longer fits the tenant map: nothing can be judged. Record a failed sweep.
      audit_error = tenants.status().WithPrefix(config_->source_path + ": [[tenant]]");
      out.info.status = audit::SweepStatus::kFailed;
      out.info.incomplete.push_back("tenant map: " + tenants.status().message());
      out.snapshot = {};
    }
  }
  if (out.info.status == audit::SweepStatus::kFailed) out.snapshot = {};

  // Evidence (opt-in) is read before the commit so that its requests count in api_requests; it
  // never changes the sweep's status. It is recorded right after the commit, in its own
  // transaction: a crash in between leaves the cursor where it was (read again, stored once).
  std::optional<storage::EvidenceSweep> evidence;
  if (config_->evidence.conversations && out.info.status != audit::SweepStatus::kFailed) {
    evidence = ReadEvidence(out);
  }
  // Who changed it: plan the lifecycle, look up the findings the commit will open, commit once.
  std::vector<audit::Finding*> opening;
  if (out.info.status != audit::SweepStatus::kFailed && !out.audit.findings.empty()) {
    DIVAUDIT_ASSIGN_OR_RETURN(opening, FindingsToOpen(out.audit.findings, out.info.status));
  }
  if (!opening.empty()) {
    std::optional<int64_t> previous_start;
    if (auto last = store_.LastCompleteSweep(); last.ok()) {
      previous_start = last->info.started_at_unix;
    } else if (last.status().code() != StatusCode::kNotFound) {
      return last.status();
    }
    const int64_t requests_before = client_->Stats().requests;
    out.changed_by = genesys::LookUpChangedBy(
        *client_, opening, genesys::ChangedByWindow(previous_start, clock_.Now()), out.info.org_id,
        out.snapshot);
    // Audit requests count in the sweep's api_requests (they are part of this sweep's cost).
    out.info.api_requests += client_->Stats().requests - requests_before;
    out.api_stats = client_->Stats();
    const auto& l = out.changed_by;
    const bool bad = l.outcome == genesys::ChangedByLookup::Outcome::kForbidden ||
                     l.outcome == genesys::ChangedByLookup::Outcome::kFailed;
    Log()->log(bad ? spdlog::level::warn : spdlog::level::info,
               "event=changed_by outcome={} opened={} queries={} events={} attributed={} "
               "unattributed={}{}",
               genesys::ChangedByOutcomeName(l.outcome), opening.size(), l.queries, l.events,
               l.attributed, l.unattributed, bad ? " err=" + LogQuoted(l.error) : std::string());
  }
  if (cancel_.cancelled()) {
    Log()->warn("event=sweep_aborted reason=shutdown (nothing committed)");
    return AbortedError("sweep cancelled before commit; nothing was stored");
  }

  auto committed =
      store_.CommitPendingSweep(std::move(pending), out.info, out.snapshot, out.audit.findings);
  if (!committed.ok()) return committed.status();
  out.info.id = committed->sweep_id;
  out.commit = std::move(committed).value();
  if (out.changed_by.outcome != genesys::ChangedByLookup::Outcome::kFirstSweep) {
    for (const audit::Finding* f : opening) Log()->info("{}", FindingOpenedLine(*f));
  }

  if (evidence) {
    evidence->sweep_id = out.info.id;
    out.evidence_available = evidence->available;
    auto recorded = evidence_store_->Record(*evidence);
    if (!recorded.ok()) {
      Log()->warn("event=evidence_not_stored sweep_id={} err=\"{}\"", out.info.id,
                  recorded.status().message());
    } else {
      out.evidence = std::move(recorded).value();
    }
  }

  // Retention: prune after a successful commit; a failure here loses nothing, so it only warns.
  const auto retention =
      std::chrono::duration_cast<std::chrono::seconds>(config_->storage.retention);
  if (auto pruned = store_.Prune(retention, ToUnixSeconds(clock_.Now())); !pruned.ok()) {
    Log()->warn("event=prune_failed err=\"{}\"", pruned.status().message());
  } else if (pruned->sweeps_deleted > 0) {
    Log()->info("event=pruned sweeps={} rows={}", pruned->sweeps_deleted, pruned->rows_deleted);
  }

  // first_seen of this sweep's findings comes from the store.
  if (!out.audit.findings.empty()) {
    storage::FindingFilter filter;
    filter.states = {audit::FindingState::kOpen, audit::FindingState::kSuppressed};
    auto stored = store_.QueryFindings(filter);
    if (!stored.ok()) return stored.status();
    std::unordered_map<std::string, std::string> first_seen;
    for (const auto& r : *stored) first_seen[r.finding.fingerprint] = r.finding.first_seen;
    out.findings = out.audit.findings;
    for (auto& f : out.findings) {
      if (auto it = first_seen.find(f.fingerprint); it != first_seen.end()) {
        f.first_seen = it->second;
      }
    }
  }
  if (!audit_error.ok()) return audit_error;
  return out;
}

std::optional<storage::EvidenceSweep> SweepJob::ReadEvidence(SweepJobOutput& out) {
  if (evidence_store_ == nullptr) {
    auto opened = storage::EvidenceStore::Open(config_->storage.path);
    if (!opened.ok()) {
      Log()->warn("event=evidence_skipped err=\"{}\"", opened.status().message());
      return std::nullopt;
    }
    evidence_store_ = std::move(opened).value();
  }
  auto tenants = audit::TenantMap::Build(policy_, out.snapshot.divisions);
  auto cursor = evidence_store_->Cursor();
  if (!tenants.ok() || !cursor.ok()) {
    Log()->warn("event=evidence_skipped err=\"{}\"",
                (!tenants.ok() ? tenants.status() : cursor.status()).message());
    return std::nullopt;
  }
  genesys::EvidenceReadOptions options;
  options.lag = config_->evidence.lag;
  genesys::ConversationEvidenceReader reader(*client_, options);
  const int64_t requests_before = client_->Stats().requests;
  genesys::EvidenceReadResult read = reader.Read(*cursor, clock_.Now());
  const int64_t requests = client_->Stats().requests - requests_before;
  out.info.api_requests += requests;
  out.api_stats = client_->Stats();
  storage::EvidenceSweep sweep;
  sweep.available = read.available;
  sweep.stopped = read.stopped;
  sweep.windows = std::move(read.windows);
  sweep.cursor = std::move(read.cursor);
  for (const audit::Conversation& c : read.ended) {
    if (auto e = audit::ClassifyConversation(c, *tenants)) sweep.evidence.push_back(std::move(*e));
  }
  if (!read.available) {
    Log()->warn(
        "event=evidence_unavailable endpoint=/api/v2/analytics/conversations/details/query "
        "err=\"{}\" (needs analytics:conversationDetail:view)",
        read.stopped);
  } else {
    Log()->info(
        "event=evidence windows={} pages={} rereads={} ended={} cross_tenant={} "
        "pending={} requests={}{}",
        sweep.windows.size(), read.query_pages, read.pending_reads, read.ended.size(),
        sweep.evidence.size(), sweep.cursor.pending.size(), requests,
        read.stopped.empty() ? "" : " stopped=\"" + read.stopped + "\"");
  }
  return sweep;
}

Result<std::vector<audit::Finding*>> SweepJob::FindingsToOpen(std::vector<audit::Finding>& findings,
                                                              audit::SweepStatus status) {
  DIVAUDIT_ASSIGN_OR_RETURN(auto records, store_.QueryFindings(storage::FindingFilter{}));
  std::unordered_map<std::string, audit::FindingState> stored;
  stored.reserve(records.size());
  for (const auto& r : records) stored.emplace(r.finding.fingerprint, r.finding.state);
  const audit::LifecyclePlan plan = audit::PlanLifecycle(stored, findings, status);
  std::vector<audit::Finding*> opening;
  for (const auto& change : plan.changes) {
    if (change.kind != audit::LifecycleChange::Kind::kNew &&
        change.kind != audit::LifecycleChange::Kind::kReopened) {
      continue;
    }
    // `seen` points into `findings` (const there); map it back to the mutable element.
    opening.push_back(&findings[static_cast<size_t>(change.seen - findings.data())]);
  }
  return opening;
}

Status SweepJob::CheckOnline(double* coverage, std::vector<std::string>* invisible,
                             std::vector<audit::Division>* divisions) {
  DIVAUDIT_RETURN_IF_ERROR(client_->Authenticate());
  const std::vector<genesys::ApiRequest> requests = {
      {"/api/v2/authorization/divisions?pageSize=500&pageNumber=1",
       "/api/v2/authorization/divisions"},
      {"/api/v2/authorization/divisionspermitted/paged/me?permission=authorization%3Agrant%3Aview"
       "&pageSize=500&pageNumber=1",
       "/api/v2/authorization/divisionspermitted/paged/me"}};
  auto responses = client_->GetAll(requests);
  for (size_t i = 0; i < responses.size(); ++i) {
    if (!responses[i].ok()) return responses[i].status();
    if (responses[i]->status != 200) {
      return PermissionDeniedError("GET " + requests[i].route + ": HTTP " +
                                   std::to_string(responses[i]->status));
    }
  }
  genesys::JsonPageParser parser;
  DIVAUDIT_ASSIGN_OR_RETURN(
      auto all,
      parser.Divisions(responses[0]->body, {"/api/v2/authorization/divisions", 1}, *divisions));
  // The remaining pages of the division listing: the tenant map is checked against all of them.
  std::vector<genesys::ApiRequest> more;
  for (int64_t page = 2; page <= all.page_count; ++page) {
    more.push_back(
        {"/api/v2/authorization/divisions?pageSize=500&pageNumber=" + std::to_string(page),
         "/api/v2/authorization/divisions"});
  }
  auto pages = client_->GetAll(more);
  for (size_t i = 0; i < pages.size(); ++i) {
    if (!pages[i].ok()) return pages[i].status();
    if (pages[i]->status != 200) {
      return PermissionDeniedError("GET " + more[i].route + " page " + std::to_string(i + 2) +
                                   ": HTTP " + std::to_string(pages[i]->status));
    }
    DIVAUDIT_RETURN_IF_ERROR(
        parser
            .Divisions(pages[i]->body,
                       {"/api/v2/authorization/divisions", static_cast<int64_t>(i) + 2}, *divisions)
            .status());
  }
  std::vector<std::string> permitted;
  DIVAUDIT_ASSIGN_OR_RETURN(
      auto mine,
      parser.DivisionsPermitted(
          responses[1]->body, {"/api/v2/authorization/divisionspermitted/paged/me", 1}, permitted));
  if (mine.all_divs_permitted || all.total <= 0) {
    *coverage = 1.0;
    return Status::Ok();
  }
  *coverage = static_cast<double>(mine.total) / static_cast<double>(all.total);
  for (const auto& d : *divisions) {
    if (std::find(permitted.begin(), permitted.end(), d.id) == permitted.end()) {
      invisible->push_back(d.name + " (" + d.id + ")");
    }
  }
  return Status::Ok();
}

}  // namespace divaudit::daemon
