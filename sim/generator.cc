#include "sim/generator.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/strings.h"
#include "common/time_util.h"

namespace divaudit::sim {
namespace {

using audit::SubjectType;

// splitmix64: a fixed algorithm, so the output never depends on the standard library.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform enough in [0, n) for n > 0 (modulo bias is irrelevant here).
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }
  bool PerMille(int p) { return Below(1000) < static_cast<size_t>(p); }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Below(v.size())];
  }

 private:
  uint64_t state_;
};

constexpr std::array kTenantNames = {
    "Acme Retail",        "Globex Health",     "Initech Insurance", "Umbrella Pharma",
    "Stark Energy",       "Wayne Logistics",   "Wonka Foods",       "Soylent Telecom",
    "Hooli Cloud",        "Cyberdyne Systems", "Tyrell Mobility",   "Vandelay Imports",
    "Oceanic Airlines",   "Gringotts Banking", "Monarch Travel",    "Pied Piper Media",
    "Dunder Paper",       "Aperture Labs",     "Massive Dynamic",   "Nakatomi Trading",
    "Prestige Worldwide", "Sterling Ads",      "Vehement Capital",  "Blue Sun Utilities",
    "Weyland Freight",    "Oscorp Devices",    "Rekall Leisure",    "Virtucon Retail",
    "Bluth Homes",        "Krusty Restaurants"};

constexpr std::array kDivisionSuffixes = {"Sales",       "Support",     "Billing", "Collections",
                                          "Retention",   "Back Office", "Quality", "Workforce",
                                          "Escalations", "Chat",        "Email",   "Outbound"};

constexpr std::array kTeamWords = {"Sales",     "Support", "Billing", "Collections",
                                   "Retention", "Chat",    "Voice",   "Email"};

constexpr std::array kFirstNames = {"Ana",   "Ben",    "Chloe", "Dev",    "Elena", "Farid",
                                    "Grace", "Hiro",   "Ines",  "Jamal",  "Kira",  "Luis",
                                    "Maya",  "Nikhil", "Olga",  "Pedro",  "Quinn", "Rosa",
                                    "Sam",   "Tariq",  "Uma",   "Victor", "Wen",   "Yusuf"};

constexpr std::array kLastNames = {"Alvarez", "Brown",    "Chen",   "Dubois", "Evans",  "Fischer",
                                   "Garcia",  "Haddad",   "Ito",    "Jensen", "Kowal",  "Lopez",
                                   "Moreau",  "Nakamura", "Okafor", "Patel",  "Quispe", "Rossi",
                                   "Singh",   "Tanaka",   "Usman",  "Varga",  "Weber",  "Zhang"};

enum class RoleKind { kAdmin, kAgent, kSupervisor, kIntegration };

struct RoleTemplate {
  const char* name;
  RoleKind kind;
};

// Genesys Cloud default roles (and a few common custom ones), in the order they are used.
constexpr std::array<RoleTemplate, 25> kRoleTemplates = {{
    {"admin", RoleKind::kAdmin},
    {"employee", RoleKind::kAgent},
    {"Communicate - User", RoleKind::kAgent},
    {"Supervisor", RoleKind::kSupervisor},
    {"Quality Evaluator", RoleKind::kSupervisor},
    {"Contact Center Agent", RoleKind::kAgent},
    {"Reporting Admin", RoleKind::kIntegration},
    {"Outbound Agent", RoleKind::kAgent},
    {"Contact Center Manager", RoleKind::kSupervisor},
    {"Workforce Management Administrator", RoleKind::kIntegration},
    {"Master Admin", RoleKind::kAdmin},
    {"Chat Agent", RoleKind::kAgent},
    {"Quality Administrator", RoleKind::kSupervisor},
    {"Telephony Admin", RoleKind::kIntegration},
    {"Email Agent", RoleKind::kAgent},
    {"Scheduler", RoleKind::kSupervisor},
    {"Recording Admin", RoleKind::kIntegration},
    {"Routing Admin", RoleKind::kIntegration},
    {"Outbound Admin", RoleKind::kIntegration},
    {"Architect Admin", RoleKind::kIntegration},
    {"Speech and Text Analytics Admin", RoleKind::kIntegration},
    {"Learning Admin", RoleKind::kIntegration},
    {"Digital Agent", RoleKind::kAgent},
    {"Trusted External User", RoleKind::kIntegration},
    {"Integration Admin", RoleKind::kIntegration},
}};

std::string ZeroPad(int value, int width) {
  std::string s = std::to_string(value);
  if (static_cast<int>(s.size()) < width) s.insert(0, width - s.size(), '0');
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}
// v2: the permission catalog. Named domains with their real entity types; every entity gets the
// base actions plus 1–3 extra ones. `aware` is the domain's divisionAware flag.
struct CatalogSeed {
  const char* domain;
  bool aware;
  std::array<const char*, 8> entities;
};
constexpr std::array kCatalogSeeds = {
    CatalogSeed{"analytics",
                false,
                {"conversationAggregate", "conversationDetail", "userDetail", "userAggregate",
                 "queueObservation", "dataExport", "reportingSettings", "flowAggregate"}},
    CatalogSeed{"architect",
                true,
                {"flow", "dataTable", "prompt", "schedule", "scheduleGroup", "emergencyGroup",
                 "ivr", "systemPrompt"}},
    CatalogSeed{"authorization",
                false,
                {"role", "division", "grant", "orgTrusteeUser", "orgTrusteeGroup", "policy",
                 "settings", nullptr}},
    CatalogSeed{"conversation",
                true,
                {"call", "chat", "email", "message", "callback", "communication", "participant",
                 "transcript"}},
    CatalogSeed{
        "directory",
        false,
        {"user", "group", "organization", "userProfile", "location", "team", "skill", nullptr}},
    CatalogSeed{"integrations",
                false,
                {"integration", "action", "credential", "customAction", "appInstance", nullptr,
                 nullptr, nullptr}},
    CatalogSeed{"oauth",
                false,
                {"client", "authorization", "token", nullptr, nullptr, nullptr, nullptr, nullptr}},
    CatalogSeed{"outbound",
                true,
                {"campaign", "contactList", "dncList", "ruleset", "callableTime", "responseSet",
                 "sequence", "attemptLimits"}},
    CatalogSeed{"presence",
                false,
                {"userPresence", "presenceDefinition", "status", nullptr, nullptr, nullptr, nullptr,
                 nullptr}},
    CatalogSeed{"quality",
                true,
                {"evaluation", "evaluationForm", "calibration", "survey", "surveyForm",
                 "mediaPolicy", nullptr, nullptr}},
    CatalogSeed{"recording",
                false,
                {"recording", "recordingSegment", "retentionPolicy", "screenRecording",
                 "annotation", "orphan", nullptr, nullptr}},
    CatalogSeed{"routing",
                true,
                {"queue", "wrapupCode", "skill", "language", "utilization", "emailDomain",
                 "smsAddress", "predictor"}},
    CatalogSeed{"workforceManagement",
                true,
                {"schedule", "forecast", "timeOffRequest", "managementUnit", "businessUnit",
                 "shiftTrade", "adherence", "workPlan"}},
};
constexpr std::array kBaseActions = {"view", "add", "edit", "delete"};
constexpr std::array kExtraActions = {"upload",  "download", "execute", "publish", "assign",
                                      "approve", "export",   "search",  "manage",  "join"};
