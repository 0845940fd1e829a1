// The attestation commands as a user runs them: the real `divaudit` binary on a fixture
// database, and the documented stock-OpenSSL verification.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "storage/evidence_store.h"
#include "storage/sqlite_db.h"
#include "tests/attest/attest_fixture.h"

namespace divaudit::attest {
namespace {

using namespace divaudit::attest::testing;

constexpr const char* kStem = "acme-retail-2026-11-04";

class AttestCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_path_ = dir_ / "divaudit.db";
    CommitFixture(db_path_);
    config_ = WriteFixtureConfig(dir_.path(), db_path_);
  }
  CommandResult Divaudit(const std::string& args) {
    return Shell(dir_.path(), "'" + DivauditBinary() + "' " + args);
  }
  // keygen + a signed attestation of Acme Retail in out/.
  void MakeSigned() {
    ASSERT_EQ(Divaudit("keygen --out bpo.pem").exit_code, 0);
    const auto r = Divaudit(
        "attest --config divaudit.toml --tenant 'Acme Retail' --out out "
        "--key bpo.pem --generated-at 2026-11-04T09:30:00Z");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  std::string Out(const std::string& name) { return dir_ / ("out/" + name); }

  TempDir dir_;
  std::string db_path_;
  std::string config_;
};

TEST_F(AttestCliTest, KeygenAttestVerify) {
  const auto keygen = Divaudit("keygen --out bpo.pem");
  ASSERT_EQ(keygen.exit_code, 0) << keygen.err;
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "bpo.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_NE(keygen.out.find("bpo.pem.pub sha256 "), std::string::npos) << keygen.out;
  const auto again = Divaudit("keygen --out bpo.pem");
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.err;

  const auto attest = Divaudit(
      "attest --config divaudit.toml --tenant 'Acme Retail' --out out --key bpo.pem "
      "--generated-at 2026-11-04T09:30:00Z");
  ASSERT_EQ(attest.exit_code, 0) << attest.err;
  for (const char* ext : {".json", ".html", ".json.sig"}) {
    EXPECT_TRUE(std::filesystem::exists(Out(std::string(kStem) + ext))) << ext;
  }
  EXPECT_EQ(attest.err.find("UNSIGNED"), std::string::npos);
  const std::string sig = ReadAll(Out(std::string(kStem) + ".json.sig"));
  EXPECT_EQ(sig.size(), 89u);
  EXPECT_EQ(sig.back(), '\n');

  const auto verify = Divaudit(std::string("verify-attestation out/") + kStem +
                               ".json --public-key bpo.pem.pub --config divaudit.toml");
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_EQ(verify.out.rfind("valid: ", 0), 0u) << verify.out;
  const auto sig_only =
      Divaudit(std::string("verify-attestation out/") + kStem + ".json --public-key bpo.pem.pub");
  EXPECT_EQ(sig_only.exit_code, 0) << sig_only.err;
}

// [evidence] conversations on: `attest` opens the evidence tables read-only and signs the
// tenant's conversations of the period; the signature verifies, and the report of the same
// database lists them too.
TEST_F(AttestCliTest, EvidenceIsAttestedAndVerifies) {
  {
    auto store = storage::EvidenceStore::Open(db_path_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    storage::EvidenceSweep sweep;
    sweep.sweep_id = 3;
    sweep.cursor.read_until = FromUnixSeconds(SweepStart(3));
    audit::ConversationEvidence e;
    e.conversation.id = "conv-acme-beta";
    e.conversation.start = FromUnixSeconds(SweepStart(3) - 7200);
    e.conversation.division_ids = {"d-acme", "d-beta"};
    e.tenants = {"Acme Retail", "Beta Bank"};
    sweep.evidence = {e};
    ASSERT_TRUE((*store)->Record(sweep).ok());
  }
  WriteAll(config_, ReadAll(config_) + "[evidence]\nconversations = true\n");
  MakeSigned();
  const std::string json = ReadAll(Out(std::string(kStem) + ".json"));
  EXPECT_NE(json.find("\"conversation_id\": \"conv-acme-beta\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"status\": \"collected\""), std::string::npos) << json;
  const auto verify = Divaudit(std::string("verify-attestation out/") + kStem +
                               ".json --public-key bpo.pem.pub --config divaudit.toml");
  EXPECT_EQ(verify.exit_code, 0) << verify.err << verify.out;
  const auto report = Divaudit(
      "report --config divaudit.toml --tenant 'Beta Bank' --format json --out - --to 2026-11-03 "
      "--generated-at 2026-11-04T09:30:00Z");
  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_NE(report.out.find("\"conversation_id\": \"conv-acme-beta\""), std::string::npos)
      << report.out;
}

TEST_F(AttestCliTest, TheDocumentedOpensslCommandsWork) {
  MakeSigned();
  // A missing openssl is a failure, not a skip: it is in Debian's base system.
  ASSERT_EQ(Shell(dir_.path(), "command -v openssl").exit_code, 0) << "openssl is not installed";
  const std::string stem = std::string("out/") + kStem;
  const auto ok = Shell(dir_.path(), "base64 -d " + stem + ".json.sig > " + stem +
                                         ".sig && openssl pkeyutl -verify -pubin -inkey "
                                         "bpo.pem.pub -rawin -in " +
                                         stem + ".json -sigfile " + stem + ".sig");
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("Signature Verified Successfully"), std::string::npos) << ok.out;
  // The fingerprint command prints what the JSON and the HTML name.
  const auto fp =
      Shell(dir_.path(), "openssl pkey -pubin -in bpo.pem.pub -outform DER | sha256sum");
  ASSERT_EQ(fp.exit_code, 0) << fp.err;
  const std::string fingerprint = fp.out.substr(0, 64);
  EXPECT_NE(ReadAll(Out(std::string(kStem) + ".json")).find(fingerprint), std::string::npos);
  const std::string html = ReadAll(Out(std::string(kStem) + ".html"));
  EXPECT_NE(html.find(fingerprint), std::string::npos);
  // The HTML shows exactly the command run above (file names relative to the files).
  EXPECT_NE(html.find(std::string("base64 -d ") + kStem + ".json.sig &gt; " + kStem +
                      ".sig &amp;&amp; openssl pkeyutl -verify -pubin -inkey bpo.pem.pub -rawin "
                      "-in " +
                      kStem + ".json -sigfile " + kStem + ".sig"),
            std::string::npos);
  // One changed byte: openssl says no.
  std::string json = ReadAll(dir_ / (stem + ".json"));
  json[json.size() / 2] ^= 1;
  WriteAll(dir_ / (stem + ".json"), json);
  const auto bad = Shell(dir_.path(),
                         "openssl pkeyutl -verify -pubin -inkey bpo.pem.pub -rawin "
                         "-in " +
                             stem + ".json -sigfile " + stem + ".sig");
  EXPECT_NE(bad.exit_code, 0) << bad.out;
}

TEST_F(AttestCliTest, TamperingIsDetected) {
  MakeSigned();
  const std::string json_path = Out(std::string(kStem) + ".json");
  const std::string sig_path = Out(std::string(kStem) + ".json.sig");
  const std::string verify =
      std::string("verify-attestation out/") + kStem + ".json --public-key bpo.pem.pub";
  const std::string json = ReadAll(json_path), sig = ReadAll(sig_path);

  // One byte of the JSON.
  std::string edited = json;
  edited[edited.find("Bob Brown")] = 'b';
  WriteAll(json_path, edited);
  auto r = Divaudit(verify);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("INVALID: signature"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line: " << r.err;
  WriteAll(json_path, json);

  // One byte of the signature (still valid base64).
  std::string bad_sig = sig;
  bad_sig[5] = bad_sig[5] == 'A' ? 'B' : 'A';
  WriteAll(sig_path, bad_sig);
  r = Divaudit(verify);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("INVALID: signature"), std::string::npos) << r.err;
  WriteAll(sig_path, sig);

  // Another public key.
  ASSERT_EQ(Divaudit("keygen --out other.pem").exit_code, 0);
  r = Divaudit(std::string("verify-attestation out/") + kStem + ".json --public-key other.pem.pub");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("INVALID: signature"), std::string::npos) << r.err;
  ASSERT_EQ(Divaudit(verify + " --config divaudit.toml").exit_code, 0);

