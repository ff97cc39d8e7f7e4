#!/usr/bin/env python3
"""Crash test of sharded runs on a real local Slurm cluster (doc/cluster.md).

    python3 tests/slurm/slurm_crash_test.py --binary BUILD/crawl-ingest --dir SCRATCH [--install]

Brings up munged, slurmctld and three slurmd (tests/slurm/cluster.sh), then runs two
consecutive sharded runs through tools/slurm_driver.py while killing map and reduce
tasks, with `scancel --signal=KILL` and with `kill -9`; after each kill the driver is
re-run and resumes. Checks the output against the generator's oracle (run 1) and
against single-machine `crawl-ingest run`s over the same inputs (both runs): the same
records, every key emitted once. Stops every daemon it started, by PID.

Exit status: 0 passed, 1 failed, 77 skipped (Slurm cannot be installed or started here;
the reason is printed).
"""
import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import time

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SKIP = 77


def say(message):
    print(f"slurm_crash_test: {message}", file=sys.stderr, flush=True)


def run(argv, check=True, **kwargs):
    result = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited {result.returncode}:\n{result.stderr}")
    return result


def install_packages():
    if shutil.which("slurmctld") or os.path.exists("/usr/sbin/slurmctld"):
        return None
    if os.getuid() != 0:
        return "slurm-wlm is not installed and installing it needs root"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    packages = ["slurm-wlm", "munge", "slurm-client"]
    for attempt in ([], ["update"]):
        if attempt:
            subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=300)
        result = subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends",
                                 *packages], env=env, capture_output=True, text=True, timeout=600)
        if result.returncode == 0:
            return None
    return f"apt-get install {' '.join(packages)} failed: {result.stderr.strip()[-300:]}"


class Cluster:
    def __init__(self, scratch):
        self.dir = os.path.join(scratch, "cluster")
        self.env = None

    def up(self):
        result = run(["bash", os.path.join(SOURCE, "tests/slurm/cluster.sh"), "up", self.dir],
                     check=False)
        if result.returncode != 0:
            return result.returncode, result.stderr.strip()
        self.env = dict(os.environ, SLURM_CONF=result.stdout.strip())
        return 0, ""

    def down(self):
        if self.env:
            subprocess.run(["scancel", "--user", str(os.getuid())], env=self.env,
                           capture_output=True)
            time.sleep(0.5)
        run(["bash", os.path.join(SOURCE, "tests/slurm/cluster.sh"), "down", self.dir],
            check=False)


