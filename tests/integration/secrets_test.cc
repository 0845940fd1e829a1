// Secrets and exposure (issue 8): with a known client secret and live tokens, nothing divaudit
// writes — logs at every level, the database (and its WAL), metrics, findings output, error
// messages — contains the secret, its Basic-auth form or a usable token. Secret files readable
// by others are refused; TLS verification cannot be disabled; plain http only to loopback;
// the metrics endpoint with basic auth refuses wrong credentials.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <csignal>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include "common/strings.h"
#include "tests/integration/daemon_harness.h"
#include "tests/integration/it_util.h"

namespace divaudit::testing {
namespace {

using namespace std::chrono_literals;

constexpr char kClientId[] = "leak-check-client";
constexpr char kSecret[] = "Sup3r-S3cret-Value-4242";

std::string ReadBinary(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every 64-hex-digit string in `text` that the simulator accepts as a bearer token.
std::set<std::string> LiveTokensIn(const std::string& text, const std::string& sim_url) {
  std::set<std::string> candidates, live;
  static const std::regex hex64("[0-9a-f]{64}");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), hex64);
       it != std::sregex_iterator(); ++it) {
    candidates.insert(it->str());
  }
  for (const auto& c : candidates) {
    const auto r = HttpRequest("GET", sim_url + "/api/v2/authorization/divisions/home", "",
                               {"Authorization: Bearer " + c});
    if (r.status == 200) live.insert(c);
  }
  return live;
}

void ExpectNoSecrets(const std::string& what, const std::string& text, const std::string& sim_url) {
  EXPECT_EQ(text.find(kSecret), std::string::npos) << what << " contains the client secret";
  const std::string basic = Base64Encode(std::string(kClientId) + ":" + kSecret);
  EXPECT_EQ(text.find(basic), std::string::npos) << what << " contains the Basic credentials";
  EXPECT_TRUE(LiveTokensIn(text, sim_url).empty()) << what << " contains a live access token";
}

TEST(SecretsTest, NothingDivauditWritesContainsTheSecretOrAToken) {
  RunningDaemon d;
  RunningDaemon::Options options;
  options.sim_args = {"--generate", "divisions=12,users=300,seed=21", "--client",
                      std::string(kClientId) + ":" + kSecret};
  std::string error;
  ASSERT_TRUE(d.Start(options, &error)) << error;
  ASSERT_TRUE(d.WaitForSweeps("complete", 1, 60s)) << d.Log();
  // Prove the token check works: a token we fetch ourselves is found when planted in text.
  const auto token_response =
      HttpRequest("POST", d.sim().base_url() + "/oauth/token", "grant_type=client_credentials",
                  {"Authorization: Basic " + Base64Encode(std::string(kClientId) + ":" + kSecret),
                   "Content-Type: application/x-www-form-urlencoded"});
  std::smatch m;
  ASSERT_TRUE(std::regex_search(token_response.body, m, std::regex("[0-9a-f]{64}")));
  EXPECT_EQ(LiveTokensIn("x " + m.str() + " y", d.sim().base_url()).size(), 1u);

  ExpectNoSecrets("metrics", d.Scrape(), d.sim().base_url());
  // One writer at a time: stop the daemon before the one-shot sweep.
  ASSERT_TRUE(d.daemon().Signal(SIGTERM));
  ASSERT_TRUE(d.daemon().Wait(std::chrono::seconds(10)).has_value());
  const auto sweep =
      d.Divaudit({"--log-level", "trace", "sweep", "--config", d.config_path(), "--json"});
  ASSERT_EQ(sweep.exit_code, 0) << sweep.err;
  ExpectNoSecrets("sweep stderr (trace logs)", sweep.err, d.sim().base_url());
  ExpectNoSecrets("sweep stdout (findings document)", sweep.out, d.sim().base_url());
  ExpectNoSecrets("daemon log", d.Log(), d.sim().base_url());
  for (const char* format : {"table", "json", "csv"}) {
    const auto f =
        d.Divaudit({"findings", "--config", d.config_path(), "--state", "all", "--format", format});
    ExpectNoSecrets(std::string("findings --format ") + format, f.out + f.err, d.sim().base_url());
  }
  for (const char* format : {"html", "json", "csv"}) {
    const std::string out = d.dir().File(std::string("reports-") + format);
    const auto r = d.Divaudit(
        {"report", "--config", d.config_path(), "--all-tenants", "--format", format, "--out", out});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::string all = r.out + r.err;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(out)) {
      if (entry.is_regular_file()) all += ReadBinary(entry.path().string());
    }
    ExpectNoSecrets(std::string("reports (") + format + ")", all, d.sim().base_url());
  }
  const auto diff = d.Divaudit({"diff", "--config", d.config_path()});
  ExpectNoSecrets("diff", diff.out + diff.err, d.sim().base_url());
  ExpectNoSecrets("database", ReadBinary(d.db_path()) + ReadBinary(d.db_path() + "-wal"),
                  d.sim().base_url());

  // A wrong secret: the error names the login URL and the OAuth error, never the secret.
  const std::string wrong = "Wr0ng-Secret-Value-777";
  { std::ofstream(d.config_path() + ".secret", std::ios::trunc) << wrong << "\n"; }
  const auto refused = d.Divaudit({"--log-level", "trace", "sweep", "--config", d.config_path()});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_EQ((refused.out + refused.err).find(wrong), std::string::npos);
  EXPECT_EQ((refused.out + refused.err).find(Base64Encode(std::string(kClientId) + ":" + wrong)),
            std::string::npos);
  EXPECT_NE(refused.err.find("invalid_client"), std::string::npos) << refused.err;
}

