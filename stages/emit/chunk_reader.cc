#include "stages/emit/chunk_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace ingest {

namespace {

constexpr size_t kReadBytes = 1 << 20;
constexpr size_t kDecompressBytes = 1 << 20;

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace

bool IsChunkFileName(std::string_view name) {
  if (name.empty() || name.front() == '.') return false;
  return EndsWith(name, ".ndjson") || EndsWith(name, ".ndjson.zst") ||
         EndsWith(name, ".ndjson.gz");
}

Result<std::unique_ptr<ChunkReader>> ChunkReader::Open(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int error = errno;
    Status status = Status::FromErrno("read chunk: open", path, error);
    if (error == ENOENT) return Status::NotFound(status.message());
    return status;
  }
  std::unique_ptr<ChunkReader> reader(new ChunkReader(path, fd));
  INGEST_RETURN_IF_ERROR(reader->Start());
  return reader;
}

ChunkReader::~ChunkReader() {
  if (fd_ >= 0) close(fd_);
}

Status ChunkReader::Start() {
  // Read the first block to see the magic number.
  raw_.resize(kReadBytes);
  size_t filled = 0;
  while (filled < raw_.size()) {
    ssize_t n = read(fd_, raw_.data() + filled, raw_.size() - filled);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno("read chunk: read", path_, errno);
    }
    if (n == 0) {
      file_ended_ = true;
      break;
    }
    filled += static_cast<size_t>(n);
  }
  raw_.resize(filled);
  Compression by_magic = CompressionOfMagic(raw_);
  compression_ = CompressionOfName(path_);
  if (compression_ == Compression::kNone) {
    compression_ = by_magic;
  } else if (by_magic != compression_ && !raw_.empty()) {
    return Status::Corruption("read chunk: " + path_ + ": not a " +
                              std::string(CompressionName(compression_)) +
                              " file (wrong magic number)");
  }
  decompressor_ = Decompressor::Make(compression_);
  if (!decompressor_) {
    data_ = std::move(raw_);
    raw_.clear();
  }
  return Status::OK();
}

Result<bool> ChunkReader::Fill() {
  // Drop what was returned already so the buffer does not grow.
  if (pos_ > 0) {
    data_.erase(0, pos_);
    pos_ = 0;
  }
  while (true) {
    if (decompressor_ && raw_pos_ < raw_.size()) {
      std::string_view input(raw_.data() + raw_pos_, raw_.size() - raw_pos_);
      size_t before = data_.size();
      Status status = decompressor_->Decompress(&input, kDecompressBytes, &data_);
      if (!status.ok()) {
        return Status::Corruption("read chunk: " + path_ + ": " + status.message());
      }
      size_t consumed_to = raw_.size() - input.size();
      bool progressed = consumed_to > raw_pos_;
      raw_pos_ = consumed_to;
      if (data_.size() > before) return true;
      if (!input.empty()) {
        if (!progressed) {
          return Status::Corruption("read chunk: " + path_ + ": undecodable bytes");
        }
        continue;
      }
    }
    if (file_ended_) {
      if (decompressor_) {
        // Flush what the decompressor may still hold.
        std::string_view none;
        size_t before = data_.size();
        Status status = decompressor_->Decompress(&none, kDecompressBytes, &data_);
        if (!status.ok()) {
          return Status::Corruption("read chunk: " + path_ + ": " + status.message());
        }
        if (data_.size() > before) return true;
        if (!decompressor_->AtFrameBoundary()) {
          return Status::Corruption("read chunk: " + path_ +
                                    ": truncated (the compressed stream ends inside a frame)");
        }
      }
      return false;
    }
    std::string& target = decompressor_ ? raw_ : data_;
    if (decompressor_) {
      raw_.clear();
      raw_pos_ = 0;
    }
    size_t old_size = target.size();
    target.resize(old_size + kReadBytes);
    ssize_t n;
    do {
      n = read(fd_, target.data() + old_size, kReadBytes);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      target.resize(old_size);
      return Status::FromErrno("read chunk: read", path_, errno);
    }
    target.resize(old_size + static_cast<size_t>(n));
    if (n == 0) {
      file_ended_ = true;
      continue;
    }
    if (!decompressor_) return true;
  }
}

Result<bool> ChunkReader::NextLine(std::string_view* line, bool* terminated) {
  size_t scanned = pos_;
  while (true) {
    const void* newline =
        std::memchr(data_.data() + scanned, '\n', data_.size() - scanned);
    if (newline != nullptr) {
      size_t end = static_cast<size_t>(static_cast<const char*>(newline) - data_.data());
      *line = std::string_view(data_.data() + pos_, end - pos_);
      pos_ = end + 1;
      ++line_number_;
      if (terminated) *terminated = true;
      return true;
    }
    size_t offset = data_.size() - pos_;  // scanned so far, relative to pos_
    INGEST_ASSIGN_OR_RETURN(bool more, Fill());
    scanned = pos_ + offset;
    if (!more) {
      if (pos_ == data_.size()) return false;
      *line = std::string_view(data_.data() + pos_, data_.size() - pos_);
      pos_ = data_.size();
      ++line_number_;
      if (terminated) *terminated = false;
      return true;
    }
  }
}

Result<bool> ChunkReader::ReadBlock(size_t max_bytes, std::string* block) {
  if (!deferred_.ok()) return std::exchange(deferred_, Status::OK());
  size_t start = block->size();
  std::string_view line;
  bool terminated = true;
  while (block->size() - start < max_bytes) {
    Result<bool> next = NextLine(&line, &terminated);
    if (!next.ok()) {
      if (block->size() == start) return next.status();
      deferred_ = next.status();
      break;
    }
    bool more = *next;
    if (!more) break;
    block->append(line);
    if (terminated) block->push_back('\n');
  }
  return block->size() > start;
}

Result<std::string> ReadChunkFile(const std::string& path) {
  INGEST_ASSIGN_OR_RETURN(std::unique_ptr<ChunkReader> reader, ChunkReader::Open(path));
  std::string all;
  while (true) {
    INGEST_ASSIGN_OR_RETURN(bool more, reader->ReadBlock(SIZE_MAX, &all));
    if (!more) return all;
  }
}

}  // namespace ingest
