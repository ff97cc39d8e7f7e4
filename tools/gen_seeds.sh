#!/bin/sh
# Regenerates the repository's sample dump seeds/mixed/ (3 plain articles plus one or more files
# of every other kind: duplicates, revisions, every quarantine reason, valid edge cases,
# byte-order traps, symlinks, skipped non-.txt files; see tools/gen_corpus.py) and its oracle
# seeds/mixed.manifest.json (outside the input directory), then checks the pair with the
# independent reader tools/reference_ingest.py.  Deterministic: running it again rewrites
# byte-identical files.  Tests must pass the manifest's params.max_file_size (100000) and
# params.tz (+09:00) to the binary.
set -eu
cd "$(dirname "$0")/.."
rm -rf seeds/mixed seeds/mixed.manifest.json
python3 tools/gen_corpus.py --out seeds/mixed --seed 1 --valid 3 --mix \
  --max-file-size 100000 --tz +09:00 --manifest seeds/mixed.manifest.json
python3 tools/gen_corpus.py --check seeds/mixed --manifest seeds/mixed.manifest.json
