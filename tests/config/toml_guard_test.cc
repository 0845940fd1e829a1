#include "config/toml_guard.h"

#include <gtest/gtest.h>

#include <string>

#include "config/loader.h"

namespace divaudit::config {
namespace {

// U+00E9 (é) and U+00A7 (§) are hazards; U+4E2D (中) is not.
constexpr const char* kE = "\xC3\xA9";
constexpr const char* kSect = "\xC2\xA7";

TEST(TomlGuardTest, TextWithoutHazardsIsLeftAlone) {
  const TomlSafeResult r = TomlSafeText("a = 'x' # \xE4\xB8\xAD\nb = \"\xE4\xB8\xAD\"\n");
  EXPECT_FALSE(r.needs_rewrite);
  EXPECT_FALSE(r.hazard.has_value());
}

TEST(TomlGuardTest, RewritesStringsAndCommentsKeepingTheirMeaning) {
  const std::string in = std::string("# ") + kSect + "\n" +         // comment
                         "a = \"x" + kE + "\\\"\"\n" +              // basic string
                         "b = 'C:\\p\"" + kE + "'\n" +              // literal → basic
                         "c = '''\n" + kE + "'''''\n" +             // multi-line literal
                         "d = \"\"\"l \\\n   " + kE + "\"\"\"\n" +  // line-ending backslash
                         "e = \"\\" + kE + "\"\n";                  // invalid escape stays bad
  const TomlSafeResult r = TomlSafeText(in);
  ASSERT_TRUE(r.needs_rewrite);
  ASSERT_FALSE(r.hazard.has_value());
  EXPECT_EQ(r.text,
            "# ?\n"
            "a = \"x\\u00E9\\\"\"\n"
            "b = \"C:\\\\p\\\"\\u00E9\"\n"
            "c = \"\"\"\n\\u00E9''\"\"\"\n"
            "d = \"\"\"l \\\n   \\u00E9\"\"\"\n"
            "e = \"\\?\"\n");
}

TEST(TomlGuardTest, HazardOutsideStringsIsNamedWithLineAndColumn) {
  // U+FB7B after a value: the input fuzz_config found in CI (undefined behaviour in toml++).
  TomlSafeResult r = TomlSafeText("a = 'caf\xC3\xA9'\nx = 1 \xEF\xAD\xBB\n");
  ASSERT_TRUE(r.hazard.has_value());
  EXPECT_EQ(r.hazard->line, 2u);
  EXPECT_EQ(r.hazard->column, 7u);
  EXPECT_EQ(r.hazard->message,
            "non-ASCII character U+FB7B outside a string or comment (TOML allows it only in "
            "quotes)");
  r = TomlSafeText(std::string("s = \"") + kE + "\" " + kSect);
  ASSERT_TRUE(r.hazard.has_value());
  EXPECT_EQ(r.hazard->column, 9u);  // code points, not bytes
}

TEST(TomlGuardTest, HazardRangesMatchTheBuggyToml) {
  EXPECT_FALSE(IsTomlWhitespaceHazard(0xa0));
  EXPECT_TRUE(IsTomlWhitespaceHazard(0xa1));
  EXPECT_TRUE(IsTomlWhitespaceHazard(0x499));
  EXPECT_FALSE(IsTomlWhitespaceHazard(0x49a));
  EXPECT_FALSE(IsTomlWhitespaceHazard(0x2c5d));
  EXPECT_TRUE(IsTomlWhitespaceHazard(0x2c5e));
  EXPECT_FALSE(IsTomlWhitespaceHazard(0x3000));
  EXPECT_TRUE(IsTomlWhitespaceHazard(0x3057));
  EXPECT_FALSE(IsTomlWhitespaceHazard(0xfb25));
  EXPECT_TRUE(IsTomlWhitespaceHazard(0xfb26));
  EXPECT_TRUE(IsTomlWhitespaceHazard(0xfefe));
  EXPECT_FALSE(IsTomlWhitespaceHazard(0xfeff));
}

TEST(TomlGuardTest, ParseConfigKeepsNonAsciiTenantNames) {
  const std::string file = std::string("[genesys]\nregion = \"eu-west-1\"\nclient_id = \"c\"\n") +
                           "client_secret_file = \"s.txt\"\n" + "[[tenant]]\n" + "name = 'Soci" +
                           kE + "t" + kE + " G" + kE + "n" + kE + "rale'\n" +
                           "divisions = [\"Soci" + kE + "t" + kE + " *\"]  # " + kSect + "\n";
  Result<Config> c = ParseConfig(file, "divaudit.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->tenants.size(), 1u);
  EXPECT_EQ(c->tenants[0].name,
            std::string("Soci") + kE + "t" + kE + " G" + kE + "n" + kE + "rale");
  EXPECT_EQ(c->tenants[0].divisions.at(0), std::string("Soci") + kE + "t" + kE + " *");
}

TEST(TomlGuardTest, ParseConfigRefusesAHazardOutsideStringsInOneLine) {
  Result<Config> c = ParseConfig("[genesys]\nregion = \"mypurecloud.com\" \xEF\xAD\xBB\n",
                                 "/etc/divaudit/divaudit.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c.status().message(),
            "/etc/divaudit/divaudit.toml:2:28: non-ASCII character U+FB7B outside a string or "
            "comment (TOML allows it only in quotes)");
}

}  // namespace
}  // namespace divaudit::config