constexpr std::array kGenericDomains = {"alerting",
                                        "api",
                                        "audits",
                                        "billing",
                                        "bots",
                                        "callback",
                                        "coaching",
                                        "contentmanagement",
                                        "dataActions",
                                        "datatables",
                                        "email",
                                        "employeeperformance",
                                        "externalContacts",
                                        "fax",
                                        "gamification",
                                        "gdpr",
                                        "greetings",
                                        "guides",
                                        "infrastructureascode",
                                        "journey",
                                        "knowledge",
                                        "languageUnderstanding",
                                        "learning",
                                        "limits",
                                        "locations",
                                        "messaging",
                                        "mobiledevices",
                                        "notifications",
                                        "orgauthorization",
                                        "pciDss",
                                        "processAutomation",
                                        "registration",
                                        "response",
                                        "scripter",
                                        "search",
                                        "speechAndTextAnalytics",
                                        "station",
                                        "telephony",
                                        "textbots",
                                        "uploads",
                                        "usage",
                                        "userRecordings",
                                        "voicemail",
                                        "webchat",
                                        "webdeployments",
                                        "widgets",
                                        "agentAssistant",
                                        "assistants",
                                        "businessRules",
                                        "cobrowse",
                                        "copilot",
                                        "customerIntent",
                                        "dataPrivacy",
                                        "emails",
                                        "engagement",
                                        "evaluations",
                                        "flowMetrics",
                                        "identityProviders",
                                        "intents",
                                        "ipranges",
                                        "journeyManagement",
                                        "marketplace",
                                        "socialMedia",
                                        "taskManagement",
                                        "teams",
                                        "topics",
                                        "transcription",
                                        "utilization",
                                        "workitems"};
constexpr std::array kGenericEntities = {"config", "setting", "job",    "template", "schedule",
                                         "report", "export",  "import", "rule",     "policy",
                                         "asset",  "event",   "metric", "instance"};
struct PinnedPermission {
  const char* domain;
  const char* entity;
  const char* action;
  bool aware;
};
constexpr std::array kPinnedPermissions = {
    PinnedPermission{"authorization", "grant", "add", true},
    PinnedPermission{"authorization", "grant", "delete", true},
    PinnedPermission{"authorization", "grant", "view", true},
    PinnedPermission{"directory", "organization", "admin", false},
    PinnedPermission{"directory", "user", "view", true},
    PinnedPermission{"directory", "group", "add", false},
    PinnedPermission{"directory", "group", "edit", false},
    PinnedPermission{"oauth", "client", "add", false},
    PinnedPermission{"oauth", "client", "edit", false},
    PinnedPermission{"analytics", "conversationDetail", "view", false},
    PinnedPermission{"analytics", "conversationAggregate", "view", true},
    PinnedPermission{"recording", "recording", "view", true},
    PinnedPermission{"routing", "queue", "join", true},
};

class OrgBuilder {
 public:
  explicit OrgBuilder(const GenerateSpec& spec)
      : spec_(spec),
        rng_(spec.seed ^ 0x5d1a7a5eed5eed01ULL),
        id_rng_(spec.seed * 0x2545f4914f6cdd1dULL + 0x1d5ULL),
        scale_(3 + spec.users / 10000) {}

  OrgFixture Build() {
    ids_.reserve(static_cast<size_t>(spec_.users) + spec_.divisions + spec_.groups + spec_.roles +
                 spec_.clients + 16);
    MakeRoles();
    MakeDivisions();
    MakeGroups();
    MakeUsers();
    MakeClients();
    MakeTrustees();
    MakeCatalog();
    MakeRolePolicies();
    PlantOrgWide();
    MakePolicy();
    MakeQueues();
    MakeConversations();
    for (size_t i = 0; i < org().groups.size(); ++i) {
      std::vector<std::string>& m = members_[i];
      std::sort(m.begin(), m.end());
      m.erase(std::unique(m.begin(), m.end()), m.end());
      org().groups[i].member_ids = std::move(m);
      org().groups[i].members_read = true;
    }
    audit::Canonicalize(org());
    return std::move(fixture_);
  }

 private:
  audit::OrgSnapshot& org() { return fixture_.org; }

  // A version-4-shaped GUID, unique within this org.
  std::string NewId() {
    static constexpr char kHex[] = "0123456789abcdef";
    for (;;) {
      const uint64_t hi = id_rng_.Next();
      const uint64_t lo = id_rng_.Next();
      char hex[32];
      for (int i = 0; i < 16; ++i) {
        hex[i] = kHex[(hi >> (60 - 4 * i)) & 15];
        hex[16 + i] = kHex[(lo >> (60 - 4 * i)) & 15];
      }
      hex[12] = '4';
      hex[16] = kHex[8 + ((lo >> 60) & 3)];
      std::string id;
      id.reserve(36);
      id.append(hex, 8).push_back('-');
      id.append(hex + 8, 4).push_back('-');
      id.append(hex + 12, 4).push_back('-');
      id.append(hex + 16, 4).push_back('-');
      id.append(hex + 20, 12);
      if (ids_.insert(id).second) return id;
    }
  }

  void Grant(SubjectType type, const std::string& subject, const std::string& role,
             const std::string& division) {
    org().grants.push_back({type, subject, role, division});
  }

  const std::string& RandomDivisionOf(size_t tenant) {
    return rng_.Pick(tenant_divisions_[tenant]);
  }

  // ---- roles ----
  void MakeRoles() {
    for (int i = 0; i < spec_.roles; ++i) {
      audit::Role role{NewId(), ""};
      RoleKind kind;
      if (i < static_cast<int>(kRoleTemplates.size())) {
        role.name = kRoleTemplates[i].name;
        kind = kRoleTemplates[i].kind;
      } else {
        role.name = "Custom Role " + ZeroPad(i + 1, 2);
        kind = i % 2 == 0 ? RoleKind::kAgent : RoleKind::kSupervisor;
      }
      switch (kind) {
        case RoleKind::kAdmin:
          admin_roles_.push_back(role.id);
          break;
        case RoleKind::kAgent:
          agent_roles_.push_back(role.id);
          break;
        case RoleKind::kSupervisor:
          supervisor_roles_.push_back(role.id);
          break;
        case RoleKind::kIntegration:
          integration_roles_.push_back(role.id);
          break;
      }
      org().roles.push_back(std::move(role));
    }
    if (integration_roles_.empty()) integration_roles_ = supervisor_roles_;
  }

