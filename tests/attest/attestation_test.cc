#include "attest/attestation.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "attest/files.h"
#include "attest/render.h"
#include "attest/signing.h"
#include "storage/evidence_store.h"
#include "storage/reach_history.h"
#include "tests/attest/attest_fixture.h"

namespace divaudit::attest {
namespace {

using namespace divaudit::attest::testing;

constexpr int64_t kDay = 86400;

// The fixture database, its store and a history connection.
class Fixture {
 public:
  explicit Fixture(int sweeps = 3) {
    db_path_ = dir_ / "divaudit.db";
    CommitFixture(db_path_, sweeps);
    auto store = storage::SqliteSnapshotStore::Open(db_path_, clock_);
    EXPECT_TRUE(store.ok());
    store_ = std::move(*store);
    EXPECT_TRUE(history_.Open(db_path_, storage::Db::Mode::kReadWrite).ok());
  }
  Result<AttestationData> Build(const std::string& tenant,
                                std::optional<SigningInfo> signing = std::nullopt,
                                storage::EvidenceStore* evidence = nullptr) {
    auto source = AttestationSource::Load(*store_, history_, FixturePolicy());
    if (!source.ok()) return source.status();
    AttestationOptions options;
    options.generated_at = *ParseIso8601("2026-11-04T09:30:00Z");
    options.api_base_url = "https://api.mypurecloud.ie";
    options.signing = signing;
    options.evidence = evidence;
    return (*source)->Build(tenant, options);
  }
  storage::SqliteSnapshotStore& store() { return *store_; }
  const TempDir& dir() const { return dir_; }
  const std::string& db_path() const { return db_path_; }

