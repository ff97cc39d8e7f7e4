#!/usr/bin/env python3
"""Deterministic generator of crawl-dump corpora with an oracle manifest (FORMAT.md).

    python3 tools/gen_corpus.py --out DIR [--seed N] [--valid N] [--size BYTES] [--mix]
        [--max-file-size BYTES] [--tz +09:00] [--manifest FILE | --no-manifest] [--oid-base N]
    python3 tools/gen_corpus.py --check DIR [--manifest FILE]   # verify DIR against its manifest
    python3 tools/gen_corpus.py --self-test                     # generate, check, determinism, real seeds

What it does: writes article files in exactly the FORMAT.md §1 layout of the real seed (front
matter, header block, separator, HTML-escaped body, last separator, footer) and a manifest
giving the known outcome of every file, computed from the intended logical values (never by
parsing the written files back) and by simulating the pipeline in byte-wise path order.

- ``--valid N`` plain valid articles with distinct (oid, aid) keys, ~``--size`` bytes of
  HTML-escaped Korean news-like body each, under ``articles/NNNN/NNNNNNN_<hex>.txt`` (1000 per
  directory).  Keys: oid = oid_base + i % 16 (3 digits), aid = 10 digits.  With the default
  --size, 100,000 articles take a few seconds plus disk time.
- ``--mix`` adds, under ``mix/`` (which sorts after ``articles/``), one or more files of every
  other kind: duplicates, revisions, every quarantine reason of FORMAT.md §2 (also with two
  reasons at once), valid edge cases (BOM, CRLF, continuation lines, quoted values, empty
  values, extra keys, dates...), byte-order traps, plus skipped non-.txt files and symlinks.
  Mix keys use oids oid_base+16 and oid_base+17 (and "0" + that, for the leading-zero case),
  so corpora whose --oid-base differ by >= 20 have disjoint keys.  Mix bodies are short (~1 KB) whatever --size is.  The mix content does
  not depend on --valid (except the one duplicate of the first bulk article, when --valid > 0).
- Files bigger than --max-file-size (default 100000, to be passed to the binary) are
  ``too_large`` in the manifest whatever else they are.
- The manifest is written to --manifest, default ``<parent of DIR>/<basename of DIR>.manifest.json``
  (outside DIR, so it is not part of the input).

Promises: same arguments -> byte-identical files and manifest (seeded random.Random, no clock,
no absolute paths).  DIR must not exist or be empty.  Standard library only (Python 3.11).

Manifest schema (one JSON object; "files" has one entry per line, keys in processing order,
i.e. the relative paths sorted as bytes; skipped files are listed after the articles):

  {"format": "crawl-ingest-corpus-manifest/1",
   "params": {"seed", "valid", "size", "mix", "max_file_size", "tz", "oid_base"},
   "files": {
     "<path relative to DIR>": {
        "case": "<label of the generated case>",
        "outcome": "emitted" | "duplicate" | "revision" | "quarantined" | "skipped",
        "reason": "<FORMAT.md §2 reason>",                    # quarantined only
        "oid", "aid", "id": "<strings>",                      # the key the file carries,
                   # when it has a well-formed one (also for quarantined files, even where the
                   # pipeline stops before reading it); id is always oid + "_" + aid
        "content_hash": "<lowercase hex>",                    # emitted / duplicate / revision
        "first_source": "<relative path>",                    # duplicate: first copy with the
                   # same hash (for a copy of a revision, that revision); revision: the key's
                   # first copy
        "revision": 2,                                         # revision only
        "record": {id, oid, aid, url, title, publisher, author, category, published_at,
                   crawled_at, content_hash, text, source, revision?, extra?},
                   # emitted, and revision (as with --revisions emit); source = relative path
        "stored_hash", "computed_hash": "<hex>",              # hash_mismatch only
        "symlink": "<link target>"                            # symlinks only
     }, ...},
   "counts": {"files": <article files, skipped not included>, "emitted", "duplicates",
              "revisions", "quarantined": {"<reason>": n, ... nonzero, table order},
              "skipped"}}

Date outputs in records follow these decisions: naive -> the --tz offset; an explicit offset
is kept as written; "Z" is written "+00:00" (only mix/valid/dates_offsets.txt depends on the
last two).  --check and --self-test read the files back with tools/reference_ingest.py, an
independent plain reader of FORMAT.md, and compare every file's outcome with the manifest.
"""

from __future__ import annotations

import argparse
import datetime as dt
import glob
import hashlib
import html
import json
import multiprocessing
import os
import random
import re
import shutil
import sys
import tempfile

FORMAT_ID = "crawl-ingest-corpus-manifest/1"
REASONS = ("unreadable", "too_large", "empty_file", "invalid_utf8", "no_front_matter",
           "bad_front_matter", "bad_key", "id_mismatch", "missing_hash", "bad_hash",
           "no_body", "empty_body", "hash_mismatch")
RECORD_KEYS = ("id", "oid", "aid", "url", "title", "publisher", "author", "category",
               "published_at", "crawled_at", "content_hash", "text")

# The crawler's template escaping (FORMAT.md §1).
_ESC = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;",
                      "=": "&#x3D;", "`": "&#x60;"})


def esc(s: str) -> str:
    return s.translate(_ESC)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- text material

NOUNS = ("정부", "기업", "시장", "투자", "반도체", "인공지능", "데이터", "플랫폼", "소비자", "수출",
         "금리", "물가", "정책", "국회", "대통령실", "교육", "의료", "지역", "청년", "일자리", "기술",
         "연구원", "위원회", "은행", "증시", "환율", "부동산", "에너지", "배터리", "자동차", "통신",
         "보안", "기후", "환경", "문화", "스포츠", "관광", "산업", "경제", "공급망", "모델", "파라미터",
         "컨소시엄", "정예팀", "발표회", "과기정통부", "스타트업", "클라우드", "생태계", "규제")
PARTICLES = ("은", "는", "이", "가", "을", "를", "의", "에", "에서", "으로", "와", "과", "도", "만")
ADVERBS = ("올해", "내년", "지난해", "최근", "이날", "현재", "향후", "약", "총", "전년 대비", "다만",
           "특히", "한편", "이에 따라")
ENDINGS = ("밝혔다", "전망이다", "강조했다", "설명했다", "발표했다", "예상된다", "나타났다", "확대한다",
           "추진한다", "검토하고 있다", "기록했다", "증가했다", "감소했다", "합의했다", "선보인다",
           "계획이다", "평가된다")
LATIN = ("AI", "GPU", "LLM", "SKT", "LG", "NC", "API", "OECD", "ESG", "K-콘텐츠", "5G", "6G",
         "HBM", "IPO", "CEO", "R&D", "M&A", "B2B", "Q3", "A.X K1", "EXAONE", "Solar", "open-source")
FAMILY = ("김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오")
GIVEN = ("민준", "서연", "지훈", "하은", "도윤", "수빈", "예준", "지민", "현우", "소윤", "인영", "태희")
ROMAN = ("mj", "sy", "jh", "he", "dy", "sb", "yj", "jm", "hw", "syn", "iy", "th")
DOMAINS = ("dailian.co.kr", "yna.co.kr", "hankyung.com", "mk.co.kr", "news1.kr", "etnews.com")
PUBLISHERS = ("데일리안", "연합뉴스", "한국경제", "매일경제", "조선일보", "중앙일보", "동아일보",
              "한겨레", "경향신문", "뉴스1", "머니투데이", "전자신문", "KBS", "MBC", "SBS",
              "M&M 뉴스")
