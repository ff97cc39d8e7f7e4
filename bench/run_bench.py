#!/usr/bin/env python3
"""End-to-end throughput benchmark of `crawl-ingest run` (issues 3 and 4).

    python3 bench/run_bench.py [--files 100000] [--reps 5] [--rss-scaling] [--perf]
        [--binary build/crawl-ingest] [--markdown FILE]

Builds (or reuses) a corpus with tools/gen_corpus.py, then measures, round-robin so that
noise from a shared machine falls on every line alike, `--reps` repetitions of:

  (a)  find DIR -type f -print0 | xargs -0 -P2 cat >/dev/null
  (a2) the same with MALLOC_MMAP_THRESHOLD_=1048576 for cat (no per-file mmap/munmap of its
       buffer; shows how much of (a) is cat's allocator on this VM, no target)
  (b)  find DIR -type f -print0 | xargs -0 -P2 sha256sum >/dev/null
  (r)  bench/read_floor.cc: list DIR, then open/read/close every file on as many threads as
       (c) uses, nothing else (the in-process floor under (c); no target)
  (r2) the same, also hashing every file with the project's Sha256Batch (no target)
  (c)  crawl-ingest run, fresh state and fresh --out
  (d)  crawl-ingest run again over the same input with the state of that rep's (c) run
       (unchanged re-run: the file index skips every file)
  (d2) the same with --rescan (reads everything again; every file is a duplicate)
  (d3) the same with --trust-names (skips every known path without a stat)
  (d') (d3')  (d) and (d3) from that state after one more untimed re-run (the state's WAL
       from (c) already replayed: what a second cron run finds)
  (e)  bench/baseline_ingest.py, the plain single-process Python baseline (sqlite3 state)
  (c0) with --against BINARY: (c) with that binary, paired with every (c) (order alternating),
       for c/c0: an A/B of two builds in one run

and prints the medians, files/s, MB/s, peak RSS, CPU split, the ratios and the issues' targets
with PASS/FAIL, plus checks that (c) and (e) are correct (summary counts; (e)'s NDJSON compared
with (c)'s byte for byte and as a set of (id, content_hash)). --rss-scaling also generates a
corpus 4x as big (--rss-files) and reports (c)'s peak RSS at both sizes. --perf records one
more fresh (c) run with `perf record -g` and prints the top symbols. --archive also packs the
corpus into one .tar.gz (once) and measures (f) crawl-ingest run over it against (g)
`tar -xzOf` of it. See bench/README.md.

The page cache is never dropped (warm cache). The input is held mapped by helper processes
while the lines run, because these VMs' DAMON reclaim pages out unmapped page cache that looks
idle (if pinning fails, every timed command is preceded by an untimed read instead); `sync` runs,
untimed, before every timed command so that write-back of an earlier command's output does not
land in the next one's time.
Standard library only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import glob
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GENERATOR = os.path.join(REPO, "tools", "gen_corpus.py")
BASELINE = os.path.join(REPO, "bench", "baseline_ingest.py")

CASES = [  # key, label, what it measures
    ("a", "(a)", "find | xargs -0 -P2 cat"),
    ("a2", "(a2)", "(a), cat's buffer not mmap-ed"),
    ("b", "(b)", "find | xargs -0 -P2 sha256sum"),
    ("r", "(r)", "read floor: list, open/read/close"),
    ("r2", "(r2)", "read floor + SHA-256 of each file"),
    ("c", "(c)", "crawl-ingest run, fresh state"),
    ("d", "(d)", "re-run, same state (file index)"),
    ("d2", "(d2)", "re-run --rescan (all duplicates)"),
    ("d3", "(d3)", "re-run --trust-names"),
    ("dp", "(d')", "re-run, state reopened once before"),
    ("d3p", "(d3')", "--trust-names, state reopened once"),
    ("e", "(e)", "Python baseline (sqlite3)"),
]
# (a2): glibc's malloc gives cat's 128 KiB read buffer, allocated per file, mmap/munmap
# above this threshold; raised, the buffer comes from the heap. On a paravirtualised VM each
# munmap's TLB flush is a trip to the hypervisor (seen: 85% of (a)'s time).
CAT_HEAP_ENV = "MALLOC_MMAP_THRESHOLD_=1048576 "
RE_RUNS = {"d": [], "d2": ["--rescan"], "d3": ["--trust-names"], "dp": [],
           "d3p": ["--trust-names"]}
# The state each re-run starts from (a fresh copy each time): the one (c) left behind, or that
# state after one more untimed plain re-run (RocksDB has then replayed and flushed (c)'s WAL).
SNAPSHOT = {"d": "c-snapshot", "d2": "c-snapshot", "d3": "c-snapshot", "dp": "c-reopened",
            "d3p": "c-reopened"}


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def die(msg: str) -> None:
    log("error: " + msg)
    sys.exit(1)


def file_digest(path: str, algo: str = "sha256") -> str:
    h = hashlib.new(algo)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def rmtree(path: str) -> None:
    if os.path.lexists(path):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.remove(path)


# --------------------------------------------------------------------------- corpus

def ensure_corpus(cache: str, n: int) -> str:
    """The corpus of n valid articles, generated once per (n, generator version)."""
    key = file_digest(GENERATOR, "sha1")[:12]
    path = os.path.join(cache, f"corpus-{n}-{key}")
    if os.path.isdir(path):
        log(f"corpus: reusing {path}")
        return path
    os.makedirs(cache, exist_ok=True)
    tmp = f"{path}.tmp-{os.getpid()}"
    rmtree(tmp)
    log(f"corpus: generating {n} files into {path} (takes a while) ...")
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, GENERATOR, "--out", tmp, "--valid", str(n),
                        "--no-manifest"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True)
    if r.returncode != 0:
        rmtree(tmp)
        die(f"gen_corpus.py failed: {r.stderr.strip()}")
    os.rename(tmp, path)  # appears under its final name only when complete
    log(f"corpus: generated in {time.monotonic() - t0:.1f} s")
    return path


def ensure_archive(corpus: str) -> str:
    """The corpus as one .tar.gz (tar | gzip -6), made once beside it."""
    path = corpus + ".tar.gz"
    if os.path.isfile(path):
        log(f"archive: reusing {path}")
        return path
    tmp = f"{path}.tmp-{os.getpid()}"
    log(f"archive: writing {path} ...")
    r = subprocess.run(["bash", "-c", f"set -o pipefail; tar -C {shlex.quote(corpus)} -cf - . "
                        f"| gzip -6 > {shlex.quote(tmp)}"], stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        rmtree(tmp)
        die(f"tar | gzip failed: {r.stderr.strip()}")
    os.rename(tmp, path)
    return path


def corpus_stats(path: str) -> tuple[int, int]:
    files = size = 0
    for dirpath, _, names in os.walk(path):
        for name in names:
            files += 1
            size += os.stat(os.path.join(dirpath, name)).st_size
    return files, size


# --------------------------------------------------------------------------- page cache

# Run by each pinning helper: maps the files listed (NUL-separated) in argv[1] with
# MAP_POPULATE, holds them until its stdin closes, then reports how many of their pages were
# still in the page cache (mincore), so the report can show the premise held.
PINNER = r"""
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                      ctypes.c_int, ctypes.c_long]
libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p]
PROT_READ, MAP_SHARED, MAP_POPULATE = 0x1, 0x01, 0x8000
FAILED = ctypes.c_void_p(-1).value
page = os.sysconf("SC_PAGE_SIZE")
maps = []
with open(sys.argv[1], "rb") as f:
    paths = [p for p in f.read().split(b"\0") if p]
