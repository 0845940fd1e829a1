#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "attest/attestation.h"
#include "attest/signing.h"
#include "storage/snapshot_store.h"

namespace divaudit::attest {

// Writing and checking the attestation files (docs/attestation.md).

// Writes <dir>/<stem>.json and <stem>.html, and with a key <stem>.json.sig (the signature of
// the JSON file's exact bytes); `data.signing` must describe `key` (or be empty when `key` is
// null). Each file is written atomically (mode 0640); an existing file is replaced. Returns the
// paths written, JSON first. Errors name the path.
Result<std::vector<std::string>> WriteAttestationFiles(const AttestationData& data,
                                                       const std::string& dir,
                                                       const SigningKey* key);

struct VerifyOutcome {
  bool valid = false;
  std::string failure;  // one line saying what failed (empty when valid)
  std::string tenant;
  int64_t sweep_id = 0;
  std::string content_hash;
};

// Checks an attestation: the Ed25519 `signature` (64 raw bytes) over `json` with `key`; that
// the JSON is an attestation naming this key; and, with a store, that its sweep is stored with
// the same chain hash and that the store's Verify() passes. An invalid attestation is a
// VerifyOutcome with valid=false; errors reading the store are returned as a Status.
Result<VerifyOutcome> VerifyAttestation(std::string_view json, std::string_view signature,
                                        const VerifyingKey& key, storage::SnapshotStore* store);

}  // namespace divaudit::attest
