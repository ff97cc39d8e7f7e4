#include "stages/verify/sha256.h"

// The SHA256_* functions are deprecated in OpenSSL 3 in favour of EVP, but
// EVP_DigestInit_ex (and _ex2, and EVP_MD_CTX_copy_ex) of OpenSSL 3.0 frees
// and allocates the provider's context on every call, even on a reused
// EVP_MD_CTX: one allocation per article. SHA256_CTX lives on the stack,
// and the default provider's SHA-256 runs these same functions (the same
// SHA-NI code), so the digests and the speed are the same.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#if defined(INGEST_HAVE_IPSEC_MB)
#include <intel-ipsec-mb.h>
#endif

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

#if defined(INGEST_HAVE_IPSEC_MB)
struct Sha256Batch::MultiBuffer {
  IMB_MGR* manager = nullptr;
  ~MultiBuffer() { free_mb_mgr(manager); }
  // A job the manager handed back: completed, or failed.
  static bool Completed(const IMB_JOB* job) { return job->status == IMB_STATUS_COMPLETED; }
};
#else
struct Sha256Batch::MultiBuffer {};
#endif

Sha256Batch::Sha256Batch() {
#if defined(INGEST_HAVE_IPSEC_MB)
  IMB_MGR* manager = alloc_mb_mgr(0);
  if (manager == nullptr) return;
  IMB_ARCH arch = IMB_ARCH_NONE;
  init_mb_mgr_auto(manager, &arch);
  // Worth it with AVX-512 (16 lanes) or with SHA-NI, which the SSE manager
  // runs two messages at a time. Below AVX-512 the SSE manager is taken by
  // name: the AVX2 one that init_mb_mgr_auto picks uses SHA-NI only on CPUs
  // that also have GFNI. On an AMD EPYC Zen 3 (AVX2, SHA-NI, no GFNI), 6-7.5
  // KB messages: sse 2.4-3.0 GB/s, avx2 1.0-1.5, OpenSSL's one-message SHA-NI
  // 1.3-1.4; on a Zen 4 (AVX-512, GFNI) every manager ran 2.8-3.0 against
  // OpenSSL's 1.7. Without either, hashing stays with OpenSSL (not measured).
  const bool avx512 = arch == IMB_ARCH_AVX512;
  const bool sha_ni = (manager->features & IMB_FEATURE_SHANI) != 0;
  if (!avx512 && sha_ni) init_mb_mgr_sse(manager);
  if (!(avx512 || sha_ni) || imb_get_errno(manager) != 0) {
    free_mb_mgr(manager);
    return;
  }
  multi_buffer_ = std::make_unique<MultiBuffer>();
  multi_buffer_->manager = manager;
#endif
}

std::string_view Sha256Batch::implementation() const {
#if defined(INGEST_HAVE_IPSEC_MB)
  // What the manager says it runs, not what was asked of it.
  if (multi_buffer_ != nullptr) {
    switch (multi_buffer_->manager->used_arch) {
      case IMB_ARCH_AVX512:
        return "intel-ipsec-mb avx512";
      case IMB_ARCH_SSE:
        return "intel-ipsec-mb sse (sha-ni)";
      default:
        return "intel-ipsec-mb other";
    }
  }
#endif
  return "openssl";
}

// Hashes still queued are dropped, not finished: their digests may be gone.
Sha256Batch::~Sha256Batch() = default;

void Sha256Batch::Add(std::string_view data, Sha256::Digest* digest) {
#if defined(INGEST_HAVE_IPSEC_MB)
  // The library refuses long messages (here: from 65,535 bytes on); those
  // few go one by one.
  constexpr size_t kLongestMultiBuffer = 32 << 10;
  if (multi_buffer_ != nullptr && !data.empty() && data.size() <= kLongestMultiBuffer) {
    IMB_MGR* manager = multi_buffer_->manager;
    IMB_JOB* job = IMB_GET_NEXT_JOB(manager);
    job->cipher_mode = IMB_CIPHER_NULL;
    job->cipher_direction = IMB_DIR_ENCRYPT;
    job->chain_order = IMB_ORDER_HASH_CIPHER;
    job->hash_alg = IMB_AUTH_SHA_256;
    job->src = reinterpret_cast<const uint8_t*>(data.data());
    job->hash_start_src_offset_in_bytes = 0;
    job->msg_len_to_hash_in_bytes = data.size();
    job->auth_tag_output = digest->data();
    job->auth_tag_output_len_in_bytes = digest->size();
    for (job = IMB_SUBMIT_JOB(manager); job != nullptr; job = IMB_GET_COMPLETED_JOB(manager)) {
      failed_ = failed_ || !MultiBuffer::Completed(job);
    }
    return;
  }
#endif
  queued_.emplace_back(data, digest);
}

Status Sha256Batch::Finish() {
#if defined(INGEST_HAVE_IPSEC_MB)
  if (multi_buffer_ != nullptr) {
    while (IMB_JOB* job = IMB_FLUSH_JOB(multi_buffer_->manager)) {
      failed_ = failed_ || !MultiBuffer::Completed(job);
    }
  }
#endif
  for (const auto& [data, digest] : queued_) {
    INGEST_ASSIGN_OR_RETURN(*digest, one_by_one_.Hash(data));
  }
  queued_.clear();
  if (failed_) {
    failed_ = false;
    return Status::Internal("verify: intel-ipsec-mb SHA-256 failed");
  }
  return Status::OK();
}

}  // namespace ingest
