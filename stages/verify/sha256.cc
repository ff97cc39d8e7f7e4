#include "stages/verify/sha256.h"

#include <openssl/evp.h>

namespace ingest {

Sha256::Sha256()
    : md_(EVP_MD_fetch(nullptr, "SHA256", nullptr)), context_(EVP_MD_CTX_new()) {}

Sha256::~Sha256() {
  EVP_MD_CTX_free(context_);
  EVP_MD_free(md_);
}

Result<Sha256::Digest> Sha256::Hash(std::string_view data) {
  Digest digest;
  unsigned int length = 0;
  if (md_ == nullptr || context_ == nullptr ||
      EVP_DigestInit_ex(context_, md_, nullptr) != 1 ||
      EVP_DigestUpdate(context_, data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(context_, digest.data(), &length) != 1 ||
      length != digest.size()) {
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
