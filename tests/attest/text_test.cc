#include "attest/text.h"

#include <gtest/gtest.h>

namespace divaudit::attest {
namespace {

TEST(TextTest, TenantSlug) {
  EXPECT_EQ(TenantSlug("Acme Retail"), "acme-retail");
  EXPECT_EQ(TenantSlug("  Acme -- Retail!! "), "acme-retail");
  EXPECT_EQ(TenantSlug("Café Zürich / Nord"), "cafe-zurich-nord");
  EXPECT_EQ(TenantSlug("Straße Ærø Œuvre"), "strasse-aero-oeuvre");
  EXPECT_EQ(TenantSlug("Ñandú × 2"), "nandu-2");
  EXPECT_EQ(TenantSlug("東京 Tokyo"), "tokyo") << "other scripts are dropped";
  EXPECT_EQ(TenantSlug("../../etc/passwd"), "etc-passwd");
  EXPECT_EQ(TenantSlug("東京"), "tenant");
  EXPECT_EQ(TenantSlug(""), "tenant");
  EXPECT_EQ(TenantSlug("a\xff"
                       "b"),
            "ab")
      << "ill-formed UTF-8 is dropped";
}

TEST(TextTest, BidiControlsAreNeutralised) {
  const std::string rlo = "\xE2\x80\xAE";  // U+202E RIGHT-TO-LEFT OVERRIDE
  const std::string name = "evil" + rlo + "gnp.exe <b>&";
  EXPECT_EQ(HtmlText(name), "evil&#xFFFD;gnp.exe &lt;b&gt;&amp;");
  EXPECT_EQ(JsonText(name), "\"evil\\u202egnp.exe <b>&\"");
  EXPECT_EQ(JsonText("a\"\\\n\x01"), "\"a\\\"\\\\\\n\\u0001\"");
  EXPECT_EQ(HtmlText("x\x07y"), "x&#xFFFD;y");
  for (const char32_t c : {0x202A, 0x202E, 0x2066, 0x2069, 0x200E, 0x200F, 0x061C}) {
    EXPECT_TRUE(IsBidiControl(c)) << static_cast<unsigned>(c);
  }
  EXPECT_FALSE(IsBidiControl(U'é'));
  EXPECT_EQ(JsonText("Zürich"), "\"Zürich\"");
}

}  // namespace
}  // namespace divaudit::attest
