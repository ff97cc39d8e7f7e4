#!/usr/bin/env python3
"""Validates `--schema dolma` output against the Dolma document format and the generator's oracle.

    python3 tests/e2e/check_dolma.py --manifest M --prefix P --out OUT --source NAME
        [--revisions skip|emit]

The Dolma document format (allenai/dolma, docs/data-format.md, "Dolma Document Format"): one
JSON object per line of a (gzipped) JSONL file with
  "id"       MANDATORY, a string unique within its source (no two rows of a source share it),
  "text"     MANDATORY, the document's text,
  "source"   MANDATORY, the source of the data (a dataset name),
  "added"    OPTIONAL, timestamp the data was acquired,
  "created"  OPTIONAL, timestamp the original document was created,
  "metadata" OPTIONAL, an object of source-specific fields.
The Dolma toolkit's taggers decode rows into msgspec InputSpec(id: str, text: str, source: str),
and datatrove's JsonlReader default adapter takes "text" and "id" and merges every other key into
metadata ({"metadata": data.pop("metadata", {}) | data}); both are simulated here.

Checks, per record: the keys, their order and types; timestamps that are ISO 8601 with an offset;
ids unique within the source; that the datatrove merge loses nothing (no metadata key collides with
a top-level key). Then every record against the oracle (check_run.py's manifest), byte for byte,
in processing order: the FORMAT.md record mapped to Dolma as doc/dolma.md says. Exits 1 on any
problem, listing them on stderr.
"""
import argparse
import datetime as dt
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_run import dumps, read_lines  # noqa: E402

MANDATORY = ("id", "text", "source")
ORDER = ("id", "text", "source", "added", "created", "metadata")


def is_timestamp(value):
    if not isinstance(value, str):
        return False
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return parsed.tzinfo is not None


def validate(record, dataset):
    """Problems of one record with the documented Dolma format."""
    problems = []
    if not isinstance(record, dict):
        return ["not a JSON object"]
    keys = list(record)
    unknown = [k for k in keys if k not in ORDER]
    if unknown:
        problems.append(f"keys outside the Dolma format: {unknown}")
    for key in MANDATORY:
        if not isinstance(record.get(key), str) or not record.get(key):
            problems.append(f"{key} must be a non-empty string, is {record.get(key)!r}")
    if keys != [k for k in ORDER if k in record]:
        problems.append(f"keys out of order: {keys}")
    for key in ("added", "created"):
        if key in record and not is_timestamp(record[key]):
            problems.append(f"{key} is not an ISO 8601 timestamp with an offset: {record[key]!r}")
    if "metadata" in record and not isinstance(record["metadata"], dict):
        problems.append("metadata is not an object")
    if record.get("source") != dataset:
        problems.append(f"source {record.get('source')!r} != {dataset!r}")
    # msgspec InputSpec(id: str, text: str, source: str) as the Dolma taggers decode it.
    spec = {k: record.get(k) for k in MANDATORY}
    if not all(isinstance(v, str) for v in spec.values()):
        problems.append("InputSpec would reject the row")
    # datatrove's default adapter: metadata | remaining keys; nothing may be overwritten.
    data = dict(record)
    data.pop("text", None)
    data.pop("id", None)
    metadata = data.pop("metadata", {})
    collisions = set(metadata) & set(data)
    if collisions:
        problems.append(f"datatrove's metadata merge would overwrite {sorted(collisions)}")
    return problems


def expected_records(manifest, prefix, dataset, revisions):
    out = []
    for rel, entry in manifest["files"].items():
        outcome = entry["outcome"]
        if not (outcome == "emitted" or (outcome == "revision" and revisions == "emit")):
            continue
        native = entry["record"]
        record = {"id": native["id"], "text": native["text"], "source": dataset}
        if outcome == "revision":
            record["id"] = f"{native['id']}-r{native['revision']}"
        if native.get("crawled_at") is not None:
            record["added"] = native["crawled_at"]
        if native.get("published_at") is not None:
            record["created"] = native["published_at"]
        metadata = {k: native[k] for k in ("oid", "aid", "url", "title", "publisher", "author",
                                            "category", "content_hash")}
        metadata["path"] = prefix + rel
        if outcome == "revision":
            metadata["revision"] = native["revision"]
        if "extra" in native:
            metadata["extra"] = native["extra"]
        record["metadata"] = metadata
        out.append(dumps(record))
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--source", required=True, help="the dataset name in `source`")
    parser.add_argument("--revisions", default="skip", choices=("skip", "emit"))
    args = parser.parse_args()
    with open(args.manifest, encoding="utf-8") as f:
        manifest = json.load(f)

    errors = []
    lines = read_lines(os.path.join(args.out, "articles"))
    seen_ids = set()
    for number, (line, path) in enumerate(lines, 1):
        try:
            record = json.loads(line)
        except ValueError as error:
            errors.append(f"{path} record {number}: not JSON: {error}")
            continue
        for problem in validate(record, args.source):
            errors.append(f"{path} record {number}: {problem}")
        key = (record.get("source"), record.get("id"))
        if key in seen_ids:
            errors.append(f"{path} record {number}: id {key[1]!r} twice in source {key[0]!r}")
        seen_ids.add(key)

    want = expected_records(manifest, args.prefix, args.source, args.revisions)
    got = [line for line, _ in lines]
    for index in range(max(len(want), len(got))):
        w = want[index] if index < len(want) else "<none>"
        g = got[index] if index < len(got) else "<none>"
        if w != g:
            errors.append(f"record #{index} differs from the oracle:\n  want {w[:300]}\n  got  {g[:300]}")
            if len(errors) > 10:
                break

    for error in errors:
        print(error, file=sys.stderr)
    print(f"check_dolma: {len(got)} records, {len(want)} expected, {len(errors)} problems",
          file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
