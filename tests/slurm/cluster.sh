#!/usr/bin/env bash
# A throwaway Slurm cluster on loopback for tests (doc/cluster.md, ../shared/SCALE.md):
# munged, slurmctld and three slurmd, each slurmd in its own UTS namespace so one
# host can run several; no systemd, no cgroups, no accounting, no /etc edits.
#
#   tests/slurm/cluster.sh up DIR     # starts everything, state under DIR; prints the
#                                     # SLURM_CONF path once `sinfo` shows the nodes idle
#   tests/slurm/cluster.sh down DIR   # stops every daemon it started, by the PIDs in DIR/run
#
# Exit status of `up`: 0 ready, 77 the packages are missing (slurm-wlm munge slurm-client;
# tools/setup.sh --slurm installs them), 1 it did not come up (logs in DIR/log).
set -euo pipefail

command=${1:?usage: cluster.sh up|down DIR}
dir=${2:?usage: cluster.sh up|down DIR}
nodes=(n1 n2 n3)
# Ports the kernel says are free now (one for slurmctld, one per slurmd), so
# two clusters on one machine (two test suites at once) do not collide; the
# environment may still fix them: SLURM_TEST_CTLD_PORT, SLURM_TEST_NODE_PORT
# (the first of consecutive node ports).
free_ports() {
  python3 -c 'import socket, sys
held = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in held: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in held))' "$1"
}
read -r -a picked <<<"$(free_ports $((1 + ${#nodes[@]})))"
ctld_port=${SLURM_TEST_CTLD_PORT:-${picked[0]}}
node_ports=("${picked[@]:1}")
if [[ -n ${SLURM_TEST_NODE_PORT:-} ]]; then
  for i in "${!nodes[@]}"; do node_ports[i]=$((SLURM_TEST_NODE_PORT + i)); done
fi

stop_pid_file() {
  local file=$1 pid
  [[ -s $file ]] || return 0
  pid=$(cat "$file")
  if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

if [[ $command == down ]]; then
  for node in "${nodes[@]}"; do stop_pid_file "$dir/run/slurmd-$node.pid"; done
  stop_pid_file "$dir/run/slurmctld.pid"
  stop_pid_file "$dir/run/munged.pid"
  exit 0
fi
[[ $command == up ]] || { echo "usage: cluster.sh up|down DIR" >&2; exit 2; }

for program in munged mungekey slurmctld slurmd sbatch squeue scancel sinfo unshare; do
  if ! command -v "$program" >/dev/null 2>&1 && [[ ! -x /usr/sbin/$program ]]; then
    echo "cluster.sh: $program is not installed (apt-get install slurm-wlm munge slurm-client)" >&2
    exit 77
  fi
done
export PATH=$PATH:/usr/sbin:/sbin
if [[ $(id -u) -ne 0 ]]; then
  echo "cluster.sh: needs root (slurmd runs jobs as their user, in its own UTS namespace)" >&2
  exit 77
fi

mkdir -p "$dir"/{munge,state,spool,run,log}
chmod 700 "$dir/munge"
mungekey --create --keyfile="$dir/munge/munge.key" --force 2>/dev/null ||
  dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
chmod 600 "$dir/munge/munge.key"
munged --force --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
  --pid-file="$dir/run/munged.pid" --log-file="$dir/log/munged.log" \
  --seed-file="$dir/munge/munge.seed"

host=$(hostname -s)
conf=$dir/slurm.conf
cpus=$(nproc)
{
  echo "ClusterName=citest"
  echo "SlurmctldHost=$host(127.0.0.1)"
  echo "SlurmctldPort=$ctld_port"
  echo "AuthType=auth/munge"
  echo "CredType=cred/munge"
  echo "AuthInfo=socket=$dir/munge/munge.socket"
  echo "SlurmUser=root"
  echo "SlurmdUser=root"
  echo "StateSaveLocation=$dir/state"
  echo "SlurmdSpoolDir=$dir/spool/%n"
  echo "SlurmctldPidFile=$dir/run/slurmctld.pid"
  echo "SlurmdPidFile=$dir/run/slurmd-%n.pid"
  echo "SlurmctldLogFile=$dir/log/slurmctld.log"
  echo "SlurmdLogFile=$dir/log/slurmd-%n.log"
  echo "ProctrackType=proctrack/linuxproc"
  echo "TaskPlugin=task/none"
  echo "JobAcctGatherType=jobacct_gather/none"
  echo "AccountingStorageType=accounting_storage/none"
  echo "SelectType=select/cons_tres"
  echo "SelectTypeParameters=CR_CPU"
  echo "SlurmdParameters=config_overrides"
  echo "SchedulerType=sched/backfill"
  echo "SchedulerParameters=bf_interval=1"
  echo "ReturnToService=2"
  echo "MaxArraySize=100001"
  echo "SlurmdTimeout=30"
  echo "KillWait=2"
  echo "MinJobAge=5"
  echo "MpiDefault=none"
  echo "MailProg=/bin/true"
  for i in "${!nodes[@]}"; do
    echo "NodeName=${nodes[i]} NodeHostname=${nodes[i]} NodeAddr=127.0.0.1 Port=${node_ports[i]} CPUs=$cpus State=UNKNOWN"
  done
  echo "PartitionName=ci Nodes=$(IFS=,; echo "${nodes[*]}") Default=YES MaxTime=INFINITE State=UP"
} > "$conf"
export SLURM_CONF=$conf

slurmctld -f "$conf" -i
for node in "${nodes[@]}"; do
  unshare --uts sh -c "hostname $node; exec slurmd -N $node -f '$conf'"
done

for _ in $(seq 100); do
  idle=$(sinfo -h -N -o '%N %T' 2>/dev/null | grep -c ' idle' || true)
  if [[ $idle -eq ${#nodes[@]} ]]; then
    echo "$conf"
    exit 0
  fi
  sleep 0.2
done
echo "cluster.sh: nodes did not become idle in 20 s; sinfo says:" >&2
sinfo -N >&2 || true
tail -n 20 "$dir"/log/*.log >&2 || true
exit 1
