#include "stages/emit/compression.h"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>

namespace ingest {

namespace {

constexpr int kZstdDefaultLevel = 3;
// Not zlib's 6: the serial emit stage compresses, and on generated news
// text level 3 was 3 times faster for 15% larger files (README, "Compressed
// output", has the figures).
constexpr int kGzipDefaultLevel = 3;
// zlib counts in 32-bit lengths: feed it at most this much at once.
constexpr size_t kZlibStep = 1u << 30;
constexpr size_t kOutputStep = 128 << 10;

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         text.substr(text.size() - suffix.size()) == suffix;
}

// Grows *out by up to `step` bytes of writable room; returns where it starts.
char* Grow(std::string* out, size_t step, size_t* old_size) {
  *old_size = out->size();
  out->resize(*old_size + step);
  return out->data() + *old_size;
}

class ZstdCompressor : public Compressor {
 public:
  explicit ZstdCompressor(int level) : context_(ZSTD_createCCtx()) {
    ZSTD_CCtx_setParameter(context_, ZSTD_c_compressionLevel, level);
    // A content checksum makes a damaged chunk fail to decompress instead of
    // yielding wrong records.
    ZSTD_CCtx_setParameter(context_, ZSTD_c_checksumFlag, 1);
  }
  ~ZstdCompressor() override { ZSTD_freeCCtx(context_); }

  Status Compress(std::string_view input, std::string* out) override {
    ZSTD_inBuffer in{input.data(), input.size(), 0};
    while (in.pos < in.size) {
      INGEST_RETURN_IF_ERROR(Step(&in, ZSTD_e_continue, out, nullptr));
    }
    return Status::OK();
  }

  Status Finish(std::string* out) override {
    ZSTD_inBuffer in{nullptr, 0, 0};
    size_t remaining = 1;
    while (remaining != 0) {
      INGEST_RETURN_IF_ERROR(Step(&in, ZSTD_e_end, out, &remaining));
    }
    return Status::OK();
  }

 private:
  Status Step(ZSTD_inBuffer* in, ZSTD_EndDirective mode, std::string* out,
              size_t* remaining) {
    size_t old_size = 0;
    char* room = Grow(out, ZSTD_CStreamOutSize(), &old_size);
    ZSTD_outBuffer buffer{room, ZSTD_CStreamOutSize(), 0};
    size_t result = ZSTD_compressStream2(context_, &buffer, in, mode);
    out->resize(old_size + buffer.pos);
    if (ZSTD_isError(result)) {
      return Status::Internal(std::string("emit: zstd compression failed: ") +
                              ZSTD_getErrorName(result));
    }
    if (remaining != nullptr) *remaining = result;
    return Status::OK();
  }

  ZSTD_CCtx* context_;
};

class GzipCompressor : public Compressor {
 public:
  explicit GzipCompressor(int level) {
    // 15 + 16: the largest window, with a gzip header and trailer.
    ok_ = deflateInit2(&stream_, level, Z_DEFLATED, 15 + 16, 8,
                       Z_DEFAULT_STRATEGY) == Z_OK;
  }
  ~GzipCompressor() override {
    if (ok_) deflateEnd(&stream_);
  }

  Status Compress(std::string_view input, std::string* out) override {
    if (!ok_) return Status::Internal("emit: zlib deflateInit2 failed");
    while (!input.empty()) {
      size_t step = std::min(input.size(), kZlibStep);
      stream_.next_in =
          reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
      stream_.avail_in = static_cast<uInt>(step);
      while (stream_.avail_in > 0) {
        INGEST_RETURN_IF_ERROR(Step(Z_NO_FLUSH, out, nullptr));
      }
      input.remove_prefix(step);
    }
    return Status::OK();
  }

  Status Finish(std::string* out) override {
    if (!ok_) return Status::Internal("emit: zlib deflateInit2 failed");
    stream_.next_in = nullptr;
    stream_.avail_in = 0;
    bool ended = false;
    while (!ended) INGEST_RETURN_IF_ERROR(Step(Z_FINISH, out, &ended));
    // The next bytes start a new gzip member.
    if (deflateReset(&stream_) != Z_OK) {
      return Status::Internal("emit: zlib deflateReset failed");
    }
    return Status::OK();
  }

 private:
  Status Step(int flush, std::string* out, bool* ended) {
    size_t old_size = 0;
    char* room = Grow(out, kOutputStep, &old_size);
    stream_.next_out = reinterpret_cast<Bytef*>(room);
    stream_.avail_out = static_cast<uInt>(kOutputStep);
    int result = deflate(&stream_, flush);
    out->resize(old_size + (kOutputStep - stream_.avail_out));
    if (result == Z_STREAM_ERROR) {
      return Status::Internal("emit: zlib deflate failed");
    }
    if (ended != nullptr) *ended = result == Z_STREAM_END;
    return Status::OK();
  }

  z_stream stream_{};
  bool ok_ = false;
};

class ZstdDecompressor : public Decompressor {
 public:
  ZstdDecompressor() : context_(ZSTD_createDCtx()) {}
  ~ZstdDecompressor() override { ZSTD_freeDCtx(context_); }

