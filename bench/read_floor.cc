// ingest_read_floor [--hash] [--threads N] DIR: the in-process floor under (c). Lists DIR
// (recursively, regular files), then reads every file with one open/read/close on N threads
// (default 2), in batches of 64; with --hash it also hashes each file with the project's
// Sha256Batch. Prints "files bytes" to stdout; exits non-zero on any error.
//
// Why it exists: (a) and (b) time `find | xargs` pipelines whose own process and allocator
// costs dominate on these VMs, so they do not say how much of (c) is reading the files at all.
// This line does only that (and, with --hash, the digest (c) must compute too): c/r is what
// the rest of the job costs on top of the reading.

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "stages/verify/sha256.h"

namespace {

constexpr size_t kBatch = 64;
constexpr size_t kBufferBytes = 1 << 20;  // the corpus's files are ~7 KB

struct Shared {
  const std::vector<std::string>* paths;
  bool hash;
  std::atomic<size_t> next{0};
  std::atomic<size_t> bytes{0};
  std::atomic<bool> failed{false};
};

void Fail(Shared& shared, const std::string& what, const std::string& path,
          int error) {
  std::fprintf(stderr, "ingest_read_floor: %s %s: %s\n", what.c_str(), path.c_str(),
               std::strerror(error));
  shared.failed = true;
}

void Work(Shared& shared) {
  const std::vector<std::string>& paths = *shared.paths;
  // Not zero-filled: only the pages a read writes into are ever touched.
  std::vector<std::unique_ptr<char[]>> buffers;
  for (size_t i = 0; i < kBatch; ++i) {
    buffers.push_back(std::make_unique_for_overwrite<char[]>(kBufferBytes));
  }
  std::vector<size_t> sizes(kBatch);
  std::vector<ingest::Sha256::Digest> digests(kBatch);
  ingest::Sha256Batch hasher;
  size_t bytes = 0;
  for (;;) {
    const size_t begin = shared.next.fetch_add(kBatch);
    if (begin >= paths.size() || shared.failed) break;
    const size_t count = std::min(kBatch, paths.size() - begin);
    for (size_t i = 0; i < count; ++i) {
      const std::string& path = paths[begin + i];
      const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return Fail(shared, "open", path, errno);
      const ssize_t got = read(fd, buffers[i].get(), kBufferBytes);
      const int read_error = errno;
      close(fd);
      if (got < 0) return Fail(shared, "read", path, read_error);
      if (static_cast<size_t>(got) == kBufferBytes) {
        return Fail(shared, "read", path, EFBIG);
      }
      sizes[i] = static_cast<size_t>(got);
      bytes += sizes[i];
    }
    if (!shared.hash) continue;
    for (size_t i = 0; i < count; ++i) {
      hasher.Add(std::string_view(buffers[i].get(), sizes[i]), &digests[i]);
    }
    if (!hasher.Finish().ok()) {
      std::fprintf(stderr, "ingest_read_floor: SHA-256 failed\n");
      shared.failed = true;
      return;
    }
  }
  shared.bytes += bytes;
}

}  // namespace

int main(int argc, char** argv) {
  bool hash = false;
  int threads = 2;
  const char* directory = nullptr;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--hash") {
      hash = true;
    } else if (arg == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (directory == nullptr && !arg.starts_with("-")) {
      directory = argv[i];
    } else {
      directory = nullptr;
      break;
    }
  }
  if (directory == nullptr || threads < 1) {
    std::fprintf(stderr, "usage: ingest_read_floor [--hash] [--threads N] DIR\n");
    return 2;
  }
  std::vector<std::string> paths;
  std::error_code error;
  for (std::filesystem::recursive_directory_iterator it(directory, error), end;
       !error && it != end; it.increment(error)) {
    if (it->is_regular_file(error)) paths.push_back(it->path().string());
  }
  if (error) {
    std::fprintf(stderr, "ingest_read_floor: listing %s: %s\n", directory,
                 error.message().c_str());
    return 1;
  }
  Shared shared;
  shared.paths = &paths;
  shared.hash = hash;
  std::vector<std::thread> workers;
  for (int i = 0; i < threads; ++i) workers.emplace_back(Work, std::ref(shared));
  for (std::thread& worker : workers) worker.join();
  if (shared.failed) return 1;
  std::printf("%zu %zu\n", paths.size(), shared.bytes.load());
  return 0;
}
