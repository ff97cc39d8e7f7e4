// ArchiveReader: one tar archive (plain, gzip, zstd, xz or bzip2
// compressed) read as a stream through libarchive, member by member, never
// extracted to disk. libarchive is sequential: a member's data can be read
// only between its header and the next one, and only once. Where ISA-L is
// built in, gzip is inflated by its igzip (about 3x zlib) before libarchive
// sees the tar; the members are the same (see ChecksWholeGzipStream()).
//
// Errors are Corruption (a damaged or truncated archive, a member that
// cannot be read: the message is libarchive's) or IOError (the file cannot
// be opened); after an error from NextMember() the archive cannot go on.
// One object per thread; it owns its file descriptor and libarchive handle.
#ifndef INGEST_STAGES_READ_ARCHIVE_READER_H_
#define INGEST_STAGES_READ_ARCHIVE_READER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "pipeline/article.h"
#include "pipeline/status.h"

struct archive;

namespace ingest {

struct ArchiveMember {
  enum class Type : uint8_t { kFile, kDirectory, kSymlink, kHardlink, kOther };
  std::string name;         // member path as stored, without leading "./" or "/"
  Type type = Type::kFile;
  std::string link_target;  // kSymlink, kHardlink
  std::optional<uint64_t> size;  // from the header, when it has one
  FileStamp stamp;          // size (0 when unknown) and mtime from the header
};

class ArchiveReader {
 public:
  // Opens `path`; IOError naming it and the cause when it cannot be opened
  // or is not a regular file.
  static Result<std::unique_ptr<ArchiveReader>> Open(const std::string& path);
  ~ArchiveReader();
  ArchiveReader(const ArchiveReader&) = delete;
  ArchiveReader& operator=(const ArchiveReader&) = delete;

  // The archive file's own size and mtime, taken when it was opened.
  const FileStamp& stamp() const { return stamp_; }

  // The next member's header; false at the end of the archive.
  Result<bool> NextMember(ArchiveMember* member);

  // Reads the current member's data into *out (replacing it), at most
  // `limit` bytes; returns how many bytes the member had up to limit + 1,
  // so a result above `limit` means "too large" (the rest is skipped).
  Result<uint64_t> ReadData(uint64_t limit, std::string* out);

  // Bytes of the archive file consumed so far (compressed), for progress.
  uint64_t compressed_bytes_read() const;

  // True where igzip inflates gzip: a damaged or mismatching gzip stream is
  // reported even when the damage lies after the tar's end marker (after
  // every member was read). libarchive's own reader stops at that marker.
  static bool ChecksWholeGzipStream();
  // "isa-l igzip" or "zlib (libarchive)": what inflates gzip in this build.
  static std::string_view GzipImplementation();

 private:
  class GzipInflater;

  ArchiveReader();
  std::string path_;
  int fd_ = -1;
  struct archive* archive_ = nullptr;
  std::unique_ptr<GzipInflater> inflater_;  // set when igzip inflates the file
  FileStamp stamp_;
};

// True when `name` ends in .tar, .tar.gz, .tgz, .tar.zst, .tzst, .tar.xz,
// .txz, .tar.bz2 or .tbz2: such inputs are read as archives.
bool IsArchiveName(std::string_view name);

}  // namespace ingest

#endif  // INGEST_STAGES_READ_ARCHIVE_READER_H_
