#include "common/logging.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include "common/time_util.h"

namespace divaudit {
namespace {

SystemTime At(int64_t unix_ms) {
  return SystemTime(
      std::chrono::duration_cast<SystemTime::duration>(std::chrono::milliseconds(unix_ms)));
}

TEST(LoggingTest, ParsesTheEventVocabulary) {
  const LogfmtMessage m = ParseLogfmt(
      "event=sweep_failed sweep_id=12 err=\"GET /api/v2/users: HTTP 401 \"bad\" token\" "
      "duration_ms=77 (nothing committed)");
  ASSERT_EQ(m.fields.size(), 4u);
  EXPECT_EQ(m.fields[0], (std::pair<std::string, std::string>{"event", "sweep_failed"}));
  EXPECT_EQ(m.fields[1].second, "12");
  EXPECT_EQ(m.fields[2].second, "GET /api/v2/users: HTTP 401 \"bad\" token");
  EXPECT_EQ(m.fields[3], (std::pair<std::string, std::string>{"duration_ms", "77"}));
  EXPECT_EQ(m.text, "(nothing committed)");

  const LogfmtMessage plain = ParseLogfmt("listening on 127.0.0.1:9464");
  EXPECT_TRUE(plain.fields.empty());
  EXPECT_EQ(plain.text, "listening on 127.0.0.1:9464");
  const LogfmtMessage unterminated = ParseLogfmt("event=x err=\"no end");
  ASSERT_EQ(unterminated.fields.size(), 1u);
  EXPECT_EQ(unterminated.text, "err=\"no end");
}

TEST(LoggingTest, JsonLinesCarryFieldsAsFieldsWithMillisecondTimestamps) {
  const std::string line = FormatLogLine(
      LogFormat::kJson, false, At(1'795'000'000'123), spdlog::level::warn, "sweep",
      "event=sweep_done sweep_id=3 status=partial duration_ms=81.5 incomplete=\"users (page 3: "
      "HTTP 500)\" incomplete=\"groups\" level=x");
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(line).get(doc), simdjson::SUCCESS) << line;
  EXPECT_EQ(std::string_view(doc["ts"]), "2026-11-18T11:06:40.123Z");
  EXPECT_EQ(std::string_view(doc["level"]), "warning");
  EXPECT_EQ(std::string_view(doc["logger"]), "sweep");
  EXPECT_EQ(std::string_view(doc["event"]), "sweep_done");
  EXPECT_EQ(int64_t(doc["sweep_id"]), 3);
  EXPECT_EQ(std::string_view(doc["status"]), "partial");
  EXPECT_DOUBLE_EQ(double(doc["duration_ms"]), 81.5);
  simdjson::dom::array incomplete = doc["incomplete"];
  ASSERT_EQ(incomplete.size(), 2u);
  EXPECT_EQ(std::string_view(incomplete.at(0)), "users (page 3: HTTP 500)");
  EXPECT_EQ(std::string_view(doc["field_level"]), "x");
  EXPECT_EQ(doc["msg"].error(), simdjson::NO_SUCH_FIELD);  // no free text, no msg
}

TEST(LoggingTest, JsonKeepsFreeTextInMsgAndEscapes) {
  const std::string line =
      FormatLogLine(LogFormat::kJson, false, At(0), spdlog::level::info, "metrics",
                    "event=note path=\"/tmp/a\\b\" then \"quoted\"\n text");
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(line).get(doc), simdjson::SUCCESS) << line;
  EXPECT_EQ(std::string_view(doc["ts"]), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(std::string_view(doc["path"]), "/tmp/a\\b");
  EXPECT_EQ(std::string_view(doc["msg"]), "then \"quoted\"\n text");
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(LoggingTest, TextAndJournaldLines) {
  EXPECT_EQ(FormatLogLine(LogFormat::kText, false, At(1'795'000'000'007), spdlog::level::info,
                          "sweep", "event=x a=1"),
            "2026-11-18T11:06:40.007Z info sweep: event=x a=1");
  EXPECT_EQ(FormatLogLine(LogFormat::kText, true, At(0), spdlog::level::err, "api", "event=y"),
            "<3>api: event=y");
}

}  // namespace
}  // namespace divaudit
