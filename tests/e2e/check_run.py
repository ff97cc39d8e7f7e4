#!/usr/bin/env python3
"""Checks a crawl-ingest output directory against a generator manifest (the oracle).

    python3 tests/e2e/check_run.py --manifest M --prefix P --out OUT [--run-summary FILE]
        [--revisions skip|emit] [--expect-all-reasons]

Every emitted article must equal the manifest's record byte for byte (json.dumps with
ensure_ascii=False, compact separators, source = P + relative path), in processing order,
across all chunks of OUT/articles sorted by name (plain, .ndjson.zst or .ndjson.gz); every quarantined file must have exactly
one quarantine record with the manifest's reason (and id where the manifest has one);
every duplicate/revision exactly one duplicates record with the right kind, first_source
and content_hash; and the run summary's counts must equal the manifest's counts.
Prints each mismatch on stderr and exits 1 when there is any, 0 otherwise.
"""
import argparse
import glob
import gzip
import json
import os
import subprocess
import sys

REASONS = ("unreadable", "too_large", "empty_file", "invalid_utf8", "no_front_matter",
           "bad_front_matter", "bad_key", "id_mismatch", "missing_hash", "bad_hash",
           "no_body", "empty_body", "hash_mismatch")


def dumps(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def read_chunk(path):
    """A chunk's bytes, decompressed: .ndjson, .ndjson.gz (gzip module), .ndjson.zst (zstd -dc)."""
    if path.endswith(".zst"):
        return subprocess.run(["zstd", "-dcq", path], check=True, stdout=subprocess.PIPE).stdout
    if path.endswith(".gz"):
        with gzip.open(path, "rb") as f:
            return f.read()
    with open(path, "rb") as f:
        return f.read()


def read_lines(folder):
    lines = []
    paths = [p for pattern in ("*.ndjson", "*.ndjson.zst", "*.ndjson.gz")
             for p in glob.glob(os.path.join(folder, pattern))]
    for path in sorted(paths):
        data = read_chunk(path)
        if data and not data.endswith(b"\n"):
            lines.append(("<partial line>", path))
        lines.extend((line.decode("utf-8"), path) for line in data.splitlines())
    return lines


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--prefix", required=True, help="prepended to manifest paths")
    parser.add_argument("--out", required=True)
    parser.add_argument("--run-summary", help="runs/<id>.json to check (default: the only one)")
    parser.add_argument("--revisions", default="skip", choices=("skip", "emit"))
    parser.add_argument("--expect-all-reasons", action="store_true")
    parser.add_argument("--any-order", action="store_true",
                        help="sharded runs: articles as a set (each partition has its own chunks)")
    parser.add_argument("--no-summary", action="store_true",
                        help="records only: runs killed midway leave no summary")
    args = parser.parse_args()

    with open(args.manifest, encoding="utf-8") as f:
        manifest = json.load(f)
    errors = []

    expected_articles, expected_quarantine, expected_duplicates = [], {}, {}
    for rel, entry in manifest["files"].items():
        source = args.prefix + rel
        outcome = entry["outcome"]
        if outcome == "emitted" or (outcome == "revision" and args.revisions == "emit"):
            record = dict(entry["record"])
            record["source"] = source
            if outcome == "emitted":
                record.pop("revision", None)
            # Re-insert in contract order: revision after source, extra last.
            ordered = {k: record[k] for k in record if k not in ("revision", "extra")}
            if "revision" in record:
                ordered["revision"] = record["revision"]
            if "extra" in record:
                ordered["extra"] = record["extra"]
            expected_articles.append(dumps(ordered))
        elif outcome == "quarantined":
            expected_quarantine[source] = entry
        elif outcome in ("duplicate", "revision"):
            expected_duplicates[source] = entry

    actual_articles = read_lines(os.path.join(args.out, "articles"))
    if args.any_order:
        expected_articles.sort()
        actual_articles.sort()
    for index in range(max(len(expected_articles), len(actual_articles))):
        want = expected_articles[index] if index < len(expected_articles) else "<none>"
        got, path = actual_articles[index] if index < len(actual_articles) else ("<none>", "")
        if want != got:
            errors.append(f"article #{index} differs ({path}):\n  want {want[:300]}\n  got  {got[:300]}")
            if len(errors) > 5:
                break

    seen = set()
    for line, path in read_lines(os.path.join(args.out, "quarantine")):
        record = json.loads(line)
        if list(record)[:3] != ["source", "reason", "detail"]:
            errors.append(f"quarantine record keys out of order: {line}")
        source = record["source"]
        if source in seen:
            errors.append(f"quarantine record twice for {source}")
        seen.add(source)
        entry = expected_quarantine.get(source)
        if entry is None:
            errors.append(f"unexpected quarantine of {source}: {line}")
            continue
        if record["reason"] != entry["reason"]:
            errors.append(f"{source}: reason {record['reason']} != expected {entry['reason']} "
                          f"(detail: {record['detail']})")
        if not record["detail"]:
            errors.append(f"{source}: empty detail")
    for source in expected_quarantine.keys() - seen:
        errors.append(f"no quarantine record for {source} ({expected_quarantine[source]['reason']})")

    seen = set()
    for line, path in read_lines(os.path.join(args.out, "duplicates")):
        record = json.loads(line)
        if list(record) != ["source", "id", "kind", "first_source", "content_hash"]:
            errors.append(f"duplicate record keys wrong: {line}")
        source = record["source"]
        if source in seen:
            errors.append(f"duplicate record twice for {source}")
        seen.add(source)
        entry = expected_duplicates.get(source)
        if entry is None:
            errors.append(f"unexpected duplicate record for {source}: {line}")
            continue
        want = {"id": entry["id"], "kind": entry["outcome"],
                "first_source": args.prefix + entry["first_source"],
                "content_hash": entry["content_hash"]}
        got = {k: record[k] for k in want}
        if want != got:
            errors.append(f"{source}: duplicate record {got} != expected {want}")
    expected_listed = {s for s, e in expected_duplicates.items()
                       if e["outcome"] == "duplicate" or args.revisions == "skip"}
    for source in expected_listed - seen:
        errors.append(f"no duplicate record for {source}")

    summary_path = args.run_summary
    if summary_path is None:
        runs = sorted(glob.glob(os.path.join(args.out, "runs", "*.json")))
        summary_path = runs[-1] if runs else None
    if args.no_summary:
        pass
    elif summary_path is None:
        errors.append("no run summary")
    else:
        with open(summary_path, encoding="utf-8") as f:
            summary = json.load(f)
        counts = manifest["counts"]
        for key in ("files", "emitted", "duplicates", "revisions", "skipped"):
            if summary.get(key) != counts.get(key):
                errors.append(f"summary {key} = {summary.get(key)}, manifest says {counts.get(key)}")
        want_q = {r: counts["quarantined"].get(r, 0) for r in REASONS}
        got_q = {r: summary["quarantined"].get(r) for r in REASONS}
        if want_q != got_q:
            errors.append(f"summary quarantined {got_q} != manifest {want_q}")
        if args.expect_all_reasons:
            missing = [r for r in REASONS if want_q[r] == 0]
            if missing:
                errors.append(f"the corpus lacks reasons {missing}")

    for folder in ("articles", "quarantine", "duplicates"):
        leftovers = glob.glob(os.path.join(args.out, folder, ".*.tmp"))
        if leftovers:
            errors.append(f"temp files left behind: {leftovers}")

    for error in errors:
        print(error, file=sys.stderr)
    print(f"check_run: {len(expected_articles)} articles, {len(expected_quarantine)} quarantined, "
          f"{len(expected_duplicates)} duplicates/revisions checked, {len(errors)} problems",
          file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