  Status Decompress(std::string_view* input, size_t max_output,
                    std::string* out) override {
    ZSTD_inBuffer in{input->data(), input->size(), 0};
    size_t produced = 0;
    while (produced < max_output) {
      size_t room_size = std::min(ZSTD_DStreamOutSize(), max_output - produced);
      size_t old_size = 0;
      char* room = Grow(out, room_size, &old_size);
      ZSTD_outBuffer buffer{room, room_size, 0};
      size_t before = in.pos;
      size_t result = ZSTD_decompressStream(context_, &buffer, &in);
      out->resize(old_size + buffer.pos);
      if (ZSTD_isError(result)) {
        return Status::Corruption(std::string("zstd: ") + ZSTD_getErrorName(result));
      }
      produced += buffer.pos;
      if (in.pos > before || buffer.pos > 0) at_boundary_ = result == 0;
      // Done when the input is used up and nothing more came out, or the
      // output buffer was not filled (zstd has nothing left to flush).
      if (buffer.pos < room_size && in.pos == in.size) break;
      if (buffer.pos == 0 && in.pos == before) break;
    }
    input->remove_prefix(in.pos);
    return Status::OK();
  }

  bool AtFrameBoundary() const override { return at_boundary_; }

 private:
  ZSTD_DCtx* context_;
  bool at_boundary_ = true;
};

class GzipDecompressor : public Decompressor {
 public:
  GzipDecompressor() {
    // 15 + 32: detect a gzip (or zlib) header automatically.
    ok_ = inflateInit2(&stream_, 15 + 32) == Z_OK;
  }
  ~GzipDecompressor() override {
    if (ok_) inflateEnd(&stream_);
  }

  Status Decompress(std::string_view* input, size_t max_output,
                    std::string* out) override {
    if (!ok_) return Status::Internal("gzip: inflateInit2 failed");
    size_t produced = 0;
    while (produced < max_output) {
      if (at_boundary_ && input->empty()) break;
      size_t step = std::min(input->size(), kZlibStep);
      stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input->data()));
      stream_.avail_in = static_cast<uInt>(step);
      size_t room_size = std::min(kOutputStep, max_output - produced);
      size_t old_size = 0;
      char* room = Grow(out, room_size, &old_size);
      stream_.next_out = reinterpret_cast<Bytef*>(room);
      stream_.avail_out = static_cast<uInt>(room_size);
      int result = inflate(&stream_, Z_NO_FLUSH);
      size_t written = room_size - stream_.avail_out;
      size_t consumed = step - stream_.avail_in;
      out->resize(old_size + written);
      input->remove_prefix(consumed);
      produced += written;
      if (consumed > 0 || written > 0) at_boundary_ = false;
      if (result == Z_STREAM_END) {
        // One gzip member done; another may follow.
        at_boundary_ = true;
        if (inflateReset(&stream_) != Z_OK) {
          return Status::Internal("gzip: inflateReset failed");
        }
        continue;
      }
      if (result == Z_BUF_ERROR || (consumed == 0 && written == 0)) break;
      if (result != Z_OK) {
        return Status::Corruption(std::string("gzip: ") +
                                  (stream_.msg != nullptr ? stream_.msg : "inflate failed"));
      }
    }
    return Status::OK();
  }

  bool AtFrameBoundary() const override { return at_boundary_; }

 private:
  z_stream stream_{};
  bool ok_ = false;
  bool at_boundary_ = true;
};

}  // namespace

std::string_view CompressionName(Compression compression) {
  switch (compression) {
    case Compression::kNone: return "none";
    case Compression::kZstd: return "zstd";
    case Compression::kGzip: return "gzip";
  }
  return "none";
}

Result<Compression> ParseCompression(std::string_view name) {
  if (name == "none") return Compression::kNone;
  if (name == "zstd") return Compression::kZstd;
  if (name == "gzip") return Compression::kGzip;
  return Status::InvalidArgument("compression must be none, zstd or gzip, not '" +
                                 std::string(name) + "'");
}

std::string_view CompressionSuffix(Compression compression) {
  switch (compression) {
    case Compression::kNone: return "";
    case Compression::kZstd: return ".zst";
    case Compression::kGzip: return ".gz";
  }
  return "";
}

Compression CompressionOfName(std::string_view name) {
  if (EndsWith(name, ".zst")) return Compression::kZstd;
  if (EndsWith(name, ".gz")) return Compression::kGzip;
  return Compression::kNone;
}

Compression CompressionOfMagic(std::string_view head) {
  if (head.size() >= 4 && head.substr(0, 4) == std::string_view("\x28\xB5\x2F\xFD", 4)) {
    return Compression::kZstd;
  }
  if (head.size() >= 2 && head.substr(0, 2) == std::string_view("\x1F\x8B", 2)) {
    return Compression::kGzip;
  }
  return Compression::kNone;
}

std::pair<int, int> CompressionLevelRange(Compression compression) {
  if (compression == Compression::kGzip) return {1, 9};
  if (compression == Compression::kZstd) return {1, 19};
  return {0, 0};
}

std::unique_ptr<Compressor> Compressor::Make(Compression compression, int level) {
  switch (compression) {
    case Compression::kNone: return nullptr;
    case Compression::kZstd:
      return std::make_unique<ZstdCompressor>(level != 0 ? level : kZstdDefaultLevel);
    case Compression::kGzip:
      return std::make_unique<GzipCompressor>(level != 0 ? level : kGzipDefaultLevel);
  }
  return nullptr;
}

std::unique_ptr<Decompressor> Decompressor::Make(Compression compression) {
  switch (compression) {
    case Compression::kNone: return nullptr;
    case Compression::kZstd: return std::make_unique<ZstdDecompressor>();
    case Compression::kGzip: return std::make_unique<GzipDecompressor>();
  }
  return nullptr;
}

}  // namespace ingest
