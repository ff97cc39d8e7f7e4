#!/usr/bin/env bash
# Builds a libFuzzer target with clang, AddressSanitizer and UBSan, and
# runs it for SECONDS (default 60): article_fuzz (the default) from the
# repository's seed articles, gzip_archive_fuzz from an empty corpus (it
# builds its archives from the input). Exits non-zero on any crash,
# sanitizer report or broken property.
#   tests/fuzz/run_fuzz.sh [SECONDS] [TARGET] ; build dir: $INGEST_FUZZ_BUILD_DIR or build-fuzz
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
target=${2:-article_fuzz}
build=${INGEST_FUZZ_BUILD_DIR:-build-fuzz}
if ! command -v clang++ >/dev/null; then
  echo "run_fuzz: clang++ is missing (tools/setup.sh installs clang)" >&2
  exit 1
fi
CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DINGEST_BUILD_FUZZ=ON -DINGEST_BUILD_TESTS=OFF -DINGEST_BUILD_BENCH=OFF \
  -DINGEST_SANITIZE=address,undefined >/dev/null
cmake --build "$build" -j"$(nproc)" --target "$target" >/dev/null
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
if [[ $target == article_fuzz ]]; then
  find seeds -type f -name '*.txt' -size -100k -exec cp -t "$corpus" {} + 2>/dev/null || true
  for seed in ../shared/seeds/*.txt; do [[ -f $seed ]] && cp "$seed" "$corpus/"; done
fi
echo "run_fuzz: $target for ${seconds}s from $(ls "$corpus" | wc -l) seeds" >&2
"$build/tests/fuzz/$target" -max_total_time="$seconds" -max_len=16384 -timeout=10 \
  -rss_limit_mb=2048 -print_final_stats=1 "$corpus" 2>&1 | tail -25
