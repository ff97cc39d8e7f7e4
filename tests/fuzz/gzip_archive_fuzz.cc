// libFuzzer target: gzip-compressed tar archives through ArchiveReader (the
// igzip inflater where ISA-L is built in, libarchive's zlib otherwise).
// From the input it builds a tar of up to three members, gzips it with zlib
// as one to four concatenated gzip members cut at input-chosen places, and
// may then cut the file short or flip one byte; or it takes the input as
// the bytes after a gzip magic number. Properties beyond "no crash, no
// sanitizer report": an undamaged archive reads back exactly, without an
// error; a cut one yields only members equal to those written, in order.
//
// Built with clang (-DINGEST_BUILD_FUZZ=ON); run by tests/fuzz/run_fuzz.sh.
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "stages/read/archive_reader.h"

namespace {

void Check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "fuzz property violated: %s\n", what);
    std::abort();
  }
}

struct Member {
  std::string name;
  std::string data;
};

// A ustar header and the data padded to 512 bytes.
void AppendTarMember(const Member& member, std::string* tar) {
  char header[512] = {};
  std::snprintf(header, 100, "%s", member.name.c_str());
  std::snprintf(header + 100, 8, "%07o", 0644);
  std::snprintf(header + 108, 8, "%07o", 0);
  std::snprintf(header + 116, 8, "%07o", 0);
  std::snprintf(header + 124, 12, "%011o", static_cast<unsigned>(member.data.size()));
  std::snprintf(header + 136, 12, "%011o", 1700000000u);
  header[156] = '0';
  std::memcpy(header + 257, "ustar", 6);
  std::memcpy(header + 263, "00", 2);
  std::memset(header + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : header) sum += c;
  std::snprintf(header + 148, 8, "%06o", sum);
  tar->append(header, sizeof(header));
  tar->append(member.data);
  tar->append((512 - member.data.size() % 512) % 512, '\0');
}

std::string Gzip(const std::string& data, int level) {
  z_stream stream{};
  Check(deflateInit2(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK,
        "deflateInit2");
  std::string out(deflateBound(&stream, data.size()) + 64, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  Check(deflate(&stream, Z_FINISH) == Z_STREAM_END, "deflate");
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

std::string TempArchive(const std::string& bytes) {
  static const std::string path = [] {
    char name[] = "/tmp/gzip_archive_fuzz.XXXXXX";
    int fd = mkstemp(name);
    Check(fd >= 0, "mkstemp");
    close(fd);
    unlink(name);  // only its unique name is wanted, with the archive suffix
    return std::string(name) + ".tar.gz";
  }();
  static const bool removed_at_exit = [] {
    return std::atexit([] { unlink(path.c_str()); }) == 0;
  }();
  (void)removed_at_exit;
  FILE* file = std::fopen(path.c_str(), "wb");
  Check(file != nullptr, "fopen");
  Check(std::fwrite(bytes.data(), 1, bytes.size(), file) == bytes.size(), "fwrite");
  std::fclose(file);
  return path;
}

// The members read until the end or the first error; `failed` says which.
std::vector<Member> ReadBack(const std::string& path, bool* failed) {
  std::vector<Member> members;
  *failed = true;
  auto reader = ingest::ArchiveReader::Open(path);
  if (!reader.ok()) return members;
  ingest::ArchiveMember header;
  while (true) {
    auto more = (*reader)->NextMember(&header);
    if (!more.ok()) return members;
    if (!*more) break;
    Member member{header.name, {}};
    if (!(*reader)->ReadData(1 << 30, &member.data).ok()) return members;
    members.push_back(std::move(member));
  }
  *failed = false;
  return members;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  const uint8_t flags = data[0];
  const size_t where = static_cast<size_t>(data[1]) << 8 | data[2];
  const std::string payload(reinterpret_cast<const char*>(data) + 3, size - 3);

  if (flags & 0x80) {
    // Arbitrary bytes behind a gzip magic number: only "no crash".
    bool failed;
    ReadBack(TempArchive(std::string("\x1f\x8b\x08", 3) + payload), &failed);
    return 0;
  }

  std::vector<Member> written;
  const size_t parts = 1 + (flags >> 4) % 3;
  for (size_t i = 0; i < parts; ++i) {
    const size_t begin = payload.size() * i / parts;
    const size_t end = payload.size() * (i + 1) / parts;
    written.push_back({"m" + std::to_string(i) + ".txt", payload.substr(begin, end - begin)});
  }
  std::string tar;
  for (const Member& member : written) AppendTarMember(member, &tar);
  tar.append(1024, '\0');

  // One to four gzip members, cut anywhere (headers and data alike, empty
  // members included), in order: concatenated, they inflate to the tar.
  std::vector<size_t> cuts = {0, tar.size()};
  for (size_t i = 1; i <= (flags & 3); ++i) cuts.push_back((where * 7919 * i) % (tar.size() + 1));
  std::sort(cuts.begin(), cuts.end());
  std::string archive;
  for (size_t i = 0; i + 1 < cuts.size(); ++i) {
    archive += Gzip(tar.substr(cuts[i], cuts[i + 1] - cuts[i]), (flags >> 2) & 1 ? 1 : 6);
  }

  const uint8_t damage = (flags >> 3) & 1 ? data[size - 1] % 3 : 0;
  if (damage == 1) {
    archive.resize(where % (archive.size() + 1));
  } else if (damage == 2 && !archive.empty()) {
    archive[where % archive.size()] ^= static_cast<char>(1 + data[size - 1] / 3 % 255);
  }

  bool failed;
  std::vector<Member> read = ReadBack(TempArchive(archive), &failed);
  if (damage == 0) {
    Check(!failed, "an undamaged archive fails");
    Check(read.size() == written.size(), "an undamaged archive has other members");
    for (size_t i = 0; i < read.size(); ++i) {
      Check(read[i].name == written[i].name && read[i].data == written[i].data,
            "an undamaged archive reads back other bytes");
    }
  } else if (damage == 1) {
    Check(read.size() <= written.size(), "a cut archive has more members");
    for (size_t i = 0; i < read.size(); ++i) {
      Check(read[i].name == written[i].name && read[i].data == written[i].data,
            "a cut archive reads back other bytes");
    }
  }
  return 0;
}
