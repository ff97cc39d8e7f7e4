// Sha256: OpenSSL SHA-256 with the EVP_MD fetched once and one digest
// context reused for every call (OpenSSL 3 fetches are costly). One object
// per thread; not thread-safe.
#ifndef INGEST_STAGES_VERIFY_SHA256_H_
#define INGEST_STAGES_VERIFY_SHA256_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "pipeline/status.h"

typedef struct evp_md_ctx_st EVP_MD_CTX;
typedef struct evp_md_st EVP_MD;

namespace ingest {

class Sha256 {
 public:
  using Digest = std::array<uint8_t, 32>;
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  // The digest of `data`; a non-OK status only when libcrypto fails.
  Result<Digest> Hash(std::string_view data);

 private:
  EVP_MD* md_ = nullptr;
  EVP_MD_CTX* context_ = nullptr;
};

// 64 lowercase hex digits.
std::string ToHex(const Sha256::Digest& digest);
// ToHex into `*hex`, reusing its buffer.
void AssignHex(const Sha256::Digest& digest, std::string* hex);
// Parses 64 hex digits of either case; false when malformed.
bool FromHex(std::string_view hex, Sha256::Digest* digest);

}  // namespace ingest

#endif  // INGEST_STAGES_VERIFY_SHA256_H_
