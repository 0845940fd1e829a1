#include "attest/signing.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/file_util.h"
#include "common/sha256.h"
#include "common/strings.h"

namespace divaudit::attest {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

// PEM pass-phrase callback: refuse, so an encrypted key fails instead of prompting on a tty.
int NoPassphrase(char*, int, int, void*) { return -1; }

std::string IoMessage(const std::string& path, std::string_view what, int err) {
  return path + ": " + std::string(what) + ": " + std::strerror(err);
}

Status IoError(const std::string& path, std::string_view what, int err) {
  if (err == EACCES || err == EPERM || err == EROFS) {
    return PermissionDeniedError(IoMessage(path, what, err));
  }
  if (err == ENOENT) return NotFoundError(IoMessage(path, what, err));
  return UnavailableError(IoMessage(path, what, err));
}

// The PEM text a BIO-writing function produces.
template <typename WriteFn>
Result<std::string> ToPem(WriteFn&& write) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get()) != 1) return InternalError("OpenSSL: cannot write PEM");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

Result<std::string> Fingerprint(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key, &der);
  if (len <= 0) return InternalError("OpenSSL: cannot encode the public key");
  std::string out = Sha256Hex(std::string_view(reinterpret_cast<const char*>(der), len));
  OPENSSL_free(der);
  return out;
}

Status CheckEd25519(EVP_PKEY* key, const std::string& path) {
  if (EVP_PKEY_get_id(key) == EVP_PKEY_ED25519) return Status::Ok();
  const char* type = EVP_PKEY_get0_type_name(key);
  return InvalidArgumentError(path + ": not an Ed25519 key (found " +
                              std::string(type != nullptr ? type : "an unknown type") +
                              "); create one with `divaudit keygen --out FILE`");
}

// Creates `path` with O_EXCL and writes `data`; removes it again when writing fails.
Status WriteNewFile(const std::string& path, std::string_view data, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) {
    const int err = errno;
    if (err == EEXIST) {
      return InvalidArgumentError(path + ": already exists; keygen never overwrites a key");
    }
    return IoError(path, "create", err);
  }
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      ::unlink(path.c_str());
      return IoError(path, "write", err);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int err = errno;
    ::unlink(path.c_str());
    return IoError(path, "write", err);
  }
  return Status::Ok();
}

bool Exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

}  // namespace

struct SigningKey::Impl {
  PkeyPtr key;
};
struct VerifyingKey::Impl {
  PkeyPtr key;
};

SigningKey::SigningKey(std::unique_ptr<Impl> impl, std::string fingerprint)
    : impl_(std::move(impl)), fingerprint_(std::move(fingerprint)) {}
SigningKey::SigningKey(SigningKey&&) noexcept = default;
SigningKey& SigningKey::operator=(SigningKey&&) noexcept = default;
SigningKey::~SigningKey() = default;
VerifyingKey::VerifyingKey(std::unique_ptr<Impl> impl, std::string fingerprint)
    : impl_(std::move(impl)), fingerprint_(std::move(fingerprint)) {}
VerifyingKey::VerifyingKey(VerifyingKey&&) noexcept = default;
VerifyingKey& VerifyingKey::operator=(VerifyingKey&&) noexcept = default;
VerifyingKey::~VerifyingKey() = default;

Status GenerateKeyPair(const std::string& private_path) {
  const std::string public_path = private_path + ".pub";
  for (const std::string* p : {&private_path, &public_path}) {
    if (Exists(*p)) {
      return InvalidArgumentError(*p + ": already exists; keygen never overwrites a key");
    }
  }
  EVP_PKEY* raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (raw == nullptr) return InternalError("OpenSSL: Ed25519 key generation failed");
  PkeyPtr key(raw);
  DIVAUDIT_ASSIGN_OR_RETURN(std::string private_pem, ToPem([&](BIO* b) {
                              return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0,
                                                              nullptr, nullptr);
                            }));
  DIVAUDIT_ASSIGN_OR_RETURN(std::string public_pem,
                            ToPem([&](BIO* b) { return PEM_write_bio_PUBKEY(b, key.get()); }));
  DIVAUDIT_RETURN_IF_ERROR(WriteNewFile(private_path, private_pem, 0600));
  if (Status s = WriteNewFile(public_path, public_pem, 0644); !s.ok()) {
    ::unlink(private_path.c_str());
    return s;
  }
  return Status::Ok();
}