  // The database edited after signing.
  {
    storage::Db raw;
    ASSERT_TRUE(raw.Open(db_path_, storage::Db::Mode::kReadWrite).ok());
    ASSERT_TRUE(raw.Exec("UPDATE users SET name = 'Robert Brown' WHERE id = 'u-bob'").ok());
  }
  r = Divaudit(verify + " --config divaudit.toml");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("INVALID: chain broken at sweep"), std::string::npos) << r.err;
  EXPECT_EQ(Divaudit(verify).exit_code, 0) << "the signature alone still holds";
}

TEST_F(AttestCliTest, UnsignedAllTenantsAndErrors) {
  auto r = Divaudit(
      "attest --config divaudit.toml --all-tenants --out all "
      "--generated-at 2026-11-04T09:30:00Z");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("UNSIGNED"), std::string::npos) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir_ / "all/acme-retail-2026-11-04.json"));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "all/beta-bank-2026-11-04.html"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "all/beta-bank-2026-11-04.json.sig"));
  ASSERT_EQ(Divaudit("keygen --out k.pem").exit_code, 0);
  r = Divaudit("verify-attestation all/beta-bank-2026-11-04.json --public-key k.pem.pub");
  EXPECT_EQ(r.exit_code, 1) << "an unsigned attestation is not valid";

  // Unknown tenant: the closest one is named.
  r = Divaudit("attest --config divaudit.toml --tenant 'Acme Retial' --out out");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("did you mean \"Acme Retail\"?"), std::string::npos) << r.err;
  // Missing key, unreadable (too open) key, wrong key types.
  r = Divaudit("attest --config divaudit.toml --tenant 'Acme Retail' --out out --key nope.pem");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("nope.pem"), std::string::npos) << r.err;
  PrivateKeyCopy(dir_.path(), "rsa-key.pem");
  r = Divaudit("attest --config divaudit.toml --tenant 'Acme Retail' --out out --key rsa-key.pem");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("not an Ed25519 key (found RSA)"), std::string::npos) << r.err;
  PrivateKeyCopy(dir_.path(), "ec-key.pem");
  r = Divaudit("attest --config divaudit.toml --tenant 'Acme Retail' --out out --key ec-key.pem");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("found EC"), std::string::npos) << r.err;
  ::chmod((dir_ / "k.pem").c_str(), 0644);
  r = Divaudit("attest --config divaudit.toml --tenant 'Acme Retail' --out out --key k.pem");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("chmod 600"), std::string::npos) << r.err;
  WriteAll(dir_ / "rsa.pub", ReadAll(SourcePath("tests/attest/testdata/rsa-key.pem.pub")));
  r = Divaudit("verify-attestation all/acme-retail-2026-11-04.json --public-key rsa.pub");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("found RSA"), std::string::npos) << r.err;
  r = Divaudit("verify-attestation all/acme-retail-2026-11-04.json --public-key missing.pub");
  EXPECT_EQ(r.exit_code, 2);
  r = Divaudit("verify-attestation --public-key k.pem.pub");
  EXPECT_EQ(r.exit_code, 2) << "usage: FILE missing";
  r = Divaudit("attest --config divaudit.toml --out out");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--tenant NAME or --all-tenants"), std::string::npos) << r.err;
  for (const std::string& err : {std::string(r.err)}) {
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  }
}