  // ---- divisions and tenants ----
  void MakeDivisions() {
    const int d = spec_.divisions;
    const bool has_shared_services = d >= 12;
    const int unmapped = 2;
    const int tenant_divisions = d - 1 - (has_shared_services ? 1 : 0) - unmapped;
    const int tenants = TenantCount(spec_);

    home_division_ = NewId();
    org().divisions.push_back({home_division_, "Home", "The org's default division", true});
    if (has_shared_services) {
      shared_services_ = NewId();
      org().divisions.push_back({shared_services_, "Shared Services",
                                 "Workforce, IT and reporting for every client", false});
    }
    static constexpr std::array kUnmappedNames = {"Legacy Migration", "Pilot Sandbox"};
    for (int i = 0; i < unmapped; ++i) {
      unmapped_divisions_.push_back(NewId());
      org().divisions.push_back(
          {unmapped_divisions_.back(), kUnmappedNames[i], "Not yet assigned to a client", false});
    }
    // Divisions deleted since their grants were made: ids the listing no longer contains.
    deleted_divisions_ = {NewId(), NewId()};

    const int pad = static_cast<int>(std::to_string(tenants).size()) < 3
                        ? 3
                        : static_cast<int>(std::to_string(tenants).size());
    tenant_divisions_.resize(tenants);
    for (int t = 0; t < tenants; ++t) {
      const std::string name = t < static_cast<int>(kTenantNames.size())
                                   ? std::string(kTenantNames[t])
                                   : "Client " + ZeroPad(t + 1, pad);
      tenant_names_.push_back(name);
      const int count = tenant_divisions / tenants + (t < tenant_divisions % tenants ? 1 : 0);
      for (int j = 0; j < count; ++j) {
        std::string division_name = name;
        if (j > 0) {
          division_name += " - ";
          division_name += j - 1 < static_cast<int>(kDivisionSuffixes.size())
                               ? std::string(kDivisionSuffixes[j - 1])
                               : "Team " + std::to_string(j);
        }
        tenant_divisions_[t].push_back(NewId());
        org().divisions.push_back(
            {tenant_divisions_[t].back(), division_name, "Client division of " + name, false});
      }
    }
  }

  size_t tenant_count() const { return tenant_divisions_.size(); }

  // ---- groups ----
  size_t AddGroup(std::string name, bool roles_enabled) {
    org().groups.push_back({NewId(), std::move(name), roles_enabled, {}, true});
    members_.emplace_back();
    return org().groups.size() - 1;
  }

  void MakeGroups() {
    const int g = spec_.groups;
    const size_t t = tenant_count();
    const int multi_tenant = std::clamp(g / 10, 1, scale_);
    const int empty_with_grants = 1 + g / 100;
    const int without_grants = std::max(1, g / 20);
    const int disabled = std::max(1, g / 20);
    const int team = g - multi_tenant - 1 - empty_with_grants - without_grants - disabled;

    tenant_team_groups_.resize(t);
    for (int i = 0; i < team; ++i) {
      const size_t tenant = static_cast<size_t>(i) % t;
      const size_t n = tenant_team_groups_[tenant].size() + 1;
      const std::string word = kTeamWords[(i / t) % kTeamWords.size()];
      const size_t gi =
          AddGroup(tenant_names_[tenant] + " - " + word + " Team " + std::to_string(n), true);
      team_groups_.push_back(gi);
      team_group_tenant_.push_back(tenant);
      tenant_team_groups_[tenant].push_back(gi);
      AddTenantGrants(SubjectType::kGroup, org().groups[gi].id, tenant, agent_roles_, 2, 3);
    }
    // A team whose roles were switched off after its grants were made: the API still lists the
    // grants, and they still count for its members (a planted moved user is one of them).
    disabled_team_group_ = team_groups_[1];
    org().groups[disabled_team_group_].roles_enabled = false;
    // An orphaned grant held by a group: found once, on the group, never on its members.
    Grant(SubjectType::kGroup, org().groups[team_groups_[0]].id, agent_roles_[0],
          deleted_divisions_[0]);

    for (int i = 0; i < multi_tenant; ++i) {
      const size_t a = static_cast<size_t>(i) % t;
      const size_t b = (a + 1) % t;
      const size_t gi =
          AddGroup(tenant_names_[a] + " + " + tenant_names_[b] + " Overflow Desk", true);
      const std::string& id = org().groups[gi].id;
      Grant(SubjectType::kGroup, id, agent_roles_[0], RandomDivisionOf(a));
      const std::string& role_b = agent_roles_[1 % agent_roles_.size()];
      const std::string& division_b = RandomDivisionOf(b);
      Grant(SubjectType::kGroup, id, role_b, division_b);
      multi_tenant_groups_.push_back({gi, a, role_b, division_b});
    }

    global_admin_group_ = AddGroup("Global Administrators", true);
    Grant(SubjectType::kGroup, org().groups[global_admin_group_].id, admin_roles_[0],
          std::string(audit::kAllDivisionsId));

    for (int i = 0; i < empty_with_grants; ++i) {
      const size_t tenant = static_cast<size_t>(i) % t;
      const size_t gi =
          AddGroup(tenant_names_[tenant] + " - New Hire Cohort " + std::to_string(i / t + 1), true);
      AddTenantGrants(SubjectType::kGroup, org().groups[gi].id, tenant, agent_roles_, 1, 2);
    }
    for (int i = 0; i < without_grants; ++i) {
      const size_t tenant = static_cast<size_t>(i) % t;
      announcement_groups_.push_back(
          AddGroup(tenant_names_[tenant] + " - Announcements " + std::to_string(i / t + 1), true));
    }
    for (int i = 0; i < disabled; ++i) {
      social_groups_.push_back(AddGroup("Social Committee " + std::to_string(i + 1), false));
    }
  }

  // Grants `roles_per_subject` (at least 1, up to max) distinct roles from `pool`, each on
  // 1..max_divisions divisions of `tenant`.
  void AddTenantGrants(SubjectType type, const std::string& subject, size_t tenant,
                       const std::vector<std::string>& pool, size_t min_roles, size_t max_roles,
                       size_t max_divisions = 3) {
    const size_t roles = std::min(pool.size(), min_roles + rng_.Below(max_roles - min_roles + 1));
    std::vector<size_t> role_order(pool.size());
    for (size_t i = 0; i < role_order.size(); ++i) role_order[i] = i;
    const std::vector<std::string>& divisions = tenant_divisions_[tenant];
    std::vector<size_t> division_order(divisions.size());
    for (size_t r = 0; r < roles; ++r) {
      std::swap(role_order[r], role_order[r + rng_.Below(role_order.size() - r)]);
      const std::string& role = pool[role_order[r]];
      for (size_t i = 0; i < division_order.size(); ++i) division_order[i] = i;
      const size_t n = 1 + rng_.Below(std::min(max_divisions, divisions.size()));
      for (size_t k = 0; k < n; ++k) {
        std::swap(division_order[k], division_order[k + rng_.Below(division_order.size() - k)]);
        Grant(type, subject, role, divisions[division_order[k]]);
      }
    }
  }

