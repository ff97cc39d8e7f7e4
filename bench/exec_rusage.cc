// ingest_bench_exec RESULT_FILE PROGRAM [ARG...]: runs PROGRAM, waits for it, and writes
// "wall_s user_s sys_s maxrss_kib" of it and its waited-for descendants to RESULT_FILE; exits
// with PROGRAM's exit status (128 + signal if it was killed).
//
// Why it exists: Linux carries a process's pre-exec peak RSS into its ru_maxrss, so a command
// forked straight from run_bench.py reports at least the Python process's own peak (37 MiB
// in a 100,000-file run) even when it is cat at 2 MiB. Forked from this small process, the
// floor is this process's peak, about 1 MiB.

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace {

double Seconds(const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; }

double Monotonic() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<double>(now.tv_sec) + now.tv_nsec / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: ingest_bench_exec RESULT_FILE PROGRAM [ARG...]\n");
    return 2;
  }
  const char* result_path = argv[1];
  const double start = Monotonic();
  const pid_t child = fork();
  if (child < 0) {
    std::fprintf(stderr, "ingest_bench_exec: fork: %s\n", std::strerror(errno));
    return 2;
  }
  if (child == 0) {
    execvp(argv[2], argv + 2);
    std::fprintf(stderr, "ingest_bench_exec: cannot run %s: %s\n", argv[2], std::strerror(errno));
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  while (wait4(child, &status, 0, &usage) < 0) {
    if (errno != EINTR) {
      std::fprintf(stderr, "ingest_bench_exec: wait4: %s\n", std::strerror(errno));
      return 2;
    }
  }
  const double wall = Monotonic() - start;
  std::FILE* result = std::fopen(result_path, "w");
  if (result == nullptr ||
      std::fprintf(result, "%.6f %.6f %.6f %ld\n", wall, Seconds(usage.ru_utime),
                   Seconds(usage.ru_stime), usage.ru_maxrss) < 0 ||
      std::fclose(result) != 0) {
    std::fprintf(stderr, "ingest_bench_exec: cannot write %s: %s\n", result_path,
                 std::strerror(errno));
    return 2;
  }
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}
