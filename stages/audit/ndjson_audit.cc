#include "stages/audit/ndjson_audit.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "pipeline/bounded_queue.h"
#include "stages/emit/chunk_reader.h"
#include "stages/emit/compression.h"

namespace ingest {

namespace {

// A run of whole lines of one file, with simdjson's padding after them.
struct Block {
  uint32_t file = 0;
  uint64_t first_line = 1;    // 1-based number of the block's first line
  std::vector<char> buffer;   // size() is the capacity; lines start at 0
  size_t size = 0;            // bytes of lines; only the file's last line
                              // may lack its '\n' (a partial line)
};

// Buffers handed back by the workers, so the reader reuses them.
class BufferPool {
 public:
  std::vector<char> Take(size_t size) {
    std::lock_guard<std::mutex> lock(mu_);
    if (free_.empty()) return std::vector<char>(size);
    std::vector<char> buffer = std::move(free_.back());
    free_.pop_back();
    if (buffer.size() < size) buffer.resize(size);
    return buffer;
  }
  void Give(std::vector<char> buffer) {
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(std::move(buffer));
  }

 private:
  std::mutex mu_;
  std::vector<std::vector<char>> free_;  // GUARDED_BY(mu_)
};

// A problem with the index of its file, for sorting before `source` is set.
struct FileProblem {
  uint32_t file;
  Problem problem;
};

// What one worker found.
struct WorkerResult {
  std::vector<FileProblem> problems;
  std::vector<KeyedRecord> records;
  uint64_t lines = 0;
  Status status;
};

void CheckBlock(const Block& block, const NdjsonInput& input,
                const NdjsonAuditOptions& options, RecordChecker& checker,
                CheckedLine& checked, WorkerResult* result) {
  const char* data = block.buffer.data();
  const size_t capacity = block.buffer.size();
  uint64_t line = block.first_line;
  size_t position = 0;
  while (position < block.size) {
    const char* start = data + position;
    const void* newline = std::memchr(start, '\n', block.size - position);
    size_t end = newline != nullptr
                     ? static_cast<size_t>(static_cast<const char*>(newline) - data)
                     : block.size;
    std::string_view text(start, end - position);
    ++result->lines;
    if (newline == nullptr) {
      // Only the file's last line can lack its '\n': a write cut short.
      Problem problem;
      problem.code = ProblemCode::kPartialLine;
      problem.line = line;
      problem.id = std::string(LeadingRecordId(text));
      problem.detail = fmt::format(
          "the last line has no '\\n' ({} bytes): the file was cut short", text.size());
      result->problems.push_back(FileProblem{block.file, std::move(problem)});
      break;
    }
    Status status = checker.CheckPadded(text, capacity - position, input.kind, &checked);
    if (!status.ok()) {
      result->status = std::move(status);
      return;
    }
    for (LineProblem& found : checked.problems) {
      Problem problem;
      problem.code = found.code;
      problem.line = line;
      problem.id = checked.id;
      problem.detail = std::move(found.detail);
      result->problems.push_back(FileProblem{block.file, std::move(problem)});
    }
    if (checked.keyed && options.keyed_records) {
      KeyedRecord record;
      record.id = checked.id;
      record.revision = checked.revision;
      record.file = block.file;
      record.line = line;
      record.hash_verified = checked.hash_verified;
      record.hash_mismatched = checked.hash_mismatched;
      record.content_hash = checked.content_hash;
      record.text_hash = checked.text_hash;
      if (options.keep_sources) record.source = std::move(checked.source);
      result->records.push_back(std::move(record));
    }
    ++line;
    position = end + 1;
  }
}

void AddFileProblem(uint32_t file_index, ProblemCode code, std::string detail,
                    std::vector<FileProblem>* problems) {
  Problem problem;
  problem.code = code;
  problem.detail = std::move(detail);
  problems->push_back(FileProblem{file_index, std::move(problem)});
}

// The first line number of the next block, from the block just cut.
uint64_t LinesIn(const Block& block) {
  return static_cast<uint64_t>(
      std::count(block.buffer.data(), block.buffer.data() + block.size, '\n'));
}

// Reads an uncompressed file straight into line-aligned blocks (no copy
// beyond read(2)'s) and pushes them. False when the queue was closed.
bool ReadPlainBlocks(uint32_t file_index, int fd, size_t block_bytes,
                     BufferPool& pool, BoundedQueue<Block>& queue,
                     std::vector<FileProblem>* problems, uint64_t* bytes) {
  auto unreadable = [&](std::string detail) {
    AddFileProblem(file_index, ProblemCode::kUnreadable, std::move(detail), problems);
  };
  uint64_t next_line = 1;
  std::vector<char> carry;  // the unfinished line after a block's last '\n'
  bool at_end = false;
  bool pushed = true;
  while (!at_end && pushed) {
    Block block;
    block.file = file_index;
    block.buffer = pool.Take(std::max(block_bytes, carry.size() * 2) + kRecordPadding);
    size_t filled = carry.size();
    if (!carry.empty()) std::memcpy(block.buffer.data(), carry.data(), carry.size());
    carry.clear();
    const char* last_newline = nullptr;
    while (true) {
      size_t limit = block.buffer.size() - kRecordPadding;
      while (filled < limit) {
        ssize_t n = read(fd, block.buffer.data() + filled, limit - filled);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          unreadable(fmt::format("read at byte {}: {}", *bytes + filled,
                                 std::strerror(errno)));
          at_end = true;
          break;
        }
        if (n == 0) {
          at_end = true;
          break;
        }
        filled += static_cast<size_t>(n);
      }
      if (at_end) break;
      last_newline = static_cast<const char*>(memrchr(block.buffer.data(), '\n', filled));
      if (last_newline != nullptr) break;
      // One line longer than the block: grow it and read on.
      block.buffer.resize(block.buffer.size() * 2);
    }
    if (at_end) {
      block.size = filled;
    } else {
      block.size = static_cast<size_t>(last_newline - block.buffer.data()) + 1;
      carry.assign(block.buffer.data() + block.size, block.buffer.data() + filled);
    }
    *bytes += block.size;
    block.first_line = next_line;
    next_line += LinesIn(block);
    if (block.size == 0) {
      pool.Give(std::move(block.buffer));
      break;
    }
    pushed = queue.Push(block);
  }
  return pushed;
}

// Reads a compressed chunk through ChunkReader, whole lines at a time, into
// padded blocks. A damaged stream ends the file with bad_compression.
bool ReadCompressedBlocks(uint32_t file_index, const NdjsonInput& input,
                          size_t block_bytes, BufferPool& pool,
                          BoundedQueue<Block>& queue,
                          std::vector<FileProblem>* problems, uint64_t* bytes) {
  Result<std::unique_ptr<ChunkReader>> opened = ChunkReader::Open(input.path);
  if (!opened.ok()) {
    AddFileProblem(file_index,
                   opened.status().code() == StatusCode::kCorruption
                       ? ProblemCode::kBadCompression
                       : ProblemCode::kUnreadable,
                   opened.status().message(), problems);
    return true;
  }
  ChunkReader& reader = **opened;
  std::string lines;
  uint64_t next_line = 1;
  while (true) {
    lines.clear();
    // On an error, *lines still holds the whole lines read before it: they
    // are checked like any others.
    Result<bool> more = reader.ReadBlock(block_bytes, &lines);
    if (!lines.empty()) {
      Block block;
      block.file = file_index;
      block.buffer = pool.Take(lines.size() + kRecordPadding);
      std::memcpy(block.buffer.data(), lines.data(), lines.size());
      block.size = lines.size();
      block.first_line = next_line;
      next_line += LinesIn(block);
      *bytes += block.size;
      if (!queue.Push(block)) return false;
    }
    if (!more.ok()) {
      AddFileProblem(file_index, ProblemCode::kBadCompression,
                     more.status().message() + fmt::format(" (after line {})", next_line - 1),
                     problems);
      return true;
    }
    if (!*more) return true;
  }
}

// Reads `input` into line-aligned blocks and pushes them; read errors
// become problems. False when the queue was closed (a worker failed).
bool ReadBlocks(uint32_t file_index, const NdjsonInput& input, size_t block_bytes,
                BufferPool& pool, BoundedQueue<Block>& queue,
                std::vector<FileProblem>* problems, uint64_t* bytes) {
  if (!input.error.empty()) {
    AddFileProblem(file_index, ProblemCode::kUnreadable, input.error, problems);
    return true;
  }
  // O_NONBLOCK: a path swapped for a FIFO must not hang the audit.
  int fd = open(input.path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    AddFileProblem(file_index, ProblemCode::kUnreadable,
                   std::string("open: ") + std::strerror(errno), problems);
    return true;
  }
  struct stat info;
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    close(fd);
    AddFileProblem(file_index, ProblemCode::kUnreadable, "not a regular file", problems);
    return true;
  }
  // Compressed by name, or by magic number whatever the name (as
  // ChunkReader decides); a plain chunk starts with '{'.
  Compression compression = CompressionOfName(input.path);
  if (compression == Compression::kNone) {
    char head[4] = {};
    ssize_t n = pread(fd, head, sizeof(head), 0);
    if (n > 0) compression = CompressionOfMagic(std::string_view(head, static_cast<size_t>(n)));
  }
  bool pushed;
  if (compression == Compression::kNone) {
    pushed = ReadPlainBlocks(file_index, fd, block_bytes, pool, queue, problems, bytes);
    close(fd);
  } else {
    close(fd);
    pushed = ReadCompressedBlocks(file_index, input, block_bytes, pool, queue, problems,
                                  bytes);
  }
  return pushed;
}

