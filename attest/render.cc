#include "attest/render.h"

#include <algorithm>
#include <chrono>
#include <string_view>

#include "attest/text.h"
#include "audit/evidence.h"
#include "common/json_writer.h"
#include "common/time_util.h"

namespace divaudit::attest {
namespace {

using audit::FindingState;

constexpr std::string_view kSchema = "divaudit.attestation/1";

std::string Iso(int64_t unix) { return FormatIso8601(FromUnixSeconds(unix)); }
std::string IsoMs(int64_t ms) {
  return audit::FormatIsoMillis(SystemTime(std::chrono::milliseconds(ms)));
}

// ---- JSON ----

void Text(JsonWriter& w, std::string_view key, std::string_view value) {
  w.Key(key).Raw(JsonText(value));
}
void OptText(JsonWriter& w, std::string_view key, std::string_view value) {
  if (value.empty()) {
    w.Key(key).Null();
  } else {
    Text(w, key, value);
  }
}
void Named(JsonWriter& w, std::string_view key, const std::optional<audit::NamedRef>& ref) {
  w.Key(key);
  if (!ref) {
    w.Null();
    return;
  }
  w.BeginObject();
  Text(w, "id", ref->id);
  Text(w, "name", ref->name);
  w.EndObject();
}
void TextArray(JsonWriter& w, std::string_view key, const std::vector<std::string>& values) {
  w.Key(key).BeginArray();
  for (const auto& v : values) w.Raw(JsonText(v));
  w.EndArray();
}

void ExceptionJson(JsonWriter& w, const std::optional<audit::ExceptionRef>& e) {
  w.Key("exception");
  if (!e) {
    w.Null();
    return;
  }
  w.BeginObject();
  Text(w, "reason", e->reason);
  Text(w, "owner", e->owner);
  Text(w, "expires", e->expires);
  w.EndObject();
}

void QueueJson(JsonWriter& w, const std::optional<audit::QueueRef>& q) {
  w.Key("queue");
  if (!q) {
    w.Null();
    return;
  }
  w.BeginObject();
  Text(w, "id", q->id);
  Text(w, "name", q->name);
  Named(w, "division", q->division);
  w.Key("tenant");
  if (q->tenant) {
    w.Raw(JsonText(*q->tenant));
  } else {
    w.Null();
  }
  w.Key("member_groups").BeginArray();
  for (const auto& g : q->member_groups) {
    w.BeginObject();
    Text(w, "id", g.id);
    Text(w, "name", g.name);
    Text(w, "type", g.type);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

void ChangedByJson(JsonWriter& w, const std::optional<audit::ChangedBy>& c) {
  w.Key("changed_by");
  if (!c) {
    w.Null();
    return;
  }
  w.BeginObject();
  Text(w, "actor_type", c->actor_type);
  Text(w, "actor_id", c->actor_id);
  Text(w, "actor_name", c->actor_name);
  Text(w, "at", c->at);
  Text(w, "service", c->service);
  Text(w, "action", c->action);
  Text(w, "entity_type", c->entity_type);
  Text(w, "entity_id", c->entity_id);
  w.EndObject();
}

void RowJson(JsonWriter& w, const AttestedRow& a) {
  const ReachRow& r = a.row;
  w.BeginObject();
  w.Field("path", r.path);
  w.Key("subject").BeginObject();
  w.Field("type", audit::SubjectTypeName(r.subject.type));
  Text(w, "id", r.subject.id);
  Text(w, "name", r.subject.name);
  w.EndObject();
  Named(w, "home_division", r.home_division);
  w.Key("home_tenant");
  if (r.home_tenant) {
    w.Raw(JsonText(*r.home_tenant));
  } else {
    w.Null();
  }
  Named(w, "role", r.role);
  Named(w, "division", r.division);
  w.Key("via").BeginObject();
  if (r.via.direct) {
    w.Field("type", "direct");
  } else {
    w.Field("type", "group");
    Text(w, "group_id", r.via.group_id);
    Text(w, "group_name", r.via.group_name);
  }
  w.EndObject();
  QueueJson(w, r.queue);
  TextArray(w, "permissions", r.permissions);
  TextArray(w, "divisions", r.divisions);
  w.Key("first_seen");
  if (a.first_seen_sweep && a.first_seen_at) {
    w.BeginObject();
    w.Key("sweep_id").Int(*a.first_seen_sweep);
    w.Field("at", Iso(*a.first_seen_at));
    w.EndObject();
  } else {
    w.Null();
  }
  ChangedByJson(w, a.changed_by);
  w.Key("finding");
  if (a.finding) {
    w.BeginObject();
    w.Field("rule", audit::RuleName(a.finding->rule));
    w.Field("severity", audit::SeverityName(audit::RuleSeverity(a.finding->rule)));
    w.Field("fingerprint", a.finding->fingerprint);
    w.Field("state", audit::FindingStateName(a.finding->state));
    ExceptionJson(w, a.finding->exception);
    w.EndObject();
  } else {
    w.Null();
  }
  w.EndObject();
}

}  // namespace

std::string RenderAttestationJson(const AttestationData& d) {
  JsonWriter w(/*pretty=*/true);
  w.BeginObject();
  w.Field("schema", kSchema);
  w.Field("generated_at", Iso(d.generated_at));
  w.Key("org").BeginObject();
  OptText(w, "id", d.org_id);
  OptText(w, "name", d.org_name);
  Text(w, "api_base_url", d.api_base_url);
  w.EndObject();

  w.Key("tenant").BeginObject();
  Text(w, "name", d.tenant);
  w.Key("divisions").BeginArray();
  for (const auto& div : d.divisions) {
    w.BeginObject();
    Text(w, "id", div.id);
    Text(w, "name", div.name);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();

  w.Key("sweep").BeginObject();
  w.Key("id").Int(d.sweep.info.id);
  w.Field("status", audit::SweepStatusName(d.sweep.info.status));
  w.Field("started_at", Iso(d.sweep.info.started_at_unix));
  w.Field("finished_at", Iso(d.sweep.info.finished_at_unix));
  w.Field("content_hash", d.sweep.content_hash);
  w.Field("rule_set_version", d.sweep.rule_set_version);
  w.EndObject();

  w.Key("tenant_map").BeginObject();
  w.Key("tenants").BeginArray();
  for (const auto& t : d.tenant_map) {
    w.BeginObject();
    Text(w, "name", t.name);
    TextArray(w, "divisions", t.divisions);
    w.EndObject();
  }
  w.EndArray();
  TextArray(w, "shared_divisions", d.shared_divisions);
  w.EndObject();

  w.Key("policy").BeginObject();
  w.Key("rules").BeginArray();
  for (const auto& s : d.findings_summary) {
    w.BeginObject();
    w.Field("id", audit::RuleName(s.rule));
    w.Field("severity", audit::SeverityName(audit::RuleSeverity(s.rule)));
    w.EndObject();
  }
  w.EndArray();
  w.Key("exceptions").BeginArray();
  for (const auto& e : d.exceptions) {
    w.BeginObject();
    w.Field("rule", audit::RuleName(e.rule));
    Text(w, "subject_id", e.subject_id);
    OptText(w, "role_id", e.role_id.value_or(""));
    OptText(w, "division_id", e.division_id.value_or(""));
    Text(w, "reason", e.reason);
    Text(w, "owner", e.owner);
    Text(w, "expires", e.expires);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();

  w.Key("reach").BeginObject();
  TextArray(w, "paths_collected", d.collected_paths);
  TextArray(w, "paths_not_collected", d.uncollected_paths);
  w.Key("rows").BeginArray();
  for (const auto& row : d.reach) RowJson(w, row);
  w.EndArray();
  w.EndObject();

  w.Key("findings_summary").BeginObject();
  int64_t open = 0, suppressed = 0;
  for (const auto& s : d.findings_summary) {
    open += s.open;
    suppressed += s.suppressed;
  }
  w.Key("open").Int(open);
  w.Key("suppressed").Int(suppressed);
  w.Key("by_rule").BeginArray();
  for (const auto& s : d.findings_summary) {
    w.BeginObject();
    w.Field("rule", audit::RuleName(s.rule));
    w.Field("severity", audit::SeverityName(audit::RuleSeverity(s.rule)));
    w.Key("open").Int(s.open);
    w.Key("suppressed").Int(s.suppressed);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();

  {
    const AttestedEvidence& e = d.evidence;
    w.Key("evidence").BeginObject();
    w.Field("conversations_collected", e.collected);
    w.Field("status", e.status);
    w.Key("period").BeginObject().Field("from", Iso(e.from)).Field("to", Iso(e.to)).EndObject();
    w.Key("read_until");
    if (e.read_until_ms) {
      w.String(IsoMs(*e.read_until_ms));
    } else {
      w.Null();
    }
    w.Key("conversations").BeginArray();
    for (const AttestedConversation& c : e.conversations) {
      w.BeginObject();
      Text(w, "conversation_id", c.id);
      w.Field("start", IsoMs(c.start_ms));
      TextArray(w, "other_tenants", c.other_tenants);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }

  w.Key("signing_key");
  if (d.signing) {
    w.BeginObject();
    w.Field("algorithm", "Ed25519");
    w.Field("public_key_sha256", d.signing->fingerprint);
    Text(w, "public_key_file", d.signing->public_key_file);
    w.EndObject();
  } else {
    w.Null();
  }
  w.EndObject();
  std::string out = w.Take();
  out.push_back('\n');
  return out;
}

namespace {

// ---- HTML ----

constexpr std::string_view kCss = R"css(
@page { size: A4; margin: 12mm 10mm; }
body { font-family: "Helvetica Neue", Arial, sans-serif; font-size: 10pt; color: #111;
  max-width: 1100px; margin: 0 auto; padding: 12px; }
h1 { font-size: 17pt; margin: 0 0 4px 0; }
h2 { font-size: 13pt; border-bottom: 1px solid #888; margin: 20px 0 6px 0; }
h3 { font-size: 11pt; margin: 12px 0 4px 0; }
p.note { color: #444; margin: 2px 0 6px 0; }
.banner { border: 2px solid; padding: 6px 10px; margin: 8px 0; font-weight: bold; }
.banner.signed { border-color: #2e7d32; background: #e8f5e9; }
.banner.unsigned { border-color: #c62828; background: #ffebee; }
.mono, pre, code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 8.5pt; }
.fp { overflow-wrap: anywhere; }
dl.meta { display: grid; grid-template-columns: max-content auto; gap: 2px 14px; margin: 8px 0; }
dl.meta dt { font-weight: bold; }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; box-sizing: border-box; margin: 4px 0 10px 0; }
th, td { border: 1px solid #bbb; padding: 2px 4px; text-align: left; vertical-align: top;
  overflow-wrap: break-word; }
th { background: #e8e8e8; }
.nowrap { white-space: nowrap; }
.id { overflow-wrap: anywhere; }
td.n, th.n { text-align: right; white-space: nowrap; }
tr.foreign td { background: #fff4e5; }
.id { color: #555; font-size: 8pt; }
thead { display: table-header-group; }
tr { page-break-inside: avoid; break-inside: avoid; }
.empty { color: #666; font-style: italic; }
pre { background: #f4f4f4; border: 1px solid #ccc; padding: 6px; white-space: pre-wrap;
  box-sizing: border-box;
  overflow-wrap: anywhere; margin: 4px 0 8px 0; }
ol li { margin-bottom: 6px; }
@media print {
  body { max-width: none; padding: 0 2px; font-size: 8pt; }
  .mono, pre, code { font-size: 7pt; }
  .id { font-size: 6.5pt; }
  h2 { page-break-after: avoid; break-after: avoid; }
  th, tr.foreign td, .banner, pre { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
)css";

std::string H(std::string_view s) { return HtmlText(s); }

// "Name id" with the id in small grey text; just the id when the name is empty.
std::string NameAndId(std::string_view name, std::string_view id) {
  if (name.empty()) return "<span class=\"mono\">" + H(id) + "</span>";
  return H(name) + " <span class=\"id mono\">" + H(id) + "</span>";
}

// The name; the id (monospace) when the name is empty.
std::string NameOrId(std::string_view name, std::string_view id) {
  if (name.empty()) return "<span class=\"mono id\">" + H(id) + "</span>";
  return H(name);
}

std::string DivisionCell(const std::optional<audit::NamedRef>& d) {
  if (!d) return "-";
  if (d->id == audit::kAllDivisionsId) {
    return "<b>All Divisions</b> <span class=\"id mono\">*</span>";
  }
  return NameOrId(d->name, d->id);
}

// An org_wide_permission path: every division, through these permissions.
std::string OrgWideCell(const std::vector<std::string>& permissions) {
  std::string out = "<b>every division</b> (org-wide):";
  for (const auto& p : permissions) out += "<br><span class=\"mono\">" + H(p) + "</span>";
  return out;
}

void Meta(std::string& out, std::string_view term, const std::string& html) {
  out += "<dt>";
  out += term;
  out += "</dt><dd>" + html + "</dd>\n";
}

// A rule id that may wrap after its underscores in a narrow column.
std::string Breakable(std::string_view id) {
  std::string out;
  for (const char c : id) {
    out += c;
    if (c == '_') out += "<wbr>";
  }
  return out;
}

bool Foreign(const AttestationData& d, const ReachRow& r) {
  return !r.home_tenant || *r.home_tenant != d.tenant;
}

// Rows whose subject is (foreign = true) or is not one of the tenant's own people. Role, division
// and group ids are in the JSON (and the tenant's divisions with ids in the header); the table
// shows the subject's id only, so long GUIDs do not drown the names.
void ReachTableHtml(std::string& out, const AttestationData& d, bool foreign) {
  size_t count = 0;
  for (const AttestedRow& a : d.reach) count += Foreign(d, a.row) == foreign ? 1 : 0;
  out += "<h3>" +
         std::string(foreign ? "From outside the tenant: other tenants' people, groups, OAuth "
                               "clients, trustees, people without a home tenant"
                             : "The tenant's own people") +
         " (" + std::to_string(count) + (count == 1 ? " row" : " rows") + ")</h3>\n";
  if (count == 0) {
    out += "<p class=\"empty\">None, through the paths collected.</p>\n";
    return;
  }
  out +=
      "<table>\n<thead><tr><th>Path</th><th>Subject</th><th>Home tenant</th><th>Role</th>"
      "<th>Division</th><th>Via</th><th>First seen</th><th>Changed by</th><th>Finding</th>"
      "<th>Exception</th></tr></thead>\n<tbody>\n";
  for (const AttestedRow& a : d.reach) {
    const ReachRow& r = a.row;
    if (Foreign(d, r) != foreign) continue;
    out += foreign ? "<tr class=\"foreign\">" : "<tr>";
    out += "<td>" + Breakable(r.path) + "</td>";
    out += "<td>" + NameAndId(r.subject.name, r.subject.id) + "<br><span class=\"id\">" +
           std::string(audit::SubjectTypeName(r.subject.type)) + "</span></td>";
    out += "<td>" + (r.home_tenant ? H(*r.home_tenant) : std::string("<i>none</i>")) + "</td>";
    if (r.queue) {  // a queue path: the queue stands where a role would, in its division
      out += "<td>queue " + NameOrId(r.queue->name, r.queue->id) + "</td>";
      out += "<td>" + DivisionCell(r.queue->division) + "</td>";
    } else {
      out += "<td>" + (r.role ? NameOrId(r.role->name, r.role->id) : std::string("-")) + "</td>";
      out += "<td>" +
             (r.division || r.permissions.empty() ? DivisionCell(r.division)
                                                  : OrgWideCell(r.permissions)) +
             "</td>";
    }
    out += "<td>" +
           (r.via.direct ? std::string("direct")
                         : "group " + NameOrId(r.via.group_name, r.via.group_id)) +
           "</td>";
    out += "<td>" +
           (a.first_seen_sweep
                ? "sweep " + std::to_string(*a.first_seen_sweep) + "<br><span class=\"nowrap\">" +
                      Iso(*a.first_seen_at).substr(0, 10) + "</span> <span class=\"nowrap\">" +
                      Iso(*a.first_seen_at).substr(11) + "</span>"
                : std::string("before the oldest retained sweep")) +
           "</td>";
    if (a.changed_by) {
      out += "<td>" + NameOrId(a.changed_by->actor_name, a.changed_by->actor_id) +
             "<br><span class=\"id\">" + H(a.changed_by->actor_type) + ", " + H(a.changed_by->at) +
             "</span></td>";
    } else {
      out += "<td class=\"empty\">&mdash;</td>";
    }
    if (a.finding) {
      out += "<td>" + std::string(audit::FindingStateName(a.finding->state)) + "<br>" +
             Breakable(audit::RuleName(a.finding->rule)) + "</td>";
      out += "<td>" +
             (a.finding->exception
                  ? H(a.finding->exception->owner) + ": " + H(a.finding->exception->reason) +
                        " (until " + H(a.finding->exception->expires) + ")"
                  : std::string()) +
             "</td>";
    } else {
      out += "<td>none</td><td></td>";
    }
    out += "</tr>\n";
  }
  out += "</tbody></table>\n";
}

void VerifyHtml(std::string& out, const AttestationData& d) {
  out += "<h2>How to verify</h2>\n";
  const std::string stem = d.FileStem();
  if (!d.signing) {
    out += "<p class=\"empty\">This attestation is unsigned: there is no " + H(stem) +
           ".json.sig to verify. Ask for a signed one (<code>divaudit attest --key</code>).</p>\n";
    return;
  }
  const std::string key = H(d.signing->public_key_file);
  out += "<p class=\"note\">The signed evidence is <code>" + H(stem) +
         ".json</code>; this page is a rendering of it. With the public key <code>" + key +
         "</code> received from the provider by a separate channel, and stock OpenSSL 3 "
         "(Debian 12: <code>apt install openssl</code>):</p>\n<ol>\n";
  out +=
      "<li>Check that the key is the one this attestation names. This must print <span "
      "class=\"mono fp\">" +
      d.signing->fingerprint + "</span>:<pre>openssl pkey -pubin -in " + key +
      " -outform DER | sha256sum</pre></li>\n";
  out +=
      "<li>Check the signature over the JSON file's exact bytes. This must print "
      "<code>Signature Verified Successfully</code>:<pre>base64 -d " +
      H(stem) + ".json.sig &gt; " + H(stem) +
      ".sig &amp;&amp; openssl pkeyutl -verify -pubin -inkey " + key + " -rawin -in " + H(stem) +
      ".json -sigfile " + H(stem) + ".sig</pre></li>\n";
  out +=
      "<li>Optionally, the provider (or anyone with a copy of its database) checks that the "
      "sweep and its chain hash are in the database and the chain verifies:<pre>divaudit "
      "verify-attestation " +
      H(stem) + ".json --public-key " + key + " --config divaudit.toml</pre></li>\n</ol>\n";
}

}  // namespace

namespace {

// The conversation evidence section: what was read, then the conversations (or why none).
void EvidenceHtml(std::string& out, const AttestationData& d) {
  const AttestedEvidence& e = d.evidence;
  out +=
      "<h2>Conversation evidence</h2>\n<p class=\"note\">Conversations that touched this "
      "tenant and another, started from " +
      Iso(e.from) + " to " + Iso(e.to) + " (the " + std::to_string(kEvidencePeriodDays) +
      " days before the sweep). ";
  const std::string until = e.read_until_ms ? IsoMs(*e.read_until_ms) : "";
  if (e.status == "disabled") {
    out +=
        "<b>Not collected</b>: conversation evidence is off ([evidence] conversations); this "
        "attestation cannot say whether any conversation touched another tenant.</p>\n";
    return;
  }
  if (e.status == "unavailable") {
    out +=
        "<b>Unavailable</b>: as of the attested sweep, the last attempt to read conversations "
        "was refused the analytics conversation details (analytics:conversationDetail:view); "
        "conversations recorded before are listed, others may be missing.";
  } else if (e.status == "not_read") {
    out += "<b>Not read yet</b>: no sweep has read the conversations of this period.";
  } else if (e.status == "partial") {
    out += "Read up to " + until + "; later conversations are not read yet.";
  } else {
    out += "Every conversation of the period was read (up to " + until + ").";
  }
  out += " " + std::to_string(e.conversations.size()) + " conversations.</p>\n";
  if (e.conversations.empty()) {
    const bool read = e.status == "collected" || e.status == "partial";
    out += read ? "<p class=\"empty\">None of the conversations read touched another "
                  "tenant.</p>\n"
                : "<p class=\"empty\">No conversations listed: see above.</p>\n";
    return;
  }
  out +=
      "<table>\n<thead><tr><th>Conversation</th><th>Start</th><th>Other tenants</th></tr>"
      "</thead>\n<tbody>\n";
  for (const AttestedConversation& c : e.conversations) {
    std::string others;
    for (const auto& t : c.other_tenants) others += (others.empty() ? "" : ", ") + H(t);
    out += "<tr><td class=\"mono\">" + H(c.id) + "</td><td>" + IsoMs(c.start_ms) + "</td><td>" +
           others + "</td></tr>\n";
  }
  out += "</tbody></table>\n";
}

}  // namespace

std::string RenderAttestationHtml(const AttestationData& d) {
  std::string out;
  out.reserve(4096 + d.reach.size() * 600);
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>";
  out += "Access attestation: " + H(d.tenant) + " (" + d.date + ")";
  out += "</title>\n<style>";
  out += kCss;
  out += "</style>\n</head>\n<body>\n";
  out += "<h1>Access attestation: " + H(d.tenant) + "</h1>\n";
  out +=
      "<p class=\"note\">Every subject that can reach this tenant's divisions, by which path "
      "and since when, as divaudit recorded it in the last complete sweep of the "
      "tamper-evident sweep chain.</p>\n";
  if (d.signing) {
    out +=
        "<div class=\"banner signed\">Signed (Ed25519). Public key SHA-256: <span "
        "class=\"mono fp\">" +
        d.signing->fingerprint + "</span></div>\n";
  } else {
    out +=
        "<div class=\"banner unsigned\">UNSIGNED: written without a signing key; on its own "
        "it proves nothing.</div>\n";
  }

  out += "<dl class=\"meta\">\n";
  std::string org = d.org_name.empty() ? std::string("<i>not recorded</i>") : H(d.org_name);
  if (!d.org_id.empty()) org += " <span class=\"id mono\">" + H(d.org_id) + "</span>";
  Meta(out, "Organisation", org);
  Meta(out, "API", "<span class=\"mono\">" + H(d.api_base_url) + "</span>");
  Meta(out, "Tenant", H(d.tenant));
  std::string divisions;
  for (const auto& div : d.divisions) {
    divisions += (divisions.empty() ? "" : "<br>") + NameAndId(div.name, div.id);
  }
  Meta(out, "Tenant divisions", divisions.empty() ? "<i>none at this sweep</i>" : divisions);
  Meta(out, "Generated", Iso(d.generated_at));
  Meta(out, "Sweep",
       "#" + std::to_string(d.sweep.info.id) + ", " +
           std::string(audit::SweepStatusName(d.sweep.info.status)) + ", " +
           Iso(d.sweep.info.started_at_unix) + " to " + Iso(d.sweep.info.finished_at_unix) +
           ", rule set " + std::to_string(d.sweep.rule_set_version));
  Meta(out, "Chain hash", "<span class=\"mono fp\">" + H(d.sweep.content_hash) + "</span>");
  Meta(out, "Evidence file", "<span class=\"mono\">" + H(d.FileStem()) + ".json</span>");
  out += "</dl>\n";

  // Summary.
  std::vector<std::string> own, other, none;
  {
    std::vector<std::string> seen;
    for (const auto& a : d.reach) {
      const std::string key =
          std::string(audit::SubjectTypeName(a.row.subject.type)) + ":" + a.row.subject.id;
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
      seen.push_back(key);
      if (!a.row.home_tenant) {
        none.push_back(key);
      } else if (*a.row.home_tenant == d.tenant) {
        own.push_back(key);
      } else {
        other.push_back(key);
      }
    }
  }
  int64_t open = 0, suppressed = 0;
  for (const auto& s : d.findings_summary) {
    open += s.open;
    suppressed += s.suppressed;
  }
  out +=
      "<h2>Summary</h2>\n<table>\n<thead><tr><th>Subjects that reach the tenant</th><th "
      "class=\"n\">count</th></tr></thead>\n<tbody>\n";
  out += "<tr><td>People of this tenant</td><td class=\"n\">" + std::to_string(own.size()) +
         "</td></tr>\n";
  out += "<tr class=\"foreign\"><td>People of other tenants</td><td class=\"n\">" +
         std::to_string(other.size()) + "</td></tr>\n";
  out +=
      "<tr class=\"foreign\"><td>Without a home tenant (groups, OAuth clients, trustees, "
      "users homed in shared or unmapped divisions)</td><td class=\"n\">" +
      std::to_string(none.size()) + "</td></tr>\n";
  out += "<tr><td>Paths (rows of the reach table)</td><td class=\"n\">" +
         std::to_string(d.reach.size()) + "</td></tr>\n";
  out +=
      "<tr><td>Open findings touching the tenant (on its divisions, or held by its people on "
      "another tenant's)</td><td class=\"n\">" +
      std::to_string(open) +
      "</td></tr>\n<tr><td>Suppressed findings (accepted exceptions)</td><td class=\"n\">" +
      std::to_string(suppressed) + "</td></tr>\n</tbody></table>\n";

  out += "<h2>Reach table</h2>\n<p class=\"note\">One row per path. Paths collected: ";
  for (size_t i = 0; i < d.collected_paths.size(); ++i) {
    out += (i ? ", <code>" : "<code>") + d.collected_paths[i] + "</code>";
  }
  if (!d.uncollected_paths.empty()) {
    out += ". Not collected by this version: ";
    for (size_t i = 0; i < d.uncollected_paths.size(); ++i) {
      out += (i ? ", <code>" : "<code>") + d.uncollected_paths[i] + "</code>";
    }
    out += " paths";
  }
  out +=
      ". <i>Changed by</i>: who made the change that opened the row's finding, from the audit "
      "trail (&mdash; when unknown or no finding). Ids of roles, divisions, groups and queues "
      "are in the JSON. <i>First seen</i>: the first complete sweep since which the subject has "
      "had the path without a break.</p>\n";
  if (d.reach.empty()) {
    out += "<p class=\"empty\">No subject can reach this tenant through the paths collected.</p>\n";
  } else {
    ReachTableHtml(out, d, /*foreign=*/true);
    ReachTableHtml(out, d, /*foreign=*/false);
  }

  out +=
      "<h2>Findings touching the tenant</h2>\n<table>\n<thead><tr><th>Rule</th><th>Severity"
      "</th><th class=\"n\">Open</th><th class=\"n\">Suppressed</th></tr></thead>\n<tbody>\n";
  for (const auto& s : d.findings_summary) {
    out += "<tr><td>" + std::string(audit::RuleName(s.rule)) + "</td><td>" +
           std::string(audit::SeverityName(audit::RuleSeverity(s.rule))) + "</td><td class=\"n\">" +
           std::to_string(s.open) + "</td><td class=\"n\">" + std::to_string(s.suppressed) +
           "</td></tr>\n";
  }
  out += "</tbody></table>\n";

  EvidenceHtml(out, d);

  out +=
      "<h2>Tenant map and policy in force</h2>\n<table>\n<thead><tr><th>Tenant</th><th>"
      "Division patterns (ids, names or globs)</th></tr></thead>\n<tbody>\n";
  for (const auto& t : d.tenant_map) {
    std::string patterns;
    for (const auto& p : t.divisions) patterns += (patterns.empty() ? "" : ", ") + H(p);
    out += "<tr><td>" + H(t.name) + "</td><td class=\"mono\">" + patterns + "</td></tr>\n";
  }
  if (d.tenant_map.empty()) {
    out +=
        "<tr><td colspan=\"2\" class=\"empty\">none: every division is its own "
        "tenant</td></tr>\n";
  }
  std::string shared;
  for (const auto& p : d.shared_divisions) shared += (shared.empty() ? "" : ", ") + H(p);
  out += "<tr><td><i>shared (no tenant)</i></td><td class=\"mono\">" + shared +
         "</td></tr>\n</tbody></table>\n";
  out +=
      "<table>\n<thead><tr><th>Exception: rule</th><th>Subject</th><th>Role</th><th>Division"
      "</th><th>Owner</th><th>Reason</th><th>Expires</th></tr></thead>\n<tbody>\n";
  for (const auto& e : d.exceptions) {
    out += "<tr><td>" + std::string(audit::RuleName(e.rule)) + "</td><td class=\"mono\">" +
           H(e.subject_id) + "</td><td class=\"mono\">" + H(e.role_id.value_or("any")) +
           "</td><td class=\"mono\">" + H(e.division_id.value_or("any")) + "</td><td>" +
           H(e.owner) + "</td><td>" + H(e.reason) + "</td><td>" + H(e.expires) + "</td></tr>\n";
  }
  if (d.exceptions.empty()) {
    out += "<tr><td colspan=\"7\" class=\"empty\">no exceptions configured</td></tr>\n";
  }
  out += "</tbody></table>\n";

  VerifyHtml(out, d);
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace divaudit::attest
