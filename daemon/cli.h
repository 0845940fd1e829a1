#pragma once
// Shell completion generated from the CLI11 command table itself, so it cannot drift from the
// command line: whatever subcommands and options main.cc registers are what the script offers.

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace divaudit::daemon {

// One subcommand (or the top level, name "") as the completion sees it.
struct CliCommandSpec {
  std::string name;                        // "" for the top level
  std::vector<std::string> options;        // every spelling: "--config", "-c", "--help", …
  std::vector<std::string> value_options;  // the subset that takes a value
  // For value options restricted to a set (CLI::IsMember): option → allowed values.
  std::vector<std::pair<std::string, std::vector<std::string>>> choices;
};

// Walks `app` (CLI11 introspection): the top level first, then every subcommand in registration
// order. Options of the top level are listed under each subcommand too (the app uses
// fallthrough(), so they may follow the subcommand). `--help` is included; `--version` only at
// the top level.
std::vector<CliCommandSpec> DescribeCli(const CLI::App& app);

// A bash completion script (bash-completion's _init_completion when present, plain compgen
// otherwise) completing the subcommands, each subcommand's options, the allowed values of
// IsMember options and file names for other values. `program` is the command it registers for.
std::string BashCompletionScript(const CLI::App& app, const std::string& program);

// Registers the `completion` subcommand (hidden from --help; documented in divaudit(1)):
// `divaudit completion bash` prints BashCompletionScript(app). Call after the other
// subcommands or before: the script is built when the command runs, from the final table.
// `*shell` receives the shell name.
CLI::App* AddCompletionCommand(CLI::App& app, std::string* shell);

// Prints the script for `shell` ("bash") to stdout; returns the exit code.
int CompletionCommand(const CLI::App& app, const std::string& shell);

}  // namespace divaudit::daemon