  // ---- users ----
  size_t AddUser(const std::string& home_division, std::string state,
                 std::string name = std::string()) {
    const size_t n = org().users.size() + 1;
    const std::string_view first = kFirstNames[rng_.Below(kFirstNames.size())];
    const std::string_view last = kLastNames[rng_.Below(kLastNames.size())];
    std::string email =
        Lower(first) + "." + Lower(last) + "." + std::to_string(n) + "@bpo.example.com";
    if (name.empty()) name = std::string(first) + " " + std::string(last);
    org().users.push_back(
        {NewId(), std::move(name), std::move(email), home_division, std::move(state)});
    return org().users.size() - 1;
  }

  const std::string& UserId(size_t u) { return org().users[u].id; }

  // An agent homed in a division of `tenant`, with ~10 direct grants on that tenant.
  size_t AddAgent(size_t tenant, std::string state = "active") {
    const std::string& home = RandomDivisionOf(tenant);
    const size_t u = AddUser(home, std::move(state));
    Grant(SubjectType::kUser, UserId(u), agent_roles_[0], home);
    AddTenantGrants(SubjectType::kUser, UserId(u), tenant, agent_roles_, 2, 4, 5);
    return u;
  }

  void Join(size_t group, size_t user) { members_[group].push_back(UserId(user)); }

  void MakeUsers() {
    const size_t t = tenant_count();
    const std::string all(audit::kAllDivisionsId);
    const int k = scale_;
    org().grants.reserve(static_cast<size_t>(spec_.users) * 11 + 1000);
    org().users.reserve(spec_.users);

    // Org admins on All Divisions; #0 is the break-glass admin with an active exception,
    // #1 has an expired one.
    const int admins = 3 + spec_.users / 20000;
    for (int i = 0; i < admins; ++i) {
      const size_t u = AddUser(home_division_, "active",
                               i == 0 ? "Break-Glass Admin" : "Org Admin " + std::to_string(i));
      Grant(SubjectType::kUser, UserId(u), admin_roles_[0], all);
      admin_users_.push_back(u);
    }
    // Members of the All-Divisions group (findings via the group).
    for (int i = 0; i < 2; ++i) {
      Join(global_admin_group_, AddUser(home_division_, "active"));
    }
    for (int i = 0; i < k; ++i) {
      const size_t a = static_cast<size_t>(i) % t;
      const size_t b = (a + 1) % t;
      // Arguments are evaluated in an unspecified order: every random draw gets its own
      // statement so the output cannot depend on the compiler.
      // cross_tenant, direct.
      {
        const size_t u = AddAgent(a);
        const std::string& role = rng_.Pick(agent_roles_);
        Grant(SubjectType::kUser, UserId(u), role, RandomDivisionOf(b));
      }
      // cross_tenant, direct, on an inactive user.
      {
        const size_t u = AddAgent(a, "inactive");
        const std::string& role = rng_.Pick(agent_roles_);
        Grant(SubjectType::kUser, UserId(u), role, RandomDivisionOf(b));
      }
      // A user moved to another tenant, still in the old tenant's team (via group); #0 is in
      // the team whose roles were switched off.
      {
        const size_t team = i == 0 ? disabled_team_group_ : team_groups_[i % team_groups_.size()];
        size_t old_tenant = 0;
        for (size_t j = 0; j < team_groups_.size(); ++j) {
          if (team_groups_[j] == team) old_tenant = team_group_tenant_[j];
        }
        const size_t u = AddAgent((old_tenant + 1) % t);
        Join(team, u);
      }
      // The same role on the same division directly and via a two-tenant group.
      {
        const MultiTenantGroup& mg = multi_tenant_groups_[i % multi_tenant_groups_.size()];
        const size_t u = AddAgent(mg.tenant_a);
        Join(mg.group, u);
        Grant(SubjectType::kUser, UserId(u), mg.role_b, mg.division_b);
      }
      // A user homed in Home reaching two tenants directly (multi_tenant_subject).
      {
        const size_t u = AddUser(home_division_, "active");
        const std::string& role_a = rng_.Pick(agent_roles_);
        Grant(SubjectType::kUser, UserId(u), role_a, RandomDivisionOf(a));
        const std::string& role_b = rng_.Pick(agent_roles_);
        Grant(SubjectType::kUser, UserId(u), role_b, RandomDivisionOf(b));
      }
      // orphaned_grant on a user.
      {
        const size_t u = AddAgent(a);
        const std::string& role = rng_.Pick(agent_roles_);
        Grant(SubjectType::kUser, UserId(u), role,
              deleted_divisions_[static_cast<size_t>(i) % deleted_divisions_.size()]);
      }
      // A grant on an unmapped division: unmapped_division, never cross_tenant.
      if (i % 2 == 0) {
        const size_t u = AddAgent(a);
        const std::string& role = rng_.Pick(agent_roles_);
        Grant(SubjectType::kUser, UserId(u), role, unmapped_divisions_.back());
      }
    }
    // A user homed in Home reaching two tenants only through team groups.
    {
      const size_t u = AddUser(home_division_, "active");
      Join(tenant_team_groups_[0].back(), u);
      Join(tenant_team_groups_[1].back(), u);
    }
    // Users homed in an unmapped division: no home tenant; #0 reaches two tenants.
    const int unmapped_home = 1 + spec_.users / 25000;
    for (int i = 0; i < unmapped_home; ++i) {
      const size_t u = AddUser(unmapped_divisions_.front(), "active");
      if (i == 0) {
        Grant(SubjectType::kUser, UserId(u), agent_roles_[0], RandomDivisionOf(0));
        Grant(SubjectType::kUser, UserId(u), agent_roles_[0], RandomDivisionOf(1));
      }
    }

    // Everyone else: a clean BPO workforce.
    while (org().users.size() < static_cast<size_t>(spec_.users)) {
      const size_t roll = rng_.Below(1000);
      if (roll >= 970) {  // deleted: moved to Home, grants and memberships gone
        AddUser(home_division_, "deleted");
        continue;
      }
      const size_t tenant = rng_.Below(t);
      const size_t u = AddAgent(tenant, roll < 850 ? "active" : "inactive");
      if (rng_.PerMille(60)) {  // supervisors: supervisor roles on every division of the tenant
        for (size_t r = 0; r < std::min<size_t>(2, supervisor_roles_.size()); ++r) {
          for (const std::string& d : tenant_divisions_[tenant]) {
            Grant(SubjectType::kUser, UserId(u), supervisor_roles_[r], d);
          }
        }
      }
      const std::vector<size_t>& teams = tenant_team_groups_[tenant];
      if (!teams.empty() && rng_.PerMille(800)) Join(rng_.Pick(teams), u);
      if (!teams.empty() && rng_.PerMille(150)) Join(rng_.Pick(teams), u);
      if (!announcement_groups_.empty() && rng_.PerMille(100)) {
        Join(rng_.Pick(announcement_groups_), u);
      }
      if (rng_.PerMille(50)) Join(rng_.Pick(social_groups_), u);
    }
  }

