#include "attest/render.h"

#include <gtest/gtest.h>
#include <simdjson.h>

namespace divaudit::attest {
namespace {

// Org text that tries to break out of HTML or reorder what a reader sees.
AttestationData Hostile() {
  const std::string rlo = "\xE2\x80\xAE";  // U+202E RIGHT-TO-LEFT OVERRIDE
  AttestationData d;
  d.tenant = "<script>alert(1)</script>";
  d.slug = "script-alert-1-script";
  d.date = "2026-11-04";
  d.org_name = "BPO \"Org\" & Co" + rlo;
  d.api_base_url = "https://api.mypurecloud.ie";
  d.divisions = {{"d-1", "<img src=x onerror=alert(1)>", "", false}};
  d.sweep.info.id = 7;
  d.sweep.info.status = audit::SweepStatus::kComplete;
  d.sweep.content_hash = std::string(64, 'a');
  AttestedRow row;
  row.row.path = "grant";
  row.row.subject = audit::SubjectRef{audit::SubjectType::kUser, "u-1", "evil" + rlo + "gnp.exe"};
  row.row.role = audit::NamedRef{"r-1", "Role'\x01"};
  row.row.division = audit::NamedRef{"d-1", "</table><b>x"};
  d.reach.push_back(row);
  d.tenant_map = {{d.tenant, {"*<b>*"}}};
  d.signing = SigningInfo{std::string(64, 'f'), "key<1>.pub"};
  return d;
}

TEST(RenderTest, OrgTextIsEscapedInHtml) {
  const std::string html = RenderAttestationHtml(Hostile());
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("</table><b>x"), std::string::npos);
  EXPECT_NE(html.find("&lt;/table&gt;&lt;b&gt;x"), std::string::npos);
  EXPECT_EQ(html.find("key<1>"), std::string::npos);
  EXPECT_EQ(html.find("\xE2\x80\xAE"), std::string::npos) << "bidi override neutralised";
  EXPECT_EQ(html.find('\x01'), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("evil&#xFFFD;gnp.exe"), std::string::npos);
  EXPECT_NE(html.find("BPO &quot;Org&quot; &amp; Co"), std::string::npos);
  EXPECT_NE(html.find("@page { size: A4"), std::string::npos) << "printable";
  EXPECT_EQ(html.find("<link"), std::string::npos) << "self-contained: no external assets";
}

TEST(RenderTest, JsonIsValidAndKeepsTheExactTextWithBidiEscaped) {
  const AttestationData d = Hostile();
  const std::string json = RenderAttestationJson(d);
  EXPECT_EQ(json.find("\xE2\x80\xAE"), std::string::npos);
  EXPECT_NE(json.find("evil\\u202egnp.exe"), std::string::npos);
  EXPECT_EQ(json.back(), '\n');
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << json;
  std::string_view name;
  ASSERT_EQ(doc["reach"]["rows"].at(0)["subject"]["name"].get(name), simdjson::SUCCESS);
  EXPECT_EQ(name, d.reach[0].row.subject.name) << "a parser reads back the exact name";
  std::string_view tenant;
  ASSERT_EQ(doc["tenant"]["name"].get(tenant), simdjson::SUCCESS);
  EXPECT_EQ(tenant, d.tenant);
  EXPECT_TRUE(doc["reach"]["rows"].at(0)["changed_by"].is_null());
  EXPECT_TRUE(doc["reach"]["rows"].at(0)["first_seen"].is_null());
  EXPECT_EQ(doc["evidence"]["conversations"].get_array().size(), 0u);
}

}  // namespace
}  // namespace divaudit::attest
