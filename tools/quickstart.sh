#!/usr/bin/env bash
# Quick start: set up, build, and run crawl-ingest over seeds/ with the
# default state (./state) and output (./out).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh crawl-ingest
./build/crawl-ingest run seeds/
echo "quickstart: articles in out/articles/, quarantine in out/quarantine/, duplicates in out/duplicates/, summary in out/runs/" >&2
