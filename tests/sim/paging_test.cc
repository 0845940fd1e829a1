#include "sim/paging.h"

#include <gtest/gtest.h>
#include <simdjson.h>

namespace divaudit::sim {
namespace {

PageRequest Req(int64_t size, int64_t number) { return PageRequest{size, number}; }

TEST(PagingTest, ExactMultiple) {
  PageWindow w = ComputePage(100, Req(25, 4));
  EXPECT_EQ(w.page_count, 4);
  EXPECT_EQ(w.begin, 75);
  EXPECT_EQ(w.end, 100);
  EXPECT_FALSE(w.has_next());
  EXPECT_TRUE(w.has_previous());
}

TEST(PagingTest, LastPartialPage) {
  PageWindow w = ComputePage(101, Req(25, 5));
  EXPECT_EQ(w.page_count, 5);
  EXPECT_EQ(w.begin, 100);
  EXPECT_EQ(w.end, 101);
  EXPECT_FALSE(w.has_next());
  PageWindow first = ComputePage(101, Req(25, 1));
  EXPECT_TRUE(first.has_next());
  EXPECT_FALSE(first.has_previous());
  EXPECT_EQ(first.end, 25);
}

TEST(PagingTest, PastTheEndIsEmptyWithSameTotals) {
  PageWindow w = ComputePage(10, Req(25, 3));
  EXPECT_EQ(w.begin, w.end);
  EXPECT_EQ(w.total, 10);
  EXPECT_EQ(w.page_count, 1);
  EXPECT_FALSE(w.has_next());
  PageWindow huge = ComputePage(10, Req(500, INT64_MAX / 2));
  EXPECT_EQ(huge.begin, huge.end);
}

TEST(PagingTest, EmptyCollection) {
  PageWindow w = ComputePage(0, Req(25, 1));
  EXPECT_EQ(w.page_count, 0);
  EXPECT_EQ(w.begin, 0);
  EXPECT_EQ(w.end, 0);
  EXPECT_FALSE(w.has_next());
}

TEST(PagingTest, ParseDefaultsAndClamps) {
  auto d = ParsePageRequest(ParseTarget("/x"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->page_size, 25);
  EXPECT_EQ(d->page_number, 1);
  auto big = ParsePageRequest(ParseTarget("/x?pageSize=10000&pageNumber=3"));
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->page_size, 500);
  EXPECT_EQ(big->page_number, 3);
  EXPECT_FALSE(ParsePageRequest(ParseTarget("/x?pageSize=0")).ok());
  EXPECT_FALSE(ParsePageRequest(ParseTarget("/x?pageSize=-5")).ok());
  EXPECT_FALSE(ParsePageRequest(ParseTarget("/x?pageSize=abc")).ok());
  EXPECT_FALSE(ParsePageRequest(ParseTarget("/x?pageNumber=0")).ok());
}

TEST(PagingTest, UrisKeepOtherParamsAndOmitNextOnLastPage) {
  Target t = ParseTarget("/api/v2/users?state=inactive&pageSize=2&pageNumber=2");
  PageWindow w = ComputePage(5, *ParsePageRequest(t));
  JsonWriter jw;
  jw.BeginObject();
  WritePagingFields(jw, t, w);
  jw.EndObject();
  simdjson::dom::parser parser;
  simdjson::dom::element e = parser.parse(jw.str());
  EXPECT_EQ(std::string_view(e["nextUri"]), "/api/v2/users?pageSize=2&pageNumber=3&state=inactive");
  EXPECT_EQ(std::string_view(e["previousUri"]),
            "/api/v2/users?pageSize=2&pageNumber=1&state=inactive");
  EXPECT_EQ(std::string_view(e["lastUri"]), "/api/v2/users?pageSize=2&pageNumber=3&state=inactive");
  EXPECT_EQ(int64_t(e["pageCount"]), 3);

  PageWindow last = ComputePage(5, PageRequest{2, 3});
  JsonWriter lw;
  lw.BeginObject();
  WritePagingFields(lw, t, last);
  lw.EndObject();
  simdjson::dom::element l = parser.parse(lw.str());
  EXPECT_EQ(l["nextUri"].error(), simdjson::NO_SUCH_FIELD);

  JsonWriter nw;
  nw.BeginObject();
  WritePagingFields(nw, t, w, PageUris::kNone);
  nw.EndObject();
  EXPECT_EQ(nw.str().find("Uri"), std::string::npos);
}

TEST(QueryTest, ParsesRepeatedAndEncodedParams) {
  Target t = ParseTarget("/p?id=a&id=b%20c&x=1+2");
  EXPECT_EQ(t.path, "/p");
  EXPECT_EQ(t.GetAll("id"), (std::vector<std::string>{"a", "b c"}));
  EXPECT_EQ(t.Get("x").value(), "1 2");
  EXPECT_FALSE(t.Get("y").has_value());
  EXPECT_EQ(Base64Decode("c2ltLWNsaWVudDpzaW0tc2VjcmV0").value(), "sim-client:sim-secret");
}

}  // namespace
}  // namespace divaudit::sim