CATEGORIES = ("정치", "경제", "사회", "IT/과학", "세계", "생활/문화", None, None)
N_BULK_OIDS = 16
SHARD = 1000  # bulk articles per directory (and per unit of parallel work)


class Text:
    """Sentence / paragraph material; all logical (unescaped) text, single-spaced."""

    def __init__(self, seed: int):
        rng = random.Random(seed * 7919 + 17)
        self.sentences = [self.sentence(rng) for _ in range(4000)]
        self.paras = []  # (escaped, logical, escaped utf-8 length)
        for _ in range(800):
            p = self.paragraph(rng)
            e = esc(p)
            self.paras.append((e, p, len(e.encode("utf-8"))))

    @staticmethod
    def number(rng: random.Random) -> str:
        r = rng.randrange(6)
        n = rng.randrange(1, 1000)
        return (f"{n}%", f"{n}억원", f"{n * 37:,}명", f"{n % 100}.{rng.randrange(10)}%",
                f"{n % 28 + 1}일", f"{n % 12 + 1}월")[r]

    @staticmethod
    def special(rng: random.Random) -> str:
        n1, n2 = rng.choice(NOUNS), rng.choice(NOUNS)
        a, b = rng.randrange(1, 99), rng.randrange(100, 999)
        r = rng.randrange(12)
        return ("'" + n1 + "'", '"' + n1 + " " + n2 + '"', f"{rng.choice(LATIN)}&{rng.choice(LATIN)}",
                f"{a}<{b}", f"{b}>{a}", f"{rng.choice(LATIN)}={a}", f"`{rng.choice(LATIN)}`",
                f"‘{n1}’", f"{n1}·{n2}", f"{a}∼{b}억원", f"{n1}…", f"({n1}&{n2})")[r]

    def sentence(self, rng: random.Random) -> str:
        parts = []
        for _ in range(rng.randint(3, 9)):
            r = rng.random()
            if r < 0.55:
                parts.append(rng.choice(NOUNS) + rng.choice(PARTICLES))
            elif r < 0.68:
                parts.append(rng.choice(ADVERBS))
            elif r < 0.80:
                parts.append(self.number(rng))
            elif r < 0.88:
                parts.append(rng.choice(LATIN))
            else:
                parts.append(self.special(rng))
        parts.append(rng.choice(ENDINGS) + ".")
        return " ".join(parts)

    def paragraph(self, rng: random.Random) -> str:
        sep = rng.choice((" ", " ", ""))
        return sep.join(self.sentence(rng) for _ in range(rng.randint(2, 7)))

    def title(self, rng: random.Random) -> str:
        n1, n2, n3 = rng.choice(NOUNS), rng.choice(NOUNS), rng.choice(NOUNS)
        lat, lat2 = rng.choice(LATIN), rng.choice(LATIN)
        k = rng.randrange(2, 30)
        r = rng.randrange(7)
        return (f"'{n1} {lat}' {n2} 베일 벗는다…정예 {k}팀 {n3} 경쟁 돌입",
                f"{n1}·{n2} \"{n3}\" 논란…{lat} 입장은?",
                f"[단독] {n1} {k * 100}억원 돌파, {n2} {rng.choice(ENDINGS)}",
                f"{lat}&{lat2} 시장 {k}% 성장…'{n1}' 주목",
                f"{n1} <{n2}> 공개 = {n3} 새 기준",
                f"`{lat}` 도입한 {n1}, {n2} 효과는",
                f"{n1} {n2} {k}년 만에 최대")[r]

    def person(self, rng: random.Random) -> tuple[str, str]:
        i = rng.randrange(len(GIVEN))
        name = rng.choice(FAMILY) + GIVEN[i]
        email = f"{ROMAN[i]}{rng.randrange(100, 9999)}@{rng.choice(DOMAINS)}"
        return name, email

    def body(self, rng: random.Random, target: int, lead: str, dashes: bool) -> tuple[str, str]:
        """(escaped body, logical text) of about `target` escaped bytes."""
        esc_parts, parts = [esc(lead)], [lead]
        size = len(esc_parts[0].encode("utf-8"))
        paras = self.paras
        while size < target:
            for e, p, n in rng.choices(paras, k=8):
                esc_parts.append(e)
                parts.append(p)
                size += n + 2
                if size >= target:
                    break
        if dashes and len(parts) >= 2:
            k = rng.randrange(1, len(parts))
            esc_parts.insert(k, "---")
            parts.insert(k, "---")
        return "\n\n".join(esc_parts), "\n\n".join(parts)


# --------------------------------------------------------------------------- articles

def make_record(a: dict) -> dict:
    """Expected output record (without source) from an article's logical values."""
    rec = {k: a.get(k) for k in RECORD_KEYS}
    rec["id"] = f"{a['oid']}_{a['aid']}"
    rec["published_at"] = a["pub_out"]
    rec["crawled_at"] = a["crawl_out"]
    rec["content_hash"] = a["hash"]
    rec["text"] = a["text"].strip()
    if a.get("extra"):
        rec["extra"] = dict(a["extra"])
    return rec


def fm_entries(a: dict) -> list[list]:
    """The front matter of an article as [[key, [line, ...]], ...] in the seed's order."""
    fm = []
    if a.get("id_line", True):
        fm.append(["id", [f"id: {a['oid']}_{a['aid']}"]])
    fm.append(["title", [f'title: "{esc(a["title"])}"']])
    fm.append(["category", [f"category: {esc(a['category']) if a['category'] else ''}"]])
    fm.append(["publisher", [f"publisher: {esc(a['publisher'])}"]])
    style = a.get("author_style", "plain")
    if a.get("author") is None:
        fm.append(["author", ["author: "]])
    elif style == "seed":
        fm.append(["author", ["author: ", "\t\t", "\t\t\t" + esc(a["author"]), "\t\t", "\t"]])
    else:
        fm.append(["author", [f"author: {esc(a['author'])}"]])
    fm.append(["published_at", [f"published_at: {a['pub_raw']}"]])
    fm.append(["crawled_at", [f"crawled_at: {a['crawl_raw']}"]])
    fm.append(["url", [f"url: {a['url']}"]])
    fm.append(["oid", [f"oid: {a['oid']}"]])
    fm.append(["aid", [f"aid: {a['aid']}"]])
    fm.append(["content_hash", [f"content_hash: {a.get('stored', a['hash'])}"]])
    return fm


def render(a: dict, fm: list | None = None, body: str | None = None, nl: str = "\n",
           bom: bool = False, footer: bool = True) -> bytes:
    """The article in the seed's layout. `body` is the raw (already escaped) body text."""
    if fm is None:
        fm = fm_entries(a)
    lines = ["---"]
    for _, ls in fm:
        lines.extend(ls)
    lines.append("---")
    t = esc(a["title"]) if a.get("title") else ""
    p = esc(a["publisher"]) if a.get("publisher") else ""
    lines += ["", f"# {t}", "", f"**{p}** | {a.get('pub_raw') or ''} | ", "", "---", "",
              a["body"] if body is None else body, "", "---"]
    if footer:
        lines += ["", f"*Crawled at: {a.get('crawl_raw') or ''}*",
                  f"*Source: [원문 보기]({a.get('url') or ''})*", ""]
    s = nl.join(lines)
    return (b"\xef\xbb\xbf" if bom else b"") + s.encode("utf-8")