Result<SigningKey> SigningKey::Load(const std::string& path) {
  // ReadSecretFile refuses group/other-readable files and never puts content in errors.
  auto pem = ReadSecretFile(path);
  if (!pem.ok()) {
    if (pem.status().code() == StatusCode::kInternal) {
      return PermissionDeniedError(pem.status().message());
    }
    return pem.status();
  }
  BioPtr bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!key) {
    return InvalidArgumentError(path +
                                ": not an unencrypted PEM private key (create one with "
                                "`divaudit keygen --out FILE`)");
  }
  DIVAUDIT_RETURN_IF_ERROR(CheckEd25519(key.get(), path));
  DIVAUDIT_ASSIGN_OR_RETURN(std::string fp, Fingerprint(key.get()));
  auto impl = std::make_unique<Impl>();
  impl->key = std::move(key);
  return SigningKey(std::move(impl), std::move(fp));
}

Result<std::string> SigningKey::Sign(std::string_view data) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::string sig(kSignatureBytes, '\0');
  size_t len = sig.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, impl_->key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1 ||
      len != kSignatureBytes) {
    return InternalError("OpenSSL: Ed25519 signing failed");
  }
  return sig;
}

Result<VerifyingKey> VerifyingKey::Load(const std::string& path) {
  auto pem = ReadFile(path);
  if (!pem.ok()) {
    if (pem.status().code() == StatusCode::kInternal) {
      return PermissionDeniedError(pem.status().message());
    }
    return pem.status();
  }
  return FromPem(*pem, path);
}

Result<VerifyingKey> VerifyingKey::FromPem(std::string_view pem, const std::string& what) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!key) {
    return InvalidArgumentError(what +
                                ": not a PEM public key (-----BEGIN PUBLIC KEY-----; the .pub "
                                "file `divaudit keygen` wrote)");
  }
  DIVAUDIT_RETURN_IF_ERROR(CheckEd25519(key.get(), what));
  DIVAUDIT_ASSIGN_OR_RETURN(std::string fp, Fingerprint(key.get()));
  auto impl = std::make_unique<Impl>();
  impl->key = std::move(key);
  return VerifyingKey(std::move(impl), std::move(fp));
}

bool VerifyingKey::Verify(std::string_view data, std::string_view signature) const {
  if (signature.size() != kSignatureBytes) return false;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, impl_->key.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                          data.size()) == 1;
}

std::string EncodeSignatureFile(std::string_view signature) {
  return Base64Encode(signature) + "\n";
}

Result<std::string> DecodeSignatureFile(std::string_view text, const std::string& what) {
  std::string_view line = text;
  if (line.ends_with("\n")) line.remove_suffix(1);
  if (line.ends_with("\r")) line.remove_suffix(1);
  const auto bad = [&] {
    return InvalidArgumentError(what + ": not a signature file (one base64 line of a " +
                                std::to_string(kSignatureBytes) + "-byte Ed25519 signature)");
  };
  // 64 bytes → 88 characters ending in "==".
  if (line.size() != 88) return bad();
  std::string out(66, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(line.data()),
                                static_cast<int>(line.size()));
  if (n != 66) return bad();
  out.resize(kSignatureBytes);
  // Only the canonical encoding is accepted (no stray bits in the padding, no other alphabet).
  if (Base64Encode(out) != line) return bad();
  return out;
}

}  // namespace divaudit::attest
