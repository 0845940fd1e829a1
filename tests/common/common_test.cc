#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "common/clock.h"
#include "common/file_util.h"
#include "common/json_writer.h"
#include "common/random.h"
#include "common/sha256.h"
#include "common/status.h"
#include "common/strings.h"
#include "common/time_util.h"

namespace divaudit {
namespace {

using namespace std::chrono_literals;

TEST(StatusTest, OkAndErrorCarryCodeAndMessage) {
  EXPECT_TRUE(Status::Ok().ok());
  const Status s = NotFoundError("roles/abc");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.ToString(), "not found: roles/abc");
  EXPECT_EQ(s.WithPrefix("GET x").message(), "GET x: roles/abc");
}

Result<int> Half(int x) {
  if (x % 2) return InvalidArgumentError("odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  DIVAUDIT_ASSIGN_OR_RETURN(int h, Half(x));
  return Half(h);
}

TEST(ResultTest, AssignOrReturnPropagates) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).status().message(), "odd");
}

TEST(TimeUtilTest, FormatsAndParsesIso8601) {
  const SystemTime t = FromUnixSeconds(1795420800);  // 2026-11-23T08:00:00Z
  EXPECT_EQ(FormatIso8601(t), "2026-11-23T08:00:00Z");
  EXPECT_EQ(*ParseIso8601("2026-11-23T08:00:00Z"), t);
  EXPECT_EQ(*ParseIso8601("2026-11-23T08:00:00.123Z"), t);
  EXPECT_EQ(ToUnixSeconds(*ParseIso8601("1970-01-02")), 86400);
  EXPECT_EQ(ToUnixSeconds(*ParseIso8601("2024-02-29")), 1709164800);
  for (const char* bad : {"", "2026-13-01", "2026-02-30", "2025-02-29", "2026-1-1",
                          "2026-11-23T08:00:00", "2026-11-23T25:00:00Z", "yesterday"}) {
    EXPECT_FALSE(ParseIso8601(bad).ok()) << bad;
  }
}

TEST(TimeUtilTest, ParsesDurations) {
  EXPECT_EQ(*ParseDuration("30s"), 30s);
  EXPECT_EQ(*ParseDuration("15m"), 15min);
  EXPECT_EQ(*ParseDuration("1h30m"), 90min);
  EXPECT_EQ(*ParseDuration("400d"), std::chrono::hours(24 * 400));
  EXPECT_EQ(*ParseDuration("250ms"), 250ms);
  for (const char* bad : {"", "15", "m", "-5s", "5 s", "5w", "1.5h"}) {
    EXPECT_FALSE(ParseDuration(bad).ok()) << bad;
  }
  EXPECT_EQ(FormatDuration(3723s), "1h 2m 3s");
  EXPECT_EQ(FormatDuration(250ms), "250ms");
}

TEST(FakeClockTest, AdvancesWallAndSteadyTogether) {
  FakeClock clock;
  const SystemTime w = clock.Now();
  const SteadyTime s = clock.SteadyNow();
  clock.Advance(90s);
  EXPECT_EQ(clock.Now() - w, 90s);
  EXPECT_EQ(clock.SteadyNow() - s, 90s);
}

TEST(RandomTest, SeededIsDeterministicAndInRange) {
  SeededRandom a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const double x = a.NextDouble();
    EXPECT_EQ(x, b.NextDouble());
    EXPECT_GE(x, 0.0);
    EXPECT_LT(x, 1.0);
    differs |= x != c.NextDouble();
  }
  EXPECT_TRUE(differs);
}

TEST(JsonWriterTest, WritesNestedValuesWithEscaping) {
  JsonWriter w;
  w.BeginObject().Field("a", "x\"y\\z\n").Key("b").BeginArray().Int(1).Null().Bool(true).EndArray();
  w.Key("c").BeginObject().EndObject().Key("d").Double(0.5).Key("e").String("\x01<\xff");
  w.EndObject();
  EXPECT_EQ(w.str(), R"({"a":"x\"y\\z\n","b":[1,null,true],"c":{},"d":0.5,"e":"\u0001<\ufffd"})");
}

TEST(JsonWriterTest, PrettyPrints) {
  JsonWriter w(true);
  w.BeginObject().Field("a", 1).Key("b").BeginArray().Int(2).EndArray().EndObject();
  EXPECT_EQ(w.str(), "{\n  \"a\": 1,\n  \"b\": [\n    2\n  ]\n}");
}

TEST(Sha256Test, KnownVectorsAndFieldFraming) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 a, b;
  a.UpdateField("ab");
  a.UpdateField("c");
  b.UpdateField("a");
  b.UpdateField("bc");
  EXPECT_NE(a.FinishHex(), b.FinishHex());
}

TEST(StringsTest, GlobMatch) {
  EXPECT_TRUE(GlobMatch("Acme Retail *", "Acme Retail - Sales"));
  EXPECT_FALSE(GlobMatch("Acme Retail *", "Acme Retail"));
  EXPECT_TRUE(GlobMatch("A?me*", "Acme"));
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_FALSE(GlobMatch("acme*", "Acme"));
  EXPECT_TRUE(GlobMatch("*a*b*", "xxaybzb"));
}

TEST(StringsTest, EncodesBase64AndUrls) {
  EXPECT_EQ(Base64Encode("sim-client:sim-secret"), "c2ltLWNsaWVudDpzaW0tc2VjcmV0");
  EXPECT_EQ(Base64Encode("a"), "YQ==");
  EXPECT_EQ(Base64Encode("ab"), "YWI=");
  EXPECT_EQ(UrlEncode("a b/c*"), "a%20b%2Fc%2A");
  EXPECT_EQ(Split("a,b,,c", ','), (std::vector<std::string>{"a", "b", "", "c"}));
  EXPECT_EQ(Trim("  x y \n"), "x y");
}

TEST(FileUtilTest, SecretFileMustBePrivate) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("divaudit-common-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "secret").string();
  ASSERT_TRUE(WriteFileAtomic(path, "s3cr3t-value\n", 0644).ok());
  auto refused = ReadSecretFile(path);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(refused.status().message().find("s3cr3t"), std::string::npos);
  ::chmod(path.c_str(), 0600);
  EXPECT_EQ(*ReadSecretFile(path), "s3cr3t-value");
  EXPECT_EQ(ReadFile((dir / "missing").string()).status().code(), StatusCode::kNotFound);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace divaudit