TEST(SecretsTest, SecretFileReadableByOthersIsRefused) {
  RunningDaemon d;
  std::string error;
  ASSERT_TRUE(d.SetupOnly({}, &error)) << error;
  ASSERT_EQ(::chmod((d.config_path() + ".secret").c_str(), 0644), 0);
  const auto r = d.Divaudit({"sweep", "--config", d.config_path()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(".secret"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("chmod 600"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("sim-secret"), std::string::npos);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line: " << r.err;
}

TEST(SecretsTest, TlsVerificationCannotBeDisabledAndHttpOnlyToLoopback) {
  TempDir dir;
  const auto check = [&](const std::string& genesys_extra) {
    std::ofstream(dir.File("c.toml"), std::ios::trunc)
        << "[genesys]\nclient_id = \"x\"\n"
        << genesys_extra << "\n[storage]\npath = \"db\"\n";
    return RunCommand({DivauditBinary(), "check-config", "--config", dir.File("c.toml")},
                      {{"DIVAUDIT_CLIENT_SECRET", "s"}});
  };
  for (const char* key :
       {"tls_verify = false", "insecure = true", "verify_tls = false", "ssl_verify = false"}) {
    const auto r = check(key);
    EXPECT_EQ(r.exit_code, 2) << key;
    EXPECT_NE(r.err.find("unknown key"), std::string::npos) << key << ": " << r.err;
  }
  const auto http = check(
      "api_base_url = \"http://api.example.com\"\n"
      "login_base_url = \"http://login.example.com\"");
  EXPECT_EQ(http.exit_code, 2);
  EXPECT_NE(http.err.find("loopback"), std::string::npos) << http.err;
  const auto loopback = check(
      "api_base_url = \"http://127.0.0.1:9\"\n"
      "login_base_url = \"http://127.0.0.1:9\"");
  EXPECT_EQ(loopback.exit_code, 0) << loopback.err;
}

TEST(SecretsTest, MetricsBasicAuthRefusesWrongCredentials) {
  RunningDaemon d;
  std::string error;
  ASSERT_TRUE(d.SetupOnly({}, &error)) << error;
  {
    std::ofstream pw(d.dir().File("metrics-password"));
    pw << "scrape-pass-1\n";
  }
  ASSERT_EQ(::chmod(d.dir().File("metrics-password").c_str(), 0600), 0);
  std::string text = ReadWholeFile(d.config_path());
  text.insert(text.find("[metrics]\n") + 10,
              "basic_auth_user = \"prometheus\"\n"
              "basic_auth_password_file = \"" +
                  d.dir().File("metrics-password") + "\"\n");
  std::ofstream(d.config_path(), std::ios::trunc) << text;
  ASSERT_TRUE(d.StartDaemon(&error)) << error;
  const std::string url = "http://127.0.0.1:" + std::to_string(d.metrics_port()) + "/metrics";
  EXPECT_EQ(HttpRequest("GET", url).status, 401);
  EXPECT_EQ(
      HttpRequest("GET", url, "", {"Authorization: Basic " + Base64Encode("prometheus:wrong")})
          .status,
      401);
  EXPECT_EQ(
      HttpRequest("GET", url, "", {"Authorization: Basic " + Base64Encode("other:scrape-pass-1")})
          .status,
      401);
  const auto ok = HttpRequest("GET", url, "",
                              {"Authorization: Basic " + Base64Encode("prometheus:scrape-pass-1")});
  EXPECT_EQ(ok.status, 200);
  EXPECT_NE(ok.body.find("divaudit_build_info"), std::string::npos);
}

}  // namespace
}  // namespace divaudit::testing