  // ---- OAuth clients and trustees ----
  size_t AddClient(std::string name, std::string grant_type, std::string state = "active") {
    org().oauth_clients.push_back(
        {NewId(), std::move(name), std::move(grant_type), std::move(state), {}});
    return org().oauth_clients.size() - 1;
  }

  void ClientGrant(size_t c, const std::string& role, const std::string& division) {
    audit::OAuthClient& client = org().oauth_clients[c];
    client.role_divisions.push_back({role, division});
    Grant(SubjectType::kOAuthClient, client.id, role, division);
  }

  void MakeClients() {
    const size_t t = tenant_count();
    const int c = spec_.clients;
    const int multi_tenant = std::clamp(c / 10, 1, scale_);
    const int interactive = std::max(1, c / 4);

    ClientGrant(AddClient("Org Backup Integration", "CLIENT-CREDENTIALS"), admin_roles_.back(),
                std::string(audit::kAllDivisionsId));
    for (int i = 0; i < multi_tenant; ++i) {
      const size_t a = static_cast<size_t>(i) % t;
      const size_t ci =
          AddClient("Shared WFM Connector " + std::to_string(i + 1), "CLIENT-CREDENTIALS");
      const std::string& role = rng_.Pick(integration_roles_);
      ClientGrant(ci, role, RandomDivisionOf(a));
      ClientGrant(ci, role, RandomDivisionOf((a + 1) % t));
    }
    for (int i = 0; i < interactive; ++i) {
      AddClient(i % 2 == 0 ? "Agent Desktop " + std::to_string(i / 2 + 1)
                           : "Wallboard " + std::to_string(i / 2 + 1),
                i % 2 == 0 ? "CODE" : "TOKEN", i % 3 == 2 ? "disabled" : "active");
    }
    static constexpr std::array kIntegrations = {"CRM Sync", "Speech Analytics Export",
                                                 "Workforce Import", "Recording Archive",
                                                 "Survey Connector"};
    const int rest = c - 1 - multi_tenant - interactive;
    for (int i = 0; i < rest; ++i) {
      const size_t tenant = static_cast<size_t>(i) % t;
      const size_t ci =
          AddClient(tenant_names_[tenant] + " - " + kIntegrations[(i / t) % kIntegrations.size()] +
                        (i / t >= kIntegrations.size() ? " " + std::to_string(i / t + 1) : ""),
                    "CLIENT-CREDENTIALS");
      const std::vector<std::string>& divisions = tenant_divisions_[tenant];
      const std::string& role = rng_.Pick(integration_roles_);
      const size_t n = 1 + rng_.Below(std::min<size_t>(3, divisions.size()));
      for (size_t k = 0; k < n; ++k) ClientGrant(ci, role, divisions[(k * 7) % divisions.size()]);
    }
    for (audit::OAuthClient& client : org().oauth_clients) {
      std::sort(client.role_divisions.begin(), client.role_divisions.end());
      client.role_divisions.erase(
          std::unique(client.role_divisions.begin(), client.role_divisions.end()),
          client.role_divisions.end());
    }
  }

  void MakeTrustees() {
    auto add = [&](std::string name, SubjectType type) {
      org().external_subjects.push_back(
          {NewId(), std::move(name), type, std::string(audit::SubjectTypeGenesysName(type))});
      return org().external_subjects.back().id;
    };
    const std::string support = add("Partner Support Desk", SubjectType::kTrusteeUser);
    Grant(SubjectType::kTrusteeUser, support, admin_roles_[0], std::string(audit::kAllDivisionsId));
    const std::string qa = add("Partner QA Team", SubjectType::kTrusteeGroup);
    Grant(SubjectType::kTrusteeGroup, qa, supervisor_roles_.back(), RandomDivisionOf(0));
    Grant(SubjectType::kTrusteeGroup, qa, supervisor_roles_.back(), RandomDivisionOf(1));
    const std::string auditor = add("Partner Auditor", SubjectType::kTrusteeUser);
    Grant(SubjectType::kTrusteeUser, auditor, supervisor_roles_.front(), RandomDivisionOf(0));
  }

  // ---- v2: permission catalog, role policies, role settings, org-wide plants ----
  // The catalog is the platform's, not the org's: the same for every spec (its own fixed-seed
  // stream, so the v1 draws above are unchanged).
  void MakeCatalog() {
    Rng r(0xca7a1067ULL);
    std::vector<audit::CatalogPermission>& out = org().permissions;
    auto add = [&](std::string_view domain, std::string_view entity, std::string_view action,
                   bool aware) {
      out.push_back({std::string(domain), std::string(entity), std::string(action), aware});
    };
    for (const CatalogSeed& seed : kCatalogSeeds) {
      for (const char* entity : seed.entities) {
        if (entity == nullptr) break;
        for (const char* action : kBaseActions) add(seed.domain, entity, action, seed.aware);
        const size_t extra = 1 + r.Below(3);
        for (size_t i = 0; i < extra; ++i) {
          add(seed.domain, entity, kExtraActions[r.Below(kExtraActions.size())], seed.aware);
        }
      }
    }
    // Generic domains: entity types and division-awareness drawn from the fixed stream.
    for (const char* domain : kGenericDomains) {
      const size_t entities = 3 + r.Below(6);
      std::vector<size_t> order(kGenericEntities.size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = i;
      for (size_t e = 0; e < entities; ++e) {
        std::swap(order[e], order[e + r.Below(order.size() - e)]);
        const bool aware = r.PerMille(400);
        for (const char* action : kBaseActions) {
          add(domain, kGenericEntities[order[e]], action, aware);
        }
        const size_t extra = r.Below(3);
        for (size_t i = 0; i < extra; ++i) {
          add(domain, kGenericEntities[order[e]], kExtraActions[r.Below(kExtraActions.size())],
              aware);
        }
      }
    }
    // The permissions docs/rules.md names, with the flags the rules depend on. The grant
    // permissions are division-aware in the catalog: only the role setting makes them org-wide.
    for (const auto& pinned : kPinnedPermissions) {
      const auto& [domain, entity, action, aware] = pinned;
      // (clang 14 cannot capture structured bindings: compare through `pinned`.)
      std::erase_if(out, [&pinned](const audit::CatalogPermission& c) {
        const auto& [d, e, a, unused] = pinned;
        return c.domain == d && c.entity_type == e && c.action == a;
      });
      add(domain, entity, action, aware);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end(),
                          [](const audit::CatalogPermission& a, const audit::CatalogPermission& b) {
                            return a.domain == b.domain && a.entity_type == b.entity_type &&
                                   a.action == b.action;
                          }),
              out.end());
    // Division-aware role management is off in two orgs of three (seed % 3 != 0).
    org().role_settings = audit::RoleSettings{spec_.seed % 3 == 0, spec_.seed % 2 == 0};
  }

