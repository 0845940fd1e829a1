#include "sim/faults.h"

#include <simdjson.h>

#include <charconv>

#include "common/strings.h"

namespace divaudit::sim {

std::string_view FaultName(Fault f) {
  switch (f) {
    case Fault::kNone:
      return "none";
    case Fault::k429:
      return "429";
    case Fault::k500:
      return "500";
    case Fault::k503:
      return "503";
    case Fault::kReset:
      return "reset";
    case Fault::kTruncate:
      return "truncate";
    case Fault::kBadJson:
      return "badjson";
    case Fault::kExpireToken:
      return "expire_token";
  }
  return "none";
}

namespace {

double* Slot(FaultConfig& c, std::string_view key) {
  if (key == "429") return &c.p429;
  if (key == "500") return &c.p500;
  if (key == "503") return &c.p503;
  if (key == "reset") return &c.reset;
  if (key == "truncate") return &c.truncate;
  if (key == "badjson") return &c.badjson;
  if (key == "expire_token") return &c.expire_token;
  return nullptr;
}

Status Validate(const FaultConfig& c) {
  const double sum = c.p429 + c.p500 + c.p503 + c.reset + c.truncate + c.badjson + c.expire_token;
  if (sum > 1.0 + 1e-9) return InvalidArgumentError("fault probabilities sum to more than 1");
  return Status::Ok();
}

Status SetProbability(FaultConfig& c, std::string_view key, double p) {
  double* slot = Slot(c, key);
  if (slot == nullptr) return InvalidArgumentError("unknown fault '" + std::string(key) + "'");
  if (!(p >= 0.0 && p <= 1.0)) {
    return InvalidArgumentError("fault '" + std::string(key) + "': probability outside [0,1]");
  }
  *slot = p;
  return Status::Ok();
}

}  // namespace

bool PathFault::Matches(std::string_view target) const {
  return regex != nullptr && std::regex_search(target.begin(), target.end(), *regex);
}

Result<PathFault> ParsePathFault(std::string_view spec) {
  const size_t eq = spec.rfind('=');
  const std::string where = "fail path '" + std::string(spec) + "'";
  if (eq == std::string_view::npos || eq == 0) {
    return InvalidArgumentError(where + ": expected REGEX=STATUS");
  }
  PathFault f;
  f.pattern = std::string(spec.substr(0, eq));
  const std::string_view status = Trim(spec.substr(eq + 1));
  if (status == "reset") {
    f.status = PathFault::kResetStatus;
  } else if (status == "stall") {
    f.status = PathFault::kStallStatus;
  } else {
    auto [ptr, ec] = std::from_chars(status.data(), status.data() + status.size(), f.status);
    if (status.empty() || ec != std::errc() || ptr != status.data() + status.size() ||
        f.status < 400 || f.status > 599) {
      return InvalidArgumentError(where + ": STATUS must be 400..599, reset or stall");
    }
  }
  try {
    f.regex = std::make_shared<const std::regex>(f.pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return InvalidArgumentError(where + ": invalid regex: " + e.what());
  }
  return f;
}

Result<FaultConfig> ParseFaultSpec(std::string_view spec) {
  FaultConfig c;
  for (const std::string& raw : Split(spec, ',')) {
    std::string_view item = Trim(raw);
    if (item.empty()) continue;
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return InvalidArgumentError("fault '" + std::string(item) + "': expected KEY=VALUE");
    }
    std::string_view key = Trim(item.substr(0, eq));
    std::string_view value = Trim(item.substr(eq + 1));
    if (key == "forbid_division") {
      c.forbid_division = std::string(value);
      continue;
    }
    double p = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), p);
    if (value.empty() || ec != std::errc() || ptr != value.data() + value.size()) {
      return InvalidArgumentError("fault '" + std::string(key) + "': not a number");
    }
    DIVAUDIT_RETURN_IF_ERROR(SetProbability(c, key, p));
  }
  DIVAUDIT_RETURN_IF_ERROR(Validate(c));
  return c;
}

Result<FaultConfig> ParseFaultJson(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS) {
    return InvalidArgumentError("faults: body is not valid JSON");
  }
  simdjson::dom::object obj;
  if (root.get_object().get(obj) != simdjson::SUCCESS) {
    return InvalidArgumentError("faults: body must be a JSON object");
  }
  FaultConfig c;
  for (auto [key, value] : obj) {
    if (key == "fail_path") {
      simdjson::dom::array specs;
      if (value.get_array().get(specs) != simdjson::SUCCESS) {
        return InvalidArgumentError("faults: fail_path must be an array of \"REGEX=STATUS\"");
      }
      for (auto item : specs) {
        std::string_view spec;
        if (item.get_string().get(spec) != simdjson::SUCCESS) {
          return InvalidArgumentError("faults: fail_path entries must be strings");
        }
        DIVAUDIT_ASSIGN_OR_RETURN(PathFault f, ParsePathFault(spec));
        c.fail_paths.push_back(std::move(f));
      }
      continue;
    }
    if (key == "forbid_division") {
      std::string_view s;
      if (value.get_string().get(s) != simdjson::SUCCESS) {
        return InvalidArgumentError("faults: forbid_division must be a string");
      }
      c.forbid_division = std::string(s);
      continue;
    }
    double p = 0;
    if (value.get_double().get(p) != simdjson::SUCCESS) {
      int64_t i = 0;
      if (value.get_int64().get(i) != simdjson::SUCCESS) {
        return InvalidArgumentError("faults: '" + std::string(key) + "' must be a number");
      }
      p = static_cast<double>(i);
    }
    DIVAUDIT_RETURN_IF_ERROR(SetProbability(c, key, p));
  }
  DIVAUDIT_RETURN_IF_ERROR(Validate(c));
  return c;
}

FaultInjector::FaultInjector(FaultConfig config, uint64_t seed)
    : config_(std::move(config)), engine_(seed) {}

Fault FaultInjector::Next() {
  std::lock_guard lock(mu_);
  const double u = static_cast<double>(engine_() >> 11) * 0x1.0p-53;
  const std::pair<double, Fault> table[] = {
      {config_.p429, Fault::k429},
      {config_.p500, Fault::k500},
      {config_.p503, Fault::k503},
      {config_.reset, Fault::kReset},
      {config_.truncate, Fault::kTruncate},
      {config_.badjson, Fault::kBadJson},
      {config_.expire_token, Fault::kExpireToken},
  };
  double acc = 0;
  for (const auto& [p, fault] : table) {
    acc += p;
    if (u < acc) return fault;
  }
  return Fault::kNone;
}

const PathFault* FindFailPath(const FaultConfig& config, std::string_view target) {
  for (const PathFault& f : config.fail_paths) {
    if (f.Matches(target)) return &f;
  }
  return nullptr;
}

FaultConfig FaultInjector::config() const {
  std::lock_guard lock(mu_);
  return config_;
}

void FaultInjector::SetConfig(FaultConfig config) {
  std::lock_guard lock(mu_);
  config_ = std::move(config);
}

}  // namespace divaudit::sim