for path in paths:
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        if size:
            addr = libc.mmap(None, size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0)
            if addr in (None, FAILED):
                sys.exit("mmap %r: %s" % (path, os.strerror(ctypes.get_errno())))
            maps.append((addr, size))
    finally:
        os.close(fd)
print("pinned", len(maps), flush=True)
sys.stdin.read()
resident = total = 0
for addr, size in maps:
    pages = (size + page - 1) // page
    vec = ctypes.create_string_buffer(pages)
    if libc.mincore(addr, size, vec) != 0:
        sys.exit("mincore: " + os.strerror(ctypes.get_errno()))
    resident += sum(b & 1 for b in vec.raw[:pages])
    total += pages
print("resident", resident, total, flush=True)
"""


def max_map_count() -> int:
    try:
        with open("/proc/sys/vm/max_map_count") as f:
            return int(f.read())
    except (OSError, ValueError):
        return 65530


class PageCachePin:
    """Holds the files under `roots` mapped (so resident) while the timed lines run.

    These VMs run DAMON reclaim (kdamond): it pages out page cache that is not mapped by any
    process and looked idle for about a minute, at up to 128 MiB/s, so a corpus read just
    before a line is partly re-read from disk during it (seen: 71,000 waits for disk reads in
    one (c) run). Mapped pages are exempt. One helper process per ~60,000 files, as each
    mapping counts against vm.max_map_count. The pin only keeps pages cached; every line still
    reads the files through its own syscalls. `resident` at exit is checked, not assumed."""

    def __init__(self, roots: list[str], work: str):
        self.roots, self.work, self.procs = roots, work, []
        self.resident = self.pages = 0
        self.error: str | None = None

    def __enter__(self) -> "PageCachePin":
        paths: list[bytes] = []
        for root in self.roots:
            if os.path.isfile(root):
                paths.append(os.fsencode(root))
            else:
                paths += subprocess.run(["find", root, "-type", "f", "-print0"],
                                        stdout=subprocess.PIPE, check=True).stdout.split(b"\0")[:-1]
        per_process = max(1000, max_map_count() - 5000)
        t0 = time.monotonic()
        for begin in range(0, len(paths), per_process):
            path = os.path.join(self.work, f"pin-{len(self.procs)}.list")
            with open(path, "wb") as f:
                f.write(b"\0".join(paths[begin:begin + per_process]))
            self.procs.append(subprocess.Popen(
                [sys.executable, "-c", PINNER, path], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        for proc in self.procs:
            line = proc.stdout.readline()
            if not line.startswith("pinned"):
                self.error = (proc.stderr.read().strip() or "helper exited").splitlines()[-1]
        if self.error:
            log(f"page cache pin failed ({self.error}); relying on the untimed re-reads")
            self._stop()
            self.procs = []
        else:
            log(f"page cache: {len(paths):,} files held mapped by {len(self.procs)} helper(s) "
                f"({time.monotonic() - t0:.1f} s)")
        return self

    def _stop(self) -> None:
        for proc in self.procs:
            proc.stdin.close()
        for proc in self.procs:
            out, err = proc.stdout.read(), proc.stderr.read()
            proc.wait()
            fields = out.split()
            if proc.returncode == 0 and len(fields) == 3 and fields[0] == "resident":
                self.resident += int(fields[1])
                self.pages += int(fields[2])
            elif not self.error:
                self.error = err.strip().splitlines()[-1] if err.strip() else "helper failed"

    def __exit__(self, *exc) -> None:
        if self.procs:
            self._stop()

    @property
    def active(self) -> bool:
        return bool(self.procs) and not self.error

    def describe(self) -> str:
        if not self.procs:
            return f"not pinned ({self.error})"
        if self.error:
            return f"pinned, but a helper failed at the end ({self.error})"
        return (f"{self.resident:,} of {self.pages:,} pages "
                f"({100 * self.resident / max(1, self.pages):.1f}%) still resident at the end")


# --------------------------------------------------------------------------- measuring

class Sample:
    def __init__(self, wall: float, user: float, sys_: float, maxrss_kib: int):
        self.wall, self.user, self.sys, self.maxrss_kib = wall, user, sys_, maxrss_kib


# Set by main: the ingest_bench_exec launcher and the file it writes its measurement to.
LAUNCHER: tuple[str, str] | None = None


def timed(argv: list[str], stdout: str | None = None, stderr: str | None = None) -> Sample:
    """Runs argv through ingest_bench_exec; wall time, CPU time and peak RSS of it and its
    waited-for descendants.

    ru_maxrss is the peak RSS of the largest single process in the tree (for crawl-ingest, of
    crawl-ingest itself). The launcher forks argv from its own ~1 MiB process: forked from
    this one, argv would inherit this process's peak as a floor (Linux keeps the pre-exec peak
    in ru_maxrss), and cat would report ~37 MiB."""
    assert LAUNCHER is not None
    launcher, result = LAUNCHER
    os.sync()  # untimed: flush what earlier commands wrote
    with open(stdout or os.devnull, "wb") as so, open(stderr or os.devnull, "wb") as se:
        returncode = subprocess.run([launcher, result, *argv], stdout=so, stderr=se).returncode
    if returncode != 0:
        tail = ""
        if stderr and os.path.exists(stderr):
            with open(stderr, errors="replace") as f:
                tail = f.read()[-2000:]
        die(f"exit status {returncode}: {shlex.join(argv)}\n{tail}")
    with open(result) as f:
        wall, user, sys_, maxrss = f.read().split()
    return Sample(float(wall), float(user), float(sys_), int(maxrss))


def run_summary(out_dir: str) -> dict:
    runs = glob.glob(os.path.join(out_dir, "runs", "*.json"))
    if len(runs) != 1:
        die(f"expected one run summary in {out_dir}/runs, found {len(runs)}")
    with open(runs[0]) as f:
        return json.load(f)


def expect(summary: dict, what: str, **want) -> None:
    bad = {k: (summary.get(k), v) for k, v in want.items() if summary.get(k) != v}
    if bad:
        die(f"{what}: unexpected summary {bad} (got, want); full summary: {summary}")


class Bench:
    def __init__(self, args, work: str, binary: str):
        self.args, self.work, self.binary = args, work, binary
        self.threads = ["--threads", str(args.threads)] if args.threads else []
        self.pinned: set[str] = set()  # inputs a PageCachePin holds resident
        self.against: str | None = None  # the --against binary's private copy

    def path(self, name: str) -> str:
        return os.path.join(self.work, name)

    def warm(self, corpus: str) -> None:
        """Reads the input once, untimed, right before a timed command. On the shared VMs
        this runs on the host takes page cache back (seen: a corpus directory 25% evicted
        minutes after it was read, and cold 700 MB reads several times slower), so "warm
        page cache" is made true for every line rather than assumed after one early pass.
        Not needed for an input a PageCachePin holds."""
        if corpus in self.pinned:
            return
        subprocess.run(["find", corpus, "-type", "f", "-exec", "cat", "{}", "+"],
                       stdout=subprocess.DEVNULL, check=True)

    def pipeline(self, corpus: str, tool: str, env: str = "") -> Sample:
        cmd = (f"find {shlex.quote(corpus)} -type f -print0 | {env}xargs -0 -P2 {tool} "
               ">/dev/null")
        return timed(["bash", "-c", cmd], stderr=self.path("pipeline.err"))

    def read_floor(self, corpus: str, n: int, hash_files: bool) -> Sample:
        threads = self.args.threads or len(os.sched_getaffinity(0))
        out = self.path("floor.out")
        s = timed([self.args.read_floor, "--threads", str(threads),
                   *(["--hash"] if hash_files else []), corpus],
                  stdout=out, stderr=self.path("floor.err"))
        with open(out) as f:
            files = int(f.read().split()[0])
        if files != n:
            die(f"{self.args.read_floor} read {files} files, expected {n}")
        return s

    def ingest(self, corpus: str, state: str, out: str, extra: list[str],
               prefix: list[str] | None = None, binary: str | None = None
               ) -> tuple[Sample, dict]:
        rmtree(out)
        argv = (prefix or []) + [binary or self.binary, "run", "--state", state, "--out", out,
                                 *self.threads, *extra, corpus]
        s = timed(argv, stderr=self.path("ingest.err"))
        return s, run_summary(out)

    def fresh_ingest(self, corpus: str, n: int, prefix: list[str] | None = None,
                     key: str = "c", binary: str | None = None) -> Sample:
        state, out = self.path(f"{key}-state"), self.path(f"{key}-out")
        rmtree(state)
        s, summary = self.ingest(corpus, state, out, [], prefix, binary)
        expect(summary, f"({key})", status="ok", files=n, emitted=n, duplicates=0, revisions=0,
               quarantined_total=0, skipped=0)
        if key == "c":
            self.last_c_summary = summary
        return s

    def rerun(self, corpus: str, n: int, key: str) -> Sample:
        state = self.path(f"{key}-state")
        rmtree(state)
        shutil.copytree(self.path(SNAPSHOT[key]), state, symlinks=True)
        s, summary = self.ingest(corpus, state, self.path(f"{key}-out"), RE_RUNS[key])
        if key == "d2":
            expect(summary, "(d2)", status="ok", files=n, emitted=0, duplicates=n,
                   quarantined_total=0)
        else:
            expect(summary, f"({key})", status="ok", files=0, emitted=0, unchanged=n,
                   quarantined_total=0)
        self.summaries[key] = summary
        return s

    def baseline(self, corpus: str, n: int) -> Sample:
        db, out, err = self.path("e-state.sqlite"), self.path("e-out.ndjson"), self.path("e.err")
        for suffix in ("", "-wal", "-shm"):
            rmtree(db + suffix)
        rmtree(out)
        s = timed([self.args.python, BASELINE, "--state", db, "--out", out, corpus],
                  stderr=err)
        with open(err) as f:
            summary = json.loads(f.read().strip().splitlines()[-1])
        expect(summary, "(e)", files=n, emitted=n, duplicates=0, revisions=0,
               quarantined_total=0, skipped=0)
        return s

    def archive_reps(self, corpus: str, n: int) -> dict:
        """(f) crawl-ingest over the corpus as one .tar.gz, fresh state, against (g)
        `tar -xzOf` of the same file (what unpacking it alone costs), round-robin."""
        archive = ensure_archive(corpus)
        f, g = [], []
        for rep in range(1, self.args.reps + 1):
            self.warm(archive)
            g.append(timed(["tar", "-xzOf", archive]))
            self.warm(archive)
            state = self.path("f-state")
            rmtree(state)
            s, summary = self.ingest(archive, state, self.path("f-out"), [])
            expect(summary, "(f)", status="ok", files=n, emitted=n, duplicates=0,
                   quarantined_total=0)
            f.append(s)
            log(f"  archive rep {rep}: (g) {g[-1].wall:.2f} s, (f) {f[-1].wall:.2f} s")
        return {"path": archive, "bytes": os.path.getsize(archive), "f": f, "g": g}

    def big_state_reps(self, corpus: str, n: int, keys: int, tool: str) -> dict:
        """(c) again, each time from a state that already holds `keys` other keys,
        paired round-robin with a fresh (c) so machine noise falls on both alike."""
        original = self.path("big-state-original")
        rmtree(original)
        load = timed([tool, "--state", original, "--keys", str(keys)],
                     stdout=self.path("fill.out"), stderr=self.path("fill.err"))
        log(f"big state: {keys:,} keys loaded in {load.wall:.2f} s")

        def big_run() -> Sample:
            state = self.path("big-state")
            rmtree(state)
            # Table files are immutable: hard links make the copy instant.
            shutil.copytree(original, state, symlinks=True,
                            copy_function=lambda src, dst: os.link(src, dst)
                            if src.endswith(".sst") else shutil.copy2(src, dst))
            s, summary = self.ingest(corpus, state, self.path("big-out"), [])
            expect(summary, "(c big)", status="ok", files=n, emitted=n, duplicates=0)
            return s

        big_run()  # untimed warm-up: the first open reads the fresh tables from disk
        samples, fresh = [], []
        for rep in range(1, self.args.reps + 1):
            self.warm(corpus)
            fresh.append(self.fresh_ingest(corpus, n))
            self.warm(corpus)
            samples.append(big_run())
            log(f"  (c) fresh {fresh[-1].wall:.2f} s, with {keys:,} keys in the state: "
                f"{samples[-1].wall:.2f} s")
        return {"keys": keys, "load": load, "samples": samples, "fresh": fresh}

    def main_reps(self, corpus: str, n: int) -> dict[str, list[Sample]]:
        samples: dict[str, list[Sample]] = {k: [] for k, _, _ in CASES}
        self.summaries: dict[str, dict] = {}
        for rep in range(1, self.args.reps + 1):
            log(f"rep {rep}/{self.args.reps}")
            self.warm(corpus)
            samples["a"].append(self.pipeline(corpus, "cat"))
            self.warm(corpus)
            samples["a2"].append(self.pipeline(corpus, "cat", CAT_HEAP_ENV))
            self.warm(corpus)
            samples["b"].append(self.pipeline(corpus, "sha256sum"))
            for key in ("r", "r2"):
                self.warm(corpus)
                samples[key].append(self.read_floor(corpus, n, hash_files=key == "r2"))
            fresh_keys = ["c", "c0"] if self.against else ["c"]
            if rep % 2:
                fresh_keys.reverse()  # (c0) first on odd repetitions: neither build always second
            for key in fresh_keys:
                self.warm(corpus)
                samples.setdefault(key, []).append(
                    self.fresh_ingest(corpus, n, key=key,
                                      binary=self.against if key == "c0" else None))
            snapshot = self.path("c-snapshot")  # the state this (c) run left behind
            rmtree(snapshot)
            shutil.copytree(self.path("c-state"), snapshot, symlinks=True)
            reopened = self.path("c-reopened")  # ... and after one untimed re-run
            rmtree(reopened)
            shutil.copytree(snapshot, reopened, symlinks=True)
            self.ingest(corpus, reopened, self.path("reopen-out"), [])
            for key in ("d", "d2", "d3", "dp", "d3p"):
                self.warm(corpus)
                samples[key].append(self.rerun(corpus, n, key))
            self.warm(corpus)
            samples["e"].append(self.baseline(corpus, n))
            log("  " + "  ".join(f"{k}={v[-1].wall:.2f}s" for k, v in samples.items()))
        return samples


# --------------------------------------------------------------------------- checks

def compare_outputs(c_out: str, e_out: str) -> tuple[list[str], bool]:
    """(c)'s article chunks (in name order = emit order) against (e)'s NDJSON."""
    chunks = sorted(glob.glob(os.path.join(c_out, "articles", "*.ndjson")))

    def read(paths):
        h, pairs, lines = hashlib.sha256(), set(), 0
        for path in paths:
            with open(path, "rb") as f:
                for line in f:
                    h.update(line)
                    rec = json.loads(line)
                    pairs.add((rec["id"], rec["content_hash"]))
                    lines += 1
        return h.hexdigest(), pairs, lines

    hc, pairs_c, lines_c = read(chunks)
    he, pairs_e, lines_e = read([e_out])
    same_set = pairs_c == pairs_e and lines_c == lines_e == len(pairs_c)
    diff = "" if pairs_c == pairs_e else \
        f" (only in c: {len(pairs_c - pairs_e)}, only in e: {len(pairs_e - pairs_c)})"
    return [
        f"(c) wrote {lines_c} article records in {len(chunks)} chunk(s), (e) wrote {lines_e}",
        f"set of (id, content_hash), (c) vs (e): {'identical' if same_set else 'DIFFERENT'}"
        + diff,
        f"article NDJSON, (c)'s chunks concatenated vs (e)'s file: "
        f"{'byte-identical' if hc == he else 'DIFFERENT bytes'} (sha256 {hc[:16]}…)",
    ], same_set


# --------------------------------------------------------------------------- report

def machine() -> list[tuple[str, str]]:
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = "?"
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1048576:.1f} GiB"
                break
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return [("nproc", nproc), ("CPU", cpu), ("memory", mem),
            ("kernel", platform.release()), ("python", platform.python_version()),
            ("page cache reclaim (DAMON)", damon_reclaim())]


def damon_reclaim() -> str:
    """Whether a kdamond pages out idle memory on this machine (why inputs are pinned)."""
    root = "/sys/kernel/mm/damon/admin/kdamonds"
    def read(path: str) -> str:
        with open(path) as f:
            return f.read().strip()
    states = [read(path) for path in sorted(glob.glob(os.path.join(root, "*", "state")))]
    schemes = glob.glob(os.path.join(root, "*", "contexts", "*", "schemes", "*", "action"))
    actions = sorted({read(path) for path in schemes})
    if not states:
        return "none found"
    return f"kdamond {', '.join(states)}; actions {', '.join(actions) or 'none'}"


def table(header: list[str], rows: list[list[str]], align: str) -> str:
    rows = [[c.replace("|", "\\|") for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]

    def fmt(cells):
        return "| " + " | ".join(c.ljust(w) if a == "l" else c.rjust(w)
                                 for c, w, a in zip(cells, widths, align)) + " |"
    sep = "|" + "|".join(("-" * (w + 1) + ":") if a == "r" else ("-" * (w + 2))
                         for w, a in zip(widths, align)) + "|"
    return "\n".join([fmt(header), sep] + [fmt(r) for r in rows])


def med(xs):
    return statistics.median(xs)


def mib(kib: float) -> float:
    return kib / 1024


def cases(samples: dict[str, list[Sample]]) -> list[tuple[str, str, str]]:
    """CASES, with (c0) after (c) when --against ran."""
    if "c0" not in samples:
        return CASES
    at = [key for key, _, _ in CASES].index("c") + 1
    return CASES[:at] + [("c0", "(c0)", "(c) with the --against binary")] + CASES[at:]


def results_table(samples: dict[str, list[Sample]], n: int, size: int) -> str:
    rows = []
    for key, label, what in cases(samples):
        ss = samples[key]
        wall = med([s.wall for s in ss])
        user = med([s.user for s in ss])
        sys_ = med([s.sys for s in ss])
        cores = med([(s.user + s.sys) / s.wall for s in ss])
        rows.append([label, what, f"{wall:.3f}", f"{min(s.wall for s in ss):.3f}",
                     f"{max(s.wall for s in ss):.3f}", f"{n / wall:,.0f}",
                     f"{size / 1e6 / wall:,.1f}", f"{mib(max(s.maxrss_kib for s in ss)):.1f}",
                     f"{user:.2f}", f"{sys_:.2f}", f"{cores:.2f}"])
    return table(["case", "what", "median s", "min s", "max s", "files/s", "MB/s",
                  "peak RSS MiB", "user s", "sys s", "CPU cores"], rows, "llrrrrrrrrr")


def per_round(samples, num: str, den: str) -> list[float]:
    """num/den of each repetition's own pair of samples (both lines ran in the same round)."""
    return [x.wall / y.wall for x, y in zip(samples[num], samples[den])]


