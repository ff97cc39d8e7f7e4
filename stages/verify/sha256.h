// Sha256: OpenSSL's SHA-256 (its SHA-NI code where the CPU has it) with no
// heap allocation per call. One object per thread; not thread-safe.
#ifndef INGEST_STAGES_VERIFY_SHA256_H_
#define INGEST_STAGES_VERIFY_SHA256_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "pipeline/status.h"

namespace ingest {

class Sha256 {
 public:
  using Digest = std::array<uint8_t, 32>;
  Sha256() = default;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  // The digest of `data`; a non-OK status only when libcrypto fails.
  Result<Digest> Hash(std::string_view data);
};

// 64 lowercase hex digits.
std::string ToHex(const Sha256::Digest& digest);
// ToHex into `*hex`, reusing its buffer.
void AssignHex(const Sha256::Digest& digest, std::string* hex);
// Parses 64 hex digits of either case; false when malformed.
bool FromHex(std::string_view hex, Sha256::Digest* digest);

}  // namespace ingest

#endif  // INGEST_STAGES_VERIFY_SHA256_H_