bool ProblemOrder(const FileProblem& a, const FileProblem& b) {
  if (a.file != b.file) return a.file < b.file;
  return a.problem.line < b.problem.line;
}

bool RecordOrder(const KeyedRecord& a, const KeyedRecord& b) {
  if (a.id != b.id) return a.id < b.id;
  if (a.revision != b.revision) return a.revision < b.revision;
  if (a.file != b.file) return a.file < b.file;
  return a.line < b.line;
}

// Marks every record whose key an earlier record has, and reports it.
void FindDuplicateKeys(const std::vector<NdjsonInput>& files,
                       std::vector<KeyedRecord>* records,
                       std::vector<FileProblem>* problems) {
  for (size_t first = 0; first < records->size();) {
    const KeyedRecord& original = (*records)[first];
    size_t next = first + 1;
    for (; next < records->size() && (*records)[next].id == original.id &&
           (*records)[next].revision == original.revision;
         ++next) {
      KeyedRecord& copy = (*records)[next];
      copy.duplicate = true;
      Problem problem;
      problem.code = ProblemCode::kDuplicateKey;
      problem.line = copy.line;
      problem.id = copy.id;
      std::string key = original.revision == 1
                            ? "id " + original.id
                            : fmt::format("id {} revision {}", original.id,
                                          original.revision);
      problem.detail = fmt::format("{} already has a record at {}:{}", key,
                                   files[original.file].source, original.line);
      problems->push_back(FileProblem{copy.file, std::move(problem)});
    }
    first = next;
  }
}

}  // namespace