  static audit::PermissionPolicy Policy(std::string domain, std::string entity,
                                        std::vector<std::string> actions, bool narrowed = false) {
    std::sort(actions.begin(), actions.end());
    return {std::move(domain), std::move(entity), std::move(actions), narrowed};
  }

  // Agents, supervisors and integrations reach only permissions no default org-wide pattern
  // selects (or division-aware ones): the planted holders below are the only findings.
  void MakeRolePolicies() {
    std::unordered_set<std::string> admins(admin_roles_.begin(), admin_roles_.end());
    std::unordered_set<std::string> agents(agent_roles_.begin(), agent_roles_.end());
    std::unordered_set<std::string> supervisors(supervisor_roles_.begin(), supervisor_roles_.end());
    for (audit::Role& role : org().roles) {
      std::vector<audit::PermissionPolicy>& p = role.policies;
      if (admins.contains(role.id)) {
        p.push_back(Policy("*", "*", {"*"}));
      } else if (agents.contains(role.id)) {
        p.push_back(Policy("conversation", "*", {"*"}));
        p.push_back(Policy("routing", "queue", {"view", "join"}));
        p.push_back(Policy("directory", "user", {"view"}));
        p.push_back(Policy("presence", "*", {"view", "edit"}));
      } else if (supervisors.contains(role.id)) {
        p.push_back(Policy("quality", "evaluation", {"*"}));
        p.push_back(Policy("analytics", "conversationAggregate", {"view"}));
        // Named by the default pattern recording:*:*, but division-aware: never counts.
        p.push_back(Policy("recording", "recording", {"view"}));
        // Org-wide and selected, but narrowed by a condition: gives nothing.
        p.push_back(Policy("analytics", "conversationDetail", {"view"}, true));
        p.push_back(Policy("routing", "queue", {"*"}));
      } else {
        p.push_back(Policy("routing", "*", {"*"}));
        p.push_back(Policy("outbound", "*", {"*"}));
        p.push_back(Policy("architect", "*", {"view"}));
        p.push_back(Policy("workforceManagement", "*", {"*"}));
      }
    }
    // One policy on a domain the catalog does not list (counted by the sweep, not an error).
    org().roles.front().policies.push_back(Policy("legacyWorkspace", "*", {"view"}));
  }

  // The precedence cases of docs/rules.md, all with the admin role (policy *:*:*).
  void PlantOrgWide() {
    const std::string& role = admin_roles_[0];
    // Direct, on two divisions of the holder's own tenant (one finding, two divisions).
    for (size_t i = org().users.size(); i-- > 0;) {
      const audit::User& u = org().users[i];
      size_t tenant = tenant_count();
      for (size_t t = 0; t < tenant_count(); ++t) {
        const auto& ds = tenant_divisions_[t];
        if (std::find(ds.begin(), ds.end(), u.home_division_id) != ds.end()) tenant = t;
      }
      if (u.state != "active" || tenant == tenant_count()) continue;
      const std::string id = u.id;
      for (const std::string& d : tenant_divisions_[tenant]) {
        Grant(SubjectType::kUser, id, role, d);
        if (d != u.home_division_id) break;
      }
      Grant(SubjectType::kUser, id, role, u.home_division_id);
      org_wide_user_ = id;
      break;
    }
    // A group and each of its members (via the group), on the shared Home division.
    org_wide_group_ = team_groups_.back();
    Grant(SubjectType::kGroup, org().groups[org_wide_group_].id, role, home_division_);
    // An OAuth client on its own tenant's division.
    const size_t client = org().oauth_clients.size() - 1;
    const std::string division = org().oauth_clients[client].role_divisions.front().division_id;
    ClientGrant(client, role, division);
    std::sort(org().oauth_clients[client].role_divisions.begin(),
              org().oauth_clients[client].role_divisions.end());
    // A trustee user on the shared Home division.
    for (const audit::ExternalSubject& x : org().external_subjects) {
      if (x.name == "Partner Auditor") Grant(SubjectType::kTrusteeUser, x.id, role, home_division_);
    }
    // On "*" as well: only all_divisions (the group and an org admin also hold it on Home).
    Grant(SubjectType::kGroup, org().groups[global_admin_group_].id, role, home_division_);
    Grant(SubjectType::kUser, UserId(admin_users_.back()), role, home_division_);
    // On a deleted division only (an agent with an orphaned grant): only orphaned_grant.
    for (size_t i = 0; i < org().grants.size(); ++i) {
      const audit::Grant& g = org().grants[i];
      if (g.subject_type == SubjectType::kUser && g.division_id == deleted_divisions_.front()) {
        const std::string holder = g.subject_id.str();
        Grant(SubjectType::kUser, holder, role, deleted_divisions_.back());
        break;
      }
    }
  }

  // ---- policy ----
  void MakePolicy() {
    audit::Policy& policy = fixture_.policy;
    policy.shared_divisions.push_back("Home");
    if (!shared_services_.empty()) policy.shared_divisions.push_back(shared_services_);
    for (size_t t = 0; t < tenant_count(); ++t) {
      audit::TenantSpec spec{tenant_names_[t], {}};
      switch (t % 3) {
        case 0:  // exact name plus a glob
          spec.divisions = {tenant_names_[t], tenant_names_[t] + " *"};
          break;
        case 1:  // ids
          spec.divisions = tenant_divisions_[t];
          break;
        default:  // the first division's id plus a glob over the others
          spec.divisions = {tenant_divisions_[t].front(), tenant_names_[t] + " - *"};
          break;
      }
      policy.tenants.push_back(std::move(spec));
    }
    auto exception = [&](std::string subject, std::optional<std::string> role, std::string reason,
                         std::string owner, std::string expires) {
      audit::ExceptionSpec x;
      x.rule = audit::Rule::kAllDivisions;
      x.subject_id = std::move(subject);
      x.role_id = std::move(role);
      x.reason = std::move(reason);
      x.owner = std::move(owner);
      x.expires = std::move(expires);
      // End of the `expires` day, UTC, as ParseOrgJson computes it.
      Result<SystemTime> day = ParseIso8601(x.expires);
      x.expires_at = day.value() + std::chrono::hours(24) - SystemTime::duration(1);
      policy.exceptions.push_back(std::move(x));
    };
    exception(UserId(admin_users_[0]), admin_roles_[0], "break-glass administrator",
              "secops@bpo.example.com", "2099-12-31");
    exception(UserId(admin_users_[1]), std::nullopt, "data-centre migration (ended)",
              "it-ops@bpo.example.com", "2020-01-01");
  }

