#!/usr/bin/env python3
"""Plain-Python reference implementation of the crawl-dump contract (FORMAT.md).

    python3 tools/reference_ingest.py [--tz +09:00] [--max-file-size 100000]
        [--revisions skip|emit] [--quarantine FILE] [--duplicates FILE]
        [--summary FILE] INPUT...

What it does: walks every INPUT (a directory, recursively, or a single file), reads every
``*.txt`` article in byte-wise order of its source path, verifies it by the rules of
FORMAT.md §1-§2 and prints the emitted records (§3) as NDJSON on stdout, in processing order
(``json.dumps(ensure_ascii=False, separators=(",", ":"))``).  Quarantine and duplicate
records (§3) go to --quarantine / --duplicates when given; a JSON run summary
``{"files", "emitted", "duplicates", "revisions", "quarantined": {reason: n}, "skipped"}``
goes to stderr (or --summary FILE).

What it promises:
- It is a straightforward, independent reading of FORMAT.md: tolerant front matter
  (key: value lines, tab/space-indented or whitespace-only continuation lines, YAML single-
  and double-quoted scalars), the body between the first separator after the front matter and
  the LAST separator line of the file, ``hashlib.sha256(html.unescape(body).strip())``,
  quarantine reasons checked in the table order of §2, verification before dedup, dedup on
  (oid, aid) in a dict (same hash -> duplicate, new hash -> revision 2, 3, ...).
- Standard library only (Python 3.11), single-threaded; it is the plain-Python baseline.
- ``source`` = the INPUT as given joined (os.path.join) with the file's path below it.
  Processing order = all article sources of all INPUTs sorted as bytes (so ``a.txt`` comes
  before ``a/b.txt``).  A file named as an INPUT is always treated as an article; inside a
  directory only names ending in ``.txt`` are articles, everything else counts as skipped.
  Directories are recursed without following symlinks; a symlink whose name ends in .txt is
  read through (broken / looping ones are ``unreadable``).  Archives are not supported.

Decisions where FORMAT.md leaves room (the generator tools/gen_corpus.py avoids generating
cases that depend on the ones marked *, except the explicit-offset date case):
- Whitespace for folding and for "whitespace-only line" is ASCII (space, tab, \\n, \\r, \\f, \\v).
- An empty front-matter line counts as whitespace-only (a continuation).
- * A continuation line before the first key: ignored if whitespace-only, else bad_front_matter.
- * A key line is ``KEY:`` or ``KEY:<space/tab>VALUE`` where KEY has no whitespace and no colon;
  ``key:value`` (no space) is "neither" -> bad_front_matter.  Keys are case-sensitive.
- * A value starting with a quote must be one complete YAML quoted scalar (nothing after the
  closing quote, known escapes only), else bad_front_matter.
- A value that is empty after quote decoding and folding is null (also ``""`` and ``''``).
  * An empty ``id`` counts as absent.
- Dates: ``YYYY-MM-DD[ T]HH:MM[:SS][Z|+HH:MM|-HH:MM]`` (real calendar dates); naive -> the
  --tz offset; an explicit offset is kept as written, ``Z`` is written as ``+00:00``.
- ``extra`` keeps unknown keys and raw unparseable dates in front-matter order; an unknown key
  with an empty value is kept as null.
- ``first_source`` of a duplicate record is the source of the first copy with the same hash (for
  a copy of a revision, that revision); of a revision record, the key's first copy.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import os
import re
import sys

KNOWN_KEYS = ("id", "title", "category", "publisher", "author", "published_at",
              "crawled_at", "url", "oid", "aid", "content_hash")
DATE_KEYS = ("published_at", "crawled_at")
REASONS = ("unreadable", "too_large", "empty_file", "invalid_utf8", "no_front_matter",
           "bad_front_matter", "bad_key", "id_mismatch", "missing_hash", "bad_hash",
           "no_body", "empty_body", "hash_mismatch")

_KEY_LINE = re.compile(r"([^\s:]+):(?:[ \t]+(.*))?")
_FOLD = re.compile(r"[ \t\n\r\f\v]+")
_DIGITS = re.compile(r"[0-9]+")
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_TZ = re.compile(r"[+-](?:[01][0-9]|2[0-3]):[0-5][0-9]")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})[ T]([0-9]{2}):([0-9]{2})"
                   r"(?::([0-9]{2}))?(Z|[+-][0-9]{2}:[0-9]{2})?")
_DQ_SIMPLE = {"0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v",
              "f": "\f", "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\",
              "N": "\x85", "_": "\xa0", "L": "\u2028", "P": "\u2029"}
_DQ_HEX = {"x": 2, "u": 4, "U": 8}
_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


class Bad(Exception):
    """A quarantine verdict: .reason is one of REASONS."""

    def __init__(self, reason: str, detail: str = "", ident: str | None = None):
        super().__init__(reason)
        self.reason, self.detail, self.ident = reason, detail, ident


# --------------------------------------------------------------------------- values

def _decode_double(s: str) -> str:
    out, i, n = [], 1, len(s)
    while i < n:
        c = s[i]
        if c == '"':
            if i != n - 1:
                raise ValueError("text after closing quote")
            return "".join(out)
        if c != "\\":
            out.append(c)
            i += 1
            continue
        i += 1
        if i >= n:
            break
        e = s[i]
        if e in _DQ_SIMPLE:
            out.append(_DQ_SIMPLE[e])
            i += 1
        elif e in _DQ_HEX:
            k = _DQ_HEX[e]
            h = s[i + 1:i + 1 + k]
            if len(h) != k or not re.fullmatch(r"[0-9a-fA-F]+", h):
                raise ValueError("bad hex escape")
            cp = int(h, 16)
            if 0xD800 <= cp <= 0xDFFF or cp > 0x10FFFF:
                raise ValueError("bad code point")
            out.append(chr(cp))
            i += 1 + k
        elif e == "\n":  # escaped line break: joins lines, drops leading blanks
            i += 1
            while i < n and s[i] in " \t":
                i += 1
        else:
            raise ValueError("unknown escape \\" + e)
    raise ValueError("unterminated double-quoted string")


def _decode_single(s: str) -> str:
    out, i, n = [], 1, len(s)
    while i < n:
        c = s[i]
        if c == "'":
            if i + 1 < n and s[i + 1] == "'":
                out.append("'")
                i += 2
                continue
            if i != n - 1:
                raise ValueError("text after closing quote")
            return "".join(out)
        out.append(c)
        i += 1
    raise ValueError("unterminated single-quoted string")


def decode_value(raw: str) -> str | None:
    """YAML quotes, then whitespace folding, then html.unescape; empty -> None."""
    s = raw.strip(" \t\n\r\f\v")
    if s[:1] == '"':
        s = _decode_double(s)
    elif s[:1] == "'":
        s = _decode_single(s)
    s = _FOLD.sub(" ", s).strip(" ")
    if not s:
        return None
    return html.unescape(s) if "&" in s else s


def parse_date(value: str, tz: str) -> str | None:
    m = _DATE.fullmatch(value)
    if not m:
        return None
    y, mo, d, h, mi = (int(m.group(k)) for k in range(1, 6))
    sec = int(m.group(6)) if m.group(6) else 0
    if not (1 <= mo <= 12 and h <= 23 and mi <= 59 and sec <= 59):
        return None
    leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    if not 1 <= d <= (29 if mo == 2 and leap else _DAYS[mo - 1]):
        return None
    off = m.group(7)
    if off is None:
        off = tz
    elif off == "Z":
        off = "+00:00"
    elif not _TZ.fullmatch(off):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{sec:02d}{off}"


# --------------------------------------------------------------------------- one file

def parse_front_matter(lines: list[str], end: int) -> dict[str, str | None]:
    """lines[1:end] are the front matter; returns decoded values in order. Raises Bad."""
    raw: dict[str, list[str]] = {}
    current = None
    for ln in range(1, end):
        line = lines[ln]
        if not line.strip(" \t\n\r\f\v") or line[0] in " \t":
            if current is None:
                if line.strip(" \t\n\r\f\v"):
                    raise Bad("bad_front_matter", f"line {ln + 1}: continuation before any key")
                continue
            current.append(line)
            continue
        m = _KEY_LINE.fullmatch(line)
        if not m:
            raise Bad("bad_front_matter", f"line {ln + 1}: neither 'key: value' nor continuation")
        key = m.group(1)
        if key in raw:
            raise Bad("bad_front_matter", f"line {ln + 1}: duplicate key {key!r}")
        current = [m.group(2) or ""]
        raw[key] = current
    out: dict[str, str | None] = {}
    for key, parts in raw.items():
        try:
            out[key] = decode_value("\n".join(parts))
        except ValueError as e:
            raise Bad("bad_front_matter", f"{key}: {e}") from None
    return out


def examine(path, max_size: int, tz: str):
    """Verify one article file. Returns (fields, text, hash); raises Bad."""
    try:
        size = os.stat(path).st_size
        if size > max_size:
            raise Bad("too_large", f"{size} bytes > {max_size}")
        with open(path, "rb") as f:
            data = f.read(max_size + 1)
    except OSError as e:
        raise Bad("unreadable", f"{e.strerror or e}") from None
    if len(data) > max_size:
        raise Bad("too_large", f"more than {max_size} bytes")
    if not data:
        raise Bad("empty_file", "0 bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Bad("invalid_utf8", f"byte offset {e.start}") from None
    if text[:1] == "\ufeff":
        text = text[1:]
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    if lines[0] != "---":
        raise Bad("no_front_matter", "first line is not '---'")
    try:
        end = lines.index("---", 1)
    except ValueError:
        raise Bad("bad_front_matter", "unterminated front matter") from None
    fm = parse_front_matter(lines, end)

    oid, aid = fm.get("oid"), fm.get("aid")
    fid = fm.get("id")
    if oid is None or aid is None or not _DIGITS.fullmatch(oid) or not _DIGITS.fullmatch(aid):
        raise Bad("bad_key", f"oid={oid!r} aid={aid!r}", fid)
    key_id = f"{oid}_{aid}"
    if fid is not None and fid != key_id:
        raise Bad("id_mismatch", f"id {fid!r} != {key_id!r}", fid)
    stored = fm.get("content_hash")
    if stored is None:
        raise Bad("missing_hash", "", key_id)
    if not _HEX64.fullmatch(stored):
        raise Bad("bad_hash", f"{stored!r}", key_id)

    first = last = -1
    for i in range(end + 1, len(lines)):
        if lines[i] == "---":
            if first < 0:
                first = i
            last = i
    if first < 0 or last == first:
        raise Bad("no_body", "body separators missing", key_id)
    body = "\n".join(lines[first + 1:last])
    body = (html.unescape(body) if "&" in body else body).strip()
    if not body:
        raise Bad("empty_body", "", key_id)
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
    if digest != stored.lower():
        raise Bad("hash_mismatch", f"stored {stored.lower()} computed {digest}", key_id)
    fm["id"] = key_id
    return fm, body, digest


def make_record(fm: dict, text: str, digest: str, source: str, tz: str,
                revision: int | None = None) -> dict:
    rec = {"id": fm["id"], "oid": fm["oid"], "aid": fm["aid"], "url": fm.get("url"),
           "title": fm.get("title"), "publisher": fm.get("publisher"),
           "author": fm.get("author"), "category": fm.get("category")}
    extra = {}
    for k in DATE_KEYS:
        v = fm.get(k)
        rec[k] = None
        if v is not None:
            rec[k] = parse_date(v, tz)
    for k, v in fm.items():
        if k not in KNOWN_KEYS:
            extra[k] = v
        elif k in DATE_KEYS and v is not None and rec[k] is None:
            extra[k] = v
    rec["content_hash"] = digest
    rec["text"] = text
    rec["source"] = source
    if revision is not None:
        rec["revision"] = revision
    if extra:
        rec["extra"] = extra
    return rec


# --------------------------------------------------------------------------- walking

def _scan(root: bytes, rel: bytes, articles: list, skipped: list) -> None:
    with os.scandir(os.path.join(root, rel) if rel else root) as it:
        for e in it:
            r = rel + b"/" + e.name if rel else e.name
            try:
                is_dir = e.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            if is_dir:
                _scan(root, r, articles, skipped)
            elif e.name.endswith(b".txt"):
                articles.append(r)
            else:
                skipped.append(r)


def collect(inputs: list[str]) -> tuple[list[tuple[bytes, str, bytes]], list[str]]:
    """Returns ([(sort_key, source, path_to_open)], skipped_sources), sorted by bytes."""
    arts, skipped = [], []
    for inp in inputs:
        ib = os.fsencode(inp)
        if os.path.isdir(ib):
            a, s = [], []
            _scan(ib, b"", a, s)
            for r in a:
                p = os.path.join(ib, r)
                arts.append((p, os.fsdecode(p), p))
            skipped.extend(os.fsdecode(os.path.join(ib, r)) for r in s)
        else:
            arts.append((ib, inp, ib))
    arts.sort(key=lambda t: t[0])
    skipped.sort(key=os.fsencode)
    return arts, skipped


def ingest(inputs: list[str], tz: str = "+09:00", max_size: int = 100000):
    """Yields (source, outcome) in processing order, then ("", summary).

    outcome: {"outcome": "emitted", "record": {...}} |
             {"outcome": "duplicate"|"revision", "id", "first_source", "content_hash",
              "revision" (revisions), "record" (revisions, with "revision")} |
             {"outcome": "quarantined", "reason", "detail", "id"?} |
             {"outcome": "skipped"}
    """
    arts, skipped = collect(inputs)
    # key -> [source of the key's first copy, {hash: source that first had it}, n]
    seen: dict[tuple[str, str], list] = {}
    counts = {"files": len(arts), "emitted": 0, "duplicates": 0, "revisions": 0,
              "quarantined": {}, "skipped": len(skipped)}
    q = counts["quarantined"]
    for _, source, path in arts:
        try:
            fm, text, digest = examine(path, max_size, tz)
        except Bad as b:
            q[b.reason] = q.get(b.reason, 0) + 1
            out = {"outcome": "quarantined", "reason": b.reason, "detail": b.detail}
            if b.ident is not None:
                out["id"] = b.ident
            yield source, out
            continue
        key = (fm["oid"], fm["aid"])
        st = seen.get(key)
        if st is None:
            seen[key] = [source, {digest: source}, 1]
            counts["emitted"] += 1
            yield source, {"outcome": "emitted", "record": make_record(fm, text, digest, source, tz)}
        elif digest in st[1]:
            counts["duplicates"] += 1
            yield source, {"outcome": "duplicate", "id": fm["id"], "first_source": st[1][digest],
                           "content_hash": digest}
        else:
            st[1][digest] = source
            st[2] += 1
            counts["revisions"] += 1
            yield source, {"outcome": "revision", "id": fm["id"], "first_source": st[0],
                           "content_hash": digest, "revision": st[2],
                           "record": make_record(fm, text, digest, source, tz, st[2])}
    for s in skipped:
        yield s, {"outcome": "skipped"}
    counts["quarantined"] = dict(sorted(q.items(), key=lambda kv: REASONS.index(kv[0])))
    yield "", counts


def _dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("inputs", nargs="+", metavar="INPUT", help="directory or article file")
    ap.add_argument("--tz", default="+09:00", help="offset for naive dates (default +09:00)")
    ap.add_argument("--max-file-size", type=int, default=100000, metavar="BYTES")
    ap.add_argument("--revisions", choices=("skip", "emit"), default="skip",
                    help="emit revisions as records with \"revision\": N (default skip)")
    ap.add_argument("--quarantine", metavar="FILE", help="write quarantine records here")
    ap.add_argument("--duplicates", metavar="FILE", help="write duplicate records here")
    ap.add_argument("--summary", metavar="FILE", help="write the summary here (default stderr)")
    a = ap.parse_args(argv)
    if not _TZ.fullmatch(a.tz):
        ap.error("--tz must look like +09:00")
    out = sys.stdout
    qf = open(a.quarantine, "w", encoding="utf-8") if a.quarantine else None
    df = open(a.duplicates, "w", encoding="utf-8") if a.duplicates else None
    summary = None
    for source, o in ingest(a.inputs, a.tz, a.max_file_size):
        kind = o.get("outcome") if source else None
        if not source:
            summary = o
        elif kind == "emitted":
            out.write(_dumps(o["record"]) + "\n")
        elif kind == "revision" and a.revisions == "emit":
            out.write(_dumps(o["record"]) + "\n")
        elif kind == "quarantined" and qf:
            rec = {"source": source, "reason": o["reason"], "detail": o["detail"]}
            if "id" in o:
                rec["id"] = o["id"]
            qf.write(_dumps(rec) + "\n")
        if kind in ("duplicate", "revision") and df:
            df.write(_dumps({"source": source, "id": o["id"], "kind": kind,
                             "first_source": o["first_source"],
                             "content_hash": o["content_hash"]}) + "\n")
    out.flush()
    for f in (qf, df):
        if f:
            f.close()
    if a.summary:
        with open(a.summary, "w", encoding="utf-8") as f:
            f.write(_dumps(summary) + "\n")
    else:
        sys.stderr.write(_dumps(summary) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