bool IsNdjsonFileName(std::string_view name) {
  auto ends_with = [&](std::string_view suffix) {
    return name.size() >= suffix.size() &&
           name.substr(name.size() - suffix.size()) == suffix;
  };
  for (std::string_view compressed : {".zst", ".gz"}) {
    if (ends_with(compressed)) {
      name.remove_suffix(compressed.size());
      break;
    }
  }
  return ends_with(".ndjson") || ends_with(".jsonl");
}

void ListNdjsonFiles(const std::string& directory, bool report_unlistable,
                     std::vector<NdjsonInput>* out) {
  std::string prefix = directory;
  if (prefix.empty() || prefix.back() != '/') prefix.push_back('/');
  DIR* dir = opendir(directory.c_str());
  if (dir == nullptr) {
    if (report_unlistable) {
      NdjsonInput input;
      input.source = input.path = directory;
      input.error = std::string("opendir: ") + std::strerror(errno);
      out->push_back(std::move(input));
    }
    return;
  }
  struct Entry {
    std::string sort_key;  // name, plus '/' for a directory
    std::string name;
    bool is_directory;
  };
  std::vector<Entry> entries;
  while (struct dirent* item = readdir(dir)) {
    std::string name = item->d_name;
    if (name == "." || name == "..") continue;
    std::string path = prefix + name;
    struct stat info;
    bool is_directory = false;
    if (item->d_type == DT_DIR) {
      is_directory = true;
    } else if (item->d_type == DT_UNKNOWN && lstat(path.c_str(), &info) == 0) {
      is_directory = S_ISDIR(info.st_mode);
    }
    if (!is_directory && !IsNdjsonFileName(name)) continue;
    entries.push_back(Entry{is_directory ? name + "/" : name, name, is_directory});
  }
  closedir(dir);
  // Byte-wise order of full paths, as FileWalker sorts.
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.sort_key < b.sort_key; });
  for (const Entry& entry : entries) {
    std::string path = prefix + entry.name;
    if (entry.is_directory) {
      ListNdjsonFiles(path, report_unlistable, out);
      continue;
    }
    NdjsonInput input;
    input.source = input.path = path;
    input.kind = RecordKindOfPath(path);
    struct stat info;
    if (stat(path.c_str(), &info) != 0) {
      input.error = std::string("stat: ") + std::strerror(errno);
    } else if (S_ISDIR(info.st_mode)) {
      continue;  // a symlink to a directory is not walked (loops)
    } else if (!S_ISREG(info.st_mode)) {
      input.error = "not a regular file (FIFO, socket or device)";
    }
    out->push_back(std::move(input));
  }
}