def rounds_passing(samples, num: str, den: str, limit: float) -> str:
    """How many rounds' own num/den meet the limit: shows whether a verdict on medians is at the
    mercy of one noisy line."""
    ratios = per_round(samples, num, den)
    return f"{sum(r <= limit for r in ratios)} of {len(ratios)} rounds ≤ {limit}"


def ratios_and_targets(samples, rss_scaling) -> tuple[str, str, list[tuple[str, bool | None]]]:
    m = {k: med([s.wall for s in v]) for k, v in samples.items()}
    meanings = [
        ("c", "a", "c/a", "(c) time as a fraction of plain cat"),
        ("c", "a2", "c/a2", "(c) time as a fraction of cat without its per-file mmap/munmap (no target)"),
        ("c", "b", "c/b", "(c) time as a fraction of sha256sum"),
        ("c", "r", "c/r", "(c) time over the in-process read floor (no target)"),
        ("c", "r2", "c/r2", "(c) time over the read floor with SHA-256 (no target)"),
        ("e", "c", "e/c", "how many times faster (c) is than the Python baseline"),
        ("d", "c", "d/c", "unchanged re-run as a fraction of a fresh run"),
        ("d2", "c", "d2/c", "--rescan re-run as a fraction of a fresh run"),
        ("d3", "c", "d3/c", "--trust-names re-run as a fraction of a fresh run"),
        ("dp", "c", "d'/c", "unchanged re-run, state already reopened once, as a fraction of a fresh run"),
        ("d3p", "c", "d3'/c",
         "--trust-names re-run, state already reopened once, as a fraction of a fresh run"),
    ]
    if "c0" in m:
        meanings.insert(0, ("c", "c0", "c/c0", "(c) time as a fraction of (c0): --binary against --against"))

    def row(num, den, name, meaning):
        digits = 1 if name == "e/c" else 3
        rounds = " ".join(f"{r:.{digits}f}" for r in per_round(samples, num, den))
        return [name, f"{m[num] / m[den]:.{digits}f}", rounds, meaning]

    ratio_rows = [row(*entry) for entry in meanings]
    rss_c = mib(max(s.maxrss_kib for s in samples["c"]))
    checks: list[tuple[str, str, str, bool | None]] = [
        ("issue 3", "(c) ≤ 0.67 × (b)",
         f"c/b = {m['c'] / m['b']:.3f} ({rounds_passing(samples, 'c', 'b', 0.67)})",
         m["c"] <= 0.67 * m["b"]),
        ("issue 3", "(c) ≤ 0.85 × (a)",
         f"c/a = {m['c'] / m['a']:.3f} ({rounds_passing(samples, 'c', 'a', 0.85)})",
         m["c"] <= 0.85 * m["a"]),
        ("issue 3", "(d) ≤ (c)", f"d/c = {m['d'] / m['c']:.3f}", m["d"] <= m["c"]),
        ("issue 3", "(c) ≥ 10× faster than (e)", f"e/c = {m['e'] / m['c']:.1f}",
         m["e"] >= 10 * m["c"]),
        ("issue 3", "peak RSS of (c) ≤ 256 MiB", f"{rss_c:.1f} MiB", rss_c <= 256),
    ]
    if rss_scaling:
        small, big, nbig = rss_scaling["rss_small"], rss_scaling["rss_big"], rss_scaling["files"]
        checks.append(("issue 3", f"(c) peak RSS not growing ({nbig:,} files ≤ 1.2 × "
                       f"{rss_scaling['small_files']:,} files, and ≤ 256 MiB)",
                       f"{big:.1f} / {small:.1f} MiB = {big / small:.2f}",
                       big <= 1.2 * small and big <= 256))
    else:
        checks.append(("issue 3", "(c) peak RSS not growing with the corpus",
                       "not measured (run with --rss-scaling)", None))
    checks += [
        ("issue 4", "unchanged re-run (d) ≤ 0.30 × (c)", f"d/c = {m['d'] / m['c']:.3f}",
         m["d"] <= 0.30 * m["c"]),
        ("issue 4", "(d3) --trust-names ≤ 0.10 × (c)", f"d3/c = {m['d3'] / m['c']:.3f}",
         m["d3"] <= 0.10 * m["c"]),
        ("issue 4, 2nd re-run", "(d') ≤ 0.30 × (c)", f"d'/c = {m['dp'] / m['c']:.3f}",
         m["dp"] <= 0.30 * m["c"]),
        ("issue 4, 2nd re-run", "(d3') ≤ 0.10 × (c)", f"d3'/c = {m['d3p'] / m['c']:.3f}",
         m["d3p"] <= 0.10 * m["c"]),
    ]
    ratio_md = table(["ratio", "value", "each round", "meaning"], ratio_rows, "lrll")
    target_md = table(["issue", "target", "measured", "result"],
                      [[i, t, v, "SKIPPED" if ok is None else ("PASS" if ok else "FAIL")]
                       for i, t, v, ok in checks], "llll")
    return ratio_md, target_md, [(t, ok) for _, t, _, ok in checks]