TEST_F(AttestCliTest, NoCompleteSweepYet) {
  TempDir empty;
  const std::string db = empty / "empty.db";
  CommitFixture(db, /*sweeps=*/0);
  const std::string config = WriteFixtureConfig(empty.path(), db);
  const auto r = Divaudit("attest --config '" + config + "' --tenant 'Acme Retail' --out out");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no complete sweep"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

// A database whose last complete sweep was stored by a divaudit before v2 (rule set version 1:
// no role policies, catalog, settings or queues stored) gets a one-line error, not an
// attestation silently missing the org-wide and queue paths; a v2 sweep after it attests again.
TEST_F(AttestCliTest, LastCompleteSweepFromBeforeV2IsAClearError) {
  {
    storage::Db raw;
    ASSERT_TRUE(raw.Open(db_path_, storage::Db::Mode::kReadWrite).ok());
    ASSERT_TRUE(raw.Exec("UPDATE sweeps SET rule_set_version = 1").ok());
  }
  auto r = Divaudit("attest --config divaudit.toml --tenant 'Acme Retail' --out out");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("the last complete sweep (3, 2026-11-03T06:00:00Z) predates divaudit v2"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("run `divaudit sweep` once"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(std::filesystem::exists(Out(std::string(kStem) + ".json")));

  {  // only the last complete sweep decides: a newer v2 sweep attests again
    storage::Db raw;
    ASSERT_TRUE(raw.Open(db_path_, storage::Db::Mode::kReadWrite).ok());
    ASSERT_TRUE(raw.Exec("UPDATE sweeps SET rule_set_version = 2 WHERE id = 3").ok());
  }
  r = Divaudit("attest --config divaudit.toml --tenant 'Acme Retail' --out out");
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

}  // namespace
}  // namespace divaudit::attest
