// divaudit-sim: the Genesys Cloud API simulator as a standalone server (docs/simulator.md).
// The first line on stdout is exactly "listening 127.0.0.1:PORT"; logs go to stderr.

#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/file_util.h"
#include "common/logging.h"
#include "sim/config_writer.h"
#include "sim/faults.h"
#include "sim/generator.h"
#include "sim/org_json.h"
#include "sim/rate_limit.h"
#include "sim/server.h"
#include "sim/truth.h"

namespace {

using divaudit::Result;
using divaudit::Status;
namespace sim = divaudit::sim;

int Fail(const std::string& message, int code) {
  std::cerr << "divaudit-sim: " << message << "\n";
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "divaudit-sim: a Genesys Cloud Platform API simulator for divaudit (tests, benchmarks, "
      "demo).\nServes one org over HTTP/1.1 on loopback; prints \"listening 127.0.0.1:PORT\" "
      "as its first stdout line, then runs until SIGINT/SIGTERM."};
  std::string listen = "127.0.0.1:0";
  std::string org_file, generate, write_config, truth_file, dump_org, db_path;
  std::string rate_limit, latency, faults;
  std::vector<std::string> clients;
  uint64_t seed = 1;
  int64_t token_ttl = 86400;
  int threads = 2;
  int64_t inactive_limit = 10000;
  std::string log_level = "info";