Result<NdjsonAudit> AuditNdjsonFiles(const std::vector<NdjsonInput>& files,
                                     const NdjsonAuditOptions& options) {
  const int threads = std::max(1, options.threads);
  BoundedQueue<Block> queue(2 * static_cast<size_t>(threads));
  BufferPool pool;
  std::vector<WorkerResult> results(static_cast<size_t>(threads));
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      WorkerResult& result = results[static_cast<size_t>(t)];
      RecordChecker checker(options.keep_sources);
      CheckedLine checked;
      Block block;
      while (queue.Pop(&block)) {
        if (result.status.ok()) {
          CheckBlock(block, files[block.file], options, checker, checked, &result);
          if (!result.status.ok()) queue.Close();  // stop the reader
        }
        pool.Give(std::move(block.buffer));
      }
    });
  }

  NdjsonAudit audit;
  std::vector<FileProblem> problems;
  for (size_t i = 0; i < files.size(); ++i) {
    ++audit.files;
    if (!ReadBlocks(static_cast<uint32_t>(i), files[i], options.block_bytes, pool, queue,
                  &problems, &audit.bytes)) {
      break;
    }
  }
  queue.Close();
  for (std::thread& worker : workers) worker.join();

  for (WorkerResult& result : results) {
    if (!result.status.ok()) return result.status;
    audit.lines += result.lines;
    std::move(result.problems.begin(), result.problems.end(), std::back_inserter(problems));
    std::move(result.records.begin(), result.records.end(),
              std::back_inserter(audit.records));
  }
  // Problems of one line come from one worker, in the checker's order;
  // the stable sort keeps that order and puts duplicate_key after them.
  std::stable_sort(problems.begin(), problems.end(), ProblemOrder);
  std::sort(audit.records.begin(), audit.records.end(), RecordOrder);
  std::vector<FileProblem> duplicates;
  FindDuplicateKeys(files, &audit.records, &duplicates);
  if (!duplicates.empty()) {
    std::stable_sort(duplicates.begin(), duplicates.end(), ProblemOrder);
    std::vector<FileProblem> merged;
    merged.reserve(problems.size() + duplicates.size());
    std::merge(std::make_move_iterator(problems.begin()),
               std::make_move_iterator(problems.end()),
               std::make_move_iterator(duplicates.begin()),
               std::make_move_iterator(duplicates.end()), std::back_inserter(merged),
               ProblemOrder);
    problems = std::move(merged);
  }
  audit.problems.reserve(problems.size());
  for (FileProblem& found : problems) {
    found.problem.source = files[found.file].source;
    audit.problems.push_back(std::move(found.problem));
  }
  return audit;
}

}  // namespace ingest
