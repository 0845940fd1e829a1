#include "genesys/regions.h"

#include <array>
#include <utility>

namespace divaudit::genesys {
namespace {

struct RegionDomain {
  std::string_view region;
  std::string_view domain;
};

constexpr std::array<RegionDomain, 18> kRegions = {{
    {"us-east-1", "mypurecloud.com"},
    {"eu-west-1", "mypurecloud.ie"},
    {"ap-southeast-2", "mypurecloud.com.au"},
    {"ap-northeast-1", "mypurecloud.jp"},
    {"eu-central-1", "mypurecloud.de"},
    {"us-west-2", "usw2.pure.cloud"},
    {"ca-central-1", "cac1.pure.cloud"},
    {"ap-northeast-2", "apne2.pure.cloud"},
    {"eu-west-2", "euw2.pure.cloud"},
    {"ap-south-1", "aps1.pure.cloud"},
    {"us-east-2", "use2.us-gov-pure.cloud"},
    {"sa-east-1", "sae1.pure.cloud"},
    {"me-central-1", "mec1.pure.cloud"},
    {"ap-northeast-3", "apne3.pure.cloud"},
    {"eu-central-2", "euc2.pure.cloud"},
    {"mx-central-1", "mxc1.pure.cloud"},
    {"ap-southeast-1", "apse1.pure.cloud"},
    {"eusc-de-east-1", "edee1.eusc-pure.cloud"},
}};

}  // namespace

Result<RegionHosts> HostsForRegion(std::string_view region) {
  for (const auto& r : kRegions) {
    if (r.region == region) {
      return RegionHosts{"https://api." + std::string(r.domain),
                         "https://login." + std::string(r.domain)};
    }
  }
  std::string valid;
  for (const auto& r : kRegions) {
    if (!valid.empty()) valid += ", ";
    valid += r.region;
  }
  return InvalidArgumentError("unknown Genesys Cloud region \"" + std::string(region) +
                              "\"; valid regions: " + valid);
}

std::vector<std::string_view> KnownRegions() {
  std::vector<std::string_view> out;
  out.reserve(kRegions.size());
  for (const auto& r : kRegions) out.push_back(r.region);
  return out;
}

}  // namespace divaudit::genesys
