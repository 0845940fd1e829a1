#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace divaudit::genesys {

// Base URLs of one Genesys Cloud region (no trailing slash).
struct RegionHosts {
  std::string api_base_url;    // "https://api.<domain>"
  std::string login_base_url;  // "https://login.<domain>"
};

// The hosts of a region id such as "us-east-1" (the table of GENESYS_API.md, taken from the
// official SDK's PureCloudRegionHosts). Unknown regions give kInvalidArgument with a message
// listing every valid region. Pure; thread-safe.
Result<RegionHosts> HostsForRegion(std::string_view region);

// Every known region id, in table order.
std::vector<std::string_view> KnownRegions();

}  // namespace divaudit::genesys
