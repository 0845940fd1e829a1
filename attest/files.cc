#include "attest/files.h"

#include <simdjson.h>

#include <filesystem>

#include "attest/render.h"
#include "common/file_util.h"

namespace divaudit::attest {
namespace {

constexpr unsigned kFileMode = 0640;

VerifyOutcome Invalid(VerifyOutcome out, std::string why) {
  out.valid = false;
  out.failure = std::move(why);
  return out;
}

}  // namespace

Result<std::vector<std::string>> WriteAttestationFiles(const AttestationData& data,
                                                       const std::string& dir,
                                                       const SigningKey* key) {
  if ((key == nullptr) != !data.signing ||
      (key != nullptr && key->fingerprint() != data.signing->fingerprint)) {
    return InternalError("attestation: signing info does not match the key");
  }
  const std::string stem = (std::filesystem::path(dir) / data.FileStem()).string();
  const std::string json = RenderAttestationJson(data);
  std::vector<std::string> written;
  DIVAUDIT_RETURN_IF_ERROR(WriteFileAtomic(stem + ".json", json, kFileMode));
  written.push_back(stem + ".json");
  DIVAUDIT_RETURN_IF_ERROR(WriteFileAtomic(stem + ".html", RenderAttestationHtml(data), kFileMode));
  written.push_back(stem + ".html");
  const std::string sig_path = stem + ".json.sig";
  if (key != nullptr) {
    DIVAUDIT_ASSIGN_OR_RETURN(std::string sig, key->Sign(json));
    DIVAUDIT_RETURN_IF_ERROR(WriteFileAtomic(sig_path, EncodeSignatureFile(sig), kFileMode));
    written.push_back(sig_path);
  } else {
    // A stale signature next to fresh unsigned files would verify the old JSON only, but it
    // would mislead a reader; remove it.
    std::error_code ec;
    std::filesystem::remove(sig_path, ec);
  }
  return written;
}

Result<VerifyOutcome> VerifyAttestation(std::string_view json, std::string_view signature,
                                        const VerifyingKey& key, storage::SnapshotStore* store) {
  VerifyOutcome out;
  if (!key.Verify(json, signature)) {
    return Invalid(out,
                   "signature: does not verify with this public key (the JSON was changed after "
                   "signing, the signature is damaged, or another key signed it)");
  }
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view schema, hash, tenant, fingerprint;
  int64_t sweep_id = 0;
  if (parser.parse(json.data(), json.size()).get(doc) != simdjson::SUCCESS ||
      doc["schema"].get(schema) != simdjson::SUCCESS || schema != "divaudit.attestation/1" ||
      doc["sweep"]["id"].get(sweep_id) != simdjson::SUCCESS ||
      doc["sweep"]["content_hash"].get(hash) != simdjson::SUCCESS ||
      doc["tenant"]["name"].get(tenant) != simdjson::SUCCESS) {
    return Invalid(out, "format: signed, but not a divaudit.attestation/1 document");
  }
  out.sweep_id = sweep_id;
  out.content_hash = std::string(hash);
  out.tenant = std::string(tenant);
  if (doc["signing_key"]["public_key_sha256"].get(fingerprint) != simdjson::SUCCESS ||
      fingerprint != key.fingerprint()) {
    return Invalid(
        out, "signing key: the attestation names " +
                 (fingerprint.empty() ? std::string("no key") : "key " + std::string(fingerprint)) +
                 ", not this public key (" + key.fingerprint() + ")");
  }
  if (store == nullptr) {
    out.valid = true;
    return out;
  }
  DIVAUDIT_ASSIGN_OR_RETURN(auto sweeps, store->ListSweeps(std::nullopt, std::nullopt));
  const storage::SweepRecord* stored = nullptr;
  for (const auto& s : sweeps) {
    if (s.info.id == sweep_id) stored = &s;
  }
  if (stored == nullptr) {
    return Invalid(out, "sweep missing: sweep " + std::to_string(sweep_id) +
                            " is not in the database (deleted, pruned, or another database)");
  }
  if (stored->content_hash != hash) {
    return Invalid(out, "chain hash mismatch: sweep " + std::to_string(sweep_id) + " has hash " +
                            stored->content_hash + " in the database, " + std::string(hash) +
                            " in the attestation");
  }
  DIVAUDIT_ASSIGN_OR_RETURN(storage::VerifyResult verified, store->Verify());
  if (!verified.ok) {
    std::string why = "chain broken";
    if (verified.first_bad_sweep) why += " at sweep " + std::to_string(*verified.first_bad_sweep);
    if (!verified.problems.empty()) why += ": " + verified.problems.front();
    return Invalid(out, why);
  }
  out.valid = true;
  return out;
}

}  // namespace divaudit::attest