 private:
  TempDir dir_;
  std::string db_path_;
  FakeClock clock_;
  std::unique_ptr<storage::SqliteSnapshotStore> store_;
  storage::Db history_;
};

const AttestedRow* FindRow(const AttestationData& d, const std::string& path,
                           const std::string& subject, const std::string& via = "") {
  for (const auto& r : d.reach) {
    if (r.row.path == path && r.row.subject.id == subject &&
        (r.row.via.direct ? via.empty() : r.row.via.group_id == via)) {
      return &r;
    }
  }
  return nullptr;
}

void ExpectGolden(const std::string& name, const std::string& actual) {
  const std::string path = SourcePath("tests/attest/testdata/" + name);
  if (std::getenv("DIVAUDIT_UPDATE_GOLDEN") != nullptr) WriteAll(path, actual);
  const std::string expected = ReadAll(path);
  ASSERT_FALSE(expected.empty()) << path << " missing (regenerate with DIVAUDIT_UPDATE_GOLDEN=1)";
  EXPECT_EQ(expected, actual) << "golden " << name
                              << " differs (regenerate with DIVAUDIT_UPDATE_GOLDEN=1)";
}

TEST(AttestationTest, FirstSeenIsTheFirstCompleteSweepOfAnUnbrokenStretch) {
  Fixture f;
  auto d = f.Build("Acme Retail");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  const auto first = [&](const std::string& path, const std::string& subject,
                         const std::string& via = "") -> std::optional<int64_t> {
    const AttestedRow* r = FindRow(*d, path, subject, via);
    EXPECT_NE(r, nullptr) << path << " " << subject;
    return r ? r->first_seen_sweep : std::nullopt;
  };
  EXPECT_EQ(first("grant", "u-alice"), 1);
  EXPECT_EQ(first("grant", "u-bob"), 2) << "granted in sweep 2";
  EXPECT_EQ(first("grant", "g-acme-sup"), 1);
  EXPECT_EQ(first("grant", "u-dave", "g-acme-sup"), 1);
  EXPECT_EQ(first("grant", "u-carol", "g-acme-sup"), 2) << "joined the group in sweep 2";
  EXPECT_EQ(first("grant", "u-gina"), 3) << "removed in sweep 2, granted again in sweep 3";
  EXPECT_EQ(first("grant", "c-int"), 1);
  EXPECT_EQ(first("all_divisions", "u-erin"), 1);
  const AttestedRow* bob = FindRow(*d, "grant", "u-bob");
  ASSERT_NE(bob, nullptr);
  EXPECT_EQ(bob->first_seen_at, SweepStart(2));
  EXPECT_EQ(d->sweep.info.id, 3);
}

TEST(AttestationTest, RowsCarryTheirFindingStateAndException) {
  Fixture f;
  auto d = f.Build("Acme Retail");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  const AttestedRow* bob = FindRow(*d, "grant", "u-bob");
  ASSERT_TRUE(bob && bob->finding);
  EXPECT_EQ(bob->finding->rule, audit::Rule::kCrossTenant);
  EXPECT_EQ(bob->finding->state, audit::FindingState::kOpen);
  const AttestedRow* carol = FindRow(*d, "grant", "u-carol", "g-acme-sup");
  ASSERT_TRUE(carol && carol->finding);
  EXPECT_EQ(carol->finding->rule, audit::Rule::kCrossTenant);
  const AttestedRow* client = FindRow(*d, "grant", "c-int");
  ASSERT_TRUE(client && client->finding);
  EXPECT_EQ(client->finding->rule, audit::Rule::kMultiTenantSubject);
  const AttestedRow* erin = FindRow(*d, "all_divisions", "u-erin");
  ASSERT_TRUE(erin && erin->finding);
  EXPECT_EQ(erin->finding->state, audit::FindingState::kSuppressed);
  ASSERT_TRUE(erin->finding->exception);
  EXPECT_EQ(erin->finding->exception->owner, "secops@example.com");
  const AttestedRow* alice = FindRow(*d, "grant", "u-alice");
  ASSERT_NE(alice, nullptr);
  EXPECT_FALSE(alice->finding) << "own people on their own division: no finding";
  EXPECT_EQ(alice->row.home_tenant, std::optional<std::string>("Acme Retail"));
  // Summary: bob + carol cross_tenant, the client multi_tenant, erin suppressed.
  EXPECT_EQ(d->findings_summary[1].rule, audit::Rule::kCrossTenant);
  EXPECT_EQ(d->findings_summary[1].open, 2);
  EXPECT_EQ(d->findings_summary[2].open, 1);
  EXPECT_EQ(d->findings_summary[0].suppressed, 1);
}

TEST(AttestationTest, GoldenJsonAndHtmlSignedAndUnsigned) {
  Fixture f;
  auto key = SigningKey::Load(PrivateKeyCopy(f.dir().path(), "test-signing-key.pem"));
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  auto signed_data = f.Build("Acme Retail", SigningInfo{key->fingerprint(), "bpo-key.pem.pub"});
  ASSERT_TRUE(signed_data.ok()) << signed_data.status().ToString();
  EXPECT_EQ(signed_data->FileStem(), "acme-retail-2026-11-04");
  ExpectGolden("acme-retail.golden.json", RenderAttestationJson(*signed_data));
  ExpectGolden("acme-retail.golden.html", RenderAttestationHtml(*signed_data));
  auto unsigned_data = f.Build("Beta Bank");
  ASSERT_TRUE(unsigned_data.ok());
  ExpectGolden("beta-bank-unsigned.golden.html", RenderAttestationHtml(*unsigned_data));
}

TEST(AttestationTest, SameDatabaseSameTimeSameBytes) {
  Fixture f;
  auto key = SigningKey::Load(PrivateKeyCopy(f.dir().path(), "test-signing-key.pem"));
  ASSERT_TRUE(key.ok());
  const SigningInfo info{key->fingerprint(), "k.pub"};
  auto a = f.Build("Acme Retail", info);
  auto b = f.Build("Acme Retail", info);
  ASSERT_TRUE(a.ok() && b.ok());
  const std::string out1 = f.dir() / "one", out2 = f.dir() / "two";
  std::filesystem::create_directories(out1);
  std::filesystem::create_directories(out2);
  auto w1 = WriteAttestationFiles(*a, out1, &*key);
  auto w2 = WriteAttestationFiles(*b, out2, &*key);
  ASSERT_TRUE(w1.ok() && w2.ok());
  ASSERT_EQ(w1->size(), 3u);
  for (const char* name : {"acme-retail-2026-11-04.json", "acme-retail-2026-11-04.html",
                           "acme-retail-2026-11-04.json.sig"}) {
    EXPECT_EQ(ReadAll(out1 + "/" + name), ReadAll(out2 + "/" + name)) << name;
  }
}

TEST(AttestationTest, UnknownTenantNamesTheClosest) {
  Fixture f;
  auto d = f.Build("acme retial");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(d.status().message().find("did you mean \"Acme Retail\"?"), std::string::npos)
      << d.status().message();
}

TEST(AttestationTest, NoCompleteSweepIsAClearError) {
  Fixture f(/*sweeps=*/0);
  auto d = f.Build("Acme Retail");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(d.status().message().find("no complete sweep"), std::string::npos);
}

TEST(AttestationTest, VerifyDetectsTamperingAndDatabaseEdits) {
  Fixture f;
  auto key = SigningKey::Load(PrivateKeyCopy(f.dir().path(), "test-signing-key.pem"));
  auto pub = VerifyingKey::Load(SourcePath("tests/attest/testdata/test-signing-key.pem.pub"));
  ASSERT_TRUE(key.ok() && pub.ok());
  auto d = f.Build("Acme Retail", SigningInfo{key->fingerprint(), "k.pub"});
  ASSERT_TRUE(d.ok());
  const std::string json = RenderAttestationJson(*d);
  const std::string sig = *key->Sign(json);

  auto ok = VerifyAttestation(json, sig, *pub, &f.store());
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->valid) << ok->failure;
  EXPECT_EQ(ok->sweep_id, 3);

