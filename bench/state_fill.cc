// ingest_state_fill: puts N synthetic dedup keys into a state directory
// fast (sorted SST files ingested by StateDb::BulkLoad), to measure how
// run throughput holds up against a big state (bench/run_bench.py
// --big-state). Keys use oids 900-999, which the corpus generator never
// uses, so every corpus article stays new.
//
//   ingest_state_fill --state DIR --keys 10000000
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

#include "stages/dedup/dedup_entry.h"
#include "stages/dedup/state_db.h"

int main(int argc, char** argv) {
  std::string state_dir;
  uint64_t keys = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--state") == 0) state_dir = argv[i + 1];
    else if (std::strcmp(argv[i], "--keys") == 0) keys = std::strtoull(argv[i + 1], nullptr, 10);
  }
  if (state_dir.empty() || keys == 0) {
    std::fprintf(stderr, "usage: ingest_state_fill --state DIR --keys N\n");
    return 2;
  }
  auto started = std::chrono::steady_clock::now();
  auto opened = ingest::StateDb::Open(state_dir, {});
  if (!opened.ok()) {
    std::fprintf(stderr, "%s\n", opened.status().ToString().c_str());
    return opened.status().code() == ingest::StatusCode::kBusy ? 75 : 1;
  }
  std::unique_ptr<ingest::StateDb> state = std::move(opened).value();
  // Keys ascend: oid 900…999 outer, aid ascending inner, fixed widths.
  const uint64_t per_oid = (keys + 99) / 100;
  uint64_t produced = 0;
  std::mt19937_64 random(42);
  ingest::DedupEntry entry;
  entry.versions.resize(1);
  entry.versions[0].run_id = "synthetic";
  char buffer[64];
  ingest::Status status = state->BulkLoad(
      [&](std::string* key, std::string* value) -> ingest::Result<bool> {
        if (produced == keys) return false;
        uint64_t oid = 900 + produced / per_oid;
        uint64_t aid = produced % per_oid;
        std::snprintf(buffer, sizeof(buffer), "%03llu_%010llu",
                      static_cast<unsigned long long>(oid),
                      static_cast<unsigned long long>(aid));
        *key = ingest::DedupStateKey(buffer);
        for (size_t i = 0; i < entry.versions[0].hash.size(); i += 8) {
          uint64_t bits = random();
          std::memcpy(entry.versions[0].hash.data() + i, &bits, 8);
        }
        entry.versions[0].source = std::string("synthetic/") + buffer + ".txt";
        *value = entry.Encode();
        ++produced;
        return true;
      });
  if (!status.ok()) {
    std::fprintf(stderr, "%s\n", status.ToString().c_str());
    return 1;
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("loaded %llu keys into %s in %.2f s\n",
              static_cast<unsigned long long>(produced), state_dir.c_str(), seconds);
  return 0;
}
