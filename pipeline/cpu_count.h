// UsableCpuCount: how many CPUs this process may run on, the default for
// every --threads. It is the size of the affinity mask, which Slurm and
// container cpusets and taskset narrow (a bare CPU count would not: a task
// given 4 of a node's 64 CPUs would start 64 workers). A CPU quota without
// a cpuset (docker --cpus) does not show in the mask. At least 1.
#ifndef INGEST_PIPELINE_CPU_COUNT_H_
#define INGEST_PIPELINE_CPU_COUNT_H_

namespace ingest {

int UsableCpuCount();

// `requested` when positive (an explicit --threads), else UsableCpuCount().
inline int ThreadsOrUsableCpus(int requested) {
  return requested > 0 ? requested : UsableCpuCount();
}

}  // namespace ingest

#endif  // INGEST_PIPELINE_CPU_COUNT_H_
