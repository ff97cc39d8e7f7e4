// Runs a real child process (the built binary, python3) for end-to-end
// tests: argv, environment additions, working directory; captures its
// stdout and stderr through files. Not thread-safe.
#ifndef INGEST_TESTS_TESTING_PROCESS_H_
#define INGEST_TESTS_TESTING_PROCESS_H_

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace ingest::test {

struct ProcessResult {
  int exit_code = -1;     // -1 when killed by a signal
  int signal = 0;         // the signal that ended it, or 0
  std::string out;
  std::string err;
};

struct ProcessOptions {
  std::string cwd;                                 // empty: inherit
  std::map<std::string, std::string> environment;  // added to ours
};

// Starts argv[0] (searched in PATH) and waits for it.
ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const ProcessOptions& options = {});

// Starts it without waiting; Wait() collects it.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv,
               const ProcessOptions& options = {});
  ~ChildProcess();
  pid_t pid() const { return pid_; }
  ProcessResult Wait();

 private:
  pid_t pid_ = -1;
  std::string out_path_, err_path_;
  bool waited_ = false;
};

// The built crawl-ingest followed by `args`.
std::vector<std::string> Binary(std::vector<std::string> args);

}  // namespace ingest::test

#endif  // INGEST_TESTS_TESTING_PROCESS_H_
