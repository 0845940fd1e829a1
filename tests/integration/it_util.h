#pragma once

// Helpers shared by integration tests: config patching and findings-document reading.
#include <set>
#include <string>
#include <tuple>

#include "common/status.h"

namespace divaudit::testing {

// (rule, subject type, subject id, role id, division id, via type, via id, state, queue id)
// The queue id is part of a cross_tenant_queue finding's identity ("" for every other rule).
using FindingKey = std::tuple<std::string, std::string, std::string, std::string, std::string,
                              std::string, std::string, std::string, std::string>;

std::string ReadWholeFile(const std::string& path);
// Sets [genesys] requests_per_minute / max_concurrency (and appends `extra` lines to the end)
// in a config written by divaudit-sim --write-config, so sweeps are not paced at 300/min.
bool MakeConfigFast(const std::string& path, int requests_per_minute = 100000,
                    int max_concurrency = 8, const std::string& extra = "");
// Identity + state of every finding in a findings document or a --truth file.
Result<std::set<FindingKey>> ReadFindingKeys(const std::string& json);

std::string Describe(const FindingKey& k);
// sweep.status of a findings document ("" if absent).
std::string SweepStatusOf(const std::string& json);
// Any integer field of the sweep block, e.g. "id", "api_requests", or counts.<name>.
int64_t SweepField(const std::string& json, const std::string& path);

}  // namespace divaudit::testing
