#include "stages/dedup/dedup_entry.h"

#include <cstring>

#include "stages/common/varint.h"

namespace ingest {

namespace {

constexpr char kFormatVersion = 1;
constexpr char kVersionEmitted = 1;  // per-version flag bits
constexpr char kVersionClaimant = 2;  // followed by two varints: the position

}  // namespace

const DedupVersion* DedupEntry::Find(const Sha256::Digest& hash) const {
  for (const DedupVersion& version : versions) {
    if (version.hash == hash) return &version;
  }
  return nullptr;
}

std::string DedupEntry::Encode() const {
  std::string out;
  EncodeTo(&out);
  return out;
}

void DedupEntry::EncodeTo(std::string* encoded) const {
  std::string& out = *encoded;
  out.clear();
  out.push_back(kFormatVersion);
  PutVarint(versions.size(), &out);
  for (const DedupVersion& version : versions) {
    out.append(reinterpret_cast<const char*>(version.hash.data()), version.hash.size());
    PutString(version.source, &out);
    PutString(version.run_id, &out);
    out.push_back(static_cast<char>((version.emitted ? kVersionEmitted : 0) |
                                    (version.has_claimant ? kVersionClaimant : 0)));
    if (version.has_claimant) {
      PutVarint(version.file_index, &out);
      PutVarint(version.record_index, &out);
    }
  }
}

Result<DedupEntry> DedupEntry::Decode(std::string_view encoded) {
  DedupEntry entry;
  uint64_t count = 0;
  if (encoded.empty() || encoded.front() != kFormatVersion) {
    return Status::Corruption("dedup: unknown entry format");
  }
  encoded.remove_prefix(1);
  if (!GetVarint(&encoded, &count) || count == 0 || count > encoded.size()) {
    return Status::Corruption("dedup: bad entry version count");
  }
  entry.versions.resize(count);
  for (DedupVersion& version : entry.versions) {
    if (encoded.size() < version.hash.size()) {
      return Status::Corruption("dedup: truncated entry");
    }
    std::memcpy(version.hash.data(), encoded.data(), version.hash.size());
    encoded.remove_prefix(version.hash.size());
    if (!GetString(&encoded, &version.source) ||
        !GetString(&encoded, &version.run_id) || encoded.empty()) {
      return Status::Corruption("dedup: truncated entry");
    }
    version.emitted = (encoded.front() & kVersionEmitted) != 0;
    version.has_claimant = (encoded.front() & kVersionClaimant) != 0;
    encoded.remove_prefix(1);
    if (version.has_claimant && (!GetVarint(&encoded, &version.file_index) ||
                                 !GetVarint(&encoded, &version.record_index))) {
      return Status::Corruption("dedup: truncated entry");
    }
  }
  if (!encoded.empty()) return Status::Corruption("dedup: trailing bytes in entry");
  return entry;
}

std::string DedupStateKey(std::string_view article_key) {
  std::string key(kDedupKeyPrefix);
  key.append(article_key);
  return key;
}

void AppendDedupStateKey(std::string_view oid, std::string_view aid, std::string* out) {
  out->append(kDedupKeyPrefix);
  out->append(oid);
  out->push_back('_');
  out->append(aid);
}

}  // namespace ingest
