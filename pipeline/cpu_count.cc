#include "pipeline/cpu_count.h"

#include <sched.h>

#include <algorithm>
#include <thread>

namespace ingest {

int UsableCpuCount() {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  if (sched_getaffinity(0, sizeof(mask), &mask) == 0) {
    return std::max(1, CPU_COUNT(&mask));
  }
  // More CPUs than a cpu_set_t holds (over 1024), or no affinity support.
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

}  // namespace ingest