  std::string edited = json;
  edited[edited.find("Bob Brown")] = 'R';
  auto bad_json = VerifyAttestation(edited, sig, *pub, nullptr);
  EXPECT_FALSE(bad_json->valid);
  EXPECT_EQ(bad_json->failure.rfind("signature:", 0), 0u) << bad_json->failure;

  std::string bad_sig = sig;
  bad_sig[10] = static_cast<char>(bad_sig[10] ^ 1);
  EXPECT_FALSE(VerifyAttestation(json, bad_sig, *pub, nullptr)->valid);

  auto other = VerifyingKey::FromPem(ReadAll(SourcePath("tests/attest/testdata/rsa-key.pem.pub")),
                                     "rsa.pub");
  EXPECT_FALSE(other.ok()) << "an RSA public key is refused";
  const std::string k2 = f.dir() / "other";
  ASSERT_TRUE(GenerateKeyPair(k2).ok());
  EXPECT_FALSE(VerifyAttestation(json, sig, *VerifyingKey::Load(k2 + ".pub"), nullptr)->valid);

  // The database edited after signing: a stored hash changed, then a temporal row changed.
  {
    storage::Db raw;
    ASSERT_TRUE(raw.Open(f.db_path(), storage::Db::Mode::kReadWrite).ok());
    ASSERT_TRUE(raw.Exec("UPDATE sweeps SET content_hash = 'ab' || substr(content_hash, 3) "
                         "WHERE id = 3")
                    .ok());
  }
  auto mismatch = VerifyAttestation(json, sig, *pub, &f.store());
  ASSERT_TRUE(mismatch.ok());
  EXPECT_FALSE(mismatch->valid);
  EXPECT_EQ(mismatch->failure.rfind("chain hash mismatch", 0), 0u) << mismatch->failure;
}

// ---- v2: conversation evidence (issue 15) ----

audit::ConversationEvidence Conversation(const std::string& id, int64_t start_unix,
                                         std::vector<std::string> tenants) {
  audit::ConversationEvidence e;
  e.conversation.id = id;
  e.conversation.start = FromUnixSeconds(start_unix) + std::chrono::milliseconds(250);
  e.conversation.division_ids = {"d-1", "d-2"};
  e.tenants = std::move(tenants);
  return e;
}

// The tenant's conversations of the period (the 30 days before the sweep), recorded up to the
// attested sweep, are in the signed JSON (id, start, other tenants); editing one of them breaks
// the signature. Without a store the JSON says evidence is not collected.
TEST(AttestationTest, EvidenceOfThePeriodIsListedAndSigned) {
  Fixture f;
  auto key = SigningKey::Load(PrivateKeyCopy(f.dir().path(), "test-signing-key.pem"));
  auto pub = VerifyingKey::Load(SourcePath("tests/attest/testdata/test-signing-key.pem.pub"));
  ASSERT_TRUE(key.ok() && pub.ok());
  const SigningInfo info{key->fingerprint(), "k.pub"};

  auto off = f.Build("Acme Retail", info);
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->evidence.collected);
  const std::string off_json = RenderAttestationJson(*off);
  EXPECT_NE(off_json.find("\"conversations_collected\": false"), std::string::npos);
  EXPECT_NE(off_json.find("\"status\": \"disabled\""), std::string::npos);
  EXPECT_NE(RenderAttestationHtml(*off).find("<b>Not collected</b>"), std::string::npos);

  auto store = storage::EvidenceStore::Open(f.db_path());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const int64_t sweep_start = SweepStart(3);
  storage::EvidenceSweep sweep;
  sweep.sweep_id = 3;
  sweep.cursor.read_until = FromUnixSeconds(sweep_start + 60);
  const std::vector<std::string> ab = {"Acme Retail", "Beta Bank"};
  sweep.evidence = {Conversation("conv-in-1", sweep_start - 3600, ab),
                    Conversation("conv-in-2", sweep_start - 29 * kDay, ab),
                    Conversation("conv-too-old", sweep_start - 31 * kDay, ab),
                    Conversation("conv-after-sweep", sweep_start + 10, ab),
                    Conversation("conv-other-tenants", sweep_start - 60, {"Beta Bank", "Gamma"})};
  ASSERT_TRUE((*store)->Record(sweep).ok());

