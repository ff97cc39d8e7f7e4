#include "stages/verify/sha256.h"

// The SHA256_* functions are deprecated in OpenSSL 3 in favour of EVP, but
// EVP_DigestInit_ex (and _ex2, and EVP_MD_CTX_copy_ex) of OpenSSL 3.0 frees
// and allocates the provider's context on every call, even on a reused
// EVP_MD_CTX: one allocation per article. SHA256_CTX lives on the stack,
// and the default provider's SHA-256 runs these same functions (the same
// SHA-NI code), so the digests and the speed are the same.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

namespace ingest {

Result<Sha256::Digest> Sha256::Hash(std::string_view data) {
  static_assert(std::tuple_size<Digest>::value == SHA256_DIGEST_LENGTH);
  Digest digest;
  SHA256_CTX context;
  if (SHA256_Init(&context) != 1 ||
      SHA256_Update(&context, data.data(), data.size()) != 1 ||
      SHA256_Final(digest.data(), &context) != 1) {
    return Status::Internal("verify: libcrypto SHA-256 failed");
  }
  return digest;
}

std::string ToHex(const Sha256::Digest& digest) {
  std::string out;
  AssignHex(digest, &out);
  return out;
}

void AssignHex(const Sha256::Digest& digest, std::string* hex) {
  static constexpr char kHex[] = "0123456789abcdef";
  hex->resize(2 * digest.size());
  char* out = hex->data();
  for (size_t i = 0; i < digest.size(); ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 0xF];
  }
}

bool FromHex(std::string_view hex, Sha256::Digest* digest) {
  if (hex.size() != 64) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < 32; ++i) {
    int high = nibble(hex[2 * i]);
    int low = nibble(hex[2 * i + 1]);
    if (high < 0 || low < 0) return false;
    (*digest)[i] = static_cast<uint8_t>(high << 4 | low);
  }
  return true;
}

}  // namespace ingest
