#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace divaudit::attest {

// Ed25519 keys and signatures through OpenSSL 3's EVP API, in the file formats stock OpenSSL
// reads (docs/attestation.md): private key PEM (PKCS#8, unencrypted, mode 0600), public key PEM
// (SubjectPublicKeyInfo), signature file = base64 of the 64-byte raw signature on one line + LF.
// Errors name the file and never its content.

inline constexpr size_t kSignatureBytes = 64;

// Writes a new key pair: the private key to `private_path` (created 0600 with O_EXCL, so an
// existing file is never overwritten) and the public key to `private_path + ".pub"` (0644,
// O_EXCL). Errors: kInvalidArgument when either file exists (nothing is written),
// kPermissionDenied / kUnavailable for I/O errors naming the path.
Status GenerateKeyPair(const std::string& private_path);

// A loaded Ed25519 private key. Move-only; thread-compatible.
class SigningKey {
 public:
  // Reads a PEM private key. The file must not be readable by group/others. Errors:
  // kNotFound (missing), kPermissionDenied (unreadable or too open), kInvalidArgument (not a
  // PEM private key, encrypted, or not Ed25519 — the message names the key type found).
  static Result<SigningKey> Load(const std::string& path);

  // The 64-byte Ed25519 signature of `data` (deterministic: same key + data = same bytes).
  Result<std::string> Sign(std::string_view data) const;
  // Hex SHA-256 of the DER SubjectPublicKeyInfo of the public half.
  const std::string& fingerprint() const { return fingerprint_; }

  SigningKey(SigningKey&&) noexcept;
  SigningKey& operator=(SigningKey&&) noexcept;
  ~SigningKey();

 private:
  struct Impl;
  explicit SigningKey(std::unique_ptr<Impl> impl, std::string fingerprint);
  std::unique_ptr<Impl> impl_;
  std::string fingerprint_;
};

// A loaded Ed25519 public key. Move-only; thread-compatible.
class VerifyingKey {
 public:
  // Reads a PEM public key (SubjectPublicKeyInfo). Errors: kNotFound, kPermissionDenied,
  // kInvalidArgument (not a PEM public key, or not Ed25519 — names the type found).
  static Result<VerifyingKey> Load(const std::string& path);
  // From PEM text (`what` names it in errors).
  static Result<VerifyingKey> FromPem(std::string_view pem, const std::string& what);

  // True when `signature` (64 raw bytes) is this key's signature of `data`.
  bool Verify(std::string_view data, std::string_view signature) const;
  const std::string& fingerprint() const { return fingerprint_; }

  VerifyingKey(VerifyingKey&&) noexcept;
  VerifyingKey& operator=(VerifyingKey&&) noexcept;
  ~VerifyingKey();

 private:
  struct Impl;
  explicit VerifyingKey(std::unique_ptr<Impl> impl, std::string fingerprint);
  std::unique_ptr<Impl> impl_;
  std::string fingerprint_;
};

// The `.json.sig` file content: base64 (RFC 4648, padded) of `signature` + "\n".
std::string EncodeSignatureFile(std::string_view signature);
// Parses a `.json.sig` file: exactly one base64 line (a trailing LF or CRLF allowed) that
// decodes to 64 bytes. kInvalidArgument otherwise (`what` names the file).
Result<std::string> DecodeSignatureFile(std::string_view text, const std::string& what);

}  // namespace divaudit::attest
