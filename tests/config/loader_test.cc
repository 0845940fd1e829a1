#include "config/loader.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/time_util.h"

namespace divaudit::config {
namespace {

using std::chrono::milliseconds;

// A valid file using every key; line N of the file is kBaseLines[N - 1].
const std::vector<std::string> kBaseLines = {
    "[genesys]",                              // 1
    "region = \"eu-west-1\"",                 // 2
    "client_id = \"client-1\"",               // 3
    "client_secret_file = \"secret.txt\"",    // 4
    "max_concurrency = 8",                    // 5
    "requests_per_minute = 600",              // 6
    "timeout = \"20s\"",                      // 7
    "[schedule]",                             // 8
    "interval = \"5m\"",                      // 9
    "jitter = \"10s\"",                       // 10
    "[storage]",                              // 11
    "path = \"data/divaudit.db\"",            // 12
    "retention = \"30d\"",                    // 13
    "[metrics]",                              // 14
    "listen = \"127.0.0.1:9464\"",            // 15
    "basic_auth_user = \"prom\"",             // 16
    "basic_auth_password_file = \"pw.txt\"",  // 17
    "[policy]",                               // 18
    "shared_divisions = [\"Home\"]",          // 19
    "[[tenant]]",                             // 20
    "name = \"A\"",                           // 21
    "divisions = [\"A *\", \"d-a\"]",         // 22
    "[[tenant]]",                             // 23
    "name = \"B\"",                           // 24
    "divisions = [\"B\"]",                    // 25
    "[[exception]]",                          // 26
    "rule = \"cross_tenant\"",                // 27
    "subject_id = \"u1\"",                    // 28
    "role_id = \"r1\"",                       // 29
    "division_id = \"d1\"",                   // 30
    "reason = \"migration\"",                 // 31
    "owner = \"secops@example.com\"",         // 32
    "expires = \"2027-06-30\"",               // 33
};

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) out += line + "\n";
  return out;
}

// The base file with line `line` (1-based) replaced.
std::string WithLine(int line, const std::string& replacement) {
  std::vector<std::string> lines = kBaseLines;
  lines.at(static_cast<size_t>(line - 1)) = replacement;
  return Join(lines);
}