class Generator:
    def __init__(self, args):
        self.args = args
        self.tz = args.tz
        self.text = Text(args.seed)
        self.base = args.oid_base
        self.with_manifest = bool(args.manifest_path)

    # -- logical values --------------------------------------------------------------
    def dates(self, rng: random.Random) -> dict:
        t = dt.datetime(2025, 1, 1) + dt.timedelta(minutes=rng.randrange(365 * 24 * 60))
        c = t + dt.timedelta(seconds=rng.randrange(60, 4 * 3600))
        return {"pub_raw": t.strftime("%Y-%m-%d %H:%M"),
                "pub_out": t.strftime("%Y-%m-%dT%H:%M:00") + self.tz,
                "crawl_raw": c.strftime("%Y-%m-%d %H:%M:%S"),
                "crawl_out": c.strftime("%Y-%m-%dT%H:%M:%S") + self.tz}

    def article(self, rng: random.Random, oid: str, aid: str, body_size: int,
                publisher: str | None = None, dashes: bool = False) -> dict:
        tx = self.text
        name, email = tx.person(rng)
        if publisher is None:
            publisher = rng.choice(PUBLISHERS)
        r = rng.random()
        author = None if r < 0.15 else f"{name} 기자 ({email})" if r < 0.8 else f"{name} 기자"
        lead = (f"[{publisher} = {name} 기자] {tx.sentences[rng.randrange(4000)]}"
                f" (기사번호 {oid}-{aid})")
        body, text = tx.body(rng, body_size, lead, dashes)
        a = {"oid": oid, "aid": aid, "title": tx.title(rng), "publisher": publisher,
             "author": author, "author_style": "seed" if rng.random() < 0.5 else "plain",
             "category": rng.choice(CATEGORIES),
             "url": f"https://n.news.naver.com/mnews/article/{oid}/{aid}",
             "body": body, "text": text, "hash": sha(text.strip())}
        a.update(self.dates(rng))
        return a

    # -- bulk ------------------------------------------------------------------------
    def bulk_shard(self, shard: int) -> tuple[str, dict, list]:
        """Writes articles shard*1000 .. shard*1000+999 of --valid into articles/<shard>/.

        Each shard has its own random stream (seeded by --seed and the shard number), so the
        result does not depend on how shards are spread over processes.  Returns the shard's
        manifest entries (a temporary file of ",\n"-separated JSON, or None), its counts and, for shard 0, the first
        article as (relpath, bytes, article, emitted?) for the mix to duplicate.
        """
        args = self.args
        rng = random.Random(f"bulk:{args.seed}:{shard}")
        lo, hi = shard * SHARD, min(args.valid, (shard + 1) * SHARD)
        n_width = max(7, len(str(max(args.valid - 1, 0))))
        d = f"articles/{shard:04d}"
        os.makedirs(os.path.join(args.out, d), exist_ok=True)
        chunks, keep = [], []
        counts = {"emitted": 0, "too_large": 0}
        for i in range(lo, hi):
            oid = f"{self.base + i % N_BULK_OIDS:03d}"
            aid = f"{1000000 + i // N_BULK_OIDS:010d}"
            a = self.article(rng, oid, aid, args.size, PUBLISHERS[i % N_BULK_OIDS],
                             dashes=rng.random() < 0.03)
            rel = f"{d}/{i:0{n_width}d}_{rng.getrandbits(64):016x}.txt"
            data = render(a)
            with open(os.path.join(args.out, rel), "wb") as f:
                f.write(data)
            if len(data) > args.max_file_size:
                entry = {"case": "valid/bulk", "outcome": "quarantined", "reason": "too_large",
                         "oid": oid, "aid": aid, "id": f"{oid}_{aid}"}
                counts["too_large"] += 1
            else:
                rec = make_record(a)
                rec["source"] = rel
                entry = {"case": "valid/bulk", "outcome": "emitted", "oid": oid, "aid": aid,
                         "id": rec["id"], "content_hash": a["hash"], "record": rec}
                counts["emitted"] += 1
            if self.with_manifest:
                chunks.append(_dumps(rel) + ":" + _dumps(entry))
            if i == 0:
                keep.append((rel, data, a, entry["outcome"] == "emitted"))
        part = None
        if chunks:
            part = f"{args.manifest_path}.part{shard:05d}"
            with open(part, "w", encoding="utf-8", newline="\n") as f:
                f.write(",\n".join(chunks))
        return part, counts, keep

    # -- mix -------------------------------------------------------------------------
    def mix(self, bulk_first) -> list[dict]:
        """All --mix cases as dicts: path, data|symlink, case, verdict."""
        args = self.args
        rng = random.Random(args.seed * 1000003 + 7)
        cases: list[dict] = []
        aid_counter = [0]
        moid = [f"{self.base + N_BULK_OIDS + k:03d}" for k in range(4)]

        def key(oid_index=0):
            aid_counter[0] += 1
            return moid[oid_index], f"{9000000 + aid_counter[0]:010d}"

        def art(oid=None, aid=None, **over):
            if oid is None:
                oid, aid = key()
            a = self.article(rng, oid, aid, 900)
            a.update(over)
            if "text" in over and "body" not in over:
                a["body"] = esc(over["text"])
            if "text" in over:
                a["hash"] = sha(a["text"].strip())
            return a

        def valid(path, a, data=None, case=None, record=None):
            rec = record if record is not None else make_record(a)
            cases.append({"path": path, "data": render(a) if data is None else data,
                          "case": case or "valid/" + os.path.basename(path)[:-4],
                          "verdict": "valid", "oid": a["oid"], "aid": a["aid"],
                          "hash": rec["content_hash"], "record": rec})

        def bad(path, reason, data, a=None, case=None, **info):
            c = {"path": path, "data": data, "case": case or f"quarantine/{reason}",
                 "verdict": reason}
            if a is not None:
                c["oid"], c["aid"] = a["oid"], a["aid"]
            c.update(info)
            cases.append(c)

        def fm_set(fm, k, lines):
            for e in fm:
                if e[0] == k:
                    e[1] = lines
                    return fm
            raise KeyError(k)

        def fm_drop(fm, k):
            return [e for e in fm if e[0] != k]

        def fm_after(fm, k, entry):
            i = [e[0] for e in fm].index(k)
            return fm[:i + 1] + [entry] + fm[i + 1:]

        # ---------------- valid edge cases (all emitted) ----------------
        V = "mix/valid/"
        a = art()
        valid(V + "bom.txt", a, render(a, bom=True))
        a = art()
        valid(V + "crlf.txt", a, render(a, nl="\r\n"))
        a = art(author="조인영 기자 (ciy8100@dailian.co.kr)", author_style="seed")
        fm = fm_entries(a)
        fm_set(fm, "publisher", ["publisher: 한국", "  경제", "\t신문"])
        fm_set(fm, "title", [f"title: {esc('첫 줄 제목')}", "\t둘째 줄 = 계속"])
        a["publisher"], a["title"] = "한국 경제 신문", "첫 줄 제목 둘째 줄 = 계속"
        valid(V + "continuation.txt", a, render(a, fm))
        a = art()
        fm = fm_after(fm_entries(a), "url", ["(empty line)", [""]])
        valid(V + "fm_blank_line.txt", a, render(a, fm), case="valid/fm_empty_line_is_continuation")
        a = art()
        fm = fm_entries(a)
        fm_set(fm, "title", ['title: "a \\"b\\" \\u00e9 \\\\ \\t탭 \\x41&#x27;"'])
        fm_set(fm, "publisher", ["publisher: 'it''s 뉴스'"])
        fm_set(fm, "author", ['author: "  여러   칸  \\n 기자 "'])
        fm_set(fm, "category", ["category: '&#x27;따옴표&#x27; 분류'"])
        a.update(title="a \"b\" é \\ 탭 A'", publisher="it's 뉴스", author="여러 칸 기자",
                 category="'따옴표' 분류")
        valid(V + "quoted.txt", a, render(a, fm))
        a = art()
        fm = fm_entries(a)
        fm_set(fm, "category", ['category: ""'])
        fm_set(fm, "publisher", ["publisher: ''"])
        fm_set(fm, "author", ['author: "   "'])
        a.update(category=None, publisher=None, author=None)
        valid(V + "quoted_empty.txt", a, render(a, fm), case="valid/quoted_empty_is_null")
        a = art()
        fm = fm_entries(a)
        fm_set(fm, "category", ["category:"])
        fm_set(fm, "author", ["author: ", "\t", "  ", "\t\t"])
        fm_set(fm, "url", ["url:    "])
        a.update(category=None, author=None, url=None)
        valid(V + "empty_values.txt", a, render(a, fm))
        a = art()
        fm = fm_entries(a)
        fm = fm_after(fm, "category", ["section_id", ["section_id: 105"]])
        fm = fm_after(fm, "author", ["reporter", ['reporter: "홍길동 &amp; 김철수"']])
        fm = fm_after(fm, "url", ["tags", ["tags: 정치, 국회", "\t예산 &#x3D; 656조"]])
        a["extra"] = {"section_id": "105", "reporter": "홍길동 & 김철수",
                      "tags": "정치, 국회 예산 = 656조"}
        valid(V + "extra_keys.txt", a, render(a, fm))
        a = art(id_line=False)
        valid(V + "id_absent.txt", a)
        oid, aid = key()
        mtext = "최소한의 기사 본문 & <태그> 'x' = `y`"
        data = ("---\noid: %s\naid: %s\ncontent_hash: %s\n---\n---\n%s\n---\n"
                % (oid, aid, sha(mtext), esc(mtext))).encode()
        valid(V + "minimal.txt", {"oid": oid, "aid": aid}, data,
              record={"id": f"{oid}_{aid}", "oid": oid, "aid": aid, "url": None,
                      "title": None, "publisher": None, "author": None, "category": None,
                      "published_at": None, "crawled_at": None,
                      "content_hash": sha(mtext), "text": mtext})
        a = art()
        fm = fm_entries(a)
        fm_set(fm, "published_at", ["published_at: 2025-12-30T08:15"])
        fm_set(fm, "crawled_at", ["crawled_at: 2025-12-30 08:20:05+09:00"])
        a.update(pub_raw="2025-12-30T08:15", crawl_raw="2025-12-30 08:20:05+09:00",
                 pub_out="2025-12-30T08:15:00" + self.tz,
                 crawl_out="2025-12-30T08:20:05+09:00")
        valid(V + "dates_formats.txt", a, render(a, fm), case="valid/dates_T_no_seconds_explicit_kst")
        a = art()
        fm = fm_entries(a)
        fm_set(fm, "published_at", ["published_at: 2025-12-29T15:00:00Z"])
        fm_set(fm, "crawled_at", ["crawled_at: 2025-12-30 01:02:03-05:00"])
        a.update(pub_raw="2025-12-29T15:00:00Z", crawl_raw="2025-12-30 01:02:03-05:00",
                 pub_out="2025-12-29T15:00:00+00:00", crawl_out="2025-12-30T01:02:03-05:00")
        valid(V + "dates_offsets.txt", a, render(a, fm),
              case="valid/dates_explicit_offsets (decision: kept as written, Z as +00:00)")
        a = art()
        fm = fm_entries(a)
        fm_set(fm, "published_at", ["published_at: 어제 오후 3시"])
        fm_set(fm, "crawled_at", ["crawled_at: 2025-02-30 10:00:00"])
        a.update(pub_raw="어제 오후 3시", crawl_raw="2025-02-30 10:00:00", pub_out=None,
                 crawl_out=None, extra={"published_at": "어제 오후 3시",
                                        "crawled_at": "2025-02-30 10:00:00"})
        valid(V + "dates_unparseable.txt", a, render(a, fm))
        a = art()
        a["stored"] = a["hash"].upper()
        valid(V + "uppercase_hash.txt", a)
        a = art()
        t = a["text"].split("\n\n")
        t = t[:1] + ["---", "절취선 아래 문단 ---", " ---", "--- ", "----", "- - -"] + t[1:] + ["---", "끝."]
        a = art(a["oid"], a["aid"], text="\n\n".join(t))
        valid(V + "body_dashes.txt", a, case="valid/body_contains_separator_lines")
        oid, aid = key()
        raw_body = ("&nbsp;앞뒤 공백&nbsp\n\nAT&amp;T &copy2024 &notit; &notin; &#x80; &#0; "
                    "&#xD800; &#1114112; &lt &gt; &AMP; &#X41;&#65 &ampx &#x27;&#39; &unknown; "
                    "&#x3D;&#x60;&quot;\n\n&#x3000;")
        etext = ("앞뒤 공백\xa0\n\nAT&T ©2024 ¬it; ∉ € \ufffd \ufffd \ufffd < > & AA &x '' "
                 "&unknown; =`\"")
        assert html.unescape(raw_body).strip() == etext
        a = art(oid, aid, title="<속보> \"A&B\" `x` = 'y'")
        a.update(body=raw_body, text=etext, hash=sha(etext),
                 url=f"https://n.news.naver.com/mnews/article/{oid}/{aid}?sid=105&m=1")
        fm = fm_entries(a)
        fm_set(fm, "url", ["url: " + esc(a["url"])])
        valid(V + "entities.txt", a, render(a, fm), case="valid/html_unescape_edge_cases")
        a = art()
        data = render(a, footer=False)  # ends with the last "---", no newline, no footer
        assert data.endswith(b"\n---")
        valid(V + "no_trailing_newline.txt", a, data, case="valid/no_footer_no_trailing_newline")
        a = art()
        base = render(a)
        if len(base) + 2 <= args.max_file_size:
            pad = args.max_file_size - len(base)
            valid(V + "exact_max_size.txt", a, base + b"x" * (pad - 1) + b"\n",
                  case="valid/size_equals_max_file_size")
        oid = f"0{moid[1]}"
        a = art(oid, "0000000123")
        valid(V + "leading_zeros_a.txt", a, case="valid/leading_zeros_are_part_of_key")
        a = art(oid, "123")
        valid(V + "leading_zeros_b.txt", a, case="valid/leading_zeros_are_part_of_key")
        a = art()
        valid(V + "한글/기사.txt", a, case="valid/non_ascii_path")
        a = art()
        valid(V + "deep/1/2/3/nested.txt", a, case="valid/nested_directories")

        # ---------------- dedup story (one key) ----------------
        D = "mix/dedup/"
        orig = art()
        odata = render(orig)
        valid(D + "10_original.txt", orig, odata, case="dedup/original")
        valid(D + "20_exact_copy.txt", orig, odata, case="dedup/exact_copy")
        valid(D + "30_crlf_copy.txt", orig, render(orig, nl="\r\n"), case="dedup/crlf_copy_same_hash")
        other = dict(orig)
        other.update(title="제목만 바뀐 재수집", crawl_raw="2025-12-31 09:00:00",
                     crawl_out="2025-12-31T09:00:00" + self.tz)
        valid(D + "40_other_metadata.txt", other, case="dedup/same_body_other_metadata")
        rev = art(orig["oid"], orig["aid"], text=orig["text"] + "\n\n[정정] 기사 일부를 수정했습니다.")
        valid(D + "50_revision.txt", rev, case="dedup/revision")
        valid(D + "60_revision_copy.txt", rev, render(rev), case="dedup/copy_of_revision")
        rev3 = art(orig["oid"], orig["aid"], text="완전히 새로 쓴 기사 = 세 번째 판 & 끝.")
        valid(D + "70_revision_3.txt", rev3, case="dedup/third_version")
        tampered = dict(orig)
        tampered["body"] = orig["body"].replace(".", "!", 1)
        tampered_text = orig["text"].replace(".", "!", 1)
        assert tampered_text != orig["text"]
        bad(D + "80_known_key_hash_mismatch.txt", "hash_mismatch", render(tampered), orig,
            case="dedup/known_key_stored_hash_of_original_but_body_changed",
            stored_hash=orig["hash"], computed_hash=sha(tampered_text.strip()))
        if bulk_first is not None:
            rel, data, ba, ok = bulk_first
            if ok:
                valid(D + "90_copy_of_bulk_article.txt", ba, data, case="dedup/copy_of_articles_file")

        # ---------------- byte-order traps ----------------
        O = "mix/order/"
        k2 = art()
        k3 = art()
        valid(O + "Z.txt", k3, case="order/uppercase_sorts_before_lowercase")
        valid(O + "a.txt", k3, render(k3), case="order/duplicate_of_Z")
        k2b = art(k2["oid"], k2["aid"], text=k2["text"] + "\n\n두 번째 판.")
        k2c = art(k2["oid"], k2["aid"], text=k2["text"] + "\n\n세 번째 판.")
        valid(O + "k-a.txt", k2, case="order/dash_sorts_before_dot")
        valid(O + "k.txt", k2b, case="order/dot_sorts_before_slash")
        valid(O + "k/a.txt", k2c, case="order/subdir_after_same_named_file")
        k3b = art(k3["oid"], k3["aid"], text=k3["text"] + "\n\n한글 경로 판.")
        valid(O + "가.txt", k3b, case="order/utf8_name_sorts_after_ascii")

        # ---------------- quarantined first, valid later ----------------
        R = "mix/requeue/"
        k4 = art()
        full = render(k4)
        cut = full[:full.rindex(b"\n---\n") - 40]
        cut = cut[:cut.rindex(b"\n")] + b"\n"
        bad(R + "1_truncated.txt", "no_body", cut, k4, case="requeue/truncated_copy")
        wrong = dict(k4)
        wrong["stored"] = sha("다른 본문")
        bad(R + "2_hash_mismatch.txt", "hash_mismatch", render(wrong), k4,
            case="requeue/hash_mismatch_copy", stored_hash=wrong["stored"],
            computed_hash=k4["hash"])
        valid(R + "3_valid.txt", k4, full, case="requeue/first_valid_copy_is_emitted")
        valid(R + "4_copy.txt", k4, full, case="requeue/duplicate_of_emitted")

        # ---------------- one or more files per quarantine reason ----------------
        Q = "mix/quarantine/"
        cases.append({"path": Q + "unreadable_broken_symlink.txt", "symlink": "no-such-target.txt",
                      "case": "quarantine/unreadable_broken_symlink", "verdict": "unreadable"})
        cases.append({"path": Q + "unreadable_symlink_loop.txt",
                      "symlink": "unreadable_symlink_loop.txt",
                      "case": "quarantine/unreadable_symlink_loop", "verdict": "unreadable"})
        a = art()
        base = render(a)
        big = base + b"x" * max(0, args.max_file_size - len(base)) + b"\n"
        bad(Q + "too_large_by_one_byte.txt", "too_large", big, a,
            case="quarantine/too_large_max_plus_one")
        a = art()
        body = a["body"] + "\n\n" + "크기 " * (args.max_file_size // 7 + 300)
        data = render(a, body=body)
        i = data.index(b"\n---\n", data.index(b"# ")) + 6
        data = data[:i] + b"\xff" + data[i:]
        bad(Q + "too_large_and_invalid_utf8.txt", "too_large", data, a,
            case="quarantine/too_large_wins_over_invalid_utf8")
        bad(Q + "empty_file.txt", "empty_file", b"")
        a = art()
        data = render(a)
        i = data.rindex(b"\n---\n") - 10
        data = data[:i] + b"\xff" + data[i:]
        bad(Q + "invalid_utf8_ff_in_body.txt", "invalid_utf8", data, a)
        a = art()
        data = render(a).replace(b'title: "', b'title: "\xed\xa0\x80', 1)
        bad(Q + "invalid_utf8_surrogate_in_title.txt", "invalid_utf8", data, a,
            case="quarantine/invalid_utf8_encoded_surrogate")
        a = art()
        data = b"\xc0\xaf" + render(a)
        bad(Q + "invalid_utf8_overlong_and_no_front_matter.txt", "invalid_utf8", data, a,
            case="quarantine/invalid_utf8_wins_over_no_front_matter")
        a = art()
        data = render(a) + "끝".encode()[:2]
        bad(Q + "invalid_utf8_truncated_at_eof.txt", "invalid_utf8", data, a)
        a = art()
        data = render(a)
        bad(Q + "no_front_matter_markdown.txt", "no_front_matter",
            data[data.index(b"\n# ") + 1:], a, case="quarantine/no_front_matter_header_first")
        a = art()
        bad(Q + "no_front_matter_leading_blank_line.txt", "no_front_matter", b"\n" + render(a), a)
        bad(Q + "no_front_matter_bom_only.txt", "no_front_matter", b"\xef\xbb\xbf")
        a = art()
        lines = ["---"] + [ln for _, ls in fm_entries(a) for ln in ls]
        data = ("\n".join(lines) + "\n\n# " + esc(a["title"]) + "\n\n" + a["body"] + "\n").encode()
        bad(Q + "bad_front_matter_unterminated.txt", "bad_front_matter", data, a,
            case="quarantine/bad_front_matter_unterminated")
        a = art()
        fm = fm_entries(a)
        fm.append(["title", [f'title: "{esc(a["title"])} (2)"']])
        bad(Q + "bad_front_matter_duplicate_key.txt", "bad_front_matter", render(a, fm), a)
        a = art()
        fm = fm_after(fm_entries(a), "publisher", ["junk", ["이 줄은 키와 값이 아니다"]])
        bad(Q + "bad_front_matter_junk_line.txt", "bad_front_matter", render(a, fm), a,
            case="quarantine/bad_front_matter_neither_key_nor_continuation")
        a = art()
        fm = fm_drop(fm_entries(a), "aid")
        fm.append(["oid", [f"oid: {a['oid']}"]])
        bad(Q + "bad_front_matter_duplicate_oid_and_no_aid.txt", "bad_front_matter",
            render(a, fm), case="quarantine/bad_front_matter_wins_over_bad_key")
        a = art(id_line=False)
        bad(Q + "bad_key_oid_missing.txt", "bad_key", render(a, fm_drop(fm_entries(a), "oid")))
        a = art(id_line=False)
        bad(Q + "bad_key_oid_empty.txt", "bad_key",
            render(a, fm_set(fm_entries(a), "oid", ["oid: "])))
        a = art()
        aid = a["aid"][:-2] + "O" + a["aid"][-1]
        bad(Q + "bad_key_aid_non_digit.txt", "bad_key",
            render(a, fm_set(fm_set(fm_entries(a), "aid", [f"aid: {aid}"]), "id",
                             [f"id: {a['oid']}_{aid}"])))
        a = art()
        aid = a["aid"].translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        bad(Q + "bad_key_aid_fullwidth_digits.txt", "bad_key",
            render(a, fm_set(fm_set(fm_entries(a), "aid", [f"aid: {aid}"]), "id",
                             [f"id: {a['oid']}_{aid}"])))
        a = art(id_line=False)
        bad(Q + "bad_key_and_missing_hash.txt", "bad_key",
            render(a, fm_drop(fm_drop(fm_entries(a), "oid"), "content_hash")),
            case="quarantine/bad_key_wins_over_missing_hash")
        a = art()
        bad(Q + "id_mismatch_leading_zeros.txt", "id_mismatch",
            render(a, fm_set(fm_entries(a), "id", [f"id: {a['oid']}_{int(a['aid'])}"])), a)
        a = art()
        fm = fm_set(fm_entries(a), "id", [f"id: {a['oid']}_{int(a['aid']) + 1:010d}"])
        bad(Q + "id_mismatch_and_bad_hash.txt", "id_mismatch",
            render(a, fm_set(fm, "content_hash", [f"content_hash: {a['hash'][:63]}"])), a,
            case="quarantine/id_mismatch_wins_over_bad_hash")
        a = art()
        bad(Q + "missing_hash_absent.txt", "missing_hash",
            render(a, fm_drop(fm_entries(a), "content_hash")), a)
        a = art()
        bad(Q + "missing_hash_empty.txt", "missing_hash",
            render(a, fm_set(fm_entries(a), "content_hash", ["content_hash: "])), a)
        a = art()
        data = render(a, fm_drop(fm_entries(a), "content_hash"))
        data = data[:data.rindex(b"\n---\n") + 1]
        bad(Q + "missing_hash_and_no_body.txt", "missing_hash", data, a,
            case="quarantine/missing_hash_wins_over_no_body")
        a = art()
        bad(Q + "bad_hash_63_hex.txt", "bad_hash",
            render(a, fm_set(fm_entries(a), "content_hash", [f"content_hash: {a['hash'][1:]}"])), a)
        a = art()
        h = "g" + a["hash"][1:]
        bad(Q + "bad_hash_non_hex.txt", "bad_hash",
            render(a, fm_set(fm_entries(a), "content_hash", [f"content_hash: {h}"])), a)
        a = art()
        bad(Q + "bad_hash_and_empty_body.txt", "bad_hash",
            render(a, fm_set(fm_entries(a), "content_hash", ["content_hash: sha256:" + a["hash"]]),
                   body="   \n\n\t"), a, case="quarantine/bad_hash_wins_over_empty_body")
        a = art()
        data = render(a)
        data = data[:data.rindex(b"\n---\n") - 25]
        data = data[:data.rindex(b"\n")] + b"\n"
        bad(Q + "no_body_truncated_mid_body.txt", "no_body", data, a)
        a = art()
        lines = ["---"] + [ln for _, ls in fm_entries(a) for ln in ls] + ["---", ""]
        bad(Q + "no_body_front_matter_only.txt", "no_body", "\n".join(lines).encode(), a)
        a = art()
        a["stored"] = sha("")
        bad(Q + "empty_body_whitespace.txt", "empty_body", render(a, body=" \t \n\n   \n\t"), a)
        a = art()
        bad(Q + "empty_body_nbsp_ideographic_space.txt", "empty_body",
            render(a, body="&nbsp; &nbsp\n&#x3000;\u3000\xa0&#160;\n\n&#12288;"), a,
            case="quarantine/empty_body_after_unescape_and_strip")
        a = art()
        a["stored"] = sha("")
        data = render(a)
        i = data.index(b"\n---\n", data.index(b"\n# ")) + 5
        j = data.rindex(b"\n---\n") + 1
        bad(Q + "empty_body_adjacent_separators.txt", "empty_body", data[:i] + data[j:], a)
        a = art()
        wrong_text = a["text"].replace(" ", "  ", 1)
        assert wrong_text != a["text"]
        bad(Q + "hash_mismatch_changed_body.txt", "hash_mismatch",
            render(a, body=esc(wrong_text)), a, stored_hash=a["hash"],
            computed_hash=sha(wrong_text.strip()))
        a = art()
        a["stored"] = sha(a["body"].strip())
        assert a["stored"] != a["hash"]
        bad(Q + "hash_mismatch_hash_of_escaped_body.txt", "hash_mismatch", render(a), a,
            stored_hash=a["stored"], computed_hash=a["hash"])
        a = art()
        a["stored"] = sha("\n" + a["text"] + "\n")
        bad(Q + "hash_mismatch_hash_of_unstripped_body.txt", "hash_mismatch", render(a), a,
            stored_hash=a["stored"], computed_hash=a["hash"])

        # ---------------- skipped (not articles) ----------------
        for p, d in (("README.md", "# sample corpus\n\nGenerated by tools/gen_corpus.py.\n"),
                     ("x.json", '{"not": "an article"}\n'),
                     ("mix/skipped/notes.txt.bak", render(art()).decode()),
                     ("mix/skipped/data.csv", "oid,aid\n119,0003042504\n")):
            cases.append({"path": p, "data": d.encode(), "case": "skipped/" + p.split("/")[-1],
                          "verdict": "skipped"})
        return cases


# --------------------------------------------------------------------------- simulation

ENTRY_KEYS = ("case", "outcome", "reason", "oid", "aid", "id", "content_hash", "first_source",
              "revision", "stored_hash", "computed_hash", "symlink", "record")


def _ordered(e: dict) -> dict:
    assert set(e) <= set(ENTRY_KEYS), set(e) - set(ENTRY_KEYS)
    return {k: e[k] for k in ENTRY_KEYS if k in e}


def simulate(cases: list[dict], seen: dict, max_size: int) -> list[tuple[str, dict]]:
    """Outcome of every mix case, in byte-wise path order, continuing from `seen`."""
    out = []
    arts = sorted((c for c in cases if c["verdict"] != "skipped"),
                  key=lambda c: c["path"].encode("utf-8"))
    for c in arts:
        e = {"case": c["case"]}
        if "symlink" in c:
            e["symlink"] = c["symlink"]
        verdict = c["verdict"]
        if "data" in c and len(c["data"]) > max_size:
            verdict = "too_large"
        if verdict != "valid":
            e["outcome"] = "quarantined"
            e["reason"] = verdict
            if "oid" in c:
                e["oid"], e["aid"], e["id"] = c["oid"], c["aid"], f"{c['oid']}_{c['aid']}"
            if verdict == "hash_mismatch":
                e["stored_hash"], e["computed_hash"] = c["stored_hash"], c["computed_hash"]
            out.append((c["path"], _ordered(e)))
            continue
        k = (c["oid"], c["aid"])
        e.update(oid=c["oid"], aid=c["aid"], id=f"{c['oid']}_{c['aid']}")
        rec = dict(c["record"])
        extra = rec.pop("extra", None)
        rec["source"] = c["path"]
        st = seen.get(k)
        if st is None:
            seen[k] = [c["path"], {c["hash"]: c["path"]}]
            e.update(outcome="emitted", content_hash=c["hash"])
        elif c["hash"] in st[1]:
            e.update(outcome="duplicate", content_hash=c["hash"], first_source=st[1][c["hash"]])
            rec = None
        else:
            st[1][c["hash"]] = c["path"]
            n = len(st[1])
            e.update(outcome="revision", content_hash=c["hash"], first_source=st[0], revision=n)
            rec["revision"] = n
        if rec is not None:
            if extra:
                rec["extra"] = extra
            e["record"] = rec
        out.append((c["path"], _ordered(e)))
    for c in sorted((c for c in cases if c["verdict"] == "skipped"),
                    key=lambda c: c["path"].encode("utf-8")):
        out.append((c["path"], {"case": c["case"], "outcome": "skipped"}))
    return out


def _dumps(o) -> str:
    return json.dumps(o, ensure_ascii=False, separators=(",", ":"))


_WORKER = None


def _bulk_shard(shard: int):
    return _WORKER.bulk_shard(shard)


def generate(args) -> dict:
    out = args.out
    if os.path.lexists(out) and (not os.path.isdir(out) or os.listdir(out)):
        raise SystemExit(f"gen_corpus: {out} exists and is not an empty directory")
    os.makedirs(out, exist_ok=True)
    params = {"seed": args.seed, "valid": args.valid, "size": args.size, "mix": args.mix,
              "max_file_size": args.max_file_size, "tz": args.tz, "oid_base": args.oid_base}
    counts = {"files": 0, "emitted": 0, "duplicates": 0, "revisions": 0, "quarantined": {},
              "skipped": 0}
    mf = None
    if args.manifest_path:
        mdir = os.path.dirname(os.path.abspath(args.manifest_path))
        os.makedirs(mdir, exist_ok=True)
        mf = open(args.manifest_path, "w", encoding="utf-8", newline="\n")
        mf.write('{"format":%s,\n"params":%s,\n"files":{' % (_dumps(FORMAT_ID), _dumps(params)))
    first = [True]

    def emit(rel, entry):
        o = entry["outcome"]
        if o == "skipped":
            counts["skipped"] += 1
        else:
            counts["files"] += 1
            if o == "quarantined":
                q = counts["quarantined"]
                q[entry["reason"]] = q.get(entry["reason"], 0) + 1
            else:
                counts[{"emitted": "emitted", "duplicate": "duplicates",
                        "revision": "revisions"}[o]] += 1
        if mf:
            mf.write(("\n" if first[0] else ",\n") + _dumps(rel) + ":" + _dumps(entry))
            first[0] = False

    g = Generator(args)
    keep = []
    shards = range((args.valid + SHARD - 1) // SHARD)
    jobs = max(1, min(args.jobs or os.cpu_count() or 1, len(shards)))
    if jobs > 1:
        global _WORKER
        _WORKER = g
        pool = multiprocessing.get_context("fork").Pool(jobs)
        results = pool.imap(_bulk_shard, shards)
    else:
        pool, results = None, map(g.bulk_shard, shards)
    for part, c, k in results:
        keep.extend(k)
        counts["files"] += c["emitted"] + c["too_large"]
        counts["emitted"] += c["emitted"]
        if c["too_large"]:
            q = counts["quarantined"]
            q["too_large"] = q.get("too_large", 0) + c["too_large"]
        if part:
            mf.write("\n" if first[0] else ",\n")
            first[0] = False
            mf.flush()
            with open(part, "rb") as f:
                shutil.copyfileobj(f, mf.buffer, 1 << 20)
            os.unlink(part)
    if pool:
        pool.close()
        pool.join()
    if args.mix:
        seen = {}
        if args.valid:  # the bulk keys are all distinct and emitted unless too large
            rel, data, a, ok = keep[0]
            if ok:
                seen[(a["oid"], a["aid"])] = [rel, {a["hash"]: rel}]
        cases = g.mix(keep[0] if keep else None)
        paths = [c["path"] for c in cases]
        assert len(set(paths)) == len(paths), "duplicate case path"
        if keep:
            last_bulk = f"articles/{(args.valid - 1) // 1000:04d}/~"
            assert all(p.encode() > last_bulk.encode() for p in paths if p.endswith(".txt")), \
                "mix article sorts before a bulk article"
        for c in cases:
            full = os.path.join(out, c["path"])
            os.makedirs(os.path.dirname(full), exist_ok=True)
            if "symlink" in c:
                os.symlink(c["symlink"], full)
            else:
                with open(full, "wb") as f:
                    f.write(c["data"])
        for rel, entry in simulate(cases, seen, args.max_file_size):
            emit(rel, entry)
    counts["quarantined"] = {r: counts["quarantined"][r] for r in REASONS
                             if r in counts["quarantined"]}
    if mf:
        mf.write('},\n"counts":%s}\n' % _dumps(counts))
        mf.close()
    return counts


# --------------------------------------------------------------------------- checking

def _reference():
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import reference_ingest  # noqa: E402  (tools/reference_ingest.py)
    return reference_ingest


def check(corpus: str, manifest_path: str, verbose: bool = True) -> list[str]:
    """Re-read `corpus` with tools/reference_ingest.py; list every disagreement with the manifest."""
    ref = _reference()
    with open(manifest_path, encoding="utf-8") as f:
        man = json.load(f)
    p = man["params"]
    files = man["files"]
    errors = []
    prefix = os.path.join(corpus, "")
    got_order = []
    summary = None
    for source, o in ref.ingest([corpus], p["tz"], p["max_file_size"]):
        if not source:
            summary = o
            continue
        rel = source[len(prefix):]
        got_order.append(rel)
        want = files.get(rel)
        if want is None:
            errors.append(f"{rel}: not in manifest (reference says {o['outcome']})")
            continue
        if o["outcome"] != want["outcome"]:
            errors.append(f"{rel}: outcome {o['outcome']}{'/' + o.get('reason', '') if 'reason' in o else ''}"
                          f" != manifest {want['outcome']}/{want.get('reason', '')} ({o.get('detail', '')})")
            continue
        if o["outcome"] == "quarantined":
            if o["reason"] != want["reason"]:
                errors.append(f"{rel}: reason {o['reason']} != manifest {want['reason']}"
                              f" ({o['detail']})")
            elif o["reason"] == "hash_mismatch":
                d = f"stored {want['stored_hash']} computed {want['computed_hash']}"
                if o["detail"] != d:
                    errors.append(f"{rel}: hash_mismatch detail {o['detail']} != {d}")
            continue
        if o["outcome"] in ("duplicate", "revision"):
            for k in ("content_hash", "first_source", "revision"):
                gv = o.get(k)
                if k == "first_source":
                    gv = gv[len(prefix):]
                if gv != want.get(k):
                    errors.append(f"{rel}: {k} {gv!r} != manifest {want.get(k)!r}")
        if "record" in o:
            rec = dict(o["record"])
            rec["source"] = rec["source"][len(prefix):]
            if _dumps(rec) != _dumps(want.get("record")):
                errors.append(f"{rel}: record differs:\n  got  {_dumps(rec)[:600]}\n"
                              f"  want {_dumps(want.get('record'))[:600]}")
    if got_order != list(files):
        errors.append("processing order / file set differs from the manifest")
    if summary != man["counts"]:
        errors.append(f"counts {summary} != manifest {man['counts']}")
    if verbose:
        for e in errors[:50]:
            print("MISMATCH", e, file=sys.stderr)
        print(f"check {corpus}: {len(files)} manifest entries, {len(errors)} mismatches; "
              f"counts {_dumps(man['counts'])}", file=sys.stderr)
    return errors


def _tree(root: str) -> dict:
    res = {}
    for d, dirs, fs in os.walk(root):
        for n in fs + [x for x in dirs if os.path.islink(os.path.join(d, x))]:
            p = os.path.join(d, n)
            res[os.path.relpath(p, root)] = ("link", os.readlink(p)) if os.path.islink(p) \
                else ("file", open(p, "rb").read())
    return res


def self_test(real_seeds: list[str]) -> int:
    failures = 0
    tmp = tempfile.mkdtemp(prefix="gen_corpus_selftest_")
    try:
        variants = [dict(seed=1, valid=25, mix=True),
                    dict(seed=2, valid=3, mix=True, tz="+00:00", max_file_size=30000, size=3000),
                    dict(seed=3, valid=0, mix=True, oid_base=500),
                    dict(seed=4, valid=1200, size=2000),
                    dict(seed=5, valid=40, mix=True, max_file_size=5000)]
        for n, v in enumerate(variants):
            argv = ["--out", os.path.join(tmp, f"c{n}")]
            for k, val in v.items():
                if val is True:
                    argv.append("--" + k.replace("_", "-"))
                else:
                    argv += ["--" + k.replace("_", "-"), str(val)]
            args = parse_args(argv)
            generate(args)
            errs = check(args.out, args.manifest_path)
            print(f"self-test variant {v}: {'OK' if not errs else 'FAIL'}", file=sys.stderr)
            failures += bool(errs)
        # determinism: the same arguments again give identical bytes (also with --jobs 1)
        for n, argv in ((0, ["--seed", "1", "--valid", "25", "--mix"]),
                        (3, ["--seed", "4", "--valid", "1200", "--size", "2000", "--jobs", "1"])):
            args = parse_args(["--out", os.path.join(tmp, f"again{n}")] + argv)
            generate(args)
            same = (_tree(os.path.join(tmp, f"c{n}")) == _tree(args.out)
                    and open(os.path.join(tmp, f"c{n}.manifest.json"), "rb").read()
                    == open(args.manifest_path, "rb").read())
            print(f"self-test determinism {argv}: {'OK' if same else 'FAIL'}", file=sys.stderr)
            failures += not same
        # the real seed files: the reference reader must reproduce their expected records
        ref = _reference()
        for txt in real_seeds:
            exp_path = txt[:-4] + ".expected.json"
            with open(exp_path, encoding="utf-8") as f:
                expected = json.load(f)
            got = [o for s, o in ref.ingest([txt]) if s]
            ok = (len(got) == 1 and got[0]["outcome"] == "emitted")
            if ok:
                rec = dict(got[0]["record"])
                want = dict(expected)
                rec.pop("source"), want.pop("source", None)
                ok = _dumps(rec) == _dumps(want)
            print(f"self-test real seed {txt}: {'OK' if ok else 'FAIL'}", file=sys.stderr)
            failures += not ok
    finally:
        shutil.rmtree(tmp)
    print("self-test:", "PASS" if not failures else f"{failures} FAILURE(S)", file=sys.stderr)
    return 1 if failures else 0


# --------------------------------------------------------------------------- CLI

def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] + "\n\n"
                                 + __doc__.split("\n\n")[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", metavar="DIR", help="output directory (must not exist or be empty)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--valid", type=int, default=10, metavar="N",
                    help="number of plain valid articles with distinct keys (default 10)")
    ap.add_argument("--size", type=int, default=6000, metavar="BYTES",
                    help="approximate escaped body size of the plain articles (default 6000)")
    ap.add_argument("--mix", action="store_true",
                    help="also write duplicates, revisions, every quarantine reason, edge cases")
    ap.add_argument("--max-file-size", type=int, default=100000, metavar="BYTES",
                    help="the binary's maximum file size; bigger files are too_large (default 100000)")
    ap.add_argument("--tz", default="+09:00", help="zone of naive dates, +HH:MM (default +09:00)")
    ap.add_argument("--manifest", metavar="FILE",
                    help="manifest path (default: DIR/../<basename of DIR>.manifest.json)")
    ap.add_argument("--no-manifest", action="store_true", help="do not write a manifest")
    ap.add_argument("--oid-base", type=int, default=100, metavar="N",
                    help="first press id; a corpus uses oids N..N+19 (default 100)")
    ap.add_argument("--jobs", type=int, default=0, metavar="N",
                    help="processes writing the plain articles (default: CPU count); the "
                         "output does not depend on it")
    ap.add_argument("--check", metavar="DIR",
                    help="verify an existing corpus against its manifest and exit")
    ap.add_argument("--self-test", action="store_true",
                    help="generate corpora in a temp dir, check them, check determinism and "
                         "the real seed files; exit status 0 on success")
    ap.add_argument("--real-seed", action="append", metavar="FILE.txt",
                    help="(self-test) real article with FILE.expected.json beside it; default: "
                         "/work/shared/seeds/*.txt and seeds/*.txt that have one")
    a = ap.parse_args(argv)
    if not re.fullmatch(r"[+-](?:[01][0-9]|2[0-3]):[0-5][0-9]", a.tz):
        ap.error("--tz must look like +09:00")
    if a.valid < 0 or a.size < 0 or a.max_file_size < 0 or a.oid_base < 0:
        ap.error("numbers must not be negative")
    target = a.out or a.check
    if not a.self_test and not target:
        ap.error("--out DIR (or --check DIR, or --self-test) is required")
    a.manifest_path = None
    if target and not a.no_manifest:
        d = os.path.abspath(target)
        a.manifest_path = a.manifest or os.path.join(os.path.dirname(d),
                                                     os.path.basename(d) + ".manifest.json")
    return a


def main(argv=None) -> int:
    a = parse_args(argv)
    if a.self_test:
        seeds = a.real_seed
        if seeds is None:
            here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
            seeds = [t for pat in ("/work/shared/seeds/*.txt", os.path.join(here, "seeds/*.txt"))
                     for t in sorted(glob.glob(pat)) if os.path.exists(t[:-4] + ".expected.json")]
        return self_test(seeds)
    if a.check:
        return 1 if check(a.check, a.manifest_path) else 0
    counts = generate(a)
    print(f"gen_corpus: wrote {a.out}" + (f" and {a.manifest_path}" if a.manifest_path else "")
          + ": " + _dumps(counts), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
