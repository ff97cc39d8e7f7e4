#include "tests/testing/process.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "tests/testing/testing.h"

namespace ingest::test {

namespace {

std::string TempFileName(const char* tag) {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") +
                        "/crawl-ingest-" + tag + "-XXXXXX";
  int fd = mkstemp(pattern.data());
  if (fd >= 0) close(fd);
  return pattern;
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv,
                           const ProcessOptions& options)
    : out_path_(TempFileName("out")), err_path_(TempFileName("err")) {
  pid_ = fork();
  if (pid_ != 0) return;
  int out = open(out_path_.c_str(), O_WRONLY | O_TRUNC);
  int err = open(err_path_.c_str(), O_WRONLY | O_TRUNC);
  int in = open("/dev/null", O_RDONLY);
  dup2(in, 0);
  dup2(out, 1);
  dup2(err, 2);
  if (!options.cwd.empty() && chdir(options.cwd.c_str()) != 0) _exit(127);
  for (const auto& [name, value] : options.environment) {
    setenv(name.c_str(), value.c_str(), 1);
  }
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  std::perror("execvp");
  _exit(127);
}

ChildProcess::~ChildProcess() {
  if (!waited_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    Wait();
  }
  std::remove(out_path_.c_str());
  std::remove(err_path_.c_str());
}

ProcessResult ChildProcess::Wait() {
  ProcessResult result;
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  waited_ = true;
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  result.out = ReadFile(out_path_);
  result.err = ReadFile(err_path_);
  return result;
}

ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const ProcessOptions& options) {
  ChildProcess child(argv, options);
  return child.Wait();
}

std::vector<std::string> Binary(std::vector<std::string> args) {
  args.insert(args.begin(), BinaryPath());
  return args;
}

}  // namespace ingest::test