TEST(ParseConfigTest, BaseFileParsesWithEveryKey) {
  auto config = ParseConfig(Join(kBaseLines), "/etc/divaudit/divaudit.toml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->source_path, "/etc/divaudit/divaudit.toml");
  EXPECT_EQ(config->genesys.region, "eu-west-1");
  EXPECT_EQ(config->genesys.api_base_url, "https://api.mypurecloud.ie");
  EXPECT_EQ(config->genesys.login_base_url, "https://login.mypurecloud.ie");
  EXPECT_EQ(config->genesys.client_id, "client-1");
  EXPECT_EQ(config->genesys.client_secret_file, "/etc/divaudit/secret.txt");
  EXPECT_EQ(config->genesys.max_concurrency, 8);
  EXPECT_EQ(config->genesys.requests_per_minute, 600);
  EXPECT_EQ(config->genesys.timeout, milliseconds(20'000));
  EXPECT_EQ(config->schedule.interval, milliseconds(300'000));
  EXPECT_EQ(config->schedule.jitter, milliseconds(10'000));
  EXPECT_EQ(config->storage.path, "/etc/divaudit/data/divaudit.db");
  EXPECT_EQ(config->storage.retention, milliseconds(30LL * 86'400'000));
  EXPECT_EQ(config->metrics.listen, "127.0.0.1:9464");
  EXPECT_EQ(config->metrics.basic_auth_user, "prom");
  EXPECT_EQ(config->metrics.basic_auth_password_file, "/etc/divaudit/pw.txt");
  EXPECT_EQ(config->policy.shared_divisions, std::vector<std::string>{"Home"});
  ASSERT_EQ(config->tenants.size(), 2u);
  EXPECT_EQ(config->tenants[0].name, "A");
  EXPECT_EQ(config->tenants[0].divisions, (std::vector<std::string>{"A *", "d-a"}));
  EXPECT_EQ(config->tenants[1].name, "B");
  ASSERT_EQ(config->exceptions.size(), 1u);
  const ExceptionConfig& ex = config->exceptions[0];
  EXPECT_EQ(ex.rule, audit::Rule::kCrossTenant);  // typed once, here
  EXPECT_EQ(ex.subject_id, "u1");
  EXPECT_EQ(ex.role_id, std::optional<std::string>("r1"));
  EXPECT_EQ(ex.division_id, std::optional<std::string>("d1"));
  EXPECT_EQ(ex.reason, "migration");
  EXPECT_EQ(ex.owner, "secops@example.com");
  EXPECT_EQ(ex.expires, "2027-06-30");
  // The end of that day, UTC: 2027-06-30T23:59:59Z.
  EXPECT_EQ(ToUnixSeconds(ex.expires_at), 1814399999);
}

struct BadValue {
  int line;
  std::string replacement;
  std::string key;      // must appear in the error
  std::string message;  // must appear in the error
};

class BadValueTest : public ::testing::TestWithParam<BadValue> {};

TEST_P(BadValueTest, OneLineErrorNamingFileLineAndKey) {
  const BadValue& bad = GetParam();
  auto config = ParseConfig(WithLine(bad.line, bad.replacement), "divaudit.toml");
  ASSERT_FALSE(config.ok()) << "accepted: " << bad.replacement;
  const std::string message = config.status().message();
  EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(message.rfind("divaudit.toml:" + std::to_string(bad.line) + ":", 0), 0u) << message;
  EXPECT_NE(message.find(bad.key), std::string::npos) << message;
  EXPECT_NE(message.find(bad.message), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(
    EveryKey, BadValueTest,
    ::testing::Values(
        BadValue{2, "region = \"mars-1\"", "[genesys] region", "unknown region 'mars-1'"},
        BadValue{2, "region = 5", "[genesys] region", "must be a string, got an integer"},
        BadValue{3, "client_id = \"\"", "[genesys] client_id", "must not be empty"},
        BadValue{3, "client_id = 7", "[genesys] client_id", "must be a string"},
        BadValue{4, "client_secret_file = true", "[genesys] client_secret_file",
                 "must be a string, got a boolean"},
        BadValue{4, "client_secret_file = \"\"", "[genesys] client_secret_file",
                 "must not be empty"},
        BadValue{5, "max_concurrency = 0", "[genesys] max_concurrency",
                 "must be between 1 and 64, got 0"},
        BadValue{5, "max_concurrency = 65", "[genesys] max_concurrency", "got 65"},
        BadValue{5, "max_concurrency = \"4\"", "[genesys] max_concurrency",
                 "must be an integer, got a string"},
        BadValue{5, "max_concurrency = 4.5", "[genesys] max_concurrency", "got a float"},
        BadValue{6, "requests_per_minute = 0", "[genesys] requests_per_minute",
                 "between 1 and 100000"},
        BadValue{6, "requests_per_minute = 100001", "[genesys] requests_per_minute", "got 100001"},
        BadValue{7, "timeout = \"30\"", "[genesys] timeout", "missing unit"},
        BadValue{7, "timeout = 30", "[genesys] timeout", "must be a duration string"},
        BadValue{7, "timeout = \"0s\"", "[genesys] timeout", "between 1s and 1h"},
        BadValue{9, "interval = \"500ms\"", "[schedule] interval", "at least 1s"},
        BadValue{9, "interval = \"soon\"", "[schedule] interval", "bad duration"},
        BadValue{10, "jitter = \"5m\"", "[schedule] jitter", "less than interval"},
        BadValue{10, "jitter = \"-1s\"", "[schedule] jitter", "bad duration"},
        BadValue{10, "watch = \"1s\"", "[schedule] watch", "\"0s\" (off) or at least 5s, got 1s"},
        BadValue{10, "watch = \"2h\"", "[schedule] watch", "at most 1h"},
        BadValue{10, "watch = 5", "[schedule] watch", "must be a duration string"},
        BadValue{10, "settle = \"2h\"", "[schedule] settle", "at most 1h"},
        BadValue{10, "settle = \"soon\"", "[schedule] settle", "bad duration"},
        BadValue{10, "min_interval = \"2d\"", "[schedule] min_interval", "at most 24h"},
        BadValue{10, "min_interval = \"x\"", "[schedule] min_interval", "bad duration"},
        BadValue{12, "path = \"\"", "[storage] path", "must not be empty"},
        BadValue{12, "path = 3", "[storage] path", "must be a string"},
        BadValue{13, "retention = \"12h\"", "[storage] retention", "at least 1d"},
        BadValue{15, "listen = \"127.0.0.1\"", "[metrics] listen", "host:port"},
        BadValue{15, "listen = \"127.0.0.1:70000\"", "[metrics] listen", "between 0 and 65535"},
        BadValue{15, "listen = \"::1:9464\"", "[metrics] listen", "[::1]:9464"},
        BadValue{15, "listen = \"example.com:80\"", "[metrics] listen", "host must be"},
        BadValue{15, "listen = 9464", "[metrics] listen", "must be a string"},
        BadValue{16, "basic_auth_user = 5", "[metrics] basic_auth_user", "must be a string"},
        BadValue{17, "basic_auth_password_file = \"\"", "[metrics] basic_auth_password_file",
                 "must not be empty"},
        BadValue{19, "shared_divisions = \"Home\"", "[policy] shared_divisions",
                 "must be an array of strings"},
        BadValue{19, "shared_divisions = [1]", "[policy] shared_divisions[0]", "must be a string"},
        BadValue{19, "org_wide_permissions = [\"directory:group\"]",
                 "[policy] org_wide_permissions[0]", "malformed entry 'directory:group'"},
        BadValue{19, "org_wide_permissions = [\"a:b:c\", \"a:b:c:d\"]",
                 "[policy] org_wide_permissions[1]", "malformed entry 'a:b:c:d'"},
        BadValue{19, "org_wide_permissions = [\"a::c\"]", "[policy] org_wide_permissions[0]",
                 "expected domain:entity:action"},
        BadValue{19, "org_wide_permissions = [\"rec*:*:*\"]", "[policy] org_wide_permissions[0]",
                 "each part a name or *"},
        BadValue{19, "org_wide_permissions = \"*:*:*\"", "[policy] org_wide_permissions",
                 "must be an array of strings"},
        BadValue{21, "name = \"\"", "[[tenant]] #1 name", "must not be empty"},
        BadValue{24, "name = \"A\"", "[[tenant]] #2 name", "duplicate tenant name 'A'"},
        BadValue{22, "divisions = []", "[[tenant]] #1 divisions", "must not be empty"},
        BadValue{22, "divisions = [\"A\", \"\"]", "[[tenant]] #1 divisions[1]",
                 "must not be empty"},
        BadValue{22, "divisions = \"A\"", "[[tenant]] #1 divisions", "must be an array"},
        BadValue{27, "rule = \"cross-tenant\"", "[[exception]] #1 rule",
                 "did you mean cross_tenant?"},
        BadValue{27, "rule = \"everything\"", "[[exception]] #1 rule", "unknown rule"},
        BadValue{28, "subject_id = \"\"", "[[exception]] #1 subject_id", "must not be empty"},
        BadValue{29, "role_id = 5", "[[exception]] #1 role_id", "must be a string"},
        BadValue{30, "division_id = \"\"", "[[exception]] #1 division_id", "must not be empty"},
        BadValue{31, "reason = \"\"", "[[exception]] #1 reason", "must not be empty"},
        BadValue{32, "owner = 1", "[[exception]] #1 owner", "must be a string"},
        BadValue{33, "expires = \"2027-02-30\"", "[[exception]] #1 expires",
                 "valid date YYYY-MM-DD"},
        BadValue{33, "expires = \"30/06/2027\"", "[[exception]] #1 expires", "valid date"},
        BadValue{33, "expires = \"2027-06-30T00:00:00Z\"", "[[exception]] #1 expires",
                 "valid date"},
        BadValue{33, "expires = 5", "[[exception]] #1 expires", "must be a date"},
        BadValue{2, "api_base_url = \"http://api.example.com\"", "[genesys] api_base_url",
                 "plain http is allowed only for a loopback host"},
        BadValue{2, "api_base_url = \"ftp://127.0.0.1\"", "[genesys] api_base_url",
                 "http:// or https://"},
        BadValue{2, "login_base_url = \"http://10.0.0.1:8080\"", "[genesys] login_base_url",
                 "loopback"},
        BadValue{2, "login_base_url = \"https://\"", "[genesys] login_base_url", "no host"},
        BadValue{2, "api_base_url = \"https://h:99999\"", "[genesys] api_base_url", "bad port"}));

TEST(ParseConfigTest, ScheduleWatchKeys) {
  auto defaults = ParseConfig(Join(kBaseLines), "divaudit.toml");
  ASSERT_TRUE(defaults.ok()) << defaults.status().message();
  EXPECT_EQ(defaults->schedule.watch, milliseconds(0));
  EXPECT_EQ(defaults->schedule.settle, milliseconds(30'000));
  EXPECT_EQ(defaults->schedule.min_interval, milliseconds(120'000));
  std::vector<std::string> lines = kBaseLines;
  lines.insert(lines.begin() + 10, {"watch = \"5s\"", "settle = \"2s\"", "min_interval = \"0s\""});
  auto watch = ParseConfig(Join(lines), "divaudit.toml");
  ASSERT_TRUE(watch.ok()) << watch.status().message();
  EXPECT_EQ(watch->schedule.watch, milliseconds(5'000));
  EXPECT_EQ(watch->schedule.settle, milliseconds(2'000));
  EXPECT_EQ(watch->schedule.min_interval, milliseconds(0));
  lines[10] = "watch = \"0s\"";
  auto off = ParseConfig(Join(lines), "divaudit.toml");
  ASSERT_TRUE(off.ok()) << off.status().message();
  EXPECT_EQ(off->schedule.watch, milliseconds(0));
}

TEST(ParseConfigTest, BasicAuthNeedsBothKeys) {
  auto no_user = ParseConfig(WithLine(16, "# no user"), "divaudit.toml");
  ASSERT_FALSE(no_user.ok());
  EXPECT_EQ(no_user.status().message(),
            "divaudit.toml:17:1: [metrics] basic_auth_user: required when "
            "basic_auth_password_file is set");
  auto no_password = ParseConfig(WithLine(17, "# no password"), "divaudit.toml");
  ASSERT_FALSE(no_password.ok());
  EXPECT_EQ(no_password.status().message(),
            "divaudit.toml:16:1: [metrics] basic_auth_password_file: required when "
            "basic_auth_user is set");
}

// [metrics] TLS keys (exporter-toolkit names): resolved like other paths; cert and key together;
// a client CA only with them.
TEST(ParseConfigTest, MetricsTlsKeys) {
  auto none = ParseConfig(Join(kBaseLines), "/etc/divaudit/divaudit.toml");
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->metrics.tls_cert_file.empty());
  EXPECT_TRUE(none->metrics.tls_key_file.empty());
  EXPECT_TRUE(none->metrics.tls_client_ca_file.empty());

  auto all = ParseConfig(WithLine(15,
                                  "tls_cert_file = \"tls/cert.pem\"\n"
                                  "tls_key_file = \"/secure/key.pem\"\n"
                                  "tls_client_ca_file = \"ca.pem\""),
                         "/etc/divaudit/divaudit.toml");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->metrics.tls_cert_file, "/etc/divaudit/tls/cert.pem");
  EXPECT_EQ(all->metrics.tls_key_file, "/secure/key.pem");
  EXPECT_EQ(all->metrics.tls_client_ca_file, "/etc/divaudit/ca.pem");

  auto cert_only = ParseConfig(WithLine(15, "tls_cert_file = \"c.pem\""), "divaudit.toml");
  ASSERT_FALSE(cert_only.ok());
  EXPECT_EQ(cert_only.status().message(),
            "divaudit.toml:15:1: [metrics] tls_key_file: required when tls_cert_file is set");
  auto key_only = ParseConfig(WithLine(15, "tls_key_file = \"k.pem\""), "divaudit.toml");
  ASSERT_FALSE(key_only.ok());
  EXPECT_EQ(key_only.status().message(),
            "divaudit.toml:15:1: [metrics] tls_cert_file: required when tls_key_file is set");
  auto ca_only = ParseConfig(WithLine(15, "tls_client_ca_file = \"ca.pem\""), "divaudit.toml");
  ASSERT_FALSE(ca_only.ok());
  EXPECT_NE(ca_only.status().message().find(
                "[metrics] tls_cert_file: required when tls_client_ca_file is set"),
            std::string::npos)
      << ca_only.status().message();
  auto empty = ParseConfig(WithLine(15, "tls_cert_file = \"\""), "divaudit.toml");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("[metrics] tls_cert_file"), std::string::npos);
}

TEST(ParseConfigTest, TablesOfTheWrongShape) {
  auto scalar = ParseConfig("schedule = 5\n[genesys]\nclient_id = \"c\"\n", "divaudit.toml");
  ASSERT_FALSE(scalar.ok());
  EXPECT_EQ(scalar.status().message(),
            "divaudit.toml:1:1: [schedule]: must be a table, got an integer");
  auto single =
      ParseConfig("[genesys]\nclient_id = \"c\"\n[tenant]\nname = \"A\"\n", "divaudit.toml");
  ASSERT_FALSE(single.ok());
  EXPECT_NE(single.status().message().find(
                "[[tenant]]: must be an array of tables (write each block as [[tenant]])"),
            std::string::npos)
      << single.status().message();
  EXPECT_EQ(single.status().message().rfind("divaudit.toml:3:", 0), 0u)
      << single.status().message();
}

TEST(ParseConfigTest, MissingRequiredKeysNameTheKeyAndTheTableLine) {
  // Without client_id: points at the [genesys] header.
  auto config = ParseConfig(WithLine(3, "# no client id"), "divaudit.toml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(),
            "divaudit.toml:1:1: [genesys] client_id: required (the OAuth client id)");

  auto no_subject = ParseConfig(WithLine(28, ""), "divaudit.toml");
  ASSERT_FALSE(no_subject.ok());
  EXPECT_NE(no_subject.status().message().find("divaudit.toml:26:"), std::string::npos)
      << no_subject.status().message();
  EXPECT_NE(no_subject.status().message().find("[[exception]] #1 subject_id: required"),
            std::string::npos);

  auto no_divisions = ParseConfig(WithLine(25, ""), "divaudit.toml");
  ASSERT_FALSE(no_divisions.ok());
  EXPECT_NE(no_divisions.status().message().find("divaudit.toml:23:"), std::string::npos)
      << no_divisions.status().message();
  EXPECT_NE(no_divisions.status().message().find("[[tenant]] #2 divisions: required"),
            std::string::npos);

  auto no_expiry = ParseConfig(WithLine(33, ""), "divaudit.toml");
  ASSERT_FALSE(no_expiry.ok());
  EXPECT_NE(no_expiry.status().message().find("[[exception]] #1 expires: required"),
            std::string::npos);

  auto no_genesys = ParseConfig("[storage]\npath = \"x.db\"\n", "divaudit.toml");
  ASSERT_FALSE(no_genesys.ok());
  EXPECT_NE(no_genesys.status().message().find("divaudit.toml: [genesys] client_id: required"),
            std::string::npos)
      << no_genesys.status().message();
}

TEST(ParseConfigTest, UnknownKeysAndTablesAreErrorsWithSuggestions) {
  auto key = ParseConfig(WithLine(5, "max_concurency = 4"), "divaudit.toml");
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().message(),
            "divaudit.toml:5:1: [genesys] max_concurency: unknown key (did you mean "
            "max_concurrency?)");

  auto far = ParseConfig(WithLine(13, "colour = \"blue\""), "divaudit.toml");
  ASSERT_FALSE(far.ok());
  EXPECT_EQ(far.status().message(), "divaudit.toml:13:1: [storage] colour: unknown key");

  auto table = ParseConfig(Join(kBaseLines) + "[tenants]\nx = 1\n", "divaudit.toml");
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().message(),
            "divaudit.toml:34:2: [tenants]: unknown table (did you mean [[tenant]]?)");

  auto in_block = ParseConfig(WithLine(31, "reasons = \"x\""), "divaudit.toml");
  ASSERT_FALSE(in_block.ok());
  EXPECT_EQ(in_block.status().message(),
            "divaudit.toml:31:1: [[exception]] #1 reasons: unknown key (did you mean reason?)");
}

TEST(ParseConfigTest, MalformedTomlCarriesTheParserPosition) {
  auto config = ParseConfig("[genesys]\nclient_id = \"abc\"\nmax_concurrency = = 4\n", "bad.toml");
  ASSERT_FALSE(config.ok());
  const std::string message = config.status().message();
  EXPECT_EQ(message.rfind("bad.toml:3:", 0), 0u) << message;
  EXPECT_NE(message.find("malformed TOML"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;

  auto duplicate = ParseConfig("[genesys]\nclient_id = \"a\"\nclient_id = \"b\"\n", "dup.toml");
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.status().message().rfind("dup.toml:3:", 0), 0u)
      << duplicate.status().message();
}

TEST(ParseConfigTest, DefaultsFromConfigHeader) {
  auto config = ParseConfig("[genesys]\nclient_id = \"c\"\n", "divaudit.toml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const Config defaults;
  EXPECT_EQ(config->genesys.region, "us-east-1");
  EXPECT_EQ(config->genesys.api_base_url, "https://api.mypurecloud.com");
  EXPECT_EQ(config->genesys.login_base_url, "https://login.mypurecloud.com");
  EXPECT_EQ(config->genesys.client_secret_file, "");
  EXPECT_EQ(config->genesys.max_concurrency, 4);
  EXPECT_EQ(config->genesys.requests_per_minute, 300);
  EXPECT_EQ(config->genesys.timeout, milliseconds(30'000));
  EXPECT_EQ(config->schedule.interval, milliseconds(15 * 60'000));
  EXPECT_EQ(config->schedule.jitter, milliseconds(30'000));
  EXPECT_EQ(config->storage.path, defaults.storage.path);
  EXPECT_EQ(config->storage.retention, milliseconds(400LL * 86'400'000));
  EXPECT_EQ(config->metrics.listen, "127.0.0.1:9464");
  EXPECT_TRUE(config->metrics.basic_auth_user.empty());
  EXPECT_TRUE(config->policy.shared_divisions.empty());
  EXPECT_TRUE(config->tenants.empty());
  EXPECT_TRUE(config->exceptions.empty());
}

TEST(ParseConfigTest, ExceptionVariants) {
  const std::string unmapped =
      "[genesys]\nclient_id = \"c\"\n[[exception]]\nrule = \"unmapped_division\"\n"
      "division_id = \"d9\"\nreason = \"r\"\nowner = \"o\"\nexpires = 2027-01-31\n";
  auto config = ParseConfig(unmapped, "divaudit.toml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  ASSERT_EQ(config->exceptions.size(), 1u);
  EXPECT_EQ(config->exceptions[0].expires, "2027-01-31");  // a TOML date works too
  EXPECT_EQ(config->exceptions[0].rule, audit::Rule::kUnmappedDivision);
  EXPECT_EQ(FormatIso8601(config->exceptions[0].expires_at), "2027-01-31T23:59:59Z");
  EXPECT_TRUE(config->exceptions[0].subject_id.empty());
  EXPECT_FALSE(config->exceptions[0].role_id.has_value());

  const std::string unmapped_without_division =
      "[genesys]\nclient_id = \"c\"\n[[exception]]\nrule = \"unmapped_division\"\n"
      "subject_id = \"u\"\nreason = \"r\"\nowner = \"o\"\nexpires = \"2027-01-31\"\n";
  auto bad = ParseConfig(unmapped_without_division, "divaudit.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "divaudit.toml:3:1: [[exception]] #1 division_id: required for rule "
            "unmapped_division (the division to accept)");
}

TEST(ParseConfigTest, OrgWidePermissionsDefaultAndCustom) {
  auto defaults = ParseConfig("[genesys]\nclient_id = \"c\"\n", "divaudit.toml");
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_EQ(defaults->policy.org_wide_permissions, audit::DefaultOrgWidePermissions());
  EXPECT_EQ(defaults->policy.org_wide_permissions.size(), 11u);
  EXPECT_EQ(defaults->policy.org_wide_permissions.front(), "directory:organization:admin");

  auto custom = ParseConfig(
      "[genesys]\nclient_id = \"c\"\n[policy]\norg_wide_permissions = [\n  \"*:*:*\",\n"
      "  \"analytics:conversationDetail:view\",\n]\n",
      "divaudit.toml");
  ASSERT_TRUE(custom.ok()) << custom.status().ToString();
  EXPECT_EQ(custom->policy.org_wide_permissions,
            (std::vector<std::string>{"*:*:*", "analytics:conversationDetail:view"}));

  // A malformed entry on its own line: the error names that line and the entry.
  auto bad = ParseConfig(
      "[genesys]\nclient_id = \"c\"\n[policy]\norg_wide_permissions = [\n  \"*:*:*\",\n"
      "  \"recording:*\",\n]\n",
      "divaudit.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().rfind("divaudit.toml:6:", 0), 0u) << bad.status().message();
  EXPECT_NE(bad.status().message().find("'recording:*'"), std::string::npos);
}

TEST(ParseConfigTest, V2RuleExceptions) {
  const std::string guardrail =
      "[genesys]\nclient_id = \"c\"\n[[exception]]\nrule = \"grant_guardrail_off\"\n"
      "subject_id = \"org-1\"\nreason = \"r\"\nowner = \"o\"\nexpires = 2027-01-31\n"
      "[[exception]]\nrule = \"org_wide_permission\"\nsubject_id = \"u1\"\nrole_id = \"r1\"\n"
      "reason = \"r\"\nowner = \"o\"\nexpires = 2027-01-31\n";
  auto config = ParseConfig(guardrail, "divaudit.toml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  ASSERT_EQ(config->exceptions.size(), 2u);
  EXPECT_EQ(config->exceptions[0].rule, audit::Rule::kGrantGuardrailOff);
  EXPECT_EQ(config->exceptions[0].subject_id, "org-1");
  EXPECT_EQ(config->exceptions[1].rule, audit::Rule::kOrgWidePermission);
  EXPECT_EQ(config->exceptions[1].role_id, "r1");

  auto missing = ParseConfig(
      "[genesys]\nclient_id = \"c\"\n[[exception]]\nrule = \"grant_guardrail_off\"\n"
      "reason = \"r\"\nowner = \"o\"\nexpires = 2027-01-31\n",
      "divaudit.toml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "divaudit.toml:3:1: [[exception]] #1 subject_id: required for rule "
            "grant_guardrail_off (the org id)");

  // division_id on a rule whose findings have no division: an error at the division_id line.
  for (const char* rule : {"org_wide_permission", "multi_tenant_subject", "grant_guardrail_off",
                           "cross_tenant_queue"}) {
    std::vector<std::string> lines = kBaseLines;
    lines[26] = std::string("rule = \"") + rule + "\"";
    auto bad = ParseConfig(Join(lines), "divaudit.toml");
    ASSERT_FALSE(bad.ok()) << rule;
    EXPECT_EQ(bad.status().message(), std::string("divaudit.toml:30:1: [[exception]] #1 "
                                                  "division_id: rule ") +
                                          rule + " has no division to narrow (remove division_id)");
  }
}

TEST(ParseConfigTest, LoopbackRuleForPlainHttp) {
  const auto with_urls = [](const std::string& api, const std::string& login) {
    return "[genesys]\nregion = \"not-a-region\"\nclient_id = \"c\"\napi_base_url = \"" + api +
           "\"\nlogin_base_url = \"" + login + "\"\n";
  };
  for (const std::string url : {"http://127.0.0.1:18080", "http://127.1.2.3", "http://[::1]:8080/",
                                "http://localhost:18080", "https://api.example.com"}) {
    auto config = ParseConfig(with_urls(url, url), "divaudit.toml");
    ASSERT_TRUE(config.ok()) << url << ": " << config.status().ToString();
    EXPECT_EQ(config->genesys.api_base_url.back() == '/', false);
  }
  for (const std::string url : {"http://128.0.0.1", "http://10.0.0.1:18080", "http://[::2]:80",
                                "http://127.0.0.1.example.com", "http://localhost.evil.com"}) {
    auto config = ParseConfig(with_urls(url, "https://login.example.com"), "divaudit.toml");
    ASSERT_FALSE(config.ok()) << url;
    EXPECT_NE(config.status().message().find("divaudit.toml:4:1: [genesys] api_base_url"),
              std::string::npos)
        << config.status().message();
  }
  // One override only: the other host still comes from the region, which must be valid.
  auto half = ParseConfig(
      "[genesys]\nregion = \"not-a-region\"\nclient_id = \"c\"\napi_base_url = "
      "\"http://127.0.0.1:1\"\n",
      "divaudit.toml");
  ASSERT_FALSE(half.ok());
  EXPECT_NE(half.status().message().find("divaudit.toml:2:1: [genesys] region: unknown region"),
            std::string::npos)
      << half.status().message();

  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("127.255.255.254"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_TRUE(IsLoopbackHost("[::1]"));
  EXPECT_TRUE(IsLoopbackHost("LocalHost"));
  EXPECT_FALSE(IsLoopbackHost("126.0.0.1"));
  EXPECT_FALSE(IsLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackHost("::"));
  EXPECT_FALSE(IsLoopbackHost("example.com"));
  EXPECT_FALSE(IsLoopbackHost(""));
}

TEST(ParseHostPortTest, AcceptsIpv4Ipv6AndLocalhost) {
  auto v4 = ParseHostPort("0.0.0.0:0");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->host, "0.0.0.0");
  EXPECT_EQ(v4->port, 0);
  auto v6 = ParseHostPort("[::1]:9464");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 9464);
  EXPECT_TRUE(ParseHostPort("localhost:65535").ok());
  EXPECT_FALSE(ParseHostPort("localhost:65536").ok());
  EXPECT_FALSE(ParseHostPort("127.0.0.1:").ok());
  EXPECT_FALSE(ParseHostPort(":9464").ok());
  EXPECT_FALSE(ParseHostPort("[::1]9464").ok());
  EXPECT_FALSE(ParseHostPort("[nope]:1").ok());
  EXPECT_FALSE(ParseHostPort("127.0.0.1:-1").ok());
}

// A fresh temporary directory, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string templ = ::testing::TempDir() + "/divaudit-config-XXXXXX";
    path_ = std::filesystem::path(::mkdtemp(templ.data())).lexically_normal().string();
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& content, mode_t mode) const {
    const std::string file = path_ + "/" + name;
    std::ofstream(file) << content;
    ::chmod(file.c_str(), mode);
    return file;
  }

 private:
  std::string path_;
};

TEST(LoadConfigFileTest, ResolvesRelativePathsAgainstTheFileDirectory) {
  TempDir dir;
  const std::string file = dir.Write("divaudit.toml", Join(kBaseLines), 0644);
  auto config = LoadConfigFile(file);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->source_path, file);
  EXPECT_EQ(config->storage.path, dir.path() + "/data/divaudit.db");
  EXPECT_EQ(config->genesys.client_secret_file, dir.path() + "/secret.txt");

  auto bad = LoadConfigFile(dir.Write("bad.toml", WithLine(5, "max_concurrency = 0"), 0644));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            dir.path() +
                "/bad.toml:5:1: [genesys] max_concurrency: must be between 1 and 64, "
                "got 0");

  auto missing = LoadConfigFile(dir.path() + "/nope.toml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("nope.toml"), std::string::npos);
}

// Issue 12 concerns: each one line.
TEST(LoadConfigFileTest, InvalidUtf8IsOneLineErrorWithFileAndLine) {
  auto config = ParseConfig("[genesys]\nclient_id = \"c\"\n# caf\xe9 au lait\n", "d.toml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(config.status().message(),
            "d.toml:3:6: invalid UTF-8 (byte 0xe9); the configuration must be UTF-8 text");
  auto in_string = ParseConfig("[genesys]\nclient_id = \"\xff\"\n", "d.toml");
  ASSERT_FALSE(in_string.ok());
  EXPECT_EQ(in_string.status().message().rfind("d.toml:2:14: invalid UTF-8 (byte 0xff)", 0), 0u)
      << in_string.status().message();
}

TEST(LoadConfigFileTest, StoragePathThatIsADirectoryIsAConfigError) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() + "/state");
  const std::string file = dir.Write(
      "divaudit.toml", "[genesys]\nclient_id = \"c\"\n[storage]\npath = \"state\"\n", 0644);
  auto config = LoadConfigFile(file);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(config.status().message(), file + ":4:1: [storage] path: " + dir.path() +
                                           "/state is a directory; give the database file, "
                                           "e.g. " +
                                           dir.path() + "/state/divaudit.db");
}

TEST(ParseConfigTest, StoragePathDefaultsToSystemdStateDirectory) {
  const std::string config = "[genesys]\nclient_id = \"c\"\n";
  ::setenv("STATE_DIRECTORY", "/var/lib/divaudit/acme:/var/lib/other", 1);
  auto in_unit = ParseConfig(config, "/etc/divaudit/acme.toml");
  auto named = ParseConfig(config + "[storage]\npath = \"/srv/d.db\"\n", "/etc/divaudit/acme.toml");
  ::unsetenv("STATE_DIRECTORY");
  auto shell = ParseConfig(config, "/etc/divaudit/acme.toml");
  ASSERT_TRUE(in_unit.ok() && named.ok() && shell.ok());
  EXPECT_EQ(in_unit->storage.path, "/var/lib/divaudit/acme/divaudit.db");
  EXPECT_EQ(named->storage.path, "/srv/d.db");  // a path in the file wins
  EXPECT_EQ(shell->storage.path, "/var/lib/divaudit/divaudit.db");
}

TEST(ParseConfigTest, NonLoopbackMetricsWithoutAuthIsAWarning) {
  auto open =
      ParseConfig("[genesys]\nclient_id = \"c\"\n[metrics]\nlisten = \"0.0.0.0:9464\"\n", "d.toml");
  ASSERT_TRUE(open.ok()) << open.status().ToString();
  ASSERT_EQ(open->warnings.size(), 1u);
  EXPECT_EQ(open->warnings[0],
            "d.toml:4:1: [metrics] listen: 0.0.0.0:9464 is not a loopback address and neither "
            "basic_auth_user nor tls_client_ca_file is set: anyone who can reach it reads the "
            "findings metrics");
  auto loopback = ParseConfig(
      "[genesys]\nclient_id = \"c\"\n[metrics]\nlisten = \"127.0.0.1:9464\"\n", "d.toml");
  ASSERT_TRUE(loopback.ok());
  EXPECT_TRUE(loopback->warnings.empty());
  auto with_auth = ParseConfig(
      "[genesys]\nclient_id = \"c\"\n[metrics]\nlisten = \"0.0.0.0:9464\"\n"
      "basic_auth_user = \"prom\"\nbasic_auth_password_file = \"pw\"\n",
      "d.toml");
  ASSERT_TRUE(with_auth.ok()) << with_auth.status().ToString();
  EXPECT_TRUE(with_auth->warnings.empty());
}

TEST(LoadConfigFileTest, ParseConfigWithoutDirectoryKeepsRelativePaths) {
  auto config = ParseConfig("[genesys]\nclient_id = \"c\"\n[storage]\npath = \"x.db\"\n", "d.toml");
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->storage.path, "x.db");
}

TEST(LoadConfigFileTest, ExampleConfigLoads) {
  auto config = LoadConfigFile(DIVAUDIT_SOURCE_DIR "/config/divaudit.example.toml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->genesys.region, "us-east-1");
  EXPECT_EQ(config->genesys.api_base_url, "https://api.mypurecloud.com");
  // Unset: the units hand the secret over as a credential, so the file validates from a shell.
  EXPECT_EQ(config->genesys.client_secret_file, "");
  EXPECT_EQ(config->tenants.size(), 2u);
  EXPECT_EQ(config->exceptions.size(), 2u);
  EXPECT_EQ(config->policy.shared_divisions, std::vector<std::string>{"Home"});
}

class ClientSecretTest : public ::testing::Test {
 protected:
  void SetUp() override { ::unsetenv(kClientSecretEnv); }
  void TearDown() override { ::unsetenv(kClientSecretEnv); }
  TempDir dir_;
};

TEST_F(ClientSecretTest, ReadsAPrivateFile) {
  GenesysConfig genesys;
  genesys.client_secret_file = dir_.Write("secret", "s3cr3t-value\n", 0600);
  auto secret = LoadClientSecret(genesys);
  ASSERT_TRUE(secret.ok()) << secret.status().ToString();
  EXPECT_EQ(*secret, "s3cr3t-value");
}

TEST_F(ClientSecretTest, RefusesAGroupOrOtherReadableFileWithoutLeakingIt) {
  GenesysConfig genesys;
  for (mode_t mode : {0640, 0604, 0660}) {
    genesys.client_secret_file = dir_.Write("secret", "s3cr3t-value\n", mode);
    auto secret = LoadClientSecret(genesys);
    ASSERT_FALSE(secret.ok()) << mode;
    EXPECT_EQ(secret.status().code(), StatusCode::kPermissionDenied);
    EXPECT_NE(secret.status().message().find(genesys.client_secret_file), std::string::npos);
    EXPECT_EQ(secret.status().message().find("s3cr3t"), std::string::npos);
  }
  ::setenv(kClientSecretEnv, "from-env", 1);  // a configured file is never bypassed
  EXPECT_FALSE(LoadClientSecret(genesys).ok());
}

TEST_F(ClientSecretTest, MissingOrEmptyFileIsAnError) {
  GenesysConfig genesys;
  genesys.client_secret_file = dir_.path() + "/absent";
  auto absent = LoadClientSecret(genesys);
  ASSERT_FALSE(absent.ok());
  EXPECT_NE(absent.status().message().find("absent"), std::string::npos);
  genesys.client_secret_file = dir_.Write("empty", "\n", 0600);
  EXPECT_FALSE(LoadClientSecret(genesys).ok());
}

TEST_F(ClientSecretTest, FallsBackToTheEnvironment) {
  GenesysConfig genesys;  // no file
  auto none = LoadClientSecret(genesys);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("DIVAUDIT_CLIENT_SECRET"), std::string::npos);
  ::setenv(kClientSecretEnv, "from-env", 1);
  auto secret = LoadClientSecret(genesys);
  ASSERT_TRUE(secret.ok());
  EXPECT_EQ(*secret, "from-env");
}

// [evidence]: off with a 15m lag by default; both keys parse; bad values are one line.
TEST(ParseConfigTest, EvidenceSection) {
  auto defaults = ParseConfig(Join(kBaseLines), "divaudit.toml");
  ASSERT_TRUE(defaults.ok()) << defaults.status().message();
  EXPECT_FALSE(defaults->evidence.conversations);
  EXPECT_EQ(defaults->evidence.lag, milliseconds(15 * 60'000));

  std::vector<std::string> lines = kBaseLines;
  lines.insert(lines.begin() + 19, {"[evidence]", "conversations = true", "lag = \"5m\""});
  auto on = ParseConfig(Join(lines), "divaudit.toml");
  ASSERT_TRUE(on.ok()) << on.status().message();
  EXPECT_TRUE(on->evidence.conversations);
  EXPECT_EQ(on->evidence.lag, milliseconds(5 * 60'000));

  lines[20] = "conversations = \"yes\"";
  auto not_bool = ParseConfig(Join(lines), "divaudit.toml");
  ASSERT_FALSE(not_bool.ok());
  EXPECT_EQ(not_bool.status().message(),
            "divaudit.toml:21:1: [evidence] conversations: must be true or false, got a string");
  lines[20] = "conversatons = true";
  auto typo = ParseConfig(Join(lines), "divaudit.toml");
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.status().message(),
            "divaudit.toml:21:1: [evidence] conversatons: unknown key (did you mean "
            "conversations?)");
  lines[20] = "conversations = true";
  lines[21] = "lag = \"2d\"";
  auto too_long = ParseConfig(Join(lines), "divaudit.toml");
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.status().message(),
            "divaudit.toml:22:1: [evidence] lag: must be at most 1d, got 2d");
}

}  // namespace
}  // namespace divaudit::config