def perf_profile(bench: Bench, corpus: str, n: int) -> str:
    data = bench.path("perf.data")
    if not shutil.which("perf"):
        return "perf not found; skipped"
    log("perf: recording one fresh (c) run")
    bench.warm(corpus)
    s = bench.fresh_ingest(corpus, n, prefix=["perf", "record", "-g", "-q", "-o", data, "--"])
    def report(sort: str, limit: int) -> list[str]:
        r = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children", "-g",
                            "none", "--sort", sort, "--percent-limit", "0"],
                           capture_output=True, text=True)
        rows = [re.sub(r"(\s+-)+\s*$", "", ln).rstrip() for ln in r.stdout.splitlines()
                if ln.strip() and not ln.startswith("#")]
        return rows[:limit]

    return "\n".join(
        [f"`perf record -g` of one more fresh (c) run ({s.wall:.2f} s wall under perf, "
         f"user {s.user:.2f} s, sys {s.sys:.2f} s). Self time by symbol "
         "(`perf report --no-children --sort dso,symbol`), top 15:", "", "```"]
        + report("dso,symbol", 15)
        + ["```", "", "Self time by shared object (`--sort dso`):", "", "```"]
        + report("dso", 10) + ["```"])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--files", type=int, default=100000, metavar="N",
                    help="articles in the corpus (default 100000)")
    ap.add_argument("--reps", type=int, default=5, help="repetitions of each line (default 5)")
    ap.add_argument("--binary", default=os.path.join(REPO, "build", "crawl-ingest"),
                    help="crawl-ingest binary (default build/crawl-ingest)")
    ap.add_argument("--markdown", metavar="FILE", help="also write the report as markdown here")
    ap.add_argument("--rss-scaling", action="store_true",
                    help="also measure (c)'s peak RSS on a corpus of --rss-files files")
    ap.add_argument("--rss-files", type=int, metavar="M",
                    help="corpus size for --rss-scaling (default 4 × --files)")
    ap.add_argument("--rss-reps", type=int, default=3,
                    help="fresh (c) runs on the big corpus (default 3)")
    ap.add_argument("--perf", action="store_true",
                    help="also profile one fresh (c) run with perf record -g")
    ap.add_argument("--threads", type=int, help="pass --threads to crawl-ingest "
                    "(default: not passed, i.e. all cores)")
    ap.add_argument("--cache", default="/tmp/crawl-ingest-bench",
                    help="where corpora are cached and runs work (default %(default)s)")
    ap.add_argument("--python", default=sys.executable, help="interpreter for (e)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--archive", action="store_true",
                    help="also run (c) over the corpus as one .tar.gz, against tar -xzOf of it")
    ap.add_argument("--big-state", type=int, metavar="KEYS",
                    help="also run (c) against a state already holding KEYS other keys "
                         "(loaded with ingest_state_fill; issue 3 asks for 10000000)")
    ap.add_argument("--state-fill", default=os.path.join(REPO, "build", "bench", "ingest_state_fill"),
                    help="the ingest_state_fill tool (default: build/bench/ingest_state_fill)")
    ap.add_argument("--against", metavar="BINARY",
                    help="also run (c) with this crawl-ingest binary, paired with every (c), "
                         "and print c/c0 (an A/B of two builds)")
    ap.add_argument("--read-floor", default=os.path.join(REPO, "build", "bench", "ingest_read_floor"),
                    help="the ingest_read_floor tool of (r) and (r2) (default: "
                         "build/bench/ingest_read_floor)")
    ap.add_argument("--launcher", default=os.path.join(REPO, "build", "bench", "ingest_bench_exec"),
                    help="runs and measures each line (default: build/bench/ingest_bench_exec)")
    a = ap.parse_args(argv)
    if a.reps < 1 or a.files < 1:
        ap.error("--reps and --files must be positive")
    if not os.access(a.binary, os.X_OK):
        ap.error(f"{a.binary} is not an executable; build it with "
                 "cmake --build build -j2 --target crawl-ingest")
    if a.against and not os.access(a.against, os.X_OK):
        ap.error(f"--against {a.against} is not an executable")
    if not os.access(a.read_floor, os.X_OK):
        ap.error(f"{a.read_floor} is not an executable; build it with "
                 "cmake --build build --target ingest_read_floor")
    if not os.access(a.launcher, os.X_OK):
        ap.error(f"{a.launcher} is not an executable; build it with "
                 "cmake --build build --target ingest_bench_exec")

    started = dt.datetime.now(dt.timezone.utc)
    load_start = os.getloadavg()
    os.makedirs(a.cache, exist_ok=True)
    work = os.path.join(a.cache, f"run-{os.getpid()}")
    rmtree(work)
    os.makedirs(work)
    # A private copy, so that a rebuild during the run cannot swap binaries between lines.
    binary = os.path.join(work, "crawl-ingest")
    shutil.copy2(a.binary, binary)
    global LAUNCHER
    LAUNCHER = (os.path.abspath(a.launcher), os.path.join(work, "rusage.txt"))
    def describe_binary(original: str, copy: str) -> str:
        return (f"{os.path.abspath(original)} (sha256 {file_digest(copy)[:16]}…, built "
                f"{dt.datetime.fromtimestamp(os.stat(original).st_mtime):%Y-%m-%d %H:%M})")
    bin_info = describe_binary(a.binary, binary)
    head = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip() or "?"
    bench = Bench(a, work, binary)
    binary_rows = [("binary", bin_info)]
    # Which SHA-256 and gzip code the binary takes on this CPU (its --version lines after
    # the first; older builds print the version only).
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
    if len(version.splitlines()) > 1:
        binary_rows.append(("hot-path code (`crawl-ingest --version`)",
                            "; ".join(version.splitlines()[1:])))
    if a.against:
        bench.against = os.path.join(work, "crawl-ingest-against")
        shutil.copy2(a.against, bench.against)
        binary_rows.append(("--against binary (c0)", describe_binary(a.against, bench.against)))
    try:
        corpus = ensure_corpus(a.cache, a.files)
        n, size = corpus_stats(corpus)
        if n != a.files:
            die(f"{corpus} holds {n} files, expected {a.files}; delete it to regenerate")
        log(f"corpus: {n:,} files, {size / 1e6:,.1f} MB")
        inputs = [corpus] + ([ensure_archive(corpus)] if a.archive else [])
        with PageCachePin(inputs, work) as pin:
            ran_pinned = pin.active
            bench.pinned = set(inputs) if ran_pinned else set()
            samples = bench.main_reps(corpus, n)
            archive = bench.archive_reps(corpus, n) if a.archive else None
            big_state = None
            if a.big_state:
                big_state = bench.big_state_reps(corpus, n, a.big_state, a.state_fill)
            profile = perf_profile(bench, corpus, n) if a.perf else None
        bench.pinned = set()
        pin_report = pin.describe()
        log(f"page cache: {pin_report}")
        log("checking (c) against (e)")
        check_lines, outputs_ok = compare_outputs(bench.path("c-out"), bench.path("e-out.ndjson"))
        c_summary = bench.last_c_summary

        rss_scaling = None
        if a.rss_scaling:
            big_n = a.rss_files or 4 * a.files
            big = ensure_corpus(a.cache, big_n)
            bn, bsize = corpus_stats(big)
            log(f"rss-scaling: {bn:,} files, {bsize / 1e6:,.1f} MB")
            big_samples = []
            with PageCachePin([big], work) as big_pin:
                bench.pinned = {big} if big_pin.active else set()
                for rep in range(1, a.rss_reps + 1):
                    bench.warm(big)
                    big_samples.append(bench.fresh_ingest(big, bn))
                    log(f"rss-scaling (c) {rep}/{a.rss_reps}: {big_samples[-1].wall:.2f} s, "
                        f"{mib(big_samples[-1].maxrss_kib):.1f} MiB")
            bench.pinned = set()
            big_pin_report = big_pin.describe()
            log(f"page cache (rss-scaling): {big_pin_report}")
            rss_scaling = {"files": bn, "small_files": n, "samples": big_samples, "bytes": bsize,
                           "rss_small": mib(max(s.maxrss_kib for s in samples["c"])),
                           "rss_big": mib(max(s.maxrss_kib for s in big_samples)),
                           "pin": big_pin_report}
    finally:
        if not a.keep:
            rmtree(work)
        else:
            log(f"kept {work}")

    load_end = os.getloadavg()
    ratio_md, target_md, checks = ratios_and_targets(samples, rss_scaling)
    command = "python3 bench/run_bench.py " + shlex.join(argv if argv is not None else sys.argv[1:])
    out = [
        "# crawl-ingest benchmark",
        "",
        f"Command: `{command.strip()}`",
        "",
        table(["machine", ""], machine() + [
            ("date", started.strftime("%Y-%m-%d %H:%M UTC")),
            ("load average (1 min) at start / end", f"{load_start[0]:.2f} / {load_end[0]:.2f}"),
            *binary_rows, ("repository HEAD", head),
            ("crawl-ingest threads", str(a.threads) if a.threads else "default (all cores)"),
        ], "ll"),
        "",
        f"Corpus: `{corpus}`: {n:,} files, {size / 1e6:,.1f} MB (`gen_corpus.py --valid {n} "
        f"--no-manifest`), warm page cache: "
        + ("the input held mapped by helper processes throughout the timed lines, so this VM's "
           f"page cache reclaim cannot evict it ({pin_report})"
           if ran_pinned else
           f"the input read once, untimed, before every timed command ({pin_report})")
        + f". {a.reps} repetitions, round-robin; median, min and "
        "max wall seconds; files/s and MB/s from the median over the whole corpus; peak RSS is "
        "the maximum over the repetitions (for (a)/(b): of the largest single process of the "
        "pipeline); user/sys are medians of CPU seconds; CPU cores = (user+sys)/wall, median.",
        "",
        results_table(samples, n, size),
        "",
        "(a): `find DIR -type f -print0 | xargs -0 -P2 cat >/dev/null`, (a2): the same with "
        f"`{CAT_HEAP_ENV.strip()}` in cat's environment (its per-file 128 KiB buffer from the "
        "heap instead of mmap/munmap), (b): the same with `sha256sum`. "
        "(r): `ingest_read_floor --threads T DIR` (bench/read_floor.cc: lists DIR, then one "
        "open/read/close per file on T threads, T as many as (c) runs), (r2): the same with "
        "`--hash` (SHA-256 of every file with the project's Sha256Batch). "
        "(c): `crawl-ingest run --state S --out O DIR`, S and O fresh"
        + (", (c0) the same with the --against binary" if bench.against else "")
        + ". (d), (d2) `--rescan`, "
        "(d3) `--trust-names`: run again over DIR, each from a copy of the state (c) left "
        "behind, fresh O. (d'), (d3'): the same from that state after one more untimed re-run "
        "(the steady state a cron job meets: tables already opened once, compactions done). "
        "(e): `bench/baseline_ingest.py` (single-process Python, sqlite3 state). "
        "See bench/README.md.",
        "",
        "## Ratios (of medians; each round: that repetition's own pair)",
        "",
        ratio_md,
        "",
        "## Targets",
        "",
        target_md,
        "",
        "## Correctness of this run",
        "",
        f"- (c) run summary: files={c_summary['files']}, emitted={c_summary['emitted']}, "
        f"duplicates={c_summary['duplicates']}, quarantined_total="
        f"{c_summary['quarantined_total']}, skipped={c_summary['skipped']}, bytes_read="
        f"{c_summary['bytes_read']} (checked on every repetition)",
        f"- (d) unchanged={bench.summaries['d'].get('unchanged')}, files="
        f"{bench.summaries['d']['files']}; (d2) duplicates={bench.summaries['d2']['duplicates']}; "
        f"(d3) unchanged={bench.summaries['d3'].get('unchanged')}, files="
        f"{bench.summaries['d3']['files']}; (d') and (d3') unchanged="
        f"{bench.summaries['dp'].get('unchanged')} / {bench.summaries['d3p'].get('unchanged')}",
    ] + [f"- {line}" for line in check_lines]
    if rss_scaling:
        bs = rss_scaling["samples"]
        wall = med([s.wall for s in bs])
        out += ["", "## Peak RSS of (c) against corpus size", "",
                table(["files", "MB", "runs", "median s", "files/s", "peak RSS MiB"], [
                    [f"{n:,}", f"{size / 1e6:,.1f}", str(a.reps),
                     f"{med([s.wall for s in samples['c']]):.3f}",
                     f"{n / med([s.wall for s in samples['c']]):,.0f}",
                     f"{rss_scaling['rss_small']:.1f}"],
                    [f"{rss_scaling['files']:,}", f"{rss_scaling['bytes'] / 1e6:,.1f}",
                     str(len(bs)), f"{wall:.3f}", f"{rss_scaling['files'] / wall:,.0f}",
                     f"{rss_scaling['rss_big']:.1f}"]], "rrrrrr"),
                "", f"Page cache of the big corpus during its runs: {rss_scaling['pin']}."]
    if archive:
        f_med, g_med = med([s.wall for s in archive["f"]]), med([s.wall for s in archive["g"]])
        c_med = med([s.wall for s in samples["c"]])
        out += ["", "## (c) over one .tar.gz", "",
                f"`{archive['path']}`: the corpus as one archive (`tar -cf - . | gzip -6`, "
                f"{archive['bytes'] / 1e6:,.1f} MB). {a.reps} repetitions, round-robin.", "",
                table(["case", "what", "median s", "files/s", "peak RSS MiB", "user s",
                       "sys s"], [
                    [label, what, f"{med([s.wall for s in ss]):.3f}",
                     f"{n / med([s.wall for s in ss]):,.0f}",
                     f"{mib(max(s.maxrss_kib for s in ss)):.1f}",
                     f"{med([s.user for s in ss]):.2f}", f"{med([s.sys for s in ss]):.2f}"]
                    for label, what, ss in [
                        ("(f)", "crawl-ingest run ARCHIVE, fresh state", archive["f"]),
                        ("(g)", "tar -xzOf ARCHIVE >/dev/null", archive["g"])]], "llrrrrr"),
                "",
                f"f/g = {f_med / g_med:.3f} (the whole job against unpacking alone); "
                f"f/c = {f_med / c_med:.3f} (against the same files in a directory)."]
    if big_state:
        # Against the fresh runs paired with them, not the main (c) line, which
        # ran minutes earlier under whatever else the machine was doing then.
        c_med = med([s.wall for s in big_state["fresh"]])
        big_med = med([s.wall for s in big_state["samples"]])
        drop = 1 - c_med / big_med
        out += ["", "## (c) against a big state", "",
                f"State pre-loaded with {big_state['keys']:,} other keys by "
                f"`bench/state_fill.cc` (sorted SST files ingested into RocksDB) in "
                f"{big_state['load'].wall:.2f} s.", "",
                table(["case", "median s", "files/s", "peak RSS MiB"], [
                    ["(c) fresh state (paired runs)", f"{c_med:.3f}", f"{n / c_med:,.0f}",
                     f"{mib(max(s.maxrss_kib for s in big_state['fresh'])):.1f}"],
                    [f"(c) with {big_state['keys']:,} keys", f"{big_med:.3f}",
                     f"{n / big_med:,.0f}",
                     f"{mib(max(s.maxrss_kib for s in big_state['samples'])):.1f}"]], "lrrr"),
                "",
                f"Throughput drop: {100 * drop:.1f}% (target ≤ 20%): "
                f"{'PASS' if drop <= 0.20 else 'FAIL'}"]
        checks.append(("issue 3 big state", drop <= 0.20))
    if profile:
        out += ["", "## Profile", "", profile]
    report = "\n".join(out) + "\n"
    print(report)
    if a.markdown:
        with open(a.markdown, "w", encoding="utf-8") as f:
            f.write(report)
        log(f"wrote {a.markdown}")
    failed = [t for t, ok in checks if ok is False]
    log(f"{len(failed)} target(s) failed" if failed else "all measured targets passed")
    return 0 if outputs_ok else 1


if __name__ == "__main__":
    sys.exit(main())