  app.add_option("--listen", listen, "loopback HOST:PORT to bind (port 0: any free port)")
      ->capture_default_str();
  auto* org_opt = app.add_option("--org", org_file, "serve the org fixture in FILE.json");
  app.add_option("--generate", generate,
                 "generate an org: divisions=N,users=N,groups=N,roles=N,clients=N,tenants=N,"
                 "seed=N,queues=N,queue_members=M (any subset; defaults 40/2000/40/25/12)")
      ->excludes(org_opt);
  app.add_option("--client", clients,
                 "accepted client credentials ID:SECRET (repeatable; default "
                 "sim-client:sim-secret)");
  app.add_option("--token-ttl", token_ttl, "access token lifetime in seconds")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--rate-limit", rate_limit,
                 "per-client token bucket, e.g. 300/min (429 + Retry-After past it)");
  app.add_option("--latency", latency, "added latency per request: MS or MS±J (also MS+-J)");
  app.add_option("--faults", faults,
                 "429=p,500=p,503=p,reset=p,truncate=p,badjson=p,expire_token=p,"
                 "forbid_division=ID");
  std::vector<std::string> fail_paths;
  app.add_option("--fail-path", fail_paths,
                 "REGEX=STATUS: answer every API request whose path?query matches REGEX with "
                 "STATUS (400..599), reset the connection (reset), or hold it unanswered for "
                 "10 minutes (stall); repeatable");
  std::string audit_shape = "entity";
  app.add_option("--audit-shape", audit_shape,
                 "layout of recorded audit events: entity|changes|properties")
      ->capture_default_str();
  app.add_option("--seed", seed, "seed of the fault and latency draws")->capture_default_str();
  app.add_option("--threads", threads, "I/O threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_option("--inactive-limit", inactive_limit,
                 "GET /users?state=inactive answers 400 past this many results")
      ->capture_default_str();
  app.add_option("--write-config", write_config,
                 "write a divaudit TOML config for this server to FILE (and the client secret "
                 "to FILE.secret, mode 0600)");
  app.add_option("--db-path", db_path,
                 "storage path written by --write-config (default: divaudit.db next to FILE)");
  app.add_option("--truth", truth_file, "write the expected findings (ground truth) to FILE");
  app.add_option("--dump-org", dump_org, "write the served org as fixture JSON to FILE");
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error|off")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  divaudit::LogOptions log_options;
  if (auto level = divaudit::ParseLogLevel(log_level); level.ok()) {
    log_options.level = *level;
  } else {
    return Fail(level.status().message(), 2);
  }
  log_options.journald = divaudit::RunningUnderJournald();
  divaudit::SetupLogging(log_options);

  sim::SimOptions options;
  {
    size_t colon = listen.rfind(':');
    if (colon == std::string::npos) return Fail("--listen: expected HOST:PORT", 2);
    options.listen_host = listen.substr(0, colon);
    if (options.listen_host.size() > 2 && options.listen_host.front() == '[') {
      options.listen_host = options.listen_host.substr(1, options.listen_host.size() - 2);
    }
    char* end = nullptr;
    const unsigned long port = std::strtoul(listen.c_str() + colon + 1, &end, 10);
    if (*end != '\0' || port > 65535) return Fail("--listen: bad port", 2);
    options.port = static_cast<uint16_t>(port);
  }
  if (!clients.empty()) {
    options.clients.clear();
    for (const auto& c : clients) {
      auto cred = sim::ParseClientCredential(c);
      if (!cred.ok()) return Fail(cred.status().message(), 2);
      options.clients.push_back(*cred);
    }
  }
  options.token_ttl_seconds = token_ttl;
  if (!rate_limit.empty()) {
    options.rate_limit_per_minute = sim::ParseRateLimit(rate_limit);
    if (options.rate_limit_per_minute < 0) return Fail("--rate-limit: expected N/min", 2);
  }
  if (!latency.empty()) {
    auto l = sim::ParseLatency(latency);
    if (!l.ok()) return Fail(l.status().message(), 2);
    options.latency = *l;
  }
  if (!faults.empty()) {
    auto f = sim::ParseFaultSpec(faults);
    if (!f.ok()) return Fail("--faults: " + f.status().message(), 2);
    options.faults = *f;
  }
  for (const auto& spec : fail_paths) {
    auto f = sim::ParsePathFault(spec);
    if (!f.ok()) return Fail("--fail-path: " + f.status().message(), 2);
    options.faults.fail_paths.push_back(*f);
  }
  options.seed = seed;
  if (auto shape = sim::ParseAuditShape(audit_shape); shape.ok()) {
    options.audit_shape = *shape;
  } else {
    return Fail("--audit-shape: " + shape.status().message(), 2);
  }
  options.threads = threads;
  options.inactive_user_limit = inactive_limit;

  sim::OrgFixture fixture;
  if (!org_file.empty()) {
    auto text = divaudit::ReadFile(org_file);
    if (!text.ok()) return Fail(text.status().message(), 2);
    auto parsed = sim::ParseOrgJson(*text);
    if (!parsed.ok()) return Fail(org_file + ": " + parsed.status().message(), 2);
    fixture = std::move(parsed).value();
  } else {
    auto spec = sim::ParseGenerateSpec(generate);
    if (!spec.ok()) return Fail("--generate: " + spec.status().message(), 2);
    spec->conversations_until_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count();
    fixture = sim::GenerateOrg(*spec);
  }

  // Signals are waited for synchronously; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto server = sim::SimServer::Start(options, fixture);
  if (!server.ok()) {
    const bool usage = server.status().code() == divaudit::StatusCode::kInvalidArgument;
    return Fail(server.status().message(), usage ? 2 : 1);
  }
  const std::string address = options.listen_host + ":" + std::to_string((*server)->port());

  // Files are written before the "listening" line so a reader of that line can use them.
  if (!write_config.empty()) {
    sim::ConfigWriterOptions cw;
    cw.api_base_url = (*server)->base_url();
    cw.client_id = options.clients.front().id;
    // Absolute paths: the daemon may run from another working directory.
    const std::filesystem::path config_path = std::filesystem::absolute(write_config);
    cw.client_secret_file = config_path.string() + ".secret";
    cw.db_path = !db_path.empty() ? db_path : (config_path.parent_path() / "divaudit.db").string();
    Status s = divaudit::WriteFileAtomic(cw.client_secret_file,
                                         options.clients.front().secret + "\n", 0600);
    if (s.ok()) s = divaudit::WriteFileAtomic(write_config, sim::RenderConfigToml(fixture, cw));
    if (!s.ok()) return Fail(s.message(), 1);
  }
  if (!truth_file.empty()) {
    Status s = divaudit::WriteFileAtomic(
        truth_file, sim::ComputeTruthJson(fixture, std::chrono::system_clock::now()));
    if (!s.ok()) return Fail(s.message(), 1);
  }
  if (!dump_org.empty()) {
    Status s = divaudit::WriteFileAtomic(dump_org, sim::OrgToJson(fixture));
    if (!s.ok()) return Fail(s.message(), 1);
  }

  std::printf("listening %s\n", address.c_str());
  std::fflush(stdout);

  int sig = 0;
  sigwait(&signals, &sig);
  divaudit::GetLogger("sim")->info("event=stopping signal={}", sig);
  (*server)->Stop();
  return 0;
}
