// Sha256: OpenSSL's SHA-256 (its SHA-NI code where the CPU has it) with no
// heap allocation per call. One object per thread; not thread-safe.
#ifndef INGEST_STAGES_VERIFY_SHA256_H_
#define INGEST_STAGES_VERIFY_SHA256_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

// Hashes many inputs at once. With intel-ipsec-mb on a CPU with AVX-512 its
// multi-buffer SHA-256 runs 16 inputs side by side, with SHA-NI two
// (1.7-2.5x OpenSSL on one input, 6 KB articles, on the machines measured);
// elsewhere each input goes through Sha256. The digests are the same
// either way. One object per thread; not thread-safe.
class Sha256Batch {
 public:
  Sha256Batch();
  ~Sha256Batch();
  Sha256Batch(const Sha256Batch&) = delete;
  Sha256Batch& operator=(const Sha256Batch&) = delete;

  // Queues `data`; its digest is in *digest once Finish() returned OK.
  // REQUIRES: both stay valid and unchanged until then.
  void Add(std::string_view data, Sha256::Digest* digest);
  // Completes every queued hash.
  Status Finish();
  // Whether inputs go through intel-ipsec-mb's multi-buffer code.
  bool multi_buffer() const { return multi_buffer_ != nullptr; }
  // Which code hashes: "openssl", "intel-ipsec-mb avx512" or
  // "intel-ipsec-mb sse (sha-ni)", as the library reports what it runs.
  std::string_view implementation() const;

 private:
  struct MultiBuffer;  // the ipsec-mb manager, when used
  std::unique_ptr<MultiBuffer> multi_buffer_;
  Sha256 one_by_one_;
  std::vector<std::pair<std::string_view, Sha256::Digest*>> queued_;
  bool failed_ = false;
};

// 64 lowercase hex digits.
std::string ToHex(const Sha256::Digest& digest);
// ToHex into `*hex`, reusing its buffer.
void AssignHex(const Sha256::Digest& digest, std::string* hex);
// Parses 64 hex digits of either case; false when malformed.
bool FromHex(std::string_view hex, Sha256::Digest* digest);

}  // namespace ingest

#endif  // INGEST_STAGES_VERIFY_SHA256_H_
