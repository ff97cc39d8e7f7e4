#!/usr/bin/env python3
"""The plain-Python baseline of `crawl-ingest run`: the script a user would otherwise write.

    python3 bench/baseline_ingest.py --state STATE.sqlite --out ARTICLES.ndjson
        [--quarantine FILE] [--duplicates FILE] [--tz +09:00]
        [--max-file-size BYTES] [--commit-every N] INPUT...

What it does, in one process and with the standard library only:
- walks every INPUT directory with ``os.walk`` (bytes paths, symlinked directories not
  followed) for names ending in ``.txt`` (others count as ``skipped``; an INPUT that is a file is
  always an article), and processes all sources sorted as bytes (FORMAT.md §2 order);
- reads each file whole, decodes UTF-8, drops a BOM, turns CRLF into LF, parses the front matter
  by the tolerant rules of FORMAT.md §1.1 (``key: value`` lines; lines starting with a space or
  tab, or holding only whitespace, continue the previous value; YAML double- and single-quoted
  values; whitespace folding; ``html.unescape``; empty -> null), takes the body between the first
  ``---`` after the front matter and the last ``---`` of the file, and checks
  ``hashlib.sha256(html.unescape(body).strip())`` against ``content_hash``; a file that fails
  gets the first FORMAT.md §2 quarantine reason that applies;
- dedups on (oid, aid) in a persistent ``sqlite3`` database (table ``seen``: one row per
  (oid, aid, content_hash) with the first source that had it): a new key is emitted, a known key
  with a known hash is a duplicate, with a new hash a revision (counted and remembered, not
  emitted, like ``--revisions skip``);
- writes the emitted records as NDJSON (FORMAT.md §3, keys in the contract's order,
  ``json.dumps(ensure_ascii=False, separators=(",", ":"))``) to --out, quarantine and duplicate
  records to --quarantine / --duplicates when given, and a JSON summary line to stderr.

It is meant to be honest, not slow on purpose: files are read with one ``read()``, the database
runs in WAL mode with ``synchronous=NORMAL`` and commits every --commit-every files (and at the
end), output goes through a 1 MiB buffer. It does not fsync its output (crawl-ingest does, per
chunk), it has no file index (every run reads everything) and no crash-safe commit protocol
between output and state.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import os
import re
import sqlite3
import sys
import time

REASONS = ("unreadable", "too_large", "empty_file", "invalid_utf8", "no_front_matter",
           "bad_front_matter", "bad_key", "id_mismatch", "missing_hash", "bad_hash",
           "no_body", "empty_body", "hash_mismatch")
KNOWN_KEYS = frozenset(("id", "title", "category", "publisher", "author", "published_at",
                        "crawled_at", "url", "oid", "aid", "content_hash"))
ASCII_WS = " \t\n\r\f\v"
FOLD = re.compile(r"[ \t\n\r\f\v]+")
HEX = frozenset("0123456789abcdefABCDEF")
DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?"
                  r"(Z|[+-]\d{2}:\d{2})?", re.ASCII)
TZ = re.compile(r"[+-](?:[01]\d|2[0-3]):[0-5]\d", re.ASCII)
DQ_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"', re.S)
DQ_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|\n[ \t]*|.)", re.S)
DQ_SIMPLE = {"0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v",
             "f": "\f", "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\",
             "N": "\x85", "_": "\xa0", "L": "\u2028", "P": "\u2029"}
DATE_KEYS = ("published_at", "crawled_at")
MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


class Bad(Exception):
    """A quarantine verdict."""

    def __init__(self, reason: str, detail: str = "", ident: str | None = None):
        super().__init__(reason)
        self.reason, self.detail, self.ident = reason, detail, ident


def _dq_escape(m: re.Match) -> str:
    e = m.group(1)
    if e[0] in "xuU" and len(e) > 1:
        cp = int(e[1:], 16)
        if 0xD800 <= cp <= 0xDFFF or cp > 0x10FFFF:
            raise ValueError("bad code point")
        return chr(cp)
    if e[0] == "\n":  # escaped line break: the lines are joined without a space
        return ""
    if e in DQ_SIMPLE:
        return DQ_SIMPLE[e]
    raise ValueError("unknown escape")


def decode_value(raw: str) -> str | None:
    """YAML quotes, then whitespace folding, then html.unescape; empty -> None."""
    s = raw.strip(ASCII_WS)
    if s[:1] == '"':
        m = DQ_STRING.fullmatch(s)
        if not m:
            raise ValueError("not one double-quoted string")
        inner = m.group(1)
        s = DQ_ESCAPE.sub(_dq_escape, inner) if "\\" in inner else inner
    elif s[:1] == "'":
        if len(s) < 2 or s[-1] != "'" or "'" in s[1:-1].replace("''", ""):
            raise ValueError("bad single-quoted value")
        s = s[1:-1].replace("''", "'")
    if "\n" in s or "\t" in s or "  " in s or "\r" in s or "\f" in s or "\v" in s:
        s = FOLD.sub(" ", s)
    s = s.strip(" ")
    return html.unescape(s) if s else None


def parse_front_matter(lines: list[str], end: int) -> dict[str, str | None]:
    raw: dict[str, list[str]] = {}
    current = None
    for n in range(1, end):
        line = lines[n]
        if not line or line[0] in " \t" or not line.strip(ASCII_WS):
            if current is not None:
                current.append(line)
            elif line.strip(ASCII_WS):
                raise Bad("bad_front_matter", f"line {n + 1}: continuation before any key")
            continue
        key, colon, value = line.partition(":")
        if not colon or not key or any(c in ASCII_WS for c in key) or \
                (value and value[0] not in " \t"):
            raise Bad("bad_front_matter", f"line {n + 1}: not 'key: value'")
        if key in raw:
            raise Bad("bad_front_matter", f"line {n + 1}: duplicate key {key}")
        current = raw[key] = [value]
    out = {}
    for key, parts in raw.items():
        try:
            out[key] = decode_value("\n".join(parts))
        except ValueError as e:
            raise Bad("bad_front_matter", f"{key}: {e}") from None
    return out


def rfc3339(value: str, tz: str) -> str | None:
    m = DATE.fullmatch(value)
    if not m:
        return None
    y, mo, d, h, mi = (int(m.group(i)) for i in range(1, 6))
    sec = int(m.group(6) or 0)
    leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    if not (1 <= mo <= 12 and h < 24 and mi < 60 and sec < 60) or \
            not 1 <= d <= (29 if mo == 2 and leap else MONTH_DAYS[mo - 1]):
        return None
    off = m.group(7) or tz
    if off == "Z":
        off = "+00:00"
    elif not TZ.fullmatch(off):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{sec:02d}{off}"


def is_digits(s: str | None) -> bool:
    return bool(s) and s.isascii() and s.isdigit()


def examine(path: bytes, max_size: int) -> tuple[dict, str, str]:
    """Reads and verifies one article. Returns (front matter, text, hash); raises Bad."""
    try:
        with open(path, "rb") as f:
            data = f.read(max_size + 1)
    except OSError as e:
        raise Bad("unreadable", e.strerror or str(e)) from None
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

    oid, aid, ident = fm.get("oid"), fm.get("aid"), fm.get("id")
    if not is_digits(oid) or not is_digits(aid):
        raise Bad("bad_key", f"oid={oid!r} aid={aid!r}", ident)
    key_id = f"{oid}_{aid}"
    if ident is not None and ident != key_id:
        raise Bad("id_mismatch", f"id {ident!r} is not {key_id!r}", ident)
    stored = fm.get("content_hash")
    if stored is None:
        raise Bad("missing_hash", "", key_id)
    if len(stored) != 64 or not HEX.issuperset(stored):
        raise Bad("bad_hash", repr(stored), key_id)

    try:
        first = lines.index("---", end + 1)
    except ValueError:
        first = -1
    last = len(lines) - 1
    while last > first and lines[last] != "---":
        last -= 1
    if first < 0 or last == first:
        raise Bad("no_body", "body separators missing", key_id)
    body = html.unescape("\n".join(lines[first + 1:last])).strip()
    if not body:
        raise Bad("empty_body", "", key_id)
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
    if digest != stored.lower():
        raise Bad("hash_mismatch", f"stored {stored.lower()} computed {digest}", key_id)
    fm["id"] = key_id
    return fm, body, digest


def make_record(fm: dict, text: str, digest: str, source: str, tz: str) -> dict:
    rec = {"id": fm["id"], "oid": fm["oid"], "aid": fm["aid"], "url": fm.get("url"),
           "title": fm.get("title"), "publisher": fm.get("publisher"),
           "author": fm.get("author"), "category": fm.get("category")}
    for key in ("published_at", "crawled_at"):
        raw = fm.get(key)
        rec[key] = rfc3339(raw, tz) if raw is not None else None
    rec["content_hash"] = digest
    rec["text"] = text
    rec["source"] = source
    # unknown keys, and raw dates that did not parse, in front-matter order
    extra = {k: v for k, v in fm.items()
             if k not in KNOWN_KEYS or (k in DATE_KEYS and v is not None and rec[k] is None)}
    if extra:
        rec["extra"] = extra
    return rec


def list_sources(inputs: list[str]) -> tuple[list[bytes], int]:
    """All article paths (bytes, sorted as bytes) and the number of skipped files."""
    paths, skipped = [], 0
    for inp in inputs:
        top = os.fsencode(inp)
        if not os.path.isdir(top):
            paths.append(top)
            continue
        for dirpath, dirnames, filenames in os.walk(top):
            for name in filenames:
                if name.endswith(b".txt"):
                    paths.append(os.path.join(dirpath, name))
                else:
                    skipped += 1
    paths.sort()
    return paths, skipped


def open_state(path: str) -> sqlite3.Connection:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    # One row per (key, verified hash): the first source that had it and its revision
    # number (1 = the key's first copy).
    db.execute("CREATE TABLE IF NOT EXISTS seen (oid TEXT NOT NULL, aid TEXT NOT NULL, "
               "hash TEXT NOT NULL, source TEXT NOT NULL, revision INTEGER NOT NULL, "
               "PRIMARY KEY (oid, aid, hash)) WITHOUT ROWID")
    db.commit()
    return db


def dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("inputs", nargs="+", metavar="INPUT")
    ap.add_argument("--state", required=True, help="sqlite3 database of seen keys")
    ap.add_argument("--out", required=True, help="NDJSON file of emitted articles")
    ap.add_argument("--quarantine", help="NDJSON file of quarantine records")
    ap.add_argument("--duplicates", help="NDJSON file of duplicate and revision records")
    ap.add_argument("--tz", default="+09:00")
    ap.add_argument("--max-file-size", type=int, default=64 << 20, metavar="BYTES")
    ap.add_argument("--commit-every", type=int, default=10000, metavar="N")
    a = ap.parse_args(argv)
    if not TZ.fullmatch(a.tz):
        ap.error("--tz must look like +09:00")

    started = time.monotonic()
    paths, skipped = list_sources(a.inputs)
    db = open_state(a.state)
    lookup = "SELECT hash, source, revision FROM seen WHERE oid = ? AND aid = ?"
    insert = "INSERT INTO seen (oid, aid, hash, source, revision) VALUES (?, ?, ?, ?, ?)"
    out = open(a.out, "w", encoding="utf-8", newline="\n", buffering=1 << 20)
    qf = open(a.quarantine, "w", encoding="utf-8", newline="\n") if a.quarantine else None
    df = open(a.duplicates, "w", encoding="utf-8", newline="\n") if a.duplicates else None
    counts = {"files": len(paths), "emitted": 0, "duplicates": 0, "revisions": 0,
              "quarantined": {}, "skipped": skipped}
    quarantined = counts["quarantined"]
    for n, path in enumerate(paths, 1):
        source = os.fsdecode(path)
        try:
            fm, text, digest = examine(path, a.max_file_size)
        except Bad as b:
            quarantined[b.reason] = quarantined.get(b.reason, 0) + 1
            if qf:
                rec = {"source": source, "reason": b.reason, "detail": b.detail}
                if b.ident is not None:
                    rec["id"] = b.ident
                qf.write(dumps(rec) + "\n")
            continue
        key = (fm["oid"], fm["aid"])
        known = db.execute(lookup, key).fetchall()
        if not known:
            db.execute(insert, (*key, digest, source, 1))
            out.write(dumps(make_record(fm, text, digest, source, a.tz)) + "\n")
            counts["emitted"] += 1
        else:
            first = next((src for h, src, _ in known if h == digest), None)
            if first is not None:
                kind = "duplicates"
            else:
                kind = "revisions"
                first = next(src for _, src, rev in known if rev == 1)
                db.execute(insert, (*key, digest, source, 1 + max(r for _, _, r in known)))
            counts[kind] += 1
            if df:
                df.write(dumps({"source": source, "id": fm["id"], "kind": kind[:-1],
                                "first_source": first, "content_hash": digest}) + "\n")
        if n % a.commit_every == 0:
            out.flush()
            db.commit()
    out.close()
    for f in (qf, df):
        if f:
            f.close()
    db.commit()
    db.close()
    counts["quarantined"] = {r: quarantined[r] for r in REASONS if r in quarantined}
    counts["quarantined_total"] = sum(quarantined.values())
    counts["seconds"] = round(time.monotonic() - started, 3)
    sys.stderr.write(dumps(counts) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