  // ---- routing queues (v2) ----
  // One queue per tenant division (or spec.queues split over the tenants), 10..~200 members (or
  // spec.queue_members ± 25%) of its own tenant (directly, or through the
  // queue's GROUP / TEAM / SKILLGROUP member groups: memberBy group), some unjoined; queues in
  // the shared and one unmapped division; and planted foreign members of the first tenants'
  // queues: direct, via a group, unjoined and inactive. Its own random stream, drawn after
  // everything else, so the rest of the org is what it was before queues existed.
  void MakeQueues() {
    Rng q(spec_.seed ^ 0x9ae0e5c0ffee0001ULL);
    std::unordered_map<std::string, size_t> tenant_of_division;
    for (size_t t = 0; t < tenant_count(); ++t) {
      for (const auto& d : tenant_divisions_[t]) tenant_of_division[d] = t;
    }
    std::vector<std::vector<size_t>> active_of(tenant_count()), inactive_of(tenant_count());
    for (size_t u = 0; u < org().users.size(); ++u) {
      auto it = tenant_of_division.find(org().users[u].home_division_id);
      if (it == tenant_of_division.end()) continue;
      const std::string& state = org().users[u].state;
      if (state == "active") active_of[it->second].push_back(u);
      if (state == "inactive") inactive_of[it->second].push_back(u);
    }
    static constexpr std::array kGroupTypes = {"GROUP", "TEAM", "SKILLGROUP"};
    auto add_queue = [&](const std::string& division, std::string name) -> audit::Queue& {
      audit::Queue& queue = org().queues.emplace_back();
      queue.id = NewId();
      queue.name = std::move(name);
      queue.division_id = division;
      return queue;
    };
    std::set<std::pair<std::string, size_t>> listed;  // one row per (queue, user), as the API
    auto add_member = [&](const audit::Queue& queue, size_t user, bool via_group, bool joined) {
      if (!listed.emplace(queue.id, user).second) return;
      org().queue_members.push_back({queue.id, UserId(user), via_group, joined});
    };
    size_t planted = 0;
    const size_t tenants = tenant_count();
    const auto wanted = static_cast<size_t>(std::max(spec_.queues, 0));
    for (size_t t = 0; t < tenants; ++t) {
      const auto& own = active_of[t];
      const auto& divisions = tenant_divisions_[t];
      // queues=N: tenant t gets its even share of N (at least 1, as N >= the tenant count),
      // round-robin over its divisions; default: one per division.
      const size_t count =
          wanted > 0 ? (t + 1) * wanted / tenants - t * wanted / tenants : divisions.size();
      for (size_t j = 0; j < count; ++j) {
        audit::Queue& queue = add_queue(divisions[j % divisions.size()],
                                        tenant_names_[t] + " Queue " + std::to_string(j + 1));
        const size_t groups = q.Below(4);  // 0..3: GROUP, TEAM, SKILLGROUP in turn
        for (size_t g = 0; g < groups; ++g) {
          queue.member_groups.push_back(
              {NewId(), queue.name + " " + kGroupTypes[g], std::string(kGroupTypes[g])});
        }
        std::sort(queue.member_groups.begin(), queue.member_groups.end());
        if (own.empty()) continue;
        const auto m = static_cast<size_t>(std::max(spec_.queue_members, 0));
        const size_t want =
            std::min(own.size(), m > 0 ? m - m / 4 + q.Below(m / 2 + 1)
                                       : 10 + q.Below(std::min<size_t>(own.size(), 190)));
        for (size_t k = 0; k < want; ++k) {
          const size_t u = own[q.Below(own.size())];
          add_member(queue, u, groups > 0 && q.PerMille(300), !q.PerMille(200));
        }
        // Planted foreign members in the first queues of the first tenants.
        if (planted < static_cast<size_t>(scale_) && j == 0) {
          const size_t other = (t + 1) % tenant_count();
          const auto& foreign = active_of[other];
          if (!foreign.empty()) {
            add_member(queue, foreign[q.Below(foreign.size())], false, true);   // direct
            add_member(queue, foreign[q.Below(foreign.size())], true, true);    // via a group
            add_member(queue, foreign[q.Below(foreign.size())], false, false);  // unjoined
          }
          if (!inactive_of[other].empty()) {
            add_member(queue, inactive_of[other][q.Below(inactive_of[other].size())], false,
                       false);  // inactive
          }
          ++planted;
        }
      }
    }
    // Shared and unmapped queues with members of several tenants: no cross_tenant_queue (the
    // unmapped one is a used unmapped division).
    // Copied at once: the second add_queue may reallocate org().queues (a reference kept
    // across it dangles; ASan found that).
    const audit::Queue shared_copy = add_queue(home_division_, "Overflow (shared)");
    const audit::Queue unmapped_copy = add_queue(unmapped_divisions_[0], "Pilot Queue");
    for (size_t t = 0; t < tenant_count(); ++t) {
      if (active_of[t].empty()) continue;
      add_member(shared_copy, active_of[t][q.Below(active_of[t].size())], false, true);
      add_member(unmapped_copy, active_of[t][q.Below(active_of[t].size())], false, true);
    }
  }

