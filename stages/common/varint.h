// Varint (LEB128, 7 bits per byte, low first) and length-prefixed string
// encoding for the project's small binary records (dedup entries, shuffle
// plans and spills). Get* consume from the front of `in` and return false,
// leaving the outputs unspecified, on truncated or overlong input.
#ifndef INGEST_STAGES_COMMON_VARINT_H_
#define INGEST_STAGES_COMMON_VARINT_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace ingest {

inline void PutVarint(uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>(value | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

inline bool GetVarint(std::string_view* in, uint64_t* value) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64 && !in->empty(); shift += 7) {
    auto byte = static_cast<unsigned char>(in->front());
    in->remove_prefix(1);
    result |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) {
      *value = result;
      return true;
    }
  }
  return false;
}

inline void PutString(std::string_view text, std::string* out) {
  PutVarint(text.size(), out);
  out->append(text);
}

inline bool GetString(std::string_view* in, std::string* text) {
  uint64_t size = 0;
  if (!GetVarint(in, &size) || size > in->size()) return false;
  text->assign(in->data(), size);
  in->remove_prefix(size);
  return true;
}

}  // namespace ingest

#endif  // INGEST_STAGES_COMMON_VARINT_H_
