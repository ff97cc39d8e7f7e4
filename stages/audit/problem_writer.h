// ProblemWriter: where an audit's problem records go: stdout as they come,
// or a report file that appears under its name only once complete (temp
// file, fsync, rename), so a reader never sees half a report. Counts the
// problems by code for the summary.
//
// Used by one thread at a time (the audit's serial end, then the command).
#ifndef INGEST_STAGES_AUDIT_PROBLEM_WRITER_H_
#define INGEST_STAGES_AUDIT_PROBLEM_WRITER_H_

#include <string>

#include "pipeline/status.h"
#include "stages/audit/problem.h"
#include "stages/emit/chunk_file.h"

namespace ingest {

class ProblemWriter {
 public:
  // Records to standard output, written in large pieces.
  static ProblemWriter ToStdout();
  // Records to `path`, published by Finish() (an empty file when clean).
  static ProblemWriter ToFile(std::string path);

  Status Add(const Problem& problem);
  // Writes what is buffered; a report file is made durable and renamed
  // into place. Call once, last.
  Status Finish();

  const ProblemCounts& counts() const { return counts_; }

 private:
  ProblemWriter(ChunkFile file, bool to_file)
      : file_(std::move(file)), to_file_(to_file) {}
  ChunkFile file_;
  bool to_file_;
  ProblemCounts counts_;
};

}  // namespace ingest

#endif  // INGEST_STAGES_AUDIT_PROBLEM_WRITER_H_
