#include "attest/signing.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tests/attest/attest_fixture.h"

namespace divaudit::attest {
namespace {

using namespace divaudit::attest::testing;

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

TEST(SigningTest, KeygenWritesAPrivateKey0600AndAPublicKeyAndNeverOverwrites) {
  TempDir dir;
  const std::string k = dir / "bpo.pem";
  ASSERT_TRUE(GenerateKeyPair(k).ok());
  EXPECT_EQ(ModeOf(k), 0600u);
  EXPECT_EQ(ReadAll(k).rfind("-----BEGIN PRIVATE KEY-----", 0), 0u);
  EXPECT_EQ(ReadAll(k + ".pub").rfind("-----BEGIN PUBLIC KEY-----", 0), 0u);
  const std::string before = ReadAll(k);
  Status again = GenerateKeyPair(k);
  EXPECT_EQ(again.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(again.message().find("already exists"), std::string::npos);
  EXPECT_EQ(ReadAll(k), before);
  // Only the .pub exists: still refused, and the private key is not created.
  const std::string k2 = dir / "second.pem";
  WriteAll(k2 + ".pub", "x");
  EXPECT_FALSE(GenerateKeyPair(k2).ok());
  EXPECT_FALSE(std::filesystem::exists(k2));
}

TEST(SigningTest, SignVerifyRoundTripAndTamper) {
  TempDir dir;
  const std::string k = dir / "k.pem";
  ASSERT_TRUE(GenerateKeyPair(k).ok());
  auto priv = SigningKey::Load(k);
  auto pub = VerifyingKey::Load(k + ".pub");
  ASSERT_TRUE(priv.ok()) << priv.status().ToString();
  ASSERT_TRUE(pub.ok()) << pub.status().ToString();
  EXPECT_EQ(priv->fingerprint(), pub->fingerprint());
  EXPECT_EQ(priv->fingerprint().size(), 64u);
  const std::string data = "{\"a\": 1}\n";
  auto sig = priv->Sign(data);
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(sig->size(), kSignatureBytes);
  EXPECT_EQ(*priv->Sign(data), *sig) << "Ed25519 is deterministic";
  EXPECT_TRUE(pub->Verify(data, *sig));
  EXPECT_FALSE(pub->Verify("{\"a\": 2}\n", *sig));
  std::string flipped = *sig;
  flipped[63] = static_cast<char>(flipped[63] ^ 0x80);
  EXPECT_FALSE(pub->Verify(data, flipped));
  EXPECT_FALSE(pub->Verify(data, sig->substr(0, 63)));
}

TEST(SigningTest, KeyErrorsNameTheFileAndTheProblem) {
  TempDir dir;
  auto missing = SigningKey::Load(dir / "nope.pem");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("nope.pem"), std::string::npos);

  auto rsa = SigningKey::Load(PrivateKeyCopy(dir.path(), "rsa-key.pem"));
  EXPECT_EQ(rsa.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(rsa.status().message().find("not an Ed25519 key (found RSA)"), std::string::npos)
      << rsa.status().message();
  auto ec = SigningKey::Load(PrivateKeyCopy(dir.path(), "ec-key.pem"));
  EXPECT_NE(ec.status().message().find("found EC"), std::string::npos) << ec.status().message();
  auto rsa_pub = VerifyingKey::Load(SourcePath("tests/attest/testdata/rsa-key.pem.pub"));
  EXPECT_EQ(rsa_pub.status().code(), StatusCode::kInvalidArgument);

  // A private key readable by others is refused; a public key is not a private key.
  const std::string open_key = dir / "open.pem";
  WriteAll(open_key, ReadAll(SourcePath("tests/attest/testdata/test-signing-key.pem")));
  ::chmod(open_key.c_str(), 0644);
  EXPECT_EQ(SigningKey::Load(open_key).status().code(), StatusCode::kPermissionDenied);
  const std::string pub_as_priv = dir / "pub-as-priv.pem";
  WriteAll(pub_as_priv, ReadAll(SourcePath("tests/attest/testdata/test-signing-key.pem.pub")));
  ::chmod(pub_as_priv.c_str(), 0600);
  EXPECT_EQ(SigningKey::Load(pub_as_priv).status().code(), StatusCode::kInvalidArgument);
  const std::string garbage = dir / "garbage.pub";
  WriteAll(garbage, "not a key\n");
  EXPECT_EQ(VerifyingKey::Load(garbage).status().code(), StatusCode::kInvalidArgument);
}

TEST(SigningTest, SignatureFileIsOneBase64LinePlusLf) {
  const std::string sig(64, '\xA5');
  const std::string file = EncodeSignatureFile(sig);
  EXPECT_EQ(file.size(), 89u);
  EXPECT_EQ(file.back(), '\n');
  EXPECT_EQ(file.find('\n'), 88u);
  EXPECT_EQ(*DecodeSignatureFile(file, "s"), sig);
  EXPECT_EQ(*DecodeSignatureFile(file.substr(0, 88), "s"), sig) << "no trailing LF";
  EXPECT_EQ(*DecodeSignatureFile(file.substr(0, 88) + "\r\n", "s"), sig);
  EXPECT_FALSE(DecodeSignatureFile(file.substr(0, 87) + "\n", "s").ok());
  EXPECT_FALSE(DecodeSignatureFile("!" + file.substr(1), "s").ok());
  EXPECT_FALSE(DecodeSignatureFile(EncodeSignatureFile(std::string(63, 'x')), "s").ok());
  EXPECT_FALSE(DecodeSignatureFile(file + "\n", "s").ok());
}

}  // namespace
}  // namespace divaudit::attest
