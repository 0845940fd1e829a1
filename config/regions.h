#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace divaudit::config {

// Base URLs of one Genesys Cloud region, without a trailing slash.
struct RegionHosts {
  std::string api_base_url;    // "https://api.<domain>"
  std::string login_base_url;  // "https://login.<domain>"
};

// One row of the official region table (docs/genesys-api.md, the SDK's PureCloudRegionHosts).
struct RegionEntry {
  std::string_view region;  // "us-east-1"
  std::string_view domain;  // "mypurecloud.com"
};

// Every region Genesys Cloud documents, in the SDK's order (docs/genesys-api.md). Static storage.
const std::vector<RegionEntry>& KnownRegions();

// us-east-1 → {https://api.mypurecloud.com, https://login.mypurecloud.com}.
// kInvalidArgument for a region that is not in the table (the message lists the known ones).
// Pure; thread-safe.
Result<RegionHosts> HostsForRegion(std::string_view region);

}  // namespace divaudit::config