class Test:
    def __init__(self, args, cluster):
        self.binary = os.path.abspath(args.binary)
        self.scratch = os.path.abspath(args.dir)
        self.cluster = cluster
        self.data = os.path.join(self.scratch, "data")
        self.pids = os.path.join(self.scratch, "pids")
        self.wrapper = os.path.join(self.scratch, "crawl-ingest-wrapper")

    def slurm(self, argv, check=True):
        return run(argv, check=check, env=self.cluster.env)

    def prepare(self):
        os.makedirs(self.data, exist_ok=True)
        os.makedirs(self.pids, exist_ok=True)
        for name, seed, base in (("dump1", "21", "100"), ("dump2", "22", "300")):
            run(["python3", os.path.join(SOURCE, "tools/gen_corpus.py"), "--out",
                 os.path.join(self.data, name), "--mix", "--valid", "120", "--size", "1500",
                 "--seed", seed, "--oid-base", base, "--manifest",
                 os.path.join(self.data, name + ".manifest.json")])
        run(["cp", "-a", os.path.join(self.data, "dump1"), os.path.join(self.data, "again")])
        # Every task records its PID (for kill -9) and dawdles where a kill hurts most:
        # a map after sealing its spill, a reduce after its second durable commit.
        with open(self.wrapper, "w") as f:
            f.write(f"""#!/bin/sh
echo $$ > {self.pids}/$1-$SLURM_ARRAY_TASK_ID.pid
case "$1" in
  map) export CRAWL_INGEST_TEST_HOOK=map.before_marker:sleep=1500 ;;
  reduce) export CRAWL_INGEST_TEST_HOOK=commit.durable#2:sleep=1500 ;;
esac
exec {self.binary} "$@"
""")
        os.chmod(self.wrapper, 0o755)

    def reference(self, inputs):
        run([self.binary, "run", "-q", "--max-file-size", "100000", "--chunk-records", "20",
             "--state", os.path.join(self.scratch, "ref/state"), "--out",
             os.path.join(self.scratch, "ref/out"), *inputs], cwd=self.data)

    def driver(self, inputs, wait=False):
        for stale in glob.glob(os.path.join(self.pids, "*.pid")):
            os.unlink(stale)
        argv = ["python3", os.path.join(SOURCE, "tools/slurm_driver.py"), "--binary",
                self.wrapper, "--work", os.path.join(self.scratch, "work"), "--out",
                os.path.join(self.scratch, "out"), "--maps", "3", "--partitions", "4",
                "--threads", "1", "--plan-arg=--max-file-size=100000",
                "--plan-arg=--chunk-records=20", "--poll", "0.2", *inputs]
        if wait:
            argv.append("--wait")
        result = subprocess.run(argv, capture_output=True, text=True, cwd=self.data,
                                env=self.cluster.env, timeout=120)
        say(f"driver exit {result.returncode}: {result.stderr.strip()}")
        return result

    def wait_idle(self, deadline=60):
        end = time.time() + deadline
        while time.time() < end:
            if not self.slurm(["squeue", "-h", "-o", "%i"]).stdout.strip():
                return
            time.sleep(0.2)
        raise AssertionError("jobs did not finish: " + self.slurm(["squeue"]).stdout)

    def running_task(self, kind, deadline=30):
        """(job_task_id, pid) of a running task of kind 'map' or 'reduce'."""
        end = time.time() + deadline
        while time.time() < end:
            lines = self.slurm(["squeue", "-h", "-t", "R", "-o", "%i %j"]).stdout.split("\n")
            for line in lines:
                fields = line.split()
                if len(fields) == 2 and fields[1].endswith("-" + kind) and "_" in fields[0]:
                    index = fields[0].split("_")[1]
                    pid_file = os.path.join(self.pids, f"{kind}-{index}.pid")
                    if os.path.exists(pid_file):
                        with open(pid_file) as f:
                            text = f.read().strip()
                        if text:
                            return fields[0], int(text)
            time.sleep(0.1)
        raise AssertionError(f"no running {kind} task appeared")

    def kill(self, kind, how):
        task, pid = self.running_task(kind)
        time.sleep(0.5)  # inside the hook's pause
        if how == "scancel":
            self.slurm(["scancel", "--signal=KILL", task])
        else:
            os.kill(pid, 9)
        say(f"killed {kind} task {task} (pid {pid}) with {how}")

    def sharded_run(self, inputs, kills):
        result = self.driver(inputs)
        assert result.returncode == 0, result.stderr
        for kind, how in kills:
            self.kill(kind, how)
            self.wait_idle()
            result = self.driver(inputs)  # resumes: resubmits what has no marker
            assert result.returncode == 0, result.stderr
            assert "resuming" in result.stderr, result.stderr
        for _ in range(3):
            result = self.driver(inputs, wait=True)
            if result.returncode == 0:
                return
        raise AssertionError("the run did not finish: " + result.stderr)

    def records(self, out, folder):
        lines = []
        for path in glob.glob(os.path.join(out, folder, "*.ndjson")):
            with open(path, encoding="utf-8") as f:
                data = f.read()
            assert not data or data.endswith("\n"), f"partial line in {path}"
            lines.extend(data.splitlines())
        assert not glob.glob(os.path.join(out, folder, ".*.tmp")), f"temp files in {folder}"
        return sorted(lines)

    def main(self):
        self.prepare()
        started = time.time()
        # Run 1: a map killed by Slurm, then a reduce killed from outside Slurm.
        self.sharded_run(["dump1"], [("map", "scancel"), ("reduce", "kill")])
        self.reference(["dump1"])
        check = run(["python3", os.path.join(SOURCE, "tests/e2e/check_run.py"), "--any-order",
                     "--manifest", os.path.join(self.data, "dump1.manifest.json"), "--prefix",
                     "dump1/", "--out", os.path.join(self.scratch, "out")], check=False)
        assert check.returncode == 0, "run 1 against the oracle:\n" + check.stderr
        # Run 2: old files unchanged, a copy of them (all duplicates) and new ones.
        inputs = ["dump1", "dump2", "again"]
        self.sharded_run(inputs, [("map", "kill"), ("reduce", "scancel")])
        self.reference(inputs)
        for folder in ("articles", "quarantine", "duplicates"):
            want = self.records(os.path.join(self.scratch, "ref/out"), folder)
            got = self.records(os.path.join(self.scratch, "out"), folder)
            assert want == got, f"{folder}: {len(got)} records, single-machine run has {len(want)}"
        ids = [json.loads(line)["id"] for line in
               self.records(os.path.join(self.scratch, "out"), "articles")]
        assert len(ids) == len(set(ids)), "a key was emitted twice"
        summaries = sorted(glob.glob(os.path.join(self.scratch, "out/runs/*.json")))
        assert len(summaries) == 2, summaries
        # A finished run: the driver plans nothing and submits nothing.
        result = self.driver(inputs)
        assert result.returncode == 0 and "nothing new" in result.stderr, result.stderr
        say(f"passed: {len(ids)} articles over 2 runs, 4 kills, "
            f"{time.time() - started:.1f} s of runs")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--dir", required=True, help="scratch directory (must be empty)")
    parser.add_argument("--install", action="store_true",
                        help="apt-get install the Slurm packages when missing")
    args = parser.parse_args()
    if args.install:
        reason = install_packages()
        if reason:
            print(f"SKIPPED: {reason}", flush=True)
            return SKIP
    cluster = Cluster(os.path.abspath(args.dir))
    code, message = cluster.up()
    try:
        if code == SKIP:
            print(f"SKIPPED: {message}", flush=True)
            return SKIP
        if code != 0:
            say(f"the cluster did not come up: {message}")
            return 1
        try:
            Test(args, cluster).main()
        except AssertionError as error:
            say(f"FAILED: {error}")
            return 1
        return 0
    finally:
        cluster.down()


if __name__ == "__main__":
    sys.exit(main())
