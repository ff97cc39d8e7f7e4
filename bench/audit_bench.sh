#!/usr/bin/env bash
# Throughput of `crawl-ingest audit` against sha256sum over the same bytes
# (issue 5): the NDJSON audit of a run's OUT/articles, and the audit of the
# article files themselves (also against `run` over them). Every figure is
# the median of --runs timings with a warm page cache; ratios are
# throughput ratios (time of the reference / time of the audit), so > 1
# means the audit is faster.
#
#   bench/audit_bench.sh [--binary build/crawl-ingest] [--valid 60000]
#                        [--size BYTES] [--runs 5] [--threads N] [--work DIR] [--keep]
#
# Targets: NDJSON audit >= 0.8 x sha256sum; article audit >= 1 x run.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
binary="$repo/build/crawl-ingest"
valid=60000
size=""
runs=5
threads=""
work=""
keep=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --binary) binary="$2"; shift 2 ;;
    --valid) valid="$2"; shift 2 ;;
    --size) size="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "audit_bench: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ -x "$binary" ]] || { echo "audit_bench: no binary at $binary (build first, or --binary)" >&2; exit 2; }
if [[ -z "$work" ]]; then
  work="$(mktemp -d "${TMPDIR:-/tmp}/audit-bench-XXXXXX")"
  [[ $keep -eq 1 ]] || trap 'rm -rf "$work"' EXIT
fi
thread_flag=()
[[ -n "$threads" ]] && thread_flag=(--threads "$threads")

# Seconds (3 decimals) of one run of "$@", output discarded.
time_once() {
  local start end
  start=$(date +%s%N)
  "$@" > /dev/null 2>&1 || true
  end=$(date +%s%N)
  echo "scale=3; ($end - $start) / 1000000000" | bc
}

# Median of $runs timings of "$@" (a setup command may run before each: $setup).
median() {
  local times=() i
  for ((i = 0; i < runs; i++)); do
    [[ -n "${setup:-}" ]] && eval "$setup"
    times+=("$(time_once "$@")")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{ t[NR] = $1 } END { print t[int((NR + 1) / 2)] }'
}

ratio() { echo "scale=2; $1 / $2" | bc; }
mbps() { echo "scale=0; $1 / 1000000 / $2" | bc; }

if [[ ! -d "$work/dump" ]]; then
  echo "generating $valid articles in $work/dump ..." >&2
  gen=(python3 "$repo/tools/gen_corpus.py" --out "$work/dump" --valid "$valid" --no-manifest)
  [[ -n "$size" ]] && gen+=(--size "$size")
  "${gen[@]}" > /dev/null
fi
if [[ ! -d "$work/out/articles" ]]; then
  echo "running crawl-ingest run to make the NDJSON ..." >&2
  "$binary" run -q --state "$work/state" --out "$work/out" "$work/dump"
fi

mapfile -t ndjson < <(find "$work/out/articles" -name '*.ndjson' | sort)
find "$work/dump" -name '*.txt' -print0 | sort -z > "$work/articles.list"
ndjson_bytes=$(cat "${ndjson[@]}" | wc -c)
article_bytes=$(xargs -0 cat < "$work/articles.list" | wc -c)
article_files=$(tr -cd '\0' < "$work/articles.list" | wc -c)

# Every check must pass before it is timed: a failing audit is no benchmark.
"$binary" audit -q "${thread_flag[@]}" "$work/out/articles" \
  || { echo "audit_bench: the NDJSON audit is not clean" >&2; exit 1; }
"$binary" audit -q "${thread_flag[@]}" "$work/dump" \
  || { echo "audit_bench: the article audit is not clean" >&2; exit 1; }

setup=""
sha_ndjson=$(median sha256sum "${ndjson[@]}")
audit_ndjson=$(median "$binary" audit -q "${thread_flag[@]}" "$work/out/articles")
sha_articles=$(median xargs -0 -a "$work/articles.list" sha256sum)
audit_articles=$(median "$binary" audit -q "${thread_flag[@]}" "$work/dump")
setup='rm -rf "$work/run-state" "$work/run-out"'
run_articles=$(median "$binary" run -q "${thread_flag[@]}" --state "$work/run-state" \
                 --out "$work/run-out" "$work/dump")
setup=""

cat <<EOF
audit benchmark: $(nproc) cores, medians of $runs, warm cache
  NDJSON:   ${#ndjson[@]} files, $ndjson_bytes bytes
    sha256sum          ${sha_ndjson} s  $(mbps "$ndjson_bytes" "$sha_ndjson") MB/s
    audit              ${audit_ndjson} s  $(mbps "$ndjson_bytes" "$audit_ndjson") MB/s
    audit / sha256sum  $(ratio "$sha_ndjson" "$audit_ndjson") x   (target >= 0.8)
  articles: $article_files files, $article_bytes bytes
    sha256sum          ${sha_articles} s  $(mbps "$article_bytes" "$sha_articles") MB/s
    run                ${run_articles} s  $(mbps "$article_bytes" "$run_articles") MB/s
    audit              ${audit_articles} s  $(mbps "$article_bytes" "$audit_articles") MB/s
    audit / sha256sum  $(ratio "$sha_articles" "$audit_articles") x
    audit / run        $(ratio "$run_articles" "$audit_articles") x   (target >= 1)
EOF
