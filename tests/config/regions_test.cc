#include "config/regions.h"

#include <gtest/gtest.h>

#include <set>

namespace divaudit::config {
namespace {

TEST(RegionsTest, KnownRegionsMapToApiAndLoginHosts) {
  const struct {
    const char* region;
    const char* api;
    const char* login;
  } kCases[] = {
      {"us-east-1", "https://api.mypurecloud.com", "https://login.mypurecloud.com"},
      {"eu-west-1", "https://api.mypurecloud.ie", "https://login.mypurecloud.ie"},
      {"ap-southeast-2", "https://api.mypurecloud.com.au", "https://login.mypurecloud.com.au"},
      {"ap-northeast-1", "https://api.mypurecloud.jp", "https://login.mypurecloud.jp"},
      {"eu-central-1", "https://api.mypurecloud.de", "https://login.mypurecloud.de"},
      {"us-west-2", "https://api.usw2.pure.cloud", "https://login.usw2.pure.cloud"},
      {"ca-central-1", "https://api.cac1.pure.cloud", "https://login.cac1.pure.cloud"},
      {"ap-northeast-2", "https://api.apne2.pure.cloud", "https://login.apne2.pure.cloud"},
      {"eu-west-2", "https://api.euw2.pure.cloud", "https://login.euw2.pure.cloud"},
      {"ap-south-1", "https://api.aps1.pure.cloud", "https://login.aps1.pure.cloud"},
      {"us-east-2", "https://api.use2.us-gov-pure.cloud", "https://login.use2.us-gov-pure.cloud"},
      {"sa-east-1", "https://api.sae1.pure.cloud", "https://login.sae1.pure.cloud"},
      {"me-central-1", "https://api.mec1.pure.cloud", "https://login.mec1.pure.cloud"},
      {"ap-northeast-3", "https://api.apne3.pure.cloud", "https://login.apne3.pure.cloud"},
      {"eu-central-2", "https://api.euc2.pure.cloud", "https://login.euc2.pure.cloud"},
      {"mx-central-1", "https://api.mxc1.pure.cloud", "https://login.mxc1.pure.cloud"},
      {"ap-southeast-1", "https://api.apse1.pure.cloud", "https://login.apse1.pure.cloud"},
      {"eusc-de-east-1", "https://api.edee1.eusc-pure.cloud",
       "https://login.edee1.eusc-pure.cloud"},
  };
  for (const auto& c : kCases) {
    auto hosts = HostsForRegion(c.region);
    ASSERT_TRUE(hosts.ok()) << c.region;
    EXPECT_EQ(hosts->api_base_url, c.api);
    EXPECT_EQ(hosts->login_base_url, c.login);
  }
  EXPECT_EQ(KnownRegions().size(), std::size(kCases));
}

TEST(RegionsTest, RegionNamesAreUnique) {
  std::set<std::string_view> names;
  for (const RegionEntry& e : KnownRegions()) EXPECT_TRUE(names.insert(e.region).second);
}

TEST(RegionsTest, UnknownRegionIsAnErrorListingTheKnownOnes) {
  for (const char* bad : {"", "us-east-9", "US-EAST-1", "mypurecloud.com"}) {
    auto hosts = HostsForRegion(bad);
    ASSERT_FALSE(hosts.ok()) << bad;
    EXPECT_EQ(hosts.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(hosts.status().message().find("eusc-de-east-1"), std::string::npos);
  }
}

}  // namespace
}  // namespace divaudit::config