  auto d = f.Build("Acme Retail", info, store->get());
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_TRUE(d->evidence.collected);
  EXPECT_EQ(d->evidence.status, "collected");
  ASSERT_EQ(d->evidence.conversations.size(), 2u);
  EXPECT_EQ(d->evidence.conversations[0].id, "conv-in-2");
  EXPECT_EQ(d->evidence.conversations[1].id, "conv-in-1");
  EXPECT_EQ(d->evidence.conversations[1].other_tenants, std::vector<std::string>{"Beta Bank"});
  const std::string json = RenderAttestationJson(*d);
  EXPECT_NE(json.find("\"conversation_id\": \"conv-in-1\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"start\": \"" +
                      audit::FormatIsoMillis(FromUnixSeconds(sweep_start - 3600) +
                                             std::chrono::milliseconds(250)) +
                      "\""),
            std::string::npos);
  EXPECT_EQ(json.find("conv-too-old"), std::string::npos);
  EXPECT_EQ(json.find("conv-after-sweep"), std::string::npos);
  EXPECT_EQ(json.find("conv-other-tenants"), std::string::npos);
  EXPECT_NE(RenderAttestationHtml(*d).find("conv-in-2"), std::string::npos);

  const std::string sig = *key->Sign(json);
  auto ok = VerifyAttestation(json, sig, *pub, &f.store());
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->valid) << ok->failure;
  // A tampered evidence row: a conversation id changed, then its other tenant.
  std::string edited = json;
  edited.replace(edited.find("conv-in-1"), 9, "conv-in-9");
  EXPECT_FALSE(VerifyAttestation(edited, sig, *pub, &f.store())->valid);
  std::string other = json;
  other.replace(other.find("Beta Bank", other.find("conv-in-1")), 9, "Gamma Inc");
  auto bad = VerifyAttestation(other, sig, *pub, &f.store());
  EXPECT_FALSE(bad->valid);
  EXPECT_EQ(bad->failure.rfind("signature:", 0), 0u) << bad->failure;

  // Refused by the last sweep: still listed, but marked unavailable.
  sweep.available = false;
  sweep.evidence.clear();
  ASSERT_TRUE((*store)->Record(sweep).ok());
  auto refused = f.Build("Acme Retail", info, store->get());
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->evidence.status, "unavailable");
  EXPECT_EQ(refused->evidence.conversations.size(), 2u);
  EXPECT_NE(RenderAttestationHtml(*refused).find("analytics:conversationDetail:view"),
            std::string::npos);

  // A later sweep (not the attested one) reads again: the attestation of sweep 3 still states
  // what sweep 3 left.
  sweep.sweep_id = 4;
  sweep.available = true;
  sweep.cursor.read_until = FromUnixSeconds(sweep_start + 900);
  ASSERT_TRUE((*store)->Record(sweep).ok());
  auto later = f.Build("Acme Retail", info, store->get());
  ASSERT_TRUE(later.ok());
  ASSERT_EQ(later->sweep.info.id, 3);
  EXPECT_EQ(later->evidence.status, "unavailable");
  EXPECT_EQ(later->evidence.read_until_ms, (sweep_start + 60) * 1000);
}

TEST(AttestationTest, VerifyDetectsABrokenChainAndAMissingSweep) {
  Fixture f;
  auto key = SigningKey::Load(PrivateKeyCopy(f.dir().path(), "test-signing-key.pem"));
  auto pub = VerifyingKey::Load(SourcePath("tests/attest/testdata/test-signing-key.pem.pub"));
  ASSERT_TRUE(key.ok() && pub.ok());
  auto d = f.Build("Acme Retail", SigningInfo{key->fingerprint(), "k.pub"});
  ASSERT_TRUE(d.ok());
  const std::string json = RenderAttestationJson(*d);
  const std::string sig = *key->Sign(json);
  storage::Db raw;
  ASSERT_TRUE(raw.Open(f.db_path(), storage::Db::Mode::kReadWrite).ok());
  // Someone hides bob's grant from history: the row now starts in sweep 1.
  ASSERT_TRUE(raw.Exec("UPDATE grants SET valid_from_sweep = 1 WHERE valid_from_sweep = 2").ok());
  auto broken = VerifyAttestation(json, sig, *pub, &f.store());
  ASSERT_TRUE(broken.ok());
  EXPECT_FALSE(broken->valid);
  EXPECT_EQ(broken->failure.rfind("chain broken", 0), 0u) << broken->failure;

  ASSERT_TRUE(raw.Exec("PRAGMA foreign_keys = OFF; DELETE FROM sweeps WHERE id = 3").ok());
  auto missing = VerifyAttestation(json, sig, *pub, &f.store());
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->valid);
  EXPECT_EQ(missing->failure.rfind("sweep missing", 0), 0u) << missing->failure;
}

}  // namespace
}  // namespace divaudit::attest
