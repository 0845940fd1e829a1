#include "daemon/sweep_job.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "common/time_util.h"
#include "config/loader.h"
#include "daemon/service.h"

namespace divaudit::daemon {
namespace {

namespace fs = std::filesystem;

constexpr char kConfig[] = R"([genesys]
client_id = "c"
api_base_url = "http://127.0.0.1:9"
login_base_url = "http://127.0.0.1:9"
client_secret_file = "secret"
[schedule]
interval = "10m"
[storage]
path = "divaudit.db"
[metrics]
listen = "127.0.0.1:0"
[[tenant]]
name = "Acme"
divisions = ["Acme*"]
[[tenant]]
name = "Globex"
divisions = ["Globex*"]
[[exception]]
rule = "cross_tenant"
subject_id = "u1"
reason = "migration"
owner = "secops@example.com"
expires = "2027-06-30"
)";

// The loader parses exception rules and expiry dates once; the policy takes them as they are.
TEST(PolicyFromConfigTest, TakesTheTypedValuesOfTheLoader) {
  auto config = config::ParseConfig(kConfig, "d.toml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const audit::Policy policy = PolicyFromConfig(*config);
  ASSERT_EQ(policy.exceptions.size(), 1u);
  EXPECT_EQ(policy.exceptions[0].rule, audit::Rule::kCrossTenant);
  EXPECT_EQ(FormatIso8601(policy.exceptions[0].expires_at), "2027-06-30T23:59:59Z");
  EXPECT_EQ(policy.exceptions[0].expires, "2027-06-30");
  ASSERT_EQ(policy.tenants.size(), 2u);
}

TEST(CheckTenantMapTest, TwoTenantsClaimingOneDivisionIsAConfigError) {
  auto config = config::ParseConfig(kConfig, "d.toml");
  ASSERT_TRUE(config.ok());
  std::vector<audit::Division> divisions(2);
  divisions[0].id = "d1", divisions[0].name = "Acme Retail";
  divisions[1].id = "d2", divisions[1].name = "Globex Health";
  EXPECT_TRUE(CheckTenantMap(*config, divisions).ok());
  config->tenants.push_back({"Overlap", {"d1"}});
  const Status s = CheckTenantMap(*config, divisions);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message().rfind("d.toml: [[tenant]]", 0), 0u) << s.message();
  EXPECT_NE(s.message().find("Overlap"), std::string::npos) << s.message();
}

class ServiceConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "service-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    std::ofstream(dir_ / "secret") << "s3cret\n";
    ::chmod((dir_ / "secret").c_str(), 0600);
    Write(kConfig);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const std::string& text) { std::ofstream(dir_ / "divaudit.toml") << text; }
  std::string path() const { return (dir_ / "divaudit.toml").string(); }
  fs::path dir_;
};

// SIGHUP replaces the configuration while a sweep may be starting: the handover is a snapshot.
// Reload leaves the new one pending; what config() returned before stays valid and unchanged.
TEST_F(ServiceConfigTest, ReloadLeavesAPendingSnapshotAndOldSnapshotsStayValid) {
  SystemClock clock;
  SeededRandom random(1);
  Service::Options options;
  options.config_path = path();
  auto service = Service::Create(options, clock, random, CancellationToken());
  ASSERT_TRUE(service.ok()) << service.status().ToString();
  std::shared_ptr<const config::Config> before = (*service)->config();
  ASSERT_NE(before, nullptr);
  EXPECT_EQ(before->schedule.interval, std::chrono::minutes(10));

  std::string next = kConfig;
  next.replace(next.find("\"10m\""), 5, "\"20m\"");
  Write(next);
  auto schedule = (*service)->Reload();
  ASSERT_TRUE(schedule.ok()) << schedule.status().ToString();
  EXPECT_EQ(schedule->interval, std::chrono::minutes(20));
  // Not adopted until the next sweep starts; the old snapshot is untouched.
  EXPECT_EQ((*service)->config(), before);
  EXPECT_EQ(before->schedule.interval, std::chrono::minutes(10));

  Write(
      "[genesys]\nclient_id = \"c\"\nclient_secret_file = \"secret\"\n[storage]\n"
      "path = \"other.db\"\n");
  auto rejected = (*service)->Reload();
  ASSERT_FALSE(rejected.ok());
  EXPECT_NE(rejected.status().message().find("cannot change on reload"), std::string::npos)
      << rejected.status().message();
}

}  // namespace
}  // namespace divaudit::daemon