  // ---- analytics conversations (issue 15 evidence) ----
  // Per queue with joined active members: two conversations answered by one or two of them, and
  // one for every member homed in another tenant than the queue's division (the planted foreign
  // members: cross-tenant conversations, as on the platform). divisionIds = the queue's division
  // plus each agent's home division. The last one has not ended. Its own random stream, drawn
  // last, so everything else a seed makes is unchanged.
  void MakeConversations() {
    Rng r(spec_.seed ^ 0xc0a7e75a710e0002ULL);
    using std::chrono::milliseconds;
    const SystemTime until = SystemTime{} + milliseconds(spec_.conversations_until_ms);
    std::unordered_map<std::string, size_t> tenant_of_division;
    for (size_t t = 0; t < tenant_count(); ++t) {
      for (const auto& d : tenant_divisions_[t]) tenant_of_division[d] = t;
    }
    std::unordered_map<std::string, const audit::User*> users;
    for (const audit::User& u : org().users) users[u.id] = &u;
    std::unordered_map<std::string, std::vector<const audit::User*>> answering;
    for (const audit::QueueMember& m : org().queue_members) {
      const audit::User* u = users[m.user_id];
      if (u != nullptr && m.joined && u->state == "active") answering[m.queue_id].push_back(u);
    }
    auto add = [&](const audit::Queue& q, std::vector<const audit::User*> agents) {
      audit::Conversation c;
      c.id = NewId();
      c.start = until - std::chrono::hours(23) + milliseconds(r.Below(22 * 3'600'000));
      c.end = c.start + milliseconds(60'000 + r.Below(30 * 60'000));
      c.queue_ids = {q.id};
      c.division_ids = {q.division_id};
      for (const audit::User* u : agents) {
        c.user_ids.push_back(u->id);
        c.division_ids.push_back(u->home_division_id);
      }
      for (auto* v : {&c.division_ids, &c.user_ids}) {
        std::sort(v->begin(), v->end());
        v->erase(std::unique(v->begin(), v->end()), v->end());
      }
      fixture_.conversations.push_back(std::move(c));
    };
    for (const audit::Queue& q : org().queues) {
      const auto& agents = answering[q.id];
      if (agents.empty()) continue;
      for (int i = 0; i < 2; ++i) {
        std::vector<const audit::User*> who = {agents[r.Below(agents.size())]};
        if (r.PerMille(300)) who.push_back(agents[r.Below(agents.size())]);
        add(q, std::move(who));
      }
      auto queue_tenant = tenant_of_division.find(q.division_id);
      if (queue_tenant == tenant_of_division.end()) continue;
      for (const audit::User* u : agents) {
        auto home = tenant_of_division.find(u->home_division_id);
        if (home != tenant_of_division.end() && home->second != queue_tenant->second) add(q, {u});
      }
    }
    if (!fixture_.conversations.empty()) fixture_.conversations.back().end.reset();
    SortConversations(fixture_.conversations);
  }

  struct MultiTenantGroup {
    size_t group;
    size_t tenant_a;
    std::string role_b;
    std::string division_b;
  };

  const GenerateSpec spec_;
  Rng rng_;
  Rng id_rng_;
  const int scale_;  // planted violations of each kind
  std::unordered_set<std::string> ids_;
  OrgFixture fixture_;

  std::vector<std::string> admin_roles_, agent_roles_, supervisor_roles_, integration_roles_;
  std::string home_division_, shared_services_;
  std::vector<std::string> unmapped_divisions_, deleted_divisions_;
  std::vector<std::string> tenant_names_;
  std::vector<std::vector<std::string>> tenant_divisions_;

  std::vector<std::vector<std::string>> members_;  // by group index
  std::vector<size_t> team_groups_, team_group_tenant_;
  std::vector<std::vector<size_t>> tenant_team_groups_;
  std::vector<MultiTenantGroup> multi_tenant_groups_;
  std::vector<size_t> announcement_groups_, social_groups_;
  size_t disabled_team_group_ = 0, global_admin_group_ = 0;
  size_t org_wide_group_ = 0;
  std::string org_wide_user_;
  std::vector<size_t> admin_users_;
};

Status KeyError(std::string_view key, std::string_view what) {
  return InvalidArgumentError("generate spec: " + std::string(key) + ": " + std::string(what));
}

}  // namespace

Result<GenerateSpec> ParseGenerateSpec(std::string_view text) {
  GenerateSpec spec;
  std::set<std::string> seen;
  if (Trim(text).empty()) return spec;
  for (const std::string& item : Split(text, ',')) {
    const std::string_view trimmed = Trim(item);
    const size_t eq = trimmed.find('=');
    if (eq == std::string_view::npos) {
      return KeyError(trimmed, "expected key=value");
    }
    const std::string key(Trim(trimmed.substr(0, eq)));
    const std::string_view value = Trim(trimmed.substr(eq + 1));
    if (!seen.insert(key).second) return KeyError(key, "given twice");
    uint64_t number = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (value.empty() || ec != std::errc() || end != value.data() + value.size()) {
      return KeyError(key, "expected a non-negative integer, got '" + std::string(value) + "'");
    }
    if (key == "seed") {
      spec.seed = number;
      continue;
    }
    int* field = nullptr;
    int minimum = 0;
    if (key == "divisions") {
      field = &spec.divisions, minimum = kMinDivisions;
    } else if (key == "users") {
      field = &spec.users, minimum = kMinUsers;
    } else if (key == "groups") {
      field = &spec.groups, minimum = kMinGroups;
    } else if (key == "roles") {
      field = &spec.roles, minimum = kMinRoles;
    } else if (key == "clients") {
      field = &spec.clients, minimum = kMinClients;
    } else if (key == "tenants") {
      field = &spec.tenants, minimum = 0;
    } else if (key == "queues") {
      field = &spec.queues, minimum = 1;  // and the tenant count, checked below
    } else if (key == "queue_members") {
      field = &spec.queue_members, minimum = 1;
    } else {
      return KeyError(key,
                      "unknown key (want divisions, users, groups, roles, clients, tenants, seed, "
                      "queues, queue_members)");
    }
    if (number > static_cast<uint64_t>(kMaxCount)) {
      return KeyError(key, "at most " + std::to_string(kMaxCount));
    }
    if (static_cast<int>(number) < minimum) {
      return KeyError(key, "at least " + std::to_string(minimum));
    }
    *field = static_cast<int>(number);
  }
  if (spec.tenants == 1 || (spec.tenants > 0 && spec.tenants > spec.divisions - 4)) {
    return KeyError("tenants", "must be 0 (automatic) or 2.." + std::to_string(spec.divisions - 4) +
                                   " for " + std::to_string(spec.divisions) + " divisions");
  }
  if (spec.queues > 0 && spec.queues < TenantCount(spec)) {
    return KeyError("queues", "at least the tenant count, " + std::to_string(TenantCount(spec)) +
                                  " for divisions=" + std::to_string(spec.divisions) +
                                  " (every tenant gets a queue)");
  }
  return spec;
}

int TenantCount(const GenerateSpec& spec) {
  const int d = std::clamp(spec.divisions, kMinDivisions, kMaxCount);
  const int tenant_divisions = d - 1 - (d >= 12 ? 1 : 0) - 2;  // Home, Shared Services, unmapped
  const int tenants = spec.tenants > 0 ? spec.tenants : std::max(2, d / 5);
  return std::clamp(tenants, 2, tenant_divisions);
}

OrgFixture GenerateOrg(const GenerateSpec& spec) {
  GenerateSpec s = spec;
  s.divisions = std::clamp(s.divisions, kMinDivisions, kMaxCount);
  s.users = std::clamp(s.users, kMinUsers, kMaxCount);
  s.groups = std::clamp(s.groups, kMinGroups, kMaxCount);
  s.roles = std::clamp(s.roles, kMinRoles, kMaxCount);
  s.clients = std::clamp(s.clients, kMinClients, kMaxCount);
  if (s.tenants > 0) s.tenants = std::clamp(s.tenants, 2, s.divisions - 4);
  if (s.queues > 0) s.queues = std::clamp(s.queues, TenantCount(s), kMaxCount);
  s.queue_members = std::clamp(s.queue_members, 0, kMaxCount);
  return OrgBuilder(s).Build();
}

}  // namespace divaudit::sim
