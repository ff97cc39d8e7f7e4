// Test hooks: named points in the run where a test can make the process
// stop dead or pause, to reproduce a crash or a slow holder for real.
// Driven by CRAWL_INGEST_TEST_HOOK="<point>:kill" (SIGKILL itself) or
// "<point>:sleep=<ms>"; several separated by ','. A point may carry a
// count, "<point>#<n>", to act on its n-th arrival only (1-based). With the
// variable unset, a hook costs one relaxed atomic load. Thread-safe.
#ifndef INGEST_PIPELINE_TEST_HOOKS_H_
#define INGEST_PIPELINE_TEST_HOOKS_H_

#include <string_view>

namespace ingest {

void TestHook(std::string_view point);

}  // namespace ingest

#endif  // INGEST_PIPELINE_TEST_HOOKS_H_
