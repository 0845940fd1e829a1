// DescribeCli / BashCompletionScript on a synthetic CLI11 app: what the walker must find
// (options, short names, option groups, IsMember values, hidden commands) and what it must not
// (a nameless option group as a command, --version under a command).
#include "daemon/cli.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

namespace divaudit::daemon {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;

struct TestApp {
  CLI::App app{"test app", "prog"};
  std::string level = "info", config, format = "table", shell;
  bool json = false;
  int port = 0;
  TestApp() {
    app.set_version_flag("--version", std::string("1"));
    app.add_option("--log-level", level, "level")->check(CLI::IsMember({"info", "debug"}));
    CLI::App* list = app.add_subcommand("list", "list things");
    list->add_option("-c,--config", config, "file")->required();
    list->add_option("--format", format, "fmt")->check(CLI::IsMember({"table", "json", "csv"}));
    list->add_flag("--json", json, "flag");
    CLI::Option_group* net = list->add_option_group("network");
    net->add_option("--port", port, "port");
    CLI::App* secret = app.add_subcommand("secret", "hidden");
    secret->group("");
    AddCompletionCommand(app, &shell);
  }
};

const CliCommandSpec& Find(const std::vector<CliCommandSpec>& specs, const std::string& name) {
  auto it = std::find_if(specs.begin(), specs.end(),
                         [&](const CliCommandSpec& s) { return s.name == name; });
  EXPECT_NE(it, specs.end()) << name;
  return *it;
}

TEST(DescribeCliTest, FindsCommandsOptionsGroupsAndChoices) {
  TestApp t;
  const auto specs = DescribeCli(t.app);
  std::vector<std::string> names;
  for (const auto& s : specs) names.push_back(s.name);
  EXPECT_THAT(names, ElementsAre("", "list", "secret", "completion"));

  const CliCommandSpec& top = Find(specs, "");
  EXPECT_THAT(top.options, Contains("--version"));
  EXPECT_THAT(top.options, Contains("--help"));
  EXPECT_THAT(top.options, Contains("-h"));
  EXPECT_THAT(top.options, Contains("--log-level"));

  const CliCommandSpec& list = Find(specs, "list");
  for (const char* o :
       {"-c", "--config", "--format", "--json", "--port", "--help", "--log-level"}) {
    EXPECT_THAT(list.options, Contains(o)) << o;
  }
  EXPECT_THAT(list.options, Not(Contains("--version")));
  EXPECT_THAT(list.value_options, Contains("--config"));
  EXPECT_THAT(list.value_options, Contains("--port"));  // from the option group
  EXPECT_THAT(list.value_options, Not(Contains("--json")));
  EXPECT_THAT(list.choices, Contains(Pair("--format", ElementsAre("table", "json", "csv"))));
  EXPECT_THAT(list.choices, Contains(Pair("--log-level", ElementsAre("info", "debug"))));

  const CliCommandSpec& completion = Find(specs, "completion");
  EXPECT_THAT(completion.options, Contains("--help"));
}

TEST(BashCompletionScriptTest, OffersCommandsOptionsAndValues) {
  TestApp t;
  const std::string script = BashCompletionScript(t.app, "prog");
  EXPECT_THAT(script, HasSubstr("_prog() {"));
  EXPECT_THAT(script, HasSubstr("complete -o default -F _prog prog\n"));
  EXPECT_THAT(script, HasSubstr("      'list'|'secret'|'completion')\n"));
  EXPECT_THAT(script, HasSubstr("    'list --format')\n      mapfile -t COMPREPLY < <(compgen -W "
                                "'table json csv' -- \"$cur\")"));
  EXPECT_THAT(script, HasSubstr("'list --config'|'list -c'|'list --port')\n      return\n"));
  EXPECT_THAT(script, HasSubstr("    '') opts='list secret completion "));
  EXPECT_THAT(script, HasSubstr("    'completion') opts='"));
}

}  // namespace
}  // namespace divaudit::daemon
