#!/usr/bin/env python3
"""Runs crawl-ingest as Slurm job arrays (doc/cluster.md).

    tools/slurm_driver.py --work W --out O [--maps T] [--partitions P] [--binary B]
        [--max-parallel N] [--sbatch-arg ARG]... [--plan-arg ARG]... [--wait] INPUT...

One invocation moves the work directory's current run forward:
- when the current run is unfinished, it is resumed: only the map and reduce tasks
  without a completion marker are submitted (nothing when some of the run's jobs are
  still queued or running);
- otherwise `crawl-ingest plan` freezes a new run of the files no earlier run
  processed (nothing at all when there are none: a finished run is a no-op), and
  its tasks are submitted.
Map tasks go in as `sbatch --array=<todo>%N --requeue`, reduce tasks with
`--dependency=afterok:<map job> --kill-on-invalid-dep=yes`, so a failed map cancels
the reduce and the next invocation resubmits what is missing. Runs are fenced: plan
refuses to start run R+1 while run R is unfinished.

With --wait it waits for the submitted jobs and exits 0 once the run is finished,
3 when it is not (re-run the driver to resume). Exit 1 on errors, 2 on bad usage.
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import time


def log(message):
    print(f"slurm_driver: {message}", file=sys.stderr, flush=True)


def compress(indices):
    """[0,1,2,5,7,8] -> '0-2,5,7-8' (sbatch --array syntax)."""
    parts, start = [], None
    for i, value in enumerate(indices):
        if start is None:
            start = value
        if i + 1 == len(indices) or indices[i + 1] != value + 1:
            parts.append(str(start) if start == value else f"{start}-{value}")
            start = None
    return ",".join(parts)


def current_run(work):
    try:
        with open(os.path.join(work, "CURRENT"), encoding="utf-8") as f:
            return f.read().strip() or None
    except FileNotFoundError:
        return None


def todo(run_dir, kind, count):
    return [i for i in range(count)
            if not os.path.exists(os.path.join(run_dir, f"{kind}-{i:05d}.done"))]


def jobs_in_flight(name_prefix):
    """Job ids of this run's jobs still queued or running."""
    result = subprocess.run(["squeue", "--noheader", "--format=%i %j", "--user", str(os.getuid())],
                            capture_output=True, text=True, check=True)
    ids = []
    for line in result.stdout.splitlines():
        fields = line.split(maxsplit=1)
        if len(fields) == 2 and fields[1].startswith(name_prefix):
            ids.append(fields[0])
    return ids


def sbatch(args, command):
    argv = ["sbatch", "--parsable", *args, "--wrap", command]
    result = subprocess.run(argv, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"sbatch failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout.strip().split(";")[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("inputs", nargs="*", metavar="INPUT")
    parser.add_argument("--work", required=True, help="work directory on a shared filesystem")
    parser.add_argument("--out", required=True, help="output directory on a shared filesystem")
    parser.add_argument("--maps", type=int, default=1, help="map tasks T of a new run")
    parser.add_argument("--partitions", type=int, default=0,
                        help="partitions P (fixed when the work directory is created)")
    parser.add_argument("--binary", default="crawl-ingest")
    parser.add_argument("--max-parallel", type=int, default=0,
                        help="at most N array tasks at once (sbatch --array=...%%N)")
    parser.add_argument("--threads", type=int, default=0, help="map worker threads per task")
    parser.add_argument("--sbatch-arg", action="append", default=[],
                        help="extra sbatch argument, e.g. --sbatch-arg=--partition=batch")
    parser.add_argument("--plan-arg", action="append", default=[],
                        help="extra plan argument, e.g. --plan-arg=--revisions=emit")
    parser.add_argument("--wait", action="store_true", help="wait for the jobs it submits")
    parser.add_argument("--poll", type=float, default=0.5, help="seconds between squeue polls")
    args = parser.parse_args()

    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    run = current_run(work)
    if run and os.path.exists(os.path.join(work, "runs", run, "FINISHED")):
        run = None
    if run is None:
        if not args.inputs:
            log("no unfinished run and no INPUT: nothing to do")
            return 0
        argv = [args.binary, "plan", "--work", work, "--out", args.out, "--maps", str(args.maps)]
        if args.partitions:
            argv += ["--partitions", str(args.partitions)]
        argv += args.plan_arg + args.inputs
        result = subprocess.run(argv, stdout=subprocess.PIPE, text=True)
        if result.returncode == 75:
            log("plan: the previous run is unfinished or the planner is busy; re-run later")
            return 75
        if result.returncode != 0:
            log(f"plan failed with exit {result.returncode}")
            return 1
        run = result.stdout.strip()
        if not run:
            log("nothing new: no run planned")
            return 0
        log(f"planned run {run}")
    else:
        log(f"resuming unfinished run {run}")

    run_dir = os.path.join(work, "runs", run)
    with open(os.path.join(run_dir, "plan.json"), encoding="utf-8") as f:
        plan = json.load(f)
    name = f"ci-{run}"
    in_flight = jobs_in_flight(name)
    submitted = []
    if in_flight:
        log(f"run {run} still has jobs in flight ({', '.join(in_flight)}): nothing submitted")
        submitted = in_flight
    else:
        maps = todo(run_dir, "map", plan["maps"])
        reduces = todo(run_dir, "reduce", plan["partitions"])
        logs = os.path.join(run_dir, "logs")
        os.makedirs(logs, exist_ok=True)
        limit = f"%{args.max_parallel}" if args.max_parallel else ""
        binary = shlex.quote(args.binary)
        common = ["--requeue", "--open-mode=append", *args.sbatch_arg]
        map_job = None
        if maps:
            threads = f" --threads {args.threads}" if args.threads else ""
            map_job = sbatch(
                [f"--array={compress(maps)}{limit}", f"--job-name={name}-map",
                 f"--output={logs}/map-%a.log", *common],
                f"exec {binary} map --work {shlex.quote(work)} --run {run}{threads}")
            submitted.append(map_job)
            log(f"submitted map job {map_job} tasks {compress(maps)}")
        if reduces:
            dependency = ([f"--dependency=afterok:{map_job}", "--kill-on-invalid-dep=yes"]
                          if map_job else [])
            reduce_job = sbatch(
                [f"--array={compress(reduces)}{limit}", f"--job-name={name}-reduce",
                 f"--output={logs}/reduce-%a.log", *dependency, *common],
                f"exec {binary} reduce --work {shlex.quote(work)} --run {run}")
            submitted.append(reduce_job)
            log(f"submitted reduce job {reduce_job} partitions {compress(reduces)}")
        if not maps and not reduces:
            # Every task is done but the merge was cut short: any task finishes it.
            subprocess.run([args.binary, "reduce", "-q", "--work", work, "--run", run,
                            "--task", "0"], check=False)
    print(json.dumps({"run": run, "jobs": submitted}), flush=True)
    if not args.wait:
        return 0
    while jobs_in_flight(name):
        time.sleep(args.poll)
    if os.path.exists(os.path.join(run_dir, "FINISHED")):
        log(f"run {run} finished")
        return 0
    log(f"run {run} is not finished (a task failed or was killed): re-run the driver to resume")
    return 3


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (RuntimeError, subprocess.CalledProcessError, OSError) as error:
        log(str(error))
        sys.exit(1)
