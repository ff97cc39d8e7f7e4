#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build crawl-ingest (as
# root, through apt-get; nothing when all is there), then configures and
# builds into ./build (only the given targets, e.g. crawl-ingest, when
# arguments are given). Used by tools/quickstart.sh and tools/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake pkg-config python3 libssl-dev libsimdjson-dev
          libyaml-cpp-dev librocksdb-dev libspdlog-dev libfmt-dev libgtest-dev
          libcli11-dev clang libclang-rt-14-dev
          libarchive-dev libzstd-dev zlib1g-dev
          # tests only: tar/zstd/gzip build and unpack archives and chunks,
          # script(1) gives the progress test a pseudo-terminal, promtool
          # (prometheus) checks the metrics file
          tar zstd gzip bsdutils prometheus)
# Intel's multi-buffer SHA-256 (AVX-512), used by the verify stage where it
# exists; amd64 only.
if [ "$(dpkg --print-architecture)" = amd64 ]; then packages+=(libipsec-mb-dev); fi
# ISA-L's igzip inflates .tar.gz inputs ~3x faster than zlib (amd64, arm64).
case "$(dpkg --print-architecture)" in amd64|arm64) packages+=(libisal-dev) ;; esac
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: need root to install packages (run as root or with sudo)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Optional: a local Slurm for tests/slurm (sharded runs on a real cluster).
# The build does not need it; without it that test reports SKIPPED.
# INGEST_SKIP_OPTIONAL=1 leaves it out.
optional=(slurm-wlm munge slurm-client)
missing_optional=()
for package in "${optional[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing_optional+=("$package")
done
if ((${#missing_optional[@]})) && [[ ${INGEST_SKIP_OPTIONAL:-0} != 1 && $(id -u) -eq 0 ]]; then
  echo "setup: installing optional ${missing_optional[*]} (for tests/slurm)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing_optional[@]}" >/dev/null 2>&1 ||
    echo "setup: could not install ${missing_optional[*]}; the Slurm test will be skipped" >&2
fi

build_type=${INGEST_BUILD_TYPE:-Release}
cmake -S . -B build -DCMAKE_BUILD_TYPE="$build_type" ${INGEST_CMAKE_ARGS:-} >/dev/null
targets=()
for target in "$@"; do targets+=(--target "$target"); done
cmake --build build -j"$(nproc)" "${targets[@]}"
