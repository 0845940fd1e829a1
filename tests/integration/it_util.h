#pragma once

// Helpers shared by integration tests: config patching and findings-document reading.
#include <set>
#include <string>
#include <tuple>

#include "common/status.h"

namespace divaudit::testing {

// (rule, subject type, subject id, role id, division id, via type, via id, state)
using FindingKey = std::tuple<std::string, std::string, std::string, std::string, std::string,
                              std::string, std::string, std::string>;

std::string ReadWholeFile(const std::string& path);
// Sets [genesys] requests_per_minute / max_concurrency (and appends `extra` lines to the end)
// in a config written by divaudit-sim --write-config, so sweeps are not paced at 300/min.
bool MakeConfigFast(const std::string& path, int requests_per_minute = 100000,
                    int max_concurrency = 8, const std::string& extra = "");
// Identity + state of every finding in a findings document or a --truth file.
Result<std::set<FindingKey>> ReadFindingKeys(const std::string& json);

// v2 (perm-sweep): the simulator's truth covers grant_guardrail_off and org_wide_permission
// before the engine that judges them is merged (branch perm-audit). Until the sweep reports any
// finding of those rules, they are dropped from `truth`; returns whether the sweep judges them.
// Delete once the engine's rules are merged.
bool DropV2RulesTheSweepDoesNotJudgeYet(std::set<FindingKey>& truth,
                                        const std::set<FindingKey>& swept);
std::string Describe(const FindingKey& k);
// sweep.status of a findings document ("" if absent).
std::string SweepStatusOf(const std::string& json);
// Any integer field of the sweep block, e.g. "id", "api_requests", or counts.<name>.
int64_t SweepField(const std::string& json, const std::string& path);

}  // namespace divaudit::testing
