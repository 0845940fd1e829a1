#include "present/csv.h"

#include <gtest/gtest.h>

#include "common/display_text.h"

namespace divaudit::present {
namespace {

TEST(CsvCellTest, QuotesWhenNeeded) {
  EXPECT_EQ(CsvCell("plain"), "plain");
  EXPECT_EQ(CsvCell(""), "");
  EXPECT_EQ(CsvCell("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvCell("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvCell("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(CsvCell("two\r\nlines"), "\"two\r\nlines\"");
}

// The findings CSV used an escaper that let tab- and CR-led formulas through.
TEST(CsvCellTest, NeutralisesEveryFormulaPrefix) {
  EXPECT_EQ(CsvCell("=1+1"), "'=1+1");
  EXPECT_EQ(CsvCell("+1"), "'+1");
  EXPECT_EQ(CsvCell("-1"), "'-1");
  EXPECT_EQ(CsvCell("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(CsvCell("\t=1"), "'\t=1");
  EXPECT_EQ(CsvCell("\r=1"), "\"'\r=1\"");
  EXPECT_EQ(CsvCell("=HYPERLINK(\"x\",\"y\")"), "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"");
  EXPECT_EQ(CsvCell("a=b"), "a=b");
}

TEST(CsvCellTest, NeutralisesBidiOverridesAndControls) {
  // U+202E RIGHT-TO-LEFT OVERRIDE, U+2066 LEFT-TO-RIGHT ISOLATE, NUL, ESC.
  EXPECT_EQ(CsvCell("Acme\u202Egpj.exe"), "Acme\uFFFDgpj.exe");
  EXPECT_EQ(CsvCell("\u2066=1"), "\uFFFD=1");
  EXPECT_EQ(CsvCell(std::string("a\0b\x1b[2J", 7)), "a\uFFFDb\uFFFD[2J");
  // A control character cannot hide a formula behind it either.
  EXPECT_EQ(CsvCell("\x01=1"), "\uFFFD=1");
}

TEST(DisplayTextTest, ReplacesOnlyWhatChangesTheDisplay) {
  EXPECT_EQ(NeutraliseDisplayText("Zürich 東京 🙂"), "Zürich 東京 🙂");
  EXPECT_TRUE(IsDisplaySafe("Zürich 東京 🙂"));
  EXPECT_EQ(NeutraliseDisplayText("a\tb\nc"), "a\uFFFDb\uFFFDc");
  EXPECT_EQ(NeutraliseDisplayText("a\tb\nc", LineBreaks::kKeep), "a\tb\nc");
  EXPECT_EQ(NeutraliseDisplayText("x\u202Ay\u202Dz\u2069\u200E\u200F\u061C"),
            "x\uFFFDy\uFFFDz\uFFFD\uFFFD\uFFFD\uFFFD");
  EXPECT_EQ(NeutraliseDisplayText("c1\xc2\x85"), "c1\uFFFD");  // U+0085 NEXT LINE
  EXPECT_EQ(NeutraliseDisplayText("bad\xff\xc3"), "bad\uFFFD\uFFFD");
  EXPECT_EQ(NeutraliseDisplayText("\xc0\xaf"), "\uFFFD\uFFFD");            // overlong '/'
  EXPECT_EQ(NeutraliseDisplayText("\xed\xa0\x80"), "\uFFFD\uFFFD\uFFFD");  // surrogate
  EXPECT_FALSE(IsDisplaySafe("\u202E"));
  EXPECT_EQ(NeutraliseDisplayText(""), "");
}

}  // namespace
}  // namespace divaudit::present
