#!/usr/bin/env bash
# Builds the libFuzzer targets with clang, AddressSanitizer and UBSan, and
# runs each for SECONDS (default 60) starting from the repository's seed
# corpus. Exits non-zero on any crash, sanitizer report or broken property.
#   tests/fuzz/run_fuzz.sh [SECONDS] ; build dir: $INGEST_FUZZ_BUILD_DIR or build-fuzz
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
build=${INGEST_FUZZ_BUILD_DIR:-build-fuzz}
if ! command -v clang++ >/dev/null; then
  echo "run_fuzz: clang++ is missing (tools/setup.sh installs clang)" >&2
  exit 1
fi
CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DINGEST_BUILD_FUZZ=ON -DINGEST_BUILD_TESTS=OFF -DINGEST_BUILD_BENCH=OFF \
  -DINGEST_SANITIZE=address,undefined >/dev/null
cmake --build "$build" -j"$(nproc)" --target article_fuzz >/dev/null
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
find seeds -type f -name '*.txt' -size -100k -exec cp -t "$corpus" {} + 2>/dev/null || true
for seed in ../shared/seeds/*.txt; do [[ -f $seed ]] && cp "$seed" "$corpus/"; done
echo "run_fuzz: article_fuzz for ${seconds}s from $(ls "$corpus" | wc -l) seeds" >&2
"$build/tests/fuzz/article_fuzz" -max_total_time="$seconds" -max_len=16384 -timeout=10 \
  -rss_limit_mb=2048 -print_final_stats=1 "$corpus" 2>&1 | tail -25
