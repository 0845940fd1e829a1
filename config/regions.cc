#include "config/regions.h"

namespace divaudit::config {

const std::vector<RegionEntry>& KnownRegions() {
  static const std::vector<RegionEntry> kRegions = {
      {"us-east-1", "mypurecloud.com"},         {"eu-west-1", "mypurecloud.ie"},
      {"ap-southeast-2", "mypurecloud.com.au"}, {"ap-northeast-1", "mypurecloud.jp"},
      {"eu-central-1", "mypurecloud.de"},       {"us-west-2", "usw2.pure.cloud"},
      {"ca-central-1", "cac1.pure.cloud"},      {"ap-northeast-2", "apne2.pure.cloud"},
      {"eu-west-2", "euw2.pure.cloud"},         {"ap-south-1", "aps1.pure.cloud"},
      {"us-east-2", "use2.us-gov-pure.cloud"},  {"sa-east-1", "sae1.pure.cloud"},
      {"me-central-1", "mec1.pure.cloud"},      {"ap-northeast-3", "apne3.pure.cloud"},
      {"eu-central-2", "euc2.pure.cloud"},      {"mx-central-1", "mxc1.pure.cloud"},
      {"ap-southeast-1", "apse1.pure.cloud"},   {"eusc-de-east-1", "edee1.eusc-pure.cloud"},
  };
  return kRegions;
}

Result<RegionHosts> HostsForRegion(std::string_view region) {
  for (const RegionEntry& entry : KnownRegions()) {
    if (entry.region == region) {
      return RegionHosts{"https://api." + std::string(entry.domain),
                         "https://login." + std::string(entry.domain)};
    }
  }
  std::string known;
  for (const RegionEntry& entry : KnownRegions()) {
    if (!known.empty()) known += ", ";
    known += entry.region;
  }
  return InvalidArgumentError("unknown region '" + std::string(region) + "' (known: " + known +
                              ")");
}

}  // namespace divaudit::config
