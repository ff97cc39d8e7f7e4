// Article: the record handed from stage to stage, with the sequence number
// that fixes its place in the output, and Batch, the unit the runner moves.
//
// An Article is owned by exactly one stage at a time (the runner hands it
// over with its batch), so it needs no synchronisation. It owns all of its
// bytes: no field points into another article or a worker's buffer.
#ifndef INGEST_PIPELINE_ARTICLE_H_
#define INGEST_PIPELINE_ARTICLE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ingest {

// Why an input file could not be used, in FORMAT.md §2 order: where several
// apply, the smallest value wins.
enum class QuarantineReason : uint8_t {
  kNone = 0,
  kUnreadable,
  kTooLarge,
  kEmptyFile,
  kInvalidUtf8,
  kNoFrontMatter,
  kBadFrontMatter,
  kBadKey,
  kIdMismatch,
  kMissingHash,
  kBadHash,
  kNoBody,
  kEmptyBody,
  kHashMismatch,
};
inline constexpr int kQuarantineReasonCount = 14;

// The FORMAT.md code, e.g. "hash_mismatch"; "" for kNone.
std::string_view QuarantineReasonName(QuarantineReason reason);

// What finally happened to an input file (FORMAT.md §2), plus kUnchanged:
// processed by an earlier run and not modified since, so not read again.
enum class Outcome : uint8_t {
  kPending = 0,
  kUnchanged,
  kEmitted,
  kDuplicate,
  kRevision,  // a new hash for a known key; emitted only with --revisions emit
  kQuarantined,
};

// `buffer` emptied for reuse, or released when one huge file grew it.
inline std::string Recycled(std::string buffer) {
  if (buffer.capacity() > (1u << 20)) return std::string();
  buffer.clear();
  return buffer;
}

// Identifies a version of an input file without reading it.
struct FileStamp {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  // Recorded for an entry that could not even be stat-ed or listed (a broken
  // symlink, a FIFO, an unlistable directory): it is reported once, and
  // read again only once it can be stat-ed.
  static FileStamp Unreadable() { return FileStamp{~0ull, 0}; }
  bool operator==(const FileStamp& other) const {
    return size == other.size && mtime_ns == other.mtime_ns;
  }
};

// A directory held open while articles listed from it are read, so each
// file is opened relative to it instead of by its whole path; closed with
// the last reference.
class OpenDirectory {
 public:
  explicit OpenDirectory(int fd) : fd_(fd) {}
  ~OpenDirectory();
  OpenDirectory(const OpenDirectory&) = delete;
  OpenDirectory& operator=(const OpenDirectory&) = delete;
  int fd() const { return fd_; }

 private:
  const int fd_;
};

struct Article {
  uint64_t seq = 0;     // position in processing order, from 0
  // Sharded runs (doc/cluster.md): the record's stable position in its
  // run, (index in the run's manifest, record in that file).
  uint64_t file_index = 0;
  uint64_t record_index = 0;
  std::string source;   // FORMAT.md §3 `source`
  std::string path;     // where to read it from; empty when raw is preloaded
  // When set, `path` from name_offset on names the file inside `directory`.
  std::shared_ptr<const OpenDirectory> directory;
  size_t name_offset = 0;
  std::string raw;      // the file's bytes, CRLF not yet normalised
  uint64_t bytes_read = 0;
  // What the state recorded for this path when an earlier run processed
  // it, and what this run saw (valid once the file was opened).
  std::optional<FileStamp> known_stamp;
  std::optional<FileStamp> stamp;

  Outcome outcome = Outcome::kPending;
  QuarantineReason reason = QuarantineReason::kNone;
  std::string detail;  // evidence for a quarantine

  // Front matter, decoded (YAML quotes, folding, HTML unescape).
  std::string id;  // as written; empty when absent
  std::string oid;
  std::string aid;
  std::optional<std::string> url, title, publisher, author, category;
  std::optional<std::string> published_at, crawled_at;  // RFC 3339
  std::string stored_hash;  // content_hash as written
  // Unknown keys (null when empty) and raw unparseable dates, in file order.
  std::vector<std::pair<std::string, std::optional<std::string>>> extra;

  std::string text;          // unescaped, stripped body: the hashed bytes
  std::string content_hash;  // lowercase hex SHA-256 of text
  // The same in binary, when the verify stage computed it (an article
  // replayed from a shuffle spill has only the hex form).
  std::array<uint8_t, 32> content_digest{};
  bool has_content_digest = false;

  // The article's NDJSON line, rendered ahead by a parallel stage so the
  // serial end only copies it; a revision number goes at record_revision_at.
  std::string record;
  size_t record_revision_at = 0;

  // Set by dedup for duplicates and revisions.
  std::string first_source;
  uint32_t revision = 0;  // 2, 3, … for revisions

  // Buffers of the optional fields above as Reset() found them, emptied,
  // for the next file's fields (see EngageField).
  std::vector<std::string> spare_field_buffers;

  // oid + "_" + aid.
  std::string Key() const { return oid + "_" + aid; }

  // `field` set to an empty string that reuses a spare buffer when there is
  // one, so parsing a recycled article allocates nothing for it.
  std::string& EngageField(std::optional<std::string>& field) {
    if (spare_field_buffers.empty()) return field.emplace();
    field.emplace(std::move(spare_field_buffers.back()));
    spare_field_buffers.pop_back();
    return *field;
  }

  // Back to a fresh article, keeping the capacity of every string buffer
  // so a recycled article allocates (almost) nothing for the next file; a
  // large buffer that grew past 1 MiB for one huge file is released.
  // Every member is reset here: a new member must be added (the
  // static_assert below the struct is a reminder).
  void Reset() {
    seq = 0;
    file_index = 0;
    record_index = 0;
    source.clear();
    path.clear();
    directory.reset();
    name_offset = 0;
    raw = Recycled(std::move(raw));
    bytes_read = 0;
    known_stamp.reset();
    stamp.reset();
    outcome = Outcome::kPending;
    reason = QuarantineReason::kNone;
    detail.clear();
    id.clear();
    oid.clear();
    aid.clear();
    for (std::optional<std::string>* field :
         {&url, &title, &publisher, &author, &category, &published_at, &crawled_at}) {
      if (*field && field->value().capacity() <= (1u << 20)) {
        spare_field_buffers.push_back(std::move(**field));
        spare_field_buffers.back().clear();
      }
      field->reset();
    }
    stored_hash.clear();
    extra.clear();
    text = Recycled(std::move(text));
    content_hash.clear();
    content_digest = {};
    has_content_digest = false;
    record = Recycled(std::move(record));
    record_revision_at = 0;
    first_source.clear();
    revision = 0;
  }
  void Quarantine(QuarantineReason why, std::string evidence) {
    outcome = Outcome::kQuarantined;
    reason = why;
    detail = std::move(evidence);
  }
};

#if defined(__x86_64__) && defined(__GLIBCXX__)
static_assert(sizeof(Article) == 880,
              "Article changed: reset the new member in Article::Reset(), then "
              "update this size");
#endif

// A run of consecutive articles; batches are numbered from 0 in input order
// so serial stages can restore that order.
struct Batch {
  uint64_t index = 0;
  std::vector<Article> articles;
};

}  // namespace ingest

#endif  // INGEST_PIPELINE_ARTICLE_H_
