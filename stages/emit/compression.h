// Streaming compression for output chunks (zstd through libzstd, gzip
// through zlib) and its inverse for everything that reads them back.
//
// A Compressor turns appended bytes into one compressed frame (a zstd frame
// or a gzip member) that Finish() closes; bytes compressed after Finish()
// start a new frame, and concatenated frames are a valid .zst / .gz file, so
// one compressor can serve a stream (stdout) that is sealed at every commit.
// A Decompressor reads such concatenations back and reports a stream that
// ends inside a frame as corruption (a truncated file never passes as
// complete). Each object is used by one thread at a time; distinct objects
// share nothing.
#ifndef INGEST_STAGES_EMIT_COMPRESSION_H_
#define INGEST_STAGES_EMIT_COMPRESSION_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "pipeline/status.h"

namespace ingest {

enum class Compression : uint8_t {
  kNone,
  kZstd,
  kGzip,
};

// "none", "zstd", "gzip".
std::string_view CompressionName(Compression compression);
// The inverse of CompressionName; InvalidArgument naming the choices.
Result<Compression> ParseCompression(std::string_view name);
// What a chunk's file name ends in after ".ndjson": "", ".zst", ".gz".
std::string_view CompressionSuffix(Compression compression);
// The compression of a file called `name`, from its suffix.
Compression CompressionOfName(std::string_view name);
// The compression whose magic number starts `head`: zstd 28 B5 2F FD, gzip
// 1F 8B; kNone otherwise.
Compression CompressionOfMagic(std::string_view head);

// The levels a format accepts besides 0 (the default): zstd 1-19, gzip 1-9.
std::pair<int, int> CompressionLevelRange(Compression compression);

class Compressor {
 public:
  // nullptr for kNone. Level 0 picks the format's default (zstd 3, gzip 3).
  // REQUIRES: level within CompressionLevelRange(compression).
  static std::unique_ptr<Compressor> Make(Compression compression, int level = 0);
  virtual ~Compressor() = default;
  // Appends the compressed form of `input` to *out (possibly nothing yet:
  // compressors buffer internally).
  virtual Status Compress(std::string_view input, std::string* out) = 0;
  // Closes the current frame, appending its last bytes to *out.
  virtual Status Finish(std::string* out) = 0;
};

class Decompressor {
 public:
  // nullptr for kNone.
  static std::unique_ptr<Decompressor> Make(Compression compression);
  virtual ~Decompressor() = default;
  // Decompresses as much of *input as fits, consuming it from the front,
  // and appends at most `max_output` bytes to *out.
  virtual Status Decompress(std::string_view* input, size_t max_output,
                            std::string* out) = 0;
  // True when the bytes fed so far end exactly at a frame boundary.
  virtual bool AtFrameBoundary() const = 0;
};

}  // namespace ingest

#endif  // INGEST_STAGES_EMIT_COMPRESSION_H_
