#pragma once

// Test harness for integration tests: runs the real binaries (divaudit-sim, divaudit) as child
// processes on loopback and talks HTTP to them. Not thread-safe; one harness per test.
#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace divaudit::testing {

std::string SimBinary();       // path of the built divaudit-sim
std::string DivauditBinary();  // path of the built divaudit

// A fresh temporary directory, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct CommandResult {
  int exit_code = -1;  // -signal when killed by a signal
  std::string out;
  std::string err;
};

// Runs argv[0] with the arguments, waits (bounded by `timeout`; killed after it), captures output.
CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env = {},
                         std::chrono::seconds timeout = std::chrono::seconds(300));

// A child process whose stdout first line is read (e.g. "listening 127.0.0.1:PORT").
class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Starts the process with stderr sent to `stderr_path` (or inherited when empty).
  bool Start(const std::vector<std::string>& argv, const std::string& stderr_path = "",
             const std::map<std::string, std::string>& env = {});
  // Reads one line of stdout (without the newline), waiting up to `timeout`.
  std::optional<std::string> ReadLine(std::chrono::milliseconds timeout);
  // Sends a signal; returns false when not running.
  bool Signal(int sig);
  // Waits for exit up to `timeout`; returns the exit code (-signal), or nullopt on timeout.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string buffer_;
};

// divaudit-sim started with `args` (plus --listen 127.0.0.1:0 unless args name one); knows its
// port.
class SimProcess {
 public:
  // Returns false (and fills error) when it fails to start or print its port.
  bool Start(const std::vector<std::string>& args, std::string* error);
  int port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  ChildProcess& process() { return process_; }
  const std::string& stderr_path() const { return stderr_path_; }

 private:
  TempDir dir_;
  ChildProcess process_;
  std::string stderr_path_;
  int port_ = 0;
};

struct HttpResult {
  long status = 0;  // 0: transport failure
  std::string body;
};
HttpResult HttpRequest(const std::string& method, const std::string& url,
                       const std::string& body = "", const std::vector<std::string>& headers = {});

// Polls `predicate` every 50 ms until it is true or `timeout` passes.
template <typename F>
bool WaitFor(F predicate, std::chrono::milliseconds timeout);

}  // namespace divaudit::testing

#include <thread>

template <typename F>
bool divaudit::testing::WaitFor(F predicate, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return predicate();
}
