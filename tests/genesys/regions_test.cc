#include "genesys/regions.h"

#include <gtest/gtest.h>

#include "genesys/curl_http_client.h"

namespace divaudit::genesys {
namespace {

TEST(RegionsTest, MapsKnownRegionsToApiAndLoginHosts) {
  auto us = HostsForRegion("us-east-1");
  ASSERT_TRUE(us.ok());
  EXPECT_EQ(us->api_base_url, "https://api.mypurecloud.com");
  EXPECT_EQ(us->login_base_url, "https://login.mypurecloud.com");
  auto gov = HostsForRegion("us-east-2");
  ASSERT_TRUE(gov.ok());
  EXPECT_EQ(gov->api_base_url, "https://api.use2.us-gov-pure.cloud");
  auto eusc = HostsForRegion("eusc-de-east-1");
  ASSERT_TRUE(eusc.ok());
  EXPECT_EQ(eusc->login_base_url, "https://login.edee1.eusc-pure.cloud");
}

TEST(RegionsTest, EveryRegionYieldsAllowedHttpsUrls) {
  EXPECT_EQ(KnownRegions().size(), 18u);
  for (std::string_view region : KnownRegions()) {
    auto hosts = HostsForRegion(region);
    ASSERT_TRUE(hosts.ok()) << region;
    EXPECT_TRUE(CheckUrlAllowed(hosts->api_base_url).ok()) << region;
    EXPECT_TRUE(CheckUrlAllowed(hosts->login_base_url).ok()) << region;
  }
}

TEST(RegionsTest, UnknownRegionListsValidOnes) {
  auto hosts = HostsForRegion("us-east-1.pure.cloudapi.net");
  ASSERT_FALSE(hosts.ok());
  EXPECT_EQ(hosts.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(hosts.status().message().find("us-east-1.pure.cloudapi.net"), std::string::npos);
  EXPECT_NE(hosts.status().message().find("eu-west-1"), std::string::npos);
  EXPECT_NE(hosts.status().message().find("eusc-de-east-1"), std::string::npos);
}

}  // namespace
}  // namespace divaudit::genesys
