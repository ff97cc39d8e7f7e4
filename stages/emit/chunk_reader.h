// ChunkReader: the one way to read an output chunk back, plain or
// compressed: OUT/{articles,quarantine,duplicates}/*.ndjson, *.ndjson.zst
// and *.ndjson.gz. Everything that reads output (the audit, the state
// rebuild, tests) goes through it, so a new compression is added here once.
//
// The compression comes from the name's suffix (.zst, .gz), or, for any
// other name, from the file's magic number; a file named .zst or .gz that is
// not one, a damaged stream and a stream that ends inside a frame (a
// truncated file) are Corruption errors naming the path. Memory stays
// bounded by the longest line plus about 2 MiB whatever the file's size.
// One object per thread; it owns its file descriptor.
#ifndef INGEST_STAGES_EMIT_CHUNK_READER_H_
#define INGEST_STAGES_EMIT_CHUNK_READER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "pipeline/status.h"
#include "stages/emit/compression.h"

namespace ingest {

class ChunkReader {
 public:
  // NotFound / IOError naming the path when it cannot be opened.
  static Result<std::unique_ptr<ChunkReader>> Open(const std::string& path);
  ~ChunkReader();
  ChunkReader(const ChunkReader&) = delete;
  ChunkReader& operator=(const ChunkReader&) = delete;

  // The next line without its '\n', or false at the end of the file. The
  // view lasts until the next call. `*terminated` (optional) is false for a
  // last line that has no '\n' (a partial line).
  Result<bool> NextLine(std::string_view* line, bool* terminated = nullptr);

  // Appends whole lines, about `max_bytes` of them (at least one line, even
  // a longer one), to *block; every line ends in '\n' except a partial last
  // line of the file. False at the end, with nothing appended. For readers
  // that hand blocks of lines to worker threads. An error met after some
  // lines of the block is returned by the next call, so every line before
  // the damage is delivered first.
  Result<bool> ReadBlock(size_t max_bytes, std::string* block);

  const std::string& path() const { return path_; }
  Compression compression() const { return compression_; }
  // 1-based number of the line NextLine() returned last.
  uint64_t line_number() const { return line_number_; }

 private:
  ChunkReader(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  Status Start();
  // Appends more decompressed bytes to data_; false at the end of the file.
  Result<bool> Fill();

  std::string path_;
  int fd_;
  Compression compression_ = Compression::kNone;
  std::unique_ptr<Decompressor> decompressor_;
  std::string raw_;          // bytes read from the file, not yet decompressed
  size_t raw_pos_ = 0;
  bool file_ended_ = false;
  std::string data_;         // decompressed bytes; data_[pos_..] not yet returned
  size_t pos_ = 0;
  uint64_t line_number_ = 0;
  Status deferred_;  // an error ReadBlock holds back until its next call
};

// True for a published chunk's name: "*.ndjson", "*.ndjson.zst" or
// "*.ndjson.gz", not hidden (temp files are ".*.tmp").
bool IsChunkFileName(std::string_view name);

// The whole decompressed contents of a chunk (for small files and tests).
Result<std::string> ReadChunkFile(const std::string& path);

}  // namespace ingest

#endif  // INGEST_STAGES_EMIT_CHUNK_READER_H_
