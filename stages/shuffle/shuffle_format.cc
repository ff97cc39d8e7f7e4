#include "stages/shuffle/shuffle_format.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "stages/common/varint.h"

namespace ingest {

namespace {

constexpr std::string_view kPlanMagic = "CIPLAN01";
constexpr std::string_view kSpillMagic = "CISPILL1";

// Reads varints into each pointer in turn; false on truncation.
template <typename... T>
bool GetVarints(std::string_view* in, T*... values) {
  uint64_t value = 0;
  return ((GetVarint(in, &value) && ((*values = static_cast<T>(value)), true)) && ...);
}

}  // namespace

uint32_t PartitionOf(std::string_view article_key, uint32_t partitions) {
  uint64_t hash = 14695981039346656037ull;
  for (char c : article_key) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  // FNV-1a mixes its low bits well and its high bits poorly; the finaliser
  // spreads every input bit over the top bits that choose the partition.
  hash ^= hash >> 33;
  hash *= 0xff51afd7ed558ccdull;
  hash ^= hash >> 33;
  hash *= 0xc4ceb9fe1a85ec53ull;
  hash ^= hash >> 33;
  return static_cast<uint32_t>((static_cast<unsigned __int128>(hash) * partitions) >> 64);
}

std::string RunPlan::Encode() const {
  std::string out(kPlanMagic);
  PutString(run_id, &out);
  PutString(started_at, &out);
  PutString(out_dir, &out);
  PutVarint(maps, &out);
  PutVarint(partitions, &out);
  PutVarint(emit_revisions ? 1 : 0, &out);
  PutVarint(static_cast<uint64_t>(static_cast<int64_t>(default_offset_minutes) + 100000), &out);
  PutVarint(max_file_size, &out);
  PutVarint(chunk_records, &out);
  PutVarint(skipped, &out);
  PutVarint(unchanged, &out);
  PutVarint(inputs.size(), &out);
  for (const std::string& input : inputs) PutString(input, &out);
  PutVarint(files, &out);
  PutVarint(static_cast<uint64_t>(compression), &out);
  PutVarint(static_cast<uint64_t>(compression_level), &out);
  PutVarint(static_cast<uint64_t>(schema), &out);
  return out;
}

Result<RunPlan> RunPlan::Decode(std::string_view in) {
  auto corrupt = [] { return Status::Corruption("plan: truncated or corrupt run plan"); };
  if (in.substr(0, kPlanMagic.size()) != kPlanMagic) {
    return Status::Corruption("plan: not a run plan (bad magic)");
  }
  in.remove_prefix(kPlanMagic.size());
  RunPlan plan;
  uint64_t revisions = 0, offset = 0, inputs = 0;
  if (!GetString(&in, &plan.run_id) || !GetString(&in, &plan.started_at) ||
      !GetString(&in, &plan.out_dir) ||
      !GetVarints(&in, &plan.maps, &plan.partitions, &revisions, &offset,
                  &plan.max_file_size, &plan.chunk_records, &plan.skipped,
                  &plan.unchanged, &inputs) ||
      inputs > in.size()) {
    return corrupt();
  }
  plan.emit_revisions = revisions != 0;
  plan.default_offset_minutes = static_cast<int>(static_cast<int64_t>(offset) - 100000);
  plan.inputs.resize(inputs);
  for (std::string& input : plan.inputs) {
    if (!GetString(&in, &input)) return corrupt();
  }
  if (!GetVarint(&in, &plan.files)) return corrupt();
  if (!in.empty()) {
    uint64_t compression = 0, level = 0, schema = 0;
    if (!GetVarints(&in, &compression, &level, &schema) ||
        compression > static_cast<uint64_t>(Compression::kGzip) ||
        schema > static_cast<uint64_t>(RecordSchema::kDolma) || level > 100) {
      return corrupt();
    }
    plan.compression = static_cast<Compression>(compression);
    plan.compression_level = static_cast<int>(level);
    plan.schema = static_cast<RecordSchema>(schema);
  }
  if (!in.empty() || plan.maps == 0 || plan.partitions == 0) return corrupt();
  return plan;
}

void RunPlan::MapShare(uint32_t task, uint64_t* begin, uint64_t* end) const {
  auto n = static_cast<unsigned __int128>(files);
  *begin = static_cast<uint64_t>(n * task / maps);
  *end = static_cast<uint64_t>(n * (task + 1) / maps);
}

std::string WorkLayout::run_dir(std::string_view run) const {
  return fmt::format("{}/runs/{}", work_, run);
}
std::string WorkLayout::plan_file(std::string_view run) const {
  return run_dir(run) + "/plan.bin";
}
std::string WorkLayout::plan_json(std::string_view run) const {
  return run_dir(run) + "/plan.json";
}
std::string WorkLayout::manifest_file(std::string_view run) const {
  return run_dir(run) + "/manifest.bin";
}
std::string WorkLayout::manifest_index(std::string_view run) const {
  return run_dir(run) + "/manifest.idx";
}
std::string WorkLayout::spill_file(std::string_view run, uint32_t task) const {
  return fmt::format("{}/map-{:05d}.spill", run_dir(run), task);
}
std::string WorkLayout::map_summary(std::string_view run, uint32_t task) const {
  return fmt::format("{}/map-{:05d}.json", run_dir(run), task);
}
std::string WorkLayout::map_marker(std::string_view run, uint32_t task) const {
  return fmt::format("{}/map-{:05d}.done", run_dir(run), task);
}
std::string WorkLayout::reduce_summary(std::string_view run, uint32_t partition) const {
  return fmt::format("{}/reduce-{:05d}.json", run_dir(run), partition);
}
std::string WorkLayout::reduce_marker(std::string_view run, uint32_t partition) const {
  return fmt::format("{}/reduce-{:05d}.done", run_dir(run), partition);
}
std::string WorkLayout::finished_marker(std::string_view run) const {
  return run_dir(run) + "/FINISHED";
}
std::string WorkLayout::partition_state(uint32_t partition) const {
  return fmt::format("{}/partitions/{:05d}", work_, partition);
}

ManifestWriter::ManifestWriter(std::string manifest_path, std::string index_path)
    : paths_{std::move(manifest_path), std::move(index_path)} {
  for (int i = 0; i < 2; ++i) temps_[i] = paths_[i] + ".tmp";
}

ManifestWriter::~ManifestWriter() {
  for (int i = 0; i < 2; ++i) {
    if (fds_[i] >= 0) close(fds_[i]);
    if (!finished_) unlink(temps_[i].c_str());
  }
}

Status ManifestWriter::Add(const ManifestEntry& entry) {
  std::string& record = buffers_[0];
  size_t start = record.size();
  std::string body;
  PutString(entry.source, &body);
  PutString(entry.path, &body);
  PutVarint(entry.stamp.size, &body);
  PutVarint(static_cast<uint64_t>(entry.stamp.mtime_ns), &body);
  PutVarint(static_cast<uint64_t>(entry.reason), &body);
  PutString(entry.detail, &body);
  PutString(body, &record);
  char offset_bytes[8];
  std::memcpy(offset_bytes, &offset_, 8);
  buffers_[1].append(offset_bytes, 8);
  offset_ += record.size() - start;
  ++count_;
  if (record.size() >= (1u << 20)) return Flush();
  return Status::OK();
}

Status ManifestWriter::Flush() {
  for (int i = 0; i < 2; ++i) {
    if (fds_[i] < 0) {
      fds_[i] = open(temps_[i].c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fds_[i] < 0) return Status::FromErrno("plan: create", temps_[i], errno);
    }
    std::string_view bytes = buffers_[i];
    while (!bytes.empty()) {
      ssize_t n = write(fds_[i], bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Status::FromErrno("plan: write", temps_[i], errno);
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    buffers_[i].clear();
  }
  return Status::OK();
}

Status ManifestWriter::Finish() {
  INGEST_RETURN_IF_ERROR(Flush());
  for (int i = 0; i < 2; ++i) {
    if (fsync(fds_[i]) != 0) return Status::FromErrno("plan: fsync", temps_[i], errno);
    close(fds_[i]);
    fds_[i] = -1;
    if (std::rename(temps_[i].c_str(), paths_[i].c_str()) != 0) {
      return Status::FromErrno("plan: rename", temps_[i], errno);
    }
  }
  finished_ = true;
  return Status::OK();
}

Result<std::unique_ptr<ManifestReader>> ManifestReader::Open(const std::string& manifest_path,
                                                             const std::string& index_path,
                                                             uint64_t begin) {
  std::unique_ptr<ManifestReader> reader(new ManifestReader());
  reader->path_ = manifest_path;
  uint64_t offset = 0;
  int fd = open(index_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno("map: open manifest index", index_path, errno);
  char offset_bytes[8];
  ssize_t got = pread(fd, offset_bytes, 8, static_cast<off_t>(begin * 8));
  close(fd);
  if (got == 8) {
    std::memcpy(&offset, offset_bytes, 8);
  } else if (got == 0) {
    offset = ~0ull;  // begin is the end: nothing to read
  } else {
    return Status::Corruption("map: truncated manifest index: " + index_path);
  }
  reader->file_ = std::fopen(manifest_path.c_str(), "rbe");
  if (reader->file_ == nullptr) return Status::FromErrno("map: open manifest", manifest_path, errno);
  if (offset == ~0ull) {
    std::fseek(reader->file_, 0, SEEK_END);
  } else if (std::fseek(reader->file_, static_cast<long>(offset), SEEK_SET) != 0) {
    return Status::FromErrno("map: seek manifest", manifest_path, errno);
  }
  return reader;
}

ManifestReader::~ManifestReader() {
  if (file_ != nullptr) std::fclose(file_);
}

Result<bool> ManifestReader::Next(ManifestEntry* entry) {
  uint64_t size = 0;
  int shift = 0;
  for (;; shift += 7) {
    int c = std::getc(file_);
    if (c == EOF) {
      if (shift == 0 && !std::ferror(file_)) return false;
      return Status::Corruption("map: truncated manifest: " + path_);
    }
    size |= static_cast<uint64_t>(c & 0x7F) << shift;
    if ((c & 0x80) == 0) break;
    if (shift > 56) return Status::Corruption("map: corrupt manifest: " + path_);
  }
  record_.resize(size);
  if (size > 0 && std::fread(record_.data(), 1, size, file_) != size) {
    return Status::Corruption("map: truncated manifest: " + path_);
  }
  std::string_view in(record_);
  uint64_t mtime = 0, reason = 0;
  if (!GetString(&in, &entry->source) || !GetString(&in, &entry->path) ||
      !GetVarints(&in, &entry->stamp.size, &mtime, &reason) ||
      reason >= kQuarantineReasonCount || !GetString(&in, &entry->detail) || !in.empty()) {
    return Status::Corruption("map: corrupt manifest entry: " + path_);
  }
  entry->stamp.mtime_ns = static_cast<int64_t>(mtime);
  entry->reason = static_cast<QuarantineReason>(reason);
  return true;
}

std::string MapOutputName(std::string_view run, uint32_t task) {
  return fmt::format("{}-m{:05d}", run, task);
}
std::string ReduceRunName(std::string_view run, uint32_t partition) {
  return fmt::format("{}-p{:05d}", run, partition);
}

void AppendSpillRecord(const Article& article, uint64_t file_index,
                       uint64_t record_index, std::string* out) {
  PutVarint(file_index, out);
  PutVarint(record_index, out);
  PutVarint(article.bytes_read, out);
  PutString(article.source, out);
  PutString(article.id, out);
  PutString(article.oid, out);
  PutString(article.aid, out);
  PutString(article.content_hash, out);
  PutString(article.record, out);
  PutVarint(article.record_revision_at, out);
}

Status ReadSpillRecord(std::string_view* in, SpillRecord* record) {
  if (!GetVarints(in, &record->file_index, &record->record_index, &record->bytes_read) ||
      !GetString(in, &record->source) || !GetString(in, &record->id) ||
      !GetString(in, &record->oid) || !GetString(in, &record->aid) ||
      !GetString(in, &record->content_hash) || !GetString(in, &record->record) ||
      !GetVarints(in, &record->record_revision_at)) {
    return Status::Corruption("reduce: truncated spill record");
  }
  return Status::OK();
}

void SpillRecordToArticle(SpillRecord&& record, Article* article) {
  article->file_index = record.file_index;
  article->record_index = record.record_index;
  article->bytes_read = record.bytes_read;
  article->source = std::move(record.source);
  article->id = std::move(record.id);
  article->oid = std::move(record.oid);
  article->aid = std::move(record.aid);
  article->content_hash = std::move(record.content_hash);
  article->record = std::move(record.record);
  article->record_revision_at = static_cast<size_t>(record.record_revision_at);
}

std::string SpillIndex::EncodeFooter() const {
  std::string index;
  PutVarint(partitions.size(), &index);
  for (size_t p = 0; p < partitions.size(); ++p) {
    PutVarint(records[p], &index);
    PutVarint(partitions[p].size(), &index);
    for (const Extent& extent : partitions[p]) {
      PutVarint(extent.offset, &index);
      PutVarint(extent.size, &index);
    }
  }
  uint64_t size = index.size();
  char size_bytes[8];
  std::memcpy(size_bytes, &size, 8);
  index.append(size_bytes, 8);
  index.append(kSpillMagic);
  return index;
}

Result<SpillIndex> SpillIndex::Load(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno("reduce: open spill", path, errno);
  auto close_fd = [fd] { close(fd); };
  off_t end = lseek(fd, 0, SEEK_END);
  constexpr size_t kTail = 8 + kSpillMagic.size();
  char tail[kTail];
  if (end < static_cast<off_t>(kTail) ||
      pread(fd, tail, kTail, end - static_cast<off_t>(kTail)) != static_cast<ssize_t>(kTail) ||
      std::string_view(tail + 8, kSpillMagic.size()) != kSpillMagic) {
    close_fd();
    return Status::Corruption("reduce: not a complete spill file: " + path);
  }
  uint64_t size = 0;
  std::memcpy(&size, tail, 8);
  if (size > static_cast<uint64_t>(end) - kTail) {
    close_fd();
    return Status::Corruption("reduce: bad spill index size: " + path);
  }
  std::string index(size, '\0');
  off_t at = end - static_cast<off_t>(kTail) - static_cast<off_t>(size);
  ssize_t got = pread(fd, index.data(), size, at);
  close_fd();
  if (got != static_cast<ssize_t>(size)) {
    return Status::Corruption("reduce: cannot read spill index: " + path);
  }
  std::string_view in(index);
  SpillIndex result;
  uint64_t partitions = 0;
  if (!GetVarint(&in, &partitions) || partitions > in.size()) {
    return Status::Corruption("reduce: corrupt spill index: " + path);
  }
  result.partitions.resize(partitions);
  result.records.resize(partitions);
  for (size_t p = 0; p < partitions; ++p) {
    uint64_t extents = 0;
    if (!GetVarints(&in, &result.records[p], &extents) || extents > in.size()) {
      return Status::Corruption("reduce: corrupt spill index: " + path);
    }
    result.partitions[p].resize(extents);
    for (Extent& extent : result.partitions[p]) {
      if (!GetVarints(&in, &extent.offset, &extent.size) ||
          extent.offset + extent.size > static_cast<uint64_t>(at)) {
        return Status::Corruption("reduce: corrupt spill index: " + path);
      }
    }
  }
  return result;
}

}  // namespace ingest
