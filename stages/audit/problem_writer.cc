#include "stages/audit/problem_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace ingest {

ProblemWriter ProblemWriter::ToStdout() {
  return ProblemWriter(ChunkFile::ForDescriptor(STDOUT_FILENO, "stdout"),
                       /*to_file=*/false);
}

ProblemWriter ProblemWriter::ToFile(std::string path) {
  return ProblemWriter(ChunkFile(std::move(path)), /*to_file=*/true);
}

Status ProblemWriter::Add(const Problem& problem) {
  counts_.Add(problem.code);
  AppendProblemRecord(problem, file_.buffer());
  return file_.MaybeFlush();
}

Status ProblemWriter::Finish() {
  if (to_file_ && file_.empty()) {
    // ChunkFile publishes nothing for no bytes (nor does
    // WriteFileAtomically), but a clean audit still leaves its report; an
    // empty file cannot be seen half written.
    const std::string& path = file_.final_path();
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return Status::FromErrno("audit: create", path, errno);
    int result = fsync(fd);
    int error = errno;
    close(fd);
    if (result != 0) return Status::FromErrno("audit: fsync", path, error);
    return Status::OK();
  }
  INGEST_RETURN_IF_ERROR(file_.Seal());
  return file_.Publish();
}

}  // namespace ingest
